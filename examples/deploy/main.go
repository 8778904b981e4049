// Command deploy decides and runs the mobile device client deployment of
// every device of a fleet with the [lifecycle] model ([fleet.Run]), and
// prints what happened to each device and the product page's ten reports.
//
// With no flags it runs the sample fleet embedded in the program,
// sample/fleet.json with sample/ClientSettings.ini:
//
//	go run ./examples/deploy
//
// For each device it prints the decision (the device's state, the event
// the decision table chose and whether it was carried out, and why not),
// the installer chain's steps, the log files written, the status message
// (sent only when the trust step fails on a device connected through a
// managed Configuration Manager client computer) and the result; then the
// reports: the software distribution status of the DM client install
// program, the client computers reporting ActiveSync-connected devices,
// the deployment status details, success, failure, the health summary,
// the healthy clients, and the clients unhealthy because of certificate,
// communication and local client issues.
//
// Flags:
//
//	-fleet FILE     read the fleet from FILE instead of the sample; the
//	                file is streamed, so its size does not matter
//	-ini FILE       use FILE (at most ini.MaxSize bytes) as the
//	                ClientSettings.ini of every package without an "ini"
//	                of its own, instead of the sample's
//	-json           print JSON instead of text: every device's decision and
//	                outcome (steps, logs, status message, error) and the
//	                reports
//	-workers N      run N deployments at a time (default: every core)
//	-generate N     run N devices, cycling through the fleet's devices, and
//	                print only the reports' counts (for large fleets; ids
//	                get a "#k" suffix); the elapsed time goes to stderr
//	-clock TIME     the time the device logs are stamped with, RFC 3339,
//	                or "now" (default 2026-11-26T09:43:00Z, so that the
//	                output is reproducible)
//	-explain ID     run device ID alone and print why it got its outcome
//	                and the nearest scenarios where it would succeed
//	                (see explain.go); with -json, as JSON
//
// What if, and the fleet on the diagram:
//
//	-compare FILE   run the fleet under two deployments and print how they
//	                differ: as it is, and with FILE as the ClientSettings.ini
//	                of the packages without an .ini of their own (those whose
//	                settings are -ini's); every device is read once and run
//	                under both ([fleet.Compare])
//	-compare-package NAME=FILE
//	                the same, with the package in FILE (JSON, as the fleet
//	                file's "packages" hold it; without "ini" it gets the .ini
//	                of -compare or -ini) instead of the fleet's package NAME
//	-compare-site NAME=FILE
//	                the same, with the site in FILE (JSON, as the fleet file's
//	                "sites" hold it) instead of the fleet's site NAME
//	-diagram FORMAT write the diagram of a machine, "dot" (Graphviz) or
//	                "mermaid", with how many devices of the run took each
//	                transition (diagram.Counts), instead of the results
//	-machine NAME   the machine -diagram draws: "client" (the default) or
//	                "chain" (the installer chain)
//
// The three -compare flags combine. The comparison lists the devices
// whose decision, outcome or health changes, grouped by before and after,
// the reports' counts side by side and the settings changed by the
// devices' users that each deployment overwrites; with -json it is one
// JSON object holding a [fleet.Comparison]. For example, with the files
// beside the sample:
//
//	go run ./examples/deploy -compare examples/deploy/sample/Enroll.ini
//	go run ./examples/deploy -compare-package sp2=examples/deploy/sample/hotfix.json \
//		-compare-site branch=examples/deploy/sample/branch.json
//	go run ./examples/deploy -diagram dot | dot -Tsvg > fleet-client.svg
//
// The fleet file is JSON; sample/fleet.json is its example and
// [fleet.Decoder] documents it: "sites" and "packages" by name, then
// "devices", each a device block and the deployment it gets. A device that
// cannot be deployed as written (an unknown platform, a malformed version,
// a missing member, a duplicate id) is reported in the results with an
// error naming the device, the field and its byte offset; the others run.
// Every value taken from the input files is printed quoted or escaped, so
// that no control character reaches the terminal.
//
// An interrupt (Ctrl-C) stops the run within a second and prints the
// report of the devices read so far; a second interrupt ends the command at
// once. For large fleets, a progress line is written to stderr when stderr
// is a terminal.
//
// Exit status: 0 when every device was run (whatever its result), 2 for
// bad usage (an unknown flag or a bad flag value), 1 for everything else:
// a file that cannot be read, a fleet file or .ini that is not valid, an
// interrupted run, output that cannot be written.
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
	"strconv"
	"strings"
	"time"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

//go:embed sample/fleet.json sample/ClientSettings.ini
var sample embed.FS

// progressStep is how many devices go between two progress lines, at
// most; fleets smaller than it show none.
const progressStep = 10_000

// listLimit is the largest fleet whose reports list their devices; a
// larger one prints the reports' counts (each device has its own block).
const listLimit = 10_000

const usageLine = "deploy decides and runs the mobile device client deployment of every device of a fleet\n" +
	"and prints each device's result and the product page's ten reports."

func main() { mainWith(isTerminal(os.Stderr)) }

// mainWith is main, with stderr taken for a terminal or not.
func mainWith(terminal bool) {
	ctx, cancel := context.WithCancel(context.Background())
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt)
	go func() {
		<-interrupts
		fmt.Fprintln(os.Stderr, "\ndeploy: interrupted: stopping; interrupt again to quit at once")
		cancel()
		<-interrupts
		fmt.Fprintln(os.Stderr, "deploy: interrupted again: quitting")
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
	fleetFile, iniFile string
	json               bool
	workers, generate  int
	clock              func() time.Time
	explain            string        // explain.go
	compare            *compareFlags // compare.go
	diagram            *diagramFlags // diagram.go
}

