package lifecycletest_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/lifecycle/policy"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

func fixedClock() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// stepper is a machine whose observer cancels the run's context when the
// installer chain takes its at-th step: a run canceled at a step boundary;
// and a machine without an observer, for the runs that are not canceled
// (an observer call costs more than a run without one).
type stepper struct {
	m, plain *lifecycle.Machine
	at       int
	steps    int
	cancel   context.CancelFunc
}

func newStepper() *stepper {
	s := &stepper{}
	m, err := lifecycle.NewMachine(policy.DefaultScenario().Device, lifecycle.Options{Clock: fixedClock,
		OnStep: func(ctx context.Context, from, to lifecycle.Step) {
			if s.steps++; s.steps == s.at {
				s.cancel()
			}
		},
	})
	if err != nil {
		panic(err) // the default device is valid
	}
	plain, err := lifecycle.NewMachine(policy.DefaultScenario().Device, lifecycle.Options{Clock: fixedClock})
	if err != nil {
		panic(err)
	}
	s.m, s.plain = m, plain
	return s
}

// run runs sc, its context canceled at the at-th step (before the run when
// at is 0, never when at is negative), and returns the outcome and the
// machine's device after it.
func (s *stepper) run(sc lifecycle.Scenario, at int) (lifecycle.Outcome, lifecycle.Device, error) {
	m := s.m
	if at < 0 {
		m = s.plain
	}
	if err := m.Restore(sc.Device); err != nil {
		return lifecycle.Outcome{}, lifecycle.Device{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.at, s.steps, s.cancel = at, 0, cancel
	if at == 0 {
		cancel()
	}
	out, err := m.Deploy(ctx, sc.Deployment)
	if err != out.Err {
		return out, m.Device(), fmt.Errorf("Deploy returned %v, its outcome holds %v", err, out.Err)
	}
	return out, m.Device(), nil
}

// checkEveryStep runs sc to completion and canceled at every step boundary
// (invariant 8: the observer cancels the context when the chain takes its
// k-th step, for every k), and checks each outcome with check and the
// device each run leaves.
func checkEveryStep(s *stepper, sc lifecycle.Scenario, check func(lifecycle.Scenario, lifecycle.Outcome) error) error {
	full, after, err := s.run(sc, -1)
	if err == nil {
		err = check(sc, full)
	}
	if err == nil {
		err = checkDevice(sc, full, after)
	}
	if err != nil {
		return err
	}
	for at := 0; at < len(full.Steps); at++ {
		out, after, err := s.run(sc, at)
		if err == nil {
			err = check(sc, out)
		}
		if err == nil && at < len(full.Steps)-1 && !errors.Is(out.Err, context.Canceled) {
			err = fmt.Errorf("the run ended with %v, not the context's error", out.Err)
		}
		if err == nil {
			err = checkDevice(sc, out, after)
		}
		if err != nil {
			return fmt.Errorf("canceled at step %d of %v: %w", at, full.Steps, err)
		}
	}
	return nil
}

// checkDevice: the device a machine holds after a run is what the run's
// outcome tells of, restated: a run that did not reach DMClientSetup
// leaves it as it was; one that did leaves the component at the outcome's
// version; an install or repair of the client leaves the package's settings
// on the device, an upgrade or reconfiguration the device's settings with
// the ones overwritten replaced, an uninstall none; the password program
// leaves the client's settings alone; a certificate enrolled stays.
func checkDevice(sc lifecycle.Scenario, out lifecycle.Outcome, after lifecycle.Device) error {
	want := deviceAfter(sc, out)
	if len(after.Settings) == 0 {
		after.Settings = nil
	}
	if !reflect.DeepEqual(want, after) {
		return fmt.Errorf("device after %v (steps %v) mismatch (-want +got):\n%s", out.Event, out.Steps, cmp.Diff(want, after))
	}
	return nil
}

// deviceAfter is the reference model of one device over time: the device
// sc.Device becomes by the run of sc.Deployment that had outcome out (see
// checkDevice).
func deviceAfter(sc lifecycle.Scenario, out lifecycle.Outcome) lifecycle.Device {
	want := sc.Device
	if out.Transitioned() {
		dep := &sc.Deployment
		if dep.Component == lifecycle.PasswordProgram {
			want.PasswordProgram = out.After
		} else {
			want.Client = out.After
			switch out.Event {
			case lifecycle.Install, lifecycle.Repair:
				want.Settings = nil
				// The client keeps the package's settings that direct the
				// client, not the installer's keys.
				for _, e := range dep.Package.Settings.Unknown {
					want.Settings = append(want.Settings, lifecycle.Setting{Key: e.Key, Value: e.Value})
				}
			case lifecycle.Uninstall:
				want.Settings = nil
			default:
				want.Settings = slices.Clone(want.Settings)
				for i, s := range want.Settings {
					for _, o := range out.Overwritten {
						if strings.EqualFold(o.Key, s.Key) {
							want.Settings[i] = lifecycle.Setting{Key: s.Key, Value: o.New}
						}
					}
				}
			}
		}
		if out.Enrollment == certs.Enrolled {
			want.Certificate = true
		}
	}
	if len(want.Settings) == 0 {
		want.Settings = nil
	}
	return want
}

// TestCheckSpace is invariant 9 for invariants 1-8 and 11: every scenario of
// the finite input space, run to completion and canceled at every step
// boundary, gives outcomes that Check accepts and leaves the device its
// outcome tells of. The plain run covers the whole space, on every
// processor; the race detector's, a fixed stride of it, each outcome also
// after a JSON round trip.
func TestCheckSpace(t *testing.T) {
	if raceEnabled {
		checkSpace(t, 97, checkRoundTrip)
		return
	}
	n := checkSpace(t, 1, lifecycletest.Check)
	total := 0
	for range policy.Scenarios() {
		total++
	}
	if n != total {
		t.Errorf("checked %d scenarios, the space has %d", n, total)
	}
}

// TestRoundTripSpace is the JSON half of invariant 11 over the space: every
// outcome of a stride of it, canceled at every step or not, decodes from
// its JSON to the same outcome, which Check accepts. (A round trip costs
// ten runs: TestCheckSpace leaves it out of the plain run.)
func TestRoundTripSpace(t *testing.T) {
	if raceEnabled {
		t.Skip("TestCheckSpace round-trips every outcome of its stride under the race detector")
	}
	checkSpace(t, 29, checkRoundTrip)
}

// checkRoundTrip checks out, and out after a JSON round trip.
func checkRoundTrip(sc lifecycle.Scenario, out lifecycle.Outcome) error {
	if err := lifecycletest.Check(sc, out); err != nil {
		return err
	}
	back, err := lifecycletest.RoundTrip(out)
	if err != nil {
		return err
	}
	return lifecycletest.Check(sc, back)
}

// checkSpace checks every stride-th scenario of the space with
// checkEveryStep, on every processor, and returns how many it checked; it
// fails t with the first scenario (in space order) that fails.
func checkSpace(t *testing.T, stride int, check func(lifecycle.Scenario, lifecycle.Outcome) error) int {
	workers := runtime.GOMAXPROCS(0)
	type result struct {
		checked int
		failed  int // index of the first failure, -1 if none
		sc      lifecycle.Scenario
		err     error
	}
	results := make([]result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[w]
			r.failed = -1
			s := newStepper()
			i := -1
			for sc := range policy.Scenarios() {
				if i++; i%stride != 0 || (i/stride)%workers != w {
					continue
				}
				err := checkEveryStep(s, sc, check)
				r.checked++
				if err != nil {
					r.failed, r.sc, r.err = i, sc, err
					return
				}
			}
		}()
	}
	wg.Wait()
	checked := 0
	var first *result
	for i := range results {
		r := &results[i]
		checked += r.checked
		if r.failed >= 0 && (first == nil || r.failed < first.failed) {
			first = r
		}
	}
	if first != nil {
		t.Fatalf("scenario %d: %v\nscenario: %+v", first.failed, first.err, first.sc)
	}
	return checked
}

// TestCheckRapid samples far beyond the finite space (any versions,
// settings, sites and connections), canceled at a random step or not.
func TestCheckRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := lifecycletest.Scenario().Draw(t, "scenario")
		at := rapid.IntRange(-1, 5).Draw(t, "cancelAt")
		s := newStepper()
		out, after, err := s.run(sc, at)
		if err != nil {
			t.Fatal(err)
		}
		lifecycletest.Assert(t, sc, out)
		if err := checkDevice(sc, out, after); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCheckCatchesViolations makes sure Check is not vacuous: doctored
// outcomes of real runs are reported under the right invariant.
func TestCheckCatchesViolations(t *testing.T) {
	ctx := context.Background()
	base := policy.DefaultScenario()
	good, err := lifecycle.Run(ctx, base, lifecycle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	locked := base
	locked.Device.Security.PrivilegesRestricted = true
	denied, _ := lifecycle.Run(ctx, locked, lifecycle.Options{})
	enroll := base
	enroll.Deployment.Package.Settings = readSettings(t, "[ClientSettings]\r\nCertEnrollAction=Enroll\r\n")
	enrolled, err := lifecycle.Run(ctx, enroll, lifecycle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	noAgent := base
	noAgent.Deployment.Site.ClientAgent = false
	stopped, _ := lifecycle.Run(ctx, noAgent, lifecycle.Options{})
	s := newStepper()
	canceled, _, err := s.run(base, 1) // after staged -> dminstaller
	if err != nil {
		t.Fatal(err)
	}
	if err := lifecycletest.Check(base, canceled); err != nil {
		t.Fatalf("a run canceled after DMInstaller: %v", err)
	}
	canceledLate, _, err := s.run(base, 2) // after dminstaller -> dmclientsetup
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		sc        lifecycle.Scenario
		out       lifecycle.Outcome
		doctor    func(o *lifecycle.Outcome)
		invariant int
	}{
		{"wrong event", base, good, func(o *lifecycle.Outcome) { o.Event = lifecycle.Upgrade }, 1},
		{"wrong from-state", base, good, func(o *lifecycle.Outcome) { o.From = lifecycle.Older }, 2},
		{"install not ending in same", base, good, func(o *lifecycle.Outcome) { o.To = lifecycle.Older }, 3},
		{"downgrade flag", base, good, func(o *lifecycle.Outcome) { o.Downgrade = true }, 3},
		{"setup on a locked device", locked, denied, func(o *lifecycle.Outcome) {
			o.Steps = []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Done}
		}, 4},
		{"denial without status message", locked, denied, func(o *lifecycle.Outcome) { o.Status = nil }, 5},
		{"denial without Access Denied line", locked, denied, func(o *lifecycle.Outcome) { o.Logs = nil }, 5},
		{"unlocked device denied", base, denied, func(o *lifecycle.Outcome) { o.Status = nil }, 5},
		{"enroll log without enrollment", base, good, func(o *lifecycle.Outcome) {
			o.Logs = append(o.Logs, lifecycle.LogFile{Kind: lifecycle.DMCertEnrollLog, Time: o.Logs[0].Time})
		}, 6},
		{"enrollment skipped", enroll, enrolled, func(o *lifecycle.Outcome) {
			o.Steps = []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Done}
			o.Logs, o.Enrollment = o.Logs[:3], 0
		}, 6},
		{"enrollment result", enroll, enrolled, func(o *lifecycle.Outcome) { o.Enrollment = certs.CAUnreachable }, 6},
		{"missing prerequisite not reported", noAgent, stopped, func(o *lifecycle.Outcome) { o.Err = errors.New("something else") }, 7},
		{"met prerequisite reported", base, good, func(o *lifecycle.Outcome) { o.Err = lifecycle.ErrNoManagementPoint }, 7},
		{"nothing ran with prerequisites met", base, stopped, func(o *lifecycle.Outcome) { o.Err = nil }, 7},
		{"canceled run completed", base, canceled, func(o *lifecycle.Outcome) {
			o.Steps = append(slices.Clone(o.Steps), lifecycle.DMClientSetup, lifecycle.Done)
		}, 8},
		{"canceled run changed the state", base, canceled, func(o *lifecycle.Outcome) { o.To = lifecycle.Same }, 8},
		{"canceled late without a transition", base, canceledLate, func(o *lifecycle.Outcome) { o.To, o.After = o.From, o.Before }, 3},
		{"missing DMSvc log", base, good, func(o *lifecycle.Outcome) { o.Logs = o.Logs[:2] }, 11},
		{"steps off the chain", base, good, func(o *lifecycle.Outcome) {
			o.Steps = []lifecycle.Step{lifecycle.Staged, lifecycle.DMClientSetup, lifecycle.Done}
		}, 11},
		{"logs of two runs", base, good, func(o *lifecycle.Outcome) { o.Logs[1].Time = o.Logs[1].Time.Add(time.Hour) }, 11},
		{"Authenticode stores", base, good, func(o *lifecycle.Outcome) { o.Authenticode = nil }, 11},
		{"another device", base, good, func(o *lifecycle.Outcome) { o.Device = "another" }, 11},
	}
	for _, tt := range tests {
		out := tt.out
		out.Logs = slices.Clone(out.Logs)
		tt.doctor(&out)
		err := lifecycletest.Check(tt.sc, out)
		var found []int
		if err != nil {
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var v *lifecycletest.Violation
				if errors.As(e, &v) {
					found = append(found, v.Invariant)
				}
			}
		}
		if !slices.Contains(found, tt.invariant) {
			t.Errorf("%s: Check found invariants %v, want %d: %v", tt.name, found, tt.invariant, err)
		}
	}
}

