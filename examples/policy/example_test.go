//go:build !race

package policy_test

import (
	"context"
	"fmt"

	"github.com/mobiledm/dmclient/lifecycle/policy"
)

// The wrong policy "no device is ever denied", proved over the whole space:
// its simplest counterexample is the default scenario on a device that
// does not trust Mobile2Market, refused before DMInstaller runs. (The proof
// runs the whole space: it is left out of the race detector's run.)
func Example_brokenPolicy() {
	res, err := policy.Check(context.Background(), neverDenied, policy.MaxCounterexamples(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	ce := res.Counterexamples[0]
	fmt.Printf("holds: %v (%d of %d scenarios violate it)\n", res.Holds(), res.Violations, res.Checked)
	fmt.Println("simplest:", ce.Distance, "input changed:", ce.Scenario.Device.Security)
	for _, t := range ce.ChainPath {
		fmt.Printf("  %v --%v--> %v\n", t.From, t.Event, t.To)
	}
	fmt.Println("status message sent:", ce.Outcome.Status != nil)
	// Output:
	// holds: false (62940 of 1625472 scenarios violate it)
	// simplest: 1 input changed: does not trust Mobile2Market, privileges not restricted
	//   staged --refuse--> denied
	// status message sent: true
}
