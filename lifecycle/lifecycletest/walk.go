package lifecycletest

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// Walk is a ready rapid state machine: one device under random
// deployments, for sampling long histories against a model of your own.
// Its [Walk.Actions] are for [rapid.T.Repeat]:
//
//	rapid.Check(t, func(t *rapid.T) {
//		w := lifecycletest.NewWalk(t, func(t *rapid.T, sc lifecycle.Scenario, out lifecycle.Outcome) {
//			// hold out to your model of the device sc.Device; t.Fatalf on a mismatch
//		})
//		t.Repeat(w.Actions())
//	})
//
// Each action deploys a drawn deployment to the walk's machine, which
// keeps the device each run leaves, so that the next deployment finds it;
// then it calls the model with the device found, the deployment and the
// outcome. After each action the walk asserts the library's invariants on
// the outcome ([Assert]) and that the machine holds the device the outcome
// says. A failure shows the history, and rapid shrinks it.
//
// Where package policy's Explore proves a property over every sequence of
// the finite space's deployments, a walk samples: longer histories,
// versions and settings beyond that space, and a model that remembers.
type Walk struct {
	m       *lifecycle.Machine
	start   lifecycle.Device
	history []Step
	model   func(t *rapid.T, sc lifecycle.Scenario, out lifecycle.Outcome)
}

// Step is one deployment of a [Walk]: the device it found and the
// deployment, and its outcome.
type Step struct {
	Scenario lifecycle.Scenario
	Outcome  lifecycle.Outcome
}

// walkVersions are the package versions of the walk's ready deployments:
// ConfigMgr 2007 SP1, SP2 and R3, so that as packages come and go a
// device's client is older, the same and newer than the next package.
func walkVersions() []version.Version {
	return []version.Version{version.New(4, 0, 6221, 1000), version.New(4, 0, 6487, 2000), version.New(4, 0, 6487, 2157)}
}

// walkClock stamps the walk's logs: a history's outcomes do not depend on
// when it ran.
func walkClock() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// NewWalk draws a device ([Device]) and returns the walk of a machine
// holding it. model, which may be nil, is called after every deployment
// with the device the deployment found, the deployment, and its outcome;
// it fails t where the outcome is not what the model expects.
func NewWalk(t *rapid.T, model func(t *rapid.T, sc lifecycle.Scenario, out lifecycle.Outcome)) *Walk {
	dev := Device().Draw(t, "device")
	m, err := lifecycle.NewMachine(dev, lifecycle.Options{Clock: walkClock})
	if err != nil {
		t.Fatalf("lifecycletest: drawn device: %v", err)
	}
	return &Walk{m: m, start: dev, model: model}
}

// Start returns the device the walk started from.
func (w *Walk) Start() lifecycle.Device { return w.start }

// Device returns the device now: what the next deployment finds.
func (w *Walk) Device() lifecycle.Device { return w.m.Device() }

// History returns the deployments so far, in order. The slice is the
// walk's: do not modify it.
func (w *Walk) History() []Step { return w.history }

// Actions returns the walk's actions for [rapid.T.Repeat]:
//
//   - "deploy anything": any deployment ([Deployment]), which often misses
//     a prerequisite;
//   - "install", "reconfigure", "uninstall" and "repair": a package with
//     ClientInstallAction Install, None or Uninstall, or any with a repair
//     asked for: of the client (or, on a platform that takes it, now and
//     then the password program), of ConfigMgr 2007 SP1, SP2 or R3, with
//     CertEnrollAction=Enroll or not and a renewal asked for or not, by a
//     method that reaches the device's connection, from a complete folder
//     to a site of any mode with its client agent, management and
//     distribution points and inventory extension in place: these change
//     the device when the device lets them, and as packages of three
//     versions come and go its client is older, the same and newer than
//     the next. Some still miss a prerequisite: a native or server
//     authentication site where CertEnrollAction=Enroll was not drawn, or
//     over the air to a device with no client;
//   - "" (the check after each action): the invariants on the last
//     outcome, and the machine's device agrees with it.
func (w *Walk) Actions() map[string]func(*rapid.T) {
	ready := func(a ini.Action, repair bool) func(*rapid.T) {
		return func(t *rapid.T) { w.deploy(t, w.ready(a, repair).Draw(t, "deployment")) }
	}
	return map[string]func(*rapid.T){
		"deploy anything": func(t *rapid.T) {
			w.deploy(t, Deployment(w.start.Platform).Draw(t, "deployment"))
		},
		"install":     ready(ini.ActionInstall, false),
		"reconfigure": ready(ini.ActionNone, false),
		"uninstall":   ready(ini.ActionUninstall, false),
		"repair":      ready(0, true),
		"":            w.check,
	}
}

