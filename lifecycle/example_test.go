package lifecycle_test

import (
	"context"
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
