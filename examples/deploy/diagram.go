package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"iter"

	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/diagram"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// diagramFlags are -diagram and -machine.
type diagramFlags struct {
	format     diagram.Format // the zero Format: no diagram
	machine    diagram.Machine
	machineSet bool
}

func addDiagramFlags(fs *flag.FlagSet) *diagramFlags {
	d := &diagramFlags{machine: diagram.Client}
	fs.Func("diagram", "write the `FORMAT` (dot or mermaid) diagram of a machine with the run's counts instead of the results",
		func(s string) error { return d.format.UnmarshalText([]byte(s)) })
	fs.Func("machine", "the `MACHINE` -diagram draws: client (default) or chain", func(s string) error {
		d.machineSet = true
		return d.machine.UnmarshalText([]byte(s))
	})
	return d
}

// set reports whether a diagram was asked for.
func (d *diagramFlags) set() bool { return d.format != 0 }

// modeError says why flags that choose what the command does cannot go
// together.
func modeError(cfg config) error {
	switch {
	case cfg.explain != "" && (cfg.diagram.set() || cfg.compare.set() || cfg.Generate > 0):
		return errors.New("-explain explains one device: it cannot be combined with -diagram, -compare or -generate")
	case cfg.diagram.set() && cfg.compare.set():
		return errors.New("-diagram draws one run: it cannot be combined with -compare, -compare-package or -compare-site")
	case cfg.diagram.set() && cfg.JSON:
		return errors.New("-diagram writes DOT or Mermaid: it cannot be combined with -json")
	case cfg.diagram.machineSet && !cfg.diagram.set():
		return errors.New("-machine needs -diagram")
	}
	return nil
}

// runMode runs the what-if (-compare) or the diagram (-diagram) when one
// was asked for, and returns the exit status; it returns -1 otherwise.
func runMode(ctx context.Context, cfg config, in input, stdout, stderr io.Writer) int {
	switch {
	case cfg.compare.set():
		return runCompare(ctx, cfg, in, stdout, stderr)
	case cfg.diagram.set():
		return runDiagram(ctx, cfg, in, stdout, stderr)
	}
	return -1
}

// fleetCounts runs the fleet and counts every outcome on the diagrams, as
// the runner hands the outcomes over; it returns the counts and the report.
func fleetCounts(ctx context.Context, cfg config, entries iter.Seq2[fleet.Entry, error], report fleet.ReportOptions) (*diagram.Counts, fleet.Report, error) {
	counts := &diagram.Counts{}
	r, err := fleet.Run(ctx, entries, fleet.Options{
		Workers:   cfg.Workers,
		Machine:   lifecycle.Options{Clock: cfg.clock},
		Report:    report,
		OnOutcome: func(_ int, _ fleet.Entry, o lifecycle.Outcome) { counts.Add(o) },
	})
	return counts, r, err
}

// runDiagram runs the fleet and writes the diagram of the machine of
// -machine with the run's counts; it returns the exit status.
func runDiagram(ctx context.Context, cfg config, in input, stdout, stderr io.Writer) int {
	counts, r, runErr := fleetCounts(ctx, cfg, in.entries, fleet.ReportOptions{})
	in.progress.End()
	fileErr := in.dec.Err()
	if fileErr != nil && r.Devices == 0 {
		return cli.Errors(stderr, "deploy", fileErr)
	}
	w := bufio.NewWriter(stdout)
	err := diagram.Write(w, cfg.diagram.machine, cfg.diagram.format, diagram.Options{Start: true, Counts: counts})
	if err == nil {
		err = w.Flush()
	}
	return cli.Errors(stderr, "deploy", fileErr, interrupted(runErr, r), err)
}
