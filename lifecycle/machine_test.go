package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
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

func testClock() time.Time { return time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC) }

func newMachine(t testing.TB, s lifecycle.State, opts ...lifecycle.Option) *lifecycle.Machine {
	t.Helper()
	m, err := lifecycle.NewMachine(s, append([]lifecycle.Option{lifecycle.WithClock(testClock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// withState returns the default scenario with a client in state s.
func withState(s lifecycle.State) lifecycle.Scenario {
	sc := lifecycle.DefaultScenario()
	deployed := sc.Package.Version
	switch s {
	case lifecycle.Older:
		sc.Device.Installed = version.New(deployed.Major(), deployed.Minor(), deployed.Build()-1, 0)
	case lifecycle.Same:
		sc.Device.Installed = deployed
	case lifecycle.Newer:
		sc.Device.Installed = version.New(deployed.Major(), deployed.Minor(), deployed.Build(), deployed.Revision()+1)
	}
	return sc
}

func withAction(sc lifecycle.Scenario, a ini.Action) lifecycle.Scenario {
	f, err := ini.Parse("ClientSettings.ini", []byte("[ClientSettings]\nClientInstallAction="+a.String()+"\n"))
	if err != nil {
		panic(err)
	}
	sc.Package.Settings, _ = f.Settings()
	return sc
}

// TestLooplabWedgesOnCanceledContext documents the looplab/fsm v1.0.3
// defect the Machine shields from: an Event with a context already canceled
// leaves the machine in transition for good.
func TestLooplabWedgesOnCanceledContext(t *testing.T) {
	raw := fsm.NewFSM("a", fsm.Events{{Name: "go", Src: []string{"a"}, Dst: "b"}, {Name: "back", Src: []string{"b"}, Dst: "a"}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = raw.Event(ctx, "go")
	err := raw.Event(context.Background(), "go")
	var inTransition fsm.InTransitionError
	if !errors.As(err, &inTransition) {
		t.Errorf("looplab/fsm no longer wedges (got %v): revisit the shield in Machine.fire and this test", err)
	}
}

// TestCanceledContext is invariant 8: a context already done returns its
// error, runs nothing, and leaves the machine usable.
func TestCanceledContext(t *testing.T) {
	m := newMachine(t, lifecycle.None)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sc := lifecycle.DefaultScenario()
	out, err := m.Deploy(ctx, sc)
	if !errors.Is(err, context.Canceled) || out.Failure != lifecycle.FailureCanceled {
		t.Fatalf("Deploy with a canceled context = %v (%v), want context.Canceled", err, out.Failure)
	}
	if len(out.Steps) != 0 || len(out.Logs) != 0 || m.State() != lifecycle.None {
		t.Fatalf("canceled Deploy ran something: steps %v, state %v", out.Steps, m.State())
	}
	out, err = m.Deploy(context.Background(), sc)
	if err != nil || out.To != lifecycle.Same || m.State() != lifecycle.Same {
		t.Fatalf("Deploy after a canceled one = %v, %v; machine %v", out.To, err, m.State())
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer dcancel()
	if _, err := m.Fire(dctx, lifecycle.Uninstall, withState(lifecycle.Same)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fire past the deadline = %v", err)
	}
	if m.State() != lifecycle.Same {
		t.Fatalf("machine moved to %v", m.State())
	}
}

// TestCancelDuringRun: a context that ends in the middle of the chain
// cancels the transition at the next step; nothing changes and the machine
// stays usable.
func TestCancelDuringRun(t *testing.T) {
	for _, at := range []lifecycle.Step{lifecycle.Installer, lifecycle.Setup} {
		t.Run(at.String(), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			m := newMachine(t, lifecycle.None, lifecycle.WithObserver(lifecycle.ObserverFuncs{
				OnStep: func(_ context.Context, _, to lifecycle.Step, _ lifecycle.ChainEvent) {
					if to == at {
						cancel()
					}
				},
			}))
			out, err := m.Deploy(ctx, lifecycle.DefaultScenario())
			if !errors.Is(err, context.Canceled) || out.Failure != lifecycle.FailureCanceled {
				t.Fatalf("err = %v, failure %v", err, out.Failure)
			}
			if m.State() != lifecycle.None || out.To != lifecycle.None || out.After.IsValid() {
				t.Fatalf("canceled run changed the client: %v, %v", m.State(), out.After)
			}
			if last := out.Steps[len(out.Steps)-1]; last != at {
				t.Fatalf("chain went on past %v: %v", at, out.Steps)
			}
			out, err = m.Deploy(context.Background(), lifecycle.DefaultScenario())
			if err != nil || m.State() != lifecycle.Same {
				t.Fatalf("machine unusable after cancel: %v, %v", err, m.State())
			}
		})
	}
}

// TestConcurrentDeploys runs many goroutines on one machine; run with
// -race. Every run must see a consistent machine.
func TestConcurrentDeploys(t *testing.T) {
	m := newMachine(t, lifecycle.None)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				s := lifecycle.States()[(g+i)%4]
				sc := withAction(withState(s), ini.Actions()[(g*7+i)%3])
				out, err := m.Deploy(context.Background(), sc)
				if err != nil {
					errs <- fmt.Errorf("goroutine %d run %d: %v", g, i, err)
					return
				}
				if out.From != s {
					errs <- fmt.Errorf("goroutine %d run %d: from %v, want %v", g, i, out.From, s)
					return
				}
				_ = m.State()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSelfTransitionSucceeds: Reconfigure is a self-transition, which raw
// looplab reports as NoTransitionError; the Machine reports success.
func TestSelfTransitionSucceeds(t *testing.T) {
	for _, s := range []lifecycle.State{lifecycle.Older, lifecycle.Same, lifecycle.Newer} {
		m := newMachine(t, s)
		sc := withAction(withState(s), ini.ActionNone)
		out, err := m.Deploy(context.Background(), sc)
		if err != nil || out.Event != lifecycle.Reconfigure || out.From != s || out.To != s {
			t.Errorf("reconfigure from %v = %v -> %v by %v, %v", s, out.From, out.To, out.Event, err)
		}
		if !out.RanStep(lifecycle.Setup) {
			t.Errorf("reconfigure from %v did not run setup: %v", s, out.Steps)
		}
	}
}

// TestRejectedEvent: an event the table does not permit returns a typed
// error and changes nothing.
func TestRejectedEvent(t *testing.T) {
	for _, tr := range []struct {
		state lifecycle.State
		event lifecycle.Event
	}{
		{lifecycle.None, lifecycle.Repair},
		{lifecycle.None, lifecycle.Uninstall},
		{lifecycle.None, lifecycle.Upgrade},
		{lifecycle.Same, lifecycle.Install},
		{lifecycle.Newer, lifecycle.Upgrade},
	} {
		m := newMachine(t, tr.state)
		out, err := m.Fire(context.Background(), tr.event, withState(tr.state))
		var te *lifecycle.TransitionError
		if !errors.Is(err, lifecycle.ErrInvalidTransition) || !errors.As(err, &te) || te.Event != tr.event || te.State != tr.state {
			t.Errorf("Fire(%v) in %v = %v, want a TransitionError", tr.event, tr.state, err)
		}
		if out.Failure != lifecycle.FailureRejected || m.State() != tr.state || len(out.Logs) != 0 {
			t.Errorf("rejected %v in %v: failure %v, state %v, logs %v", tr.event, tr.state, out.Failure, m.State(), out.Logs)
		}
	}
	// A repair asked for where there is no client is rejected the same way.
	sc := lifecycle.DefaultScenario()
	sc.Repair = true
	_, err := newMachine(t, lifecycle.None).Deploy(context.Background(), sc)
	if !errors.Is(err, lifecycle.ErrInvalidTransition) {
		t.Errorf("repair without a client = %v", err)
	}
	if _, err := newMachine(t, lifecycle.None).Fire(context.Background(), lifecycle.Event(42), sc); !errors.Is(err, lifecycle.ErrInvalidInput) {
		t.Errorf("Fire(Event(42)) = %v, want ErrInvalidInput", err)
	}
}

// TestEveryTableEventRunsChain: the callbacks generated from the table fire
// for every event (none was misspelled and dropped by looplab), and the
// observer sees every transition.
func TestEveryTableEventRunsChain(t *testing.T) {
	for _, tr := range lifecycle.ClientTransitions() {
		var seen []string
		obs := lifecycle.ObserverFuncs{
			OnTransition: func(_ context.Context, from, to lifecycle.State, e lifecycle.Event) {
				seen = append(seen, fmt.Sprintf("%v %v->%v", e, from, to))
			},
		}
		m := newMachine(t, tr.From, lifecycle.WithObserver(obs))
		out, err := m.Fire(context.Background(), tr.Event, withState(tr.From))
		if err != nil {
			t.Errorf("%v from %v: %v", tr.Event, tr.From, err)
			continue
		}
		if want := []lifecycle.Step{lifecycle.Staged, lifecycle.Installer, lifecycle.Setup, lifecycle.Done}; !cmp.Equal(want, out.Steps) {
			t.Errorf("%v from %v: chain %v, want %v", tr.Event, tr.From, out.Steps, want)
		}
		if want := []string{fmt.Sprintf("%v %v->%v", tr.Event, tr.From, tr.To)}; !cmp.Equal(want, seen) {
			t.Errorf("observer saw %v, want %v", seen, want)
		}
		if m.State() != tr.To {
			t.Errorf("%v from %v ended in %v, want %v", tr.Event, tr.From, m.State(), tr.To)
		}
	}
}

// TestObserverMayReadState: an observer reading the machine's state from
// inside a run does not deadlock.
func TestObserverMayReadState(t *testing.T) {
	var m *lifecycle.Machine
	var states []lifecycle.State
	obs := lifecycle.ObserverFuncs{
		OnStep: func(context.Context, lifecycle.Step, lifecycle.Step, lifecycle.ChainEvent) {
			states = append(states, m.State())
		},
		OnTransition: func(context.Context, lifecycle.State, lifecycle.State, lifecycle.Event) {
			states = append(states, m.State())
		},
	}
	m = newMachine(t, lifecycle.None, lifecycle.WithObserver(obs))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = m.Deploy(context.Background(), lifecycle.DefaultScenario())
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Deploy deadlocked with an observer reading State")
	}
	want := []lifecycle.State{lifecycle.None, lifecycle.None, lifecycle.None, lifecycle.Same}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("states seen mismatch (-want +got):\n%s", diff)
	}
}

func TestNewMachineInvalidState(t *testing.T) {
	if _, err := lifecycle.NewMachine(lifecycle.State(9)); !errors.Is(err, lifecycle.ErrInvalidInput) {
		t.Errorf("NewMachine(State(9)) = %v", err)
	}
	m := newMachine(t, lifecycle.Newer)
	if m.State() != lifecycle.Newer {
		t.Errorf("restored machine in %v", m.State())
	}
	if err := m.Restore(lifecycle.Older); err != nil || m.State() != lifecycle.Older {
		t.Errorf("Restore(older) = %v, state %v", err, m.State())
	}
	if err := m.Restore(lifecycle.State(9)); !errors.Is(err, lifecycle.ErrInvalidInput) || m.State() != lifecycle.Older {
		t.Errorf("Restore(State(9)) = %v, state %v", err, m.State())
	}
}

// TestDenial is invariant 5 on the two ways a trust step fails, on both
// kinds of connection.
func TestDenial(t *testing.T) {
	for _, sec := range []certs.Security{{TrustsMobile2Market: true, PrivilegesRestricted: true}, {}} {
		for _, conn := range []lifecycle.Connection{lifecycle.ViaManagedComputer, lifecycle.Direct} {
			sc := withState(lifecycle.Older)
			sc.Method = lifecycle.ManualTransfer
			sc.Device.Platform = certs.WM6Standard
			sc.Package.Folder = lifecycle.CompleteFolder(certs.WM6Standard)
			sc.Device.Security = sec
			sc.Device.Connection = conn
			m := newMachine(t, lifecycle.Older)
			out, err := m.Deploy(context.Background(), sc)
			if !errors.Is(err, certs.ErrAccessDenied) {
				t.Fatalf("%v: err %v", sec, err)
			}
			if m.State() != lifecycle.Older || out.To != lifecycle.Older || out.After != sc.Device.Installed {
				t.Errorf("%v: denial changed the client", sec)
			}
			l, ok := out.Log(lifecycle.DMInstallerLog)
			if !ok || l.Lines[1] != "Access Denied (0x80070005)." {
				t.Errorf("%v: DMInstaller log %v", sec, l.Lines)
			}
			if (out.Status != nil) != (conn == lifecycle.ViaManagedComputer) {
				t.Errorf("%v via %v: status message %+v", sec, conn, out.Status)
			}
			wantLast := lifecycle.Denied
			if got := out.Steps[len(out.Steps)-1]; got != wantLast {
				t.Errorf("%v: chain ended in %v", sec, got)
			}
		}
	}
}

// TestOverwrites: settings that do not conform to the new configuration are
// overwritten, user changes included, sorted by key.
func TestOverwrites(t *testing.T) {
	sc := withState(lifecycle.Older)
	f, _ := ini.Parse("ClientSettings.ini", []byte("[ClientSettings]\r\nPollingInterval=60\r\nLogLevel=2\r\nServer=mp\r\n"))
	sc.Package.Settings, _ = f.Settings()
	sc.Device.Settings = []lifecycle.Setting{
		{Key: "server", Value: "mp"},
		{Key: "pollinginterval", Value: "15", UserChanged: true},
		{Key: "LogLevel", Value: "0"},
		{Key: "Custom", Value: "x", UserChanged: true},
	}
	out, err := newMachine(t, lifecycle.Older).Deploy(context.Background(), sc)
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
	sc = withAction(sc, ini.ActionUninstall)
	out, _ = newMachine(t, lifecycle.Older).Deploy(context.Background(), sc)
	if out.Overwritten != nil {
		t.Errorf("uninstall overwrote %v", out.Overwritten)
	}
}

func TestRepairOfNewerIsDowngrade(t *testing.T) {
	sc := withState(lifecycle.Newer)
	sc.Repair = true
	out, err := newMachine(t, lifecycle.Newer).Deploy(context.Background(), sc)
	if err != nil || !out.Downgrade || out.To != lifecycle.Same || !out.After.Less(out.Before) {
		t.Errorf("repair of newer: %+v, %v", out, err)
	}
}

// TestDeployStartsFromDevice: a reused machine reports each device's own
// state, also when prerequisites fail or the context is done, never the
// previous device's.
func TestDeployStartsFromDevice(t *testing.T) {
	m := newMachine(t, lifecycle.None)
	if _, err := m.Deploy(context.Background(), lifecycle.DefaultScenario()); err != nil {
		t.Fatal(err)
	}
	sc := withState(lifecycle.Newer)
	sc.Site.ClientAgent = false
	out, err := m.Deploy(context.Background(), sc)
	if !errors.Is(err, lifecycle.ErrNoClientAgent) || out.From != lifecycle.Newer || out.To != lifecycle.Newer || m.State() != lifecycle.Newer {
		t.Errorf("prerequisite failure: %v -> %v (machine %v), %v", out.From, out.To, m.State(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, _ = m.Deploy(ctx, withState(lifecycle.Older))
	if out.From != lifecycle.Older || out.To != lifecycle.Older {
		t.Errorf("canceled deploy reports %v -> %v, want older", out.From, out.To)
	}
}

// TestTransitioned: Outcome.Transitioned is true exactly for the runs whose
// client transition committed: the table's transition From --Event--> To,
// with the machine left in To; otherwise nothing moved.
func TestTransitioned(t *testing.T) {
	declared := map[lifecycle.Transition[lifecycle.State, lifecycle.Event]]bool{}
	for _, tr := range lifecycle.ClientTransitions() {
		tr.Guard = ""
		declared[tr] = true
	}
	m := newMachine(t, lifecycle.None)
	i, seen := 0, map[bool]int{}
	for sc := range lifecycle.Scenarios() {
		i++
		if i%41 != 0 {
			continue
		}
		out, _ := m.Deploy(context.Background(), sc)
		seen[out.Transitioned()]++
		if out.Transitioned() {
			if !declared[lifecycle.Transition[lifecycle.State, lifecycle.Event]{Event: out.Event, From: out.From, To: out.To}] {
				t.Fatalf("scenario %d: transitioned by %v -> %v -> %v, not in the table", i, out.From, out.Event, out.To)
			}
		} else if out.From != out.To {
			t.Fatalf("scenario %d: not transitioned, yet %v -> %v (%v)", i, out.From, out.To, out.Failure)
		}
		if m.State() != out.To {
			t.Fatalf("scenario %d: machine in %v, outcome says %v", i, m.State(), out.To)
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Errorf("stride saw only one kind of run: %v", seen)
	}
}
