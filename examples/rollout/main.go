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
// Exit status: 0 when every device went through the plan (whatever its
// results), 2 for bad usage (an unknown flag or a bad flag value), 1 for
// everything else: a file that cannot be read, a plan, fleet file or .ini
// that is not valid, an interrupted run, output that cannot be written.
package main

import (
	"bufio"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

//go:embed sample/plan.json sample/fleet.json sample/ClientSettings.ini
var sample embed.FS

// progressStep is how many devices go between two progress lines, at
// most; fleets smaller than it show none.
const progressStep = 10_000

// listLimit is the largest fleet whose reports list their devices.
const listLimit = 10_000

const usageLine = "rollout runs a rollout plan, waves of deployments in order, over a fleet of devices\n" +
	"and prints each wave's reports and the histories of a few devices."

func main() { mainWith(isTerminal(os.Stderr)) }

// mainWith is main, with stderr taken for a terminal or not.
func mainWith(terminal bool) {
	ctx, cancel := context.WithCancel(context.Background())
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt)
	go func() {
		<-interrupts
		fmt.Fprintln(os.Stderr, "\nrollout: interrupted: stopping; interrupt again to quit at once")
		cancel()
		<-interrupts
		fmt.Fprintln(os.Stderr, "rollout: interrupted again: quitting")
		os.Exit(1)
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, terminal))
}

// isTerminal reports whether f is a character device, such as a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

type config struct {
	planFile, fleetFile, iniFile string
	json                         bool
	workers, generate            int
	clock                        func() time.Time
}

// run is the program: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, terminal bool) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "rollout:", clean(err.Error()))
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "rollout:", clean(err.Error()))
		return 1
	}
	iniName, settings, err := readSettings(cfg.iniFile)
	if err != nil {
		return fail(err)
	}
	planName, plan, err := readPlan(cfg.planFile, settings)
	if err != nil {
		return fail(err)
	}
	fleetName, file, err := open(cfg.fleetFile, "sample/fleet.json")
	if err != nil {
		return fail(err)
	}
	defer file.Close()
	dec := fleet.NewDecoder(file, settings)
	entries, total := dec.Devices(), -1
	if cfg.generate > 0 {
		base, err := collect(dec)
		if err != nil {
			return fail(err)
		}
		entries, total = cycle(base, cfg.generate), cfg.generate
	}
	shown := false
	if terminal {
		entries = withProgress(entries, total, stderr, &shown)
	}
	out := &errWriter{w: bufio.NewWriterSize(stdout, 64<<10)}
	lists := newLister(len(plan.Waves))
	picks := &picker{}
	var p printer = &textPrinter{w: out, plan: plan}
	if cfg.json {
		p = &jsonPrinter{w: out, plan: plan, countsOnly: cfg.generate > 0}
	}
	started := false
	opts := fleet.PlanOptions{
		Workers: cfg.workers,
		Machine: lifecycle.Options{Clock: cfg.clock},
		Decoder: dec,
		OnHistory: func(h fleet.History) {
			if !started {
				started = true
				p.start(planName, fleetName, iniName)
			}
			if cfg.generate == 0 && h.Index < listLimit {
				lists.add(h)
			}
			picks.add(h)
			if cfg.generate == 0 {
				p.history(h)
			}
		},
	}
	start := time.Now()
	report, runErr := plan.Run(ctx, entries, opts)
	elapsed := time.Since(start)
	if shown {
		fmt.Fprint(stderr, "\n")
	}
	fileErr := dec.Err()
	var planErr *fleet.Error
	if errors.As(runErr, &planErr) || fileErr != nil && report.Devices == 0 {
		return fail(errors.Join(fileErr, runErr))
	}
	if !started {
		p.start(planName, fleetName, iniName)
	}
	if report.Devices <= listLimit && cfg.generate == 0 {
		lists.fill(&report)
	}
	stop := interrupted(runErr, report)
	p.end(report, picks.histories(), errors.Join(fileErr, stop))
	out.flush()
	if cfg.generate > 0 {
		n := report.Devices * len(report.Waves)
		fmt.Fprintf(stderr, "%d devices, %d device-waves in %v: %.0f device-waves/s\n", report.Devices, n,
			elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	}
	status := 0
	for _, err := range []error{fileErr, stop, out.err} {
		if err != nil {
			fmt.Fprintln(stderr, "rollout:", clean(err.Error()))
			status = 1
		}
	}
	return status
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
	fs := flag.NewFlagSet("rollout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nUsage: rollout [flags]\n\nFlags:\n", usageLine)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nExit status: 0 when every device went through the plan, 2 for bad usage, 1 otherwise.\n")
	}
	planFile := fs.String("plan", "", "read the rollout plan from `FILE` (JSON) instead of the embedded sample")
	fleetFile := fs.String("fleet", "", "read the fleet from `FILE` (JSON) instead of the embedded sample")
	iniFile := fs.String("ini", "", "use `FILE` as the ClientSettings.ini of packages without their own")
	asJSON := fs.Bool("json", false, "print every device's history and the report as JSON")
	workers := fs.Int("workers", 0, "take `N` devices through the plan at a time (0: every core)")
	generate := fs.Int("generate", 0, "run `N` devices cycling through the fleet, print counts only")
	clock := fs.String("clock", "2026-11-26T09:43:00Z", "the rollout's start, RFC 3339 `TIME` or \"now\"")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %s", strconv.Quote(fs.Arg(0)))
	}
	cfg := config{planFile: *planFile, fleetFile: *fleetFile, iniFile: *iniFile, json: *asJSON, workers: *workers,
		generate: *generate, clock: time.Now}
	if *generate < 0 {
		return config{}, errors.New("-generate must not be negative")
	}
	if *clock != "now" {
		t, err := time.Parse(time.RFC3339, *clock)
		if err != nil {
			return config{}, fmt.Errorf("-clock: %w", err)
		}
		cfg.clock = func() time.Time { return t }
	}
	return cfg, nil
}

