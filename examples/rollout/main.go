// Command rollout runs a rollout plan over a fleet with the [lifecycle]
// model ([fleet.Plan.Run]): waves of deployments sent in order, each
// device carrying forward what the waves before left on it. It prints each
// wave's reports (the product page's ten reports, over the devices the
// wave targeted), the devices grouped by the waves that failed them, and
// the histories of a few interesting devices.
//
// With no flags it runs the sample plan embedded in the program,
// sample/plan.json, over the sample fleet, sample/fleet.json (the fleet of
// examples/deploy) with sample/ClientSettings.ini:
//
//	go run ./examples/rollout
//
// The sample plan is a 10% pilot of each device's own deployment, the rest
// of the fleet a week later, a newer package (R3) a month later, a settings
// change to native mode with certificate enrollment, an uninstall of the
// retired Windows Mobile 5 devices, and a repair of damaged clients.
// [fleet.ReadPlan] documents the plan file.
//
// Flags:
//
//	-plan FILE      read the plan from FILE instead of the sample
//	-fleet FILE     read the fleet from FILE instead of the sample; the
//	                file is streamed, so its size does not matter
//	-ini FILE       use FILE as the ClientSettings.ini of every package
//	                (of the fleet and the plan) without an "ini" of its own
//	-json           print JSON instead of text: every device's history
//	                and the report
//	-workers N      take N devices through the plan at a time (default:
//	                every core)
//	-generate N     run N devices, cycling through the fleet's devices,
//	                and print the reports' counts (ids get a "#k" suffix);
//	                the elapsed time goes to stderr
//	-clock TIME     the rollout's start, which stamps the first wave's
//	                logs, RFC 3339 or "now" (default 2026-11-26T09:43:00Z,
//	                so that the output is reproducible)
//
// The reports list their devices for fleets of at most 10,000 devices
// run without -generate, and give counts otherwise. Every value taken from
// the input files is printed quoted or escaped, so that no control
// character reaches the terminal.
//
// An interrupt (Ctrl-C) stops the run within a second and prints the
// report of the devices read so far; a second interrupt ends the command at
// once. For large fleets, a progress line is written to stderr when stderr
// is a terminal.
//
// Exit status: 0 when the plan ran over the whole fleet (whatever the
// results, devices that could not go through the plan included), 2 for
// bad usage (an unknown flag or a bad flag value), 1 for everything else:
// a file that cannot be read, a plan, fleet file or .ini that is not
// valid, an interrupted run, output that cannot be written.
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

//go:embed sample/plan.json sample/fleet.json sample/ClientSettings.ini
var sample embed.FS

const usageLine = "rollout runs a rollout plan, waves of deployments in order, over a fleet of devices\n" +
	"and prints each wave's reports and the histories of a few devices."

func main() { cli.Main("rollout", cli.IsTerminal(os.Stderr), run) }

type config struct {
	cli.Flags
	planFile string
	clock    func() time.Time
}

