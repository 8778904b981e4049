package lifecycletest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
)

// Violation is one invariant an outcome breaks.
type Violation struct {
	// Invariant is the number of the invariant, as listed on [Check].
	Invariant int
	// Detail says what is wrong.
	Detail string
}

// Error returns a message naming the invariant and the fault.
func (v *Violation) Error() string {
	return fmt.Sprintf("lifecycletest: invariant %d: %s", v.Invariant, v.Detail)
}

// Check verifies the invariants the library promises on the outcome out of
// running scenario sc, with [lifecycle.Run] or with [lifecycle.Machine.Deploy]
// on a machine holding sc.Device, whatever its clock and whether or not its
// context ended during the run. It returns nil, or every violation joined
// with errors.Join, each a [*Violation]. The invariants, numbered as in the
// library's design:
//
//  1. The event is the product page's decision for the component's state and
//     ClientInstallAction, or a repair when one is asked for.
//  2. The state at connection time is the installed version of the
//     deployed component compared with the package's.
//  3. An install, upgrade or repair that ran ends in same with the deployed
//     version; an uninstall ends in none; a run that did not reach
//     DMClientSetup changes nothing; the installed version never goes down
//     except by the repair of a newer one, which the outcome flags as a
//     downgrade.
//  4. DMClientSetup never runs unless the platform is exempt from signing
//     (Pocket PC 2003, Windows CE) or the device is unlocked (trusts
//     Mobile2Market, privileges not restricted).
//  5. The trust step fails exactly on a locked device of a platform that
//     signing applies to; then the state and version are unchanged,
//     "Access Denied (0x80070005)." is in the DMInstaller log, there is no
//     setup log, and a status message is sent if and only if the device is
//     connected through a managed client computer.
//  6. The DMCertEnroll log exists if and only if enrollment ran; enrollment
//     runs if and only if CertEnrollAction=Enroll, the client is deployed
//     and stays, the device needs a certificate (holds none, or the
//     deployment renews it) and the chain reached enrollment; its result is
//     the certification authority's answer; a native or server
//     authentication site without CertEnrollAction=Enroll, where the
//     deployment needs a certificate, is an error before anything runs.
//  7. The prerequisites, restated from the product page and the library's
//     documented choices, are reported exactly when missing, and a missing
//     one means nothing ran: the client agent, the deployment folder, the
//     Installer setting, the connection each method reaches, a managed
//     device over the air, the site's management and distribution points
//     and inventory extension, the password program on Pocket PC 2003 only.
//  8. A run whose context ended returns the context's error and stops at a
//     step boundary: before DMClientSetup nothing changed; from
//     DMClientSetup on the transition is made and nothing after the boundary
//     ran.
//  11. The outcome never contradicts its own logs and steps: the steps are
//     a path of the installer chain from staged, complete unless the
//     context ended; each log is there exactly when its step ran, all
//     stamped with the run's time; [lifecycle.Verify] of the logs agrees
//     with the outcome; the Authenticode stores, the settings overwritten
//     and the outcome's own fields match the scenario. "Also after a JSON
//     round trip" is [RoundTrip]'s part.
//
// Check is cheap enough to run on every scenario of a space (as a policy of
// package policy's Check, say); it does not encode the outcome.
//
// Check restates the rules from the product page and the library's
// documentation rather than calling the code under test, so that the two
// can disagree. Invariants 9 and 10 are about the whole input space and
// the ini package; 12 about callbacks: no single outcome shows them.
func Check(sc lifecycle.Scenario, out lifecycle.Outcome) error {
	c := checker{sc: sc, out: out}
	c.classify()
	if !c.invalid && !c.busy {
		c.decision()
		c.versions()
		c.setupGate()
		c.denial()
		c.enrollment()
		c.prerequisites()
		c.cancellation()
	} else if len(out.Steps) > 0 || len(out.Logs) > 0 || out.Status != nil || out.Event != lifecycle.NoAction {
		c.fail(11, "a run with invalid input (or a busy machine) did something: event %v, steps %v", out.Event, out.Steps)
	}
	c.story()
	return errors.Join(c.errs...)
}

