// Package cli is the command-line plumbing that the example programs
// examples/deploy and examples/rollout share:
//
//   - running a command under a context that an interrupt cancels, a
//     second interrupt ending it at once ([Main], [IsTerminal]);
//   - the flags they share and the usage ([NewFlagSet], [AddFlags],
//     [Flags], [UsageError]);
//   - reading the input files ([Open], [ReadSettings]) and the devices to
//     run, with -generate's and a progress line ([Devices], [Progress]);
//   - writing the output and the errors ([Writer], [JSONList], [Errors]),
//     with the input's text escaped for the terminal ([Clean], [Quote],
//     [Text], [Steps], [Log]).
//
// For the commands' tests it runs a command in the test's process
// ([Capture]) or in a child process that the test interrupts
// ([TestMain], [Interrupted], [StartChild]), and checks the output
// ([Golden], [Fails], [CheckEscaped]). It does not import testing, so
// that the commands do not link it: the helpers take a [TB].
//
// It is internal to the examples: the library's packages do not use it.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// ListLimit is the largest fleet whose reports the commands list device
// by device: the reports of a larger fleet, or of one run with -generate,
// give counts only, so that memory stays flat whatever the fleet's size.
const ListLimit = 10_000

// A Program is a command: it runs with the command line's arguments (the
// command's name left out), writes its output to stdout and its messages
// to stderr, and returns the exit status. terminal says whether stderr is
// a terminal, where a progress line can be written.
type Program func(ctx context.Context, args []string, stdout, stderr io.Writer, terminal bool) int

// Main runs the command called name: run, with os.Args[1:], os.Stdout,
// os.Stderr and terminal, under a context that the first interrupt
// (Ctrl-C) cancels; then it exits with the status run returns.
//
// The first interrupt writes "\nNAME: interrupted: stopping; interrupt
// again to quit at once" to stderr and cancels the context, so that run
// can stop and say what it did so far; a second one writes "NAME:
// interrupted again: quitting" and ends the process at once with status
// 1, even while run is stuck writing its output.
func Main(name string, terminal bool, run Program) {
	ctx, cancel := context.WithCancel(context.Background())
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt)
	go func() {
		<-interrupts
		fmt.Fprintf(os.Stderr, "\n%s: interrupted: stopping; interrupt again to quit at once\n", name)
		cancel()
		<-interrupts
		fmt.Fprintf(os.Stderr, "%s: interrupted again: quitting\n", name)
		os.Exit(1)
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, terminal))
}

// IsTerminal reports whether f is a character device, such as a terminal.
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Errors writes each of errs that is not nil to w, a line each: the
// command's name, a colon, and the error's message escaped by [Clean]. It
// returns 1 when it wrote one and 0 otherwise: the exit status of a
// command that ends with errs.
func Errors(w io.Writer, name string, errs ...error) int {
	status := 0
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(w, name+":", Clean(err.Error()))
			status = 1
		}
	}
	return status
}
