package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
)

func ExampleClassify() {
	deployed := version.MustParse("4.00.6487.2000")
	for _, installed := range []version.Version{
		{}, // no client
		version.MustParse("4.00.6221.1000"),
		version.MustParse("4.00.6487.2000"),
		version.MustParse("4.00.6487.2157"),
	} {
		fmt.Println(lifecycle.Classify(installed, deployed))
	}
	// Output:
	// none
	// older
	// same
	// newer
}

func ExampleDecide() {
	for _, s := range lifecycle.States() {
		fmt.Printf("%-5s %-11s %-11s %s\n", s,
			lifecycle.Decide(s, ini.ActionInstall),
			lifecycle.Decide(s, ini.ActionNone),
			lifecycle.Decide(s, ini.ActionUninstall))
	}
	// Output:
	// none  install     noaction    noaction
	// older upgrade     reconfigure uninstall
	// same  reconfigure reconfigure uninstall
	// newer noaction    reconfigure uninstall
}

// A full deployment: ClientSettings.ini from a deployment folder, an
// unlocked Windows Mobile 6 Professional device with an older client,
// software distribution through a managed ConfigMgr client computer.
func ExampleMachine_Deploy() {
	f, err := ini.Parse("ClientSettings.ini", []byte("[Installation]\r\nClientInstallAction=Install\r\nCertEnrollAction=Enroll\r\n"))
	if err != nil {
		panic(err)
	}
	settings, err := f.Settings()
	if err != nil {
		panic(err)
	}
	sc := lifecycle.Scenario{
		Component: lifecycle.Client,
		Method:    lifecycle.SoftwareDistribution,
		Device: lifecycle.Device{
			ID:         "wm6-042",
			Platform:   certs.WM6Professional,
			Installed:  version.MustParse("4.00.6221.1000"),
			Security:   certs.Unrestricted.Security(),
			Connection: lifecycle.ViaManagedComputer,
			Enrollment: certs.EnrollmentConditions{CAReachable: true, AuthenticationSucceeds: true},
		},
		Package: lifecycle.Package{
			Version:  version.MustParse("4.00.6487.2000"),
			Folder:   lifecycle.CompleteFolder(certs.WM6Professional),
			Settings: settings,
		},
		Site: lifecycle.Site{Mode: certs.Native, ClientAgent: true, ManagementPoint: true,
			DistributionPoint: true, InventoryExtended: true},
	}
	clock := func() time.Time { return time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC) }
	m, err := lifecycle.NewMachine(lifecycle.None, lifecycle.WithClock(clock))
	if err != nil {
		panic(err)
	}
	out, err := m.Deploy(context.Background(), sc)
	fmt.Println(out.From, "->", out.To, "by", out.Event, "error:", err)
	fmt.Println("steps:", out.Steps)
	for _, l := range out.Logs {
		fmt.Println(l.Name())
	}
	fmt.Println("machine now:", m.State(), "installed:", out.After)
	// Output:
	// older -> same by upgrade error: <nil>
	// steps: [staged dminstaller dmclientsetup enrollment done]
	// DMInstaller_20261126-094300.log
	// DMClientSetup_20261126-094300.log
	// DMSvc_20261126-094300.log
	// DMCertEnroll_20261126-094300.log
	// machine now: same installed: 4.0.6487.2000
}

