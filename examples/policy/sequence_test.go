package policy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
	"github.com/mobiledm/dmclient/version"
)

// noClientWithoutMobile2Market: "a device that does not trust
// Mobile2Market never gets a client, by any sequence of deployments". On a
// platform that signs its installers (not Pocket PC 2003 nor Windows CE,
// which the product page exempts from signing), such a device refuses
// DMInstaller: no deployment, whatever came before it, runs DMClientSetup
// to give it a client.
func noClientWithoutMobile2Market(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
	untrusted := sc.Device.Platform.SigningApplies() && !sc.Device.Security.TrustsMobile2Market
	return !(untrusted && out.Component == lifecycle.Client && out.Transitioned())
}

// onlyRepairLowersClient: "no sequence without a repair lowers a client's
// version": whatever was deployed before, the only deployment that leaves
// an older client than it found is a repair (of a newer client, with the
// older deployed package). An uninstall followed by an install of an
// older package installs a new client; it lowers none.
func onlyRepairLowersClient(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
	lowered := out.Component == lifecycle.Client && out.Before.IsValid() && out.After.IsValid() && out.After.Less(out.Before)
	return !lowered || out.Event == lifecycle.Repair
}

// neverLowersClient is a wrong sequence policy: "no sequence lowers a
// client's version". It forgets the repair.
func neverLowersClient(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
	return !(out.Component == lifecycle.Client && out.Before.IsValid() && out.After.IsValid() && out.After.Less(out.Before))
}

// traceClock is the clock policy.Explore runs with: a trace replays
// exactly, logs included, on a machine with it.
func traceClock() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// sameError compares errors by message: two runs that failed the same way.
var sameError = cmp.Comparer(func(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Error() == b.Error()
})

var sequencePolicies = map[string]policy.Property{
	"a device that does not trust Mobile2Market never gets a client": {Step: noClientWithoutMobile2Market},
	"no sequence without a repair lowers a client's version":         {Step: onlyRepairLowersClient},
}

// TestSequencePoliciesProved proves each sequence policy over every
// sequence of deployments, of any length, from every device of the
// model's finite space: the graph of every device reachable is explored to
// its fixpoint.
func TestSequencePoliciesProved(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("the proof explores the whole graph: the plain run does it")
	}
	for name, p := range sequencePolicies {
		t.Run(name, func(t *testing.T) {
			res, err := policy.Explore(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range res.Counterexamples {
				t.Errorf("counterexample of %d steps from %+v: %+v", len(tr.Steps), tr.Start, tr.Steps)
			}
			if res.States == 0 || res.Edges == 0 {
				t.Fatal("nothing explored")
			}
			t.Logf("%s: held on every sequence (%d states, %d edges)", name, res.States, res.Edges)
		})
	}
}

// TestBrokenSequencePolicyIsCaught: the wrong policy fails, its shortest
// counterexample from a new device (no client) is two deployments long
// (install a client, then repair it with an older package: no single
// deployment lowers a client that is not there), and every counterexample
// replays step by step on a machine.
func TestBrokenSequencePolicyIsCaught(t *testing.T) {
	res, err := policy.Explore(context.Background(), policy.Property{Step: neverLowersClient},
		policy.Starting(policy.DefaultScenario().Device), policy.MaxCounterexamples(10))
	if err != nil {
		t.Fatal(err)
	}
	if res.Holds() || len(res.Counterexamples) == 0 {
		t.Fatalf("a wrong policy held: %+v", res)
	}
	for i, tr := range res.Counterexamples {
		if len(tr.Steps) != 2 {
			t.Errorf("counterexample %d has %d steps, want 2", i, len(tr.Steps))
		}
		m, err := lifecycle.NewMachine(tr.Start, lifecycle.Options{Clock: traceClock})
		if err != nil {
			t.Fatal(err)
		}
		for j, s := range tr.Steps {
			before := m.Device()
			out, _ := m.Deploy(context.Background(), s.Deployment)
			if diff := cmp.Diff(s.Outcome, out, sameError); diff != "" {
				t.Errorf("counterexample %d step %d does not replay (-trace +replay):\n%s", i, j, diff)
			}
			if diff := cmp.Diff(s.Device, m.Device()); diff != "" {
				t.Errorf("counterexample %d step %d leaves another device (-trace +replay):\n%s", i, j, diff)
			}
			if last := j == len(tr.Steps)-1; last == neverLowersClient(lifecycle.Scenario{Device: before, Deployment: s.Deployment}, out) {
				t.Errorf("counterexample %d: step %d judged %v", i, j, !last)
			}
		}
	}
}

// The wrong sequence policy "no sequence lowers a client's version",
// explored from a new device: its shortest counterexample installs a
// client, then repairs it with an older package.
func Example_brokenSequencePolicy() {
	start := policy.DefaultScenario().Device // no client yet
	res, err := policy.Explore(context.Background(), policy.Property{Step: neverLowersClient},
		policy.Starting(start), policy.MaxCounterexamples(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	tr := res.Counterexamples[0]
	fmt.Printf("holds: %v (%d of %d deployments violate it)\n", res.Holds(), res.Violations, res.Edges)
	fmt.Printf("shortest trace, %d deployments from %s (client %s):\n", len(tr.Steps), tr.Start.ID, installed(tr.Start.Client))
	for i, s := range tr.Steps {
		d, o := s.Deployment, s.Outcome
		fmt.Printf("  %d. %s %s, ClientInstallAction=%s, repair %v, by %s\n", i+1,
			d.Component, d.Package.Version, d.Package.Settings.ClientInstallAction, d.Repair, d.Method)
		fmt.Printf("     %s: %s -> %s, client %s -> %s\n", o.Event, o.From, o.To, installed(o.Before), installed(o.After))
	}
	// Output:
	// holds: false (126 of 1048 deployments violate it)
	// shortest trace, 2 deployments from wm6pro-01 (client none):
	//   1. client 4.0.6487.2000, ClientInstallAction=Install, repair false, by software distribution
	//      install: none -> same, client none -> 4.0.6487.2000
	//   2. client 4.0.6221.1000, ClientInstallAction=None, repair true, by software distribution
	//      repair: newer -> same, client 4.0.6487.2000 -> 4.0.6221.1000
}

func installed(v version.Version) string {
	if !v.IsValid() {
		return "none"
	}
	return v.String()
}
