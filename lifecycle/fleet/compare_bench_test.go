package fleet_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// enrollEverywhere is the change the benchmarks compare with: every package
// enforces certificate enrollment, and every site has its hardware
// inventory extended.
func enrollEverywhere(e fleet.Entry) fleet.Entry {
	e.Deployment.Package.Settings = ini.Settings{ClientInstallAction: e.Deployment.Package.Settings.ClientInstallAction,
		CertEnrollAction: ini.CertEnroll}
	e.Deployment.Site.InventoryExtended = true
	return e
}

// BenchmarkCompare is the pair "what-if over a fleet / one run of the
// fleet": each iteration runs 20,000 generated devices through Run, the
// same devices changed by enrollEverywhere through Run, and both through
// Compare, and reports the ratio of Compare's CPU time to the first run's
// (cpu-ratio, goal: at most 2.2) and to both runs' (two-runs-ratio), and
// of the wall times (wall-ratio), at every core and on one worker.
func BenchmarkCompare(b *testing.B) {
	for _, workers := range []int{0, 1} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			const n = 20_000
			ctx := context.Background()
			opts := fleet.Options{Workers: workers, Machine: fleetOptions}
			var runCPU, otherCPU, cmpCPU, runWall, cmpWall time.Duration
			for b.Loop() {
				c, w := cpuTime(), time.Now()
				r, err := fleet.Run(ctx, generatedFleet(n), opts)
				runCPU += cpuTime() - c
				runWall += time.Since(w)
				if err != nil || r.Devices != n {
					b.Fatalf("Run: %d devices, %v", r.Devices, err)
				}
				c = cpuTime()
				r, err = fleet.Run(ctx, changedFleet(generatedFleet(n), enrollEverywhere), opts)
				otherCPU += cpuTime() - c
				if err != nil || r.Devices != n {
					b.Fatalf("Run: %d devices, %v", r.Devices, err)
				}
				c, w = cpuTime(), time.Now()
				cmp, err := fleet.Compare(ctx, generatedFleet(n), enrollEverywhere, opts)
				cmpCPU += cpuTime() - c
				cmpWall += time.Since(w)
				if err != nil || cmp.Devices != n || cmp.Changed == 0 {
					b.Fatalf("Compare: %d devices, %d changed, %v", cmp.Devices, cmp.Changed, err)
				}
			}
			b.ReportMetric(float64(cmpCPU)/float64(runCPU), "cpu-ratio")
			b.ReportMetric(float64(cmpCPU)/float64(runCPU+otherCPU), "two-runs-ratio")
			b.ReportMetric(float64(cmpWall)/float64(runWall), "wall-ratio")
			b.ReportMetric(float64(cmpCPU.Nanoseconds())/float64(n*b.N), "compare-cpu-ns/device")
			b.ReportMetric(float64(runCPU.Nanoseconds())/float64(n*b.N), "run-cpu-ns/device")
		})
	}
}
