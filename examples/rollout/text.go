package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// stateText is a state and the installed version, if any.
func stateText(s lifecycle.State, v interface {
	IsValid() bool
	String() string
}) string {
	if !v.IsValid() {
		return s.String()
	}
	return s.String() + " " + v.String()
}

const timeLayout = "2006-01-02 15:04:05 MST"

// textPrinter writes the run as text: a line per device as it goes
// through the plan is not printed (the reports and the histories picked
// say it), only the reports at the end.
type textPrinter struct {
	w    io.Writer
	plan *fleet.Plan
}

func (p *textPrinter) start(planName, fleetName, iniName string) {
	fmt.Fprintf(p.w, "Rollout plan %s over fleet %s, settings %s: %d waves\n", cli.Clean(planName), cli.Clean(fleetName),
		cli.Clean(iniName), len(p.plan.Waves))
}

func (p *textPrinter) history(fleet.History) {}

func (p *textPrinter) end(r fleet.PlanReport, picked []fleet.History, err error) {
	w := p.w
	cli.RunNotes(w, err, countsOnly(r))
	for i, wr := range r.Waves {
		p.wave(i, wr, r.Devices)
	}
	fmt.Fprintf(w, "\nWhich waves failed whom (%d devices failed in at least one wave)\n", failedDevices(r))
	if len(r.FailedBy) == 0 {
		fmt.Fprintf(w, "  (no wave failed any device)\n")
	}
	for _, f := range r.FailedBy {
		names := make([]string, len(f.Waves))
		for j, wi := range f.Waves {
			names[j] = strconv.Itoa(wi+1) + " " + cli.Quote(r.Waves[wi].Name)
		}
		fmt.Fprintf(w, "  %s %s: %s%s\n", cli.Plural(len(names), "wave"), strings.Join(names, ", "), plural(f.Count, "device"), refs(f.Devices))
	}
	fmt.Fprintf(w, "\nDevices that could not go through the plan: %d\n", failures(r.Unread))
	cli.Failures(w, "  ", r.Unread)
	if len(picked) > 0 {
		fmt.Fprintf(w, "\nHistories of a few devices (the most changes, the most failures, a repair, an uninstall, a device that could not be read)\n")
	}
	for _, h := range picked {
		p.printHistory(h, r)
	}
}

// countsOnly reports whether the reports of r give counts only: a wave
// that targeted devices has no status details.
func countsOnly(r fleet.PlanReport) bool {
	for _, wr := range r.Waves {
		if wr.Report.Devices > 0 {
			return len(wr.Report.StatusDetails) == 0
		}
	}
	return false
}

// failures returns the devices of groups.
func failures(groups []fleet.FailureGroup) int {
	n := 0
	for _, g := range groups {
		n += g.Count
	}
	return n
}

func failedDevices(r fleet.PlanReport) int {
	n := 0
	for _, f := range r.FailedBy {
		n += f.Count
	}
	return n
}

