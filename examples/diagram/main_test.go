package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/lifecycle"
)

func diagram(t *testing.T, m lifecycle.DiagramMachine, f lifecycle.Format, opts lifecycle.DiagramOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := lifecycle.WriteDiagram(&buf, m, f, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestRun(t *testing.T) {
	upgrade := &lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Same, Event: lifecycle.Upgrade,
		Steps: []lifecycle.Step{lifecycle.Staged, lifecycle.Installer, lifecycle.Setup, lifecycle.Enrollment, lifecycle.Done}}
	denied := &lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Older, Event: lifecycle.Upgrade, Failure: lifecycle.FailureAccessDenied,
		Steps: []lifecycle.Step{lifecycle.Staged, lifecycle.Installer, lifecycle.Denied}}
	for _, c := range []struct {
		args []string
		m    lifecycle.DiagramMachine
		f    lifecycle.Format
		opts lifecycle.DiagramOptions
	}{
		{nil, lifecycle.ClientMachine, lifecycle.DOT, lifecycle.DiagramOptions{}},
		{[]string{"-format", "mermaid"}, lifecycle.ClientMachine, lifecycle.Mermaid, lifecycle.DiagramOptions{}},
		{[]string{"-machine=installer", "-start"}, lifecycle.InstallerChain, lifecycle.DOT, lifecycle.DiagramOptions{Start: true}},
		{[]string{"-format", "MERMAID", "-machine", "Installer", "-start", "-highlight", "scenarios/upgrade.json"}, lifecycle.InstallerChain, lifecycle.Mermaid, lifecycle.DiagramOptions{Start: true, Highlight: upgrade}},
		{[]string{"-highlight", "scenarios/upgrade.json"}, lifecycle.ClientMachine, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: upgrade}},
		{[]string{"-highlight", "scenarios/denied.json"}, lifecycle.ClientMachine, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: denied}},
		{[]string{"-machine", "installer", "-highlight", "scenarios/denied.json"}, lifecycle.InstallerChain, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: denied}},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), c.args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Errorf("run %q: exit %d, stderr %s", c.args, code, stderr.String())
			continue
		}
		if stderr.Len() > 0 {
			t.Errorf("run %q: stderr %s", c.args, stderr.String())
		}
		if diff := cmp.Diff(diagram(t, c.m, c.f, c.opts), stdout.String()); diff != "" {
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

func TestRunErrors(t *testing.T) {
	for _, c := range []struct {
		args  []string
		stdin string
		code  int
		msg   string
	}{
		{[]string{"-format", "svg"}, "", 2, `unknown Format "svg"`},
		{[]string{"-machine", "chain"}, "", 2, `unknown DiagramMachine "chain"`},
		{[]string{"-nope"}, "", 2, "flag provided but not defined"},
		{[]string{"extra"}, "", 2, `unexpected argument "extra"`},
		{[]string{"-highlight", "scenarios/missing.json"}, "", 1, "no such file"},
		{[]string{"-highlight", "-"}, "{", 1, "unexpected EOF"},
		{[]string{"-highlight", "-"}, `{"colour": 1}`, 1, `unknown field "colour"`},
		{[]string{"-highlight", "-"}, `{}`, 1, "invalid"},
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
