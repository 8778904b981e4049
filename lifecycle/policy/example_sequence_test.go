package policy_test

import (
	"context"
	"fmt"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
	"github.com/mobiledm/dmclient/version"
)

// A property proved over every sequence of deployments from one device
// ("only a repair lowers a client's version"), and a wrong one ("a client
// is never taken from SP1 to R3") with its shortest counterexample: a
// trace that replays on a machine.
func ExampleExplore() {
	ctx := context.Background()
	start := policy.Starting(policy.DefaultScenario().Device) // no client yet
	onlyRepairLowers := policy.Property{Step: func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		lowered := out.Before.IsValid() && out.After.IsValid() && out.After.Less(out.Before)
		return !lowered || out.Event == lifecycle.Repair
	}}
	res, err := policy.Explore(ctx, onlyRepairLowers, start)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("holds: %v (%d states, %d edges)\n", res.Holds(), res.States, res.Edges)

	sp1, r3 := version.MustParse("4.0.6221.1000"), version.MustParse("4.0.6487.2157")
	neverSP1ToR3 := policy.Property{Step: func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		return !(out.Before == sp1 && out.After == r3)
	}}
	res, err = policy.Explore(ctx, neverSP1ToR3, start, policy.MaxCounterexamples(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	tr := res.Counterexamples[0]
	fmt.Println("holds:", res.Holds())
	for _, s := range tr.Steps {
		fmt.Printf("  %v of %v: %v -> %v, client %v\n", s.Outcome.Event, s.Deployment.Package.Version,
			s.Outcome.From, s.Outcome.To, s.Device.Client)
	}

	m, _ := lifecycle.NewMachine(tr.Start, lifecycle.Options{})
	for _, s := range tr.Steps {
		out, _ := m.Deploy(ctx, s.Deployment)
		fmt.Println("replayed:", out.Event == s.Outcome.Event && out.After == s.Outcome.After)
	}
	// Output:
	// holds: true (8 states, 1048 edges)
	// holds: false
	//   install of 4.0.6221.1000: none -> same, client 4.0.6221.1000
	//   repair of 4.0.6487.2157: older -> same, client 4.0.6487.2157
	// replayed: true
	// replayed: true
}

// A property over histories: after an uninstall, the next install that
// succeeds ends in the deployed version. Histories walks every history of
// up to three deployments of the client by manual transfer, from a device
// without a client.
func ExampleHistories() {
	var deps []lifecycle.Deployment
	for _, d := range policy.Deployments() {
		if d.Component == lifecycle.Client && d.Method == lifecycle.ManualTransfer &&
			d.Site == policy.DefaultScenario().Deployment.Site && !d.Package.Settings.Enroll() {
			deps = append(deps, d)
		}
	}
	installAfterUninstall := func(tr policy.Trace) bool {
		last := tr.Steps[len(tr.Steps)-1]
		if last.Outcome.Event != lifecycle.Install || !last.Outcome.Transitioned() {
			return true
		}
		for i := len(tr.Steps) - 2; i >= 0; i-- {
			if o := tr.Steps[i].Outcome; o.Transitioned() {
				if o.Event != lifecycle.Uninstall {
					return true
				}
				return last.Device.Client == last.Deployment.Package.Version
			}
		}
		return true
	}
	res, err := policy.Histories(context.Background(), 3, installAfterUninstall,
		policy.Starting(policy.DefaultScenario().Device), policy.Deploying(deps...))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("holds to depth %d: %v (%d deployments, %d histories)\n", res.Depth, res.Holds(), len(deps), res.Edges)
	// Output:
	// holds to depth 3: true (18 deployments, 6174 histories)
}
