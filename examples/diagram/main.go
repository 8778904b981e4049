// Command diagram writes a state diagram of the client machine or of the
// installer chain to standard output, in Graphviz DOT or Mermaid, drawn
// from the declared tables by lifecycle.WriteDiagram.
//
// Usage:
//
//	go run ./examples/diagram [-format dot|mermaid] [-machine client|installer] [-start] [-highlight scenario.json]
//
// With no flags it writes the client machine in DOT. -start marks the start
// state. -highlight runs the scenario in the JSON file (a lifecycle.Scenario;
// "-" reads standard input) through a lifecycle.Machine and highlights the
// path its outcome took. For example:
//
//	go run ./examples/diagram -machine installer -highlight examples/diagram/scenarios/denied.json | dot -Tsvg > denied.svg
//
// Bad flags exit with status 2, other errors with status 1.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mobiledm/dmclient/lifecycle"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the program: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diagram", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format, machine := lifecycle.DOT, lifecycle.ClientMachine
	fs.TextVar(&format, "format", lifecycle.DOT, "diagram format: dot or mermaid")
	fs.TextVar(&machine, "machine", lifecycle.ClientMachine, "machine to draw: client or installer")
	start := fs.Bool("start", false, "mark the start state")
	highlight := fs.String("highlight", "", "JSON `file` of a lifecycle.Scenario whose path to highlight (- for standard input)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: diagram [-format dot|mermaid] [-machine client|installer] [-start] [-highlight scenario.json]")
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
	opts := lifecycle.DiagramOptions{Start: *start}
	if *highlight != "" {
		out, err := outcome(ctx, *highlight, stdin)
		if err != nil {
			fmt.Fprintln(stderr, "diagram:", err)
			return 1
		}
		opts.Highlight = &out
	}
	if err := lifecycle.WriteDiagram(stdout, machine, format, opts); err != nil {
		fmt.Fprintln(stderr, "diagram:", err)
		return 1
	}
	return 0
}

// outcome runs the scenario in the JSON file path ("-" for stdin) on a new
// machine with a fixed clock and returns its outcome, failed or not: a
// failed run has a path too.
func outcome(ctx context.Context, path string, stdin io.Reader) (lifecycle.Outcome, error) {
	var (
		data []byte
		err  error
	)
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return lifecycle.Outcome{}, err
	}
	var sc lifecycle.Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return lifecycle.Outcome{}, fmt.Errorf("%s: %w", path, err)
	}
	clock := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	m, err := lifecycle.NewMachine(lifecycle.None, lifecycle.WithClock(clock))
	if err != nil {
		return lifecycle.Outcome{}, err
	}
	out, _ := m.Deploy(ctx, sc)
	if out.Failure == lifecycle.FailureInput {
		return lifecycle.Outcome{}, fmt.Errorf("%s: %w", path, out.Err)
	}
	return out, nil
}
