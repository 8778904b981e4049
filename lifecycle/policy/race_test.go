//go:build race

package policy_test

// raceEnabled is true under the race detector, which slows every run
// tenfold: the exhaustive tests then cover a fixed stride of the space, and
// the tests of Check stop it early; the plain `go test` run covers all of
// it.
const raceEnabled = true
