package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

var rolloutStart = time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC)

var rolloutOptions = lifecycle.Options{Clock: func() time.Time { return rolloutStart }}

// rolloutFleet is generatedFleet with a unique id per device, and every
// 53rd device yielded with an error.
func rolloutFleet(n int) iter.Seq2[fleet.Entry, error] {
	return withBadDevices(func(yield func(fleet.Entry, error) bool) {
		i := 0
		for e, err := range generatedFleet(n) {
			e.Device.ID = fmt.Sprintf("dev-%05d", i)
			i++
			if !yield(e, err) {
				return
			}
		}
	}, 53)
}

// testPlan is a plan with every kind of wave: shares, a newer package, a
// settings change to native mode with enrollment on some platforms and
// connections, an uninstall of the devices of one computer, a repair by
// id, and an older package with certificate renewal.
func testPlan() *fleet.Plan {
	r3 := version.MustParse("4.00.6487.2157")
	folder := lifecycle.CompleteFolder(certs.Platforms()...)
	pkg := func(v version.Version, s ini.Settings) lifecycle.Package {
		return lifecycle.Package{Version: v, Folder: folder, Settings: s}
	}
	return &fleet.Plan{
		Packages: map[string]lifecycle.Package{
			"r3":        pkg(r3, ini.Settings{ClientInstallAction: ini.ActionInstall}),
			"r3-enroll": pkg(r3, ini.Settings{ClientInstallAction: ini.ActionNone, CertEnrollAction: ini.CertEnroll}),
			"retire":    pkg(r3, ini.Settings{ClientInstallAction: ini.ActionUninstall}),
			"rtm":       pkg(version.MustParse("4.00.5931.0000"), ini.Settings{ClientInstallAction: ini.ActionInstall}),
		},
		Sites: map[string]lifecycle.Site{
			"native": {Mode: certs.Native, ClientAgent: true, ManagementPoint: true, DistributionPoint: true, InventoryExtended: true},
		},
		Waves: []fleet.Wave{
			{Name: "pilot", Target: fleet.Target{Share: &fleet.Share{To: 10}}},
			{Name: "the rest", After: 7 * 24 * time.Hour, Target: fleet.Target{Share: &fleet.Share{From: 10, To: 100}}},
			{Name: "R3", After: 30 * 24 * time.Hour, Package: "r3", Component: lifecycle.Client, Target: fleet.Target{All: true}},
			{Name: "native", Package: "r3-enroll", Site: "native", Target: fleet.Target{
				Platforms:   []certs.Platform{certs.WM6Professional, certs.WM6Classic},
				Connections: []lifecycle.Connection{lifecycle.ViaManagedComputer, lifecycle.Direct}}},
			{Name: "retire", After: time.Hour, Package: "retire", Method: lifecycle.ManualTransfer, Target: fleet.Target{Computers: []string{"pc-01"}}},
			{Name: "repair", Package: "r3", Repair: true, Target: fleet.Target{IDs: []string{"dev-00003", "dev-00010", "dev-00104", "dev-01000"}}},
			{Name: "back to RTM", Package: "rtm", RenewCertificate: true, Target: fleet.Target{Share: &fleet.Share{From: 40, To: 60.5},
				Platforms: []certs.Platform{certs.PocketPC2003, certs.WindowsCE, certs.WM5PocketPC}}},
		},
	}
}

// targeted restates a target's rule: every criterion given (a list that
// is not empty) holds.
func targeted(t fleet.Target, d lifecycle.Device) bool {
	if t.All {
		return true
	}
	if len(t.IDs) > 0 && !slices.Contains(t.IDs, d.ID) ||
		len(t.Platforms) > 0 && !slices.Contains(t.Platforms, d.Platform) ||
		len(t.Connections) > 0 && !slices.Contains(t.Connections, d.Connection) ||
		len(t.Computers) > 0 && !slices.ContainsFunc(t.Computers, func(c string) bool { return strings.EqualFold(c, d.Computer) }) {
		return false
	}
	if s := t.Share; s != nil {
		p := refPlace(d.ID)
		return int(s.From*100+0.5) <= p && p < int(s.To*100+0.5)
	}
	return true
}

