// Package compare measures package ini against gopkg.in/ini.v1 on the same
// bytes: speed on every file of ini/testdata (BenchmarkFiles, and
// BenchmarkSpeedup, which reports how many times as fast ini.Parse is, file
// by file and at least) and on a 1 KiB document (BenchmarkParse,
// BenchmarkGoINILoad), and losslessness (TestGoINIIsLossy, TestGoINIUTF16).
//
// go-ini's Load stops at the first line it cannot read and returns that
// error: at line 1 or 2 of the UTF-16 files and at line 9 of spacing.ini.
// So the benchmarks also run its LoadSources with SkipUnrecognizableLines,
// which reads every file to its end but spacing.ini, where it stops at the
// unclosed section of line 13 of 16.
//
// It is a module of its own, with a replace of the library to ../.., so that
// go-ini never enters the library's go.mod. Run it with
//
//	cd examples/compare && go test -run '^$' -bench 'Files|Parse|GoINILoad' -benchmem -count 3
//	cd examples/compare && go test -run '^$' -bench Speedup -count 3
//
// BenchmarkSpeedup times the parsers in alternating batches within each op
// and reports x-vs-Load and x-vs-whole, the ratios of go-ini's mean time per
// call to ini.Parse's (the cost of a call, garbage collection included, as
// ns/op is), and median-x-vs-Load, the median of the ops' ratios (the
// calls without the collector's work, which lands in few batches), and the
// least of each over the files in its sub-benchmark "least"; it is a
// measurement, never a pass or fail.
//
// It is not an example of how to use package ini; see that package's
// Example functions for that.
package compare
