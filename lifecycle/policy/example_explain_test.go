package policy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
)

// Why a device whose operator restricted its privileges does not get the
// client: the explanation as text, and one of its parts as JSON.
func ExampleExplain() {
	sc := policy.DefaultScenario()
	sc.Device.Security.PrivilegesRestricted = true
	clock := func() time.Time { return time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC) }
	out, _ := lifecycle.Run(context.Background(), sc, lifecycle.Options{Clock: clock})

	e := policy.Explain(sc, out)
	fmt.Print(e)
	trust, _ := json.Marshal(e.Trust)
	fmt.Println(string(trust))
	// Output:
	// "wm6pro-01": client by software distribution, Windows Mobile 6 Professional: none: install not carried out, failed
	//   decision: no client installed, 4.0.6487.2000 deployed, ClientInstallAction=Install: install [lifecycle.Decide]
	//   prerequisites: all 10 met [lifecycle.CheckPrerequisites]
	//   trust: signing applies to Windows Mobile 6 Professional; the device trusts Mobile2Market; privileges restricted: no certificate installed, DMClientSetup may not run, logged "Access Denied (0x80070005)." [certs.EstablishTrust]
	//   enrollment: mixed mode does not require it; no CertEnrollAction=Enroll; no certificate held; CA reachable, authentication succeeds: did not run; would end: enrolled [certs.Enroll]
	//   log DMInstaller_20261126-094300.log: "DMInstaller started." "Access Denied (0x80070005)." "DMInstaller exited without calling DMClientSetup."
	//   verify: no run of the client (passed over: the run of 2026-11-26 09:43:00 changed nothing: it was denied (Access Denied (0x80070005).)) [lifecycle.Verify]
	//   status message: 0x80070005 "certs: DMInstaller_WM6Pro.exe could not install the Microsoft Authenticode certificate in the Privileged Execution Trust Authorities store: access denied (0x80070005)"
	//   error: certs: DMInstaller_WM6Pro.exe could not install the Microsoft Authenticode certificate in the Privileged Execution Trust Authorities store: access denied (0x80070005)
	// {"rule":"certs.EstablishTrust","signingApplies":true,"trustsMobile2Market":true,"privilegesRestricted":true,"unlocked":false,"ran":true,"result":{"exempt":false,"installerRan":true,"setupMayRun":false,"logLine":"Access Denied (0x80070005)."},"denied":true}
}

// The nearest scenarios in which the client ends in same: for a site
// without a management point, one input away, and for a device that is
// also locked, two; a condition no scenario within the search meets is
// an empty answer.
func ExampleCounterfactuals() {
	ctx := context.Background()
	endsInSame := func(_ lifecycle.Scenario, out lifecycle.Outcome) bool {
		return out.Err == nil && out.Component == lifecycle.Client && out.To == lifecycle.Same
	}
	sc := policy.DefaultScenario()
	sc.Deployment.Site.ManagementPoint = false
	alts, err := policy.Counterfactuals(ctx, sc, endsInSame, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range alts {
		fmt.Println("would succeed if", a)
	}

	sc.Device.Security.PrivilegesRestricted = true
	alts, _ = policy.Counterfactuals(ctx, sc, endsInSame, 3)
	fmt.Println(len(alts), "alternatives two inputs away, such as:", alts[len(alts)-1])

	downgradeOfNothing := func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		return out.Downgrade && out.Before.IsValid() && out.To == lifecycle.None
	}
	alts, err = policy.Counterfactuals(ctx, sc, downgradeOfNothing, 2)
	fmt.Println(len(alts), "alternatives, error:", err)
	// Output:
	// would succeed if the deployment method were manual sync
	// would succeed if the deployment method were manual transfer
	// would succeed if the site had a management point enabled for mobile devices
	// 9 alternatives two inputs away, such as: the device's privileges were not restricted and the site had a management point enabled for mobile devices
	// 0 alternatives, error: <nil>
}

// What differs between two scenarios, input by input: the library's
// distance between them is the number of changes.
func ExampleChanges() {
	from := policy.DefaultScenario()
	to := from
	to.Device.Security.PrivilegesRestricted = true
	to.Device.Client = to.Deployment.Package.Version
	for _, c := range policy.Changes(from, to) {
		fmt.Printf("%s: %s -> %s (%s)\n", c.Input, c.From, c.To, c)
	}
	fmt.Println("distance:", len(policy.Changes(from, to)), policy.Distance(to))
	// Output:
	// device.security.privilegesRestricted: false -> true (the device's privileges were restricted)
	// device.client: none -> 4.0.6487.2000 (the device had client 4.0.6487.2000, the deployed one)
	// distance: 2 2
}
