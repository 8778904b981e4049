package lifecycle_test

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// sequentialReport deploys every device of fleet one after the other, each
// on a new machine in the device's state, and aggregates the outcomes: what RunFleet must give.
func sequentialReport(t *testing.T, fleet iter.Seq2[lifecycle.Scenario, error], details bool) (lifecycle.Report, []lifecycle.Outcome) {
	t.Helper()
	agg := lifecycle.NewAggregator(lifecycle.ReportOptions{Details: details})
	var outs []lifecycle.Outcome
	i := 0
	for sc, err := range fleet {
		var o lifecycle.Outcome
		if err != nil {
			o = lifecycle.Outcome{Device: sc.Device.ID, Component: sc.Component, Method: sc.Method,
				Platform: sc.Device.Platform, Failure: lifecycle.FailureInput, Err: err}
		} else {
			m, merr := lifecycle.NewMachine(sc.State(), fleetClock)
			if merr != nil {
				t.Fatal(merr)
			}
			o, _ = m.Deploy(context.Background(), sc)
		}
		agg.Add(i, o)
		outs = append(outs, o)
		i++
	}
	return agg.Report(), outs
}

// withBadDevices replaces every k-th device of fleet by a device error.
func withBadDevices(fleet iter.Seq2[lifecycle.Scenario, error], k int) iter.Seq2[lifecycle.Scenario, error] {
	return func(yield func(lifecycle.Scenario, error) bool) {
		i := 0
		for sc, err := range fleet {
			if i%k == k-1 {
				err = &lifecycle.DeviceError{Index: i, ID: sc.Device.ID, Field: "platform", Err: certs.ErrUnknownPlatform}
				sc.Device.Platform = 0
			}
			if !yield(sc, err) {
				return
			}
			i++
		}
	}
}

func TestRunFleetMatchesSequential(t *testing.T) {
	const n = 3000
	fleet := withBadDevices(generatedFleet(n), 97)
	want, outs := sequentialReport(t, fleet, true)
	checkReport(t, want, outs)
	for _, workers := range []int{0, 1, 2, 3, 8} {
		for _, ordered := range []bool{false, true} {
			opts := lifecycle.FleetOptions{Workers: workers, Report: lifecycle.ReportOptions{Details: true},
				Machine: []lifecycle.Option{fleetClock}}
			next := 0
			if ordered {
				opts.OnOutcome = func(i int, sc lifecycle.Scenario, o lifecycle.Outcome) {
					if i != next || o.Device != sc.Device.ID || o.Failure != outs[i].Failure || o.To != outs[i].To {
						t.Fatalf("OnOutcome(%d, %q, %+v), want index %d, outcome %+v", i, sc.Device.ID, o, next, outs[i])
					}
					next++
				}
			}
			got, err := lifecycle.RunFleet(context.Background(), fleet, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("workers %d, ordered %v: report mismatch (-want +got):\n%s", workers, ordered, diff)
			}
			if ordered && next != n {
				t.Fatalf("OnOutcome called %d times, want %d", next, n)
			}
		}
	}
}

