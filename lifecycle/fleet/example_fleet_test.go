package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
)

const exampleFleet = `{
  "sites": {"central": {"mode": "mixed", "clientAgent": true, "managementPoint": true,
                        "distributionPoint": true, "inventoryExtended": true}},
  "packages": {"sp2": {"version": "4.00.6487.2000"}},
  "devices": [
    {"id": "wm6-01", "platform": "WM6Pro", "installed": "4.00.6221.1000", "security": "Unrestricted",
     "connection": "managed computer", "method": "software distribution"},
    {"id": "sp-locked", "platform": "WM6Std", "installed": "none", "security": "Restricted",
     "connection": "managed computer", "method": "software distribution"},
    {"id": "ppc-01", "platform": "PPC2003", "installed": "none", "security": "Standard",
     "connection": "over the air", "method": "over the air"},
    {"id": "wp7", "platform": "Windows Phone 7", "installed": "none", "security": "Standard",
     "connection": "direct", "method": "manual transfer"}
  ]
}`

// Run a fleet file: every device is decided and run, the bad one is
// reported, and the outcomes are aggregated into the product page's
// reports.
func ExampleRunFleet() {
	settings := ini.Settings{ClientInstallAction: ini.ActionInstall}
	dec := lifecycle.NewFleetDecoder(strings.NewReader(exampleFleet), settings)
	clock := lifecycle.WithClock(func() time.Time { return time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC) })
	r, err := lifecycle.RunFleet(context.Background(), dec.Devices(), lifecycle.FleetOptions{
		Machine: []lifecycle.Option{clock},
		Report:  lifecycle.ReportOptions{Details: true},
		OnOutcome: func(i int, sc lifecycle.Scenario, o lifecycle.Outcome) {
			fmt.Printf("#%d %s: %s -> %s by %s, %s\n", i, o.Device, o.From, o.To, o.Event, o.Failure)
		},
	})
	if err != nil || dec.Err() != nil {
		panic(errors.Join(err, dec.Err()))
	}
	fmt.Println("success:", r.Success.Count, "failed:", r.Failed())
	for _, g := range r.Failure {
		for _, d := range g.Devices {
			fmt.Printf("%s: %s\n", d.ID, d.Error)
		}
	}
	fmt.Printf("health: %+v\n", r.Health)
	// Output:
	// #0 wm6-01: older -> same by upgrade, none
	// #1 sp-locked: none -> none by install, access denied
	// #2 ppc-01: none -> none by noaction, prerequisites
	// #3 wp7: none -> none by noaction, invalid input
	// success: 1 failed: 3
	// wp7: lifecycle: fleet: device "wp7" (index 3): platform: certs: parse Platform "Windows Phone 7": unknown platform
	// ppc-01: lifecycle: device is not already managed: over the air needs a device with a client
	// sp-locked: certs: DMInstaller_WM6Std.exe could not install the Microsoft Authenticode certificate in the Privileged Execution Trust Authorities store: access denied (0x80070005)
	// health: {Healthy:1 Certificate:1 Communication:1 Local:1 NoClient:0 NotRun:0}
}

// Aggregate outcomes one at a time, in parts, and merge the parts.
func ExampleAggregator() {
	east := lifecycle.NewAggregator(lifecycle.ReportOptions{Details: true})
	west := lifecycle.NewAggregator(lifecycle.ReportOptions{Details: true})
	east.Add(2, lifecycle.Outcome{Device: "c", From: lifecycle.Older, To: lifecycle.Same, Event: lifecycle.Upgrade})
	west.Add(0, lifecycle.Outcome{Device: "a", From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install,
		Enrollment: certs.CAUnreachable, Failure: lifecycle.FailureEnrollment, Err: certs.ErrCAUnreachable})
	west.Add(1, lifecycle.Outcome{Device: "b", From: lifecycle.Same, To: lifecycle.None, Event: lifecycle.Uninstall})
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

func ExampleHealthOf() {
	denied := lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Older, Event: lifecycle.Upgrade,
		Failure: lifecycle.FailureAccessDenied, Err: certs.ErrAccessDenied}
	fmt.Println(lifecycle.HealthOf(denied))
	// Output:
	// certificate issues
}

// A device that cannot be deployed as written is reported with its index,
// id and field; the others are read.
func ExampleFleetDecoder() {
	dec := lifecycle.NewFleetDecoder(strings.NewReader(exampleFleet), ini.Settings{ClientInstallAction: ini.ActionInstall})
	for sc, err := range dec.Devices() {
		var de *lifecycle.DeviceError
		if errors.As(err, &de) {
			fmt.Printf("device %d (%s): field %s: %v\n", de.Index, de.ID, de.Field, errors.Is(err, certs.ErrUnknownPlatform))
			continue
		}
		fmt.Println(sc.Device.ID, sc.Device.Platform, sc.State(), sc.Event())
	}
	fmt.Println("file error:", dec.Err())
	// Output:
	// wm6-01 Windows Mobile 6 Professional older upgrade
	// sp-locked Windows Mobile 6 Standard none install
	// ppc-01 Pocket PC 2003 none install
	// device 3 (wp7): field platform: true
	// file error: <nil>
}
