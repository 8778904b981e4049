package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// textPrinter writes the run as text.
type textPrinter struct {
	w io.Writer
}

func (p *textPrinter) start(fleetName, iniName string) {
	fmt.Fprintf(p.w, "Fleet %s, settings %s\n", cli.Clean(fleetName), cli.Clean(iniName))
}

// decision describes what the decision table chose for a device and why.
type decision struct {
	State   lifecycle.State `json:"state"`
	Event   lifecycle.Event `json:"event"`
	Because string          `json:"because"`
	// Carried reports that the event ran (DMClientSetup ran the action);
	// Why says why not when it did not. A decision of no action carries
	// nothing out and needs no why.
	Carried bool   `json:"carriedOut"`
	Why     string `json:"notCarriedOutBecause,omitempty"`
}

// decide returns the decision of entry e with outcome o, or nil for a
// device that could not be read.
func decide(e *fleet.Entry, o *lifecycle.Outcome) *decision {
	f := fleet.FailureOf(*o)
	if f == fleet.FailureInput {
		return nil
	}
	d := &decision{State: o.From, Event: o.Event, Carried: o.Transitioned(),
		Because: "ClientInstallAction=" + e.Deployment.Package.Settings.ClientInstallAction.String()}
	if e.Deployment.Repair {
		d.Because = "repair requested"
	}
	if d.Carried || o.Event == lifecycle.NoAction {
		return d
	}
	switch f {
	case fleet.FailurePrerequisites:
		d.Why = "a prerequisite is missing"
	case fleet.FailureRejected:
		d.Why = "the client machine does not permit it from this state"
	case fleet.FailureUntrusted:
		d.Why = "the device does not trust DMInstaller's Mobile2Market signature"
	case fleet.FailureAccessDenied:
		d.Why = "the trust step was denied, so DMClientSetup never ran"
	case fleet.FailureCanceled:
		d.Why = "the run was interrupted before DMClientSetup"
	default:
		d.Why = "it failed before DMClientSetup"
	}
	return d
}

func (p *textPrinter) outcome(i int, e fleet.Entry, o lifecycle.Outcome) {
	w := p.w
	parts := []string{}
	for _, s := range []string{cli.Text(o.Platform), cli.Text(o.Method), cli.Text(o.Component)} {
		if s != "-" {
			parts = append(parts, s)
		}
	}
	if e.Package != "" {
		parts = append(parts, "package "+cli.Quote(e.Package)+" from site "+cli.Quote(e.Site))
	}
	fmt.Fprintf(w, "\n#%d %s", i, cli.Quote(o.Device))
	if len(parts) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	d := decide(&e, &o)
	if d == nil {
		fmt.Fprintf(w, "  decision: not made: the device could not be read\n  result:   failed (%s): %s\n", fleet.FailureOf(o), cli.Clean(o.Err.Error()))
		return
	}
	fmt.Fprintf(w, "  decision: %s (state %s: installed %s, deployed %s; %s)", d.Event, d.State, cli.Version(o.Before),
		cli.Version(e.Deployment.Package.Version), d.Because)
	if d.Why != "" {
		fmt.Fprintf(w, "; not carried out: %s", d.Why)
	}
	fmt.Fprintln(w)
	if len(o.Steps) > 0 {
		fmt.Fprintf(w, "  steps:    %s\n", cli.Steps(o.Steps))
	}
	for _, l := range o.Logs {
		fmt.Fprintf(w, "  log:      %s\n", cli.Log(l))
	}
	switch {
	case o.Status != nil:
		fmt.Fprintf(w, "  status:   sent through the managed ConfigMgr client computer %s: %s %s\n",
			cli.Quote(e.Device.Computer), o.Status.HRESULT, cli.Clean(o.Status.Text))
	case slices.Contains(o.Steps, lifecycle.Denied):
		fmt.Fprintf(w, "  status:   none sent: a status message is sent only through a managed ConfigMgr client computer, and this device is connected %s\n",
			connection(e.Device))
	}
	for _, ow := range o.Overwritten {
		user := ""
		if ow.UserChanged {
			user = " (changed by the user)"
		}
		fmt.Fprintf(w, "  setting:  %s %q -> %q%s\n", cli.Quote(ow.Key), ow.Old, ow.New, user)
	}
	if o.Err != nil {
		fmt.Fprintf(w, "  result:   failed (%s): %s\n", fleet.FailureOf(o), cli.Clean(o.Err.Error()))
	} else {
		fmt.Fprintf(w, "  result:   success: %s -> %s, %s\n", o.From, o.To, cli.Version(o.After))
	}
	if o.Downgrade {
		fmt.Fprintf(w, "  note:     the repair replaced a newer client with the deployed one\n")
	}
}