// waveEntry is the entry e as wave w of plan sends it, restated: the
// wave's package, site, method and component where it names them, its
// repair and renewal always.
func waveEntry(plan *fleet.Plan, w *fleet.Wave, e fleet.Entry) fleet.Entry {
	if w.Package != "" {
		e.Deployment.Package, e.Package = plan.Packages[w.Package], w.Package
	}
	if w.Site != "" {
		e.Deployment.Site, e.Site = plan.Sites[w.Site], w.Site
	}
	if w.Method != 0 {
		e.Deployment.Method = w.Method
	}
	if w.Component != 0 {
		e.Deployment.Component = w.Component
	}
	e.Deployment.Repair, e.Deployment.RenewCertificate = w.Repair, w.RenewCertificate
	return e
}

// byHand is what a rollout must give, restated: for each device a Machine
// of its own, and each wave that targets it deployed by hand, in order,
// with the wave's deployment made from the device's own and the clock at
// the wave's time. The plan's names are those of plan.Packages and
// plan.Sites as spelled.
func byHand(plan *fleet.Plan, fleetItems []item, start time.Time, details bool) ([]fleet.History, fleet.PlanReport) {
	ctx := context.Background()
	times := make([]time.Time, len(plan.Waves))
	at := start
	for i, w := range plan.Waves {
		after := w.After
		if after == 0 && i > 0 {
			after = 24 * time.Hour // a day, when a later wave gives no delay
		}
		at = at.Add(after)
		times[i] = at
	}
	report := fleet.PlanReport{Devices: len(fleetItems), Waves: make([]fleet.WaveReport, len(plan.Waves))}
	aggs := make([]*fleet.Aggregator, len(plan.Waves))
	for i, w := range plan.Waves {
		aggs[i] = fleet.NewAggregator(fleet.ReportOptions{Details: details})
		report.Waves[i].Name, report.Waves[i].Time = w.Name, times[i]
	}
	failedBy := map[string]*fleet.FailedBy{}
	unread := fleet.NewAggregator(fleet.ReportOptions{Details: details}) // its failure report
	var hs []fleet.History
	for index, it := range fleetItems {
		now := start
		var m *lifecycle.Machine
		err := it.err
		if err == nil {
			m, err = lifecycle.NewMachine(it.e.Device, lifecycle.Options{Clock: func() time.Time { return now }})
		}
		h := fleet.History{Index: index, Entry: it.e, Err: err, Device: it.e.Device}
		if err != nil {
			unread.Add(index, it.e, lifecycle.Outcome{Device: it.e.Device.ID, Err: err})
		}
		var failed []int
		for i, w := range plan.Waves {
			if !targeted(w.Target, it.e.Device) {
				report.Waves[i].NotTargeted++
				continue
			}
			we := waveEntry(plan, &w, it.e)
			v := fleet.Visit{Wave: i, Time: times[i], Deployment: we.Deployment, Package: we.Package, Site: we.Site}
			if err != nil {
				v.Outcome = lifecycle.Outcome{Device: we.Device.ID, Component: we.Deployment.Component, Method: we.Deployment.Method, Err: err}
				if we.Device.Platform.IsValid() {
					v.Outcome.Platform = we.Device.Platform
				}
				report.Waves[i].NotRun++
			} else {
				now = times[i]
				v.Outcome, _ = m.Deploy(ctx, we.Deployment)
				v.Ran = true
				report.Waves[i].Ran++
				if v.Outcome.From != v.Outcome.To {
					report.Waves[i].Changed++
				}
			}
			if fleet.FailureOf(v.Outcome) != fleet.NoFailure {
				failed = append(failed, i)
			}
			aggs[i].Add(index, we, v.Outcome)
			h.Visits = append(h.Visits, v)
		}
		if m != nil {
			h.Device = m.Device()
		}
		if failed != nil {
			k := fmt.Sprint(failed)
			if failedBy[k] == nil {
				failedBy[k] = &fleet.FailedBy{Waves: failed}
			}
			failedBy[k].Count++
			if details {
				failedBy[k].Devices = append(failedBy[k].Devices, fleet.DeviceRef{Index: index, ID: it.e.Device.ID})
			}
		}
		hs = append(hs, h)
	}
	for i := range aggs {
		report.Waves[i].Report = aggs[i].Report()
	}
	for _, f := range failedBy {
		report.FailedBy = append(report.FailedBy, *f)
	}
	slices.SortFunc(report.FailedBy, func(a, b fleet.FailedBy) int { return slices.Compare(a.Waves, b.Waves) })
	report.Unread = unread.Report().Failure
	return hs, report
}