func (w *Walk) deploy(t *rapid.T, dep lifecycle.Deployment) {
	before := w.m.Device()
	out, _ := w.m.Deploy(context.Background(), dep)
	sc := lifecycle.Scenario{Device: before, Deployment: dep}
	w.history = append(w.history, Step{Scenario: sc, Outcome: out})
	t.Logf("deployment %d: %v %v of %v by %v: %v -> %v, %v -> %v, err %v", len(w.history), out.Event, dep.Component,
		dep.Package.Version, dep.Method, out.From, out.To, out.Before, out.After, out.Err)
	if w.model != nil {
		w.model(t, sc, out)
	}
}

// ready draws a deployment with ClientInstallAction a (any when a is
// zero) whose site and folder meet its prerequisites.
func (w *Walk) ready(a ini.Action, repair bool) *rapid.Generator[lifecycle.Deployment] {
	dev := w.start
	var methods []lifecycle.Method
	components := []lifecycle.Component{lifecycle.Client}
	full := lifecycle.Site{Mode: certs.Mixed, ClientAgent: true, ManagementPoint: true, DistributionPoint: true, InventoryExtended: true}
	for _, m := range lifecycle.Methods() {
		probe := lifecycle.Scenario{Device: dev, Deployment: lifecycle.Deployment{
			Component: lifecycle.PasswordProgram, Method: m, Site: full,
			Package: lifecycle.Package{Version: walkVersions()[0], Folder: lifecycle.CompleteFolder(dev.Platform),
				Settings: ini.Settings{ClientInstallAction: ini.ActionInstall}},
		}}
		err := lifecycle.CheckPrerequisites(probe)
		if !errors.Is(err, lifecycle.ErrConnection) {
			methods = append(methods, m)
		}
		if m == lifecycle.ManualTransfer && !errors.Is(err, lifecycle.ErrPasswordProgramPlatform) {
			components = append(components, lifecycle.Client, lifecycle.Client, lifecycle.PasswordProgram)
		}
	}
	return rapid.Custom(func(t *rapid.T) lifecycle.Deployment {
		action := a
		if !action.IsValid() {
			action = rapid.SampledFrom(ini.Actions()).Draw(t, "action")
		}
		text := "[ClientSettings]\r\nClientInstallAction=" + action.String() + "\r\n"
		if rapid.Bool().Draw(t, "enroll") {
			text += "CertEnrollAction=" + ini.CertEnroll + "\r\n"
		}
		text += "PollingInterval=60\r\n"
		settings, err := lifecycle.ReadSettings("ClientSettings.ini", []byte(text))
		if err != nil {
			t.Fatalf("lifecycletest: ready settings do not read: %v", err)
		}
		dep := lifecycle.Deployment{
			Component: rapid.SampledFrom(components).Draw(t, "component"),
			Package: lifecycle.Package{
				Version:  rapid.SampledFrom(walkVersions()).Draw(t, "version"),
				Folder:   lifecycle.CompleteFolder(dev.Platform),
				Settings: settings,
			},
			Site:             full,
			Repair:           repair,
			RenewCertificate: rapid.IntRange(0, 3).Draw(t, "renew") == 0,
		}
		dep.Site.Mode = rapid.SampledFrom(certs.SiteModes()).Draw(t, "mode")
		if len(methods) > 0 {
			dep.Method = rapid.SampledFrom(methods).Draw(t, "method")
		}
		return dep
	})
}

// check asserts the invariants on the last outcome and that the machine
// holds the device it says.
func (w *Walk) check(t *rapid.T) {
	if len(w.history) == 0 {
		return
	}
	last := w.history[len(w.history)-1]
	Assert(t, last.Scenario, last.Outcome)
	before, out, now := last.Scenario.Device, last.Outcome, w.m.Device()
	installed := now.Client
	if last.Scenario.Deployment.Component == lifecycle.PasswordProgram {
		installed = now.PasswordProgram
	}
	switch {
	case !out.Transitioned() && !sameDevice(before, now):
		t.Fatalf("lifecycletest: a deployment that did not transition changed the device:\nbefore: %+v\nafter:  %+v", before, now)
	case out.Transitioned() && installed != out.After:
		t.Fatalf("lifecycletest: the device holds %v after a run that left %v", installed, out.After)
	}
}

// sameDevice reports whether a and b are the same device.
func sameDevice(a, b lifecycle.Device) bool {
	return slices.Equal(a.Settings, b.Settings) && a.ID == b.ID && a.Platform == b.Platform && a.Client == b.Client && a.PasswordProgram == b.PasswordProgram &&
		a.Security == b.Security && a.Connection == b.Connection && a.Computer == b.Computer &&
		a.Enrollment == b.Enrollment && a.Certificate == b.Certificate
}
