package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
)

// BenchmarkExplore proves a property over every sequence of deployments
// (the default starts and deployments: three package versions) and, in the
// same loop, the single-deployment whole-space check it is measured
// against. Each op runs both once; "explore/check" is the ratio of their
// wall times and "cpu-explore/check" of their CPU times, so that the
// comparison is made within one run, under the same load. It also reports
// the graph's states and edges.
func BenchmarkExplore(b *testing.B) {
	ctx := context.Background()
	holds := func(lifecycle.Scenario, lifecycle.Outcome) bool { return true }
	prop := policy.Property{Step: holds, State: func(lifecycle.Device) bool { return true }}
	var check, explore, cpuCheck, cpuExplore time.Duration
	var res policy.Exploration
	for b.Loop() {
		cpu0, start := cpuTime(), time.Now()
		if r, err := policy.Check(ctx, holds); err != nil || !r.Holds() {
			b.Fatal(r, err)
		}
		cpu1, mid := cpuTime(), time.Now()
		var err error
		res, err = policy.Explore(ctx, prop)
		if err != nil || !res.Holds() {
			b.Fatal(res, err)
		}
		cpu2 := cpuTime()
		check += mid.Sub(start)
		explore += time.Since(mid)
		cpuCheck += cpu1 - cpu0
		cpuExplore += cpu2 - cpu1
	}
	b.ReportMetric(float64(explore)/float64(check), "explore/check")
	if cpuCheck > 0 {
		b.ReportMetric(float64(cpuExplore)/float64(cpuCheck), "cpu-explore/check")
	}
	b.ReportMetric(float64(explore.Nanoseconds())/float64(b.N), "explore-ns/op")
	b.ReportMetric(float64(res.States), "states")
	b.ReportMetric(float64(res.Edges), "edges")
}