// rollout runs plan over the items and returns the histories handed to
// OnHistory, checking that they come in fleet order.
func rollout(t fatalf, plan *fleet.Plan, fleetItems []item, opts fleet.PlanOptions) ([]fleet.History, fleet.PlanReport, error) {
	var hs []fleet.History
	opts.Machine = rolloutOptions
	opts.OnHistory = func(h fleet.History) {
		if h.Index != len(hs) {
			t.Fatalf("history of device %d after %d histories", h.Index, len(hs))
		}
		hs = append(hs, h)
	}
	r, err := plan.Run(context.Background(), fromItems(fleetItems), opts)
	return hs, r, err
}

// TestRolloutMatchesByHand is the acceptance test: a rollout gives the
// same histories, and the same reports, as deploying each wave by hand to
// a Machine per device, whatever the number of workers. As the product
// page's decision table says, what one wave installed a later one finds:
// "Older client than deployed client: Upgrade to deployed client", "Same
// client as staged client: Reconfigure client settings".
func TestRolloutMatchesByHand(t *testing.T) {
	n, workers := 2000, []int{1, 2, 3}
	if raceEnabled {
		n, workers = 200, []int{1, 3}
	}
	plan := testPlan()
	all := items(rolloutFleet(n))
	wantH, wantR := byHand(plan, all, rolloutStart, true)
	upgraded := 0
	for _, h := range wantH {
		for j := 1; j < len(h.Visits); j++ {
			if h.Visits[j].Outcome.Event == lifecycle.Upgrade && h.Visits[j-1].Outcome.Event == lifecycle.Install && h.Visits[j].Outcome.Err == nil {
				upgraded++ // what one wave installed, a later one upgraded
				break
			}
		}
	}
	if upgraded == 0 {
		t.Fatal("no device was installed by one wave and upgraded by a later one")
	}
	for _, workers := range workers {
		gotH, gotR, err := rollout(t, plan, all, fleet.PlanOptions{Workers: workers, Report: fleet.ReportOptions{Details: true}})
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(wantH, gotH, cmp.Comparer(sameError)) {
			t.Fatalf("%d workers: histories mismatch (-want +got):\n%s", workers, cmp.Diff(wantH, gotH, cmp.Comparer(sameError)))
		}
		if !cmp.Equal(wantR, gotR) {
			t.Fatalf("%d workers: report mismatch (-want +got):\n%s", workers, cmp.Diff(wantR, gotR))
		}
		for _, w := range gotR.Waves {
			if w.Ran+w.NotRun+w.NotTargeted != gotR.Devices || w.Report.Devices != w.Ran+w.NotRun {
				t.Fatalf("wave %q counts %d+%d+%d devices of %d", w.Name, w.Ran, w.NotRun, w.NotTargeted, gotR.Devices)
			}
		}
	}
	// Without details, and without OnHistory, the counts are the same.
	r, err := plan.Run(context.Background(), fromItems(all), fleet.PlanOptions{Machine: rolloutOptions})
	if err != nil {
		t.Fatal(err)
	}
	for i := range wantR.Waves {
		if w, g := wantR.Waves[i], r.Waves[i]; w.Ran != g.Ran || w.Changed != g.Changed || !cmp.Equal(withoutDetails(w.Report), g.Report) {
			t.Fatalf("wave %d without details: %+v, want %+v", i, g, w)
		}
	}
}