// TestRunFleetReuseProperty: the outcome of a device does not depend on
// the devices before it on the same worker.
func TestRunFleetReuseProperty(t *testing.T) {
	all := collectFleet(generatedFleet(fleetCombinations))
	rapid.Check(t, func(t *rapid.T) {
		picks := rapid.SliceOfN(rapid.IntRange(0, len(all)-1), 1, 50).Draw(t, "devices")
		fleet := func(yield func(lifecycle.Scenario, error) bool) {
			for _, p := range picks {
				if !yield(all[p], nil) {
					return
				}
			}
		}
		var got []lifecycle.Outcome
		_, err := lifecycle.RunFleet(context.Background(), fleet, lifecycle.FleetOptions{Workers: 1,
			Machine:   []lifecycle.Option{fleetClock},
			OnOutcome: func(_ int, _ lifecycle.Scenario, o lifecycle.Outcome) { got = append(got, o) }})
		if err != nil {
			t.Fatal(err)
		}
		for k, p := range picks {
			m, _ := lifecycle.NewMachine(all[p].State(), fleetClock)
			want, _ := m.Deploy(context.Background(), all[p])
			if diff := cmp.Diff(want, got[k], cmp.Comparer(sameError)); diff != "" {
				t.Fatalf("device %d (%d of the run) mismatch (-want +got):\n%s", p, k, diff)
			}
		}
	})
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

func collectFleet(fleet iter.Seq2[lifecycle.Scenario, error]) []lifecycle.Scenario {
	var all []lifecycle.Scenario
	for sc := range fleet {
		all = append(all, sc)
	}
	return all
}

// countingFleet counts the devices pulled from fleet.
func countingFleet(fleet iter.Seq2[lifecycle.Scenario, error], pulled *atomic.Int64, onPull func(n int64)) iter.Seq2[lifecycle.Scenario, error] {
	return func(yield func(lifecycle.Scenario, error) bool) {
		for sc, err := range fleet {
			n := pulled.Add(1)
			if onPull != nil {
				onPull(n)
			}
			if !yield(sc, err) {
				return
			}
		}
	}
}

func TestRunFleetCanceled(t *testing.T) {
	const n = 20_000
	for _, cancelAt := range []int64{1, 700, 5000, n} {
		for _, ordered := range []bool{false, true} {
			ctx, cancel := context.WithCancel(context.Background())
			var pulled atomic.Int64
			fleet := countingFleet(withBadDevices(generatedFleet(n), 1000), &pulled, func(k int64) {
				if k == cancelAt {
					cancel()
				}
			})
			opts := lifecycle.FleetOptions{Machine: []lifecycle.Option{fleetClock}, Report: lifecycle.ReportOptions{Details: true}}
			seen := make([]int, n)
			if ordered {
				opts.OnOutcome = func(i int, _ lifecycle.Scenario, _ lifecycle.Outcome) { seen[i]++ }
			}
			r, err := lifecycle.RunFleet(ctx, fleet, opts)
			cancel()
			if r.Devices != n || pulled.Load() != n {
				t.Fatalf("cancel at %d: %d devices counted, %d pulled, want %d", cancelAt, r.Devices, pulled.Load(), n)
			}
			if r.Health.NotRun == 0 && cancelAt < n {
				t.Fatalf("cancel at %d: no device counted as not run", cancelAt)
			}
			if (r.Health.NotRun > 0) != (err != nil) || err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("cancel at %d: %d not run, error %v", cancelAt, r.Health.NotRun, err)
			}
			// Every device exactly once, in every list.
			counted := make([]int, n)
			for _, d := range r.StatusDetails {
				counted[d.Index]++
				if d.Health == lifecycle.NotRun && d.Failure != lifecycle.FailureCanceled {
					t.Fatalf("not run with failure %v", d.Failure)
				}
			}
			for i := range counted {
				if counted[i] != 1 || ordered && seen[i] != 1 {
					t.Fatalf("cancel at %d: device %d counted %d times, seen %d times", cancelAt, i, counted[i], seen[i])
				}
			}
			var inputs int
			for _, g := range r.Failure {
				if g.Failure == lifecycle.FailureInput {
					inputs = g.Count
				}
			}
			if inputs != n/1000 {
				t.Fatalf("cancel at %d: %d invalid input, want %d (bad devices are reported even when not run)", cancelAt, inputs, n/1000)
			}
		}
	}
}

func TestRunFleetAlreadyCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := lifecycle.RunFleet(ctx, generatedFleet(1000), lifecycle.FleetOptions{})
	if !errors.Is(err, context.Canceled) || r.Devices != 1000 || r.Health.NotRun != 1000 {
		t.Fatalf("RunFleet with a canceled context: %d devices, %d not run, %v", r.Devices, r.Health.NotRun, err)
	}
}

func TestRunFleetEmpty(t *testing.T) {
	r, err := lifecycle.RunFleet(context.Background(), func(func(lifecycle.Scenario, error) bool) {}, lifecycle.FleetOptions{})
	if err != nil || r.Devices != 0 {
		t.Fatalf("empty fleet: %+v, %v", r, err)
	}
}