// A policy proved over the whole finite input space, and a wrong one with
// its simplest counterexample.
func ExampleCheckPolicy() {
	ctx := context.Background()
	lockedSmartphoneNeverGetsClient := func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		locked := !sc.Device.Security.Unlocked()
		return !(sc.Device.Platform.IsSmartphone() && locked && out.RanStep(lifecycle.Setup))
	}
	res, err := lifecycle.CheckPolicy(ctx, lockedSmartphoneNeverGetsClient)
	fmt.Println("holds:", res.Holds(), "scenarios:", res.Checked, "error:", err)

	everyInstallSucceeds := func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		return out.Event != lifecycle.Install || out.Succeeded()
	}
	res, _ = lifecycle.CheckPolicy(ctx, everyInstallSucceeds, lifecycle.MaxCounterexamples(1))
	ce := res.Counterexamples[0]
	fmt.Println("holds:", res.Holds(), "simplest counterexample:", ce.Distance, "input away from the default")
	fmt.Println("security:", ce.Scenario.Device.Security)
	for _, t := range ce.Path.Chain {
		fmt.Printf("  %v --%v--> %v\n", t.From, t.Event, t.To)
	}
	// Output:
	// holds: true scenarios: 1995840 error: <nil>
	// holds: false simplest counterexample: 1 input away from the default
	// security: does not trust Mobile2Market, privileges not restricted
	//   staged --refuse--> denied
}

func ExampleCheckPrerequisites() {
	sc := lifecycle.DefaultScenario() // software distribution, every prerequisite in place
	sc.Site.DistributionPoint = false
	sc.Site.InventoryExtended = false
	sc.Site.Mode = certs.Native
	err := lifecycle.CheckPrerequisites(sc)
	fmt.Println(err)
	fmt.Println(errors.Is(err, lifecycle.ErrNoDistributionPoint), errors.Is(err, lifecycle.ErrNoClientAgent))
	// Output:
	// lifecycle: no distribution point enabled for mobile devices
	// lifecycle: hardware inventory not extended
	// lifecycle: site mode requires CertEnrollAction=Enroll: native mode
	// true false
}

func ExampleVerifyInstallation() {
	found := []string{
		"DMInstaller_20261126-094300.log",
		"DMClientSetup_20261126-094300.log",
		"DMSvc_20261126-094300.log",
		"DMCertEnroll_20261126-094300.log",
		"readme.txt",
	}
	v, err := lifecycle.VerifyInstallation(found)
	fmt.Println("installed:", v.Installed, "enrolled:", v.Enrolled, "ignored:", v.Ignored, "error:", err)

	_, err = lifecycle.VerifyInstallation(found[:1]) // a denied run leaves only DMInstaller's log
	fmt.Println(err)
	// Output:
	// installed: true enrolled: true ignored: [readme.txt] error: <nil>
	// lifecycle: installation not verified: missing DMClientSetup, DMSvc log
}

func ExampleParseLogName() {
	l, err := lifecycle.ParseLogName("DMCertEnroll_20261126-094300.log")
	fmt.Println(l.Kind, l.Time, err)
	_, err = lifecycle.ParseLogName("DMInstaller[date:time].log")
	fmt.Println(err)
	// Output:
	// DMCertEnroll 2026-11-26 09:43:00 +0000 UTC <nil>
	// lifecycle: log file name "DMInstaller[date:time].log": no _ between kind and time
}

// Test paths in the XState sense: the shortest path to each step of the
// installer chain, and a set of paths that takes every transition.
func ExampleTransitionCover() {
	for _, p := range lifecycle.TransitionCover(lifecycle.ChainTransitions(), lifecycle.Staged) {
		fmt.Print(lifecycle.Staged)
		for _, t := range p {
			fmt.Printf(" -%v-> %v", t.Event, t.To)
		}
		fmt.Println()
	}
	// Output:
	// staged -run_installer-> dminstaller -trust-> dmclientsetup -enroll-> enrollment -finish-> done
	// staged -run_installer-> dminstaller -trust-> dmclientsetup -finish-> done
	// staged -run_installer-> dminstaller -deny-> denied
	// staged -refuse-> denied
}

func ExampleClientTransitions() {
	for _, t := range lifecycle.ClientTransitions() {
		if t.From == lifecycle.Older {
			fmt.Printf("%-11s %v -> %v  [%s]\n", t.Event, t.From, t.To, t.Guard)
		}
	}
	// Output:
	// upgrade     older -> same  [ClientInstallAction=Install]
	// reconfigure older -> older  [ClientInstallAction=None]
	// uninstall   older -> none  [ClientInstallAction=Uninstall]
	// repair      older -> same  [repair requested (client damaged)]
}
