package lifecycle_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// model is the plain reference model the stateful test holds the
// looplab-backed machine to: the installed version and the state it implies
// for the deployed version, with the page's rules written as plain Go.
type model struct {
	state     lifecycle.State
	installed version.Version
}

// step returns the model after event ev succeeds with deployed version
// deployed, and whether ev is permitted at all.
func (m model) step(ev lifecycle.Event, deployed version.Version) (model, bool) {
	has := m.state != lifecycle.None
	switch ev {
	case lifecycle.Install:
		return model{lifecycle.Same, deployed}, m.state == lifecycle.None
	case lifecycle.Upgrade:
		return model{lifecycle.Same, deployed}, m.state == lifecycle.Older
	case lifecycle.Reconfigure:
		return m, has
	case lifecycle.Uninstall:
		return model{lifecycle.None, version.Version{}}, has
	case lifecycle.Repair:
		return model{lifecycle.Same, deployed}, has
	}
	return m, true
}

// snapshot is what the test compares after every step.
type snapshot struct {
	State     lifecycle.State
	Installed version.Version
}

// TestStateful drives one looplab-backed Machine and the reference model
// side by side with random deployments, forced events, restores and
// canceled contexts, comparing them with go-cmp after every step.
func TestStateful(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		deployed := lifecycletest.Version().Draw(t, "deployed")
		ref := model{state: lifecycle.None}
		m, err := lifecycle.NewMachine(lifecycle.None)
		if err != nil {
			t.Fatal(err)
		}
		installed := version.Version{} // what the machine's runs leave on the device
		scenario := func(t *rapid.T) lifecycle.Scenario {
			// The default scenario's unlocked WM6 Professional on a mixed
			// site: the chain completes, so the model's rules decide alone.
			sc := lifecycle.DefaultScenario()
			sc.Method = lifecycle.ManualTransfer
			sc.Device.Connection = lifecycle.Direct
			sc.Device.Installed = installed
			sc.Package.Version = deployed
			sc.Package.Settings = lifecycletest.Settings(sc.Device.Platform).Draw(t, "settings")
			sc.Package.Settings.Installer = ""
			return sc
		}
		t.Repeat(map[string]func(*rapid.T){
			"deploy": func(t *rapid.T) {
				sc := scenario(t)
				sc.Repair = rapid.Bool().Draw(t, "repair")
				want, ok := ref.step(sc.Event(), deployed)
				out, err := m.Deploy(context.Background(), sc)
				lifecycletest.Assert(t, sc, out)
				if !ok {
					if !errors.Is(err, lifecycle.ErrInvalidTransition) {
						t.Fatalf("%v from %v: err %v, want a rejected event", sc.Event(), ref.state, err)
					}
					return
				}
				if err != nil && out.Failure != lifecycle.FailureEnrollment {
					t.Fatalf("%v from %v: %v", sc.Event(), ref.state, err)
				}
				ref = want
				installed = out.After
			},
			"fire": func(t *rapid.T) {
				ev := rapid.SampledFrom(lifecycle.Events()).Draw(t, "event")
				sc := scenario(t)
				want, ok := ref.step(ev, deployed)
				out, err := m.Fire(context.Background(), ev, sc)
				if !ok {
					var te *lifecycle.TransitionError
					if !errors.As(err, &te) || te.State != ref.state {
						t.Fatalf("Fire(%v) from %v = %v, want a TransitionError", ev, ref.state, err)
					}
					return
				}
				if err != nil && out.Failure != lifecycle.FailureEnrollment {
					t.Fatalf("Fire(%v) from %v: %v", ev, ref.state, err)
				}
				ref = want
				installed = out.After
			},
			"canceled": func(t *rapid.T) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				if _, err := m.Deploy(ctx, scenario(t)); !errors.Is(err, context.Canceled) {
					t.Fatalf("canceled Deploy = %v", err)
				}
			},
			"new package": func(t *rapid.T) {
				// A new package changes how the installed client compares
				// without any event.
				deployed = lifecycletest.Version().Draw(t, "new deployed")
				ref.state = lifecycle.Classify(ref.installed, deployed)
				if err := m.Restore(ref.state); err != nil {
					t.Fatal(err)
				}
			},
			"": func(t *rapid.T) {
				got := snapshot{State: m.State(), Installed: installed}
				want := snapshot{State: ref.state, Installed: ref.installed}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("machine and model disagree (-model +machine):\n%s", diff)
				}
				if lifecycle.Classify(installed, deployed) != m.State() {
					t.Fatalf("machine in %v but the device's client classifies as %v", m.State(), lifecycle.Classify(installed, deployed))
				}
			},
		})
	})
}