func readSettings(t testing.TB, text string) ini.Settings {
	t.Helper()
	s, err := lifecycle.ReadSettings("ClientSettings.ini", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRoundTrip: real outcomes come back from JSON the same; one whose log
// line JSON cannot hold (invalid UTF-8 becomes U+FFFD) is a violation of
// invariant 11, which Assert reports too.
func TestRoundTrip(t *testing.T) {
	sc := policy.DefaultScenario()
	out, err := lifecycle.Run(context.Background(), sc, lifecycle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if back, err := lifecycletest.RoundTrip(out); err != nil || back.To != out.To {
		t.Errorf("RoundTrip = %+v, %v", back, err)
	}
	out.Logs = slices.Clone(out.Logs)
	out.Logs[0].Lines = []string{"invalid UTF-8: \xff"}
	_, err = lifecycletest.RoundTrip(out)
	var v *lifecycletest.Violation
	if !errors.As(err, &v) || v.Invariant != 11 {
		t.Errorf("RoundTrip of a log line JSON cannot hold = %v", err)
	}
	var tb recorder
	lifecycletest.Assert(&tb, sc, out)
	if !strings.Contains(tb.failed, "invariant 11") {
		t.Errorf("Assert of a log line JSON cannot hold: %q", tb.failed)
	}
}

// TestCheckStoppedRuns: the outcomes of runs that never start, for bad
// input or a machine called from its own observer, satisfy Check; made to
// claim they did something, they do not.
func TestCheckStoppedRuns(t *testing.T) {
	bad := policy.DefaultScenario()
	bad.Device.Platform = 0
	invalid, err := lifecycle.Run(context.Background(), bad, lifecycle.Options{})
	if !errors.Is(err, lifecycle.ErrInvalidInput) {
		t.Fatalf("Run of an invalid device: %v", err)
	}
	sc := policy.DefaultScenario()
	var busy lifecycle.Outcome
	var m *lifecycle.Machine
	m, err = lifecycle.NewMachine(sc.Device, lifecycle.Options{
		OnStep: func(ctx context.Context, from, to lifecycle.Step) {
			if busy.Err == nil {
				busy, _ = m.Deploy(ctx, sc.Deployment)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Deploy(context.Background(), sc.Deployment); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(busy.Err, lifecycle.ErrBusy) {
		t.Fatalf("re-entrant Deploy: %v", busy.Err)
	}
	for name, c := range map[string]struct {
		sc  lifecycle.Scenario
		out lifecycle.Outcome
	}{"invalid": {bad, invalid}, "busy": {sc, busy}} {
		if err := lifecycletest.Check(c.sc, c.out); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		c.out.Steps = []lifecycle.Step{lifecycle.Staged}
		if err := lifecycletest.Check(c.sc, c.out); err == nil {
			t.Errorf("%s with steps: no violation", name)
		}
	}
}

// TestAssert: Assert is silent on a good outcome and fails with the
// violations, the scenario and the outcome on a bad one.
func TestAssert(t *testing.T) {
	sc := policy.DefaultScenario()
	out, _ := lifecycle.Run(context.Background(), sc, lifecycle.Options{})
	var tb recorder
	lifecycletest.Assert(&tb, sc, out)
	if tb.failed != "" {
		t.Errorf("Assert failed a good outcome: %s", tb.failed)
	}
	out.Event = lifecycle.Uninstall
	lifecycletest.Assert(&tb, sc, out)
	if !strings.Contains(tb.failed, "invariant 1") || !strings.Contains(tb.failed, "scenario:") {
		t.Errorf("Assert on a bad outcome: %q", tb.failed)
	}
}

type recorder struct{ failed string }

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

// TestMachineStateful: a Machine is one device over time. Under random
// sequences of deployments (and restores), each run starts from what the
// one before left: a plain reference model of the device (deviceAfter),
// advanced from each outcome that Check accepts for the model's device,
// always equals the machine's device.
func TestMachineStateful(t *testing.T) {
	versions := []version.Version{version.MustParse("4.00.5931.0000"), version.MustParse("4.00.6221.1000"),
		version.MustParse("4.00.6487.2000"), version.MustParse("4.00.6487.2157")}
	rapid.Check(t, func(t *rapid.T) {
		model := lifecycletest.Device().Draw(t, "device")
		m, err := lifecycle.NewMachine(model, lifecycle.Options{Clock: fixedClock})
		if err != nil {
			t.Fatal(err)
		}
		t.Repeat(map[string]func(*rapid.T){
			"deploy": func(t *rapid.T) {
				dep := lifecycletest.Deployment(model.Platform).Draw(t, "deployment")
				dep.Package.Version = rapid.SampledFrom(versions).Draw(t, "version")
				dep.Repair = rapid.IntRange(0, 7).Draw(t, "repairOneIn8") == 0
				if rapid.Bool().Draw(t, "prerequisitesMet") { // so that sequences make progress
					dep.Method = lifecycle.ManualTransfer
					dep.Package.Folder = lifecycle.CompleteFolder(model.Platform)
					dep.Package.Settings.Installer = ""
					dep.Site = lifecycle.Site{Mode: dep.Site.Mode, ClientAgent: true}
				}
				sc := lifecycle.Scenario{Device: model, Deployment: dep}
				out, err := m.Deploy(context.Background(), dep)
				if err != out.Err {
					t.Fatalf("Deploy returned %v, its outcome %v", err, out.Err)
				}
				lifecycletest.Assert(t, sc, out)
				model = deviceAfter(sc, out)
			},
			"unlock": func(t *rapid.T) {
				model.Security = certs.Security{TrustsMobile2Market: true}
				if err := m.Restore(model); err != nil {
					t.Fatal(err)
				}
			},
			"restore": func(t *rapid.T) {
				model = lifecycletest.Device().Draw(t, "device")
				if err := m.Restore(model); err != nil {
					t.Fatal(err)
				}
			},
			"": func(t *rapid.T) {
				got := m.Device()
				if len(got.Settings) == 0 && len(model.Settings) == 0 {
					got.Settings = model.Settings
				}
				if !reflect.DeepEqual(model, got) {
					t.Fatalf("machine's device mismatch (-model +machine):\n%s", cmp.Diff(model, got))
				}
			},
		})
	})
}
