package lifecycletest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// installedModel is a user's model of a device: the installed client and
// password program, updated from each outcome's event alone.
type installedModel struct{ client, pp version.Version }

// step checks the device the deployment found against the model, then
// moves the model as the event says.
func (m *installedModel) step(t *rapid.T, sc lifecycle.Scenario, out lifecycle.Outcome) {
	if sc.Device.Client != m.client || sc.Device.PasswordProgram != m.pp {
		t.Fatalf("the device holds client %v, password program %v; the model says %v, %v",
			sc.Device.Client, sc.Device.PasswordProgram, m.client, m.pp)
	}
	field := &m.client
	if sc.Deployment.Component == lifecycle.PasswordProgram {
		field = &m.pp
	}
	if !out.Transitioned() {
		return
	}
	switch out.Event {
	case lifecycle.Install, lifecycle.Upgrade, lifecycle.Repair:
		*field = sc.Deployment.Package.Version
	case lifecycle.Uninstall:
		*field = version.Version{}
	}
}

// TestWalk samples long histories against a model of the installed
// versions: the walk's own checks (the invariants, the machine's device)
// and the model's hold after every deployment, and the ready deployments
// change devices.
func TestWalk(t *testing.T) {
	var steps, transitions, longest int
	rapid.Check(t, func(t *rapid.T) {
		var model installedModel
		w := lifecycletest.NewWalk(t, model.step)
		model = installedModel{w.Start().Client, w.Start().PasswordProgram}
		t.Repeat(w.Actions())
		for i, s := range w.History() {
			if i > 0 && !sameDevice(s.Scenario.Device, w.History()[i-1].Scenario.Device) && !w.History()[i-1].Outcome.Transitioned() {
				t.Fatalf("deployment %d found another device than the one before it left", i)
			}
			if s.Outcome.Transitioned() {
				transitions++
			}
		}
		if d := w.Device(); d.Client != model.client || d.PasswordProgram != model.pp {
			t.Fatalf("the walk ends at %v, %v; the model at %v, %v", d.Client, d.PasswordProgram, model.client, model.pp)
		}
		steps += len(w.History())
		longest = max(longest, len(w.History()))
	})
	if transitions == 0 || longest < 10 {
		t.Errorf("%d deployments, %d transitions, the longest history %d: the walks do not go far", steps, transitions, longest)
	}
	t.Logf("%d deployments, %d transitions, the longest history %d", steps, transitions, longest)
}

func sameDevice(a, b lifecycle.Device) bool { return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) }

// TestWalkCatchesWrongModel: a model that says the client never changes is
// caught, and the failure shows the history.
func TestWalkCatchesWrongModel(t *testing.T) {
	var rec rapidRecorder
	rapid.Check(&rec, func(t *rapid.T) {
		var client version.Version
		w := lifecycletest.NewWalk(t, func(t *rapid.T, sc lifecycle.Scenario, out lifecycle.Outcome) {
			if sc.Deployment.Component == lifecycle.Client && out.After != client {
				t.Fatalf("the client changed from %v to %v", client, out.After)
			}
		})
		client = w.Start().Client
		t.Repeat(w.Actions())
	})
	if !rec.failed {
		t.Fatal("a wrong model passed")
	}
	if log := rec.log.String(); !strings.Contains(log, "the client changed") || !strings.Contains(log, "deployment 1:") {
		t.Errorf("the failure does not show the history:\n%s", log)
	}
}

// rapidRecorder is a rapid.TB that records a failure instead of failing.
type rapidRecorder struct {
	log    strings.Builder
	failed bool
}

func (r *rapidRecorder) Helper()                           {}
func (r *rapidRecorder) Name() string                      { return "rapidRecorder" }
func (r *rapidRecorder) Logf(format string, args ...any)   { fmt.Fprintf(&r.log, format+"\n", args...) }
func (r *rapidRecorder) Log(args ...any)                   { fmt.Fprintln(&r.log, args...) }
func (r *rapidRecorder) Skipf(format string, args ...any)  { r.Logf(format, args...) }
func (r *rapidRecorder) Skip(args ...any)                  { r.Log(args...) }
func (r *rapidRecorder) SkipNow()                          {}
func (r *rapidRecorder) Errorf(format string, args ...any) { r.failed = true; r.Logf(format, args...) }
func (r *rapidRecorder) Error(args ...any)                 { r.failed = true; r.Log(args...) }
func (r *rapidRecorder) Fatalf(format string, args ...any) { r.failed = true; r.Logf(format, args...) }
func (r *rapidRecorder) Fatal(args ...any)                 { r.failed = true; r.Log(args...) }
func (r *rapidRecorder) FailNow()                          { r.failed = true }
func (r *rapidRecorder) Fail()                             { r.failed = true }
func (r *rapidRecorder) Failed() bool                      { return r.failed }
