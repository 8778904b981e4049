package fleet_test

import (
	"cmp"
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

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/roundtrip"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// changes are the deployments the tests compare a fleet with, by name:
// another ClientSettings.ini, package, site, method, and a device changed.
var changes = map[string]func(fleet.Entry) fleet.Entry{
	"settings": enrollEverywhere,
	"uninstall": func(e fleet.Entry) fleet.Entry {
		e.Deployment.Package.Settings = ini.Settings{ClientInstallAction: ini.ActionUninstall}
		return e
	},
	"package": func(e fleet.Entry) fleet.Entry {
		e.Deployment.Package.Version = version.MustParse("4.00.6487.2157")
		e.Deployment.Package.Folder = lifecycle.CompleteFolder(certs.PocketPC2003)
		return e
	},
	"site": func(e fleet.Entry) fleet.Entry {
		if e.Site == "branch" {
			e.Deployment.Site = lifecycle.Site{Mode: certs.Native, ClientAgent: true, ManagementPoint: true}
		}
		return e
	},
	"method": func(e fleet.Entry) fleet.Entry {
		e.Deployment.Method = lifecycle.ManualTransfer
		return e
	},
	"unlocked": func(e fleet.Entry) fleet.Entry {
		e.Device.Security = certs.Unrestricted.Security()
		return e
	},
	"invalid": func(e fleet.Entry) fleet.Entry {
		if e.Device.Platform == certs.WindowsCE {
			e.Device.Platform = 0
		}
		return e
	},
}

// withUserSettings gives every third device settings on the device that
// a deployment may overwrite, some of them changed by the user.
func withUserSettings(entries iter.Seq2[fleet.Entry, error]) iter.Seq2[fleet.Entry, error] {
	return func(yield func(fleet.Entry, error) bool) {
		i := 0
		for e, err := range entries {
			if i%3 == 0 {
				e.Device.Settings = []lifecycle.Setting{
					{Key: "CertEnrollAction", Value: "None", UserChanged: true},
					{Key: "ClientInstallAction", Value: "None", UserChanged: i%2 == 0},
				}
			}
			if !yield(e, err) {
				return
			}
			i++
		}
	}
}

// spreadFleet yields n entries of generatedFleet far apart, so that even a
// small fleet varies every input.
func spreadFleet(n int) iter.Seq2[fleet.Entry, error] {
	const step = 53 // a prime: no input's period divides it
	return func(yield func(fleet.Entry, error) bool) {
		i := 0
		for e, err := range generatedFleet(n * step) {
			if i%step == 0 && !yield(e, err) {
				return
			}
			i++
		}
	}
}

// compareByHand runs the fleet and the changed fleet in two separate runs
// of Run and compares their outcomes device by device: what Compare must
// give.
func compareByHand(t fatalf, entries iter.Seq2[fleet.Entry, error], change func(fleet.Entry) fleet.Entry, details bool) fleet.Comparison {
	t.Helper()
	var outs [2][]lifecycle.Outcome
	var want fleet.Comparison
	sides := [2]*fleet.Side{&want.Before, &want.After}
	for s, f := range []iter.Seq2[fleet.Entry, error]{entries, changedFleet(entries, change)} {
		r, err := fleet.Run(context.Background(), f, fleet.Options{Workers: 2, Machine: fleetOptions,
			Report:    fleet.ReportOptions{Details: details},
			OnOutcome: func(_ int, _ fleet.Entry, o lifecycle.Outcome) { outs[s] = append(outs[s], o) }})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		sides[s].Report = r
	}
	want.Devices = len(outs[0])
	groups := map[[2]fleet.Result]*fleet.Change{}
	for i := range want.Devices {
		var rs [2]fleet.Result
		for s := range 2 {
			o := outs[s][i]
			rs[s] = fleet.Result{From: o.From, Event: o.Event, Carried: o.Transitioned(), To: o.To,
				Failure: fleet.FailureOf(o), Health: fleet.HealthOf(o)}
			users := 0
			for _, w := range o.Overwritten {
				if w.UserChanged {
					users++
				}
			}
			if users > 0 {
				sides[s].UserSettings += users
				sides[s].UserDevices.Count++
				if details {
					sides[s].UserDevices.Devices = append(sides[s].UserDevices.Devices, fleet.DeviceRef{Index: i, ID: o.Device})
				}
			}
		}
		if rs[0] == rs[1] {
			continue
		}
		want.Changed++
		g := groups[rs]
		if g == nil {
			g = &fleet.Change{Before: rs[0], After: rs[1]}
			groups[rs] = g
		}
		g.Count++
		if details {
			g.Devices = append(g.Devices, fleet.DeviceRef{Index: i, ID: outs[0][i].Device})
		}
	}
	for _, g := range groups {
		want.Changes = append(want.Changes, *g)
	}
	fields := func(r fleet.Result) []int {
		carried := 0
		if r.Carried {
			carried = 1
		}
		return []int{int(r.From), int(r.Event), carried, int(r.To), int(r.Failure), int(r.Health)}
	}
	slices.SortFunc(want.Changes, func(a, b fleet.Change) int {
		return cmp.Or(b.Count-a.Count, slices.Compare(fields(a.Before), fields(b.Before)), slices.Compare(fields(a.After), fields(b.After)))
	})
	return want
}

// TestCompareMatchesTwoRuns: the what-if over a fleet equals two separate
// runs compared by hand, for every change, on one worker and several, with
// and without details and OnOutcome.
func TestCompareMatchesTwoRuns(t *testing.T) {
	n, workers := 3000, []int{0, 1, 3}
	if raceEnabled {
		n, workers = 300, []int{0, 1}
	}
	entries := fromItems(items(withBadDevices(withUserSettings(spreadFleet(n)), 97)))
	for name, change := range changes {
		for _, details := range []bool{true, false} {
			want := compareByHand(t, entries, change, details)
			if want.Changed == 0 || want.Devices != n {
				t.Fatalf("%s: the change changes %d devices of %d", name, want.Changed, want.Devices)
			}
			if name == "settings" && (want.Before.UserSettings == 0 || want.After.UserSettings == 0) {
				t.Fatalf("%s: no user-changed setting overwritten: %d, %d", name, want.Before.UserSettings, want.After.UserSettings)
			}
			for _, workers := range workers {
				opts := fleet.Options{Workers: workers, Machine: fleetOptions, Report: fleet.ReportOptions{Details: details}}
				got, err := fleet.Compare(context.Background(), entries, change, opts)
				if err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Fatalf("%s, details %v, %d workers: mismatch (-want +got):\n%s", name, details, workers, diff)
				}
			}
		}
	}
}

