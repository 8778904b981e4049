package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/looplab/fsm"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
)

// withAction returns dep with ClientInstallAction a.
func withAction(t testing.TB, dep lifecycle.Deployment, a ini.Action) lifecycle.Deployment {
	dep.Package.Settings = settings(t, "[ClientSettings]\nClientInstallAction="+a.String()+"\n")
	return dep
}

// TestLooplabWedgesOnCanceledContext documents the looplab/fsm v1.0.3
// defect the Machine shields from: an Event with a context already canceled
// leaves the machine in transition for good.
func TestLooplabWedgesOnCanceledContext(t *testing.T) {
	f := fsm.NewFSM("a", fsm.Events{{Name: "go", Src: []string{"a"}, Dst: "b"}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = f.Event(ctx, "go")
	if err := f.Event(context.Background(), "go"); !errors.As(err, new(fsm.InTransitionError)) {
		t.Fatalf("looplab/fsm no longer wedges (err %v): the shield may be unnecessary", err)
	}
}

// TestCanceledContext: a context already done returns its error before
// anything runs, and the machine stays usable.
func TestCanceledContext(t *testing.T) {
	m := newMachine(t, device(), lifecycle.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, err := m.Deploy(ctx, deployment(t, sp2))
	if !errors.Is(err, context.Canceled) || out.Event != lifecycle.NoAction || len(out.Steps) != 0 || out.Logs != nil || m.Device().Client.IsValid() {
		t.Fatalf("Deploy with a canceled context = %v, steps %v, device %v", err, out.Steps, m.Device().Client)
	}
	out, err = m.Deploy(context.Background(), deployment(t, sp2))
	if err != nil || out.To != lifecycle.Same || m.Device().Client != sp2 {
		t.Fatalf("Deploy after a canceled one = %v, %v", out.To, err)
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer dcancel()
	if _, err := m.Deploy(dctx, deployment(t, sp2)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Deploy past its deadline = %v", err)
	}
}

// TestCancelAtEveryStep: a context that ends in the middle of the chain
// stops it at the next step boundary. Before DMClientSetup nothing
// changed; from DMClientSetup on the action is done and the device keeps
// it. The outcome's state, steps and logs tell the same story, and the
// machine stays usable.
func TestCancelAtEveryStep(t *testing.T) {
	dep := deployment(t, sp2)
	dep.Site.Mode = certs.Native
	dep.Package.Settings = settings(t, "[ClientSettings]\nClientInstallAction=Install\nCertEnrollAction=Enroll\n")
	for _, at := range []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Enrollment} {
		t.Run(at.String(), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			m := newMachine(t, device(), lifecycle.Options{
				OnStep: func(_ context.Context, from, to lifecycle.Step) {
					if to == at || (at == lifecycle.Staged && from == lifecycle.Staged) {
						cancel()
					}
				},
			})
			out, err := m.Deploy(ctx, dep)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v", err)
			}
			last := out.Steps[len(out.Steps)-1]
			setupRan := slices.Contains(out.Steps, lifecycle.DMClientSetup)
			_, setupLog := logOf(out, lifecycle.DMClientSetupLog)
			_, svcLog := logOf(out, lifecycle.DMSvcLog)
			_, enrollLog := logOf(out, lifecycle.DMCertEnrollLog)
			switch {
			case last == lifecycle.Done:
				t.Fatalf("chain ran to the end: %v", out.Steps)
			case setupRan != out.Transitioned() || setupRan != setupLog || setupRan != svcLog:
				t.Fatalf("steps %v, transitioned %v, setup log %v, service log %v", out.Steps, out.Transitioned(), setupLog, svcLog)
			case enrollLog != slices.Contains(out.Steps, lifecycle.Enrollment):
				t.Fatalf("steps %v, enrollment log %v", out.Steps, enrollLog)
			case setupRan && (out.To != lifecycle.Same || out.After != sp2 || m.Device().Client != sp2):
				t.Fatalf("setup ran but the client is not installed: %v, %v, %v", out.To, out.After, m.Device().Client)
			case !setupRan && (out.To != lifecycle.None || out.After.IsValid() || m.Device().Client.IsValid()):
				t.Fatalf("setup did not run but the client changed: %v, %v", out.To, m.Device().Client)
			}
			v := lifecycle.Verify(out.Logs)
			if v.Installed != setupRan {
				t.Fatalf("logs verify as %+v, setup ran %v", v, setupRan)
			}
			again, err := m.Deploy(context.Background(), dep)
			if err != nil || m.Device().Client != sp2 {
				t.Fatalf("machine unusable after cancel: %v, %v", err, again.To)
			}
		})
	}
}

func logOf(out lifecycle.Outcome, k lifecycle.LogKind) (lifecycle.LogFile, bool) {
	for _, l := range out.Logs {
		if l.Kind == k {
			return l, true
		}
	}
	return lifecycle.LogFile{}, false
}

// TestOneDeviceOverTime: a Machine is one device's client over time. Each
// deployment decides from what the last one left.
func TestOneDeviceOverTime(t *testing.T) {
	m := newMachine(t, device(), lifecycle.Options{})
	uninstall := withAction(t, deployment(t, sp2), ini.ActionUninstall)
	repair := deployment(t, sp1)
	repair.Repair = true
	steps := []struct {
		dep      lifecycle.Deployment
		from, to lifecycle.State
		event    lifecycle.Event
		client   version.Version
	}{
		{deployment(t, sp1), lifecycle.None, lifecycle.Same, lifecycle.Install, sp1},
		{deployment(t, sp2), lifecycle.Older, lifecycle.Same, lifecycle.Upgrade, sp2},
		{deployment(t, sp2), lifecycle.Same, lifecycle.Same, lifecycle.Reconfigure, sp2},
		{deployment(t, sp1), lifecycle.Newer, lifecycle.Newer, lifecycle.NoAction, sp2},
		{repair, lifecycle.Newer, lifecycle.Same, lifecycle.Repair, sp1},
		{uninstall, lifecycle.Older, lifecycle.None, lifecycle.Uninstall, version.Version{}},
		{uninstall, lifecycle.None, lifecycle.None, lifecycle.NoAction, version.Version{}},
	}
	for i, s := range steps {
		out, err := m.Deploy(context.Background(), s.dep)
		if err != nil || out.From != s.from || out.To != s.to || out.Event != s.event || m.Device().Client != s.client {
			t.Fatalf("deployment %d: %v -> %v by %v, client %v, %v", i, out.From, out.To, out.Event, m.Device().Client, err)
		}
	}
	// The stored form round-trips through JSON and restores the machine.
	m2 := newMachine(t, device(), lifecycle.Options{})
	if _, err := m2.Deploy(context.Background(), deployment(t, sp1)); err != nil {
		t.Fatal(err)
	}
	stored := roundTrip(t, m2.Device())
	if diff := cmp.Diff(m2.Device(), stored); diff != "" {
		t.Fatalf("stored device mismatch (-want +got):\n%s", diff)
	}
	m3 := newMachine(t, stored, lifecycle.Options{})
	if out, err := m3.Deploy(context.Background(), deployment(t, sp2)); err != nil || out.Event != lifecycle.Upgrade {
		t.Fatalf("restored machine: %v, %v", out.Event, err)
	}
}

// TestUnchangedUnlessTransitioned: a denial or a missing prerequisite
// leaves the device as it was.
func TestUnchangedUnlessTransitioned(t *testing.T) {
	dev := device()
	dev.Client = sp1
	dev.Security.PrivilegesRestricted = true
	m := newMachine(t, dev, lifecycle.Options{})
	if _, err := m.Deploy(context.Background(), deployment(t, sp2)); !errors.Is(err, certs.ErrAccessDenied) {
		t.Fatal(err)
	}
	noAgent := deployment(t, sp2)
	noAgent.Site.ClientAgent = false
	out, err := m.Deploy(context.Background(), noAgent)
	if !errors.Is(err, lifecycle.ErrNoClientAgent) || out.Event != lifecycle.Upgrade || out.Transitioned() {
		t.Fatalf("prerequisite failure: %v, %v", out.Event, err)
	}
	if diff := cmp.Diff(dev, m.Device()); diff != "" {
		t.Errorf("device changed (-want +got):\n%s", diff)
	}
}

// TestPasswordProgramOwnVersion: the device's installed client and its
// password program are separate. Over the air needs a managed device (one
// with a client), not one with the program already.
func TestPasswordProgramOwnVersion(t *testing.T) {
	dev := device()
	dev.Platform, dev.Connection, dev.Client = certs.PocketPC2003, lifecycle.ViaAir, sp2
	dep := deployment(t, version.MustParse("1.1.0.0"))
	dep.Component, dep.Method = lifecycle.PasswordProgram, lifecycle.OverTheAir
	m := newMachine(t, dev, lifecycle.Options{})
	out, err := m.Deploy(context.Background(), dep)
	if err != nil || out.Event != lifecycle.Install || out.Before.IsValid() {
		t.Fatalf("over-the-air install of the password program: %v, %v", out.Event, err)
	}
	got := m.Device()
	if got.Client != sp2 || got.PasswordProgram != version.MustParse("1.1.0.0") {
		t.Errorf("device after: client %v, password program %v", got.Client, got.PasswordProgram)
	}
}

// TestEnrollsOnce: "the user will need to authenticate to the CA one time
// during the client installation process". Modelling choice: a deployment
// enrolls only where the device holds no valid certificate, or when it
// asks for renewal.
func TestEnrollsOnce(t *testing.T) {
	dep := deployment(t, sp1)
	dep.Site.Mode = certs.Native
	dep.Package.Settings = settings(t, "[ClientSettings]\nClientInstallAction=Install\nCertEnrollAction=Enroll\n")
	m := newMachine(t, device(), lifecycle.Options{})
	enrolled := func() bool {
		out, err := m.Deploy(context.Background(), dep)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := logOf(out, lifecycle.DMCertEnrollLog)
		if ok != (out.Enrollment == certs.Enrolled) {
			t.Fatalf("enrollment %v, log %v", out.Enrollment, ok)
		}
		return ok
	}
	if !enrolled() || !m.Device().Certificate {
		t.Fatal("install did not enroll")
	}
	if enrolled() {
		t.Error("reconfigure enrolled again")
	}
	dep.Package.Version = sp2
	if enrolled() {
		t.Error("upgrade enrolled again")
	}
	dep.RenewCertificate = true
	if !enrolled() {
		t.Error("renewal did not enroll")
	}
}

// TestEnrollmentFailureCommits: a failed enrollment comes after
// DMClientSetup: the client is installed, the device holds no certificate,
// and the error says why.
func TestEnrollmentFailureCommits(t *testing.T) {
	dev := device()
	dev.Enrollment.CAReachable = false
	dep := deployment(t, sp2)
	dep.Package.Settings = settings(t, "[ClientSettings]\nCertEnrollAction=Enroll\n")
	m := newMachine(t, dev, lifecycle.Options{})
	out, err := m.Deploy(context.Background(), dep)
	if !errors.Is(err, certs.ErrCAUnreachable) || !out.Transitioned() || out.To != lifecycle.Same {
		t.Fatalf("%v, %v", out.To, err)
	}
	if d := m.Device(); d.Client != sp2 || d.Certificate {
		t.Errorf("device after: %+v", d)
	}
}

// TestConcurrentDeploys runs many goroutines on one machine; run with
// -race. Runs are serialised: each sees the device the previous one left.
func TestConcurrentDeploys(t *testing.T) {
	m := newMachine(t, device(), lifecycle.Options{})
	packages := []lifecycle.Deployment{deployment(t, sp1), deployment(t, sp2), deployment(t, r3),
		withAction(t, deployment(t, sp2), ini.ActionUninstall)}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		outs []lifecycle.Outcome
	)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				out, err := m.Deploy(context.Background(), packages[(g+i)%len(packages)])
				if err != nil {
					t.Errorf("goroutine %d run %d: %v", g, i, err)
					return
				}
				_ = m.Device()
				mu.Lock()
				outs = append(outs, out)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Serialised runs form one chain: every run starts from a version some
	// run (or the device itself) left.
	left := map[version.Version]int{{}: 1}
	for _, o := range outs {
		left[o.After]++
	}
	for _, o := range outs {
		if left[o.Before] == 0 {
			t.Fatalf("a run started from %v, which no run left", o.Before)
		}
	}
}

