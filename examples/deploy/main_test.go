package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/lifecycle"
)

var update = flag.Bool("update", false, "rewrite golden files")

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

// TestSample runs the embedded sample fleet and compares the output with
// the golden files, and checks that the sample covers what it promises.
func TestSample(t *testing.T) {
	for _, workers := range []string{"1", "2", "0"} {
		status, out, errOut := runCapture(t, false, "-workers", workers)
		if status != 0 || errOut != "" {
			t.Fatalf("status %d, stderr %q", status, errOut)
		}
		golden(t, "sample.golden", out)
	}
	status, out, errOut := runCapture(t, false, "-json")
	if status != 0 || errOut != "" {
		t.Fatalf("-json: status %d, stderr %q", status, errOut)
	}
	golden(t, "sample.json.golden", out)

	var r lifecycle.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	data, _ := sample.ReadFile("sample/fleet.json")
	var file struct {
		Devices []struct {
			ID, Platform, Installed, Method, Component, Site string
			Security                                         json.RawMessage
		}
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	events, healths, failures := map[lifecycle.Event]bool{}, map[lifecycle.Health]bool{}, map[lifecycle.Failure]bool{}
	methods, platforms, states, securities := map[lifecycle.Method]bool{}, map[string]bool{}, map[lifecycle.State]bool{}, map[string]bool{}
	for i, d := range r.StatusDetails {
		events[d.Event], healths[d.Health], failures[d.Failure] = true, true, true
		methods[d.Method], states[d.From] = true, true
		if d.Platform.IsValid() {
			platforms[d.Platform.String()] = true
		}
		securities[string(file.Devices[i].Security)] = true
	}
	lockedSmartphone, password, native, ota := false, false, false, false
	for i, d := range r.StatusDetails {
		src := file.Devices[i]
		switch {
		case d.Platform.IsValid() && d.Platform.TwoTier() && d.Failure == lifecycle.FailureAccessDenied:
			lockedSmartphone = true
		case d.Component == lifecycle.PasswordProgram && src.Platform == "PPC2003" && d.Failure == lifecycle.NoFailure:
			password = true
		case src.Site == "native" && d.Failure == lifecycle.NoFailure:
			native = true
		case d.Method == lifecycle.OverTheAir && d.Event == lifecycle.Upgrade && d.Failure == lifecycle.NoFailure:
			ota = true
		}
	}
	if len(platforms) != 7 || len(methods) != 4 || len(states) != 4 || len(securities) < 5 ||
		len(healths) != 5 || len(events) != 6 || !lockedSmartphone || !password || !native || !ota {
		t.Errorf("the sample covers %d platforms, %d methods, %d states, %d securities, healths %v, events %v; "+
			"locked Smartphone %v, password program %v, native enrollment %v, over-the-air upgrade %v",
			len(platforms), len(methods), len(states), len(securities), healths, events, lockedSmartphone, password, native, ota)
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
const good = `{"id": "ok-%", "platform": "CE", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer"}`

func TestBadDevices(t *testing.T) {
	for _, tc := range []struct{ name, device, want string }{
		{"unknown platform", `{"id": "bad", "platform": "Foo", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer"}`,
			`device "bad" (index 1): platform: certs: parse Platform "Foo": unknown platform`},
		{"malformed version", `{"id": "bad", "platform": "CE", "installed": "4.x", "security": "Standard", "connection": "direct", "method": "manual transfer"}`,
			`device "bad" (index 1): installed: version: parsing "4.x"`},
		{"missing field", `{"id": "bad", "platform": "CE", "installed": "", "connection": "direct", "method": "manual transfer"}`,
			`device "bad" (index 1): security: missing field`},
		{"missing id", `{"platform": "CE", "installed": "", "security": "Standard", "connection": "direct", "method": "manual transfer"}`,
			`device at index 1: id: missing field`},
	} {
		fleet := writeTemp(t, "fleet.json", head+strings.Replace(good, "%", "0", 1)+","+tc.device+","+strings.Replace(good, "%", "2", 1)+"]}")
		status, out, errOut := runCapture(t, false, "-fleet", fleet)
		if status != 0 || errOut != "" {
			t.Errorf("%s: status %d, stderr %q", tc.name, status, errOut)
		}
		if !strings.Contains(out, tc.want) || !strings.Contains(out, "#1 ") ||
			!strings.Contains(out, "Success Report: 2 of 3 devices") || !strings.Contains(out, "invalid input: 1") {
			t.Errorf("%s: output lacks %q or the two good devices:\n%s", tc.name, tc.want, out)
		}
	}
}

func TestBadFile(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"not JSON", `fleet: [a, b]`, "deploy: lifecycle: fleet: invalid character"},
		{"broken device", head + strings.Replace(good, "%", "0", 1) + `, {"id": "x",, }]}`, "deploy: lifecycle: fleet: devices[1]: invalid character ','"},
		{"bad site", `{"sites": {"s": {"mode": "cloud"}}}`, `deploy: lifecycle: fleet: sites["s"].mode: certs: parse SiteMode "cloud"`},
	} {
		status, _, errOut := runCapture(t, false, "-fleet", writeTemp(t, "fleet.json", tc.text))
		if status != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: status %d, stderr %q; want 1 and %q", tc.name, status, errOut, tc.want)
		}
	}
	if status, _, errOut := runCapture(t, false, "-fleet", filepath.Join(t.TempDir(), "none.json")); status != 2 || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: status %d, stderr %q", status, errOut)
	}
	if status, _, errOut := runCapture(t, false, "-ini", writeTemp(t, "ClientSettings.ini", "[S]\nClientInstallAction=Sometimes\n")); status != 1 || !strings.Contains(errOut, "ClientInstallAction") {
		t.Errorf("bad ini: status %d, stderr %q", status, errOut)
	}
	if status, _, _ := runCapture(t, false, "-clock", "yesterday"); status != 2 {
		t.Errorf("bad -clock: status %d", status)
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
	if !strings.Contains(out, "#2 ce-01") || !strings.Contains(out, "decision: uninstall (state older") {
		t.Errorf("the -ini file did not drive the decisions:\n%s", out)
	}
}

func TestGenerate(t *testing.T) {
	status, out, errOut := runCapture(t, true, "-generate", "42000")
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, errOut)
	}
	if !strings.Contains(out, "Success Report: 20000 of 42000 devices") || strings.Contains(out, "#0 ") {
		t.Errorf("-generate 42000 (2000 rounds of the 21 sample devices) output:\n%s", out)
	}
	if !strings.Contains(errOut, "] 100% 42000/42000") || !strings.Contains(errOut, "42000 devices in") {
		t.Errorf("no progress bar on a terminal: %q", errOut)
	}
	_, _, errOut = runCapture(t, false, "-generate", "42000")
	if strings.Contains(errOut, "%") {
		t.Errorf("progress bar without a terminal: %q", errOut)
	}
	_, _, errOut = runCapture(t, true)
	if errOut != "" {
		t.Errorf("progress bar for a small fleet: %q", errOut)
	}
}
