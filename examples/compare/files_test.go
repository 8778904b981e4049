package compare

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/ini"
	goini "gopkg.in/ini.v1"
)

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

// BenchmarkSpeedup reports, for every file, how many times as fast ini.Parse
// is as go-ini's Load (x-vs-Load) and as its whole-file LoadSources
// (x-vs-whole), and in its last sub-benchmark, "least", the least of those
// over the files, run by run of -count:
//
//	go test -run '^$' -bench Speedup -count 3
//
// A benchmark of one parser after the other swings with the load of a busy
// machine, so an op of a file's sub-benchmark times the three in turn, each
// in a batch of about a quarter of a millisecond, starting with each in
// turn, and both halves of a ratio see the same machine. x-vs-Load and
// x-vs-whole are ratios of the parsers' mean time per call over every
// batch: the cost of a call, as ns/op is, garbage collection included.
// median-x-vs-Load is the median of the ops' ratios instead, which leaves
// out the batches in which the collector (and the kernel's page faults)
// ran: a collector cycle lands in a minority of batches, mostly go-ini's,
// whose Load allocates about 5 KB a call to ini.Parse's 224 bytes on the
// UTF-16 files, so the median tells the calls without the work their
// garbage makes. The sub-benchmarks also report the mean ns per call of
// each (ini-ns/op, Load-ns/op, whole-ns/op); their ns/op is that of an op,
// three batches.
func BenchmarkSpeedup(b *testing.B) {
	names, files := testdata(b)
	// With b.Loop a sub-benchmark's function runs once a -count, the runs
	// of one file one after the other: the least of run r is leastLoad[r].
	var leastLoad, leastWhole, leastMedian []float64
	for _, name := range names {
		data := files[name]
		fns := [3]func(){
			func() { _, _ = ini.Parse(name, data) },
			func() { _, _ = goini.Load(data) },
			func() { _, _ = goini.LoadSources(skipUnrecognizable, data) },
		}
		var n [3]int
		for i, fn := range fns {
			n[i] = calibrate(fn)
		}
		run := 0
		b.Run(name, func(b *testing.B) {
			var ns [3][]float64
			var load []float64
			for r := 0; b.Loop(); r++ {
				var t [3]float64
				for j := range fns {
					i := (r + j) % len(fns) // each parser goes first in turn
					t[i] = batch(fns[i], n[i])
				}
				for i := range ns {
					ns[i] = append(ns[i], t[i])
				}
				load = append(load, t[1]/t[0])
			}
			var mean [3]float64
			for i := range ns {
				mean[i] = average(ns[i])
			}
			loadX, wholeX, medianX := mean[1]/mean[0], mean[2]/mean[0], median(load)
			if run == len(leastLoad) {
				inf := math.Inf(1)
				leastLoad, leastWhole, leastMedian = append(leastLoad, inf), append(leastWhole, inf), append(leastMedian, inf)
			}
			leastLoad[run], leastWhole[run] = min(leastLoad[run], loadX), min(leastWhole[run], wholeX)
			leastMedian[run] = min(leastMedian[run], medianX)
			run++
			b.ReportMetric(loadX, "x-vs-Load")
			b.ReportMetric(wholeX, "x-vs-whole")
			b.ReportMetric(medianX, "median-x-vs-Load")
			for i, unit := range [3]string{"ini-ns/op", "Load-ns/op", "whole-ns/op"} {
				b.ReportMetric(mean[i], unit)
			}
		})
	}
	run := 0
	b.Run("least", func(b *testing.B) {
		for b.Loop() {
		}
		if run < len(leastLoad) {
			b.ReportMetric(leastLoad[run], "x-vs-Load")
			b.ReportMetric(leastWhole[run], "x-vs-whole")
			b.ReportMetric(leastMedian[run], "median-x-vs-Load")
		}
		run++
	})
}

// calibrate returns how many calls of fn take about a quarter of a
// millisecond.
func calibrate(fn func()) int {
	n := 1
	for batch(fn, n)*float64(n) < 250e3 && n < 1<<20 {
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

// average returns the mean of xs, which is not empty.
func average(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// median returns the median of xs, which it sorts.
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