// TestSelfTransitionSucceeds: Reconfigure is a self-transition, which raw
// looplab reports as NoTransitionError; the Machine reports success.
func TestSelfTransitionSucceeds(t *testing.T) {
	dev := device()
	dev.Client = sp2
	out, err := newMachine(t, dev, lifecycle.Options{}).Deploy(context.Background(), deployment(t, sp2))
	if err != nil || out.Event != lifecycle.Reconfigure || out.To != lifecycle.Same || !out.Transitioned() {
		t.Fatalf("reconfigure: %v by %v, %v", out.To, out.Event, err)
	}
}

// TestRejectedEvent: a repair where nothing is installed is not in the
// table: rejected, nothing runs.
func TestRejectedEvent(t *testing.T) {
	dep := deployment(t, sp2)
	dep.Repair = true
	m := newMachine(t, device(), lifecycle.Options{})
	out, err := m.Deploy(context.Background(), dep)
	if !errors.Is(err, lifecycle.ErrInvalidTransition) || out.Event != lifecycle.Repair || len(out.Steps) != 0 ||
		out.Logs != nil || !strings.Contains(err.Error(), "repair in state none") {
		t.Fatalf("repair of nothing: %+v, %v", out, err)
	}
}

// TestObserverSeesEveryTransition: the observer sees the client transition
// and every chain step, in order, for every row of the client table.
func TestObserverSeesEveryTransition(t *testing.T) {
	installed := map[lifecycle.State]version.Version{lifecycle.None: {}, lifecycle.Older: sp1, lifecycle.Same: sp2, lifecycle.Newer: r3}
	for _, tr := range lifecycle.ClientTransitions() {
		var got []string
		obs := lifecycle.Options{
			OnTransition: func(_ context.Context, from, to lifecycle.State, e lifecycle.Event) {
				got = append(got, e.String()+":"+from.String()+"->"+to.String())
			},
			OnStep: func(_ context.Context, from, to lifecycle.Step) {
				got = append(got, from.String()+"->"+to.String())
			},
		}
		dev := device()
		dev.Client = installed[tr.From]
		dep := deployment(t, sp2)
		for _, a := range ini.Actions() {
			if lifecycle.Decide(tr.From, a) == tr.Event {
				dep = withAction(t, dep, a)
			}
		}
		dep.Repair = tr.Event == lifecycle.Repair
		if _, err := newMachine(t, dev, obs).Deploy(context.Background(), dep); err != nil {
			t.Fatalf("%v from %v: %v", tr.Event, tr.From, err)
		}
		want := []string{"staged->dminstaller", "dminstaller->dmclientsetup", "dmclientsetup->done",
			tr.Event.String() + ":" + tr.From.String() + "->" + tr.To.String()}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v from %v: observed mismatch (-want +got):\n%s", tr.Event, tr.From, diff)
		}
	}
}

