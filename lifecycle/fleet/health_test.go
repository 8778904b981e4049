package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/roundtrip"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// enumType is what the enum convention asks of an enumerated type.
type enumType interface {
	comparable
	String() string
	MarshalText() ([]byte, error)
}

// checkEnum checks the enum convention on the values of a type, and on
// the invalid value bad: names round-trip through text case-insensitively,
// an invalid value prints "Type(n)" and fails to marshal, a bad name is an
// error naming the accepted values.
func checkEnum[T enumType](t *testing.T, values []T, bad T, typ string, unmarshal func(*T, []byte) error) {
	t.Helper()
	for _, v := range values {
		text, err := v.MarshalText()
		if err != nil || string(text) != v.String() {
			t.Errorf("%v: MarshalText = %q, %v", v, text, err)
		}
		var back T
		if err := unmarshal(&back, []byte(" "+strings.ToUpper(v.String())+" ")); err != nil || back != v {
			t.Errorf("UnmarshalText(upper %q) = %v, %v", v, back, err)
		}
	}
	if !strings.HasPrefix(bad.String(), typ+"(") {
		t.Errorf("invalid value prints %q", bad.String())
	}
	if _, err := bad.MarshalText(); !errors.Is(err, lifecycle.ErrInvalidInput) {
		t.Errorf("MarshalText of %v: %v", bad, err)
	}
	var v T
	err := unmarshal(&v, []byte("sick"))
	if !errors.Is(err, lifecycle.ErrInvalidInput) || !strings.Contains(err.Error(), values[1].String()) || v != *new(T) {
		t.Errorf("UnmarshalText(sick) = %v, %v", v, err)
	}
}

func TestHealthText(t *testing.T) {
	if got := fleet.Healths(); len(got) != 6 || got[0] != fleet.Healthy || got[5] != fleet.NotRun {
		t.Fatalf("Healths() = %v", got)
	}
	checkEnum(t, fleet.Healths(), fleet.NotRun+1, "Health", (*fleet.Health).UnmarshalText)
	checkEnum(t, fleet.Failures(), fleet.FailureCanceled+1, "Failure", (*fleet.Failure).UnmarshalText)
	if fleet.Health(0).String() != "Health(0)" {
		t.Errorf("the zero Health is %q, want it invalid", fleet.Health(0))
	}
	if fleet.Failure(0) != fleet.NoFailure {
		t.Error("the zero Failure is not NoFailure")
	}
}

// prereq returns the error of a scenario missing the prerequisites of the
// given sentinels, as lifecycle reports it.
func prereq(t *testing.T, missing ...error) error {
	t.Helper()
	sc := scenario(lifecycle.Device{ID: "d", Platform: certs.WM6Professional, Security: certs.Unrestricted.Security(),
		Connection: lifecycle.ViaManagedComputer}, lifecycle.SoftwareDistribution)
	for _, m := range missing {
		switch m {
		case lifecycle.ErrNoClientAgent:
			sc.Deployment.Site.ClientAgent = false
		case lifecycle.ErrFolderIncomplete:
			sc.Deployment.Package.Folder = lifecycle.Folder{}
		case lifecycle.ErrConnection:
			sc.Device.Connection = lifecycle.Direct
		case lifecycle.ErrNotManaged:
			sc.Deployment.Method = lifecycle.OverTheAir
			sc.Device.Connection = lifecycle.ViaAir
		case lifecycle.ErrNoManagementPoint:
			sc.Deployment.Site.ManagementPoint = false
		case lifecycle.ErrNoDistributionPoint:
			sc.Deployment.Site.DistributionPoint = false
		case lifecycle.ErrInventoryNotExtended:
			sc.Deployment.Site.InventoryExtended = false
		case lifecycle.ErrPasswordProgramPlatform:
			sc.Deployment.Component = lifecycle.PasswordProgram
		case lifecycle.ErrEnrollmentNotEnforced:
			sc.Deployment.Site.Mode = certs.Native
		case lifecycle.ErrInvalidSettings:
			sc.Deployment.Package.Settings.Installer = "DMInstaller_PPC2003.exe"
		}
	}
	err := lifecycle.CheckPrerequisites(sc)
	for _, m := range missing {
		if !errors.Is(err, m) {
			t.Fatalf("the scenario misses %v, not %v", err, m)
		}
	}
	return err
}

