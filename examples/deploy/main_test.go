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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain runs the command itself when DEPLOY_MAIN is set, with stderr
// taken for a terminal, for the tests that signal it in a child process.
func TestMain(m *testing.M) {
	if os.Getenv("DEPLOY_MAIN") == "1" {
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

// sampleJSON is the -json output of the sample.
type sampleJSON struct {
	Devices []struct {
		Index    int
		Package  string
		Site     string
		Decision *decision
		Outcome  lifecycle.Outcome
	}
	Report fleet.Report
}

// TestSample runs the embedded sample fleet and compares the output with
// the golden files, and checks that the sample covers what it promises:
// each of the product page's ten reports with an entry, and a device whose
// logs hold a failed enrollment.
func TestSample(t *testing.T) {
	var text string
	for _, workers := range []string{"1", "2", "0"} {
		status, out, errOut := runCapture(t, false, "-workers", workers)
		if status != 0 || errOut != "" {
			t.Fatalf("status %d, stderr %q", status, errOut)
		}
		golden(t, "sample.golden", out)
		text = out
	}
	status, out, errOut := runCapture(t, false, "-json")
	if status != 0 || errOut != "" {
		t.Fatalf("-json: status %d, stderr %q", status, errOut)
	}
	golden(t, "sample.json.golden", out)
	if !strings.Contains(out, `"hresult": "0x80070005"`) || strings.Contains(out, "2147942405") {
		t.Error("-json does not write the HRESULT as 0x80070005")
	}

	var s sampleJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	r := s.Report
	ten := map[string]int{
		"Software Distribution Status Report for DM client install program":             len(r.SoftwareDistribution),
		"Configuration Manager client computers reporting ActiveSync-connected devices": len(r.Computers),
		"Device Client Agent Deployment Status Details":                                 len(r.StatusDetails),
		"Device Client Agent Deployment Failure Report":                                 r.Failed(),
		"Device Client Agent Deployment Success Report":                                 r.Success.Count,
		"Device Client Agent Health Summary":                                            r.Devices,
		"Device Clients in Healthy condition":                                           r.Healthy.Count,
		"Device Clients in unhealthy condition due to certificate issues":               r.UnhealthyCertificate.Count,
		"Device Clients in unhealthy condition due to communication issues":             r.UnhealthyCommunication.Count,
		"Device Clients in unhealthy condition due to local client issues":              r.UnhealthyLocal.Count,
	}
	for title, n := range ten {
		if n == 0 || !strings.Contains(text, "\n"+title) {
			t.Errorf("report %q: %d entries in the sample, or missing from the text", title, n)
		}
	}
	managed, unmanaged, behind := false, false, 0
	for _, c := range r.Computers {
		managed, unmanaged = managed || c.Managed, unmanaged || !c.Managed
		if c.Devices.Count >= 2 {
			behind++
		}
	}
	if !managed || !unmanaged || behind < 3 {
		t.Errorf("the sample's computers: %+v", r.Computers)
	}
	status1 := false
	for _, p := range r.SoftwareDistribution {
		status1 = status1 || p.LastStatus != nil
	}
	failedEnrollment, enrolled, passwordSWD := false, false, false
	events, healths, failures := map[lifecycle.Event]bool{}, map[fleet.Health]bool{}, map[fleet.Failure]bool{}
	methods, platforms, states := map[lifecycle.Method]bool{}, map[certs.Platform]bool{}, map[lifecycle.State]bool{}
	for _, d := range s.Devices {
		o := d.Outcome
		for _, l := range o.Logs {
			if l.Kind == lifecycle.DMCertEnrollLog && strings.Contains(strings.Join(l.Lines, " "), "failed") {
				failedEnrollment = true
			}
		}
		enrolled = enrolled || o.Enrollment == certs.Enrolled
		passwordSWD = passwordSWD || o.Component == lifecycle.PasswordProgram && o.Method == lifecycle.SoftwareDistribution && o.Err == nil
		events[o.Event], healths[fleet.HealthOf(o)], failures[fleet.FailureOf(o)] = true, true, true
		methods[o.Method], states[o.From] = true, true
		platforms[o.Platform] = true
	}
	if !failedEnrollment || !enrolled || !passwordSWD || !status1 || len(platforms) != 8 || len(methods) != 5 || len(states) != 4 ||
		len(healths) != 5 || len(events) != 6 || len(failures) != 7 {
		t.Errorf("the sample covers %d platforms and %d methods (each with the invalid one), %d states, healths %v, events %v, failures %v; "+
			"failed enrollment %v, enrolled %v, password program by software distribution %v, a status message %v",
			len(platforms), len(methods), len(states), healths, events, failures, failedEnrollment, enrolled, passwordSWD, status1)
	}
}

// TestOutputTellsOneStory: the text never contradicts itself or the
// reports: a decision not carried out says so and why, "no action" is
// spelled out, no invalid value is printed, and every denied device says
// whether a status message was sent and why.
func TestOutputTellsOneStory(t *testing.T) {
	_, text, _ := runCapture(t, false)
	_, js, _ := runCapture(t, false, "-json")
	var s sampleJSON
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"noaction", "Method(", "Platform(", "Component(", "(0)"} {
		if strings.Contains(text, bad) {
			t.Errorf("the output holds %q", bad)
		}
	}
	blocks := strings.Split(text, "\n#")[1:]
	if len(blocks) != len(s.Devices) {
		t.Fatalf("%d device blocks, %d devices", len(blocks), len(s.Devices))
	}
	for i, d := range s.Devices {
		b, o := blocks[i], d.Outcome
		notCarried := d.Decision != nil && !d.Decision.Carried && d.Decision.Event != lifecycle.NoAction
		if notCarried != strings.Contains(b, "; not carried out: ") {
			t.Errorf("device %d: decision %+v, block:\n%s", i, d.Decision, b)
		}
		if d.Decision != nil && !strings.Contains(b, "decision: "+d.Decision.Event.String()+" (") {
			t.Errorf("device %d: the block does not show the decision %v", i, d.Decision.Event)
		}
		denied := fleet.FailureOf(o) == fleet.FailureAccessDenied || fleet.FailureOf(o) == fleet.FailureUntrusted
		switch {
		case o.Status != nil && !strings.Contains(b, "status:   sent through the managed ConfigMgr client computer"),
			denied && o.Status == nil && !strings.Contains(b, "status:   none sent: a status message is sent only through a managed ConfigMgr client computer"),
			!denied && strings.Contains(b, "status:"):
			t.Errorf("device %d: status %+v, block:\n%s", i, o.Status, b)
		}
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

const head = `{"sites": {"s": {"mode": "mixed", "clientAgent": true}}, "packages": {"p": {"version": "4.00.6487.2000"}}, "devices": [`
const good = `{"device": {"id": "ok-%", "platform": "CE", "security": "Standard", "connection": "direct"}, "deployment": {"method": "manual transfer"}}`

func entry(dev string) string {
	return `{"device": {` + dev + `}, "deployment": {"method": "manual transfer"}}`
}

func TestBadDevices(t *testing.T) {
	for _, tc := range []struct{ name, device, want string }{
		{"unknown platform", entry(`"id": "bad", "platform": "Foo", "security": "Standard", "connection": "direct"`),
			`fleet: device 1 "bad" at offset %d: device.platform: certs: unknown Platform "Foo"`},
		{"malformed version", entry(`"id": "bad", "platform": "CE", "client": "4.x", "security": "Standard", "connection": "direct"`),
			`fleet: device 1 "bad" at offset %d: device.client: version: parsing "4.x"`},
		{"missing member", entry(`"id": "bad", "platform": "CE", "connection": "direct"`),
			`fleet: device 1 "bad" at offset %d: device.security: missing`},
		{"missing id", entry(`"platform": "CE", "security": "Standard", "connection": "direct"`),
			`fleet: device 1 at offset %d: device.id: missing or empty`},
		{"duplicate id", entry(`"id": "ok-0", "platform": "CE", "security": "Standard", "connection": "direct"`),
			`fleet: device 1 "ok-0" at offset %d: device.id: the id of an earlier device too`},
	} {
		fleetFile := writeTemp(t, "fleet.json", head+strings.Replace(good, "%", "0", 1)+","+tc.device+","+strings.Replace(good, "%", "2", 1)+"]}")
		status, out, errOut := runCapture(t, false, "-fleet", fleetFile)
		if status != 0 || errOut != "" {
			t.Errorf("%s: status %d, stderr %q", tc.name, status, errOut)
		}
		tc.want = fmt.Sprintf(tc.want, len(head)+len(good)+1)
		if !strings.Contains(out, tc.want) || !strings.Contains(out, "#1 ") ||
			!strings.Contains(out, "Success Report: 2 of 3 devices") || !strings.Contains(out, "invalid input: 1") {
			t.Errorf("%s: output lacks %q or the two good devices:\n%s", tc.name, tc.want, out)
		}
	}
}

func TestBadFiles(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"not JSON", `fleet: [a, b]`, "deploy: fleet: at offset 0: invalid character"},
		{"broken device", head + strings.Replace(good, "%", "0", 1) + `, {"id": "x",, }]}`, "deploy: fleet: device 1 at offset"},
		{"bad site", `{"sites": {"s": {"mode": "cloud"}}}`, `deploy: fleet: at offset 16: sites["s"].mode: certs: unknown SiteMode "cloud"`},
		{"bad package ini", `{"packages": {"p": {"version": "4.0.1.2", "ini": "[S]\nCertEnrollAction=Enrol\n"}}}`,
			`deploy: fleet: at offset 19: packages["p"].ini: ini: ClientSettings.ini:2`},
	} {
		status, out, errOut := runCapture(t, false, "-fleet", writeTemp(t, "fleet.json", tc.text))
		if status != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: status %d, stderr %q; want 1 and %q", tc.name, status, errOut, tc.want)
		}
		if tc.name != "broken device" && out != "" {
			t.Errorf("%s: a report for a file that could not be read:\n%s", tc.name, out)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing fleet", []string{"-fleet", filepath.Join(t.TempDir(), "none.json")}, "no such file"},
		{"missing ini", []string{"-ini", filepath.Join(t.TempDir(), "none.ini")}, "no such file"},
		{"bad ini", []string{"-ini", writeTemp(t, "ClientSettings.ini", "[S]\nClientInstallAction=Sometimes\n")}, "ClientInstallAction"},
		{"ini from /dev/zero", []string{"-ini", "/dev/zero"}, "ini: file too large"},
		{"fleet from /dev/zero", []string{"-fleet", "/dev/zero"}, `invalid character '\x00'`},
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
	if status != 0 || out != "" || !strings.HasPrefix(errOut, "deploy decides and runs the mobile device client deployment") ||
		!strings.Contains(errOut, "Exit status") {
		t.Errorf("-h: status %d, stdout %q, stderr %q", status, out, errOut)
	}
}

// TestEscapes: values from the fleet file reach the output quoted or
// escaped: no control character but the newlines the command writes.
func TestEscapes(t *testing.T) {
	evil := `\u001b[2J\r\nFAKE: all devices healthy\u202e`
	text := `{"sites": {"` + evil + `": {"mode": "mixed", "clientAgent": true, "managementPoint": true, "distributionPoint": true, "inventoryExtended": true}},
	  "packages": {"` + evil + `": {"version": "4.00.6487.2000"}},
	  "devices": [
	    {"device": {"id": "` + evil + `", "platform": "WM6Std", "security": "Restricted", "connection": "managed computer", "computer": "` + evil + `",
	                "settings": [{"key": "` + evil + `", "value": "` + evil + `"}]},
	     "deployment": {"method": "software distribution"}},
	    {"device": {"id": "` + evil + `x", "platform": "` + evil + `", "security": "Restricted", "connection": "direct"},
	     "deployment": {"method": "manual sync"}},
	    {"device": {"id": "` + evil + `y", "platform": "CE", "security": "Restricted", "connection": "direct", "` + evil + `": 1},
	     "deployment": {"method": "manual sync"}}
	  ]}`
	for _, args := range [][]string{nil, {"-json"}, {"-generate", "30"}} {
		status, out, errOut := runCapture(t, false, append(args, "-fleet", writeTemp(t, "fleet.json", text))...)
		if status != 0 {
			t.Fatalf("%v: status %d, %s", args, status, errOut)
		}
		for _, s := range []string{out, errOut} {
			// JSON escapes the control characters and keeps the others.
			json := len(args) > 0 && args[0] == "-json"
			if i := strings.IndexFunc(s, func(r rune) bool {
				return r != '\n' && r != '\t' && (r < ' ' || r == 0x7f || r == 0x202e && !json)
			}); i >= 0 {
				t.Errorf("%v: a control character in the output at %d: %q", args, i, s[max(0, i-40):min(len(s), i+40)])
			}
			if regexp.MustCompile(`(?m)^FAKE`).MatchString(s) {
				t.Errorf("%v: a line of the input reached the output as a line of its own", args)
			}
		}
	}
}

func TestIniFlag(t *testing.T) {
	ini := writeTemp(t, "ClientSettings.ini", "[ClientSettings]\r\nClientInstallAction=Uninstall\r\n")
	status, out, _ := runCapture(t, false, "-ini", ini)
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	// Packages without an ini of their own now uninstall: ce-01 had an
	// older client.
	if !strings.Contains(out, `#2 "ce-01"`) || !strings.Contains(out, "decision: uninstall (state older") {
		t.Errorf("the -ini file did not drive the decisions:\n%s", out)
	}
}

func TestGenerate(t *testing.T) {
	_, js, _ := runCapture(t, false, "-json")
	var s sampleJSON
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		t.Fatal(err)
	}
	const n = 42000
	success := 0
	for i := range n {
		if s.Devices[i%len(s.Devices)].Outcome.Err == nil {
			success++
		}
	}
	status, out, errOut := runCapture(t, true, "-generate", strconv.Itoa(n))
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, errOut)
	}
	if want := fmt.Sprintf("Success Report: %d of %d devices", success, n); !strings.Contains(out, want) || strings.Contains(out, "#0 ") {
		t.Errorf("-generate %d output lacks %q:\n%s", n, want, out)
	}
	if !strings.Contains(errOut, "] 100% 42000/42000") || !strings.Contains(errOut, "42000 devices in") {
		t.Errorf("no progress bar on a terminal: %q", errOut)
	}
	_, out, errOut = runCapture(t, false, "-generate", strconv.Itoa(n), "-json")
	var counts struct{ Report fleet.Report }
	if err := json.Unmarshal([]byte(out), &counts); err != nil || counts.Report.Devices != n || counts.Report.Success.Count != success {
		t.Errorf("-generate -json: %v, %+v", err, counts.Report)
	}
	if strings.Contains(errOut, "%") {
		t.Errorf("progress bar without a terminal: %q", errOut)
	}
	_, _, errOut = runCapture(t, true)
	if errOut != "" {
		t.Errorf("progress bar for a small fleet: %q", errOut)
	}
}

