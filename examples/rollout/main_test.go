package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain runs the command itself when ROLLOUT_MAIN is set, with stderr
// taken for a terminal, for the tests that signal it in a child process.
func TestMain(m *testing.M) {
	if os.Getenv("ROLLOUT_MAIN") == "1" {
		mainWith(true)
		return
	}
	os.Exit(m.Run())
}

func runCapture(t *testing.T, terminal bool, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	status = run(context.Background(), args, &out, &errOut, terminal)
	return status, out.String(), errOut.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

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
	status, out, errOut := runCapture(t, false, append(args, "-json")...)
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
		status, out, errOut := runCapture(t, false, "-workers", workers)
		if status != 0 || errOut != "" {
			t.Fatalf("status %d, stderr %q", status, errOut)
		}
		golden(t, "sample.golden", out)
		status, out, errOut = runCapture(t, false, "-workers", workers, "-json")
		if status != 0 || errOut != "" {
			t.Fatalf("-json: status %d, stderr %q", status, errOut)
		}
		golden(t, "sample.json.golden", out)
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
const goodDevice = `{"device": {"id": "ok-%", "platform": "CE", "security": "Standard", "connection": "direct"}, "deployment": {"method": "manual transfer"}}`
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
		status, out, errOut := runCapture(t, false, "-plan", writeTemp(t, "plan.json", tc.plan))
		if status != 1 || !strings.Contains(errOut, tc.want) || out != "" || !strings.HasPrefix(errOut, "rollout: ") {
			t.Errorf("%s: status %d, stdout %q, stderr %q; want 1 and %q", tc.name, status, out, errOut, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing plan", []string{"-plan", filepath.Join(t.TempDir(), "none.json")}, "no such file"},
		{"missing fleet", []string{"-fleet", filepath.Join(t.TempDir(), "none.json")}, "no such file"},
		{"bad fleet", []string{"-plan", writeTemp(t, "p.json", allPlan), "-fleet", writeTemp(t, "f.json", `{"sites": 3}`)}, "fleet: at offset"},
		{"bad ini", []string{"-ini", writeTemp(t, "ClientSettings.ini", "[S]\nClientInstallAction=Sometimes\n")}, "ClientInstallAction"},
		{"plan from /dev/zero", []string{"-plan", "/dev/zero"}, `fleet: at offset`},
		{"generate with no devices", []string{"-generate", "5", "-plan", writeTemp(t, "p.json", allPlan), "-fleet", writeTemp(t, "f.json", fleetHead+"]}")},
			"the fleet has no devices"},
	} {
		status, _, errOut := runCapture(t, false, tc.args...)
		if status != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: status %d, stderr %q; want 1 and %q", tc.name, status, errOut, tc.want)
		}
	}
}

// TestUsage: bad usage exits 2, help exits 0 and says what the command
// does.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-clock", "yesterday"}, {"-workers", "many"}, {"-generate", "-1"}, {"-frobnicate"}, {"extra"}} {
		if status, _, errOut := runCapture(t, false, args...); status != 2 || errOut == "" {
			t.Errorf("%v: status %d, stderr %q; want 2", args, status, errOut)
		}
	}
	status, out, errOut := runCapture(t, false, "-h")
	if status != 0 || out != "" || !strings.HasPrefix(errOut, "rollout runs a rollout plan") || !strings.Contains(errOut, "Exit status") {
		t.Errorf("-h: status %d, stdout %q, stderr %q", status, out, errOut)
	}
}

// TestEscapes: values from the plan and fleet files reach the output
// quoted or escaped: no control character but the newlines the command
// writes.
func TestEscapes(t *testing.T) {
	evil := `\u001b[2J\r\nFAKE: all devices healthy\u202e`
	fleetText := `{"sites": {"` + evil + `": {"mode": "mixed", "clientAgent": true, "managementPoint": true, "distributionPoint": true, "inventoryExtended": true}},
	  "packages": {"` + evil + `": {"version": "4.00.6487.2000"}},
	  "devices": [
	    {"device": {"id": "` + evil + `", "platform": "WM6Std", "security": "Restricted", "connection": "managed computer", "computer": "` + evil + `"},
	     "deployment": {"method": "software distribution"}},
	    {"device": {"id": "` + evil + `x", "platform": "` + evil + `", "security": "Restricted", "connection": "direct"},
	     "deployment": {"method": "manual sync"}}
	  ]}`
	planText := `{"packages": {"new` + evil + `": {"version": "4.00.6487.2157"}}, "waves": [
	    {"name": "` + evil + `", "target": {"all": true}},
	    {"name": "b` + evil + `", "target": {"ids": ["` + evil + `"], "computer": "` + evil + `"}, "deployment": {"package": "new` + evil + `"}}]}`
	fleetFile, planFile := writeTemp(t, "fleet.json", fleetText), writeTemp(t, "plan.json", planText)
	badPlan := writeTemp(t, "bad.json", `{"waves": [{"name": "`+evil+`", "target": {"share": 101}}]}`)
	for _, args := range [][]string{nil, {"-json"}, {"-generate", "30"}, {"-plan", badPlan}} {
		status, out, errOut := runCapture(t, false, append([]string{"-fleet", fleetFile, "-plan", planFile}, args...)...)
		if status != 0 && args[0] != "-plan" {
			t.Fatalf("%v: status %d, %s", args, status, errOut)
		}
		for _, s := range []string{out, errOut} {
			// JSON escapes the control characters and keeps the others.
			isJSON := len(args) > 0 && args[0] == "-json"
			if i := strings.IndexFunc(s, func(r rune) bool {
				return r != '\n' && (r < ' ' || r == 0x7f || r == 0x202e && !isJSON)
			}); i >= 0 {
				t.Errorf("%v: a control character in the output at %d: %q", args, i, s[max(0, i-40):min(len(s), i+40)])
			}
			if regexp.MustCompile(`(?m)^FAKE`).MatchString(s) {
				t.Errorf("%v: a line of the input reached the output as a line of its own", args)
			}
		}
	}
}

