package policy_test

import (
	"context"
	"fmt"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
)

// The default scenario is a new user's first deployment: it installs the
// client. Distance counts the inputs a scenario changes from it.
func ExampleDefaultScenario() {
	sc := policy.DefaultScenario()
	out, err := lifecycle.Run(context.Background(), sc, lifecycle.Options{})
	fmt.Println(sc.Device.ID, sc.Device.Platform, sc.Deployment.Method)
	fmt.Println(out.From, "->", out.To, "by", out.Event, "error:", err)

	sc.Device.Security.PrivilegesRestricted = true // the operator locked it
	fmt.Println("distance:", policy.Distance(sc))
	// Output:
	// wm6pro-01 Windows Mobile 6 Professional software distribution
	// none -> same by install error: <nil>
	// distance: 1
}

// Test paths in the XState sense: a set of paths that takes every
// transition of the installer chain, and the shortest path to a step.
func ExampleChainCover() {
	for _, p := range policy.ChainCover() {
		fmt.Print(lifecycle.Staged)
		for _, t := range p {
			fmt.Printf(" -%v-> %v", t.Event, t.To)
		}
		fmt.Println()
	}
	fmt.Println(len(policy.ShortestChainPaths()[lifecycle.Enrollment]), "transitions to enrollment")
	// Output:
	// staged -refuse-> denied
	// staged -run installer-> dminstaller -deny-> denied
	// staged -run installer-> dminstaller -trust-> dmclientsetup -enroll-> enrollment -finish-> done
	// staged -run installer-> dminstaller -trust-> dmclientsetup -finish-> done
	// 3 transitions to enrollment
}

// From a device with no client, every transition reachable is taken by
// three deployments in a row each.
func ExampleClientCover() {
	for _, p := range policy.ClientCover(lifecycle.None) {
		for i, t := range p {
			if i == 0 {
				fmt.Print(t.From)
			}
			fmt.Printf(" -%v-> %v", t.Event, t.To)
		}
		fmt.Println()
	}
	// Output:
	// none -install-> same -reconfigure-> same
	// none -install-> same -uninstall-> none
	// none -install-> same -repair-> same
}
