package cli_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/examples/internal/cli"
)

// TestMain runs prog in the child processes of the tests.
func TestMain(m *testing.M) { cli.TestMain(m, "prog", prog) }

// prog is the command of the tests, what it does chosen by its first
// argument:
//
//	echo ARGS...  writes its arguments to stdout and whether stderr is a
//	              terminal to stderr, and exits with status 3
//	wait          says "running" and waits for an interrupt, then writes
//	              why it stopped and exits with status 1
//	stuck         says "running", and once interrupted never ends, as a
//	              command stuck writing to a full pipe
func prog(ctx context.Context, args []string, stdout, stderr io.Writer, terminal bool) int {
	switch args[0] {
	case "echo":
		fmt.Fprintln(stdout, strings.Join(args[1:], " "))
		fmt.Fprintln(stderr, "terminal:", terminal)
		return 3
	case "wait":
		fmt.Fprintln(stderr, "running")
		<-ctx.Done()
		fmt.Fprintln(stdout, "stopped:", context.Cause(ctx))
		return 1
	case "stuck":
		fmt.Fprintln(stderr, "running")
		<-ctx.Done()
		for {
			time.Sleep(time.Hour)
		}
	}
	return 2
}

// TestMainRuns: Main runs the command with the command line's arguments,
// its stdout and stderr, stderr taken for a terminal as told, and exits
// with the command's status.
func TestMainRuns(t *testing.T) {
	c := cli.StartChild(t, "echo", "a", "b c")
	if status := c.Wait(t, 30*time.Second); status != 3 || c.Stdout.String() != "a b c\n" || c.Stderr.String() != "terminal: true\n" {
		t.Errorf("status %d, stdout %q, stderr %q", status, c.Stdout, c.Stderr)
	}
}

// TestInterrupt: the first interrupt cancels the command's context and
// says so; the command then ends as it will.
func TestInterrupt(t *testing.T) {
	status, out, errOut := cli.Interrupted(t, "running", "wait")
	if status != 1 || out != "stopped: context canceled\n" ||
		errOut != "running\n\nprog: interrupted: stopping; interrupt again to quit at once\n" {
		t.Errorf("status %d, stdout %q, stderr %q", status, out, errOut)
	}
}

// TestSecondInterrupt: a second interrupt ends the process at once with
// status 1, whatever the command does.
func TestSecondInterrupt(t *testing.T) {
	c := cli.StartChild(t, "stuck")
	c.Stderr.WaitFor(t, "running", 30*time.Second)
	c.Interrupt(t)
	c.Interrupt(t) // it says it is stopping already: this does not wait
	if status := c.Wait(t, 10*time.Second); status != 1 || !strings.HasSuffix(c.Stderr.String(), "\nprog: interrupted again: quitting\n") {
		t.Errorf("status %d, stderr %q", status, c.Stderr)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		errs   []error
		want   string
		status int
	}{
		{nil, "", 0},
		{[]error{nil, nil}, "", 0},
		{[]error{errors.New("bad")}, "prog: bad\n", 1},
		{[]error{nil, errors.New("one"), nil, errors.New("two\x1b[2J\nthree")}, "prog: one\nprog: two\\x1b[2J\\nthree\n", 1},
	} {
		var b strings.Builder
		if status := cli.Errors(&b, "prog", tc.errs...); status != tc.status || b.String() != tc.want {
			t.Errorf("Errors(%v): status %d, %q; want %d, %q", tc.errs, status, b.String(), tc.status, tc.want)
		}
	}
}
