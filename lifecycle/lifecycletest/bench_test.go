package lifecycletest_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/lifecycle/policy"
)

func BenchmarkCheck(b *testing.B) {
	ok := policy.DefaultScenario()
	failed := ok
	failed.Deployment.Site.ClientAgent = false
	failed.Deployment.Site.Mode = certs.Native
	for name, sc := range map[string]lifecycle.Scenario{"install": ok, "prerequisites": failed} {
		out, _ := lifecycle.Run(context.Background(), sc, lifecycle.Options{})
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := lifecycletest.Check(sc, out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/json", func(b *testing.B) {
			for b.Loop() {
				data, _ := json.Marshal(out)
				var back lifecycle.Outcome
				json.Unmarshal(data, &back)
			}
		})
	}
}