// TestRunFleetStreams proves the runner streams: it never pulls more than a
// bounded number of devices ahead of the outcomes it has delivered.
func TestRunFleetStreams(t *testing.T) {
	const n = 50_000
	var pulled atomic.Int64
	maxAhead := int64(0)
	_, err := lifecycle.RunFleet(context.Background(), countingFleet(generatedFleet(n), &pulled, nil), lifecycle.FleetOptions{
		Workers: 2,
		OnOutcome: func(i int, _ lifecycle.Scenario, _ lifecycle.Outcome) {
			maxAhead = max(maxAhead, pulled.Load()-int64(i))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 4 batches per worker in flight, the one being filled, 256 devices each.
	if limit := int64((4*2 + 1) * 256); maxAhead > limit || maxAhead == 0 {
		t.Fatalf("pulled up to %d devices ahead of the outcomes delivered, want at most %d", maxAhead, limit)
	}
}

// TestRunFleetBoundedMemory runs 200,000 devices and checks that the heap in
// use stays bounded: it does not hold the outcomes.
func TestRunFleetBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 deployments")
	}
	const n = 200_000
	var pulled atomic.Int64
	var peak uint64
	var ms runtime.MemStats
	sample := func(k int64) {
		if k%20_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	r, err := lifecycle.RunFleet(context.Background(), countingFleet(generatedFleet(n), &pulled, sample),
		lifecycle.FleetOptions{Machine: []lifecycle.Option{fleetClock}})
	if err != nil || r.Devices != n || r.Success.Count+r.Failed() != n {
		t.Fatalf("%d devices, %d + %d, %v", r.Devices, r.Success.Count, r.Failed(), err)
	}
	t.Logf("heap in use peaked at %.1f MB", float64(peak)/(1<<20))
	// Holding 200,000 outcomes would take well over 100 MB.
	if peak > 32<<20 {
		t.Fatalf("heap in use peaked at %d MB", peak>>20)
	}
}

func TestRunFleetSourcePanics(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		lifecycle.RunFleet(context.Background(), func(yield func(lifecycle.Scenario, error) bool) {
			for sc := range generatedFleet(1000) {
				yield(sc, nil)
			}
			panic("source broke")
		}, lifecycle.FleetOptions{OnOutcome: func(int, lifecycle.Scenario, lifecycle.Outcome) {}})
	}()
	if left := waitGoroutines(before, time.Second); left > 0 {
		t.Fatalf("%d goroutines left behind", left)
	}
}

// waitGoroutines polls until at most want goroutines run or the deadline
// passes, and returns how many more than want are left. Goroutines that
// have returned may still be finishing their exit when the function that
// started them returns, so a single count right away would be flaky.
func waitGoroutines(want int, deadline time.Duration) int {
	stop := time.Now().Add(deadline)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(stop) {
			return max(n-want, 0)
		}
		time.Sleep(time.Millisecond)
	}
}

const fleetJSON = `{
  "sites": {"central": {"mode": "mixed", "clientAgent": true, "managementPoint": true, "distributionPoint": true, "inventoryExtended": true}},
  "packages": {
    "sp2": {"version": "4.00.6487.2000"},
    "retire": {"version": "4.00.6487.2000", "folder": ["DMInstaller_WM6Pro.exe", "DMClientSetup_WM6Pro.exe", "ClientSettings.ini"],
               "ini": "[ClientSettings]\r\nClientInstallAction=Uninstall\r\n"}
  },
  "devices": [
    {"id": "a", "platform": "WM6Pro", "installed": "4.00.6221.1000", "security": "Unrestricted",
     "connection": "managed computer", "method": "software distribution", "package": "sp2"},
    {"id": "b", "platform": "Windows Mobile 6 Professional", "installed": "none", "security": {"trustsMobile2Market": true, "privilegesRestricted": true},
     "connection": "direct", "method": "Manual Transfer", "package": "retire", "component": "client",
     "enrollment": {"caReachable": false}, "repair": true, "settings": [{"key": "K", "value": "v", "userChanged": true}]}
  ]
}`