// connection says how a device is connected, for the status line.
func connection(d lifecycle.Device) string {
	switch d.Connection {
	case lifecycle.ViaUnmanagedComputer:
		return "through " + cli.Quote(d.Computer) + ", which is not a ConfigMgr client"
	case lifecycle.Direct:
		return "directly (memory card or share)"
	case lifecycle.ViaAir:
		return "over the air"
	}
	return cli.Text(d.Connection)
}

func (p *textPrinter) end(r fleet.Report, err error) {
	w := p.w
	cli.RunNotes(w, err, r.Devices > 0 && len(r.StatusDetails) == 0)
	fmt.Fprintf(w, "\nSoftware Distribution Status Report for DM client install program\n")
	if len(r.SoftwareDistribution) == 0 {
		fmt.Fprintf(w, "  (no device was deployed by software distribution)\n")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  site\tprogram\ttargeted\taccepted\tran\tsucceeded\tfailed\tlast status message")
		for _, s := range r.SoftwareDistribution {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", cli.Quote(s.Site), cli.Text(s.Program), s.Targeted, s.Accepted,
				s.Ran, s.Succeeded, s.Failed, cli.Status(s.LastStatus))
		}
		tw.Flush()
		fmt.Fprintf(w, "  A status message is sent only when the trust step fails on a device connected through a managed ConfigMgr client computer.\n")
	}
	fmt.Fprintf(w, "\nConfiguration Manager client computers reporting ActiveSync-connected devices\n")
	if len(r.Computers) == 0 {
		fmt.Fprintf(w, "  (no device is connected through a computer)\n")
	}
	for _, c := range r.Computers {
		kind := "a managed ConfigMgr client computer"
		if !c.Managed {
			kind = "not a ConfigMgr client, so it reports nothing to the site"
		}
		fmt.Fprintf(w, "  %s (%s): %d devices\n", cli.Quote(c.Name), kind, c.Devices.Count)
		printList(w, "    ", c.Devices)
	}
	if len(r.StatusDetails) > 0 {
		fmt.Fprintf(w, "\nDevice Client Agent Deployment Status Details\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  #\tdevice\tplatform\tmethod\tcomponent\tfrom\tevent\tcarried out\tto\tfailure\thealth")
		for _, d := range r.StatusDetails {
			carried := "no"
			switch {
			case d.Carried:
				carried = "yes"
			case d.Event == lifecycle.NoAction:
				carried = "-"
			}
			from, event, to := d.From.String(), d.Event.String(), d.To.String()
			if d.Failure == fleet.FailureInput { // nothing was decided
				from, event, to = "-", "-", "-"
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Index, cli.Quote(d.ID), cli.Platform(d.Platform), cli.Text(d.Method),
				cli.Text(d.Component), from, event, carried, to, d.Failure, d.Health)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nDevice Client Agent Deployment Success Report: %d of %d devices\n", r.Success.Count, r.Devices)
	printList(w, "  ", r.Success)
	fmt.Fprintf(w, "\nDevice Client Agent Deployment Failure Report: %d of %d devices\n", r.Failed(), r.Devices)
	cli.Failures(w, "  ", r.Failure)
	fmt.Fprintf(w, "\nDevice Client Agent Health Summary\n")
	for _, c := range fleet.Healths() {
		fmt.Fprintf(w, "  %-22s %d\n", c.String()+":", r.Health.Count(c))
	}
	for _, l := range cli.HealthLists(r) {
		fmt.Fprintf(w, "\n%s: %d\n", l.Title, l.List.Count)
		printList(w, "  ", l.List)
	}
}

func printList(w io.Writer, indent string, l fleet.DeviceList) {
	for _, d := range l.Devices {
		fmt.Fprintf(w, "%s#%d %s\n", indent, d.Index, cli.Quote(d.ID))
	}
}