// TestCompareOnOutcome: OnOutcome sees both outcomes of every device, in
// fleet order, the entry first and the changed entry second, each with the
// outcome a run of that entry alone gives.
func TestCompareOnOutcome(t *testing.T) {
	n := 2000
	if raceEnabled {
		n = 400
	}
	entries := fromItems(items(withBadDevices(spreadFleet(n), 50)))
	var es []fleet.Entry
	var errs []error
	for e, err := range entries {
		es, errs = append(es, e), append(errs, err)
	}
	for _, workers := range []int{1, 2, 5} {
		calls := 0
		_, err := fleet.Compare(context.Background(), entries, changes["unlocked"], fleet.Options{Workers: workers, Machine: fleetOptions,
			OnOutcome: func(i int, e fleet.Entry, o lifecycle.Outcome) {
				want := es[calls/2]
				if calls%2 == 1 && errs[i] == nil {
					want = changes["unlocked"](want)
				}
				if i != calls/2 || !gocmp.Equal(want, e) || !gocmp.Equal(deployOne(want, errs[i]), o, gocmp.Comparer(sameError)) {
					t.Fatalf("%d workers: call %d: OnOutcome(%d, %q, %+v)", workers, calls, i, e.Device.ID, o)
				}
				calls++
			}})
		if err != nil || calls != 2*n {
			t.Fatalf("%d workers: %d calls, %v", workers, calls, err)
		}
	}
}

