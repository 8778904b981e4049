// Package compare measures package ini against gopkg.in/ini.v1 on the same
// bytes: speed (BenchmarkParse, BenchmarkGoINILoad) and losslessness
// (TestGoINIIsLossy, TestIniIsLossless).
//
// It is a module of its own, with a replace of the library to ../.., so that
// go-ini never enters the library's go.mod. Run it with
//
//	cd examples/compare && go test -bench . -benchmem
//
// It is not an example of how to use package ini; see that package's
// Example functions for that.
package compare
