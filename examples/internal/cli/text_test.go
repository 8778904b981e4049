package cli_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
	"github.com/mobiledm/dmclient/version"
)

var cleanCases = []struct{ in, want string }{
	{"", ""},
	{"plain text", "plain text"},
	{`quotes " ' and \ stay`, `quotes " ' and \ stay`},
	{"héllo, 世界, \U0001F600", "héllo, 世界, \U0001F600"},
	{"\x1b[2J\r\nFAKE", `\x1b[2J\r\nFAKE`},
	{"tab\tbell\a\x00del\x7f", `tab\tbell\a\x00del\x7f`},
	{"evil\u202eoverride \u200b\ufeff", `evil\u202eoverride \u200b\ufeff`},
	{"C1 \u0085 \u009b", `C1 \u0085 \u009b`},
	{"line\u2028separator", `line\u2028separator`},
	{"not UTF-8: \xff\xfe", `not UTF-8: \xff\xfe`},
	{"\xff first", `\xff first`},
	{"a raw CSI byte \x9b[2J", `a raw CSI byte \x9b[2J`},
	{"cut \xe4\xb8", `cut \xe4\xb8`},
	{"replacement \uFFFD is printable", "replacement \uFFFD is printable"},
	{"surrogate \xed\xa0\x80", `surrogate \xed\xa0\x80`},
	{"private \U000F0000 use", `private \U000f0000 use`},
}

func TestClean(t *testing.T) {
	for _, tc := range cleanCases {
		if got := cli.Clean(tc.in); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzClean: Clean's result is printable UTF-8; it is s itself when s
// is; it is its own Clean; and, for s without backslashes, the escapes
// read back (as a Go string literal) as s.
func FuzzClean(f *testing.F) {
	for _, tc := range cleanCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := cli.Clean(s)
		if !utf8.ValidString(got) || strings.IndexFunc(got, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			t.Fatalf("Clean(%q) = %q: not printable UTF-8", s, got)
		}
		if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 && got != s {
			t.Fatalf("Clean(%q) = %q: changed printable text", s, got)
		}
		if again := cli.Clean(got); again != got {
			t.Fatalf("Clean(Clean(%q)) = %q, not %q", s, again, got)
		}
		if !strings.Contains(s, `\`) {
			back, err := strconv.Unquote(`"` + strings.ReplaceAll(got, `"`, `\"`) + `"`)
			if err != nil || back != s {
				t.Fatalf("Clean(%q) = %q reads back as %q, %v", s, got, back, err)
			}
		}
	})
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{"": "(none)", "ce-01": `"ce-01"`, "a\x1b\"b\xff": `"a\x1b\"b\xff"`, " ": `" "`} {
		if got := cli.Quote(in); got != want {
			t.Errorf("Quote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVersionAndStatus(t *testing.T) {
	if got := cli.Version(version.Version{}); got != "(none)" {
		t.Errorf("Version of the zero version = %q, want (none)", got)
	}
	v, err := version.Parse("4.0.6221.1000")
	if err != nil {
		t.Fatal(err)
	}
	if got := cli.Version(v); got != "4.0.6221.1000" {
		t.Errorf("Version(%v) = %q", v, got)
	}
	if got := cli.Status(nil); got != "(none)" {
		t.Errorf("Status(nil) = %q, want (none)", got)
	}
	m := &fleet.StatusRef{Index: 7, StatusMessage: lifecycle.StatusMessage{Device: "ce-01", HRESULT: certs.HRESULT(0x80070005), Text: "denied\r\n"}}
	want := fmt.Sprintf("#7 \"ce-01\": %s %s", m.HRESULT, cli.Clean("denied\r\n"))
	if got := cli.Status(m); got != want {
		t.Errorf("Status(%+v) = %q, want %q", m, got, want)
	}
}

func TestText(t *testing.T) {
	if got := cli.Text(lifecycle.Method(0)); got != "-" {
		t.Errorf("Text of the zero Method = %q, want -", got)
	}
	if got, want := cli.Text(lifecycle.SoftwareDistribution), lifecycle.SoftwareDistribution.String(); got != want || got == "-" {
		t.Errorf("Text(SoftwareDistribution) = %q, want %q", got, want)
	}
}

func TestStepsAndLog(t *testing.T) {
	if got, want := cli.Steps(nil), ""; got != want {
		t.Errorf("Steps(nil) = %q", got)
	}
	steps := []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.Done}
	if got, want := cli.Steps(steps), lifecycle.Staged.String()+" -> "+lifecycle.DMInstaller.String()+" -> "+lifecycle.Done.String(); got != want {
		t.Errorf("Steps = %q, want %q", got, want)
	}
	l := lifecycle.LogFile{Kind: lifecycle.DMInstallerLog, Time: time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC),
		Lines: []string{"DMInstaller started.", "evil\x1b[2J\r\nFAKE"}}
	if got, want := cli.Log(l), l.Name()+`: DMInstaller started. evil\x1b[2J\r\nFAKE`; got != want {
		t.Errorf("Log = %q, want %q", got, want)
	}
}

// TestPlatformAndNotes: a platform that is not valid is "-"; RunNotes
// writes nothing for a finished run with lists, and each note otherwise.
func TestPlatformAndNotes(t *testing.T) {
	if got := cli.Platform(0) + " " + cli.Platform(certs.WM6Professional); got != "- WM6Pro" {
		t.Errorf("Platform: %q", got)
	}
	var b strings.Builder
	cli.RunNotes(&b, nil, false)
	if b.String() != "" {
		t.Errorf("RunNotes(nil, false) = %q", b.String())
	}
	cli.RunNotes(&b, errors.New("stop\x1b[2J"), true)
	if got := b.String(); !strings.HasPrefix(got, "\nThe run did not finish: stop\\x1b[2J\n\nThe reports give counts only:") ||
		!strings.Contains(got, strconv.Itoa(cli.ListLimit)) {
		t.Errorf("RunNotes(err, true) = %q", got)
	}
}

func TestFailures(t *testing.T) {
	var b strings.Builder
	cli.Failures(&b, "  ", []fleet.FailureGroup{
		{Failure: fleet.FailureInput, Count: 2, Devices: []fleet.FailedDevice{{Index: 3, ID: "a\nb", Error: "bad\x1b"}, {Index: 9, ID: "c", Error: "worse"}}},
		{Failure: fleet.FailureCanceled, Count: 5},
	})
	want := "  invalid input: 2\n    #3 \"a\\nb\": bad\\x1b\n    #9 \"c\": worse\n  canceled: 5\n"
	if b.String() != want {
		t.Errorf("Failures wrote\n%q, want\n%q", b.String(), want)
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "waves", 1: "wave", 2: "waves", 12: "waves"} {
		if got := cli.Plural(n, "wave"); got != want {
			t.Errorf("Plural(%d, wave) = %q, want %q", n, got, want)
		}
	}
}
