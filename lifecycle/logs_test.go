package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"pgregory.net/rapid"
)

func genLogFile() *rapid.Generator[lifecycle.LogFile] {
	return rapid.Custom(func(t *rapid.T) lifecycle.LogFile {
		secs := rapid.Int64Range(0, 253402300799).Draw(t, "unix") // years 1970-9999
		return lifecycle.LogFile{
			Kind: rapid.SampledFrom(lifecycle.LogKinds()).Draw(t, "kind"),
			Time: time.Unix(secs, 0).UTC(),
		}
	})
}

func TestLogNameRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := genLogFile().Draw(t, "log")
		got, err := lifecycle.ParseLogName(l.Name())
		if err != nil {
			t.Fatalf("ParseLogName(%q): %v", l.Name(), err)
		}
		if diff := cmp.Diff(l, got); diff != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestParseLogName(t *testing.T) {
	good := map[string]lifecycle.LogFile{
		"DMInstaller_20261126-094300.log":   {Kind: lifecycle.DMInstallerLog, Time: time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC)},
		"dmclientsetup_20080101-000000.LOG": {Kind: lifecycle.DMClientSetupLog, Time: time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)},
		"DMSvc_19991231-235959.log":         {Kind: lifecycle.DMSvcLog, Time: time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)},
		"DMCertEnroll_20100615-120000.log":  {Kind: lifecycle.DMCertEnrollLog, Time: time.Date(2010, 6, 15, 12, 0, 0, 0, time.UTC)},
	}
	for name, want := range good {
		got, err := lifecycle.ParseLogName(name)
		if err != nil || !cmp.Equal(want, got) {
			t.Errorf("ParseLogName(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, name := range []string{
		"", "DMInstaller.log", "DMInstaller_20261126-094300.txt", "DMInstaller_20261126-0943.log",
		"DMInstaller_20261126-094300.log.bak", "DMFoo_20261126-094300.log", " DMSvc_20261126-094300.log",
		"DMSvc_20261326-094300.log", "DMSvc_20261126-254300.log", "DMSvc-20261126-094300.log",
		"DMSvc_2026112a-094300.log", "DMSvc__20261126-094300.log",
	} {
		_, err := lifecycle.ParseLogName(name)
		var ne *lifecycle.LogNameError
		if !errors.Is(err, lifecycle.ErrLogName) || !errors.As(err, &ne) || ne.Name != name {
			t.Errorf("ParseLogName(%q) = %v, want a LogNameError", name, err)
		}
	}
}

// FuzzParseLogName: never panics, and what parses prints back to a name
// that parses to the same log.
func FuzzParseLogName(f *testing.F) {
	f.Add("DMInstaller_20261126-094300.log")
	f.Add("dmsvc_20000101-000000.LOG")
	f.Add("DMCertEnroll_99991231-235959.log")
	f.Add("DMInstaller[date:time].log")
	f.Fuzz(func(t *testing.T, name string) {
		l, err := lifecycle.ParseLogName(name)
		if err != nil {
			return
		}
		again, err := lifecycle.ParseLogName(l.Name())
		if err != nil || !cmp.Equal(l, again) {
			t.Fatalf("%q -> %v -> %q -> %v, %v", name, l, l.Name(), again, err)
		}
	})
}

func TestVerifyInstallation(t *testing.T) {
	v, err := lifecycle.VerifyInstallation([]string{
		"notes.txt",
		"DMSvc_20261126-094300.log",
		"DMClientSetup_20261126-094300.log",
		"DMInstaller_20261126-094300.log",
		"DMInstaller_20261120-080000.log",
		"Autorun.exe",
	})
	if err != nil || !v.Installed || v.Enrolled {
		t.Fatalf("VerifyInstallation = %+v, %v", v, err)
	}
	if diff := cmp.Diff([]string{"Autorun.exe", "notes.txt"}, v.Ignored); diff != "" {
		t.Errorf("ignored mismatch (-want +got):\n%s", diff)
	}
	wantKinds := []lifecycle.LogKind{lifecycle.DMInstallerLog, lifecycle.DMInstallerLog, lifecycle.DMClientSetupLog, lifecycle.DMSvcLog}
	var gotKinds []lifecycle.LogKind
	for _, l := range v.Found {
		gotKinds = append(gotKinds, l.Kind)
	}
	if diff := cmp.Diff(wantKinds, gotKinds); diff != "" {
		t.Errorf("found (sorted by time, then kind) mismatch (-want +got):\n%s", diff)
	}

	v, err = lifecycle.VerifyInstallation([]string{"DMInstaller_20261126-094300.log", "DMCertEnroll_20261126-094300.log"})
	var nv *lifecycle.NotVerifiedError
	if !errors.Is(err, lifecycle.ErrNotVerified) || !errors.As(err, &nv) || v.Installed || !v.Enrolled {
		t.Fatalf("VerifyInstallation of a denied run = %+v, %v", v, err)
	}
	if diff := cmp.Diff([]lifecycle.LogKind{lifecycle.DMClientSetupLog, lifecycle.DMSvcLog}, nv.Missing); diff != "" {
		t.Errorf("missing mismatch (-want +got):\n%s", diff)
	}
	if want := "lifecycle: installation not verified: missing DMClientSetup, DMSvc log"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// TestOutcomeJSON: outcomes are plain data that survive JSON, error message
// and failure class included.
func TestOutcomeJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := lifecycletest.Scenario().Draw(t, "scenario")
		m, _ := lifecycle.NewMachine(lifecycle.None, lifecycle.WithClock(testClock))
		out, _ := m.Deploy(context.Background(), sc)
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var back lifecycle.Outcome
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if diff := cmp.Diff(out, back, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b error) bool {
			return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error())
		})); diff != "" {
			t.Fatalf("JSON round trip mismatch (-want +got):\n%s", diff)
		}
	})
}