// TB is the part of *testing.T and *rapid.T that [Assert] uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Assert fails t when [Check] finds a violation in out or in out after a
// JSON round trip ([RoundTrip]).
func Assert(t TB, sc lifecycle.Scenario, out lifecycle.Outcome) {
	t.Helper()
	err := Check(sc, out)
	if err == nil {
		var back lifecycle.Outcome
		if back, err = RoundTrip(out); err == nil {
			err = Check(sc, back)
		}
	}
	if err != nil {
		t.Fatalf("%v\nscenario: %+v\noutcome: %+v", err, sc, out)
	}
}

type checker struct {
	sc   lifecycle.Scenario
	out  lifecycle.Outcome
	errs []error

	invalid, busy, canceled bool
	installed               version.Version // of the deployed component
	state                   lifecycle.State // the page's state at connection time
	event                   lifecycle.Event // the page's decision
	ran                     bool            // DMClientSetup ran
}

func (c *checker) fail(invariant int, format string, args ...any) {
	c.errs = append(c.errs, &Violation{Invariant: invariant, Detail: fmt.Sprintf(format, args...)})
}

func (c *checker) step(s lifecycle.Step) bool { return slices.Contains(c.out.Steps, s) }

func (c *checker) log(k lifecycle.LogKind) (lifecycle.LogFile, bool) {
	for _, l := range c.out.Logs {
		if l.Kind == k {
			return l, true
		}
	}
	return lifecycle.LogFile{}, false
}

// classify works out what the checks need: the kind of failure, the
// component's installed version, the page's state and decision.
func (c *checker) classify() {
	sc, out := &c.sc, &c.out
	c.invalid = errors.Is(out.Err, lifecycle.ErrInvalidInput)
	c.busy = errors.Is(out.Err, lifecycle.ErrBusy)
	c.canceled = errors.Is(out.Err, context.Canceled) || errors.Is(out.Err, context.DeadlineExceeded)
	c.installed = sc.Device.Client
	if sc.Deployment.Component == lifecycle.PasswordProgram {
		c.installed = sc.Device.PasswordProgram
	}
	c.state = pageState(c.installed, sc.Deployment.Package.Version)
	c.event = pageDecision(c.state, sc.Deployment.Package.Settings.ClientInstallAction, sc.Deployment.Repair)
	c.ran = c.step(lifecycle.DMClientSetup)
}

// pageState restates the product page's comparison: "no client", "older
// client than deployed client", "same client", "newer client".
func pageState(installed, deployed version.Version) lifecycle.State {
	switch {
	case !installed.IsValid():
		return lifecycle.None
	case !deployed.IsValid():
		return lifecycle.Newer // the library's documented choice
	case installed.Compare(deployed) < 0:
		return lifecycle.Older
	case installed.Compare(deployed) == 0:
		return lifecycle.Same
	}
	return lifecycle.Newer
}

// pageDecision restates the product page's table ("No client: Install
// deployed client; Older: Upgrade; Same: Reconfigure client settings;
// Newer: No action") and the library's documented choices for None
// (reconfigure any installed client) and Uninstall (remove any).
func pageDecision(s lifecycle.State, a ini.Action, repair bool) lifecycle.Event {
	installed := s == lifecycle.Older || s == lifecycle.Same || s == lifecycle.Newer
	switch {
	case repair:
		return lifecycle.Repair
	case a == ini.ActionInstall && s == lifecycle.None:
		return lifecycle.Install
	case a == ini.ActionInstall && s == lifecycle.Older:
		return lifecycle.Upgrade
	case a == ini.ActionInstall && s == lifecycle.Same:
		return lifecycle.Reconfigure
	case a == ini.ActionNone && installed:
		return lifecycle.Reconfigure
	case a == ini.ActionUninstall && installed:
		return lifecycle.Uninstall
	}
	return lifecycle.NoAction // newer with Install, nothing installed with None or Uninstall
}