// TestCompareProperty: on random fleets and changes, Compare equals the
// devices run one by one, each on a machine of its own, and compared by
// hand; a device's two Results differ exactly when it is in a change
// group, and comparing a fleet with itself changes nothing.
func TestCompareProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var all []item
		for i := range rapid.IntRange(0, 12).Draw(t, "devices") {
			dev := lifecycletest.Device().Draw(t, "device")
			dev.ID = fmt.Sprint("d", i)
			dep := lifecycletest.Deployment(dev.Platform).Draw(t, "deployment")
			all = append(all, item{e: fleet.Entry{Device: dev, Deployment: dep, Site: rapid.SampledFrom([]string{"a", "b"}).Draw(t, "site")}})
		}
		names := slices.Sorted(func(yield func(string) bool) {
			for k := range changes {
				if !yield(k) {
					return
				}
			}
		})
		name := rapid.SampledFrom(append(names, "none")).Draw(t, "change")
		change := changes[name]
		entries := fromItems(all)
		got, err := fleet.Compare(context.Background(), entries, change, fleet.Options{Workers: rapid.IntRange(1, 3).Draw(t, "workers"),
			Machine: fleetOptions, Report: fleet.ReportOptions{Details: true}})
		if err != nil {
			t.Fatal(err)
		}
		if change == nil {
			change = func(e fleet.Entry) fleet.Entry { return e }
		}
		want := compareByHand(t, entries, change, true)
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Fatalf("mismatch (-want +got):\n%s", diff)
		}
		sum := 0
		for _, g := range got.Changes {
			sum += g.Count
			if g.Before == g.After || g.Count != len(g.Devices) {
				t.Fatalf("group %+v", g)
			}
		}
		if sum != got.Changed || got.Before.Report.Devices != len(all) || got.After.Report.Devices != len(all) {
			t.Fatalf("%d changed, groups add up to %d, %d devices", got.Changed, sum, len(all))
		}
		if name == "none" && (got.Changed != 0 || !gocmp.Equal(got.Before, got.After)) {
			t.Fatalf("a fleet compared with itself: %+v", got)
		}
	})
}

func TestResultString(t *testing.T) {
	for _, tc := range []struct {
		r    fleet.Result
		want string
	}{
		{fleet.Result{From: lifecycle.Older, Event: lifecycle.Upgrade, Carried: true, To: lifecycle.Same, Health: fleet.Healthy},
			"older: upgrade -> same; healthy"},
		{fleet.Result{From: lifecycle.None, Event: lifecycle.Install, Failure: fleet.FailureAccessDenied, Health: fleet.UnhealthyCertificate},
			"none: install not carried out, access denied; certificate issues"},
		{fleet.Result{From: lifecycle.None, Event: lifecycle.Install, Carried: true, To: lifecycle.Same, Failure: fleet.FailureEnrollment,
			Health: fleet.UnhealthyCommunication}, "none: install -> same, enrollment; communication issues"},
		{fleet.Result{From: lifecycle.Newer, Event: lifecycle.NoAction, To: lifecycle.Newer, Health: fleet.Healthy}, "newer: no action; healthy"},
		{fleet.Result{Event: lifecycle.NoAction, Failure: fleet.FailureInput, Health: fleet.UnhealthyLocal},
			"none: no action, invalid input; local client issues"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
}

// TestResultOf: ResultOf reads only what an outcome's JSON keeps.
func TestResultOf(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		dev := lifecycletest.Device().Draw(t, "device")
		dep := lifecycletest.Deployment(dev.Platform).Draw(t, "deployment")
		o, _ := lifecycle.Run(context.Background(), lifecycle.Scenario{Device: dev, Deployment: dep}, fleetOptions)
		r := fleet.ResultOf(o)
		want := fleet.Result{From: o.From, Event: o.Event, Carried: o.Transitioned(), To: o.To, Failure: fleet.FailureOf(o), Health: fleet.HealthOf(o)}
		back, err := lifecycletest.RoundTrip(o)
		if err != nil {
			t.Fatal(err)
		}
		if r != want || fleet.ResultOf(back) != r {
			t.Fatalf("ResultOf %+v, want %+v, after a JSON round trip %+v", r, want, fleet.ResultOf(back))
		}
	})
}

