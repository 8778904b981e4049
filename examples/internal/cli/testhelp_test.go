package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// recorder is a cli.TB that keeps the errors the helpers report, for
// the tests of the helpers.
type recorder struct {
	*testing.T
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestCapture(t *testing.T) {
	status, out, errOut := cli.Capture(prog, false, "echo", "x")
	if status != 3 || out != "x\n" || errOut != "terminal: false\n" {
		t.Errorf("status %d, stdout %q, stderr %q", status, out, errOut)
	}
}

// TestGolden: Golden checks the file of that name in testdata; what a
// mismatch says is golden.Check's, tested there.
func TestGolden(t *testing.T) {
	t.Chdir(t.TempDir())
	r := &recorder{T: t}
	cli.Golden(r, "a.golden", "one\ntwo\n", true)
	if data, err := os.ReadFile("testdata/a.golden"); err != nil || string(data) != "one\ntwo\n" || r.errs != nil {
		t.Fatalf("-update wrote %q, %v; errors %q", data, err, r.errs)
	}
	cli.Golden(r, "a.golden", "one\ntwo\n", false)
	if r.errs != nil {
		t.Fatalf("a match failed: %q", r.errs)
	}
	cli.Golden(r, "a.golden", "one\nTWO\n", false)
	if len(r.errs) != 1 || !strings.HasPrefix(r.errs[0], "testdata/a.golden mismatch") {
		t.Errorf("a mismatch: errors %q, want one naming testdata/a.golden", r.errs)
	}
}

func TestFails(t *testing.T) {
	r := &recorder{T: t}
	cli.Fails(r, prog, 3, cli.Case{Name: "ok", Args: []string{"echo"}, Want: "terminal"},
		cli.Case{Name: "other message", Args: []string{"echo"}, Want: "nope"},
		cli.Case{Name: "other status", Args: []string{"unknown"}})
	if len(r.errs) != 2 || !strings.HasPrefix(r.errs[0], "other message: status 3") || !strings.HasPrefix(r.errs[1], "other status: status 2") {
		t.Errorf("errors: %q", r.errs)
	}
}

// TestHostileFleet: the fleet is what its doc says.
func TestHostileFleet(t *testing.T) {
	var hostile string
	if err := json.Unmarshal([]byte(`"`+cli.Hostile+`"`), &hostile); err != nil {
		t.Fatal(err)
	}
	dec := fleet.NewDecoder(strings.NewReader(cli.HostileFleet), ini.Settings{})
	var got []string
	for e, err := range dec.Devices() {
		got = append(got, fmt.Sprintf("%q %v", e.Device.ID, err != nil))
	}
	want := []string{fmt.Sprintf("%q false", hostile), fmt.Sprintf("%q true", hostile+"x"), fmt.Sprintf("%q true", hostile+"y")}
	if dec.Err() != nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("devices (id, could not be read):\n%s\nwant\n%s\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"), dec.Err())
	}
}

func TestCheckEscaped(t *testing.T) {
	for _, tc := range []struct {
		out  string
		json bool
		errs int
	}{
		{"a\nb \\x1b[2J\\r\\nFAKE\\u202e\n", false, 0},
		{"a\x1b[2J", false, 1},
		{"a\tb", false, 1},
		{"a\u202e", false, 1},
		{"a\u202e", true, 0},
		{"report\nFAKE: all devices healthy\n", true, 1},
		{"FAKE\r", false, 2},
	} {
		r := &recorder{T: t}
		cli.CheckEscaped(r, "out", tc.out, tc.json)
		if len(r.errs) != tc.errs {
			t.Errorf("%q (json %v): errors %q", tc.out, tc.json, r.errs)
		}
	}
}
