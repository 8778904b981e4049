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
//	                transition (diagram.Counts: the password program's
//	                deployments count on the client machine, whose table
//	                it follows), instead of the results
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
// Exit status: 0 when the whole fleet was run (whatever the results,
// devices that could not be read included), 2 for bad usage (an unknown
// flag or a bad flag value), 1 for everything else: a file that cannot be
// read, a fleet file or .ini that is not valid, an interrupted run, output
// that cannot be written.
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

//go:embed sample/fleet.json sample/ClientSettings.ini
var sample embed.FS

const usageLine = "deploy decides and runs the mobile device client deployment of every device of a fleet\n" +
	"and prints each device's result and the product page's ten reports."

func main() { cli.Main("deploy", cli.IsTerminal(os.Stderr), run) }

type config struct {
	cli.Flags
	clock   func() time.Time
	explain string        // explain.go
	compare *compareFlags // compare.go
	diagram *diagramFlags // diagram.go
}

// run is the program: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, terminal bool) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return cli.UsageError(stderr, "deploy", err)
	}
	fail := func(err error) int { return cli.Errors(stderr, "deploy", err) }
	iniName, settings, err := readSettings(cfg.Ini)
	if err != nil {
		return fail(err)
	}
	fleetName, file, err := openFleet(cfg.Fleet)
	if err != nil {
		return fail(err)
	}
	defer file.Close()
	dec := fleet.NewDecoder(file, settings)
	if cfg.explain != "" {
		return explainDevice(ctx, dec, fleetName, cfg, stdout, stderr)
	}
	progress := cli.NewProgress(stderr, terminal, progressBar)
	entries, err := cli.Devices(dec, cfg.Generate, progress)
	if err != nil {
		return fail(err)
	}
	if status := runMode(ctx, cfg, input{fleetName, iniName, settings, dec, entries, progress}, stdout, stderr); status >= 0 {
		return status
	}
	out := cli.NewWriter(stdout, 64<<10)
	opts := fleet.Options{
		Workers: cfg.Workers,
		Machine: lifecycle.Options{Clock: cfg.clock},
	}
	// The report's per-device lists come from an aggregator of the first
	// [cli.ListLimit] devices, so that memory stays flat for any fleet.
	lists := fleet.NewAggregator(fleet.ReportOptions{Details: true})
	var p printer
	switch {
	case cfg.Generate > 0:
	case cfg.JSON:
		p = &jsonPrinter{w: out}
	default:
		p = &textPrinter{w: out}
	}
	if p != nil {
		p.start(fleetName, iniName)
		opts.OnOutcome = func(i int, e fleet.Entry, o lifecycle.Outcome) {
			if i < cli.ListLimit {
				lists.Add(i, e, o)
			}
			p.outcome(i, e, o)
		}
	}
	start := time.Now()
	report, runErr := fleet.Run(ctx, entries, opts)
	elapsed := time.Since(start)
	progress.End()
	fileErr := dec.Err()
	if fileErr != nil && report.Devices == 0 {
		return fail(fileErr)
	}
	if p == nil {
		p = &textPrinter{w: out}
		if cfg.JSON {
			p = &jsonPrinter{w: out}
		}
	}
	if listed := lists.Report(); listed.Devices == report.Devices {
		report = listed // every device: the same counts, with the lists
	}
	p.end(report, errors.Join(fileErr, interrupted(runErr, report)))
	out.Flush()
	if cfg.Generate > 0 {
		fmt.Fprintf(stderr, "%d devices in %v: %.0f devices/s\n", report.Devices, elapsed.Round(time.Millisecond),
			float64(report.Devices)/elapsed.Seconds())
	}
	return cli.Errors(stderr, "deploy", fileErr, interrupted(runErr, report), out.Err())
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
	fs := cli.NewFlagSet("deploy", usageLine, "the whole fleet was run (whatever the results)", stderr)
	flags := cli.AddFlags(fs, "print every device's decision and outcome and the reports as JSON",
		"run `N` deployments at a time (0: every core)", "log time stamp, RFC 3339 `TIME` or \"now\"")
	explain := fs.String("explain", "", explainUsage)
	compare, diagram := addCompareFlags(fs), addDiagramFlags(fs)
	if err := flags.Parse(args); err != nil {
		return config{}, err
	}
	cfg := config{Flags: *flags, explain: *explain, compare: compare, diagram: diagram}
	if err := modeError(cfg); err != nil {
		return config{}, err
	}
	var err error
	if cfg.clock, err = flags.Clock(); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// readSettings reads the .ini file name, or the sample's when name is "".
func readSettings(name string) (string, ini.Settings, error) {
	return cli.ReadSettings(name, sample, "sample/ClientSettings.ini")
}

// openFleet opens the fleet file name, or the sample's when name is "".
func openFleet(name string) (string, io.ReadCloser, error) {
	return cli.Open(name, sample, "sample/fleet.json")
}

// progressBar is the progress line: a bar when the total is known, a
// count otherwise.
func progressBar(n, total int) string {
	if total <= 0 {
		return fmt.Sprintf("%d devices", n)
	}
	const width = 40
	done := n * width / total
	return fmt.Sprintf("[%s%s] %3d%% %d/%d", strings.Repeat("#", done), strings.Repeat(".", width-done), n*100/total, n, total)
}

// printer writes the run: a start, every outcome in fleet order, and the
// reports.
type printer interface {
	start(fleetName, iniName string)
	outcome(i int, e fleet.Entry, o lifecycle.Outcome)
	end(r fleet.Report, err error)
}
