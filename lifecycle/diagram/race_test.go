//go:build race

package diagram_test

const raceEnabled = true