// leavesClient reports whether event ev leaves the component installed.
func leavesClient(ev lifecycle.Event) bool {
	return ev != lifecycle.NoAction && ev != lifecycle.Uninstall
}

// notStarted reports a run that ended before anything ran: its context was
// done first.
func (c *checker) notStarted() bool { return c.canceled && len(c.out.Steps) == 0 }

func (c *checker) decision() {
	if c.out.Event == c.event || (c.notStarted() && c.out.Event == lifecycle.NoAction) {
		return
	}
	c.fail(1, "event %v, the decision table says %v (state %v, ClientInstallAction=%v, repair %v)",
		c.out.Event, c.event, c.state, c.sc.Deployment.Package.Settings.ClientInstallAction, c.sc.Deployment.Repair)
}

func (c *checker) versions() {
	out, sc := &c.out, &c.sc
	if out.From != c.state {
		c.fail(2, "from-state %v, comparing %v with %v says %v", out.From, c.installed, sc.Deployment.Package.Version, c.state)
	}
	if out.Before != c.installed {
		c.fail(3, "before-version %v is not the installed %v", out.Before, c.installed)
	}
	wantTo, wantAfter := out.From, out.Before
	if c.ran {
		switch out.Event {
		case lifecycle.Install, lifecycle.Upgrade, lifecycle.Repair:
			wantTo, wantAfter = lifecycle.Same, sc.Deployment.Package.Version
		case lifecycle.Uninstall:
			wantTo, wantAfter = lifecycle.None, version.Version{}
		}
	}
	if out.To != wantTo || out.After != wantAfter {
		c.fail(3, "%v (DMClientSetup ran: %v) ended in %v with %v, want %v with %v", out.Event, c.ran, out.To, out.After, wantTo, wantAfter)
	}
	lowered := out.Before.IsValid() && out.After.IsValid() && out.After.Less(out.Before)
	repairOfNewer := c.ran && out.Event == lifecycle.Repair && out.From == lifecycle.Newer
	if lowered && !repairOfNewer {
		c.fail(3, "installed version lowered %v -> %v by %v", out.Before, out.After, out.Event)
	}
	if out.Downgrade != repairOfNewer {
		c.fail(3, "downgrade flag %v for %v from %v (DMClientSetup ran: %v)", out.Downgrade, out.Event, out.From, c.ran)
	}
}

// exempt restates the product page's note: "Signing does not apply to
// Windows Mobile Pocket PC 2003 or Windows CE devices."
func exempt(p certs.Platform) bool { return p == certs.PocketPC2003 || p == certs.WindowsCE }

// unlocked restates the page: "If the mobile operator or mobile device
// vendor has not restricted privileges on the mobile device and the
// Mobile2Market unprivileged certificate is trusted by the mobile device
// then the mobile device is assumed to be unlocked".
func unlocked(s certs.Security) bool { return s.TrustsMobile2Market && !s.PrivilegesRestricted }

func (c *checker) setupGate() {
	dev := &c.sc.Device
	if c.ran && !exempt(dev.Platform) && !unlocked(dev.Security) {
		c.fail(4, "DMClientSetup ran on a locked %v (%v)", dev.Platform, dev.Security)
	}
}

