// Command deploy decides and runs the mobile device client deployment of
// every device of a fleet, with the [lifecycle] model, and prints the
// result of each and the product page's reports.
//
// With no flags it runs the sample fleet embedded in the program,
// sample/fleet.json with sample/ClientSettings.ini:
//
//	go run ./examples/deploy
//
// For each device it prints the decision (the device's state and the event
// the decision table fires), the installer chain's steps, the log files
// written and the result; then the reports: deployment status details,
// success, failure, health summary, healthy clients, and clients unhealthy
// because of certificate, communication and local client issues.
//
// Flags:
//
//	-fleet FILE     read the fleet from FILE instead of the sample
//	-ini FILE       use FILE as the ClientSettings.ini of every package
//	                without an "ini" of its own, instead of the sample's
//	-json           print the report as JSON instead of text
//	-workers N      run N deployments at a time (default: every core)
//	-generate N     run N devices, cycling through the fleet's devices, and
//	                print only the counts (for large fleets; ids get a
//	                "#k" suffix); the elapsed time goes to stderr
//	-clock TIME     the time the device logs are stamped with, RFC 3339,
//	                or "now" (default 2026-11-26T09:43:00Z, so that the
//	                output is reproducible)
//
// The fleet file is JSON; sample/fleet.json is its example and
// [lifecycle.FleetDecoder] documents the schema: "sites" and "packages"
// by name, then "devices", each with an id, platform, installed version,
// security configuration, connection and method, and optionally a
// component, package, site, enrollment conditions, a repair request and the
// settings on the device.
//
// A device that cannot be deployed as written (an unknown platform, a
// malformed version, a missing field) is reported in the results with an
// error naming the device and the field; the others run. A file that is not
// valid JSON stops the run where it breaks, with an error naming the device
// index, and the command exits with status 1.
//
// For large fleets, a progress line is written to stderr when stderr is a
// terminal.
package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
)

//go:embed sample/fleet.json sample/ClientSettings.ini
var sample embed.FS

// progressThreshold is the fleet size from which a progress line is shown.
const progressThreshold = 10_000

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stderr)))
}

// isTerminal reports whether f is a character device, such as a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

type config struct {
	fleetName, iniName string
	fleet, ini         []byte
	json               bool
	workers, generate  int
	clock              func() time.Time
}

// run is the program: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, terminal bool) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "deploy:", err)
		return 2
	}
	f, err := ini.Parse(cfg.iniName, cfg.ini)
	var settings ini.Settings
	if err == nil {
		settings, err = f.Settings()
	}
	if err != nil {
		fmt.Fprintln(stderr, "deploy:", err)
		return 1
	}
	dec := lifecycle.NewFleetDecoder(bytes.NewReader(cfg.fleet), settings)
	opts := lifecycle.FleetOptions{
		Workers: cfg.workers,
		Machine: []lifecycle.Option{lifecycle.WithClock(cfg.clock)},
		Report:  lifecycle.ReportOptions{Details: cfg.generate == 0},
	}
	fleet := dec.Devices()
	total := -1
	if cfg.generate > 0 {
		base, err := collect(dec)
		if err != nil {
			fmt.Fprintln(stderr, "deploy:", err)
			return 1
		}
		fleet, total = cycle(base, cfg.generate), cfg.generate
	}
	shown := false
	if terminal {
		fleet = withProgress(fleet, total, stderr, &shown)
	}
	out := &errWriter{w: stdout}
	if cfg.generate == 0 && !cfg.json {
		fmt.Fprintf(out, "Fleet %s, settings %s\n", cfg.fleetName, cfg.iniName)
		opts.OnOutcome = func(i int, sc lifecycle.Scenario, o lifecycle.Outcome) { printOutcome(out, i, sc, o) }
	}
	start := time.Now()
	report, runErr := lifecycle.RunFleet(ctx, fleet, opts)
	elapsed := time.Since(start)
	if shown {
		fmt.Fprint(stderr, "\n")
	}
	if cfg.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.Encode(report)
	} else {
		printReport(out, report)
	}
	if cfg.generate > 0 {
		fmt.Fprintf(stderr, "%d devices in %v: %.0f devices/s\n", report.Devices, elapsed.Round(time.Millisecond),
			float64(report.Devices)/elapsed.Seconds())
	}
	status := 0
	for _, err := range []error{out.err, dec.Err(), runErr} {
		if err != nil {
			fmt.Fprintln(stderr, "deploy:", err)
			status = 1
		}
	}
	return status
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fleetFile := fs.String("fleet", "", "read the fleet from `FILE` (JSON) instead of the embedded sample")
	iniFile := fs.String("ini", "", "use `FILE` as the ClientSettings.ini of packages without their own")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	workers := fs.Int("workers", 0, "run `N` deployments at a time (0: every core)")
	generate := fs.Int("generate", 0, "run `N` devices cycling through the fleet, print counts only")
	clock := fs.String("clock", "2026-11-26T09:43:00Z", "log time stamp, RFC 3339 `TIME` or \"now\"")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg := config{json: *asJSON, workers: *workers, generate: *generate, clock: time.Now}
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
	var err error
	cfg.fleetName, cfg.fleet, err = load(*fleetFile, "sample/fleet.json")
	if err != nil {
		return config{}, err
	}
	cfg.iniName, cfg.ini, err = load(*iniFile, "sample/ClientSettings.ini")
	return cfg, err
}