// TestRolloutMatchesByHandProperty: the same for random plans over parts
// of the fleet.
func TestRolloutMatchesByHandProperty(t *testing.T) {
	all := items(rolloutFleet(2000))
	names := []string{"", "r3", "r3-enroll", "retire", "rtm"}
	base := testPlan()
	rapid.Check(t, func(t *rapid.T) {
		plan := &fleet.Plan{Packages: base.Packages, Sites: base.Sites}
		for i := range rapid.IntRange(1, 5).Draw(t, "waves") {
			w := fleet.Wave{
				Name:             fmt.Sprint("w", i),
				Package:          rapid.SampledFrom(names).Draw(t, "package"),
				Site:             rapid.SampledFrom([]string{"", "native"}).Draw(t, "site"),
				Method:           rapid.SampledFrom(append(lifecycle.Methods(), 0)).Draw(t, "method"),
				Component:        rapid.SampledFrom(append(components, 0)).Draw(t, "component"),
				Repair:           rapid.Bool().Draw(t, "repair"),
				RenewCertificate: rapid.Bool().Draw(t, "renew"),
				After:            time.Duration(rapid.IntRange(0, 3).Draw(t, "after")) * time.Hour,
			}
			switch rapid.IntRange(0, 4).Draw(t, "target") {
			case 0:
				w.Target.All = true
			case 1:
				a := rapid.IntRange(0, 10000).Draw(t, "from")
				w.Target.Share = &fleet.Share{From: float64(a) / 100, To: float64(rapid.IntRange(a, 10000).Draw(t, "to")) / 100}
			case 2:
				w.Target.Platforms = rapid.SliceOfNDistinct(rapid.SampledFrom(certs.Platforms()), 1, 3, rapid.ID).Draw(t, "platforms")
			case 3:
				w.Target.Connections = rapid.SliceOfNDistinct(rapid.SampledFrom(lifecycle.Connections()), 1, 2, rapid.ID).Draw(t, "connections")
				w.Target.Computers = rapid.SliceOfN(rapid.SampledFrom(computers), 0, 2).Draw(t, "computers")
			case 4:
				w.Target.IDs = rapid.SliceOfN(rapid.Map(rapid.IntRange(0, 2100), func(i int) string { return fmt.Sprintf("dev-%05d", i) }), 1, 50).Draw(t, "ids")
			}
			plan.Waves = append(plan.Waves, w)
		}
		first := rapid.IntRange(0, len(all)-1).Draw(t, "first")
		part := all[first:min(len(all), first+rapid.IntRange(0, 80).Draw(t, "devices"))]
		wantH, wantR := byHand(plan, part, rolloutStart, true)
		gotH, gotR, err := rollout(t, plan, part, fleet.PlanOptions{Workers: rapid.IntRange(1, 3).Draw(t, "workers"),
			Report: fleet.ReportOptions{Details: true}})
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(wantH, gotH, cmp.Comparer(sameError)) {
			t.Fatalf("histories mismatch (-want +got):\n%s", cmp.Diff(wantH, gotH, cmp.Comparer(sameError)))
		}
		if !cmp.Equal(wantR, gotR) {
			t.Fatalf("report mismatch (-want +got):\n%s", cmp.Diff(wantR, gotR))
		}
	})
}

// fleetFile is a fleet file with sites and packages, for the plans that
// name them.
const fleetFile = `{"sites": {"Central": {"mode": "mixed", "clientAgent": true, "managementPoint": true, "distributionPoint": true, "inventoryExtended": true}},
 "packages": {"SP2": {"version": "4.00.6487.2000"}, "retire": {"version": "4.00.6487.2000", "ini": "[ClientSettings]\r\nClientInstallAction=Uninstall\r\n"}},
  "devices": [
  {"device": {"id": "a", "platform": "WM6Pro", "security": "Unrestricted", "connection": "direct"},
   "deployment": {"package": "sp2", "site": "central", "method": "manual transfer"}},
  {"device": {"id": "b", "platform": "WM6Pro", "client": "4.00.6221.1000", "security": "Unrestricted", "connection": "direct"},
   "deployment": {"package": "sp2", "site": "central", "method": "manual transfer", "repair": true}}
 ]}`