// wave writes wave i's summary and reports.
func (p *textPrinter) wave(i int, wr fleet.WaveReport, devices int) {
	w := p.w
	pw := p.plan.Waves[i]
	fmt.Fprintf(w, "\nWave %d of %d: %s, %s\n", i+1, len(p.plan.Waves), cli.Quote(pw.Name), wr.Time.UTC().Format(timeLayout))
	fmt.Fprintf(w, "  sends:   %s\n", sends(pw))
	fmt.Fprintf(w, "  targets: %s\n", targets(pw.Target))
	fmt.Fprintf(w, "  devices: %d of %d ran, %d not run, %d not targeted; %d changed state\n", wr.Ran, devices, wr.NotRun,
		wr.NotTargeted, wr.Changed)
	rep := wr.Report
	if rep.Devices == 0 {
		return
	}
	fmt.Fprintf(w, "  Software Distribution Status Report for DM client install program\n")
	if len(rep.SoftwareDistribution) == 0 {
		fmt.Fprintf(w, "    (no device was deployed by software distribution)\n")
	}
	for _, s := range rep.SoftwareDistribution {
		fmt.Fprintf(w, "    site %s, %s: targeted %d, accepted %d, ran %d, succeeded %d, failed %d; last status message: %s\n",
			cli.Quote(s.Site), cli.Text(s.Program), s.Targeted, s.Accepted, s.Ran, s.Succeeded, s.Failed, cli.Status(s.LastStatus))
	}
	fmt.Fprintf(w, "  Configuration Manager client computers reporting ActiveSync-connected devices\n")
	if len(rep.Computers) == 0 {
		fmt.Fprintf(w, "    (no device is connected through a computer)\n")
	}
	for _, c := range rep.Computers {
		kind := "a managed ConfigMgr client computer"
		if !c.Managed {
			kind = "not a ConfigMgr client: it reports nothing"
		}
		fmt.Fprintf(w, "    %s, %s: %s%s\n", cli.Quote(c.Name), kind, plural(c.Devices.Count, "device"), refs(c.Devices.Devices))
	}
	if len(rep.StatusDetails) > 0 {
		fmt.Fprintf(w, "  Device Client Agent Deployment Status Details\n")
		for _, d := range rep.StatusDetails {
			fmt.Fprintf(w, "    #%d %s: %s\n", d.Index, cli.Quote(d.ID), detail(d))
		}
	}
	fmt.Fprintf(w, "  Device Client Agent Deployment Success Report: %d of %d devices%s\n", rep.Success.Count, rep.Devices,
		refs(rep.Success.Devices))
	fmt.Fprintf(w, "  Device Client Agent Deployment Failure Report: %d of %d devices\n", rep.Failed(), rep.Devices)
	cli.Failures(w, "    ", rep.Failure)
	counts := make([]string, 0, len(fleet.Healths()))
	for _, h := range fleet.Healths() {
		counts = append(counts, h.String()+" "+strconv.Itoa(rep.Health.Count(h)))
	}
	fmt.Fprintf(w, "  Device Client Agent Health Summary: %s\n", strings.Join(counts, ", "))
	for _, l := range cli.HealthLists(rep) {
		fmt.Fprintf(w, "  %s: %d%s\n", l.Title, l.List.Count, refs(l.List.Devices))
	}
}

// detail is a device's line of the status details report.
func detail(d fleet.StatusDetail) string {
	what := fmt.Sprintf("%s, %s, %s: ", cli.Platform(d.Platform), cli.Text(d.Method), cli.Text(d.Component))
	switch {
	case d.Failure == fleet.FailureInput:
		what += "not decided"
	case d.Carried:
		what += fmt.Sprintf("%s -> %s -> %s", d.From, d.Event, d.To)
	case d.Event == lifecycle.NoAction:
		what += fmt.Sprintf("%s, no action", d.From)
	default:
		what += fmt.Sprintf("%s, %s not carried out", d.From, d.Event)
	}
	result := "success"
	if d.Failure != fleet.NoFailure {
		result = "failed (" + d.Failure.String() + ")"
	}
	return what + "; " + result + ", " + d.Health.String()
}

// plural returns n and the noun, with an "s" unless n is 1.
func plural(n int, noun string) string { return strconv.Itoa(n) + " " + cli.Plural(n, noun) }

// refs lists devices after a colon, or nothing.
func refs(devices []fleet.DeviceRef) string {
	if len(devices) == 0 {
		return ""
	}
	parts := make([]string, len(devices))
	for i, d := range devices {
		parts[i] = "#" + strconv.Itoa(d.Index) + " " + cli.Quote(d.ID)
	}
	return ": " + strings.Join(parts, ", ")
}

// sends says what a wave sends.
func sends(w fleet.Wave) string {
	var parts []string
	own := []string{}
	add := func(given bool, what, text string) {
		if given {
			parts = append(parts, what+" "+text)
		} else {
			own = append(own, what)
		}
	}
	add(w.Package != "", "package", cli.Quote(w.Package))
	add(w.Site != "", "site", cli.Quote(w.Site))
	add(w.Method != 0, "method", cli.Text(w.Method))
	add(w.Component != 0, "component", cli.Text(w.Component))
	if w.Repair {
		parts = append(parts, "a repair")
	}
	if w.RenewCertificate {
		parts = append(parts, "a certificate renewal")
	}
	if len(parts) == 0 {
		// Not the device's own repair or renewal: those are the wave's.
		return "each device's own " + and(own)
	}
	s := strings.Join(parts, ", ")
	if len(own) > 0 {
		s += "; each device's own " + and(own)
	}
	return s
}

// and joins words as a list: "a", "a and b", "a, b and c".
func and(words []string) string {
	if n := len(words); n > 1 {
		return strings.Join(words[:n-1], ", ") + " and " + words[n-1]
	}
	return strings.Join(words, "")
}

