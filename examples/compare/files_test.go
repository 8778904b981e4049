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

// TestSpeedup measures ini.Parse, go-ini's Load and go-ini's whole-file
// LoadSources on every file with testing.Benchmark, alternating them for
// rounds rounds and keeping each one's best ns/op, prints the table and
// fails when ini.Parse is less than 10 times as fast as either on any file.
// It runs only when asked for, as it takes a few minutes:
//
//	go test -run Speedup -speedup -v
func TestSpeedup(t *testing.T) {
	if !*speedup {
		t.Skip("run with -speedup")
	}
	const rounds = 3
	names, files := testdata(t)
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "file\tbytes\tini ns/op\tLoad ns/op\tspeedup\twhole ns/op\tspeedup\t")
	worst, worstName := math.Inf(1), ""
	for _, name := range names {
		data := files[name]
		ns := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
		for range rounds {
			for i, fn := range [3]func(*testing.B, []byte){parseINI, loadGoINI, loadGoINIWhole} {
				r := testing.Benchmark(func(b *testing.B) { fn(b, data) })
				ns[i] = min(ns[i], float64(r.NsPerOp()))
			}
		}
		load, whole := ns[1]/ns[0], ns[2]/ns[0]
		if m := min(load, whole); m < worst {
			worst, worstName = m, name
		}
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%.0f\t%.1fx\t%.0f\t%.1fx\t\n", name, len(data), ns[0], ns[1], load, ns[2], whole)
	}
	w.Flush()
	fmt.Printf("least speedup: %.1fx (%s)\n", worst, worstName)
	if worst < 10 {
		t.Errorf("ini.Parse is only %.1f times as fast as go-ini on %s; want at least 10", worst, worstName)
	}
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
