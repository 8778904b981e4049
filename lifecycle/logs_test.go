package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

var logKinds = []lifecycle.LogKind{lifecycle.DMInstallerLog, lifecycle.DMClientSetupLog, lifecycle.DMSvcLog, lifecycle.DMCertEnrollLog}

func genLogFile() *rapid.Generator[lifecycle.LogFile] {
	return rapid.Custom(func(t *rapid.T) lifecycle.LogFile {
		secs := rapid.Int64Range(0, 253402300799).Draw(t, "unix") // years 1970-9999
		return lifecycle.LogFile{
			Kind: rapid.SampledFrom(logKinds).Draw(t, "kind"),
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
		var ie *lifecycle.InputError
		if !errors.Is(err, lifecycle.ErrInvalidInput) || !errors.As(err, &ie) || !strings.Contains(ie.Field, strconv.Quote(name)) {
			t.Errorf("ParseLogName(%q) = %v, want an InputError naming it", name, err)
		}
	}
}

// FuzzParseLogName: never panics, an error wraps ErrInvalidInput and is
// short, and what parses prints back to a name that parses to the same
// log.
func FuzzParseLogName(f *testing.F) {
	f.Add("DMInstaller_20261126-094300.log")
	f.Add("dmsvc_20000101-000000.LOG")
	f.Add("DMCertEnroll_99991231-235959.log")
	f.Add("DMInstaller[date:time].log")
	f.Fuzz(func(t *testing.T, name string) {
		l, err := lifecycle.ParseLogName(name)
		if err != nil {
			// The message quotes the name and its kind, each at most
			// quote.Max bytes of it, up to 4 bytes a byte escaped.
			if !errors.Is(err, lifecycle.ErrInvalidInput) || len(err.Error()) > 2*(4*quote.Max+5)+100 || !cmp.Equal(l, lifecycle.LogFile{}) {
				t.Fatalf("ParseLogName(%q) = %v, %v", name, l, err)
			}
			return
		}
		again, err := lifecycle.ParseLogName(l.Name())
		if err != nil || !cmp.Equal(l, again) {
			t.Fatalf("%q -> %v -> %q -> %v, %v", name, l, l.Name(), again, err)
		}
	})
}

// logsOf runs deployments in turn on one machine, each an hour after the
// last, and returns every log file they wrote, as a device's log folder
// holds them.
func logsOf(t *testing.T, dev lifecycle.Device, deps ...lifecycle.Deployment) []lifecycle.LogFile {
	t.Helper()
	at := clock()
	m, err := lifecycle.NewMachine(dev, lifecycle.Options{Clock: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	var logs []lifecycle.LogFile
	for _, dep := range deps {
		out, _ := m.Deploy(context.Background(), dep)
		logs = append(logs, out.Logs...)
		at = at.Add(time.Hour)
	}
	return logs
}

// names returns the logs as ParseLogName reads their names: no lines.
func names(logs []lifecycle.LogFile) []lifecycle.LogFile {
	out := make([]lifecycle.LogFile, len(logs))
	for i, l := range logs {
		out[i] = lifecycle.LogFile{Kind: l.Kind, Time: l.Time}
	}
	return out
}

// TestVerify: "the log files can be used to confirm that the installation
// was completed" — DMInstaller, DMClientSetup and DMSvc after a successful
// install, and "DMCertEnroll[date:time].log will only be present if the
// mobile device client installation enrolled certificates". The latest run
// decides.
func TestVerify(t *testing.T) {
	enroll := func(d lifecycle.Deployment) lifecycle.Deployment {
		d.Site.Mode = certs.Native
		d.Package.Settings = settings(t, "[ClientSettings]\nClientInstallAction=Install\nCertEnrollAction=Enroll\n")
		return d
	}
	uninstall := deployment(t, sp2)
	uninstall.Package.Settings = settings(t, "[ClientSettings]\nClientInstallAction=Uninstall\n")
	locked := device()
	locked.Platform, locked.Security = certs.WM6Standard, certs.Security{TrustsMobile2Market: true, PrivilegesRestricted: true}
	offsite := device()
	offsite.Enrollment.CAReachable = false
	password := deployment(t, version.MustParse("1.1.0.0"))
	password.Component, password.Method = lifecycle.PasswordProgram, lifecycle.ManualTransfer
	ppc := device()
	ppc.Platform, ppc.Connection = certs.PocketPC2003, lifecycle.Direct
	ppcInstall := deployment(t, sp2)
	ppcInstall.Method = lifecycle.ManualTransfer

	hour := func(h int) time.Time { return clock().Add(time.Duration(h) * time.Hour) }
	for _, tc := range []struct {
		name               string
		logs               []lifecycle.LogFile
		installed, enrolls bool
		judged             time.Time
		reason             string
	}{
		{"installed", logsOf(t, device(), deployment(t, sp2)), true, false, hour(0), "installed the client"},
		{"enrolled", logsOf(t, device(), enroll(deployment(t, sp2))), true, true, hour(0), "installed"},
		{"enrollment failed is not enrolled", logsOf(t, offsite, enroll(deployment(t, sp2))), true, false, hour(0), "installed"},
		{"denied changes nothing", logsOf(t, locked, deployment(t, sp2)), false, false, time.Time{}, "Access Denied"},
		{"upgrade then uninstall", logsOf(t, device(), deployment(t, sp1), deployment(t, sp2), uninstall), false, false, hour(2), "removed the client"},
		{"install then password program", logsOf(t, ppc, ppcInstall, password), true, false, hour(0), "password program"},
		{"by name alone", names(logsOf(t, device(), enroll(deployment(t, sp2)))), true, true, hour(0), "installed"},
		{"three runs' logs do not make an install", []lifecycle.LogFile{
			{Kind: lifecycle.DMInstallerLog, Time: hour(0)}, {Kind: lifecycle.DMClientSetupLog, Time: hour(1)},
			{Kind: lifecycle.DMSvcLog, Time: hour(2)}}, false, false, hour(2), "did not complete"},
		{"nothing", nil, false, false, time.Time{}, "no run of the client"},
	} {
		v := lifecycle.Verify(tc.logs)
		if v.Installed != tc.installed || v.Enrolled != tc.enrolls || !v.Judged.Equal(tc.judged) || !strings.Contains(v.Reason, tc.reason) {
			t.Errorf("%s: %+v", tc.name, v)
		}
	}
	// A success followed by a denied run that changed nothing: the success
	// is judged, and the reason says the denied run was passed over.
	both := append(logsOf(t, device(), deployment(t, sp2)), logsOf(t, locked, deployment(t, r3))...)
	for i := range both[3:] {
		both[3+i].Time = hour(5)
	}
	v := lifecycle.Verify(both)
	if !v.Installed || !v.Judged.Equal(hour(0)) || !strings.Contains(v.Reason, "changed nothing") {
		t.Errorf("install then denied: %+v", v)
	}
}

// TestOutcomeJSON: outcomes are plain data that survive JSON: the error's
// message and identity included, so that what the reports read survives.
func TestOutcomeJSON(tt *testing.T) {
	rapid.Check(tt, func(t *rapid.T) {
		sc := genScenario(tt).Draw(t, "scenario")
		out, _ := lifecycle.Run(context.Background(), sc, opts)
		back := roundTrip(t, out)
		if diff := cmp.Diff(out, back, outcomeJSONOptions); diff != "" {
			t.Fatalf("JSON round trip mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestOutcomeJSONHRESULT(t *testing.T) {
	sc := scenario(t)
	sc.Device.Security.PrivilegesRestricted = true
	out, _ := lifecycle.Run(context.Background(), sc, opts)
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), `"hresult":"0x80070005"`) {
		t.Errorf("status message JSON: %s", b)
	}
}

// TestVerifySameInstantAnyZone: the logs of one run are one run whatever
// location their times carry. A log decoded from JSON written with an
// offset ("+00:00", or "+02:00" for the same instant) is not the == of one
// in UTC, and Verify split the run, passing the DMInstaller log over as a
// run that "changed nothing".
func TestVerifySameInstantAnyZone(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC)
	logs := []lifecycle.LogFile{
		{Kind: lifecycle.DMInstallerLog, Time: at.In(time.FixedZone("CEST", 2*3600))},
		{Kind: lifecycle.DMClientSetupLog, Time: at},
		{Kind: lifecycle.DMSvcLog, Time: at.In(time.FixedZone("", 0))},
	}
	v := lifecycle.Verify(logs)
	if !v.Installed || len(v.Missing) > 0 || !v.Judged.Equal(at) {
		t.Errorf("Verify of one run in three zones = %+v", v)
	}
}
