package lifecycletest_test

import (
	"testing"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// A model of your own, held to long random histories of one device: here,
// which client the device holds, from the events alone. The walk checks
// the library's invariants and the machine's device after every
// deployment; rapid shrinks a failing history to a short one. (Rename to
// TestClientModel(t *testing.T) in a _test.go file to run it, as rapid's
// own state machine examples say.)
func ExampleWalk() {
	var t *testing.T
	rapid.Check(t, func(t *rapid.T) {
		var client version.Version // the model
		w := lifecycletest.NewWalk(t, func(t *rapid.T, sc lifecycle.Scenario, out lifecycle.Outcome) {
			if sc.Device.Client != client {
				t.Fatalf("the device holds client %v, the model %v", sc.Device.Client, client)
			}
			if sc.Deployment.Component != lifecycle.Client || !out.Transitioned() {
				return
			}
			switch out.Event {
			case lifecycle.Install, lifecycle.Upgrade, lifecycle.Repair:
				client = sc.Deployment.Package.Version
			case lifecycle.Uninstall:
				client = version.Version{}
			}
		})
		client = w.Start().Client
		t.Repeat(w.Actions())
	})
}
