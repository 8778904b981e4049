//go:build race

package lifecycletest_test

// raceEnabled is true under the race detector, which slows every run
// tenfold: the exhaustive tests then cover a fixed stride of the space; the
// plain `go test` run covers all of it.
const raceEnabled = true
