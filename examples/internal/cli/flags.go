package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"
)

// NewFlagSet returns the flag set of the command called name. It writes
// the errors of Parse and the usage to stderr: about (what the command
// does), the flags, and the exit statuses: 0 when success (as "every
// device was run"), 2 for bad usage, 1 otherwise.
func NewFlagSet(name, about, success string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nUsage: %s [flags]\n\nFlags:\n", about, name)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nExit status: 0 when %s, 2 for bad usage, 1 otherwise.\n", success)
	}
	return fs
}

// UsageError returns the exit status of a command whose command line
// could not be parsed with the error err: 0 for -h (flag.ErrHelp: the
// flag set has written the usage), and otherwise 2, once it has written
// err to w as [Errors] does.
func UsageError(w io.Writer, name string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	Errors(w, name, err)
	return 2
}

// Flags are the flags that the commands share, as parsed.
type Flags struct {
	// Fleet is -fleet: the fleet file, "" for the command's sample.
	Fleet string
	// Ini is -ini: the ClientSettings.ini of the packages without one of
	// their own, "" for the command's sample.
	Ini string
	// JSON is -json: the output is JSON instead of text.
	JSON bool
	// Workers is -workers: how many devices run at a time, 0 for as
	// many as there are cores.
	Workers int
	// Generate is -generate: how many devices [Devices] makes up from
	// the fleet's, 0 for the fleet's devices as they are.
	Generate int

	fs    *flag.FlagSet
	clock string
}

// AddFlags defines the flags that the commands share on fs, and returns
// the Flags that [Flags.Parse] fills in: -fleet, -ini, -generate, and
// -json, -workers and -clock, whose usages the command gives, as they
// mean something a little different to each command.
func AddFlags(fs *flag.FlagSet, jsonUsage, workersUsage, clockUsage string) *Flags {
	f := &Flags{fs: fs}
	fs.StringVar(&f.Fleet, "fleet", "", "read the fleet from `FILE` (JSON) instead of the embedded sample")
	fs.StringVar(&f.Ini, "ini", "", "use `FILE` as the ClientSettings.ini of packages without their own")
	fs.BoolVar(&f.JSON, "json", false, jsonUsage)
	fs.IntVar(&f.Workers, "workers", 0, workersUsage)
	fs.IntVar(&f.Generate, "generate", 0, "run `N` devices cycling through the fleet, print counts only")
	fs.StringVar(&f.clock, "clock", "2026-11-26T09:43:00Z", clockUsage)
	return f
}

// Parse parses args with the flag set of [AddFlags]. An argument that is
// not a flag is an error, as the commands take flags only, and so is a
// negative -generate.
func (f *Flags) Parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if f.fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %s", strconv.Quote(f.fs.Arg(0)))
	}
	if f.Generate < 0 {
		return errors.New("-generate must not be negative")
	}
	return nil
}

// Clock returns the clock that -clock names: time.Now for "now", and
// otherwise a clock stopped at its value, a time in RFC 3339 format (by
// default 2026-11-26T09:43:00Z, so that the output is reproducible).
func (f *Flags) Clock() (func() time.Time, error) {
	if f.clock == "now" {
		return time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, f.clock)
	if err != nil {
		return nil, fmt.Errorf("-clock: %w", err)
	}
	return func() time.Time { return t }, nil
}
