package compare

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/mobiledm/dmclient/ini"
	goini "gopkg.in/ini.v1"
)

var speedup = flag.Bool("speedup", false, "run TestSpeedup: measure ini.Parse against go-ini's Load on every file of ini/testdata")

// testdata returns the files of ../../ini/testdata, by base name, in order.
func testdata(tb testing.TB) ([]string, map[string][]byte) {
	paths, err := filepath.Glob("../../ini/testdata/*.ini")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no testdata: %v", err)
	}
	var names []string
	files := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		names = append(names, filepath.Base(p))
		files[filepath.Base(p)] = data
	}
	return names, files
}

func parseINI(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ini.Parse("x.ini", data); err != nil {
			b.Fatal(err)
		}
	}
}

// loadGoINI runs go-ini's Load, which stops at the first line it cannot
// read: on three of the files (spacing.ini and the two UTF-16 ones) it
// returns that error after reading a line or a few.
func loadGoINI(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_, _ = goini.Load(data)
	}
}

// skipUnrecognizable is the option go-ini needs to read every file to its
// end, as ini.Parse does.
var skipUnrecognizable = goini.LoadOptions{SkipUnrecognizableLines: true}

// loadGoINIWhole runs go-ini's LoadSources with SkipUnrecognizableLines, so
// that it reads every line it can: all of every file but spacing.ini, where
// it stops at the unclosed "[Open bracket" of line 13 of 16.
func loadGoINIWhole(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_, _ = goini.LoadSources(skipUnrecognizable, data)
	}
}

// BenchmarkFiles runs ini.Parse, go-ini's Load and go-ini's LoadSources
// with SkipUnrecognizableLines on each file of ini/testdata, one after the
// other, so that the figures of a file come from the same moment of a noisy
// machine:
//
//	go test -run '^$' -bench Files -benchmem -count 3
func BenchmarkFiles(b *testing.B) {
	names, files := testdata(b)
	for _, name := range names {
		data := files[name]
		b.Run(name+"/ini", func(b *testing.B) { parseINI(b, data) })
		b.Run(name+"/go-ini", func(b *testing.B) { loadGoINI(b, data) })
		b.Run(name+"/go-ini-whole", func(b *testing.B) { loadGoINIWhole(b, data) })
	}
}

// TestSpeedup prints, for every file, how many times as fast ini.Parse is
// as go-ini's Load and as its whole-file LoadSources, and fails when that is
// less than 10 on any file. It runs only when asked for, as it takes a
// minute:
//
//	go test -run Speedup -speedup -v
//
// A benchmark of one parser after the other swings with the load of a busy
// machine, so the test times the two in alternating batches of about a
// millisecond, garbage collection included, and takes the median of the
// ratios of the pairs: both halves of a pair see the same machine.
func TestSpeedup(t *testing.T) {
	if !*speedup {
		t.Skip("run with -speedup")
	}
	names, files := testdata(t)
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "file\tbytes\tini ns/op\tLoad ns/op\tspeedup\twhole ns/op\tspeedup\t")
	worst, worstName := math.Inf(1), ""
	for _, name := range names {
		data := files[name]
		parse := func() { _, _ = ini.Parse(name, data) }
		load := func() { _, _ = goini.Load(data) }
		whole := func() { _, _ = goini.LoadSources(skipUnrecognizable, data) }
		iniNs, loadNs, loadX := pairs(parse, load)
		_, wholeNs, wholeX := pairs(parse, whole)
		if m := min(loadX, wholeX); m < worst {
			worst, worstName = m, name
		}
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%.0f\t%.1fx\t%.0f\t%.1fx\t\n", name, len(data), iniNs, loadNs, loadX, wholeNs, wholeX)
	}
	w.Flush()
	fmt.Printf("least speedup: %.1fx (%s)\n", worst, worstName)
	if worst < 10 {
		t.Errorf("ini.Parse is only %.1f times as fast as go-ini on %s; want at least 10", worst, worstName)
	}
}

// pairs times a and b in 201 alternating pairs of batches of about a
// millisecond each and returns the median ns/op of each and the median of
// the pairs' ratios b/a.
func pairs(a, b func()) (aNs, bNs, ratio float64) {
	const rounds = 201
	na, nb := calibrate(a), calibrate(b)
	var as, bs, rs []float64
	for r := range rounds {
		var ta, tb float64
		if r%2 == 0 {
			ta, tb = batch(a, na), batch(b, nb)
		} else {
			tb, ta = batch(b, nb), batch(a, na)
		}
		as, bs, rs = append(as, ta), append(bs, tb), append(rs, tb/ta)
	}
	return median(as), median(bs), median(rs)
}

// calibrate returns how many calls of fn take about a millisecond.
func calibrate(fn func()) int {
	n := 1
	for batch(fn, n)*float64(n) < 1e6 && n < 1<<20 {
		n *= 2
	}
	return n
}

// batch returns the ns per call of n calls of fn.
func batch(fn func(), n int) float64 {
	start := time.Now()
	for range n {
		fn()
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// TestFilesParse checks that ini reads every benchmarked file, and that
// go-ini's whole-file variant does too (but for the one line of
// spacing.ini it cannot take), so that the benchmark measures work and not
// an early error.
func TestFilesParse(t *testing.T) {
	names, files := testdata(t)
	for _, name := range names {
		if _, err := ini.Parse(name, files[name]); err != nil {
			t.Errorf("ini: %s: %v", name, err)
		}
		if _, err := goini.LoadSources(skipUnrecognizable, files[name]); err != nil && name != "spacing.ini" {
			t.Errorf("go-ini: %s: %v", name, err)
		}
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "utf16") }) {
		t.Errorf("no UTF-16 file among %v", names)
	}
}
