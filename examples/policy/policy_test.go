package policy_test

import (
	"context"
	"slices"
	"testing"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/lifecycle/policy"
	"pgregory.net/rapid"
)

// lockedSmartphoneNeverGetsClient: "a locked Smartphone must never get the
// client". Locked means the device does not trust the Mobile2Market
// certificate or its operator restricted privileges; "gets the client"
// means DMClientSetup ran on it.
func lockedSmartphoneNeverGetsClient(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
	locked := !sc.Device.Security.Unlocked()
	return !(sc.Device.Platform.IsSmartphone() && locked && out.Transitioned())
}

// noDowngradeExceptRepair: the installed version never goes down, except
// when a repair replaces a newer client, and then the outcome says so.
func noDowngradeExceptRepair(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
	lowered := out.Before.IsValid() && out.After.IsValid() && out.After.Less(out.Before)
	if !lowered {
		return !out.Downgrade
	}
	return out.Event == lifecycle.Repair && out.Downgrade
}

var policies = map[string]policy.Func{
	"a locked Smartphone never gets the client": lockedSmartphoneNeverGetsClient,
	"no downgrade except by repair":             noDowngradeExceptRepair,
}

// neverDenied is a wrong policy: "no device is ever denied".
func neverDenied(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
	return !slices.Contains(out.Steps, lifecycle.Denied)
}

// TestPoliciesSampled samples scenarios well beyond the finite space (any
// versions, settings and sites) with rapid.
func TestPoliciesSampled(t *testing.T) {
	for name, p := range policies {
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				sc := lifecycletest.Scenario().Draw(t, "scenario")
				out, _ := lifecycle.Run(context.Background(), sc, lifecycle.Options{})
				lifecycletest.Assert(t, sc, out) // the library's own invariants, for free
				if !p(sc, out) {
					t.Fatalf("policy %q violated: %v -> %v by %v (%v)", name, out.From, out.To, out.Event, out.Err)
				}
			})
		})
	}
}

// TestPoliciesProved runs each policy over every scenario of the model's
// finite input space: a proof, not a sample.
func TestPoliciesProved(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("the proof runs every scenario of the space: the plain run does it")
	}
	for name, p := range policies {
		t.Run(name, func(t *testing.T) {
			res, err := policy.Check(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			for _, ce := range res.Counterexamples {
				t.Errorf("counterexample (distance %d): %+v\noutcome: %+v\nchain: %v", ce.Distance, ce.Scenario, ce.Outcome, ce.ChainPath)
			}
			if res.Checked == 0 {
				t.Fatal("nothing checked")
			}
			t.Logf("%s: held on all %d scenarios", name, res.Checked)
		})
	}
}

// TestBrokenPolicyIsCaught shows what a failing proof looks like: the
// (wrong) policy "no device is ever denied" fails, and the simplest
// counterexample comes first: the default scenario with one input changed,
// whose run ends in the installer chain's denied step.
func TestBrokenPolicyIsCaught(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("the proof runs every scenario of the space: the plain run does it")
	}
	res, err := policy.Check(context.Background(), neverDenied, policy.MaxCounterexamples(3))
	if err != nil {
		t.Fatal(err)
	}
	if res.Holds() || len(res.Counterexamples) != 3 {
		t.Fatalf("a wrong policy held: %+v", res)
	}
	first := res.Counterexamples[0]
	if first.Distance != 1 || policy.Distance(first.Scenario) != 1 {
		t.Errorf("simplest counterexample is %d inputs away from the default, want 1", first.Distance)
	}
	if n := len(first.ChainPath); n == 0 || first.ChainPath[n-1].To != lifecycle.Denied {
		t.Errorf("counterexample path does not end in denied: %+v", first.ChainPath)
	}
	// The counterexample replays: the same scenario, run alone, is denied.
	out, _ := lifecycle.Run(context.Background(), first.Scenario, lifecycle.Options{})
	if neverDenied(first.Scenario, out) {
		t.Errorf("counterexample does not replay: %+v", out)
	}
}
