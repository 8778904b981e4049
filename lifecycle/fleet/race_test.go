//go:build race

package fleet_test

// raceEnabled is true under the race detector, which slows the exhaustive
// checks tenfold: they then cover a stride of the space instead of all of
// it (the plain `go test ./...` run covers all of it).
const raceEnabled = true