// TestObserverCallsBack: an observer that calls into its own machine gets
// ErrBusy instead of a deadlock; Device is allowed. Other goroutines are
// served once the run ends.
func TestObserverCallsBack(t *testing.T) {
	var m *lifecycle.Machine
	var errs []error
	var seen []version.Version
	obs := lifecycle.Options{
		OnStep: func(ctx context.Context, _, _ lifecycle.Step) {
			_, err := m.Deploy(ctx, deployment(t, sp1))
			errs = append(errs, err, m.Restore(device()))
			seen = append(seen, m.Device().Client)
		},
	}
	m = newMachine(t, device(), obs)
	done := make(chan error)
	go func() {
		_, err := m.Deploy(context.Background(), deployment(t, sp2))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Deploy deadlocked with an observer calling back")
	}
	for _, err := range errs {
		if !errors.Is(err, lifecycle.ErrBusy) {
			t.Fatalf("call from the observer: %v", err)
		}
	}
	if len(seen) != 3 || seen[0].IsValid() || m.Device().Client != sp2 {
		t.Errorf("observer saw %v; device after %v", seen, m.Device().Client)
	}
}

// TestObserverPanics: a panic in an observer reaches the caller of Deploy
// with its value; the machine stays usable and its device unchanged.
func TestObserverPanics(t *testing.T) {
	boom := true
	m := newMachine(t, device(), lifecycle.Options{
		OnStep: func(context.Context, lifecycle.Step, lifecycle.Step) {
			if boom {
				panic("observer broke")
			}
		},
	})
	func() {
		defer func() {
			if r := recover(); r != "observer broke" {
				t.Fatalf("recovered %v", r)
			}
		}()
		m.Deploy(context.Background(), deployment(t, sp2))
	}()
	if m.Device().Client.IsValid() {
		t.Fatal("a panicking run changed the device")
	}
	boom = false
	if out, err := m.Deploy(context.Background(), deployment(t, sp2)); err != nil || out.To != lifecycle.Same {
		t.Fatalf("machine after a panic: %v, %v", out.To, err)
	}
}