func scenario(dev lifecycle.Device, m lifecycle.Method) lifecycle.Scenario {
	for e := range generatedFleet(1) {
		e.Device, e.Deployment.Method = dev, m
		e.Deployment.Component = lifecycle.Client
		e.Deployment.Site.Mode = certs.Mixed
		e.Deployment.Site.InventoryExtended = true
		e.Deployment.Repair = false
		e.Deployment.Package.Settings.CertEnrollAction = ""
		return lifecycle.Scenario{Device: e.Device, Deployment: e.Deployment}
	}
	panic("no device")
}

func TestFailureAndHealthOf(t *testing.T) {
	canceled := errors.Join(errors.New("lifecycle: run canceled"), context.Canceled)
	for _, tc := range []struct {
		name    string
		o       lifecycle.Outcome
		failure fleet.Failure
		health  fleet.Health
	}{
		{"installed", lifecycle.Outcome{From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install}, fleet.NoFailure, fleet.Healthy},
		{"newer left alone", lifecycle.Outcome{From: lifecycle.Newer, To: lifecycle.Newer}, fleet.NoFailure, fleet.Healthy},
		{"uninstalled", lifecycle.Outcome{From: lifecycle.Same, To: lifecycle.None, Event: lifecycle.Uninstall}, fleet.NoFailure, fleet.NoClient},
		{"nothing to uninstall", lifecycle.Outcome{From: lifecycle.None, To: lifecycle.None}, fleet.NoFailure, fleet.NoClient},
		{"canceled before setup", lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Older, Steps: []lifecycle.Step{lifecycle.Staged}, Err: canceled},
			fleet.FailureCanceled, fleet.NotRun},
		{"deadline", lifecycle.Outcome{Err: context.DeadlineExceeded}, fleet.FailureCanceled, fleet.NotRun},
		{"canceled after setup", lifecycle.Outcome{From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install,
			Steps: []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup}, Err: canceled}, fleet.FailureCanceled, fleet.Healthy},
		{"canceled after an uninstall", lifecycle.Outcome{From: lifecycle.Same, To: lifecycle.None, Event: lifecycle.Uninstall,
			Steps: []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup}, Err: canceled}, fleet.FailureCanceled, fleet.NoClient},
		{"access denied", lifecycle.Outcome{To: lifecycle.Older, Err: certs.ErrAccessDenied}, fleet.FailureAccessDenied, fleet.UnhealthyCertificate},
		{"untrusted", lifecycle.Outcome{Err: fmt.Errorf("%w: %w", certs.ErrUntrustedInstaller, certs.ErrAccessDenied)}, fleet.FailureUntrusted, fleet.UnhealthyCertificate},
		{"authentication failed", lifecycle.Outcome{To: lifecycle.Same, Enrollment: certs.AuthenticationFailed, Err: certs.ErrAuthenticationFailed},
			fleet.FailureEnrollment, fleet.UnhealthyCertificate},
		{"CA unreachable", lifecycle.Outcome{To: lifecycle.Same, Enrollment: certs.CAUnreachable, Err: certs.ErrCAUnreachable},
			fleet.FailureEnrollment, fleet.UnhealthyCommunication},
		{"enrollment not enforced", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrEnrollmentNotEnforced)}, fleet.FailurePrerequisites, fleet.UnhealthyCertificate},
		{"no management point", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrNoManagementPoint)}, fleet.FailurePrerequisites, fleet.UnhealthyCommunication},
		{"no distribution point", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrNoDistributionPoint)}, fleet.FailurePrerequisites, fleet.UnhealthyCommunication},
		{"inventory", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrInventoryNotExtended)}, fleet.FailurePrerequisites, fleet.UnhealthyCommunication},
		{"connection", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrConnection)}, fleet.FailurePrerequisites, fleet.UnhealthyCommunication},
		{"not managed", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrNotManaged)}, fleet.FailurePrerequisites, fleet.UnhealthyCommunication},
		{"folder", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrFolderIncomplete)}, fleet.FailurePrerequisites, fleet.UnhealthyLocal},
		{"settings", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrInvalidSettings)}, fleet.FailurePrerequisites, fleet.UnhealthyLocal},
		{"client agent", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrNoClientAgent)}, fleet.FailurePrerequisites, fleet.UnhealthyLocal},
		{"password program", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrPasswordProgramPlatform)}, fleet.FailurePrerequisites, fleet.UnhealthyLocal},
		{"local and communication", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrFolderIncomplete, lifecycle.ErrNoDistributionPoint)},
			fleet.FailurePrerequisites, fleet.UnhealthyCommunication},
		{"communication and certificate", lifecycle.Outcome{Err: prereq(t, lifecycle.ErrNoDistributionPoint, lifecycle.ErrEnrollmentNotEnforced)},
			fleet.FailurePrerequisites, fleet.UnhealthyCertificate},
		{"rejected", lifecycle.Outcome{Err: fmt.Errorf("%w: repair in state none", lifecycle.ErrInvalidTransition)}, fleet.FailureRejected, fleet.UnhealthyLocal},
		{"busy", lifecycle.Outcome{Err: lifecycle.ErrBusy}, fleet.FailureRejected, fleet.UnhealthyLocal},
		{"unknown error", lifecycle.Outcome{Err: errors.New("boom")}, fleet.FailureRejected, fleet.UnhealthyLocal},
		{"invalid input", lifecycle.Outcome{Err: &lifecycle.InputError{Field: "device.platform", Err: errors.New("x")}}, fleet.FailureInput, fleet.UnhealthyLocal},
		{"fleet file", lifecycle.Outcome{Err: &fleet.Error{Index: 3, Err: errors.New("x")}}, fleet.FailureInput, fleet.UnhealthyLocal},
	} {
		if f, h := fleet.FailureOf(tc.o), fleet.HealthOf(tc.o); f != tc.failure || h != tc.health {
			t.Errorf("%s: FailureOf = %v, HealthOf = %v; want %v, %v", tc.name, f, h, tc.failure, tc.health)
		}
		back, _ := roundtrip.JSON(t, tc.o)
		if f, h := fleet.FailureOf(back), fleet.HealthOf(back); f != tc.failure || h != tc.health {
			t.Errorf("%s after JSON: FailureOf = %v, HealthOf = %v; want %v, %v", tc.name, f, h, tc.failure, tc.health)
		}
	}
}

