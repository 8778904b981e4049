package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/diagram"
)

func write(t *testing.T, m diagram.Machine, f diagram.Format, opts diagram.Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := diagram.Write(&buf, m, f, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// outcomeOf runs the scenario file as the program does, independently.
func outcomeOf(t *testing.T, path string) *lifecycle.Outcome {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sc lifecycle.Scenario
	if err := json.Unmarshal(data, &sc); err != nil {
		t.Fatal(err)
	}
	out, _ := lifecycle.Run(context.Background(), sc, lifecycle.Options{Clock: func() time.Time { return time.Unix(0, 0) }})
	return &out
}

func TestRun(t *testing.T) {
	upgrade, denied := outcomeOf(t, "scenarios/upgrade.json"), outcomeOf(t, "scenarios/denied.json")
	// The samples show a successful upgrade that enrolls and a denial.
	if !upgrade.Transitioned() || upgrade.Event != lifecycle.Upgrade || upgrade.Steps[len(upgrade.Steps)-2] != lifecycle.Enrollment {
		t.Errorf("upgrade.json: %v --%v--> %v %v, want an upgrade that enrolls", upgrade.From, upgrade.Event, upgrade.To, upgrade.Steps)
	}
	if denied.Transitioned() || denied.Steps[len(denied.Steps)-1] != lifecycle.Denied {
		t.Errorf("denied.json: steps %v, want a denial", denied.Steps)
	}
	for _, c := range []struct {
		args []string
		m    diagram.Machine
		f    diagram.Format
		opts diagram.Options
	}{
		{nil, diagram.Client, diagram.DOT, diagram.Options{}},
		{[]string{"-format", "mermaid"}, diagram.Client, diagram.Mermaid, diagram.Options{}},
		{[]string{"-machine=chain", "-start"}, diagram.Chain, diagram.DOT, diagram.Options{Start: true}},
		{[]string{"-format", "MERMAID", "-machine", "Installer", "-start", "-highlight", "scenarios/upgrade.json"}, diagram.Chain, diagram.Mermaid, diagram.Options{Start: true, Highlight: upgrade}},
		{[]string{"-highlight", "scenarios/upgrade.json"}, diagram.Client, diagram.DOT, diagram.Options{Highlight: upgrade}},
		{[]string{"-highlight", "scenarios/denied.json"}, diagram.Client, diagram.DOT, diagram.Options{Highlight: denied}},
		{[]string{"-machine", "chain", "-highlight", "scenarios/denied.json"}, diagram.Chain, diagram.DOT, diagram.Options{Highlight: denied}},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), c.args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Errorf("run %q: exit %d, stderr %s", c.args, code, stderr.String())
			continue
		}
		if stderr.Len() > 0 {
			t.Errorf("run %q: stderr %s", c.args, stderr.String())
		}
		if diff := cmp.Diff(write(t, c.m, c.f, c.opts), stdout.String()); diff != "" {
			t.Errorf("run %q: output mismatch (-want +got):\n%s", c.args, diff)
		}
	}
}

func TestRunStdin(t *testing.T) {
	sc, err := os.ReadFile("scenarios/upgrade.json")
	if err != nil {
		t.Fatal(err)
	}
	var fromFile, fromStdin, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-highlight", "scenarios/upgrade.json"}, nil, &fromFile, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if code := run(context.Background(), []string{"-highlight", "-"}, bytes.NewReader(sc), &fromStdin, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if diff := cmp.Diff(fromFile.String(), fromStdin.String()); diff != "" {
		t.Errorf("stdin mismatch (-file +stdin):\n%s", diff)
	}
}

// TestFleetDevice checks that a device block copied from a fleet file, in
// the one JSON schema, is a device of the highlight input.
func TestFleetDevice(t *testing.T) {
	const sc = `{
  "device": {"id": "wm6std-standard", "platform": "WM6Std", "client": "none", "passwordProgram": "none", "security": "Unrestricted",
    "connection": "unmanaged computer", "computer": "DESK-7", "enrollment": {"caReachable": true, "authenticationSucceeds": true},
    "settings": [{"key": "PollingInterval", "value": "60", "userChanged": true}]},
  "deployment": {"method": "manual sync", "package": {"version": "4.0.6487.2000"},
    "site": {"mode": "mixed", "clientAgent": true, "managementPoint": true, "distributionPoint": true, "inventoryExtended": true}}
}`
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-highlight", "-"}, strings.NewReader(sc), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `none -> same [label="▶ install`) {
		t.Errorf("the install is not highlighted:\n%s", stdout.String())
	}
}

func TestRunErrors(t *testing.T) {
	for _, c := range []struct {
		args  []string
		stdin string
		code  int
		msg   string
	}{
		{[]string{"-format", "svg"}, "", 2, `unknown Format "svg" (accepted: dot, mermaid)`},
		{[]string{"-machine", "fleet"}, "", 2, `unknown Machine "fleet" (accepted: client, chain)`},
		{[]string{"-nope"}, "", 2, "flag provided but not defined"},
		{[]string{"extra"}, "", 2, `unexpected argument "extra"`},
		{[]string{"-highlight", "scenarios/missing.json"}, "", 1, "no such file"},
		{[]string{"-highlight", "-"}, "{", 1, "unexpected end of JSON input"},
		{[]string{"-highlight", "-"}, `{"colour": 1}`, 1, `colour`},
		{[]string{"-highlight", "-"}, `{"device": {"platform": "WM6Pro", "installed": "none"}}`, 1, `installed`},
		{[]string{"-highlight", "-"}, `{}`, 1, "invalid"},
		{[]string{"-highlight", "-"}, strings.Repeat(" ", maxScenario+1), 1, "larger than"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(c.stdin), &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("run %q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr.String(), c.code, c.msg)
		}
		if stdout.Len() > 0 {
			t.Errorf("run %q: wrote %q to stdout", c.args, stdout.String())
		}
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, nil, &stdout, &stderr); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
	if !strings.HasPrefix(stderr.String(), "diagram writes the client machine") {
		t.Errorf("-h does not say what the command does:\n%s", stderr.String())
	}
}