func (c *checker) denial() {
	out, dev := &c.out, &c.sc.Device
	denied := c.step(lifecycle.Denied)
	if denied != errors.Is(out.Err, certs.ErrAccessDenied) {
		c.fail(5, "denied step %v but access denied error %v (%v)", denied, !denied, out.Err)
	}
	locked := !exempt(dev.Platform) && !unlocked(dev.Security)
	// DMInstaller runs where signing does not apply or the device trusts
	// its Mobile2Market signature; the trust step fails exactly on a
	// locked device. A run whose context ended may stop before the step.
	if c.step(lifecycle.DMInstaller) && !exempt(dev.Platform) && !dev.Security.TrustsMobile2Market {
		c.fail(5, "DMInstaller ran on %v, which does not trust Mobile2Market", dev.Platform)
	}
	if decided := denied || c.ran || (len(out.Steps) >= 2 && !c.canceled); decided && denied != locked {
		c.fail(5, "trust step denied %v on %v (%v), the page says %v", denied, dev.Platform, dev.Security, locked)
	}
	if !denied {
		if out.Status != nil {
			c.fail(5, "status message without a failed trust step")
		}
		return
	}
	if out.To != out.From || out.After != out.Before {
		c.fail(5, "denial changed the client: %v -> %v, %v -> %v", out.From, out.To, out.Before, out.After)
	}
	if l, ok := c.log(lifecycle.DMInstallerLog); !ok || !slices.Contains(l.Lines, "Access Denied (0x80070005).") {
		c.fail(5, "no %q in the DMInstaller log (%q)", "Access Denied (0x80070005).", l.Lines)
	}
	if _, ok := c.log(lifecycle.DMClientSetupLog); ok {
		c.fail(5, "setup log written after a denial")
	}
	if (out.Status != nil) != (dev.Connection == lifecycle.ViaManagedComputer) {
		c.fail(5, "status message %v for a device connected %v", out.Status != nil, dev.Connection)
	}
	if s := out.Status; s != nil && (s.HRESULT != 0x80070005 || s.Device != dev.ID) {
		c.fail(5, "status message %+v: want HRESULT 0x80070005 for %q", *s, dev.ID)
	}
}

// needsCertificate restates the library's documented rule: a deployment
// needs a certificate when it deploys the client and leaves it installed,
// and the device holds none or the deployment renews it.
func (c *checker) needsCertificate() bool {
	sc := &c.sc
	return sc.Deployment.Component == lifecycle.Client && leavesClient(c.event) &&
		(!sc.Device.Certificate || sc.Deployment.RenewCertificate)
}

func (c *checker) enrollment() {
	out, sc := &c.out, &c.sc
	ran := c.step(lifecycle.Enrollment)
	if _, logged := c.log(lifecycle.DMCertEnrollLog); logged != ran {
		c.fail(6, "DMCertEnroll log %v but enrollment ran %v", logged, ran)
	}
	if ran != (out.Enrollment != 0) {
		c.fail(6, "enrollment step %v but enrollment result %v", ran, out.Enrollment)
	}
	enroll := strings.EqualFold(sc.Deployment.Package.Settings.CertEnrollAction, "Enroll")
	should := enroll && c.needsCertificate() && c.ran
	reached := slices.ContainsFunc(out.Steps, func(s lifecycle.Step) bool { return s == lifecycle.Enrollment || s == lifecycle.Done })
	if ran && !should {
		c.fail(6, "enrollment ran, but CertEnrollAction=%q, certificate needed %v, DMClientSetup ran %v",
			sc.Deployment.Package.Settings.CertEnrollAction, c.needsCertificate(), c.ran)
	}
	if should && reached && !ran {
		c.fail(6, "the chain went past DMClientSetup without enrolling (CertEnrollAction=Enroll, certificate needed)")
	}
	if ran {
		cond := sc.Device.Enrollment
		want := certs.Enrolled
		switch {
		case !cond.CAReachable:
			want = certs.CAUnreachable
		case !cond.AuthenticationSucceeds:
			want = certs.AuthenticationFailed
		}
		if out.Enrollment != want {
			c.fail(6, "enrollment result %v under %+v, want %v", out.Enrollment, cond, want)
		}
		failed := errors.Is(out.Err, certs.ErrCAUnreachable) || errors.Is(out.Err, certs.ErrAuthenticationFailed)
		if failed != (want != certs.Enrolled) && !c.canceled {
			c.fail(6, "enrollment %v but error %v", out.Enrollment, out.Err)
		}
	}
}

