// Command diagram writes a state diagram of the client machine or of the
// installer chain to standard output, in Graphviz DOT or Mermaid, drawn
// from the declared tables by diagram.Write.
//
// Usage:
//
//	go run ./examples/diagram [-format dot|mermaid] [-machine client|chain] [-start] [-highlight scenario.json]
//
// With no flags it writes the client machine in DOT. -start marks the start
// state. -highlight runs the scenario in the JSON file ("-" reads standard
// input) once, as lifecycle.Run does, and highlights the path its outcome
// took, failed or not. The file is a lifecycle.Scenario,
// {"device": ..., "deployment": ...}, read strictly: a device block copied
// from a fleet file is a device here. For example:
//
//	go run ./examples/diagram -machine chain -highlight examples/diagram/scenarios/denied.json | dot -Tsvg > denied.svg
//
// Bad flags exit with status 2, other errors with status 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/diagram"
)

// maxScenario bounds the scenario file read: a scenario is a few KiB (its
// device holds at most 1,024 settings of at most 4 KiB each).
const maxScenario = 8 << 20

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the program: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diagram", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		format  = diagram.DOT
		machine = diagram.Client
	)
	fs.TextVar(&format, "format", diagram.DOT, "diagram `format`: dot or mermaid")
	fs.TextVar(&machine, "machine", diagram.Client, "`machine` to draw: client or chain (the installer chain)")
	start := fs.Bool("start", false, "mark the start state")
	highlight := fs.String("highlight", "", "JSON `file` of a lifecycle.Scenario whose path to highlight (- for standard input)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "diagram writes the client machine or the installer chain as a DOT or Mermaid state diagram.")
		fmt.Fprintln(fs.Output(), "usage: diagram [-format dot|mermaid] [-machine client|chain] [-start] [-highlight scenario.json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "diagram: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	opts := diagram.Options{Start: *start}
	if *highlight != "" {
		out, err := outcome(ctx, *highlight, stdin)
		if err != nil {
			fmt.Fprintln(stderr, "diagram:", err)
			return 1
		}
		opts.Highlight = &out
	}
	if err := diagram.Write(stdout, machine, format, opts); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// outcome runs the scenario in the JSON file path ("-" for stdin) with a
// fixed clock and returns its outcome, failed or not: a failed run has a
// path too. A scenario that cannot run (invalid input) is an error.
func outcome(ctx context.Context, path string, stdin io.Reader) (lifecycle.Outcome, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return lifecycle.Outcome{}, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxScenario+1))
	if err != nil {
		return lifecycle.Outcome{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxScenario {
		return lifecycle.Outcome{}, fmt.Errorf("%s: larger than %d bytes", path, maxScenario)
	}
	var sc lifecycle.Scenario
	if err := json.Unmarshal(data, &sc); err != nil {
		return lifecycle.Outcome{}, fmt.Errorf("%s: %w", path, err)
	}
	clock := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	out, err := lifecycle.Run(ctx, sc, lifecycle.Options{Clock: clock})
	if errors.Is(err, lifecycle.ErrInvalidInput) {
		return lifecycle.Outcome{}, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
