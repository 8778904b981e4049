//go:build !race

package policy_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
)

// A policy proved over the whole finite input space, and a wrong one with
// its simplest counterexample. (This example runs the whole space twice:
// it is left out of the race detector's run.)
func ExampleCheck() {
	ctx := context.Background()
	lockedSmartphoneNeverGetsClient := func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		locked := !sc.Device.Security.Unlocked()
		return !(sc.Device.Platform.IsSmartphone() && locked && out.Transitioned())
	}
	res, err := policy.Check(ctx, lockedSmartphoneNeverGetsClient)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("holds:", res.Holds(), "scenarios:", res.Checked)

	neverDenied := func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		return !slices.Contains(out.Steps, lifecycle.Denied)
	}
	res, err = policy.Check(ctx, neverDenied, policy.MaxCounterexamples(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	ce := res.Counterexamples[0]
	fmt.Println("holds:", res.Holds(), "simplest counterexample:", ce.Distance, "input away from the default")
	fmt.Println("security:", ce.Scenario.Device.Security)
	for _, t := range ce.ChainPath {
		fmt.Printf("  %v --%v--> %v\n", t.From, t.Event, t.To)
	}
	fmt.Println("error:", ce.Outcome.Err)
	// Output:
	// holds: true scenarios: 1625472
	// holds: false simplest counterexample: 1 input away from the default
	// security: does not trust Mobile2Market, privileges not restricted
	//   staged --refuse--> denied
	// error: certs: DMInstaller_WM6Pro.exe cannot run: the device does not trust the Mobile2Market certificate it is signed with: access denied (0x80070005)
}