// TestRolloutFleetNames: waves name the fleet file's packages and sites,
// ignoring case, as the file spells them in the reports; an unknown name
// or one of the plan's that the file has too stops the plan before
// anything runs. Modelling choice: a wave that gives no package sends
// each device its own, and a repair only when the wave asks for one.
func TestRolloutFleetNames(t *testing.T) {
	plan := readPlan(t, `{"packages": {"r3": {"version": "4.00.6487.2157"}}, "waves": [
		{"name": "own", "target": {"all": true}},
		{"name": "r3", "target": {"all": true}, "deployment": {"package": "R3", "site": "CENTRAL"}},
		{"name": "retire", "target": {"ids": ["a"]}, "deployment": {"package": "Retire"}}]}`)
	for _, text := range []string{fleetFile, devicesFirst(fleetFile)} {
		dec := fleet.NewDecoder(strings.NewReader(text), ini.Settings{})
		var hs []fleet.History
		r, err := plan.Run(context.Background(), dec.Devices(), fleet.PlanOptions{Decoder: dec, Machine: rolloutOptions,
			Report: fleet.ReportOptions{Details: true}, OnHistory: func(h fleet.History) { hs = append(hs, h) }})
		if err != nil || dec.Err() != nil || len(hs) != 2 {
			t.Fatalf("%v, %v, %d histories", err, dec.Err(), len(hs))
		}
		a, b := hs[0].Visits, hs[1].Visits
		switch {
		case len(a) != 3 || len(b) != 2:
			t.Fatalf("%d and %d visits", len(a), len(b))
		case a[0].Package != "SP2" || a[0].Site != "Central" || a[0].Outcome.Event != lifecycle.Install:
			t.Errorf("own: %+v", a[0])
		case b[0].Deployment.Repair || b[0].Outcome.Event != lifecycle.Upgrade:
			t.Errorf("own, for a device whose entry asks for a repair: %+v", b[0])
		case a[1].Package != "r3" || a[1].Site != "Central" || a[1].Deployment.Method != lifecycle.ManualTransfer ||
			a[1].Outcome.Event != lifecycle.Upgrade || a[1].Outcome.After != version.MustParse("4.00.6487.2157"):
			t.Errorf("r3: %+v", a[1])
		case a[2].Package != "retire" || a[2].Outcome.Event != lifecycle.Uninstall || hs[0].Device.Client.IsValid():
			t.Errorf("retire: %+v", a[2])
		case r.Waves[0].Report.SoftwareDistribution != nil || r.Waves[1].Report.StatusDetails[0].ID != "a":
			t.Errorf("%+v", r.Waves[1].Report)
		}
	}
	for _, tc := range []struct{ plan, field, want string }{
		{`{"waves": [{"name": "x", "target": {"all": true}, "deployment": {"package": "sp3"}}]}`,
			`waves["x"].deployment.package`, `no package "sp3" in the plan or the fleet file`},
		{`{"waves": [{"name": "x", "target": {"all": true}, "deployment": {"site": "branch"}}]}`,
			`waves["x"].deployment.site`, `no site "branch" in the plan or the fleet file`},
		{`{"packages": {"sp2": {"version": "1.0.0.0"}}, "waves": [{"name": "x", "target": {"all": true}}]}`,
			`packages["sp2"]`, "the fleet file has a package of that name too"},
		{`{"sites": {"CENTRAL": {"mode": "mixed"}}, "waves": [{"name": "x", "target": {"all": true}}]}`,
			`sites["CENTRAL"]`, "the fleet file has a site of that name too"},
	} {
		plan := readPlan(t, tc.plan)
		dec := fleet.NewDecoder(strings.NewReader(fleetFile), ini.Settings{})
		called := false
		r, err := plan.Run(context.Background(), dec.Devices(), fleet.PlanOptions{Decoder: dec,
			Machine:   lifecycle.Options{OnStep: func(context.Context, lifecycle.Step, lifecycle.Step) { called = true }},
			OnHistory: func(fleet.History) { called = true }})
		var fe *fleet.Error
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.want) || called || r.Devices != 0 {
			t.Errorf("%s: %v (field %q), want field %q and %q; ran: %v", tc.plan, err, field(fe), tc.field, tc.want, called)
		}
		// Without the decoder, the names are the plan's alone.
		if strings.Contains(tc.want, "no ") {
			_, err := plan.Run(context.Background(), rolloutFleet(3), fleet.PlanOptions{})
			if !strings.Contains(err.Error(), "in the plan, and no fleet file") {
				t.Errorf("%v", err)
			}
		}
	}
	// A fleet file that cannot be read: nothing runs, and the plan's names
	// are not looked up in what was not read.
	plan = readPlan(t, `{"waves": [{"name": "x", "target": {"all": true}, "deployment": {"package": "sp2"}}]}`)
	dec := fleet.NewDecoder(strings.NewReader(`{"sites": 3}`), ini.Settings{})
	r, err := plan.Run(context.Background(), dec.Devices(), fleet.PlanOptions{Decoder: dec})
	if err != nil || dec.Err() == nil || r.Devices != 0 || len(r.Waves) != 1 {
		t.Errorf("%v, %v, %+v", err, dec.Err(), r)
	}
}

