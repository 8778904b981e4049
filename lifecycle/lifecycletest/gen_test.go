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

// TestRelative: Relative draws every state relative to the deployed
// version, and only valid versions or none.
func TestRelative(t *testing.T) {
	states := map[lifecycle.State]bool{}
	rapid.Check(t, func(t *rapid.T) {
		deployed := lifecycletest.Version().Draw(t, "deployed")
		v := lifecycletest.Relative(deployed).Draw(t, "installed")
		states[lifecycle.Classify(v, deployed)] = true
	})
	if len(states) != len(lifecycle.States()) {
		t.Errorf("states drawn: %v", states)
	}
}

// errorClasses are the ways a run ends that a generator must reach.
var errorClasses = []error{nil, lifecycle.ErrNoClientAgent, lifecycle.ErrFolderIncomplete, lifecycle.ErrInvalidSettings,
	lifecycle.ErrConnection, lifecycle.ErrNotManaged, lifecycle.ErrNoManagementPoint, lifecycle.ErrNoDistributionPoint,
	lifecycle.ErrInventoryNotExtended, lifecycle.ErrPasswordProgramPlatform, lifecycle.ErrEnrollmentNotEnforced,
	lifecycle.ErrInvalidTransition, certs.ErrUntrustedInstaller, certs.ErrAccessDenied, certs.ErrCAUnreachable,
	certs.ErrAuthenticationFailed}

// TestGeneratorsReachEverything: sampling reaches every platform, state of
// either component, event and way a run ends, so properties over the
// generators are not blind to a part of the model. The draws use fixed
// seeds, so the test is deterministic.
func TestGeneratorsReachEverything(t *testing.T) {
	platforms := map[certs.Platform]bool{}
	states := map[[2]int]bool{}
	events := map[lifecycle.Event]bool{}
	ends := map[int]bool{}
	gen := lifecycletest.Scenario()
	for seed := range 4000 {
		sc := gen.Example(seed)
		// Every other draw gets past the prerequisites.
		if seed%2 == 0 {
			dep := &sc.Deployment
			dep.Site = lifecycle.Site{Mode: dep.Site.Mode, ClientAgent: true, ManagementPoint: true, DistributionPoint: true, InventoryExtended: true}
			dep.Package.Folder = lifecycle.CompleteFolder(sc.Device.Platform)
			dep.Package.Settings.Installer = ""
			dep.Method = lifecycle.ManualTransfer
		}
		out, _ := lifecycle.Run(context.Background(), sc, lifecycle.Options{})
		platforms[sc.Device.Platform] = true
		states[[2]int{int(sc.Deployment.Component), int(out.From)}] = true
		events[out.Event] = true
		for i, e := range errorClasses {
			if (e == nil && out.Err == nil) || (e != nil && errors.Is(out.Err, e)) {
				ends[i] = true
			}
		}
	}
	if len(platforms) != len(certs.Platforms()) || len(states) != 2*len(lifecycle.States()) || len(events) != 6 /* the events, no action included */ {
		t.Errorf("reached platforms %v, component states %v, events %v", platforms, states, events)
	}
	for i, e := range errorClasses {
		if !ends[i] {
			t.Errorf("no draw ends with %v", e)
		}
	}
}
