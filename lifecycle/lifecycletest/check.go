package lifecycletest

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
)

// Violation is one invariant an outcome breaks.
type Violation struct {
	// Invariant is the number of the invariant in the library's design
	// (1-7), as listed on [Check].
	Invariant int
	// Detail says what is wrong.
	Detail string
}

// Error returns a message naming the invariant and the fault.
func (v *Violation) Error() string {
	return fmt.Sprintf("lifecycletest: invariant %d: %s", v.Invariant, v.Detail)
}

// Check verifies every invariant the library promises on the outcome out of
// running scenario sc with [lifecycle.Machine.Deploy] (the machine's clock
// and prior state do not matter). It returns nil, or every violation joined
// with errors.Join, each a [*Violation]. The invariants:
//
//  1. The event is the product page's decision for the device's state and
//     ClientInstallAction (or a repair, when asked for).
//  2. The state at connection time agrees with comparing the installed and
//     deployed versions.
//  3. Install, upgrade and repair that succeed end in same with the
//     deployed version; uninstall ends in none; the installed version never
//     goes down except by repair of a newer client, which is flagged as a
//     downgrade.
//  4. DMClientSetup never runs unless the platform is exempt from signing
//     or the device is unlocked.
//  5. A denied trust step leaves the state and version unchanged, writes
//     "Access Denied (0x80070005)." to the DMInstaller log, writes no setup
//     log, and sends a status message if and only if the device is
//     connected through a managed client computer.
//  6. The DMCertEnroll log exists if and only if enrollment ran;
//     enrollment runs if and only if the client was set up, stays installed
//     and CertEnrollAction=Enroll; a native or server authentication site
//     without it is an error before anything runs.
//  7. Over the air needs an already managed device, software distribution
//     its site prerequisites, the password program Pocket PC 2003; any
//     missing prerequisite means nothing ran.
//
// A successful run that leaves the client installed also leaves the logs
// that [lifecycle.VerifyInstallation] accepts (checked under invariant 3).
func Check(sc lifecycle.Scenario, out lifecycle.Outcome) error {
	c := checker{sc: sc, out: out}
	c.decision()
	c.classification()
	c.versions()
	c.setupGate()
	c.denial()
	c.enrollment()
	c.prerequisites()
	return errors.Join(c.errs...)
}

// TB is the part of *testing.T and *rapid.T that [Assert] uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Assert fails t when [Check] finds a violation.
func Assert(t TB, sc lifecycle.Scenario, out lifecycle.Outcome) {
	t.Helper()
	if err := Check(sc, out); err != nil {
		t.Fatalf("%v\nscenario: %+v\noutcome: %+v", err, sc, out)
	}
}

type checker struct {
	sc   lifecycle.Scenario
	out  lifecycle.Outcome
	errs []error
}

func (c *checker) fail(invariant int, format string, args ...any) {
	c.errs = append(c.errs, &Violation{Invariant: invariant, Detail: fmt.Sprintf(format, args...)})
}

// stopped reports an outcome where nothing ran because of the input itself.
func (c *checker) stopped() bool {
	switch c.out.Failure {
	case lifecycle.FailureInput, lifecycle.FailurePrerequisites, lifecycle.FailureCanceled:
		return true
	}
	return false
}

// pageState restates the product page's comparison.
func pageState(installed, deployed version.Version) lifecycle.State {
	switch {
	case !installed.IsValid():
		return lifecycle.None
	case installed.Compare(deployed) < 0:
		return lifecycle.Older
	case installed.Compare(deployed) == 0:
		return lifecycle.Same
	}
	return lifecycle.Newer
}

// pageDecision restates the product page's table and the library's
// documented choices for None and Uninstall.
func pageDecision(s lifecycle.State, a ini.Action, repair bool) lifecycle.Event {
	if repair {
		return lifecycle.Repair
	}
	table := map[ini.Action]map[lifecycle.State]lifecycle.Event{
		ini.ActionInstall: {lifecycle.None: lifecycle.Install, lifecycle.Older: lifecycle.Upgrade,
			lifecycle.Same: lifecycle.Reconfigure, lifecycle.Newer: lifecycle.NoAction},
		ini.ActionNone: {lifecycle.Older: lifecycle.Reconfigure, lifecycle.Same: lifecycle.Reconfigure,
			lifecycle.Newer: lifecycle.Reconfigure},
		ini.ActionUninstall: {lifecycle.Older: lifecycle.Uninstall, lifecycle.Same: lifecycle.Uninstall,
			lifecycle.Newer: lifecycle.Uninstall},
	}
	return table[a][s] // NoAction where the table has no entry
}

