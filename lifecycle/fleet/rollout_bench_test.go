package fleet_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// ownPlan is a plan of waves waves, each sending every device its own
// deployment again: each device-wave is the deployment a fleet run makes,
// on the state the waves before left.
func ownPlan(waves int) *fleet.Plan {
	p := &fleet.Plan{}
	for i := range waves {
		p.Waves = append(p.Waves, fleet.Wave{Name: fmt.Sprint("wave ", i+1), Target: fleet.Target{All: true}})
	}
	return p
}

// BenchmarkRolloutOverhead is the pair "rollout per device-wave / fleet
// runner per device" (goal: at most 1.2), measured in CPU time in the same
// iteration: 20,000 devices through fleet.Run, and the same devices through
// a plan of five waves, every wave sending each device its own deployment
// ("own") or the waves of testPlan ("mixed": shares, a newer package,
// native mode with enrollment, an uninstall, a repair, an older package).
// Both run on every core and on one worker.
func BenchmarkRolloutOverhead(b *testing.B) {
	for _, plan := range []struct {
		name string
		p    *fleet.Plan
	}{{"own", ownPlan(5)}, {"mixed", testPlan()}} {
		for _, workers := range []int{0, 1} {
			b.Run(fmt.Sprintf("%s/workers=%d", plan.name, workers), func(b *testing.B) {
				const n = 20_000
				ctx := context.Background()
				all := items(rolloutFleet(n))
				var runCPU, rollCPU time.Duration
				deviceWaves := 0
				for b.Loop() {
					c := cpuTime()
					r, err := fleet.Run(ctx, fromItems(all), fleet.Options{Workers: workers, Machine: rolloutOptions})
					runCPU += cpuTime() - c
					if err != nil || r.Devices != n {
						b.Fatal(r.Devices, err)
					}
					c = cpuTime()
					pr, err := plan.p.Run(ctx, fromItems(all), fleet.PlanOptions{Workers: workers, Machine: rolloutOptions})
					rollCPU += cpuTime() - c
					if err != nil || pr.Devices != n {
						b.Fatal(pr.Devices, err)
					}
					for _, w := range pr.Waves {
						deviceWaves += w.Ran + w.NotRun
					}
				}
				perRun := float64(runCPU.Nanoseconds()) / float64(n*b.N)
				perWave := float64(rollCPU.Nanoseconds()) / float64(deviceWaves)
				b.ReportMetric(perWave/perRun, "ratio")
				b.ReportMetric(perRun, "run-cpu-ns/device")
				b.ReportMetric(perWave, "rollout-cpu-ns/device-wave")
			})
		}
	}
}

// BenchmarkRollout runs 100,000 devices through a plan of five waves on
// every core and reports device-waves per second.
func BenchmarkRollout(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	p := ownPlan(5)
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		r, err := p.Run(ctx, rolloutFleet(n), fleet.PlanOptions{Machine: rolloutOptions})
		total += time.Since(start)
		if err != nil || r.Devices != n {
			b.Fatal(r.Devices, err)
		}
	}
	b.ReportMetric(float64(5*n*b.N)/total.Seconds(), "device-waves/s")
}
