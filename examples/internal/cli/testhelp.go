package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/mobiledm/dmclient/internal/golden"
)

// TB is the part of testing.TB that the helpers for the commands' tests
// use: a *testing.T is one. The package does not import testing, so that
// the commands do not link it.
type TB interface {
	golden.TB
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// childEnv is set in the environment of a child process that
// [StartChild] starts, for [TestMain] to run the command.
const childEnv = "DMCLIENT_CLI_CHILD"

// TestMain is the TestMain of a command's tests, m their *testing.M. In
// a child process that [StartChild] started, it runs the command called
// name through [Main], with stderr taken for a terminal, and the child's
// arguments as the command line; otherwise it runs the tests and exits
// with their status.
func TestMain(m interface{ Run() int }, name string, run Program) {
	if os.Getenv(childEnv) == "1" {
		Main(name, true, run)
		return
	}
	os.Exit(m.Run())
}

// Capture runs the command run with args, in the test's process, and
// returns its exit status and what it wrote to stdout and stderr;
// terminal says whether stderr is to be taken for a terminal.
func Capture(run Program, terminal bool, args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = run(context.Background(), args, &out, &errOut, terminal)
	return status, out.String(), errOut.String()
}

// Golden compares got with the golden file testdata/name, and fails the
// test where they differ; with update, it writes got to the file first.
// See [golden.Check].
func Golden(t TB, name, got string, update bool) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got, update)
}

// WriteTemp writes text to the file name in a directory of the test's
// own, and returns the file's path.
func WriteTemp(t TB, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A Case is a command line of a command's test that fails.
type Case struct {
	// Name names the case in the test's errors.
	Name string
	// Args is the command line.
	Args []string
	// Want is a part of the message the command writes to stderr.
	Want string
}

// Fails runs the command run with each case's command line, and fails
// the test unless the command exits with status and writes a message to
// stderr that holds the case's Want.
func Fails(t TB, run Program, status int, cases ...Case) {
	t.Helper()
	for _, c := range cases {
		got, _, errOut := Capture(run, false, c.Args...)
		if got != status || errOut == "" || !strings.Contains(errOut, c.Want) {
			t.Errorf("%s: status %d, stderr %q; want %d and %q", c.Name, got, errOut, status, c.Want)
		}
	}
}

// Hostile is a value for the input files of a test of escaping, as the
// contents of a JSON string: it clears the screen, starts a line of its
// own that fakes a report, and reverses the text after it.
const Hostile = `\u001b[2J\r\nFAKE: all devices healthy\u202e`

// HostileFleet is a fleet file whose every name holds [Hostile]: a site
// and a package, and three devices deployed from them, with ids Hostile,
// Hostile+"x" and Hostile+"y". The first is connected through a managed
// computer named Hostile, and its user changed a setting whose key and
// value are Hostile; the other two cannot be read: the second's platform
// is Hostile, the third has a member named Hostile.
const HostileFleet = `{"sites": {"` + Hostile + `": {"mode": "mixed", "clientAgent": true, "managementPoint": true, "distributionPoint": true, "inventoryExtended": true}},
  "packages": {"` + Hostile + `": {"version": "4.00.6487.2000"}},
  "devices": [
    {"device": {"id": "` + Hostile + `", "platform": "WM6Std", "security": "Restricted", "connection": "managed computer", "computer": "` + Hostile + `",
                "settings": [{"key": "` + Hostile + `", "value": "` + Hostile + `"}]},
     "deployment": {"method": "software distribution"}},
    {"device": {"id": "` + Hostile + `x", "platform": "` + Hostile + `", "security": "Restricted", "connection": "direct"},
     "deployment": {"method": "manual sync"}},
    {"device": {"id": "` + Hostile + `y", "platform": "CE", "security": "Restricted", "connection": "direct", "` + Hostile + `": 1},
     "deployment": {"method": "manual sync"}}
  ]}`

// CheckEscaped fails the test unless out, what a command wrote (to
// stdout or stderr) from input files holding [Hostile], is escaped: it
// holds no control character but newlines, no line of its own that
// starts with the input's FAKE, and no U+202E unless json (JSON escapes
// the control characters in its strings, and keeps the others). name
// names the output in the test's errors.
func CheckEscaped(t TB, name, out string, json bool) {
	t.Helper()
	if i := strings.IndexFunc(out, func(r rune) bool {
		return r != '\n' && (r < ' ' || r == 0x7f || r == 0x202e && !json)
	}); i >= 0 {
		t.Errorf("%s: a control character in the output at %d: %q", name, i, out[max(0, i-40):min(len(out), i+40)])
	}
	if strings.HasPrefix(out, "FAKE") || strings.Contains(out, "\nFAKE") {
		t.Errorf("%s: a line of the input reached the output as a line of its own", name)
	}
}