// missing restates the prerequisites: the sentinel of each that sc misses.
func (c *checker) missing() []error {
	dev, dep := &c.sc.Device, &c.sc.Deployment
	var m []error
	need := func(ok bool, sentinel error) {
		if !ok {
			m = append(m, sentinel)
		}
	}
	// "A properly configured Mobile Device Client Agent."
	need(dep.Site.ClientAgent, lifecycle.ErrNoClientAgent)
	// "A mobile device client deployment folder containing all necessary
	// client installation files", and the .ini file.
	need(len(FolderLacks(dep.Package.Folder, dev.Platform)) == 0, lifecycle.ErrFolderIncomplete)
	// "A DMCommonInstaller.ini file or ClientSettings.ini file properly
	// configured for your environment": its Installer names the device's.
	inst := dep.Package.Settings.Installer
	need(inst == "" || strings.EqualFold(inst, dev.Platform.InstallerName()), lifecycle.ErrInvalidSettings)
	var reaches []lifecycle.Connection
	switch dep.Method {
	case lifecycle.SoftwareDistribution: // to a managed ConfigMgr client computer
		reaches = []lifecycle.Connection{lifecycle.ViaManagedComputer}
	case lifecycle.ManualSync: // via an ActiveSync- or Mobile Device Center-connected computer
		reaches = []lifecycle.Connection{lifecycle.ViaManagedComputer, lifecycle.ViaUnmanagedComputer}
	case lifecycle.ManualTransfer: // a memory card or a shared directory: any
		reaches = lifecycle.Connections()
	case lifecycle.OverTheAir:
		reaches = []lifecycle.Connection{lifecycle.ViaAir}
	}
	need(slices.Contains(reaches, dev.Connection), lifecycle.ErrConnection)
	// "Upgrade an already managed mobile device over-the-air": a managed
	// device has a client.
	need(dep.Method != lifecycle.OverTheAir || dev.Client.IsValid(), lifecycle.ErrNotManaged)
	// Software distribution: management and distribution points enabled
	// for mobile devices, inventory extended; over the air the two points
	// (the library's documented choice).
	points := dep.Method == lifecycle.SoftwareDistribution || dep.Method == lifecycle.OverTheAir
	need(!points || dep.Site.ManagementPoint, lifecycle.ErrNoManagementPoint)
	need(!points || dep.Site.DistributionPoint, lifecycle.ErrNoDistributionPoint)
	need(dep.Method != lifecycle.SoftwareDistribution || dep.Site.InventoryExtended, lifecycle.ErrInventoryNotExtended)
	// "the policy-aware password program for Pocket PC 2003 mobile devices".
	need(dep.Component != lifecycle.PasswordProgram || dev.Platform == certs.PocketPC2003, lifecycle.ErrPasswordProgramPlatform)
	// "If your environment is configured for native mode or server
	// authentication mode, certificate enrollment will be required ...
	// CertEnrollAction=Enroll", where the deployment needs a certificate.
	requires := dep.Site.Mode == certs.Native || dep.Site.Mode == certs.ServerAuthentication
	enroll := strings.EqualFold(dep.Package.Settings.CertEnrollAction, "Enroll")
	need(!requires || enroll || !c.needsCertificate(), lifecycle.ErrEnrollmentNotEnforced)
	return m
}

// FolderLacks is the deployment folder rule restated from the product
// page, the oracle [Check] judges the folder prerequisite by: the files of
// platform p's deployment that folder lacks, as the prerequisite error
// names them: p's DMInstaller, p's DMClientSetup, and "DMCommonInstaller.ini
// or ClientSettings.ini". A name counts when it is one of these whole,
// compared case-insensitively, so that one with a path (sub\, C:, ..\)
// never does. An empty result means the folder is complete for p.
func FolderLacks(folder lifecycle.Folder, p certs.Platform) []string {
	names := folder.Names()
	has := func(want ...string) bool {
		return slices.ContainsFunc(names, func(name string) bool {
			return slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(name, w) })
		})
	}
	var lacks []string
	if !has(p.InstallerName()) {
		lacks = append(lacks, p.InstallerName())
	}
	if !has(p.SetupName()) {
		lacks = append(lacks, p.SetupName())
	}
	if !has("DMCommonInstaller.ini", "ClientSettings.ini") {
		lacks = append(lacks, "DMCommonInstaller.ini or ClientSettings.ini")
	}
	return lacks
}