// TestOutcomesOfDeployments checks FailureOf, HealthOf and the reports on
// every outcome of a fleet that goes through every combination of its
// inputs (a stride of them under the race detector): the rules hold, and
// everything the reports read survives the outcome's JSON round trip.
func TestOutcomesOfDeployments(t *testing.T) {
	live := fleet.NewAggregator(fleet.ReportOptions{Details: true})
	stored := fleet.NewAggregator(fleet.ReportOptions{Details: true})
	m, err := lifecycle.NewMachine(lifecycle.Device{Platform: certs.WM6Professional, Connection: lifecycle.Direct}, fleetOptions)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for e := range generatedFleet(fleetCombinations) {
		i++
		if i%stride() != 0 {
			continue
		}
		if err := m.Restore(e.Device); err != nil {
			t.Fatal(err)
		}
		o, _ := m.Deploy(context.Background(), e.Deployment)
		f, h := fleet.FailureOf(o), fleet.HealthOf(o)
		switch {
		case f == fleet.NoFailure && (h == fleet.Healthy) != (o.To != lifecycle.None),
			f == fleet.NoFailure && h != fleet.Healthy && h != fleet.NoClient,
			f != fleet.NoFailure && (h == fleet.Healthy || h == fleet.NoClient || h == fleet.NotRun),
			f == fleet.FailureAccessDenied && h != fleet.UnhealthyCertificate,
			(f == fleet.FailureAccessDenied || f == fleet.FailureUntrusted) && (o.Status != nil) != (e.Device.Connection == lifecycle.ViaManagedComputer),
			o.Status != nil && o.Status.HRESULT != certs.EAccessDenied,
			f == fleet.FailureEnrollment && o.Enrollment == certs.CAUnreachable && h != fleet.UnhealthyCommunication,
			f == fleet.FailureEnrollment && !o.Transitioned(),
			f == fleet.FailurePrerequisites && len(o.Steps) > 0:
			t.Fatalf("device %d: %+v: %v, %v", i, o, f, h)
		}
		back := o
		if i%(13*stride()) == 0 { // JSON costs more than a deployment: a stride of the space
			back, _ = roundtrip.JSON(t, o)
		}
		if fleet.FailureOf(back) != f || fleet.HealthOf(back) != h || back.Transitioned() != o.Transitioned() {
			t.Fatalf("device %d: %+v: %v, %v; after JSON %v, %v", i, o, f, h, fleet.FailureOf(back), fleet.HealthOf(back))
		}
		live.Add(i, e, o)
		stored.Add(i, e, back)
	}
	r := live.Report()
	if diff := cmp.Diff(r, stored.Report()); diff != "" {
		t.Fatalf("report from outcomes read back from JSON mismatch (-live +stored):\n%s", diff)
	}
	for _, p := range r.SoftwareDistribution {
		if p.Ran > p.Accepted || p.Accepted > p.Targeted || p.Succeeded+p.Failed > p.Targeted {
			t.Errorf("program line %+v", p)
		}
	}
	if len(r.SoftwareDistribution) != 4 || len(r.Computers) != 8 || len(r.Failure) != 5 {
		t.Errorf("the generated fleet covers %d program lines, %d computers, %d failure groups",
			len(r.SoftwareDistribution), len(r.Computers), len(r.Failure))
	}
}