func TestNewMachineInvalidDevice(t *testing.T) {
	dev := device()
	dev.Platform = 99
	_, err := lifecycle.NewMachine(dev, lifecycle.Options{})
	var ie *lifecycle.InputError
	if !errors.Is(err, lifecycle.ErrInvalidInput) || !errors.As(err, &ie) || ie.Field != "device.platform" {
		t.Errorf("NewMachine(platform 99) = %v", err)
	}
	m := newMachine(t, device(), lifecycle.Options{})
	if err := m.Restore(dev); !errors.Is(err, lifecycle.ErrInvalidInput) || m.Device().Platform != certs.WM6Professional {
		t.Errorf("Restore(platform 99) = %v, device %v", err, m.Device().Platform)
	}
}

// TestZeroMachine: the zero Machine reports invalid input and never
// panics; Restore makes it usable.
func TestZeroMachine(t *testing.T) {
	var m lifecycle.Machine
	if _, err := m.Deploy(context.Background(), deployment(t, sp2)); !errors.Is(err, lifecycle.ErrInvalidInput) {
		t.Fatalf("zero Machine: %v", err)
	}
	if err := m.Restore(device()); err != nil {
		t.Fatal(err)
	}
	if out, err := m.Deploy(context.Background(), deployment(t, sp2)); err != nil || out.To != lifecycle.Same {
		t.Fatalf("zero Machine after Restore: %v, %v", out.To, err)
	}
}