func (c *checker) prerequisites() {
	out := &c.out
	missing := c.missing()
	for _, s := range sentinels[:prerequisites] {
		reported := out.Err != nil && errors.Is(out.Err, s)
		switch want := slices.Contains(missing, s); {
		case want && !reported && !c.notStarted():
			c.fail(7, "missing prerequisite not reported: %v", s)
		case !want && reported:
			c.fail(7, "prerequisite reported missing but met: %v", s)
		}
	}
	if len(missing) > 0 && (len(out.Steps) > 0 || len(out.Logs) > 0 || out.Status != nil) {
		c.fail(7, "something ran despite a missing prerequisite: steps %v", out.Steps)
	}
	// With its prerequisites met, a deployment runs its event: the
	// installer chain starts.
	if len(missing) == 0 && c.event != lifecycle.NoAction && !(c.event == lifecycle.Repair && c.state == lifecycle.None) &&
		!c.notStarted() && len(out.Steps) == 0 {
		c.fail(7, "prerequisites met, event %v, yet the installer chain did not run (%v)", c.event, out.Err)
	}
	// A repair where nothing is installed is not a transition of the
	// client machine.
	rejected := len(missing) == 0 && c.event == lifecycle.Repair && c.state == lifecycle.None
	if rejected && !c.notStarted() && (!errors.Is(out.Err, lifecycle.ErrInvalidTransition) || len(out.Steps) > 0) {
		c.fail(7, "repair with nothing installed: %v, steps %v", out.Err, out.Steps)
	}
	if !rejected && errors.Is(out.Err, lifecycle.ErrInvalidTransition) {
		c.fail(7, "transition rejected: %v", out.Err)
	}
}

func (c *checker) cancellation() {
	out := &c.out
	if !c.canceled {
		return
	}
	if n := len(out.Steps); n > 0 && (out.Steps[n-1] == lifecycle.Done || out.Steps[n-1] == lifecycle.Denied) {
		c.fail(8, "a canceled run completed its chain: %v", out.Steps)
	}
	if !c.ran && (out.To != out.From || out.After != out.Before || out.Status != nil) {
		c.fail(8, "a run canceled before DMClientSetup changed something: %v -> %v, status %v", out.From, out.To, out.Status != nil)
	}
}

