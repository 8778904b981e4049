package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain runs the command itself in the child processes of the tests
// that interrupt it.
func TestMain(m *testing.M) { cli.TestMain(m, "deploy", run) }

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
		status, out, errOut := cli.Capture(run, false, "-workers", workers)
		if status != 0 || errOut != "" {
			t.Fatalf("status %d, stderr %q", status, errOut)
		}
		cli.Golden(t, "sample.golden", out, *update)
		text = out
	}
	status, out, errOut := cli.Capture(run, false, "-json")
	if status != 0 || errOut != "" {
		t.Fatalf("-json: status %d, stderr %q", status, errOut)
	}
	cli.Golden(t, "sample.json.golden", out, *update)
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
	_, text, _ := cli.Capture(run, false)
	_, js, _ := cli.Capture(run, false, "-json")
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
		fleetFile := cli.WriteTemp(t, "fleet.json", head+strings.Replace(good, "%", "0", 1)+","+tc.device+","+strings.Replace(good, "%", "2", 1)+"]}")
		status, out, errOut := cli.Capture(run, false, "-fleet", fleetFile)
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
		status, out, errOut := cli.Capture(run, false, "-fleet", cli.WriteTemp(t, "fleet.json", tc.text))
		if status != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: status %d, stderr %q; want 1 and %q", tc.name, status, errOut, tc.want)
		}
		if tc.name != "broken device" && out != "" {
			t.Errorf("%s: a report for a file that could not be read:\n%s", tc.name, out)
		}
	}
	cli.Fails(t, run, 1,
		cli.Case{Name: "missing fleet", Args: []string{"-fleet", filepath.Join(t.TempDir(), "none.json")}, Want: "no such file"},
		cli.Case{Name: "missing ini", Args: []string{"-ini", filepath.Join(t.TempDir(), "none.ini")}, Want: "no such file"},
		cli.Case{Name: "bad ini", Args: []string{"-ini", cli.WriteTemp(t, "ClientSettings.ini", "[S]\nClientInstallAction=Sometimes\n")},
			Want: "ClientInstallAction"},
		cli.Case{Name: "ini from /dev/zero", Args: []string{"-ini", "/dev/zero"}, Want: "ini: file too large"},
		cli.Case{Name: "fleet from /dev/zero", Args: []string{"-fleet", "/dev/zero"}, Want: `invalid character '\x00'`},
		cli.Case{Name: "not UTF-8", Args: []string{"-fleet", "none\xff\x9b.json"}, Want: `deploy: open none\xff\x9b.json: no such file`})
}

// TestUsage: bad usage exits 2, help exits 0 and says what the command
// does. (The bad values of the flags that the commands share are cli's
// tests.)
func TestUsage(t *testing.T) {
	cli.Fails(t, run, 2,
		cli.Case{Name: "unknown flag", Args: []string{"-frobnicate"}, Want: "flag provided but not defined: -frobnicate"},
		cli.Case{Name: "bad clock", Args: []string{"-clock", "yesterday"}, Want: "deploy: -clock: "},
		cli.Case{Name: "explain and generate", Args: []string{"-explain", "x", "-generate", "5"}, Want: "deploy: -explain explains one device"})
	status, out, errOut := cli.Capture(run, false, "-h")
	if status != 0 || out != "" || !strings.HasPrefix(errOut, "deploy decides and runs the mobile device client deployment") ||
		!strings.Contains(errOut, "Exit status") {
		t.Errorf("-h: status %d, stdout %q, stderr %q", status, out, errOut)
	}
}

// TestEscapes: values from the fleet file reach the output quoted or
// escaped: no control character but the newlines the command writes.
func TestEscapes(t *testing.T) {
	for _, args := range [][]string{nil, {"-json"}, {"-generate", "30"}} {
		status, out, errOut := cli.Capture(run, false, append(args, "-fleet", cli.WriteTemp(t, "fleet.json", cli.HostileFleet))...)
		if status != 0 {
			t.Fatalf("%v: status %d, %s", args, status, errOut)
		}
		json := len(args) > 0 && args[0] == "-json"
		cli.CheckEscaped(t, fmt.Sprint(args, " stdout"), out, json)
		cli.CheckEscaped(t, fmt.Sprint(args, " stderr"), errOut, json)
	}
}

func TestIniFlag(t *testing.T) {
	ini := cli.WriteTemp(t, "ClientSettings.ini", "[ClientSettings]\r\nClientInstallAction=Uninstall\r\n")
	status, out, _ := cli.Capture(run, false, "-ini", ini)
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
	_, js, _ := cli.Capture(run, false, "-json")
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
	status, out, errOut := cli.Capture(run, true, "-generate", strconv.Itoa(n))
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, errOut)
	}
	if want := fmt.Sprintf("Success Report: %d of %d devices", success, n); !strings.Contains(out, want) || strings.Contains(out, "#0 ") {
		t.Errorf("-generate %d output lacks %q:\n%s", n, want, out)
	}
	if !strings.Contains(errOut, "] 100% 42000/42000") || !strings.Contains(errOut, "42000 devices in") {
		t.Errorf("no progress bar on a terminal: %q", errOut)
	}
	_, out, errOut = cli.Capture(run, false, "-generate", strconv.Itoa(n), "-json")
	var counts struct{ Report fleet.Report }
	if err := json.Unmarshal([]byte(out), &counts); err != nil || counts.Report.Devices != n || counts.Report.Success.Count != success {
		t.Errorf("-generate -json: %v, %+v", err, counts.Report)
	}
	if strings.Contains(errOut, "%") {
		t.Errorf("progress bar without a terminal: %q", errOut)
	}
	_, _, errOut = cli.Capture(run, true)
	if errOut != "" {
		t.Errorf("progress bar for a small fleet: %q", errOut)
	}
}

// TestInterrupt: an interrupt stops a run that would take hours within a
// second, with the report of the devices read so far and status 1.
func TestInterrupt(t *testing.T) {
	status, out, stderr := cli.Interrupted(t, "/1000000000", "-generate", "1000000000") // once the progress bar shows
	m := regexp.MustCompile(`Success Report: \d+ of (\d+) devices`).FindStringSubmatch(out)
	if status != 1 || m == nil || m[1] == "1000000000" || !strings.Contains(stderr, "the report covers the "+m[1]+" devices read") {
		t.Errorf("status %d, report %q, stderr %q", status, out, stderr)
	}
}