// TestCanceledAfterSetup: a run canceled once DMClientSetup ran is classed
// canceled, but its health follows what it left: the client is installed.
func TestCanceledAfterSetup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := fleet.Options{Workers: 1, Machine: lifecycle.Options{
		OnStep: func(_ context.Context, _, to lifecycle.Step) {
			if to == lifecycle.DMClientSetup {
				cancel()
			}
		}}}
	dev := lifecycle.Device{ID: "d", Platform: certs.WM6Professional, Security: certs.Unrestricted.Security(),
		Connection: lifecycle.ViaManagedComputer}
	sc := scenario(dev, lifecycle.SoftwareDistribution)
	sc.Deployment.Package.Settings.CertEnrollAction = "Enroll"
	var got lifecycle.Outcome
	opts.OnOutcome = func(_ int, _ fleet.Entry, o lifecycle.Outcome) { got = o }
	r, err := fleet.Run(ctx, func(yield func(fleet.Entry, error) bool) {
		yield(fleet.Entry{Device: sc.Device, Deployment: sc.Deployment}, nil)
	}, opts)
	if !errors.Is(err, context.Canceled) || !got.Transitioned() || got.To != lifecycle.Same ||
		fleet.FailureOf(got) != fleet.FailureCanceled || fleet.HealthOf(got) != fleet.Healthy ||
		r.Health.Healthy != 1 || failedWith(r, fleet.FailureCanceled) != 1 {
		t.Fatalf("outcome %+v, %v, %v; report %+v; error %v", got, fleet.FailureOf(got), fleet.HealthOf(got), r, err)
	}
}