// story checks invariant 11: the steps, logs and fields tell one story.
func (c *checker) story() {
	out, sc := &c.out, &c.sc
	if !c.invalid && !c.busy {
		if out.Device != sc.Device.ID || out.Component != sc.Deployment.Component || out.Method != sc.Deployment.Method || out.Platform != sc.Device.Platform {
			c.fail(11, "outcome of %q %v %v on %v is for the scenario %q %v %v on %v", out.Device, out.Component, out.Method,
				out.Platform, sc.Device.ID, sc.Deployment.Component, sc.Deployment.Method, sc.Device.Platform)
		}
	}
	if out.Transitioned() != c.ran {
		c.fail(11, "Transitioned() = %v, steps %v", out.Transitioned(), out.Steps)
	}
	// The chain's declared paths, restated: staged, then DMInstaller runs
	// or is refused; DMInstaller calls DMClientSetup or is denied;
	// DMClientSetup enrolls or finishes; enrollment finishes.
	next := map[lifecycle.Step][]lifecycle.Step{
		lifecycle.Staged:        {lifecycle.DMInstaller, lifecycle.Denied},
		lifecycle.DMInstaller:   {lifecycle.DMClientSetup, lifecycle.Denied},
		lifecycle.DMClientSetup: {lifecycle.Enrollment, lifecycle.Done},
		lifecycle.Enrollment:    {lifecycle.Done},
	}
	for i, s := range out.Steps {
		if (i == 0 && s != lifecycle.Staged) || (i > 0 && !slices.Contains(next[out.Steps[i-1]], s)) {
			c.fail(11, "steps %v are not a path of the installer chain", out.Steps)
			break
		}
	}
	if n := len(out.Steps); n > 0 && !c.canceled && out.Steps[n-1] != lifecycle.Done && out.Steps[n-1] != lifecycle.Denied {
		c.fail(11, "the chain stopped at %v without its context ending", out.Steps[n-1])
	}
	// Each log exactly when its step ran, in the order of the kinds, all
	// stamped with the run's time.
	want := []lifecycle.LogKind{}
	if len(out.Steps) >= 2 {
		want = append(want, lifecycle.DMInstallerLog)
	}
	if c.ran {
		want = append(want, lifecycle.DMClientSetupLog)
		if out.Component == lifecycle.Client && out.Event != lifecycle.Uninstall {
			want = append(want, lifecycle.DMSvcLog)
		}
	}
	if c.step(lifecycle.Enrollment) {
		want = append(want, lifecycle.DMCertEnrollLog)
	}
	var got []lifecycle.LogKind
	for _, l := range out.Logs {
		got = append(got, l.Kind)
		if !l.Time.Equal(out.Logs[0].Time) {
			c.fail(11, "logs of one run stamped %v and %v", out.Logs[0].Time, l.Time)
		}
	}
	if !slices.Equal(want, got) && !(len(want) == 0 && len(got) == 0) {
		c.fail(11, "logs %v for steps %v, want %v", got, out.Steps, want)
	}
	// Verifying the logs says what the outcome says.
	v := lifecycle.Verify(out.Logs)
	switch {
	case c.ran && out.Component == lifecycle.Client:
		if v.Installed != (out.To != lifecycle.None) {
			c.fail(11, "Verify says installed %v (%s), the outcome ends in %v", v.Installed, v.Reason, out.To)
		}
		if v.Enrolled != (out.Enrollment == certs.Enrolled) {
			c.fail(11, "Verify says enrolled %v (%s), the outcome's enrollment is %v", v.Enrolled, v.Reason, out.Enrollment)
		}
	case v.Installed || v.Enrolled:
		c.fail(11, "Verify says installed %v, enrolled %v (%s) of a run in which DMClientSetup did not run the client", v.Installed, v.Enrolled, v.Reason)
	}
	// The Authenticode certificate is installed exactly when the trust
	// step succeeded on a platform signing applies to.
	trusted := slices.Contains(out.Steps, lifecycle.DMClientSetup) && !exempt(sc.Device.Platform)
	wantStores := []certs.Store(nil)
	if trusted {
		wantStores = []certs.Store{certs.PrivilegedExecution, certs.SPC}
	}
	if !slices.Equal(out.Authenticode, wantStores) {
		c.fail(11, "Authenticode certificate in %v, want %v", out.Authenticode, wantStores)
	}
	c.overwritten()
}

// overwritten restates the page's note: "Any ... client settings on the
// mobile device that do not conform to the new client configuration will be
// overwritten ... This includes any settings the user may have changed":
// when DMClientSetup configures an installed client, each device setting
// whose key (ignoring case) the package sets to another value. The
// password program leaves the client's settings alone (the library's
// modelling choice).
func (c *checker) overwritten() {
	out, sc := &c.out, &c.sc
	var want []lifecycle.Overwrite
	if c.ran && sc.Deployment.Component == lifecycle.Client && out.Event != lifecycle.Uninstall && out.From != lifecycle.None {
		pairs := sc.Deployment.Package.Settings.Pairs()
		for _, s := range sc.Device.Settings {
			i := slices.IndexFunc(pairs, func(p ini.Pair) bool { return strings.EqualFold(p.Key, s.Key) })
			if i >= 0 && pairs[i].Value != s.Value {
				want = append(want, lifecycle.Overwrite{Key: s.Key, Old: s.Value, New: pairs[i].Value, UserChanged: s.UserChanged})
			}
		}
		slices.SortStableFunc(want, func(a, b lifecycle.Overwrite) int { return strings.Compare(a.Key, b.Key) })
	}
	if len(want) != len(out.Overwritten) || (len(want) > 0 && !reflect.DeepEqual(want, out.Overwritten)) {
		c.fail(11, "settings overwritten %+v, want %+v", out.Overwritten, want)
	}
}

