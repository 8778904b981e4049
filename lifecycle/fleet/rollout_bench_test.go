package fleet_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/lifecycle"
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

// plainRollout takes every device through the plan's waves by hand, on one
// machine (Restore, then Deploy of each wave that targets it), counting
// into an aggregator per wave: what Plan.Run does, without its workers,
// batches, histories and failure groups. It returns the device-waves run.
func plainRollout(plan *fleet.Plan, all []item) int {
	ctx := context.Background()
	aggs := make([]*fleet.Aggregator, len(plan.Waves))
	for i := range aggs {
		aggs[i] = fleet.NewAggregator(fleet.ReportOptions{})
	}
	now := rolloutStart
	var m *lifecycle.Machine
	n := 0
	for index, it := range all {
		if it.err != nil {
			continue
		}
		if m == nil {
			m, _ = lifecycle.NewMachine(it.e.Device, lifecycle.Options{Clock: func() time.Time { return now }})
		} else {
			m.Restore(it.e.Device)
		}
		for i, w := range plan.Waves {
			if !targeted(w.Target, it.e.Device) {
				continue
			}
			we := waveEntry(plan, &w, it.e)
			o, _ := m.Deploy(ctx, we.Deployment)
			aggs[i].Add(index, we, o)
			n++
		}
	}
	return n
}

// BenchmarkRolloutOverhead is the pair "rollout per device-wave / fleet
// runner per device" (goal: at most 1.2), measured in CPU time in the same
// iteration: 20,000 devices through fleet.Run, and the same devices through
// a plan of five waves, every wave sending each device its own deployment
// ("own") or the waves of testPlan ("mixed": shares, a newer package,
// native mode with enrollment, an uninstall, a repair, an older package).
// Both run on every core and on one worker. The mixed plan's deployments
// cost more than a fleet's (enrollment, repairs): "hand-ratio" compares the
// rollout with the same device-waves deployed by hand on one machine
// (plainRollout), the rollout's own cost.
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
				var runCPU, rollCPU, handCPU time.Duration
				deviceWaves, handWaves := 0, 0
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
					c = cpuTime()
					handWaves += plainRollout(plan.p, all)
					handCPU += cpuTime() - c
				}
				perRun := float64(runCPU.Nanoseconds()) / float64(n*b.N)
				perWave := float64(rollCPU.Nanoseconds()) / float64(deviceWaves)
				perHand := float64(handCPU.Nanoseconds()) / float64(handWaves)
				b.ReportMetric(perWave/perRun, "ratio")
				b.ReportMetric(perWave/perHand, "hand-ratio")
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