// targets says which devices a target selects.
func targets(t fleet.Target) string {
	if t.All {
		return "every device"
	}
	var parts []string
	if len(t.IDs) > 0 {
		ids := make([]string, len(t.IDs))
		for i, id := range t.IDs {
			ids[i] = cli.Quote(id)
		}
		parts = append(parts, "the devices "+strings.Join(ids, ", "))
	}
	if s := t.Share; s != nil {
		pct := func(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) + "%" }
		if s.From == 0 {
			parts = append(parts, "the first "+pct(s.To)+" of the fleet by id")
		} else {
			parts = append(parts, "from "+pct(s.From)+" to "+pct(s.To)+" of the fleet by id")
		}
	}
	if len(t.Platforms) > 0 {
		names := make([]string, len(t.Platforms))
		for i, pl := range t.Platforms {
			names[i] = pl.String()
		}
		parts = append(parts, "platform "+strings.Join(names, " or "))
	}
	if len(t.Connections) > 0 {
		names := make([]string, len(t.Connections))
		for i, c := range t.Connections {
			names[i] = c.String()
		}
		parts = append(parts, "connected by "+strings.Join(names, " or "))
	}
	if len(t.Computers) > 0 {
		names := make([]string, len(t.Computers))
		for i, c := range t.Computers {
			names[i] = cli.Quote(c)
		}
		parts = append(parts, "synchronising with "+strings.Join(names, " or "))
	}
	return strings.Join(parts, "; ")
}

// printHistory writes one device's history.
func (p *textPrinter) printHistory(h fleet.History, r fleet.PlanReport) {
	w := p.w
	d := h.Entry.Device
	fmt.Fprintf(w, "\n#%d %s", h.Index, cli.Quote(d.ID))
	if d.Platform.IsValid() {
		fmt.Fprintf(w, ", %s, connected by %s", d.Platform, cli.Text(d.Connection))
		if d.Computer != "" {
			fmt.Fprintf(w, " (%s)", cli.Quote(d.Computer))
		}
		fmt.Fprintf(w, "; before the first wave: client %s", cli.Version(d.Client))
	}
	fmt.Fprintln(w)
	if h.Err != nil {
		fmt.Fprintf(w, "  could not go through the plan: %s\n", cli.Clean(h.Err.Error()))
	}
	for _, v := range h.Visits {
		o := v.Outcome
		name := ""
		if v.Wave < len(r.Waves) {
			name = r.Waves[v.Wave].Name
		}
		fmt.Fprintf(w, "  wave %d %s, %s: ", v.Wave+1, cli.Quote(name), v.Time.UTC().Format(timeLayout))
		switch {
		case h.Err != nil:
			fmt.Fprintf(w, "not run\n")
			continue
		case !v.Ran:
			fmt.Fprintf(w, "not run: %s\n", cli.Clean(o.Err.Error()))
			continue
		}
		fmt.Fprintf(w, "%s package %s %s from site %s by %s\n", cli.Text(v.Deployment.Component), cli.Quote(v.Package),
			cli.Version(v.Deployment.Package.Version), cli.Quote(v.Site), cli.Text(v.Deployment.Method))
		carried := "carried out"
		switch {
		case o.Event == lifecycle.NoAction:
			carried = "nothing to do"
		case !o.Transitioned():
			carried = "not carried out"
		}
		fmt.Fprintf(w, "    %s (state %s), %s: %s -> %s\n", o.Event, o.From, carried, stateText(o.From, o.Before),
			stateText(o.To, o.After))
		if len(o.Steps) > 0 {
			fmt.Fprintf(w, "    steps: %s\n", cli.Steps(o.Steps))
		}
		for _, l := range o.Logs {
			fmt.Fprintf(w, "    log:   %s\n", cli.Log(l))
		}
		if o.Err != nil {
			fmt.Fprintf(w, "    result: failed (%s, %s): %s\n", fleet.FailureOf(o), fleet.HealthOf(o), cli.Clean(o.Err.Error()))
		} else {
			fmt.Fprintf(w, "    result: success (%s)\n", fleet.HealthOf(o))
		}
	}
	if h.Err != nil {
		return
	}
	cert := "no certificate"
	if h.Device.Certificate {
		cert = "a certificate"
	}
	fmt.Fprintf(w, "  after the last wave: client %s, password program %s, %s\n", cli.Version(h.Device.Client),
		cli.Version(h.Device.PasswordProgram), cert)
}