func TestFleetDecoder(t *testing.T) {
	settings := ini.Settings{ClientInstallAction: ini.ActionInstall}
	// The sections after the devices: the decoder holds them.
	late := `{"devices": ` + fleetJSON[strings.Index(fleetJSON, "[\n    {"):strings.LastIndex(fleetJSON, "]")+1] + "," +
		fleetJSON[1:strings.Index(fleetJSON, `  "devices"`)-2] + "}"
	for name, text := range map[string]string{"devices last": fleetJSON, "devices first": late} {
		dec := lifecycle.NewFleetDecoder(strings.NewReader(text), settings)
		var got []lifecycle.Scenario
		for sc, err := range dec.Devices() {
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got = append(got, sc)
		}
		if err := dec.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		site := lifecycle.Site{Mode: certs.Mixed, ClientAgent: true, ManagementPoint: true, DistributionPoint: true, InventoryExtended: true}
		want := []lifecycle.Scenario{{
			Component: lifecycle.Client, Method: lifecycle.SoftwareDistribution,
			Device: lifecycle.Device{ID: "a", Platform: certs.WM6Professional, Installed: version.MustParse("4.00.6221.1000"),
				Security: certs.Unrestricted.Security(), Connection: lifecycle.ViaManagedComputer,
				Enrollment: certs.EnrollmentConditions{CAReachable: true, AuthenticationSucceeds: true}},
			Package: lifecycle.Package{Version: version.MustParse("4.00.6487.2000"), Folder: lifecycle.CompleteFolder(certs.Platforms()...), Settings: settings},
			Site:    site,
		}, {
			Component: lifecycle.Client, Method: lifecycle.ManualTransfer, Repair: true,
			Device: lifecycle.Device{ID: "b", Platform: certs.WM6Professional,
				Security: certs.Security{TrustsMobile2Market: true, PrivilegesRestricted: true}, Connection: lifecycle.Direct,
				Enrollment: certs.EnrollmentConditions{CAReachable: false, AuthenticationSucceeds: true},
				Settings:   []lifecycle.Setting{{Key: "K", Value: "v", UserChanged: true}}},
			Package: lifecycle.Package{Version: version.MustParse("4.00.6487.2000"),
				Folder: []string{"DMInstaller_WM6Pro.exe", "DMClientSetup_WM6Pro.exe", "ClientSettings.ini"}},
			Site: site,
		}}
		if len(got) == 2 {
			if got[1].Package.Settings.ClientInstallAction != ini.ActionUninstall {
				t.Errorf("%s: package retire has action %v", name, got[1].Package.Settings.ClientInstallAction)
			}
			got[1].Package.Settings = ini.Settings{}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: scenarios mismatch (-want +got):\n%s", name, diff)
		}
	}
}

