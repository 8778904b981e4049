package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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
	// none  install     no action   no action
	// older upgrade     reconfigure uninstall
	// same  reconfigure reconfigure uninstall
	// newer no action   reconfigure uninstall
}

// One device over time: an unlocked Windows Mobile 6 Professional device
// gets ConfigMgr 2007 SP1, then SP2, by software distribution through a
// managed ConfigMgr client computer. The second deployment sees what the
// first left, and upgrades.
func ExampleMachine_Deploy() {
	settings, err := lifecycle.ReadSettings("ClientSettings.ini", []byte("[ClientSettings]\r\nClientInstallAction=Install\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := lifecycle.NewMachine(lifecycle.Device{
		ID: "wm6pro-01", Platform: certs.WM6Professional, Connection: lifecycle.ViaManagedComputer,
		Security: certs.Unrestricted.Security(), // trusts Mobile2Market, privileges not restricted
	}, lifecycle.Options{Clock: func() time.Time { return time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC) }})
	if err != nil {
		fmt.Println(err)
		return
	}
	site := lifecycle.Site{Mode: certs.Mixed, ClientAgent: true, ManagementPoint: true, DistributionPoint: true, InventoryExtended: true}
	for _, v := range []string{"4.00.6221.1000", "4.00.6487.2000"} {
		out, err := m.Deploy(context.Background(), lifecycle.Deployment{
			Component: lifecycle.Client, Method: lifecycle.SoftwareDistribution, Site: site,
			Package: lifecycle.Package{Version: version.MustParse(v), Folder: lifecycle.CompleteFolder(certs.WM6Professional), Settings: settings},
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := json.Marshal(struct {
			From, To lifecycle.State
			Event    lifecycle.Event
			After    version.Version
			Steps    []lifecycle.Step
		}{out.From, out.To, out.Event, out.After, out.Steps})
		fmt.Println(string(b))
	}
	// Output:
	// {"From":"none","To":"same","Event":"install","After":"4.0.6221.1000","Steps":["staged","dminstaller","dmclientsetup","done"]}
	// {"From":"older","To":"same","Event":"upgrade","After":"4.0.6487.2000","Steps":["staged","dminstaller","dmclientsetup","done"]}
}

// A what-if: one scenario, run once. A locked Windows Mobile 6 Standard
// Smartphone denies DMInstaller the privileged store.
func ExampleRun() {
	var sc lifecycle.Scenario
	err := json.Unmarshal([]byte(`{
	  "device": {"id": "wm6std-locked", "platform": "WM6Std", "client": "none", "security": "Standard",
	             "connection": "managed computer", "computer": "DESKTOP-07"},
	  "deployment": {"method": "software distribution",
	                 "package": {"version": "4.00.6487.2000", "ini": "[ClientSettings]\nClientInstallAction=Install\n"},
	                 "site": {"mode": "mixed", "clientAgent": true, "managementPoint": true,
	                          "distributionPoint": true, "inventoryExtended": true}}}`), &sc)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := lifecycle.Run(context.Background(), sc, lifecycle.Options{})
	fmt.Println(out.Event, out.From, "->", out.To, out.Steps)
	fmt.Println(errors.Is(err, certs.ErrAccessDenied), out.Status.HRESULT)
	fmt.Println(out.Logs[0].Lines[1])
	// Output:
	// install none -> none [staged dminstaller denied]
	// true 0x80070005
	// Access Denied (0x80070005).
}

func ExampleCheckPrerequisites() {
	sc := lifecycle.Scenario{
		Device: lifecycle.Device{Platform: certs.WM6Professional, Connection: lifecycle.ViaManagedComputer},
		Deployment: lifecycle.Deployment{Component: lifecycle.Client, Method: lifecycle.SoftwareDistribution,
			Package: lifecycle.Package{Version: version.MustParse("4.00.6487.2000"), Folder: lifecycle.CompleteFolder(certs.WM6Professional),
				Settings: ini.Settings{ClientInstallAction: ini.ActionInstall}},
			Site: lifecycle.Site{Mode: certs.Native, ClientAgent: true, ManagementPoint: true}},
	}
	err := lifecycle.CheckPrerequisites(sc)
	fmt.Println(err)
	fmt.Println(errors.Is(err, lifecycle.ErrNoDistributionPoint), errors.Is(err, lifecycle.ErrNoClientAgent))
	// Output:
	// lifecycle: no distribution point enabled for mobile devices; lifecycle: hardware inventory not extended; lifecycle: site mode requires CertEnrollAction=Enroll: native mode, and the device holds no valid certificate
	// true false
}

// Verifying from a device's log folder: the names give each log's kind and
// run; the lines, where the tool read them, say more.
func ExampleVerify() {
	var logs []lifecycle.LogFile
	for _, name := range []string{
		"DMInstaller_20261120-080000.log", "DMClientSetup_20261120-080000.log", "DMSvc_20261120-080000.log",
		"DMInstaller_20261126-094300.log", // a later run that never called DMClientSetup
	} {
		l, err := lifecycle.ParseLogName(name)
		if err != nil {
			fmt.Println(err)
			return
		}
		logs = append(logs, l)
	}
	v := lifecycle.Verify(logs)
	fmt.Println(v.Installed, v.Judged.Format(time.DateTime))
	fmt.Println(v.Reason)
	// Output:
	// true 2026-11-20 08:00:00
	// the run of 2026-11-20 08:00:00 installed the client (passed over: the run of 2026-11-26 09:43:00 changed nothing: DMClientSetup never ran)
}

func ExampleParseLogName() {
	l, err := lifecycle.ParseLogName("DMCertEnroll_20261126-094300.log")
	fmt.Println(l.Kind, l.Time, err)
	_, err = lifecycle.ParseLogName("DMInstaller[date:time].log")
	fmt.Println(err)
	// Output:
	// DMCertEnroll 2026-11-26 09:43:00 +0000 UTC <nil>
	// lifecycle: invalid log file name "DMInstaller[date:time].log": no _ between kind and time
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

func ExampleChainTransitions() {
	for _, t := range lifecycle.ChainTransitions() {
		fmt.Printf("%-13s --%s--> %s\n", t.From, t.Event, t.To)
	}
	// Output:
	// staged        --run installer--> dminstaller
	// staged        --refuse--> denied
	// dminstaller   --trust--> dmclientsetup
	// dminstaller   --deny--> denied
	// dmclientsetup --enroll--> enrollment
	// dmclientsetup --finish--> done
	// enrollment    --finish--> done
}

// A settings error in a package's .ini stops the package before anything
// runs.
func ExampleReadSettings() {
	_, err := lifecycle.ReadSettings("ClientSettings.ini", []byte("[ClientSettings]\r\nInstaller=DMInstaller_Foo.exe\r\n"))
	fmt.Println(err)
	// Output:
	// ini: ClientSettings.ini:2: Installer: installer "DMInstaller_Foo.exe" names no platform of this library
}

// The fleet file's device block decodes as a Device everywhere, strictly.
func ExampleDevice_UnmarshalJSON() {
	var dev lifecycle.Device
	err := json.Unmarshal([]byte(`{"id": "ppc03-01", "platform": "Pocket PC 2003", "client": "none",
	  "passwordProgram": "1.0.0.0", "security": "Restricted", "connection": "direct"}`), &dev)
	fmt.Println(dev.Platform, dev.Client.IsValid(), dev.PasswordProgram, dev.Security.Unlocked(), err)
	err = json.Unmarshal([]byte(`{"id": "x", "installed": "none"}`), &dev)
	fmt.Println(err)
	enc := json.NewEncoder(os.Stdout)
	_ = enc.Encode(lifecycle.Device{ID: "ce-01", Platform: certs.WindowsCE, Connection: lifecycle.Direct})
	// Output:
	// Pocket PC 2003 false 1.0.0.0 false <nil>
	// lifecycle: invalid device.installed: unknown member
	// {"id":"ce-01","platform":"Windows CE","security":{"trustsMobile2Market":false,"privilegesRestricted":false},"connection":"direct","enrollment":{"caReachable":false,"authenticationSucceeds":false},"client":"none","passwordProgram":"none"}
}

// A folder is worked out once, when it is made: the scenarios that share
// its package pay a bit test each.
func ExampleNewFolder() {
	folder := lifecycle.NewFolder("DMInstaller_WM6Pro.exe", "clientsettings.ini", `..\DMClientSetup_WM6Pro.exe`)
	sc := lifecycle.Scenario{
		Device: lifecycle.Device{Platform: certs.WM6Professional, Connection: lifecycle.Direct},
		Deployment: lifecycle.Deployment{Component: lifecycle.Client, Method: lifecycle.ManualTransfer,
			Package: lifecycle.Package{Version: version.MustParse("4.00.6487.2000"), Folder: folder,
				Settings: ini.Settings{ClientInstallAction: ini.ActionInstall}},
			Site: lifecycle.Site{Mode: certs.Mixed, ClientAgent: true}},
	}
	fmt.Println(lifecycle.CheckPrerequisites(sc))
	// Output:
	// lifecycle: deployment folder incomplete: missing DMClientSetup_WM6Pro.exe for Windows Mobile 6 Professional
}