// run is the program: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, terminal bool) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return cli.UsageError(stderr, "rollout", err)
	}
	fail := func(err error) int { return cli.Errors(stderr, "rollout", err) }
	iniName, settings, err := readSettings(cfg.Ini)
	if err != nil {
		return fail(err)
	}
	planName, plan, err := readPlan(cfg.planFile, settings)
	if err != nil {
		return fail(err)
	}
	fleetName, file, err := cli.Open(cfg.Fleet, sample, "sample/fleet.json")
	if err != nil {
		return fail(err)
	}
	defer file.Close()
	dec := fleet.NewDecoder(file, settings)
	progress := cli.NewProgress(stderr, terminal, progressLine)
	entries, err := cli.Devices(dec, cfg.Generate, progress)
	if err != nil {
		return fail(err)
	}
	out := cli.NewWriter(stdout, 64<<10)
	lists := newLister(len(plan.Waves))
	picks := &picker{}
	var p printer = &textPrinter{w: out, plan: plan}
	if cfg.JSON {
		p = &jsonPrinter{w: out, plan: plan, countsOnly: cfg.Generate > 0}
	}
	started := false
	opts := fleet.PlanOptions{
		Workers: cfg.Workers,
		Machine: lifecycle.Options{Clock: cfg.clock},
		Decoder: dec,
		OnHistory: func(h fleet.History) {
			if !started {
				started = true
				p.start(planName, fleetName, iniName)
			}
			if cfg.Generate == 0 && h.Index < cli.ListLimit {
				lists.add(h)
			}
			picks.add(h)
			if cfg.Generate == 0 {
				p.history(h)
			}
		},
	}
	start := time.Now()
	report, runErr := plan.Run(ctx, entries, opts)
	elapsed := time.Since(start)
	progress.End()
	fileErr := dec.Err()
	var planErr *fleet.Error
	if errors.As(runErr, &planErr) || fileErr != nil && report.Devices == 0 {
		return fail(errors.Join(fileErr, runErr))
	}
	if !started {
		p.start(planName, fleetName, iniName)
	}
	if report.Devices <= cli.ListLimit && cfg.Generate == 0 {
		lists.fill(&report)
	}
	stop := interrupted(runErr, report)
	p.end(report, picks.histories(), errors.Join(fileErr, stop))
	out.Flush()
	if cfg.Generate > 0 {
		n := report.Devices * len(report.Waves)
		fmt.Fprintf(stderr, "%d devices, %d device-waves in %v: %.0f device-waves/s\n", report.Devices, n,
			elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	}
	return cli.Errors(stderr, "rollout", fileErr, stop, out.Err())
}

// interrupted says what an interrupted run's report covers.
func interrupted(err error, r fleet.PlanReport) error {
	if err == nil {
		return nil
	}
	notRun := 0
	for _, w := range r.Waves {
		notRun += w.NotRun
	}
	return fmt.Errorf("interrupted: the report covers the %d devices read before the interrupt, with %d device-waves not run (%w)",
		r.Devices, notRun, err)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := cli.NewFlagSet("rollout", usageLine, "the plan ran over the whole fleet (whatever the results)", stderr)
	planFile := fs.String("plan", "", "read the rollout plan from `FILE` (JSON) instead of the embedded sample")
	flags := cli.AddFlags(fs, "print every device's history and the report as JSON",
		"take `N` devices through the plan at a time (0: every core)", "the rollout's start, RFC 3339 `TIME` or \"now\"")
	if err := flags.Parse(args); err != nil {
		return config{}, err
	}
	clock, err := flags.Clock()
	if err != nil {
		return config{}, err
	}
	return config{Flags: *flags, planFile: *planFile, clock: clock}, nil
}

// readSettings reads the .ini file name, or the sample's when name is "".
func readSettings(name string) (string, ini.Settings, error) {
	return cli.ReadSettings(name, sample, "sample/ClientSettings.ini")
}

// readPlan reads the plan file name, or the sample's when name is "".
func readPlan(name string, settings ini.Settings) (string, *fleet.Plan, error) {
	name, f, err := cli.Open(name, sample, "sample/plan.json")
	if err != nil {
		return name, nil, err
	}
	defer f.Close()
	plan, err := fleet.ReadPlan(f, settings)
	if err != nil {
		return name, nil, fmt.Errorf("%s: %w", name, err)
	}
	return name, plan, nil
}

// progressLine is the progress line: a percentage when the total is
// known, a count otherwise.
func progressLine(n, total int) string {
	if total <= 0 {
		return fmt.Sprintf("devices: %d", n)
	}
	return fmt.Sprintf("devices: %d of %d (%d%%)", n, total, n*100/total)
}

// printer writes the run: a start, every device's history in fleet order
// (not with -generate), and the report.
type printer interface {
	start(planName, fleetName, iniName string)
	history(h fleet.History)
	end(r fleet.PlanReport, picked []fleet.History, err error)
}