// output collects what a child process writes to stdout or stderr. The
// command copies into it, and Wait waits for the copy: nothing written is
// lost when the process ends.
type output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// waitFor polls until o holds want, or fails the test after the deadline.
func (o *output) waitFor(t *testing.T, want string, deadline time.Duration) {
	t.Helper()
	stop := time.Now().Add(deadline)
	for !strings.Contains(o.String(), want) {
		if time.Now().After(stop) {
			t.Fatalf("no %q in %q after %v", want, o, deadline)
		}
		time.Sleep(time.Millisecond)
	}
}

// child starts the command in a child process, with stderr taken for a
// terminal, stdout to stdout (a pipe when nil), and returns it with the
// pipe and its stderr.
func child(t *testing.T, stdout io.Writer, args ...string) (*exec.Cmd, io.Reader, *output) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "DEPLOY_MAIN=1")
	stderr := &output{}
	cmd.Stderr, cmd.Stdout = stderr, stdout
	var pipe io.Reader
	if stdout == nil {
		var err error
		if pipe, err = cmd.StdoutPipe(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // exitOf reaps it
	return cmd, pipe, stderr
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

// TestInterrupt: an interrupt stops a run that would take hours within a
// second, with the report of the devices read so far and status 1.
func TestInterrupt(t *testing.T) {
	out := &output{}
	cmd, _, stderr := child(t, out, "-generate", "1000000000")
	stderr.waitFor(t, "/1000000000", 30*time.Second) // the progress bar: it runs
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	stderr.waitFor(t, "interrupted: stopping", 10*time.Second)
	start := time.Now()
	status := exitOf(t, cmd, 10*time.Second)
	if took := time.Since(start); took > time.Second {
		t.Errorf("the command ended %v after the interrupt", took)
	}
	m := regexp.MustCompile(`Success Report: \d+ of (\d+) devices`).FindStringSubmatch(out.String())
	if status != 1 || m == nil || m[1] == "1000000000" || !strings.Contains(stderr.String(), "the report covers the "+m[1]+" devices read") {
		t.Errorf("status %d, report %q, stderr %q", status, out, stderr)
	}
}

// TestSecondInterrupt: a second interrupt ends the command at once, even
// while it is stuck writing its output.
func TestSecondInterrupt(t *testing.T) {
	var b strings.Builder
	b.WriteString(head)
	for i := range 3000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(strings.Replace(good, "%", strconv.Itoa(i), 1))
	}
	b.WriteString("]}")
	cmd, stdout, stderr := child(t, nil, "-fleet", writeTemp(t, "fleet.json", b.String()))
	// Read the start of the output, then stop reading: the command blocks
	// on its full pipe.
	if _, err := io.ReadFull(stdout, make([]byte, 10)); err != nil {
		t.Fatal(err)
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