// sentinels are the errors an outcome's JSON keeps the identity of, as
// [lifecycle.Outcome]'s Err documents; the first prerequisites of them are
// the missing prerequisites.
const prerequisites = 10

var sentinels = [...]error{
	lifecycle.ErrNoClientAgent, lifecycle.ErrFolderIncomplete, lifecycle.ErrInvalidSettings, lifecycle.ErrConnection,
	lifecycle.ErrNotManaged, lifecycle.ErrNoManagementPoint, lifecycle.ErrNoDistributionPoint,
	lifecycle.ErrInventoryNotExtended, lifecycle.ErrPasswordProgramPlatform, lifecycle.ErrEnrollmentNotEnforced,
	lifecycle.ErrInvalidInput, lifecycle.ErrInvalidTransition, lifecycle.ErrBusy, certs.ErrAccessDenied,
	certs.ErrUntrustedInstaller, certs.ErrCAUnreachable, certs.ErrAuthenticationFailed,
	context.Canceled, context.DeadlineExceeded,
}

// RoundTrip is the second half of invariant 11 (see [Check]): it encodes
// out as JSON and decodes it, and returns the outcome decoded and nil, or a
// [*Violation] of invariant 11 when the decoded outcome is not out: another
// field, or an error with another message or matching other sentinels
// among those [lifecycle.Outcome]'s Err documents. An empty slice equals a
// missing one.
func RoundTrip(out lifecycle.Outcome) (lifecycle.Outcome, error) {
	fail := func(format string, args ...any) (lifecycle.Outcome, error) {
		return lifecycle.Outcome{}, &Violation{Invariant: 11, Detail: fmt.Sprintf(format, args...)}
	}
	data, err := json.Marshal(out)
	if err != nil {
		return fail("outcome does not encode as JSON: %v", err)
	}
	var back lifecycle.Outcome
	if err := json.Unmarshal(data, &back); err != nil {
		return fail("outcome's JSON does not decode: %v\n%s", err, data)
	}
	a, b := out, back
	if (a.Err == nil) != (b.Err == nil) || (a.Err != nil && a.Err.Error() != b.Err.Error()) {
		return fail("error %v comes back from JSON as %v", a.Err, b.Err)
	}
	for _, s := range sentinels {
		if errors.Is(a.Err, s) != errors.Is(b.Err, s) {
			return fail("error %v matches %v: %v, after JSON: %v", a.Err, s, errors.Is(a.Err, s), errors.Is(b.Err, s))
		}
	}
	a.Err, b.Err = nil, nil
	if !equalOutcomes(a, b) {
		return fail("outcome changes in a JSON round trip (-before +after):\n%s", cmp.Diff(a, b))
	}
	return back, nil
}

// equalOutcomes compares two outcomes without errors, an empty slice equal
// to a missing one.
func equalOutcomes(a, b lifecycle.Outcome) bool {
	norm := func(o *lifecycle.Outcome) {
		if len(o.Steps) == 0 {
			o.Steps = nil
		}
		if len(o.Authenticode) == 0 {
			o.Authenticode = nil
		}
		if len(o.Logs) == 0 {
			o.Logs = nil
		}
		if len(o.Overwritten) == 0 {
			o.Overwritten = nil
		}
		for i := range o.Logs {
			if len(o.Logs[i].Lines) == 0 {
				o.Logs[i].Lines = nil
			}
		}
	}
	a.Logs, b.Logs = slices.Clone(a.Logs), slices.Clone(b.Logs)
	norm(&a)
	norm(&b)
	return reflect.DeepEqual(a, b)
}
