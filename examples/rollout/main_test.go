package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain runs the command itself in the child processes of the tests
// that interrupt it.
func TestMain(m *testing.M) { cli.TestMain(m, "rollout", run) }

// sampleJSON is the -json output.
type sampleJSON struct {
	Histories []struct {
		Index  int
		ID     string
		Error  string
		Visits []struct {
			Wave    int
			Name    string
			Ran     bool
			Package string
			Site    string
			Outcome lifecycle.Outcome
		}
		Device *lifecycle.Device
	}
	Report fleet.PlanReport
	Error  string
}

func sampleRun(t *testing.T, args ...string) sampleJSON {
	t.Helper()
	status, out, errOut := cli.Capture(run, false, append(args, "-json")...)
	if status != 0 || errOut != "" {
		t.Fatalf("status %d, stderr %q", status, errOut)
	}
	var s sampleJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSample runs the embedded sample plan over the sample fleet and
// compares the output with the golden files, whatever the workers.
func TestSample(t *testing.T) {
	for _, workers := range []string{"1", "2", "0"} {
		status, out, errOut := cli.Capture(run, false, "-workers", workers)
		if status != 0 || errOut != "" {
			t.Fatalf("status %d, stderr %q", status, errOut)
		}
		cli.Golden(t, "sample.golden", out, *update)
		status, out, errOut = cli.Capture(run, false, "-workers", workers, "-json")
		if status != 0 || errOut != "" {
			t.Fatalf("-json: status %d, stderr %q", status, errOut)
		}
		cli.Golden(t, "sample.json.golden", out, *update)
	}
}

// TestSampleStory: the sample plan is what the package documentation
// says: a 10% pilot, the rest, a newer package a month later, a settings
// change to native mode with enrollment, an uninstall of a retired group,
// a repair of damaged clients; and it tells that story on the sample
// fleet: devices the pilot or the rest installed are upgraded by the newer
// package, native mode enrolls, the retired group is uninstalled, the
// repair repairs.
func TestSampleStory(t *testing.T) {
	data, err := sample.ReadFile("sample/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := fleet.ReadPlan(bytes.NewReader(data), sampleSettings(t))
	if err != nil {
		t.Fatal(err)
	}
	w := plan.Waves
	r3 := plan.Packages["r3"].Version
	native := plan.Packages["r3-native"].Settings
	if len(w) != 6 ||
		w[0].Target.Share == nil || *w[0].Target.Share != (fleet.Share{To: 10}) ||
		w[1].Target.Share == nil || *w[1].Target.Share != (fleet.Share{From: 10, To: 100}) ||
		w[2].After != 30*24*time.Hour || w[2].Package != "r3" || !w[2].Target.All || r3.Compare(plan.Packages["r3"].Version) != 0 ||
		w[3].Site != "native" || native.CertEnrollAction != "Enroll" ||
		w[4].Package != "retire" || len(w[4].Target.Platforms) != 2 ||
		!w[5].Repair || len(w[5].Target.IDs) == 0 {
		t.Fatalf("the sample plan is not the one documented: %+v", w)
	}
	s := sampleRun(t)
	seen := map[string]bool{}
	for _, h := range s.Histories {
		var installedBy string
		for _, v := range h.Visits {
			o := v.Outcome
			switch {
			case o.Err != nil:
			case o.Event == lifecycle.Install || o.Event == lifecycle.Upgrade && v.Wave < 2:
				installedBy = v.Name
			case o.Event == lifecycle.Upgrade && v.Wave == 2 && installedBy != "":
				seen["upgraded what "+installedBy+" installed"] = true
			case v.Wave == 3 && o.Enrollment == certs.Enrolled:
				seen["enrolled in native mode"] = true
			case v.Wave == 4 && o.Event == lifecycle.Uninstall:
				seen["retired"] = true
			case v.Wave == 5 && o.Event == lifecycle.Repair:
				seen["repaired"] = true
			}
		}
	}
	for _, want := range []string{"upgraded what pilot installed", "upgraded what the rest installed", "enrolled in native mode", "retired", "repaired"} {
		if !seen[want] {
			t.Errorf("no device %s: %v", want, seen)
		}
	}
	// Every device is counted once in every wave; the reports list them.
	for _, wr := range s.Report.Waves {
		if wr.Ran+wr.NotRun+wr.NotTargeted != s.Report.Devices || len(wr.Report.StatusDetails) != wr.Ran+wr.NotRun {
			t.Errorf("wave %q: %+v", wr.Name, wr)
		}
	}
}

func sampleSettings(t *testing.T) ini.Settings {
	t.Helper()
	_, s, err := readSettings("")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSampleFleetIsDeploys: the embedded fleet is examples/deploy's
// sample, so that the two programs tell of the same fleet.
func TestSampleFleetIsDeploys(t *testing.T) {
	for _, name := range []string{"fleet.json", "ClientSettings.ini"} {
		theirs, err := os.ReadFile(filepath.Join("..", "deploy", "sample", name))
		if err != nil {
			t.Fatal(err)
		}
		ours, err := sample.ReadFile("sample/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("sample/%s differs from ../deploy/sample/%s: copy it again", name, name)
		}
	}
}

const fleetHead = `{"sites": {"s": {"mode": "mixed", "clientAgent": true}}, "packages": {"p": {"version": "4.00.6487.2000"}}, "devices": [`
const allPlan = `{"waves": [{"name": "all", "target": {"all": true}}]}`

// TestBadPlans: a plan that cannot run stops the command before anything
// runs, with an error naming the wave and the member, and status 1.
func TestBadPlans(t *testing.T) {
	for _, tc := range []struct{ name, plan, want string }{
		{"empty plan", `{"waves": []}`, "waves: an empty plan"},
		{"share", `{"waves": [{"name": "pilot", "target": {"share": 150}}]}`, `waves["pilot"].target.share: a share outside 0-100%`},
		{"unknown field", `{"waves": [{"name": "pilot", "target": {"all": true}, "deployment": {"pkg": "x"}}]}`, `waves["pilot"].deployment.pkg: unknown member`},
		{"unknown package", `{"waves": [{"name": "pilot", "target": {"all": true}, "deployment": {"package": "sp9"}}]}`,
			`waves["pilot"].deployment.package: no package "sp9" in the plan or the fleet file`},
		{"unknown site", `{"waves": [{"name": "pilot", "target": {"all": true}, "deployment": {"site": "mars"}}]}`,
			`waves["pilot"].deployment.site: no site "mars" in the plan or the fleet file`},
	} {
		status, out, errOut := cli.Capture(run, false, "-plan", cli.WriteTemp(t, "plan.json", tc.plan))
		if status != 1 || !strings.Contains(errOut, tc.want) || out != "" || !strings.HasPrefix(errOut, "rollout: ") {
			t.Errorf("%s: status %d, stdout %q, stderr %q; want 1 and %q", tc.name, status, out, errOut, tc.want)
		}
	}
	plan := cli.WriteTemp(t, "p.json", allPlan)
	cli.Fails(t, run, 1,
		cli.Case{Name: "missing plan", Args: []string{"-plan", filepath.Join(t.TempDir(), "none.json")}, Want: "no such file"},
		cli.Case{Name: "missing fleet", Args: []string{"-fleet", filepath.Join(t.TempDir(), "none.json")}, Want: "no such file"},
		cli.Case{Name: "bad fleet", Args: []string{"-plan", plan, "-fleet", cli.WriteTemp(t, "f.json", `{"sites": 3}`)}, Want: "fleet: at offset"},
		cli.Case{Name: "bad ini", Args: []string{"-ini", cli.WriteTemp(t, "ClientSettings.ini", "[S]\nClientInstallAction=Sometimes\n")},
			Want: "ClientInstallAction"},
		cli.Case{Name: "plan from /dev/zero", Args: []string{"-plan", "/dev/zero"}, Want: `fleet: at offset`},
		cli.Case{Name: "generate with no devices", Args: []string{"-generate", "5", "-plan", plan, "-fleet", cli.WriteTemp(t, "f.json", fleetHead+"]}")},
			Want: "the fleet has no devices"})
}

// TestUsage: bad usage exits 2, help exits 0 and says what the command
// does. (The bad values of the flags that the commands share are cli's
// tests.)
func TestUsage(t *testing.T) {
	cli.Fails(t, run, 2,
		cli.Case{Name: "unknown flag", Args: []string{"-frobnicate"}, Want: "flag provided but not defined: -frobnicate"},
		cli.Case{Name: "bad clock", Args: []string{"-clock", "yesterday"}, Want: "rollout: -clock: "})
	status, out, errOut := cli.Capture(run, false, "-h")
	if status != 0 || out != "" || !strings.HasPrefix(errOut, "rollout runs a rollout plan") || !strings.Contains(errOut, "Exit status") {
		t.Errorf("-h: status %d, stdout %q, stderr %q", status, out, errOut)
	}
}

// TestEscapes: values from the plan and fleet files reach the output
// quoted or escaped: no control character but the newlines the command
// writes.
func TestEscapes(t *testing.T) {
	evil := cli.Hostile
	planText := `{"packages": {"new` + evil + `": {"version": "4.00.6487.2157"}}, "waves": [
	    {"name": "` + evil + `", "target": {"all": true}},
	    {"name": "b` + evil + `", "target": {"ids": ["` + evil + `"], "computer": "` + evil + `"}, "deployment": {"package": "new` + evil + `"}}]}`
	fleetFile, planFile := cli.WriteTemp(t, "fleet.json", cli.HostileFleet), cli.WriteTemp(t, "plan.json", planText)
	badPlan := cli.WriteTemp(t, "bad.json", `{"waves": [{"name": "`+evil+`", "target": {"share": 101}}]}`)
	for _, args := range [][]string{nil, {"-json"}, {"-generate", "30"}, {"-plan", badPlan}} {
		status, out, errOut := cli.Capture(run, false, append([]string{"-fleet", fleetFile, "-plan", planFile}, args...)...)
		if status != 0 && args[0] != "-plan" {
			t.Fatalf("%v: status %d, %s", args, status, errOut)
		}
		json := len(args) > 0 && args[0] == "-json"
		cli.CheckEscaped(t, fmt.Sprint(args, " stdout"), out, json)
		cli.CheckEscaped(t, fmt.Sprint(args, " stderr"), errOut, json)
	}
}

// TestGenerate: -generate N runs N devices through the plan, prints the
// counts, and shows a progress line on a terminal for a large fleet.
func TestGenerate(t *testing.T) {
	s := sampleRun(t)
	const n = 22 * 1000
	status, out, errOut := cli.Capture(run, true, "-generate", strconv.Itoa(n))
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, errOut)
	}
	// The ids change, and so the shares: the counts of the waves that
	// target by platform or by id do not.
	retire := s.Report.Waves[4]
	want := fmt.Sprintf("devices: %d of %d ran, 0 not run, %d not targeted", retire.Ran*1000, n, retire.NotTargeted*1000)
	if !strings.Contains(out, want) || strings.Contains(out, "#0 ") && !strings.Contains(out, "Histories of a few devices") {
		t.Errorf("-generate %d output lacks %q:\n%s", n, want, out)
	}
	if !strings.Contains(out, "The reports give counts only") || !strings.Contains(errOut, "devices: 22000 of 22000 (100%)") ||
		!strings.Contains(errOut, "22000 devices, 132000 device-waves in") {
		t.Errorf("no progress line or no counts: %q\n%s", errOut, out)
	}
	_, out, errOut = cli.Capture(run, false, "-generate", strconv.Itoa(n), "-json")
	var counts sampleJSON
	if err := json.Unmarshal([]byte(out), &counts); err != nil || counts.Report.Devices != n || counts.Histories != nil {
		t.Errorf("-generate -json: %v, %+v", err, counts.Report)
	}
	if strings.Contains(errOut, "%") {
		t.Errorf("progress line without a terminal: %q", errOut)
	}
	if _, _, errOut = cli.Capture(run, true); errOut != "" {
		t.Errorf("progress line for a small fleet: %q", errOut)
	}
}

// TestInterrupt: an interrupt stops a rollout that would take hours within
// a second, with the report of the devices read so far and status 1.
func TestInterrupt(t *testing.T) {
	status, out, stderr := cli.Interrupted(t, " of 1000000000 (", "-generate", "1000000000") // once the progress line shows
	m := regexp.MustCompile(`devices: \d+ of (\d+) ran`).FindStringSubmatch(out)
	if status != 1 || m == nil || m[1] == "1000000000" || !strings.Contains(stderr, "the report covers the "+m[1]+" devices read") {
		t.Errorf("status %d, report %q, stderr %q", status, out, stderr)
	}
}

// TestCountsOnlyNote: the note that the reports give counts only is
// printed whenever they do, also when the first wave targets no device.
func TestCountsOnlyNote(t *testing.T) {
	plan := cli.WriteTemp(t, "plan.json", `{"waves": [{"name": "nobody", "target": {"ids": ["no such device"]}},
	    {"name": "all", "target": {"all": true}}]}`)
	status, out, errOut := cli.Capture(run, false, "-plan", plan, "-generate", "30")
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, errOut)
	}
	if !strings.Contains(out, "The reports give counts only") {
		t.Errorf("-generate 30, no note that the reports give counts only:\n%s", out)
	}
}