func (c *checker) decision() {
	if c.stopped() {
		if c.out.Event != lifecycle.NoAction && c.out.Event != c.sc.Event() {
			c.fail(1, "stopped run reports event %v", c.out.Event)
		}
		return
	}
	want := pageDecision(pageState(c.sc.Device.Installed, c.sc.Package.Version), c.sc.Package.Settings.ClientInstallAction, c.sc.Repair)
	if c.out.Event != want {
		c.fail(1, "event %v, the decision table says %v", c.out.Event, want)
	}
}

func (c *checker) classification() {
	if c.stopped() {
		return
	}
	if want := pageState(c.sc.Device.Installed, c.sc.Package.Version); c.out.From != want {
		c.fail(2, "from-state %v, comparing %v with %v says %v", c.out.From, c.sc.Device.Installed, c.sc.Package.Version, want)
	}
}

func (c *checker) versions() {
	out, sc := c.out, c.sc
	if out.Before != sc.Device.Installed {
		c.fail(3, "outcome's before-version %v is not the installed %v", out.Before, sc.Device.Installed)
	}
	completed := out.Err == nil || out.Failure == lifecycle.FailureEnrollment
	if completed {
		switch out.Event {
		case lifecycle.Install, lifecycle.Upgrade, lifecycle.Repair:
			if out.To != lifecycle.Same || out.After != sc.Package.Version {
				c.fail(3, "%v ended in %v with %v, want same with %v", out.Event, out.To, out.After, sc.Package.Version)
			}
		case lifecycle.Uninstall:
			if out.To != lifecycle.None || out.After.IsValid() {
				c.fail(3, "uninstall ended in %v with %v, want none", out.To, out.After)
			}
		case lifecycle.Reconfigure, lifecycle.NoAction:
			if out.To != out.From || out.After != out.Before {
				c.fail(3, "%v moved %v -> %v, %v -> %v", out.Event, out.From, out.To, out.Before, out.After)
			}
		}
	} else if out.To != out.From || out.After != out.Before {
		c.fail(3, "failed run (%v) moved %v -> %v, %v -> %v", out.Failure, out.From, out.To, out.Before, out.After)
	}
	lowered := out.Before.IsValid() && out.After.IsValid() && out.After.Less(out.Before)
	repairOfNewer := out.Event == lifecycle.Repair && out.From == lifecycle.Newer && completed
	if lowered && !repairOfNewer {
		c.fail(3, "installed version lowered %v -> %v by %v", out.Before, out.After, out.Event)
	}
	if out.Downgrade != repairOfNewer {
		c.fail(3, "downgrade flag %v for %v from %v (completed %v)", out.Downgrade, out.Event, out.From, completed)
	}
	if out.Err == nil && out.Event != lifecycle.NoAction && out.Event != lifecycle.Uninstall && sc.Component == lifecycle.Client {
		names := make([]string, len(out.Logs))
		for i, l := range out.Logs {
			names[i] = l.Name()
		}
		if _, err := lifecycle.VerifyInstallation(names); err != nil {
			c.fail(3, "successful %v does not verify: %v", out.Event, err)
		}
	}
}

func (c *checker) setupGate() {
	if !c.out.RanStep(lifecycle.Setup) {
		if _, ok := c.out.Log(lifecycle.DMClientSetupLog); ok {
			c.fail(4, "DMClientSetup log without the setup step")
		}
		return
	}
	p, sec := c.sc.Device.Platform, c.sc.Device.Security
	if p.SigningApplies() && !(sec.TrustsMobile2Market && !sec.PrivilegesRestricted) {
		c.fail(4, "DMClientSetup ran on a locked %v (%v)", p, sec)
	}
}

