//go:build !unix

package policy_test

import "time"

// cpuTime returns 0 where the process's CPU time is not known: the
// benchmarks then report wall time only.
func cpuTime() time.Duration { return 0 }
