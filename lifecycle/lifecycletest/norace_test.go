//go:build !race

package lifecycletest_test

const raceEnabled = false