func TestFleetDecoderDeviceErrors(t *testing.T) {
	head := `{"sites": {"s": {"mode": "native"}}, "packages": {"p": {"version": "4.0.1.2"}, "q": {"version": "4.0.1.3"}}, "devices": [`
	good := `{"id": "ok", "platform": "CE", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "p"}`
	for _, tc := range []struct {
		device, field, id string
		target            error
		msg               string
	}{
		{`{"id": "x", "platform": "Foo", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"platform", "x", certs.ErrUnknownPlatform, `lifecycle: fleet: device "x" (index 1): platform: certs: parse Platform "Foo": unknown platform`},
		{`{"id": "x", "platform": "CE", "installed": "4.0.x", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"installed", "x", version.ErrSyntax, ""},
		{`{"id": "x", "platform": "CE", "installed": "4.0.70000", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"installed", "x", version.ErrRange, ""},
		{`{"platform": "CE", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"id", "", lifecycle.ErrMissingField, `lifecycle: fleet: device at index 1: id: missing field`},
		{`{"id": "x", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"platform", "x", lifecycle.ErrMissingField, ""},
		{`{"id": "x", "platform": "CE", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"installed", "x", lifecycle.ErrMissingField, ""},
		{`{"id": "x", "platform": "CE", "installed": "", "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"security", "x", lifecycle.ErrMissingField, ""},
		{`{"id": "x", "platform": "CE", "installed": "", "security": "Lax", "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"security", "x", certs.ErrUnknownConfiguration, ""},
		{`{"id": "x", "platform": "CE", "installed": "", "security": {"trusts": true}, "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"security.trusts", "x", nil, ""},
		{`{"id": "x", "platform": "CE", "installed": "", "security": "Standard", "method": "manual transfer", "package": "p"}`,
			"connection", "x", lifecycle.ErrMissingField, ""},
		{`{"id": "x", "platform": "CE", "installed": "", "security": "Standard", "connection": "wifi", "method": "manual transfer", "package": "p"}`,
			"connection", "x", lifecycle.ErrUnknownValue, ""},
		{`{"id": "x", "platform": "CE", "installed": "", "security": "Standard", "connection": "direct", "package": "p"}`,
			"method", "x", lifecycle.ErrMissingField, ""},
		{`{"id": "x", "platform": "CE", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer"}`,
			"package", "x", lifecycle.ErrMissingField, ""},
		{`{"id": "x", "platform": "CE", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "r"}`,
			"package", "x", nil, `lifecycle: fleet: device "x" (index 1): package: no package "r" in the fleet file`},
		{`{"id": "x", "platform": "CE", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "p", "component": "tool"}`,
			"component", "x", lifecycle.ErrUnknownValue, ""},
		{`{"id": "x", "platform": 7, "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"platform", "x", nil, ""},
		{`{"id": "x", "colour": "red", "platform": "CE", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer", "package": "p"}`,
			"colour", "x", nil, `lifecycle: fleet: device "x" (index 1): colour: unknown member`},
		{`["not", "an", "object"]`, "device", "", nil, ""},
	} {
		dec := lifecycle.NewFleetDecoder(strings.NewReader(head+good+","+tc.device+","+good+"]}"), ini.Settings{})
		var errs []error
		n := 0
		for _, err := range dec.Devices() {
			errs = append(errs, err)
			n++
		}
		if err := dec.Err(); err != nil || n != 3 || errs[0] != nil || errs[2] != nil {
			t.Errorf("%s: %d devices, errors %v, file error %v; want 3 devices, the middle one bad", tc.device, n, errs, err)
			continue
		}
		var de *lifecycle.DeviceError
		if !errors.As(errs[1], &de) || de.Index != 1 || de.ID != tc.id || de.Field != tc.field {
			t.Errorf("%s: error %#v, want device %q (index 1) field %q", tc.device, errs[1], tc.id, tc.field)
			continue
		}
		if !errors.Is(errs[1], lifecycle.ErrInvalidInput) || tc.target != nil && !errors.Is(errs[1], tc.target) {
			t.Errorf("%s: error %v is not ErrInvalidInput and %v", tc.device, errs[1], tc.target)
		}
		if tc.msg != "" && errs[1].Error() != tc.msg {
			t.Errorf("error message\n%s\nwant\n%s", errs[1], tc.msg)
		}
	}
}

func TestFleetDecoderFileErrors(t *testing.T) {
	for _, tc := range []struct{ text, path string }{
		{``, ""},
		{`[]`, ""},
		{`{"devices": [{"id": "a"}, {"id": "b",]}`, "devices[1]"},
		{`{"devices": [{"id": "a"} {"id": "b"}]}`, "devices[1]"},
		{`{"devices": {}}`, "devices"},
		{`{"sites": {"s": {"mode": "cloud"}}}`, `sites["s"].mode`},
		{`{"sites": {"s": {}}}`, `sites["s"].mode`},
		{`{"sites": {"s": {"mode": "mixed", "vpn": true}}}`, `sites["s"].vpn`},
		{`{"packages": {"p": {"version": "4"}}}`, `packages["p"].version`},
		{`{"packages": {"p": {}}}`, `packages["p"].version`},
		{`{"packages": {"p": {"version": "4.0", "folder": "x"}}}`, `packages["p"].folder`},
		{`{"packages": {"p": {"version": "4.0", "ini": "[S]\r\nClientInstallAction=Maybe\r\n"}}}`, `packages["p"].ini`},
		{`{"packages": {}, "packages": {}}`, "packages"},
		{`{"packages": {"P": {"version": "1.0"}, "p": {"version": "1.0"}}}`, `packages["p"]`},
		{`{"sites": {"S": {"mode": "native"}, "s": {"mode": "mixed"}}}`, `sites["s"]`},
		{`{"fleet": []}`, `"fleet"`},
		{`{"devices": []} {}`, ""},
		{`{"devices": [`, "devices"},
	} {
		dec := lifecycle.NewFleetDecoder(strings.NewReader(tc.text), ini.Settings{})
		for range dec.Devices() {
		}
		var fe *lifecycle.FleetError
		err := dec.Err()
		if !errors.As(err, &fe) || fe.Path != tc.path || !errors.Is(err, lifecycle.ErrFleetFile) {
			t.Errorf("%s: error %v, want a FleetError at %q", tc.text, err, tc.path)
		}
	}
}

// FuzzFleetDecoder: any input yields devices with device errors or none,
// in order, and at most one file error; nothing panics.
func FuzzFleetDecoder(f *testing.F) {
	f.Add(fleetJSON)
	f.Add(`{"devices": [{"id": "a"}, 3, null, {"id": "b", "platform": "CE"}]}`)
	f.Add(`{"sites": {"s": {"mode": "native"}}, "devices": [{}], "packages": {"p": {"version": "1.2"}}}`)
	f.Fuzz(func(t *testing.T, text string) {
		dec := lifecycle.NewFleetDecoder(strings.NewReader(text), ini.Settings{ClientInstallAction: ini.ActionInstall})
		i := 0
		for sc, err := range dec.Devices() {
			var de *lifecycle.DeviceError
			if err != nil && (!errors.As(err, &de) || de.Index != i || de.ID != sc.Device.ID || de.Field == "") {
				t.Fatalf("device %d: error %#v", i, err)
			}
			if err == nil && sc.Device.ID == "" {
				t.Fatalf("device %d without id and without error", i)
			}
			i++
		}
		var fe *lifecycle.FleetError
		if err := dec.Err(); err != nil && !errors.As(err, &fe) {
			t.Fatalf("file error %#v is not a FleetError", err)
		}
	})
}
