package fleet_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// Run a rollout plan over a fleet file: each device's own deployment to
// everyone, a newer package a month later, then an uninstall of the
// devices that synchronise with one computer. Each device carries what
// the waves before left on it.
func ExamplePlan_Run() {
	plan, err := fleet.ReadPlan(strings.NewReader(`{
	  "packages": {
	    "r3": {"version": "4.00.6487.2157"},
	    "retire": {"version": "4.00.6487.2157", "ini": "[ClientSettings]\nClientInstallAction=Uninstall\n"}
	  },
	  "waves": [
	    {"name": "SP2", "target": {"all": true}},
	    {"name": "R3", "after": "30d", "target": {"all": true}, "deployment": {"package": "r3"}},
	    {"name": "retire", "target": {"computer": "pc-017"}, "deployment": {"package": "retire"}}
	  ]
	}`), ini.Settings{})
	if err != nil {
		fmt.Println(err)
		return
	}
	dec := fleet.NewDecoder(strings.NewReader(exampleFleet), ini.Settings{})
	report, err := plan.Run(context.Background(), dec.Devices(), fleet.PlanOptions{
		Decoder: dec,
		Machine: lifecycle.Options{Clock: exampleClock},
		OnHistory: func(h fleet.History) {
			if h.Entry.Device.ID != "wm6-01" {
				return
			}
			for _, v := range h.Visits {
				o := v.Outcome
				fmt.Printf("%s %s: %s, %v -> %v\n", v.Time.Format("2006-01-02"), plan.Waves[v.Wave].Name, o.Event, o.From, o.To)
			}
		},
	})
	if err != nil || dec.Err() != nil {
		fmt.Println(err, dec.Err())
		return
	}
	for _, w := range report.Waves {
		fmt.Printf("%-6s ran %d, not run %d, not targeted %d, changed %d, healthy %d\n",
			w.Name, w.Ran, w.NotRun, w.NotTargeted, w.Changed, w.Report.Health.Healthy)
	}
	for _, f := range report.FailedBy {
		fmt.Println("failed by waves", f.Waves, ":", f.Count, "devices")
	}
	for _, g := range report.Unread {
		fmt.Printf("could not go through the plan, %s: %d\n", g.Failure, g.Count)
	}
	// Output:
	// 2026-11-26 SP2: upgrade, older -> same
	// 2026-12-26 R3: upgrade, older -> same
	// 2026-12-27 retire: uninstall, same -> none
	// SP2    ran 3, not run 1, not targeted 0, changed 1, healthy 1
	// R3     ran 3, not run 1, not targeted 0, changed 1, healthy 1
	// retire ran 2, not run 0, not targeted 2, changed 1, healthy 0
	// failed by waves [0 1] : 3 devices
	// could not go through the plan, invalid input: 1
}
