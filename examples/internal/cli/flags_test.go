package cli_test

import (
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/examples/internal/cli"
)

// parse parses args with the shared flags of a command "prog" that has
// a flag -x of its own.
func parse(args ...string) (*cli.Flags, string, error) {
	var b strings.Builder
	fs := cli.NewFlagSet("prog", "prog does things.", "all went well", &b)
	fs.Bool("x", false, "a flag of prog's own")
	f := cli.AddFlags(fs, "print JSON", "run `N` at a time", "the `TIME`")
	err := f.Parse(args)
	return f, b.String(), err
}

func TestFlags(t *testing.T) {
	f, out, err := parse("-fleet", "f.json", "-ini", "c.ini", "-json", "-workers", "3", "-generate", "7", "-x")
	if err != nil || out != "" || f.Fleet != "f.json" || f.Ini != "c.ini" || !f.JSON || f.Workers != 3 || f.Generate != 7 {
		t.Errorf("%+v, %q, %v", *f, out, err)
	}
	f, _, err = parse()
	if err != nil || f.Fleet != "" || f.Ini != "" || f.JSON || f.Workers != 0 || f.Generate != 0 {
		t.Errorf("the defaults: %+v, %v", *f, err)
	}
	clock, err := f.Clock()
	if want := time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC); err != nil || !clock().Equal(want) || !clock().Equal(want) {
		t.Errorf("the default clock: %v, %v", clock(), err)
	}
	f, _, _ = parse("-clock", "2001-02-03T04:05:06+01:00")
	clock, err = f.Clock()
	if want := time.Date(2001, 2, 3, 3, 5, 6, 0, time.UTC); err != nil || !clock().Equal(want) {
		t.Errorf("-clock 2001-02-03T04:05:06+01:00: %v, %v", clock(), err)
	}
	f, _, _ = parse("-clock", "now")
	before := time.Now()
	clock, err = f.Clock()
	if now := clock(); err != nil || now.Before(before) || clock().Before(now) {
		t.Errorf("-clock now: %v (called at %v), %v", now, before, err)
	}
}

// TestBadUsage: a bad flag or argument is an error that UsageError makes
// status 2 of, a flag set's errors are written to stderr; -h writes the
// usage and is status 0.
func TestBadUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the error, or the flag set's output with a prefix
	}{
		{[]string{"-workers", "many"}, `invalid value "many" for flag -workers: parse error`},
		{[]string{"-frobnicate"}, "flag provided but not defined: -frobnicate"},
		{[]string{"-generate", "-1"}, "-generate must not be negative"},
		{[]string{"-x", "extra", "-json"}, `unexpected argument "extra"`},
		{[]string{"\x1b[2J"}, `unexpected argument "\x1b[2J"`},
	} {
		_, out, err := parse(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want %q", tc.args, err, tc.want)
			continue
		}
		var b strings.Builder
		if status := cli.UsageError(&b, "prog", err); status != 2 || !strings.HasPrefix(b.String(), "prog: ") ||
			strings.ContainsRune(b.String(), 0x1b) {
			t.Errorf("%q: UsageError: %d, %q", tc.args, status, b.String())
		}
		if strings.HasPrefix(tc.want, "invalid") || strings.HasPrefix(tc.want, "flag") {
			if !strings.HasPrefix(out, tc.want) || !strings.Contains(out, "Usage: prog [flags]") {
				t.Errorf("%q: the flag set wrote %q", tc.args, out)
			}
		}
	}
	f, _, _ := parse("-clock", "yesterday")
	if _, err := f.Clock(); err == nil || !strings.HasPrefix(err.Error(), `-clock: parsing time "yesterday"`) {
		t.Errorf("-clock yesterday: %v", err)
	}
	_, out, err := parse("-h")
	var b strings.Builder
	if !errors.Is(err, flag.ErrHelp) || cli.UsageError(&b, "prog", err) != 0 || b.Len() != 0 {
		t.Errorf("-h: %v, %q", err, b.String())
	}
	want := "prog does things.\n\nUsage: prog [flags]\n\nFlags:\n" +
		"  -clock TIME\n    \tthe TIME (default \"2026-11-26T09:43:00Z\")\n" +
		"  -fleet FILE\n    \tread the fleet from FILE (JSON) instead of the embedded sample\n" +
		"  -generate N\n    \trun N devices cycling through the fleet, print counts only\n" +
		"  -ini FILE\n    \tuse FILE as the ClientSettings.ini of packages without their own\n" +
		"  -json\n    \tprint JSON\n" +
		"  -workers N\n    \trun N at a time\n" +
		"  -x\ta flag of prog's own\n" +
		"\nExit status: 0 when all went well, 2 for bad usage, 1 otherwise.\n"
	if out != want {
		t.Errorf("-h wrote\n%s\nwant\n%s", out, want)
	}
}