// TestGenerate: -generate N runs N devices through the plan, prints the
// counts, and shows a progress line on a terminal for a large fleet.
func TestGenerate(t *testing.T) {
	s := sampleRun(t)
	const n = 22 * 1000
	status, out, errOut := runCapture(t, true, "-generate", strconv.Itoa(n))
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
	_, out, errOut = runCapture(t, false, "-generate", strconv.Itoa(n), "-json")
	var counts sampleJSON
	if err := json.Unmarshal([]byte(out), &counts); err != nil || counts.Report.Devices != n || counts.Histories != nil {
		t.Errorf("-generate -json: %v, %+v", err, counts.Report)
	}
	if strings.Contains(errOut, "%") {
		t.Errorf("progress line without a terminal: %q", errOut)
	}
	if _, _, errOut = runCapture(t, true); errOut != "" {
		t.Errorf("progress line for a small fleet: %q", errOut)
	}
}

// output collects what a child process writes to its stdout or stderr.
// It is the command's writer, not a pipe read by the test: exec.Cmd.Wait
// returns only once everything written has been copied into it, where a
// pipe could be closed by Wait before the test read the last lines.
type output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// waitFor polls until o holds want, or fails the test after the deadline.
func (o *output) waitFor(t *testing.T, want string, deadline time.Duration) {
	t.Helper()
	stop := time.Now().Add(deadline)
	for !strings.Contains(o.String(), want) {
		if time.Now().After(stop) {
			t.Fatalf("no %q in %q", want, o.String())
		}
		time.Sleep(time.Millisecond)
	}
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// child starts the command in a child process, with stderr taken for a
// terminal, and returns it with its stderr and stdout collected, or, with
// pipe, its stdout as a pipe for the test to read (or not).
func child(t *testing.T, pipe bool, args ...string) (cmd *exec.Cmd, stdout io.Reader, out, errOut *output) {
	t.Helper()
	cmd = exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ROLLOUT_MAIN=1")
	out, errOut = &output{}, &output{}
	cmd.Stderr = errOut
	if pipe {
		var err error
		if stdout, err = cmd.StdoutPipe(); err != nil {
			t.Fatal(err)
		}
	} else {
		cmd.Stdout = out
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, stdout, out, errOut
}

// exitOf waits for cmd to end, at most deadline, and returns its status.
func exitOf(t *testing.T, cmd *exec.Cmd, deadline time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(deadline):
		t.Fatalf("the command still runs %v later", deadline)
	}
	return -1
}

// TestInterrupt: an interrupt stops a rollout that would take hours within
// a second, with the report of the devices read so far and status 1.
func TestInterrupt(t *testing.T) {
	cmd, _, out, stderr := child(t, false, "-generate", "1000000000")
	stderr.waitFor(t, " of 1000000000 (", 30*time.Second) // the progress line: it runs
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	stderr.waitFor(t, "interrupted: stopping", 10*time.Second)
	start := time.Now()
	status := exitOf(t, cmd, 10*time.Second)
	if took := time.Since(start); took > time.Second {
		t.Errorf("the command ended %v after the interrupt", took)
	}
	// The command has ended: its output is all there.
	m := regexp.MustCompile(`devices: \d+ of (\d+) ran`).FindStringSubmatch(out.String())
	if status != 1 || m == nil || m[1] == "1000000000" || !strings.Contains(stderr.String(), "the report covers the "+m[1]+" devices read") {
		t.Errorf("status %d, report %q, stderr %q", status, out, stderr)
	}
}

// TestSecondInterrupt: a second interrupt ends the command at once, even
// while it is stuck writing its output.
func TestSecondInterrupt(t *testing.T) {
	var b strings.Builder
	b.WriteString(fleetHead)
	for i := range 3000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(strings.Replace(goodDevice, "%", strconv.Itoa(i), 1))
	}
	b.WriteString("]}")
	cmd, stdout, _, stderr := child(t, true, "-json", "-fleet", writeTemp(t, "fleet.json", b.String()), "-plan", writeTemp(t, "plan.json", allPlan))
	// Read the start of the output, then stop reading: the command blocks
	// on its full pipe.
	if _, err := io.ReadFull(stdout, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "linux" {
		t.Skip("pipeFull tells a full pipe on Linux only")
	}
	for stop := time.Now().Add(30 * time.Second); !pipeFull(stdout.(*os.File)); time.Sleep(time.Millisecond) {
		if time.Now().After(stop) {
			t.Fatal("the command did not fill its output pipe in 30 s")
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	stderr.waitFor(t, "interrupted: stopping", 10*time.Second)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if status := exitOf(t, cmd, 10*time.Second); status != 1 || !strings.Contains(stderr.String(), "interrupted again: quitting") {
		t.Errorf("status %d after the second interrupt, stderr %q", status, stderr)
	}
}
