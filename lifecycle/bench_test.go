package lifecycle_test

import (
	"context"
	"testing"

	"github.com/looplab/fsm"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
)

// The benchmarks of this file are meant to be read as ratios within one
// run, on this kind of small, noisy machine:
//
//	go test -run '^$' -bench . -benchmem ./lifecycle/

var sinkEvent lifecycle.Event

// BenchmarkDecide is the decision table.
func BenchmarkDecide(b *testing.B) {
	states := lifecycle.States()
	actions := ini.Actions()
	i := 0
	for b.Loop() {
		sinkEvent = lifecycle.Decide(states[i&3], actions[i%3])
		i++
	}
}

// handDecide is the decision table as a hand-written switch: the baseline
// Decide is measured against.
func handDecide(s lifecycle.State, a ini.Action) lifecycle.Event {
	switch a {
	case ini.ActionInstall:
		switch s {
		case lifecycle.None:
			return lifecycle.Install
		case lifecycle.Older:
			return lifecycle.Upgrade
		case lifecycle.Same:
			return lifecycle.Reconfigure
		}
	case ini.ActionNone:
		if s != lifecycle.None {
			return lifecycle.Reconfigure
		}
	case ini.ActionUninstall:
		if s != lifecycle.None {
			return lifecycle.Uninstall
		}
	}
	return lifecycle.NoAction
}

func BenchmarkDecideSwitch(b *testing.B) {
	states := lifecycle.States()
	actions := ini.Actions()
	i := 0
	for b.Loop() {
		sinkEvent = handDecide(states[i&3], actions[i%3])
		i++
	}
}

func TestHandDecideAgrees(t *testing.T) {
	for _, s := range lifecycle.States() {
		for _, a := range ini.Actions() {
			if lifecycle.Decide(s, a) != handDecide(s, a) {
				t.Errorf("baseline disagrees with Decide for %v, %v", s, a)
			}
		}
	}
}

// BenchmarkLooplabEvent is the baseline a deployment is measured against:
// one raw looplab/fsm Event, a transition with a before_ callback, on a
// reused machine.
func BenchmarkLooplabEvent(b *testing.B) {
	n := 0
	m := fsm.NewFSM("none", fsm.Events{
		{Name: "install", Src: []string{"none"}, Dst: "same"},
		{Name: "uninstall", Src: []string{"same"}, Dst: "none"},
	}, fsm.Callbacks{"before_event": func(context.Context, *fsm.Event) { n++ }})
	ctx := context.Background()
	events := [2]string{"install", "uninstall"}
	i := 0
	for b.Loop() {
		if err := m.Event(ctx, events[i&1]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkDeploy is a full deployment on a reused machine: prerequisites,
// decision, the client transition and the whole installer chain (DMInstaller,
// trust step, DMClientSetup, done), logs and outcome.
func BenchmarkDeploy(b *testing.B) {
	install := lifecycle.DefaultScenario()
	b.Run("reconfigure", func(b *testing.B) {
		m, _ := lifecycle.NewMachine(lifecycle.Same, lifecycle.WithClock(testClock))
		sc := withState(lifecycle.Same)
		for b.Loop() {
			if _, err := m.Deploy(context.Background(), sc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("install", func(b *testing.B) {
		m, _ := lifecycle.NewMachine(lifecycle.None, lifecycle.WithClock(testClock))
		for b.Loop() {
			if _, err := m.Deploy(context.Background(), install); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("denied", func(b *testing.B) {
		m, _ := lifecycle.NewMachine(lifecycle.None, lifecycle.WithClock(testClock))
		sc := install
		sc.Device.Security.PrivilegesRestricted = true
		for b.Loop() {
			_, _ = m.Deploy(context.Background(), sc)
		}
	})
	b.Run("prerequisites", func(b *testing.B) {
		m, _ := lifecycle.NewMachine(lifecycle.None, lifecycle.WithClock(testClock))
		sc := install
		sc.Site.ClientAgent = false
		for b.Loop() {
			_, _ = m.Deploy(context.Background(), sc)
		}
	})
}

// BenchmarkCheckPolicy proves a policy over the whole finite input space
// (about two million scenarios).
func BenchmarkCheckPolicy(b *testing.B) {
	policy := func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		return !(sc.Device.Platform.IsSmartphone() && !sc.Device.Security.Unlocked() && out.RanStep(lifecycle.Setup))
	}
	for b.Loop() {
		res, err := lifecycle.CheckPolicy(context.Background(), policy)
		if err != nil || !res.Holds() {
			b.Fatal(err, res.Violations)
		}
	}
}

// BenchmarkLooplabFloor is the floor of a deployment: the four raw looplab
// Events one runs (a client transition with its before_ callback, and the
// chain's dminstaller, dmclientsetup and done steps on a machine without
// callbacks), with none of the library's work.
func BenchmarkLooplabFloor(b *testing.B) {
	client := fsm.NewFSM("none", fsm.Events{
		{Name: "install", Src: []string{"none"}, Dst: "same"},
		{Name: "uninstall", Src: []string{"same"}, Dst: "none"},
	}, fsm.Callbacks{"before_install": func(context.Context, *fsm.Event) {}, "before_uninstall": func(context.Context, *fsm.Event) {}})
	chain := fsm.NewFSM("staged", fsm.Events{
		{Name: "run_installer", Src: []string{"staged"}, Dst: "dminstaller"},
		{Name: "trust", Src: []string{"dminstaller"}, Dst: "dmclientsetup"},
		{Name: "finish", Src: []string{"dmclientsetup"}, Dst: "done"},
	}, nil)
	ctx := context.Background()
	events := [2]string{"install", "uninstall"}
	i := 0
	for b.Loop() {
		chain.SetState("staged")
		for _, e := range [...]string{"run_installer", "trust", "finish"} {
			if err := chain.Event(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
		if err := client.Event(ctx, events[i&1]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