// open opens the file name, or the sample file when name is "".
func open(name, sampleName string) (string, fs.File, error) {
	if name == "" {
		f, err := sample.Open(sampleName)
		return sampleName, f, err
	}
	f, err := os.Open(name)
	return name, f, err
}

// readSettings reads the .ini file name, or the sample's when name is "",
// reading at most ini.MaxSize+1 bytes of it.
func readSettings(name string) (string, ini.Settings, error) {
	name, f, err := open(name, "sample/ClientSettings.ini")
	if err != nil {
		return name, ini.Settings{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, ini.MaxSize+1))
	if err != nil {
		return name, ini.Settings{}, err
	}
	if len(data) > ini.MaxSize {
		return name, ini.Settings{}, fmt.Errorf("%s: %w: more than %d bytes", name, ini.ErrTooLarge, ini.MaxSize)
	}
	s, err := lifecycle.ReadSettings(name, data)
	return name, s, err
}

// readPlan reads the plan file name, or the sample's when name is "".
func readPlan(name string, settings ini.Settings) (string, *fleet.Plan, error) {
	name, f, err := open(name, "sample/plan.json")
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

// collect reads the whole fleet, for -generate.
func collect(dec *fleet.Decoder) ([]item, error) {
	var items []item
	for e, err := range dec.Devices() {
		items = append(items, item{e, err})
	}
	if err := dec.Err(); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, errors.New("-generate: the fleet has no devices")
	}
	return items, nil
}

type item struct {
	e   fleet.Entry
	err error
}

// cycle yields n devices, going round base; the k-th round's ids get "#k".
func cycle(base []item, n int) iter.Seq2[fleet.Entry, error] {
	return func(yield func(fleet.Entry, error) bool) {
		for i := range n {
			it := base[i%len(base)]
			it.e.Device.ID += "#" + strconv.Itoa(i/len(base))
			if !yield(it.e, it.err) {
				return
			}
		}
	}
}

// withProgress writes a progress line to w as the fleet is pulled, once
// it is large: a percentage when total is known (>= 0), a count
// otherwise. It sets *shown when it wrote one.
func withProgress(entries iter.Seq2[fleet.Entry, error], total int, w io.Writer, shown *bool) iter.Seq2[fleet.Entry, error] {
	if total >= 0 && total < progressStep {
		return entries
	}
	step := progressStep
	if total > 0 {
		step = max(min(total/100, progressStep), 1)
	}
	return func(yield func(fleet.Entry, error) bool) {
		n := 0
		for e, err := range entries {
			if n++; n%step == 0 && n >= progressStep {
				*shown = true
				if total > 0 {
					fmt.Fprintf(w, "\rdevices: %d of %d (%d%%)", n, total, n*100/total)
				} else {
					fmt.Fprintf(w, "\rdevices: %d", n)
				}
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// errWriter keeps the first write error.
type errWriter struct {
	w   *bufio.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) flush() {
	if err := e.w.Flush(); err != nil && e.err == nil {
		e.err = err
	}
}

// printer writes the run: a start, every device's history in fleet order
// (not with -generate), and the report.
type printer interface {
	start(planName, fleetName, iniName string)
	history(h fleet.History)
	end(r fleet.PlanReport, picked []fleet.History, err error)
}

// lister keeps the per-device lists of the reports of the first listLimit
// devices: an aggregator with details per wave, and the failures.
type lister struct {
	aggs   []*fleet.Aggregator
	failed map[string][]fleet.DeviceRef
}

func newLister(waves int) *lister {
	l := &lister{failed: map[string][]fleet.DeviceRef{}}
	for range waves {
		l.aggs = append(l.aggs, fleet.NewAggregator(fleet.ReportOptions{Details: true}))
	}
	return l
}

func (l *lister) add(h fleet.History) {
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