// TestDenial is invariant 5 on the two ways a trust step fails, on both
// kinds of connection: "If the installation fails and the device is
// connected via an already managed Configuration Manager 2007 client, a
// status message will also be sent describing the failure."
func TestDenial(t *testing.T) {
	for _, sec := range []certs.Security{{TrustsMobile2Market: true, PrivilegesRestricted: true}, {}} {
		for _, conn := range []lifecycle.Connection{lifecycle.ViaManagedComputer, lifecycle.Direct} {
			dev := device()
			dev.Client, dev.Platform, dev.Security, dev.Connection = sp1, certs.WM6Standard, sec, conn
			dep := deployment(t, sp2)
			dep.Method = lifecycle.ManualTransfer
			m := newMachine(t, dev, lifecycle.Options{})
			out, err := m.Deploy(context.Background(), dep)
			if !errors.Is(err, certs.ErrAccessDenied) {
				t.Fatalf("%v: err %v", sec, err)
			}
			if m.Device().Client != sp1 || out.To != lifecycle.Older || out.After != sp1 || out.Transitioned() {
				t.Errorf("%v: denial changed the client", sec)
			}
			l, ok := logOf(out, lifecycle.DMInstallerLog)
			if !ok || l.Lines[1] != certs.AccessDeniedLogLine || len(out.Logs) != 1 {
				t.Errorf("%v: logs %v", sec, out.Logs)
			}
			if (out.Status != nil) != (conn == lifecycle.ViaManagedComputer) {
				t.Errorf("%v via %v: status message %+v", sec, conn, out.Status)
			}
			if got := out.Steps[len(out.Steps)-1]; got != lifecycle.Denied {
				t.Errorf("%v: chain ended in %v", sec, got)
			}
		}
	}
}

