package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// compareJSON is the -compare -json output.
type compareJSON struct {
	Fleet         string
	Before, After side
	Comparison    fleet.Comparison
	Error         string
}

var compareCases = []struct {
	golden string
	args   []string
}{
	{"compare-ini", []string{"-compare", "sample/Enroll.ini"}},
	{"compare-package", []string{"-compare-package", "sp2=sample/hotfix.json", "-compare-site", "BRANCH=sample/branch.json"}},
}

// TestCompare runs the what-ifs of the sample and compares the output with
// the golden files, on one worker and several.
func TestCompare(t *testing.T) {
	for _, tc := range compareCases {
		for _, workers := range []string{"1", "2", "0"} {
			status, out, errOut := cli.Capture(run, false, append(tc.args, "-workers", workers)...)
			if status != 0 || errOut != "" {
				t.Fatalf("%v: status %d, stderr %q", tc.args, status, errOut)
			}
			cli.Golden(t, tc.golden+".golden", out, *update)
		}
		status, out, errOut := cli.Capture(run, false, append(tc.args, "-json")...)
		if status != 0 || errOut != "" {
			t.Fatalf("%v -json: status %d, stderr %q", tc.args, status, errOut)
		}
		cli.Golden(t, tc.golden+".json.golden", out, *update)
	}
}

// TestCompareMatchesTwoRuns: -compare OTHER.ini is the run with -ini and
// the run with -ini OTHER.ini, compared device by device by hand.
func TestCompareMatchesTwoRuns(t *testing.T) {
	var runs [2]sampleJSON
	for i, args := range [][]string{{"-json"}, {"-json", "-ini", "sample/Enroll.ini"}} {
		_, out, _ := cli.Capture(run, false, args...)
		if err := json.Unmarshal([]byte(out), &runs[i]); err != nil {
			t.Fatal(err)
		}
	}
	_, out, _ := cli.Capture(run, false, "-compare", "sample/Enroll.ini", "-json")
	var got compareJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	c := got.Comparison
	if diff := cmp.Diff(runs[0].Report, c.Before.Report); diff != "" {
		t.Errorf("before: report mismatch (-run +compare):\n%s", diff)
	}
	if diff := cmp.Diff(runs[1].Report, c.After.Report); diff != "" {
		t.Errorf("after: report mismatch (-run with -ini +compare):\n%s", diff)
	}
	changed := 0
	users := [2]int{}
	for i := range runs[0].Devices {
		var rs [2]fleet.Result
		for s := range 2 {
			o := runs[s].Devices[i].Outcome
			rs[s] = fleet.Result{From: o.From, Event: o.Event, Carried: o.Transitioned(), To: o.To, Failure: fleet.FailureOf(o),
				Health: fleet.HealthOf(o)}
			for _, w := range o.Overwritten {
				if w.UserChanged {
					users[s]++
				}
			}
		}
		if rs[0] == rs[1] {
			continue
		}
		changed++
		ref := fleet.DeviceRef{Index: i, ID: runs[0].Devices[i].Outcome.Device}
		found := false
		for _, g := range c.Changes {
			found = found || g.Before == rs[0] && g.After == rs[1] && slices.Contains(g.Devices, ref)
		}
		if !found {
			t.Errorf("device %d %s -> %s: in no change group", i, rs[0], rs[1])
		}
	}
	if changed == 0 || changed != c.Changed || users != [2]int{c.Before.UserSettings, c.After.UserSettings} {
		t.Errorf("%d devices changed, %d by the comparison; user-changed settings %v, by the comparison %d and %d",
			changed, c.Changed, users, c.Before.UserSettings, c.After.UserSettings)
	}
}

// TestCompareLarge: beyond the listing limit, or with -generate, the
// comparison gives counts only.
func TestCompareLarge(t *testing.T) {
	status, out, errOut := cli.Capture(run, false, "-compare", "sample/Enroll.ini", "-generate", "22000")
	if status != 0 || !strings.Contains(out, "devices change their decision") || !strings.Contains(out, "(counts only") ||
		strings.Contains(out, `#0 "`) {
		t.Errorf("status %d, stderr %q, output:\n%s", status, errOut, out)
	}
	m := regexp.MustCompile(`(\d+) of 22000 devices change`).FindStringSubmatch(out)
	if m == nil || m[1] != "6000" { // 6 of every 22
		t.Errorf("-generate 22000: %v changed", m)
	}
}

func TestCompareErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		want   string
	}{
		{"missing ini", []string{"-compare", filepath.Join(dir, "none.ini")}, 1, "no such file"},
		{"bad ini", []string{"-compare", cli.WriteTemp(t, "Bad.ini", "[S]\nCertEnrollAction=Enrol\n")}, 1, "Bad.ini:2"},
		{"missing package", []string{"-compare-package", "sp2=" + filepath.Join(dir, "none.json")}, 1, "no such file"},
		{"bad package", []string{"-compare-package", "sp2=" + cli.WriteTemp(t, "p.json", `{"version": "4.x"}`)}, 1, "p.json: lifecycle: invalid package.version: version: parsing"},
		{"bad site", []string{"-compare-site", "branch=" + cli.WriteTemp(t, "s.json", `{"clientAgent": true}`)}, 1, `s.json: a site needs a "mode"`},
		{"bad site mode", []string{"-compare-site", "branch=" + cli.WriteTemp(t, "m.json", `{"mode": "cloud"}`)}, 1,
			`m.json: lifecycle: invalid site.mode: certs: unknown SiteMode "cloud"`},
		{"unknown package", []string{"-compare-package", "sp3=sample/hotfix.json"}, 1, `no device of the fleet gets a package named "sp3"`},
		{"unknown site", []string{"-compare-site", "east=sample/branch.json"}, 1, `no device of the fleet is deployed from a site named "east"`},
		{"no name", []string{"-compare-package", "sample/hotfix.json"}, 2, "want NAME=FILE"},
		{"twice", []string{"-compare-site", "a=b", "-compare-site", "A=c"}, 2, `"A" given twice`},
		{"compare and diagram", []string{"-compare", "sample/Enroll.ini", "-diagram", "dot"}, 2, "cannot be combined"},
		{"diagram and json", []string{"-diagram", "dot", "-json"}, 2, "cannot be combined with -json"},
		{"machine alone", []string{"-machine", "chain"}, 2, "-machine needs -diagram"},
		{"bad format", []string{"-diagram", "svg"}, 2, "svg"},
		{"bad machine", []string{"-diagram", "dot", "-machine", "toaster"}, 2, "toaster"},
	} {
		status, out, errOut := cli.Capture(run, false, tc.args...)
		if status != tc.status || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: status %d, stderr %q; want %d and %q", tc.name, status, errOut, tc.status, tc.want)
		}
		if strings.HasPrefix(tc.name, "unknown") != (out != "") {
			t.Errorf("%s: output %q", tc.name, out)
		}
	}
}

// TestCompareEscapes: the names of the flags and of the fleet reach the
// output escaped.
func TestCompareEscapes(t *testing.T) {
	evil := "\x1b[2J\r\nFAKE\u202e"
	path := cli.WriteTemp(t, "x"+evil+".json", `{"version": "4.00.6487.2157"}`)
	for _, args := range [][]string{{"-compare-package", "sp2=" + path}, {"-compare-package", "nope" + evil + "=" + path}} {
		_, out, errOut := cli.Capture(run, false, args...)
		cli.CheckEscaped(t, fmt.Sprintf("%q stdout", args), out, false)
		cli.CheckEscaped(t, fmt.Sprintf("%q stderr", args), errOut, false)
	}
}

// TestCompareInterrupt: an interrupt stops a what-if that would take hours
// within a second, with the comparison of the devices read so far and
// status 1.
func TestCompareInterrupt(t *testing.T) {
	status, out, stderr := cli.Interrupted(t, "/1000000000", "-compare", "sample/Enroll.ini", "-generate", "1000000000")
	if status != 1 || !strings.Contains(out, "The run did not finish") || !strings.Contains(out, "on devices") ||
		!strings.Contains(stderr, "devices read before the interrupt") {
		t.Errorf("status %d, output %q, stderr %q", status, out, stderr)
	}
}

// TestCompareChange: -compare gives the other .ini to exactly the sample's
// packages without an .ini of their own.
func TestCompareChange(t *testing.T) {
	_, base, err := readSettings("")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := newChange(&compareFlags{ini: "sample/Enroll.ini"}, base)
	if err != nil {
		t.Fatal(err)
	}
	_, file, _ := openFleet("")
	defer file.Close()
	dec := fleet.NewDecoder(file, base)
	got := map[string]bool{}
	for e, err := range dec.Devices() {
		if err == nil {
			after := ch.apply(e)
			got[e.Package] = after.Deployment.Package.Settings.Enroll() && !e.Deployment.Package.Settings.Enroll()
		}
	}
	want := map[string]bool{"sp2": true, "password": true, "sp2-ppc-only": true, "sp2-enroll": false, "retire": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages given the other .ini (-want +got):\n%s", diff)
	}
}
