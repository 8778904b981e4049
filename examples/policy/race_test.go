//go:build race

package policy_test

// raceEnabled is true under the race detector, which slows every run
// tenfold: the proofs, which run the whole space, are left to the plain
// run.
const raceEnabled = true