// TestOverwrites: "Any Configuration Manager 2007 client settings on the
// mobile device that do not conform to the new client configuration will
// be overwritten by the newly installed settings. This includes any
// settings the user may have changed on the device."
func TestOverwrites(t *testing.T) {
	dev := device()
	dev.Client = sp1
	dev.Settings = []lifecycle.Setting{
		{Key: "server", Value: "mp"},
		{Key: "pollinginterval", Value: "15", UserChanged: true},
		{Key: "LogLevel", Value: "0"},
		{Key: "Custom", Value: "x", UserChanged: true},
	}
	dep := deployment(t, sp2)
	dep.Package.Settings = settings(t, "[ClientSettings]\r\nPollingInterval=60\r\nLogLevel=2\r\nServer=mp\r\n")
	m := newMachine(t, dev, lifecycle.Options{})
	out, err := m.Deploy(context.Background(), dep)
	if err != nil {
		t.Fatal(err)
	}
	want := []lifecycle.Overwrite{
		{Key: "LogLevel", Old: "0", New: "2"},
		{Key: "pollinginterval", Old: "15", New: "60", UserChanged: true},
	}
	if diff := cmp.Diff(want, out.Overwritten); diff != "" {
		t.Errorf("overwritten mismatch (-want +got):\n%s", diff)
	}
	wantAfter := []lifecycle.Setting{{Key: "server", Value: "mp"}, {Key: "pollinginterval", Value: "60"},
		{Key: "LogLevel", Value: "2"}, {Key: "Custom", Value: "x", UserChanged: true}}
	if diff := cmp.Diff(wantAfter, m.Device().Settings); diff != "" {
		t.Errorf("settings after mismatch (-want +got):\n%s", diff)
	}
	out, _ = m.Deploy(context.Background(), withAction(t, dep, ini.ActionUninstall))
	if out.Overwritten != nil || m.Device().Settings != nil {
		t.Errorf("uninstall overwrote %v, left %v", out.Overwritten, m.Device().Settings)
	}
}

func TestRepairOfNewerIsDowngrade(t *testing.T) {
	dev := device()
	dev.Client = r3
	dep := deployment(t, sp2)
	dep.Repair = true
	out, err := newMachine(t, dev, lifecycle.Options{}).Deploy(context.Background(), dep)
	if err != nil || !out.Downgrade || out.To != lifecycle.Same || !out.After.Less(out.Before) {
		t.Errorf("repair of newer: %+v, %v", out, err)
	}
}

