package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// What if the fleet's package enforced certificate enrollment (another
// ClientSettings.ini), and the Standard Smartphone were unlocked? Each
// device is read once and run under both deployments.
func ExampleCompare() {
	other, err := lifecycle.ReadSettings("Enroll.ini", []byte("[ClientSettings]\r\nClientInstallAction=Install\r\nCertEnrollAction=Enroll\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	change := func(e fleet.Entry) fleet.Entry {
		e.Deployment.Package.Settings = other
		if e.Device.ID == "sp-locked" {
			e.Device.Security.PrivilegesRestricted = false
		}
		return e
	}
	dec := fleet.NewDecoder(strings.NewReader(exampleFleet), ini.Settings{})
	c, err := fleet.Compare(context.Background(), dec.Devices(), change, fleet.Options{
		Machine: lifecycle.Options{Clock: exampleClock},
		Report:  fleet.ReportOptions{Details: true},
	})
	if err := errors.Join(err, dec.Err()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d of %d devices change\n", c.Changed, c.Devices)
	for _, g := range c.Changes {
		fmt.Printf("%d: %s\n   -> %s %v\n", g.Count, g.Before, g.After, g.Devices)
	}
	fmt.Println("healthy:", c.Before.Report.Health.Healthy, "->", c.After.Report.Health.Healthy)
	fmt.Println("failed:", c.Before.Report.Failed(), "->", c.After.Report.Failed())
	// Output:
	// 2 of 4 devices change
	// 1: none: install not carried out, access denied; certificate issues
	//    -> none: install -> same, enrollment; communication issues [{1 sp-locked}]
	// 1: older: upgrade -> same; healthy
	//    -> older: upgrade -> same, enrollment; communication issues [{0 wm6-01}]
	// healthy: 1 -> 0
	// failed: 3 -> 4
}