func (c *checker) denial() {
	out, sc := c.out, c.sc
	denied := errors.Is(out.Err, certs.ErrAccessDenied)
	if denied != (out.Failure == lifecycle.FailureAccessDenied || out.Failure == lifecycle.FailureUntrusted) {
		c.fail(5, "access denied error %v but failure %v", denied, out.Failure)
	}
	if out.RanStep(lifecycle.Denied) != denied {
		c.fail(5, "denied step %v but access denied error %v", out.RanStep(lifecycle.Denied), denied)
	}
	if !denied {
		if out.Status != nil {
			c.fail(5, "status message without a failed trust step")
		}
		return
	}
	if out.To != out.From || out.After != out.Before {
		c.fail(5, "denial changed the client: %v -> %v", out.From, out.To)
	}
	l, ok := out.Log(lifecycle.DMInstallerLog)
	if !ok || !slices.Contains(l.Lines, certs.AccessDeniedLogLine) {
		c.fail(5, "no %q in the DMInstaller log (%v)", certs.AccessDeniedLogLine, l.Lines)
	}
	if _, ok := out.Log(lifecycle.DMClientSetupLog); ok {
		c.fail(5, "setup log written after a denial")
	}
	if (out.Status != nil) != (sc.Device.Connection == lifecycle.ViaManagedComputer) {
		c.fail(5, "status message %v for a device connected %v", out.Status != nil, sc.Device.Connection)
	}
	if out.Status != nil && out.Status.HRESULT != certs.EAccessDenied {
		c.fail(5, "status message HRESULT %v", out.Status.HRESULT)
	}
}

func (c *checker) enrollment() {
	out, sc := c.out, c.sc
	ran := out.RanStep(lifecycle.Enrollment)
	_, logged := out.Log(lifecycle.DMCertEnrollLog)
	if logged != ran {
		c.fail(6, "DMCertEnroll log %v but enrollment ran %v", logged, ran)
	}
	if ran != out.Enrollment.IsValid() {
		c.fail(6, "enrollment step %v but enrollment result %v", ran, out.Enrollment)
	}
	should := out.RanStep(lifecycle.Setup) && sc.Component == lifecycle.Client &&
		out.Event != lifecycle.Uninstall && strings.EqualFold(sc.Package.Settings.CertEnrollAction, "Enroll")
	if ran != should {
		c.fail(6, "enrollment ran %v, should %v (CertEnrollAction=%q, event %v)", ran, should, sc.Package.Settings.CertEnrollAction, out.Event)
	}
	needs := sc.Component == lifecycle.Client && (sc.Site.Mode == certs.Native || sc.Site.Mode == certs.ServerAuthentication)
	if needs && !sc.Package.Settings.Enroll() && out.Failure != lifecycle.FailureInput &&
		!errors.Is(out.Err, lifecycle.ErrEnrollmentNotEnforced) {
		c.fail(6, "%v site without CertEnrollAction=Enroll not reported", sc.Site.Mode)
	}
}

func (c *checker) prerequisites() {
	out, sc := c.out, c.sc
	if out.Failure == lifecycle.FailureInput {
		return
	}
	expect := func(missing bool, sentinel error) {
		if missing && !errors.Is(out.Err, sentinel) {
			c.fail(7, "missing prerequisite not reported: %v", sentinel)
		}
	}
	expect(sc.Method == lifecycle.OverTheAir && !sc.Device.Installed.IsValid(), lifecycle.ErrNotManaged)
	expect(sc.Method == lifecycle.SoftwareDistribution && !sc.Site.ManagementPoint, lifecycle.ErrNoManagementPoint)
	expect(sc.Method == lifecycle.SoftwareDistribution && !sc.Site.DistributionPoint, lifecycle.ErrNoDistributionPoint)
	expect(sc.Method == lifecycle.SoftwareDistribution && !sc.Site.InventoryExtended, lifecycle.ErrInventoryNotExtended)
	expect(sc.Method == lifecycle.SoftwareDistribution && sc.Device.Connection != lifecycle.ViaManagedComputer, lifecycle.ErrConnection)
	expect(sc.Component == lifecycle.PasswordProgram && sc.Device.Platform != certs.PocketPC2003, lifecycle.ErrPasswordProgramPlatform)
	expect(!sc.Site.ClientAgent, lifecycle.ErrNoClientAgent)
	if out.Failure == lifecycle.FailurePrerequisites && (len(out.Steps) > 0 || len(out.Logs) > 0 || out.To != out.From) {
		c.fail(7, "something ran despite a missing prerequisite: steps %v", out.Steps)
	}
}
