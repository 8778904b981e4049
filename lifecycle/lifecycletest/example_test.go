package lifecycletest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/lifecycle/policy"
)

func ExampleCheck() {
	sc := policy.DefaultScenario()
	out, err := lifecycle.Run(context.Background(), sc, lifecycle.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("real outcome:", lifecycletest.Check(sc, out))

	out.To = lifecycle.Older // an install that did not end in same
	err = lifecycletest.Check(sc, out)
	var v *lifecycletest.Violation
	fmt.Println(errors.As(err, &v), v.Invariant)
	fmt.Println(err)
	// Output:
	// real outcome: <nil>
	// true 3
	// lifecycletest: invariant 3: install (DMClientSetup ran: true) ended in older with 4.0.6487.2000, want same with 4.0.6487.2000
}