// load reads the file name, or the embedded file def when name is "".
func load(name, def string) (string, []byte, error) {
	if name == "" {
		data, err := sample.ReadFile(def)
		return def, data, err
	}
	data, err := os.ReadFile(name)
	return name, data, err
}

// collect reads the whole fleet, for -generate.
func collect(dec *lifecycle.FleetDecoder) ([]item, error) {
	var items []item
	for sc, err := range dec.Devices() {
		items = append(items, item{sc, err})
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
	sc  lifecycle.Scenario
	err error
}

// cycle yields n devices, going round base; the k-th round's ids get "#k".
func cycle(base []item, n int) iter.Seq2[lifecycle.Scenario, error] {
	return func(yield func(lifecycle.Scenario, error) bool) {
		for i := range n {
			it := base[i%len(base)]
			it.sc.Device.ID += "#" + strconv.Itoa(i/len(base))
			if !yield(it.sc, it.err) {
				return
			}
		}
	}
}

// withProgress writes a progress line to w as fleet is pulled, once the
// fleet is large: a bar when total is known (>= 0), a count otherwise. It
// sets *shown when it wrote one.
func withProgress(fleet iter.Seq2[lifecycle.Scenario, error], total int, w io.Writer, shown *bool) iter.Seq2[lifecycle.Scenario, error] {
	if total >= 0 && total < progressThreshold {
		return fleet
	}
	step := progressThreshold
	if total > 0 {
		step = max(total/100, 1)
	}
	return func(yield func(lifecycle.Scenario, error) bool) {
		n := 0
		for sc, err := range fleet {
			n++
			if n%step == 0 && n >= progressThreshold {
				*shown = true
				if total > 0 {
					const width = 40
					done := n * width / total
					fmt.Fprintf(w, "\r[%s%s] %3d%% %d/%d", strings.Repeat("#", done), strings.Repeat(".", width-done), n*100/total, n, total)
				} else {
					fmt.Fprintf(w, "\r%d devices", n)
				}
			}
			if !yield(sc, err) {
				return
			}
		}
	}
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
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

func printOutcome(w io.Writer, i int, sc lifecycle.Scenario, o lifecycle.Outcome) {
	platform := "unknown platform"
	if o.Platform.IsValid() {
		platform = o.Platform.String()
	}
	fmt.Fprintf(w, "\n#%d %s: %s, %s, %s\n", i, deviceName(o.Device), platform, o.Method, o.Component)
	if o.Failure == lifecycle.FailureInput {
		fmt.Fprintf(w, "  decision: none, invalid input\n  result:   failed (%s): %v\n", o.Failure, o.Err)
		return
	}
	why := "ClientInstallAction=" + sc.Package.Settings.ClientInstallAction.String()
	if sc.Repair {
		why = "repair requested"
	}
	fmt.Fprintf(w, "  decision: %s (state %s: installed %s, deployed %s; %s)\n",
		sc.Event(), sc.State(), versionText(o.Before), sc.Package.Version, why)
	if len(o.Steps) > 0 {
		steps := make([]string, len(o.Steps))
		for j, s := range o.Steps {
			steps[j] = s.String()
		}
		fmt.Fprintf(w, "  steps:    %s\n", strings.Join(steps, " -> "))
	}
	for _, l := range o.Logs {
		fmt.Fprintf(w, "  log:      %s: %s\n", l.Name(), strings.Join(l.Lines, " "))
	}
	if o.Status != nil {
		fmt.Fprintf(w, "  status:   %s %s\n", o.Status.HRESULT, o.Status.Text)
	}
	for _, ow := range o.Overwritten {
		user := ""
		if ow.UserChanged {
			user = " (changed by the user)"
		}
		fmt.Fprintf(w, "  setting:  %s %q -> %q%s\n", ow.Key, ow.Old, ow.New, user)
	}
	if o.Err != nil {
		fmt.Fprintf(w, "  result:   failed (%s): %v\n", o.Failure, strings.ReplaceAll(o.Err.Error(), "\n", "; "))
	} else {
		fmt.Fprintf(w, "  result:   success: %s -> %s, %s\n", o.From, o.To, versionText(o.After))
	}
	if o.Downgrade {
		fmt.Fprintf(w, "  note:     the repair replaced a newer client with the deployed one\n")
	}
}

func versionText(v interface {
	IsValid() bool
	String() string
}) string {
	if !v.IsValid() {
		return "(none)"
	}
	return v.String()
}

func deviceName(id string) string {
	if id == "" {
		return "(no id)"
	}
	return id
}

func printReport(w io.Writer, r lifecycle.Report) {
	if len(r.StatusDetails) > 0 {
		fmt.Fprintf(w, "\nDevice Client Agent Deployment Status Details\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  #\tdevice\tplatform\tmethod\tcomponent\tfrom\tevent\tto\tfailure\thealth")
		for _, d := range r.StatusDetails {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Index, deviceName(d.ID), d.Platform.Token(), d.Method,
				d.Component, d.From, d.Event, d.To, d.Failure, d.Health)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nDevice Client Agent Deployment Success Report: %d of %d devices\n", r.Success.Count, r.Devices)
	printList(w, r.Success)
	fmt.Fprintf(w, "\nDevice Client Agent Deployment Failure Report: %d of %d devices\n", r.Failed(), r.Devices)
	for _, g := range r.Failure {
		fmt.Fprintf(w, "  %s: %d\n", g.Failure, g.Count)
		for _, d := range g.Devices {
			fmt.Fprintf(w, "    #%d %s: %s\n", d.Index, deviceName(d.ID), strings.ReplaceAll(d.Error, "\n", "; "))
		}
	}
	h := r.Health
	fmt.Fprintf(w, "\nDevice Client Agent Health Summary\n")
	for _, c := range lifecycle.Healths() {
		fmt.Fprintf(w, "  %-22s %d\n", c.String()+":", h.Count(c))
	}
	for _, l := range []struct {
		title string
		list  lifecycle.DeviceList
	}{
		{"Device Clients in Healthy condition", r.Healthy},
		{"Device Clients in unhealthy condition due to certificate issues", r.UnhealthyCertificate},
		{"Device Clients in unhealthy condition due to communication issues", r.UnhealthyCommunication},
		{"Device Clients in unhealthy condition due to local client issues", r.UnhealthyLocal},
	} {
		fmt.Fprintf(w, "\n%s: %d\n", l.title, l.list.Count)
		printList(w, l.list)
	}
}

func printList(w io.Writer, l lifecycle.DeviceList) {
	for _, d := range l.Devices {
		fmt.Fprintf(w, "  #%d %s\n", d.Index, deviceName(d.ID))
	}
}