// TestComparisonJSON: a comparison survives a JSON round trip.
func TestComparisonJSON(t *testing.T) {
	got, err := fleet.Compare(context.Background(), withBadDevices(withUserSettings(spreadFleet(300)), 40), enrollEverywhere,
		fleet.Options{Machine: fleetOptions, Report: fleet.ReportOptions{Details: true}})
	if err != nil {
		t.Fatal(err)
	}
	back, data := roundtrip.JSON(t, got)
	if diff := gocmp.Diff(got, back); diff != "" {
		t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
	}
	for _, member := range []string{`"changes":`, `"userSettingsOverwritten":`, `"before":{"report":`} {
		if !strings.Contains(string(data), member) {
			t.Errorf("the JSON has no %s: %.300s", member, data)
		}
	}
}

// TestCompareCanceled: once ctx ends, Compare stops pulling the fleet;
// every device pulled is compared exactly once, with both its runs
// counted, those not made as canceled.
func TestCompareCanceled(t *testing.T) {
	n := int64(20_000)
	if raceEnabled {
		n = 4000
	}
	// Cancel while pulling a good device (every 100th is bad), or after
	// the last.
	for _, cancelAt := range []int64{1, 650, n/4 + 1, n} {
		for _, workers := range []int{0, 1} {
			ctx, cancel := context.WithCancel(context.Background())
			var pulled atomic.Int64
			entries := countingFleet(withBadDevices(generatedFleet(int(n)), 100), &pulled, func(k int64) {
				if k == cancelAt {
					cancel()
				}
			})
			c, err := fleet.Compare(ctx, entries, enrollEverywhere, fleet.Options{Workers: workers, Machine: fleetOptions,
				Report: fleet.ReportOptions{Details: true}})
			cancel()
			if int64(c.Devices) != pulled.Load() || pulled.Load() != cancelAt || !errors.Is(err, context.Canceled) {
				t.Fatalf("cancel at %d: %d devices compared, %d pulled, %v", cancelAt, c.Devices, pulled.Load(), err)
			}
			for _, side := range []fleet.Side{c.Before, c.After} {
				r := side.Report
				if r.Devices != c.Devices || len(r.StatusDetails) != c.Devices {
					t.Fatalf("cancel at %d: %d devices, %d in a report", cancelAt, c.Devices, r.Devices)
				}
				for i, d := range r.StatusDetails {
					if d.Index != i {
						t.Fatalf("cancel at %d: device %d counted at %d", cancelAt, i, d.Index)
					}
				}
				if inputs := failedWith(r, fleet.FailureInput); inputs != int(cancelAt)/100 {
					t.Fatalf("cancel at %d: %d invalid input, want %d", cancelAt, inputs, cancelAt/100)
				}
			}
			if c.After.Report.Health.NotRun == 0 && cancelAt < n {
				t.Fatalf("cancel at %d: no device's second run counted as not run", cancelAt)
			}
		}
	}
}