// TestRunIsOneShot: Run is NewMachine and Deploy.
func TestRunIsOneShot(t *testing.T) {
	sc := scenario(t)
	got, err := lifecycle.Run(context.Background(), sc, opts)
	want, werr := newMachine(t, sc.Device, lifecycle.Options{}).Deploy(context.Background(), sc.Deployment)
	if diff := cmp.Diff(want, got); diff != "" || err != werr {
		t.Errorf("Run mismatch (-want +got):\n%s", diff)
	}
	sc.Device.Connection = 0
	if _, err := lifecycle.Run(context.Background(), sc, opts); !errors.Is(err, lifecycle.ErrInvalidInput) {
		t.Errorf("Run of an invalid device: %v", err)
	}
}

// TestStoredFormCaps: a package whose client settings a device's JSON form
// could not hold is invalid input before anything runs, and a package at
// the caps installs a device that reads back from its own JSON; a device
// beyond the caps is refused by NewMachine and Restore.
func TestStoredFormCaps(t *testing.T) {
	const (
		maxSettings = 1024
		maxKey      = 256
		maxValue    = 4096
	)
	withUnknown := func(n, keyLen, valueLen int) lifecycle.Deployment {
		dep := deployment(t, sp2)
		dep.Package.Settings.Unknown = nil
		for i := range n {
			k := fmt.Sprintf("K%d", i)
			k += strings.Repeat("k", max(0, keyLen-len(k)))
			dep.Package.Settings.Unknown = append(dep.Package.Settings.Unknown,
				ini.Entry{Section: "ClientSettings", Key: k, Value: strings.Repeat("v", valueLen), Line: i + 3})
		}
		return dep
	}
	for _, tc := range []struct {
		name             string
		n, key, value    int
		wantInvalidInput bool
	}{
		{"at the caps", maxSettings, maxKey, maxValue, false},
		{"too many", maxSettings + 1, 8, 8, true},
		{"key too long", 3, maxKey + 1, 8, true},
		{"value too long", 3, 8, maxValue + 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t, device(), lifecycle.Options{})
			before := m.Device()
			out, err := m.Deploy(context.Background(), withUnknown(tc.n, tc.key, tc.value))
			if !tc.wantInvalidInput {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(m.Device(), roundTrip(t, m.Device())); diff != "" {
					t.Errorf("device JSON round trip (-want +got):\n%s", diff)
				}
				return
			}
			var ie *lifecycle.InputError
			if !errors.Is(err, lifecycle.ErrInvalidInput) || !errors.As(err, &ie) || ie.Field != "deployment.package.settings" {
				t.Fatalf("Deploy error = %v, want an *InputError for deployment.package.settings", err)
			}
			if out.Transitioned() || len(out.Steps) > 0 {
				t.Errorf("an invalid package ran: %+v", out)
			}
			if diff := cmp.Diff(before, m.Device()); diff != "" {
				t.Errorf("an invalid package changed the device (-before +after):\n%s", diff)
			}
		})
	}
	long := strings.Repeat("x", 257)
	for field, dev := range map[string]lifecycle.Device{
		"device.id":       func() lifecycle.Device { d := device(); d.ID = long; return d }(),
		"device.computer": func() lifecycle.Device { d := device(); d.Computer = long; return d }(),
		"device.settings": func() lifecycle.Device {
			d := device()
			d.Settings = make([]lifecycle.Setting, maxSettings+1)
			return d
		}(),
	} {
		var ie *lifecycle.InputError
		if _, err := lifecycle.NewMachine(dev, opts); !errors.As(err, &ie) || ie.Field != field {
			t.Errorf("NewMachine with a bad %s: error %v, want an *InputError for it", field, err)
		}
		m := newMachine(t, device(), lifecycle.Options{})
		if err := m.Restore(dev); !errors.As(err, &ie) || ie.Field != field {
			t.Errorf("Restore with a bad %s: error %v, want an *InputError for it", field, err)
		}
		if got := m.Device(); got.ID != device().ID {
			t.Errorf("a refused Restore changed the device to %q", got.ID)
		}
	}
}