// TestRolloutTimes: each wave's logs are stamped at the rollout's start
// plus the delays of the waves up to it; a later wave without a delay runs
// a day after the one before (modelling choice), so that lifecycle.Verify
// judges the latest wave's run.
func TestRolloutTimes(t *testing.T) {
	plan := &fleet.Plan{Packages: testPlan().Packages, Waves: []fleet.Wave{
		{Name: "install", After: time.Hour, Package: "r3", Component: lifecycle.Client, Target: fleet.Target{All: true}},
		{Name: "again", Package: "r3", Component: lifecycle.Client, Target: fleet.Target{All: true}},
		{Name: "uninstall", After: 90 * time.Second, Package: "retire", Component: lifecycle.Client, Target: fleet.Target{All: true}},
	}}
	hs, r, err := rollout(t, plan, items(rolloutFleet(40)), fleet.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{rolloutStart.Add(time.Hour), rolloutStart.Add(25 * time.Hour), rolloutStart.Add(25*time.Hour + 90*time.Second)}
	for i, w := range r.Waves {
		if !w.Time.Equal(want[i]) {
			t.Errorf("wave %d at %v, want %v", i, w.Time, want[i])
		}
	}
	checked := 0
	for _, h := range hs {
		var logs []lifecycle.LogFile
		for _, v := range h.Visits {
			for _, l := range v.Outcome.Logs {
				if !l.Time.Equal(want[v.Wave]) {
					t.Fatalf("device %d wave %d: log at %v", h.Index, v.Wave, l.Time)
				}
			}
			logs = append(logs, v.Outcome.Logs...)
		}
		if last := h.Visits[len(h.Visits)-1]; last.Outcome.Transitioned() && last.Outcome.Err == nil {
			checked++
			if v := lifecycle.Verify(logs); v.Installed || !v.Judged.Equal(want[2]) {
				t.Errorf("device %d: %+v after an uninstall", h.Index, v)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no device was uninstalled")
	}
}

// TestRolloutCounts: every device is counted once in every wave, as run,
// not run or not targeted, also when ctx ends part way: the rollout stops
// between devices, and the waves not run on the devices pulled count as not
// run.
func TestRolloutCounts(t *testing.T) {
	plan := testPlan()
	for _, workers := range []int{1, 2, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		delivered, unread := 0, 0
		ran, notRun := make([]int, len(plan.Waves)), make([]int, len(plan.Waves))
		r, err := plan.Run(ctx, rolloutFleet(20_000), fleet.PlanOptions{Workers: workers, Machine: rolloutOptions,
			OnHistory: func(h fleet.History) {
				if h.Err != nil {
					unread++
				}
				for _, v := range h.Visits {
					if v.Ran {
						ran[v.Wave]++
					} else {
						notRun[v.Wave]++
					}
				}
				if delivered++; delivered == 700 {
					cancel()
				}
			}})
		cancel()
		if !errors.Is(err, context.Canceled) || r.Devices < 700 || r.Devices >= 20_000 {
			t.Fatalf("%d workers: %d devices, %v", workers, r.Devices, err)
		}
		if workers == 1 && r.Devices != 700 {
			t.Errorf("one worker: %d devices pulled, want 700: it stops between devices", r.Devices)
		}
		if delivered != r.Devices {
			t.Errorf("%d workers: %d histories for %d devices", workers, delivered, r.Devices)
		}
		if n := failed(r.Unread); n != unread || unread == 0 {
			t.Errorf("%d workers: %d devices unread, %d histories with an error", workers, n, unread)
		}
		for i, w := range r.Waves {
			if w.Ran+w.NotRun+w.NotTargeted != r.Devices || w.Report.Devices != w.Ran+w.NotRun || w.Ran != ran[i] || w.NotRun != notRun[i] ||
				w.NotRun > w.Report.Health.NotRun+failedWith(w.Report, fleet.FailureInput) {
				t.Errorf("%d workers, wave %q: %d+%d+%d of %d devices (histories: %d ran, %d not); report %d devices, %d not run",
					workers, w.Name, w.Ran, w.NotRun, w.NotTargeted, r.Devices, ran[i], notRun[i], w.Report.Devices, w.Report.Health.NotRun)
			}
		}
	}
	// A context done before Run: nothing is pulled.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pulled := false
	r, err := plan.Run(ctx, func(func(fleet.Entry, error) bool) { pulled = true }, fleet.PlanOptions{})
	if !errors.Is(err, context.Canceled) || pulled || r.Devices != 0 || len(r.Waves) != len(plan.Waves) {
		t.Errorf("%v %v %+v", err, pulled, r)
	}
}

// failed returns the devices of groups.
func failed(groups []fleet.FailureGroup) int {
	n := 0
	for _, g := range groups {
		n += g.Count
	}
	return n
}

// TestRolloutUnreadNotTargeted: a device that could not be read shows in
// the plan report's Unread whether a wave targets it or not; one no wave
// targets is in no wave's report.
func TestRolloutUnreadNotTargeted(t *testing.T) {
	good := lifecycle.Device{ID: "good", Platform: certs.WM6Professional, Connection: lifecycle.Direct}
	refused := good
	refused.ID, refused.Platform = "refused", certs.Platform(200) // Restore refuses it
	yieldErr := errors.New("line 3: not a device")
	devices := []item{{e: fleet.Entry{Device: good}}, {e: fleet.Entry{Device: lifecycle.Device{ID: "broken"}}, err: yieldErr},
		{e: fleet.Entry{Device: refused}}}
	_, restoreErr := lifecycle.NewMachine(refused, rolloutOptions)
	if !errors.Is(restoreErr, lifecycle.ErrInvalidInput) {
		t.Fatalf("NewMachine of a device of platform 200: %v", restoreErr)
	}
	plan := &fleet.Plan{Waves: []fleet.Wave{{Name: "one", Target: fleet.Target{IDs: []string{"good", "refused"}}}}}
	for _, workers := range []int{1, 2} {
		r, err := plan.Run(context.Background(), fromItems(devices), fleet.PlanOptions{Workers: workers,
			Report: fleet.ReportOptions{Details: true}, Machine: rolloutOptions})
		if err != nil {
			t.Fatal(err)
		}
		w := r.Waves[0]
		if w.Ran != 1 || w.NotRun != 1 || w.NotTargeted != 1 || w.Report.Devices != 2 {
			t.Errorf("%d workers: wave counts %d ran, %d not run, %d not targeted, report of %d", workers, w.Ran, w.NotRun, w.NotTargeted, w.Report.Devices)
		}
		want := []fleet.FailureGroup{
			{Failure: fleet.FailureInput, Count: 1, Devices: []fleet.FailedDevice{{Index: 2, ID: "refused", Error: restoreErr.Error()}}},
			{Failure: fleet.FailureRejected, Count: 1, Devices: []fleet.FailedDevice{{Index: 1, ID: "broken", Error: yieldErr.Error()}}},
		}
		if diff := cmp.Diff(want, r.Unread); diff != "" {
			t.Errorf("%d workers: unread (-want +got):\n%s", workers, diff)
		}
	}
}

// TestRolloutCanceledMidDevice: a context that ends during one device's
// waves stops its deployment in progress at the next chain step and
// leaves its later waves not run; the device is still counted once in
// every wave, and Run returns ctx's error although fleet ended.
func TestRolloutCanceledMidDevice(t *testing.T) {
	plan := &fleet.Plan{Packages: testPlan().Packages, Waves: []fleet.Wave{
		{Name: "a", Package: "r3", Target: fleet.Target{All: true}},
		{Name: "b", Package: "retire", Target: fleet.Target{All: true}},
		{Name: "c", Package: "r3", Target: fleet.Target{All: true}},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dev := lifecycle.Device{ID: "d", Platform: certs.WindowsCE, Security: certs.Unrestricted.Security(), Connection: lifecycle.Direct}
	entry := fleet.Entry{Device: dev, Deployment: lifecycle.Deployment{Component: lifecycle.Client, Method: lifecycle.ManualTransfer,
		Site: lifecycle.Site{Mode: certs.Mixed, ClientAgent: true}}}
	steps := 0
	var h fleet.History
	r, err := plan.Run(ctx, fromItems([]item{{e: entry}}), fleet.PlanOptions{Workers: 1,
		Machine: lifecycle.Options{OnStep: func(_ context.Context, _, to lifecycle.Step) {
			if steps++; to == lifecycle.DMInstaller && steps > 3 {
				cancel() // during the second wave
			}
		}},
		OnHistory: func(got fleet.History) { h = got }})
	if !errors.Is(err, context.Canceled) || len(h.Visits) != 3 {
		t.Fatalf("%v, %+v", err, h)
	}
	a, b, c := h.Visits[0], h.Visits[1], h.Visits[2]
	if !a.Ran || a.Outcome.Err != nil || !b.Ran || !errors.Is(b.Outcome.Err, context.Canceled) || b.Outcome.Transitioned() ||
		c.Ran || !errors.Is(c.Outcome.Err, context.Canceled) || h.Device.Client != a.Outcome.After {
		t.Errorf("%+v", h)
	}
	if w := r.Waves; w[0].Ran != 1 || w[1].Ran != 1 || w[2].NotRun != 1 || w[2].Report.Health.NotRun != 1 {
		t.Errorf("%+v", w)
	}
}

// rolloutPanics are the callbacks that panic in TestRolloutPanics, each
// run in a child process, where an unrecovered panic kills the process.
var rolloutPanics = map[string]func() (fleet.PlanOptions, iter.Seq2[fleet.Entry, error]){
	"OnHistory": func() (fleet.PlanOptions, iter.Seq2[fleet.Entry, error]) {
		return fleet.PlanOptions{OnHistory: func(h fleet.History) {
			if h.Index == 600 {
				panic(errBoom)
			}
		}}, rolloutFleet(2000)
	},
	"fleet": func() (fleet.PlanOptions, iter.Seq2[fleet.Entry, error]) {
		return fleet.PlanOptions{Workers: 2}, func(yield func(fleet.Entry, error) bool) {
			for e, err := range rolloutFleet(1000) {
				yield(e, err)
			}
			panic(errBoom)
		}
	},
	"OnStep": func() (fleet.PlanOptions, iter.Seq2[fleet.Entry, error]) {
		var n atomic.Int64
		return fleet.PlanOptions{Workers: 2, Machine: lifecycle.Options{
			OnStep: func(context.Context, lifecycle.Step, lifecycle.Step) {
				if n.Add(1) == 3000 {
					panic(errBoom)
				}
			}}}, rolloutFleet(2000)
	},
	"one worker": func() (fleet.PlanOptions, iter.Seq2[fleet.Entry, error]) {
		return fleet.PlanOptions{Workers: 1, Machine: lifecycle.Options{
			OnTransition: func(context.Context, lifecycle.State, lifecycle.State, lifecycle.Event) { panic(errBoom) }}}, rolloutFleet(100)
	},
	"Goexit": func() (fleet.PlanOptions, iter.Seq2[fleet.Entry, error]) {
		return fleet.PlanOptions{Workers: 2, Machine: lifecycle.Options{
			OnTransition: func(context.Context, lifecycle.State, lifecycle.State, lifecycle.Event) { runtime.Goexit() }}}, rolloutFleet(2000)
	},
}

// TestRolloutPanics: a panic in a callback reaches the goroutine that
// called Run with the original value (a worker's wrapped in a
// *fleet.PanicError with the worker's stack), and no goroutine is left
// behind.
func TestRolloutPanics(t *testing.T) {
	inChildren(t, rolloutPanics, func(name string) {
		defer recoveredInCaller(runtime.NumGoroutine(), func(v any) bool {
			switch name {
			case "OnHistory", "fleet":
				return v == errBoom
			case "Goexit":
				return workerPanic(v, "Goexit")
			}
			return workerPanic(v, "(*roller).device") && errors.Is(asError(v), errBoom)
		})
		opts, entries := rolloutPanics[name]()
		testPlan().Run(context.Background(), entries, opts)
	})
}

// TestRolloutCanceledInLastWave: a context that ends during the last
// wave's deployment to the last device stops that deployment at its next
// chain step: the wave did not run to its end, so Run returns ctx's error
// whatever the worker count, as Run of the fleet does.
func TestRolloutCanceledInLastWave(t *testing.T) {
	plan := &fleet.Plan{Packages: testPlan().Packages, Waves: []fleet.Wave{
		{Name: "a", Package: "r3", Target: fleet.Target{All: true}},
	}}
	dev := lifecycle.Device{ID: "d", Platform: certs.WindowsCE, Security: certs.Unrestricted.Security(), Connection: lifecycle.Direct}
	entry := fleet.Entry{Device: dev, Deployment: lifecycle.Deployment{Component: lifecycle.Client, Method: lifecycle.ManualTransfer,
		Site: lifecycle.Site{Mode: certs.Mixed, ClientAgent: true}}}
	for _, workers := range []int{1, 2} {
		ctx, cancel := context.WithCancel(context.Background())
		var h fleet.History
		r, err := plan.Run(ctx, fromItems([]item{{e: entry}}), fleet.PlanOptions{Workers: workers,
			Machine: lifecycle.Options{OnStep: func(_ context.Context, _, to lifecycle.Step) {
				if to == lifecycle.DMInstaller {
					cancel()
				}
			}},
			OnHistory: func(got fleet.History) { h = got }})
		cancel()
		if len(h.Visits) != 1 || !errors.Is(h.Visits[0].Outcome.Err, context.Canceled) || r.Waves[0].Report.Failed() != 1 {
			t.Fatalf("%d workers: %+v, %+v", workers, h, r)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%d workers: the last wave's deployment was canceled, Run returned %v", workers, err)
		}
	}
}
