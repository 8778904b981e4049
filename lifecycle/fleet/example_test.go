package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

const exampleFleet = `{
  "sites": {"central": {"mode": "mixed", "clientAgent": true, "managementPoint": true,
                        "distributionPoint": true, "inventoryExtended": true}},
  "packages": {"sp2": {"version": "4.00.6487.2000"}},
  "devices": [
    {"device": {"id": "wm6-01", "platform": "WM6Pro", "client": "4.00.6221.1000", "security": "Unrestricted",
                "connection": "managed computer", "computer": "PC-017"},
     "deployment": {"method": "software distribution"}},
    {"device": {"id": "sp-locked", "platform": "WM6Std", "security": "Restricted",
                "connection": "managed computer", "computer": "PC-017"},
     "deployment": {"method": "software distribution"}},
    {"device": {"id": "ppc-01", "platform": "PPC2003", "security": "Standard", "connection": "over the air"},
     "deployment": {"method": "over the air"}},
    {"device": {"id": "wp7", "platform": "Windows Phone 7", "security": "Standard", "connection": "direct"},
     "deployment": {"method": "manual transfer"}}
  ]
}`

var exampleClock = func() time.Time { return time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC) }

// Run a fleet file: every device is decided and run, the bad one is
// reported, and the outcomes are aggregated into the product page's
// reports.
func ExampleRun() {
	dec := fleet.NewDecoder(strings.NewReader(exampleFleet), ini.Settings{})
	r, err := fleet.Run(context.Background(), dec.Devices(), fleet.Options{
		Machine: lifecycle.Options{Clock: exampleClock},
		Report:  fleet.ReportOptions{Details: true},
		OnOutcome: func(i int, e fleet.Entry, o lifecycle.Outcome) {
			fmt.Printf("#%d %s: %s -> %s by %s, %s\n", i, e.Device.ID, o.From, o.To, o.Event, fleet.FailureOf(o))
		},
	})
	if err := errors.Join(err, dec.Err()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("success:", r.Success.Count, "failed:", r.Failed())
	for _, g := range r.Failure {
		for _, d := range g.Devices {
			fmt.Printf("%s: %.90s...\n", d.ID, d.Error)
		}
	}
	fmt.Printf("health: %+v\n", r.Health)
	for _, p := range r.SoftwareDistribution {
		fmt.Printf("program %s at %s: %d accepted, %d ran, %d succeeded, %d failed; last status %s from #%d\n",
			p.Program, p.Site, p.Accepted, p.Ran, p.Succeeded, p.Failed, p.LastStatus.HRESULT, p.LastStatus.Index)
	}
	for _, c := range r.Computers {
		fmt.Println("computer", c.Name, "managed:", c.Managed, "devices:", c.Devices.Devices)
	}
	// Output:
	// #0 wm6-01: older -> same by upgrade, none
	// #1 sp-locked: none -> none by install, access denied
	// #2 ppc-01: none -> none by install, prerequisites
	// #3 wp7: none -> none by no action, invalid input
	// success: 1 failed: 3
	// wp7: fleet: device 3 "wp7" at offset 853: device.platform: certs: unknown Platform "Windows Pho...
	// ppc-01: lifecycle: device is not already managed: over the air needs a device with a client...
	// sp-locked: certs: DMInstaller_WM6Std.exe could not install the Microsoft Authenticode certificate in ...
	// health: {Healthy:1 Certificate:1 Communication:1 Local:1 NoClient:0 NotRun:0}
	// program client at central: 2 accepted, 2 ran, 1 succeeded, 1 failed; last status 0x80070005 from #1
	// computer PC-017 managed: true devices: [{0 wm6-01} {1 sp-locked}]
}

// Aggregate outcomes one at a time, in parts, and merge the parts.
func ExampleAggregator() {
	east := fleet.NewAggregator(fleet.ReportOptions{Details: true})
	west := fleet.NewAggregator(fleet.ReportOptions{Details: true})
	east.Add(2, fleet.Entry{}, lifecycle.Outcome{Device: "c", From: lifecycle.Older, To: lifecycle.Same, Event: lifecycle.Upgrade})
	west.Add(0, fleet.Entry{}, lifecycle.Outcome{Device: "a", From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install,
		Enrollment: certs.CAUnreachable, Err: certs.ErrCAUnreachable})
	west.Add(1, fleet.Entry{}, lifecycle.Outcome{Device: "b", From: lifecycle.Same, To: lifecycle.None, Event: lifecycle.Uninstall})
	east.Merge(west)
	r := east.Report()
	for _, d := range r.StatusDetails {
		fmt.Println(d.Index, d.ID, d.Event, d.Failure, "->", d.Health)
	}
	fmt.Println("healthy:", r.Healthy.Devices, "communication issues:", r.UnhealthyCommunication.Devices)
	// Output:
	// 0 a install enrollment -> communication issues
	// 1 b uninstall none -> no client
	// 2 c upgrade none -> healthy
	// healthy: [{2 c}] communication issues: [{0 a}]
}

// An outcome's failure and health come from its error, so an outcome read
// back from JSON has the same.
func ExampleHealthOf() {
	denied := lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Older, Event: lifecycle.Upgrade, Err: certs.ErrAccessDenied}
	fmt.Println(fleet.FailureOf(denied), "->", fleet.HealthOf(denied))
	// Output:
	// access denied -> certificate issues
}

// A device that cannot be deployed as written is reported with its index,
// id, field and offset; the others are read.
func ExampleDecoder() {
	dec := fleet.NewDecoder(strings.NewReader(exampleFleet), ini.Settings{})
	for e, err := range dec.Devices() {
		var fe *fleet.Error
		if errors.As(err, &fe) {
			fmt.Printf("device %d (%s): field %s at offset %d: invalid input %v\n", fe.Index, fe.ID, fe.Field, fe.Offset,
				errors.Is(err, lifecycle.ErrInvalidInput))
			continue
		}
		sc := lifecycle.Scenario{Device: e.Device, Deployment: e.Deployment}
		fmt.Println(e.Device.ID, e.Device.Platform, e.Site, e.Package, sc.Event())
	}
	fmt.Println("file error:", dec.Err())
	// Output:
	// wm6-01 Windows Mobile 6 Professional central sp2 upgrade
	// sp-locked Windows Mobile 6 Standard central sp2 install
	// ppc-01 Pocket PC 2003 central sp2 install
	// device 3 (wp7): field device.platform at offset 853: invalid input true
	// file error: <nil>
}
