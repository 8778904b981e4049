package lifecycle_test

import (
	"context"
	"iter"
	"runtime"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
)

// fleetCombinations is the number of devices generatedFleet needs to go
// through every combination of its inputs once.
var fleetCombinations = len(lifecycle.Methods()) * len(certs.Platforms()) * 4 * len(certs.Securities()) *
	len(lifecycle.Connections()) * len(certs.EnrollmentConditionsAll()) * 4 * len(certs.SiteModes()) * 2

var fleetClock = lifecycle.WithClock(func() time.Time { return time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC) })

// generatedFleet yields n scenarios that cycle through every platform,
// security, installed state, connection, method, enrollment condition and
// site mode, with the client or the password program, and a few repairs.
func generatedFleet(n int) iter.Seq2[lifecycle.Scenario, error] {
	deployed := version.MustParse("4.00.6487.2000")
	installed := []version.Version{{}, version.MustParse("4.00.6221.1000"), deployed, version.MustParse("4.00.6487.2157")}
	platforms := certs.Platforms()
	securities := certs.Securities()
	conns := lifecycle.Connections()
	methods := lifecycle.Methods()
	enrolls := certs.EnrollmentConditionsAll()
	modes := certs.SiteModes()
	folder := lifecycle.CompleteFolder(platforms...)
	settings := []ini.Settings{
		{ClientInstallAction: ini.ActionInstall, CertEnrollAction: ini.CertEnroll},
		{ClientInstallAction: ini.ActionInstall},
		{ClientInstallAction: ini.ActionNone, CertEnrollAction: ini.CertEnroll},
		{ClientInstallAction: ini.ActionUninstall},
	}
	return func(yield func(lifecycle.Scenario, error) bool) {
		for i := range n {
			k := i
			pick := func(m int) int { j := k % m; k /= m; return j }
			sc := lifecycle.Scenario{
				Component: lifecycle.Client,
				Method:    methods[pick(len(methods))],
				Device: lifecycle.Device{
					ID:         "dev",
					Platform:   platforms[pick(len(platforms))],
					Installed:  installed[pick(len(installed))],
					Security:   securities[pick(len(securities))],
					Connection: conns[pick(len(conns))],
					Enrollment: enrolls[pick(len(enrolls))],
				},
				Package: lifecycle.Package{Version: deployed, Folder: folder, Settings: settings[pick(len(settings))]},
				Site: lifecycle.Site{Mode: modes[pick(len(modes))], ClientAgent: true, ManagementPoint: true,
					DistributionPoint: true, InventoryExtended: pick(2) == 0},
				Repair: i%17 == 0,
			}
			if sc.Device.Platform == certs.PocketPC2003 && i%3 == 0 {
				sc.Component = lifecycle.PasswordProgram
			}
			if !yield(sc, nil) {
				return
			}
		}
	}
}

// BenchmarkFleet runs a generated fleet of 100,000 devices on every core
// and reports devices per second.
func BenchmarkFleet(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		r, err := lifecycle.RunFleet(ctx, generatedFleet(n), lifecycle.FleetOptions{Machine: []lifecycle.Option{fleetClock}})
		total += time.Since(start)
		if err != nil || r.Devices != n {
			b.Fatalf("RunFleet: %d devices, %v", r.Devices, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "devices/s")
}

// BenchmarkFleetScaling runs a fleet of 20,000 devices on one worker and on
// every core in each iteration and reports the speed-up of every core over
// one.
func BenchmarkFleetScaling(b *testing.B) {
	const n = 20_000
	ctx := context.Background()
	var one, all time.Duration
	run := func(workers int) time.Duration {
		start := time.Now()
		r, err := lifecycle.RunFleet(ctx, generatedFleet(n), lifecycle.FleetOptions{Workers: workers, Machine: []lifecycle.Option{fleetClock}})
		if err != nil || r.Devices != n {
			b.Fatalf("RunFleet: %d devices, %v", r.Devices, err)
		}
		return time.Since(start)
	}
	for b.Loop() {
		one += run(1)
		all += run(runtime.GOMAXPROCS(0))
	}
	b.ReportMetric(one.Seconds()/all.Seconds(), "speedup")
	b.ReportMetric(float64(n)*float64(b.N)/all.Seconds(), "devices/s")
}
