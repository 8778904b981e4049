package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/lifecycle"
)

// explainGolden are the sample's devices whose -explain output the golden
// file holds: one per kind of answer.
var explainGolden = []string{
	"wm5sp-locked",      // denied: one input away, three ways
	"wm5sp-branch",      // a missing prerequisite
	"wm6pro-offsite",    // enrollment failed after the install
	"ppc03-repair",      // a repair of nothing: not permitted
	"wm6pro-newer",      // no action: succeeds as it is
	"wm6classic-badpin", // the user's authentication fails
}

// TestExplainFlag: -explain ID prints the device's explanation and its
// nearest successful alternatives (golden file); with -json the same as
// JSON, for every device of the sample.
func TestExplainFlag(t *testing.T) {
	var b strings.Builder
	for _, id := range explainGolden {
		status, out, errOut := cli.Capture(run, false, "-explain", id)
		if status != 0 || errOut != "" {
			t.Fatalf("-explain %s: status %d, stderr %q", id, status, errOut)
		}
		if !strings.HasPrefix(out, `"`+id+`": `) {
			t.Errorf("-explain %s: the output does not start with the device:\n%s", id, out)
		}
		b.WriteString("$ deploy -explain " + id + "\n" + out)
	}
	cli.Golden(t, "explain.golden", b.String(), *update)

	_, js, _ := cli.Capture(run, false, "-json")
	var s sampleJSON
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		t.Fatal(err)
	}
	for _, d := range s.Devices {
		id := d.Outcome.Device
		if d.Decision == nil {
			continue // cannot be deployed as written: see TestExplainErrors
		}
		status, out, errOut := cli.Capture(run, false, "-explain", id, "-json")
		if status != 0 || errOut != "" {
			t.Fatalf("-explain %s -json: status %d, stderr %q", id, status, errOut)
		}
		var v explainJSON
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("-explain %s -json: %v\n%s", id, err, out)
		}
		e := v.Explanation
		if e.Device != id || e.Decision.Event != d.Outcome.Event || e.Decision.From != d.Outcome.From || e.Decision.To != d.Outcome.To {
			t.Errorf("-explain %s: explanation %+v, the run's outcome %+v", id, e.Decision, d.Outcome)
		}
		succeeded := d.Outcome.Err == nil && (d.Outcome.Event == lifecycle.NoAction || d.Outcome.Transitioned())
		if succeeded != (len(v.Alternatives) == 1 && len(v.Alternatives[0].Changes) == 0) {
			t.Errorf("-explain %s: succeeded %v, alternatives %+v", id, succeeded, v.Alternatives)
		}
		for _, a := range v.Alternatives {
			if len(a.Changes) != len(v.Alternatives[0].Changes) || len(a.Changes) > explainChanges {
				t.Errorf("-explain %s: alternatives %+v are not all nearest", id, v.Alternatives)
			}
		}
	}
}

// TestExplainErrors: an unknown id, or a device that cannot be deployed
// as written, is exit status 1 with a clear message, its id quoted.
func TestExplainErrors(t *testing.T) {
	for _, c := range []struct {
		id, stderr string
	}{
		{"no-such-device", `deploy: -explain: no device "no-such-device" in sample/fleet.json` + "\n"},
		{"\x1b[31mred", `deploy: -explain: no device "\x1b[31mred" in sample/fleet.json` + "\n"},
		{"wp7-01", `deploy: -explain: device "wp7-01" cannot be deployed as written: `},
	} {
		status, out, errOut := cli.Capture(run, false, "-explain", c.id)
		if status != 1 || out != "" || !strings.HasPrefix(errOut, c.stderr) || strings.Contains(errOut, "\x1b") {
			t.Errorf("-explain %q: status %d, stdout %q, stderr %q; want 1 and %q", c.id, status, out, errOut, c.stderr)
		}
	}
}
