package lifecycletest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"pgregory.net/rapid"
)

// TestScenarioValid: generated scenarios never hold invalid values, so a
// policy test's failures are about the model, not the generator.
func TestScenarioValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := lifecycletest.Scenario().Draw(t, "scenario")
		if err := lifecycle.CheckPrerequisites(sc); errors.Is(err, lifecycle.ErrInvalidInput) {
			t.Fatalf("generated an invalid scenario: %v", err)
		}
	})
}

// TestGeneratorsReachEverything: sampling reaches every platform, state,
// event and failure class the model has, so properties over the
// generators are not blind to a part of it. The draws use fixed seeds, so
// the test is deterministic.
func TestGeneratorsReachEverything(t *testing.T) {
	platforms := map[certs.Platform]bool{}
	states := map[lifecycle.State]bool{}
	events := map[lifecycle.Event]bool{}
	failures := map[lifecycle.Failure]bool{}
	gen := lifecycletest.Scenario()
	for seed := range 3000 {
		sc := gen.Example(seed)
		// Every other draw gets past the prerequisites.
		if seed%2 == 0 {
			sc.Site = lifecycle.Site{Mode: sc.Site.Mode, ClientAgent: true, ManagementPoint: true, DistributionPoint: true, InventoryExtended: true}
			sc.Package.Folder = lifecycle.CompleteFolder(sc.Device.Platform)
			sc.Package.Settings.Installer = ""
			sc.Method = lifecycle.ManualTransfer
		}
		m, _ := lifecycle.NewMachine(lifecycle.None)
		out, _ := m.Deploy(context.Background(), sc)
		platforms[sc.Device.Platform] = true
		states[out.From] = true
		events[out.Event] = true
		failures[out.Failure] = true
	}
	if len(platforms) != len(certs.Platforms()) || len(states) != len(lifecycle.States()) || len(events) != len(lifecycle.Events()) {
		t.Errorf("reached platforms %v, states %v, events %v", platforms, states, events)
	}
	for _, f := range []lifecycle.Failure{lifecycle.NoFailure, lifecycle.FailurePrerequisites, lifecycle.FailureRejected,
		lifecycle.FailureUntrusted, lifecycle.FailureAccessDenied, lifecycle.FailureEnrollment} {
		if !failures[f] {
			t.Errorf("never reached failure %v (reached %v)", f, failures)
		}
	}
}
