package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
)

// BenchmarkExplore measures the proof over every sequence of deployments
// (the default starts and deployments: three package versions) against
// the single-deployment whole-space check, in the same run:
//
//   - "check": policy.Check of a policy that holds, once per op;
//   - "explore": policy.Explore of a property that holds (a Step and a
//     State), once per op; it reports the graph's states and edges;
//   - "ratio": both once per op, one after the other, so that the two
//     share the machine's load; "explore/check" is the ratio of their wall
//     times, "cpu-explore/check" of their CPU times.
func BenchmarkExplore(b *testing.B) {
	ctx := context.Background()
	holds := func(lifecycle.Scenario, lifecycle.Outcome) bool { return true }
	prop := policy.Property{Step: holds, State: func(lifecycle.Device) bool { return true }}
	check := func(b *testing.B) {
		if r, err := policy.Check(ctx, holds); err != nil || !r.Holds() {
			b.Fatal(r, err)
		}
	}
	explore := func(b *testing.B) policy.Exploration {
		res, err := policy.Explore(ctx, prop)
		if err != nil || !res.Holds() {
			b.Fatal(res, err)
		}
		return res
	}
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			check(b)
		}
	})
	b.Run("explore", func(b *testing.B) {
		var res policy.Exploration
		for b.Loop() {
			res = explore(b)
		}
		b.ReportMetric(float64(res.States), "states")
		b.ReportMetric(float64(res.Edges), "edges")
	})
	b.Run("ratio", func(b *testing.B) {
		var wallCheck, wallExplore, cpuCheck, cpuExplore time.Duration
		for b.Loop() {
			cpu0, t0 := cpuTime(), time.Now()
			check(b)
			cpu1, t1 := cpuTime(), time.Now()
			explore(b)
			cpu2, t2 := cpuTime(), time.Now()
			wallCheck += t1.Sub(t0)
			wallExplore += t2.Sub(t1)
			cpuCheck += cpu1 - cpu0
			cpuExplore += cpu2 - cpu1
		}
		b.ReportMetric(float64(wallExplore)/float64(wallCheck), "explore/check")
		if cpuCheck > 0 {
			b.ReportMetric(float64(cpuExplore)/float64(cpuCheck), "cpu-explore/check")
		}
	})
}
