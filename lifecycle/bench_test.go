package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/looplab/fsm"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
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
// trust step, DMClientSetup, done), logs and outcome. Each iteration
// restores the machine's device first, as a fleet runner does.
func BenchmarkDeploy(b *testing.B) {
	install := scenario(b)
	same := install
	same.Device.Client = sp2
	denied := install
	denied.Device.Security.PrivilegesRestricted = true
	prereq := install
	prereq.Deployment.Site.ClientAgent = false
	for _, bc := range []struct {
		name string
		sc   lifecycle.Scenario
	}{{"install", install}, {"reconfigure", same}, {"denied", denied}, {"prerequisites", prereq}} {
		b.Run(bc.name, func(b *testing.B) {
			m := newMachine(b, bc.sc.Device, lifecycle.Options{})
			for b.Loop() {
				_ = m.Restore(bc.sc.Device)
				_, _ = m.Deploy(context.Background(), bc.sc.Deployment)
			}
		})
	}
}

// BenchmarkDeployByHand is the same install written by hand with no state
// machine library, from the package's pure functions: the baseline of
// BenchmarkDeploy/install.
func BenchmarkDeployByHand(b *testing.B) {
	sc := scenario(b)
	for b.Loop() {
		_ = handDeploy(sc, clock())
	}
}

// TestHandDeployAgrees: the hand-written baseline gives the outcome Deploy
// gives, so that the benchmarks compare the same work.
func TestHandDeployAgrees(tt *testing.T) {
	m := newMachine(tt, device(), lifecycle.Options{})
	rapid.Check(tt, func(t *rapid.T) {
		sc := genScenario(tt).Draw(t, "scenario")
		if err := m.Restore(sc.Device); err != nil {
			t.Skip("invalid device")
		}
		want, _ := m.Deploy(context.Background(), sc.Deployment)
		got := handDeploy(sc, clock())
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool {
			return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error())
		})); diff != "" {
			t.Fatalf("hand-written deployment mismatch (-Deploy +hand):\n%s", diff)
		}
	})
}