func TestCompareAlreadyCanceledOrEmpty(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var pulled atomic.Int64
	c, err := fleet.Compare(ctx, countingFleet(generatedFleet(100), &pulled, nil), enrollEverywhere, fleet.Options{})
	if !errors.Is(err, context.Canceled) || c.Devices != 0 || pulled.Load() != 0 {
		t.Fatalf("a canceled context: %d devices, %d pulled, %v", c.Devices, pulled.Load(), err)
	}
	c, err = fleet.Compare(context.Background(), func(func(fleet.Entry, error) bool) {}, nil, fleet.Options{})
	if err != nil || !gocmp.Equal(c, fleet.Comparison{}) {
		t.Fatalf("empty fleet: %+v, %v", c, err)
	}
}

// comparePanicCases are the callbacks that panic in
// TestCompareCallbackPanics, each run in a child process; want is the
// function of the library on the worker's stack, "" for a panic that
// reaches the caller as it is.
var comparePanicCases = map[string]struct {
	opts   fleet.Options
	change func(fleet.Entry) fleet.Entry
	want   string
}{
	"change": {opts: fleet.Options{Workers: 2}, change: func(e fleet.Entry) fleet.Entry {
		if e.Device.Platform == certs.WindowsCE {
			panic(errBoom)
		}
		return e
	}},
	"OnOutcome": {opts: fleet.Options{Workers: 3, OnOutcome: func(i int, _ fleet.Entry, _ lifecycle.Outcome) {
		if i == 600 {
			panic(errBoom)
		}
	}}},
	"Clock": {opts: fleet.Options{Workers: 2, Machine: lifecycle.Options{Clock: func() time.Time { panic(errBoom) }}},
		want: "(*comparer).pair"},
	"one worker": {opts: fleet.Options{Workers: 1, Machine: lifecycle.Options{Clock: func() time.Time { panic(errBoom) }}},
		want: "(*comparer).pair"},
	"Goexit": {opts: fleet.Options{Workers: 2, Machine: lifecycle.Options{Clock: func() time.Time { runtime.Goexit(); return time.Time{} }}},
		want: "Goexit"},
}

// TestCompareCallbackPanics: a panic in a callback reaches the goroutine
// that called Compare, where it can be recovered, with the original value;
// a worker's panic carries the worker's stack; no goroutine is left
// behind. Each case runs in a child process.
func TestCompareCallbackPanics(t *testing.T) {
	inChildren(t, comparePanicCases, func(name string) {
		tc := comparePanicCases[name]
		defer recoveredInCaller(runtime.NumGoroutine(), func(v any) bool {
			if tc.want == "" {
				return v == errBoom
			}
			return workerPanic(v, tc.want)
		})
		fleet.Compare(context.Background(), generatedFleet(1000), tc.change, tc.opts)
	})
}

// TestCompareIgnoresVersions: modelling choice: a Result holds no
// versions, so a package of another version changes only the devices
// whose decision, outcome or health it changes. A build between the
// installed clients and the deployed one installs and upgrades as the
// deployed one does; the device with the deployed build becomes older.
func TestCompareIgnoresVersions(t *testing.T) {
	entries := fromItems(items(spreadFleet(2000)))
	build := func(e fleet.Entry) fleet.Entry {
		e.Deployment.Package.Version = version.MustParse("4.00.6487.2001")
		return e
	}
	c, err := fleet.Compare(context.Background(), entries, build, fleet.Options{Machine: fleetOptions})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range c.Changes {
		if g.Before.From != lifecycle.Same || g.After.From != lifecycle.Older {
			t.Errorf("a change that is not same -> older: %d devices %s -> %s", g.Count, g.Before, g.After)
		}
	}
	same := 0
	for e := range entries {
		client := e.Device.Client
		if e.Deployment.Component == lifecycle.PasswordProgram {
			client = e.Device.PasswordProgram
		}
		if client == e.Deployment.Package.Version {
			same++
		}
	}
	if c.Changed == 0 || c.Changed > same {
		t.Errorf("%d devices changed, %d hold the deployed build", c.Changed, same)
	}
}