// run is the program: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, terminal bool) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "deploy:", clean(err.Error()))
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "deploy:", clean(err.Error()))
		return 1
	}
	iniName, settings, err := readSettings(cfg.iniFile)
	if err != nil {
		return fail(err)
	}
	fleetName, file, err := openFleet(cfg.fleetFile)
	if err != nil {
		return fail(err)
	}
	defer file.Close()
	dec := fleet.NewDecoder(file, settings)
	if cfg.explain != "" {
		return explainDevice(ctx, dec, fleetName, cfg, stdout, stderr)
	}
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
	if status := runMode(ctx, cfg, input{fleetName, iniName, settings, dec, entries, &shown}, stdout, stderr); status >= 0 {
		return status
	}
	out := &errWriter{w: bufio.NewWriterSize(stdout, 64<<10)}
	opts := fleet.Options{
		Workers: cfg.workers,
		Machine: lifecycle.Options{Clock: cfg.clock},
	}
	// The report's per-device lists come from an aggregator of the first
	// listLimit devices, so that memory stays flat for any fleet.
	lists := fleet.NewAggregator(fleet.ReportOptions{Details: true})
	var p printer
	switch {
	case cfg.generate > 0:
	case cfg.json:
		p = &jsonPrinter{w: out}
	default:
		p = &textPrinter{w: out}
	}
	if p != nil {
		p.start(fleetName, iniName)
		opts.OnOutcome = func(i int, e fleet.Entry, o lifecycle.Outcome) {
			if i < listLimit {
				lists.Add(i, e, o)
			}
			p.outcome(i, e, o)
		}
	}
	start := time.Now()
	report, runErr := fleet.Run(ctx, entries, opts)
	elapsed := time.Since(start)
	if shown {
		fmt.Fprint(stderr, "\n")
	}
	fileErr := dec.Err()
	if fileErr != nil && report.Devices == 0 {
		return fail(fileErr)
	}
	if p == nil {
		p = &textPrinter{w: out}
		if cfg.json {
			p = &jsonPrinter{w: out, countsOnly: true}
		}
	}
	if listed := lists.Report(); listed.Devices == report.Devices {
		report = listed // every device: the same counts, with the lists
	}
	p.end(report, errors.Join(fileErr, interrupted(runErr, report)))
	out.flush()
	if cfg.generate > 0 {
		fmt.Fprintf(stderr, "%d devices in %v: %.0f devices/s\n", report.Devices, elapsed.Round(time.Millisecond),
			float64(report.Devices)/elapsed.Seconds())
	}
	status := 0
	for _, err := range []error{fileErr, interrupted(runErr, report), out.err} {
		if err != nil {
			fmt.Fprintln(stderr, "deploy:", clean(err.Error()))
			status = 1
		}
	}
	return status
}

// interrupted says what an interrupted run's report covers.
func interrupted(err error, r fleet.Report) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("interrupted: the report covers the %d devices read before the interrupt, %d of them not run (%w)",
		r.Devices, r.Health.NotRun, err)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nUsage: deploy [flags]\n\nFlags:\n", usageLine)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nExit status: 0 when every device was run, 2 for bad usage, 1 otherwise.\n")
	}
	fleetFile := fs.String("fleet", "", "read the fleet from `FILE` (JSON) instead of the embedded sample")
	iniFile := fs.String("ini", "", "use `FILE` as the ClientSettings.ini of packages without their own")
	asJSON := fs.Bool("json", false, "print every device's decision and outcome and the reports as JSON")
	workers := fs.Int("workers", 0, "run `N` deployments at a time (0: every core)")
	generate := fs.Int("generate", 0, "run `N` devices cycling through the fleet, print counts only")
	clock := fs.String("clock", "2026-11-26T09:43:00Z", "log time stamp, RFC 3339 `TIME` or \"now\"")
	explain := fs.String("explain", "", explainUsage)
	compare, diagram := addCompareFlags(fs), addDiagramFlags(fs)
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %s", strconv.Quote(fs.Arg(0)))
	}
	cfg := config{fleetFile: *fleetFile, iniFile: *iniFile, json: *asJSON, workers: *workers, generate: *generate, clock: time.Now,
		explain: *explain, compare: compare, diagram: diagram}
	if *generate < 0 {
		return config{}, errors.New("-generate must not be negative")
	}
	if err := modeError(cfg); err != nil {
		return config{}, err
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

// readSettings reads the .ini file name, or the sample's when name is "",
// reading at most ini.MaxSize+1 bytes of it.
func readSettings(name string) (string, ini.Settings, error) {
	var f fs.File
	var err error
	if name == "" {
		name = "sample/ClientSettings.ini"
		f, err = sample.Open(name)
	} else {
		f, err = os.Open(name)
	}
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

// openFleet opens the fleet file name, or the sample's when name is "".
func openFleet(name string) (string, io.ReadCloser, error) {
	if name == "" {
		name = "sample/fleet.json"
		f, err := sample.Open(name)
		return name, f, err
	}
	f, err := os.Open(name)
	return name, f, err
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

// withProgress writes a progress line to w as the fleet is pulled, once it
// is large: a bar when total is known (>= 0), a count otherwise. It sets
// *shown when it wrote one.
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
			n++
			if n%step == 0 && n >= progressStep {
				*shown = true
				if total > 0 {
					const width = 40
					done := n * width / total
					fmt.Fprintf(w, "\r[%s%s] %3d%% %d/%d", strings.Repeat("#", done), strings.Repeat(".", width-done), n*100/total, n, total)
				} else {
					fmt.Fprintf(w, "\r%d devices", n)
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

// printer writes the run: a start, every outcome in fleet order, and the
// reports.
type printer interface {
	start(fleetName, iniName string)
	outcome(i int, e fleet.Entry, o lifecycle.Outcome)
	end(r fleet.Report, err error)
}