// handDeploy is one deployment written by hand: what Machine.Deploy does,
// without looplab/fsm, the declared tables or an observer.
func handDeploy(sc lifecycle.Scenario, now time.Time) lifecycle.Outcome {
	dev, dep := sc.Device, sc.Deployment
	installed := dev.Client
	if dep.Component == lifecycle.PasswordProgram {
		installed = dev.PasswordProgram
	}
	s := lifecycle.Classify(installed, dep.Package.Version)
	out := lifecycle.Outcome{Device: dev.ID, Component: dep.Component, Method: dep.Method, Platform: dev.Platform,
		From: s, To: s, Before: installed, After: installed}
	if err := lifecycle.CheckPrerequisites(sc); err != nil {
		if errors.Is(err, lifecycle.ErrInvalidInput) {
			if _, err := dep.Component.MarshalText(); err != nil {
				out.Component = 0
			}
			if _, err := dep.Method.MarshalText(); err != nil {
				out.Method = 0
			}
			if _, err := dev.Platform.MarshalText(); err != nil {
				out.Platform = 0
			}
			out.Err = err
			return out
		}
		out.Event, out.Err = sc.Event(), err
		return out
	}
	ev := sc.Event()
	out.Event = ev
	if ev == lifecycle.NoAction {
		return out
	}
	to := s
	switch ev {
	case lifecycle.Install, lifecycle.Upgrade, lifecycle.Repair:
		to = lifecycle.Same
	case lifecycle.Uninstall:
		to = lifecycle.None
	}
	if s == lifecycle.None && ev != lifecycle.Install {
		out.Err = fmt.Errorf("%w: %s in state %s", lifecycle.ErrInvalidTransition, ev, s)
		return out
	}
	at := now.UTC().Truncate(time.Second)
	log := func(k lifecycle.LogKind, lines ...string) {
		out.Logs = append(out.Logs, lifecycle.LogFile{Kind: k, Time: at, Lines: lines})
	}
	out.Steps = []lifecycle.Step{lifecycle.Staged}
	trust, terr := certs.EstablishTrust(dev.Platform, dev.Security)
	deny := func(lines ...string) lifecycle.Outcome {
		out.Steps = append(out.Steps, lifecycle.Denied)
		log(lifecycle.DMInstallerLog, lines...)
		if dev.Connection == lifecycle.ViaManagedComputer {
			out.Status = &lifecycle.StatusMessage{Device: dev.ID, HRESULT: certs.EAccessDenied, Text: terr.Error()}
		}
		out.Err = terr
		return out
	}
	if !trust.InstallerRan {
		return deny("DMInstaller could not run: the device does not trust its Mobile2Market signature.", trust.LogLine)
	}
	out.Steps = append(out.Steps, lifecycle.DMInstaller)
	if terr != nil {
		return deny("DMInstaller started.", trust.LogLine, "DMInstaller exited without calling DMClientSetup.")
	}
	out.Steps = append(out.Steps, lifecycle.DMClientSetup)
	out.Authenticode = trust.Installed
	trustLine := "Microsoft Authenticode certificate installed in the privileged execution and SPC stores."
	if trust.Exempt {
		trustLine = "Code signing does not apply to this platform."
	}
	log(lifecycle.DMInstallerLog, "DMInstaller started.", trustLine, "DMInstaller called DMClientSetup.", "DMClientSetup exited with success.")
	what := "client"
	if dep.Component == lifecycle.PasswordProgram {
		what = "password program"
	}
	setup := map[lifecycle.Event]string{
		lifecycle.Install: "Installed the " + what + ".", lifecycle.Upgrade: "Upgraded the " + what + " to the deployed version.",
		lifecycle.Reconfigure: "Reconfigured the " + what + " settings.", lifecycle.Uninstall: "Removed the " + what + ".",
		lifecycle.Repair: "Repaired the " + what + ": removed it, then installed the deployed version.",
	}[ev]
	log(lifecycle.DMClientSetupLog, setup)
	if dep.Component == lifecycle.Client && ev != lifecycle.Uninstall && s != lifecycle.None {
		for _, set := range dev.Settings {
			for _, p := range dep.Package.Settings.Pairs() {
				if strings.EqualFold(p.Key, set.Key) {
					if p.Value != set.Value {
						out.Overwritten = append(out.Overwritten, lifecycle.Overwrite{Key: set.Key, Old: set.Value, New: p.Value, UserChanged: set.UserChanged})
					}
					break
				}
			}
		}
		slices.SortFunc(out.Overwritten, func(a, b lifecycle.Overwrite) int { return strings.Compare(a.Key, b.Key) })
	}
	client := dep.Component == lifecycle.Client
	if client && ev != lifecycle.Uninstall {
		log(lifecycle.DMSvcLog, "Device management service started.")
		if dep.Package.Settings.Enroll() && (!dev.Certificate || dep.RenewCertificate) {
			out.Steps = append(out.Steps, lifecycle.Enrollment)
			res, err := certs.Enroll(dev.Enrollment)
			out.Enrollment, out.Err = res, err
			line := map[certs.EnrollmentResult]string{
				certs.Enrolled:             "User authentication certificate enrolled.",
				certs.CAUnreachable:        "Certificate enrollment failed: the certification authority is unreachable.",
				certs.AuthenticationFailed: "Certificate enrollment failed: authentication to the certification authority failed.",
			}[res]
			log(lifecycle.DMCertEnrollLog, line)
		}
	}
	out.Steps = append(out.Steps, lifecycle.Done)
	out.To = to
	switch ev {
	case lifecycle.Install, lifecycle.Upgrade, lifecycle.Repair:
		out.After = dep.Package.Version
	case lifecycle.Uninstall:
		out.After = version.Version{}
	}
	out.Downgrade = ev == lifecycle.Repair && s == lifecycle.Newer
	return out
}

// BenchmarkLooplabFloor is the floor of a deployment: the one raw looplab
// Event a deployment runs (the client transition, with its before_
// callback), with none of the library's work.
func BenchmarkLooplabFloor(b *testing.B) {
	client := fsm.NewFSM("none", fsm.Events{
		{Name: "install", Src: []string{"none"}, Dst: "same"},
	}, fsm.Callbacks{"before_install": func(context.Context, *fsm.Event) {}})
	ctx := context.Background()
	for b.Loop() {
		client.SetState("none")
		if err := client.Event(ctx, "install"); err != nil {
			b.Fatal(err)
		}
	}
}