// lister keeps the per-device lists of the reports of the first [cli.ListLimit]
// devices: an aggregator with details per wave, and the failures.
type lister struct {
	aggs   []*fleet.Aggregator
	failed map[string][]fleet.DeviceRef
	unread *fleet.Aggregator // of the devices that could not be read: its failure report
}

func newLister(waves int) *lister {
	l := &lister{failed: map[string][]fleet.DeviceRef{}, unread: fleet.NewAggregator(fleet.ReportOptions{Details: true})}
	for range waves {
		l.aggs = append(l.aggs, fleet.NewAggregator(fleet.ReportOptions{Details: true}))
	}
	return l
}

func (l *lister) add(h fleet.History) {
	if h.Err != nil {
		l.unread.Add(h.Index, fleet.Entry{Device: h.Entry.Device}, lifecycle.Outcome{Device: h.Entry.Device.ID, Err: h.Err})
	}
	var failed []string
	for _, v := range h.Visits {
		l.aggs[v.Wave].Add(h.Index, fleet.Entry{Device: h.Entry.Device, Deployment: v.Deployment, Package: v.Package, Site: v.Site}, v.Outcome)
		if fleet.FailureOf(v.Outcome) != fleet.NoFailure {
			failed = append(failed, strconv.Itoa(v.Wave))
		}
	}
	if failed != nil {
		k := strings.Join(failed, ",")
		l.failed[k] = append(l.failed[k], fleet.DeviceRef{Index: h.Index, ID: h.Entry.Device.ID})
	}
}

// fill puts the lists into r, which counts the same devices.
func (l *lister) fill(r *fleet.PlanReport) {
	for i := range r.Waves {
		r.Waves[i].Report = l.aggs[i].Report()
	}
	for i, f := range r.FailedBy {
		k := make([]string, len(f.Waves))
		for j, w := range f.Waves {
			k[j] = strconv.Itoa(w)
		}
		r.FailedBy[i].Devices = l.failed[strings.Join(k, ",")]
	}
	r.Unread = l.unread.Report().Failure
}

// picker keeps the histories of a few interesting devices as they go by:
// the first with the most state changes, the first with the most failed
// waves, the first repaired, the first uninstalled, the first that could
// not be read.
type picker struct {
	changes, failures             fleet.History
	mostChanges, mostFailures     int
	repaired, uninstalled, unread *fleet.History
}

func (p *picker) add(h fleet.History) {
	changes, failures := 0, 0
	repaired, uninstalled := false, false
	for _, v := range h.Visits {
		o := v.Outcome
		if v.Ran && o.From != o.To {
			changes++
		}
		if fleet.FailureOf(o) != fleet.NoFailure {
			failures++
		}
		repaired = repaired || o.Event == lifecycle.Repair && o.Transitioned()
		uninstalled = uninstalled || o.Event == lifecycle.Uninstall && o.Transitioned()
	}
	if changes > p.mostChanges {
		p.changes, p.mostChanges = h, changes
	}
	if failures > p.mostFailures {
		p.failures, p.mostFailures = h, failures
	}
	keep := func(dst **fleet.History, ok bool) {
		if ok && *dst == nil {
			*dst = &h
		}
	}
	keep(&p.repaired, repaired)
	keep(&p.uninstalled, uninstalled)
	keep(&p.unread, h.Err != nil)
}

// histories returns the histories picked, in fleet order, each once.
func (p *picker) histories() []fleet.History {
	var out []fleet.History
	seen := map[int]bool{}
	for _, h := range []*fleet.History{&p.changes, &p.failures, p.repaired, p.uninstalled, p.unread} {
		if h != nil && len(h.Visits) > 0 && !seen[h.Index] {
			seen[h.Index] = true
			out = append(out, *h)
		}
	}
	slices.SortFunc(out, func(a, b fleet.History) int { return a.Index - b.Index })
	return out
}
