package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
)

// Explanation is why a scenario got its outcome: the reasons as data,
// each part with the rule that owns it (Rule: the function or sentinel of
// package lifecycle or certs that decides it). [Explain] makes it;
// Explanation.String prints it as a few lines of text, and its JSON form
// (the field tags) is a stable schema.
//
// Values from the scenario that are outside their valid values are left
// zero (and out of the JSON); the outcome's error then says which.
type Explanation struct {
	// Device is the device's ID.
	Device    string              `json:"device"`
	Component lifecycle.Component `json:"component,omitempty"`
	Method    lifecycle.Method    `json:"method,omitempty"`
	Platform  certs.Platform      `json:"platform,omitempty"`
	// Decision is what the decision table chose, and whether it ran.
	Decision Decision `json:"decision"`
	// Prerequisites are the product page's prerequisites, each met or
	// missing, in the order [lifecycle.CheckPrerequisites] documents them;
	// nil when the scenario holds a field outside its valid values.
	Prerequisites []Prerequisite `json:"prerequisites"`
	// Trust is the trust step: what it did, or would do where it did not
	// run.
	Trust Trust `json:"trust"`
	// Enrollment is certificate enrollment: what it did, or would do.
	Enrollment Enrollment `json:"enrollment"`
	// Evidence is what the run left to read: the installer chain's steps,
	// the logs, the status message and the settings overwritten.
	Evidence Evidence `json:"evidence"`
	// Error is the outcome's error message, "" when it has none.
	Error string `json:"error,omitempty"`
}

// Decision is what the decision table chose for a scenario.
type Decision struct {
	// Rule is "lifecycle.Decide", or "lifecycle.Deployment.Repair" when a
	// repair was asked for.
	Rule string `json:"rule"`
	// Installed is the device's installed version of the deployed
	// component, the zero Version (JSON "") when none is; Deployed is the
	// package's.
	Installed version.Version `json:"installed"`
	Deployed  version.Version `json:"deployed"`
	// State is [lifecycle.Classify] of the two.
	State lifecycle.State `json:"state"`
	// Action is the package's ClientInstallAction; ActionDefaulted
	// reports that the .ini did not set it.
	Action          ini.Action `json:"clientInstallAction,omitempty"`
	ActionDefaulted bool       `json:"actionDefaulted,omitempty"`
	// Repair reports that the deployment asked for a repair.
	Repair bool `json:"repair"`
	// Event is the event chosen ([lifecycle.Scenario.Event]): Repair when
	// asked for, otherwise [lifecycle.Decide] of State and Action.
	Event lifecycle.Event `json:"event"`
	// Permitted reports that [lifecycle.ClientTransitions] declares Event
	// from State; a repair where nothing is installed is not, and
	// NoAction, which fires nothing, never is.
	Permitted bool `json:"permitted"`
	// From and To are the outcome's states; Transitioned is
	// [lifecycle.Outcome.Transitioned]: DMClientSetup ran the event.
	From         lifecycle.State `json:"from"`
	To           lifecycle.State `json:"to"`
	Transitioned bool            `json:"transitioned"`
}

// Prerequisite is one prerequisite of a deployment, met or missing as
// [lifecycle.CheckPrerequisites] reports it.
type Prerequisite struct {
	// Name is the short name the outcome's JSON gives the sentinel in
	// "is", such as "management point".
	Name string `json:"name"`
	// Rule is the sentinel that reports it missing, such as
	// "lifecycle.ErrNoManagementPoint".
	Rule string `json:"rule"`
	// Met reports that CheckPrerequisites does not report the sentinel:
	// the prerequisite is in place, or this deployment does not need it.
	Met bool `json:"met"`
	// Text says what is needed, such as "a management point enabled for
	// mobile device management".
	Text string `json:"text"`
}

// Trust is the trust step of a scenario: DMInstaller installing the
// Microsoft Authenticode certificate.
type Trust struct {
	// Rule is "certs.EstablishTrust".
	Rule string `json:"rule"`
	// SigningApplies is [certs.Platform.SigningApplies] of the platform.
	SigningApplies bool `json:"signingApplies"`
	// TrustsMobile2Market and PrivilegesRestricted are the device's two
	// security facts; Unlocked is [certs.Security.Unlocked] of them.
	TrustsMobile2Market  bool `json:"trustsMobile2Market"`
	PrivilegesRestricted bool `json:"privilegesRestricted"`
	Unlocked             bool `json:"unlocked"`
	// Ran reports that the trust step ran in the outcome (the installer
	// chain went past Staged).
	Ran bool `json:"ran"`
	// Result is what [certs.EstablishTrust] does on the platform with the
	// device's security: what the step did when it ran, what it would do
	// otherwise. Denied reports that it fails ([certs.ErrAccessDenied]).
	Result certs.TrustResult `json:"result"`
	Denied bool              `json:"denied"`
}

// Enrollment is certificate enrollment in a scenario.
type Enrollment struct {
	// Rule is "certs.Enroll".
	Rule string `json:"rule"`
	// Mode is the site mode; Required is
	// [certs.SiteMode.RequiresEnrollment] of it.
	Mode     certs.SiteMode `json:"mode,omitempty"`
	Required bool           `json:"required"`
	// Enforced reports CertEnrollAction=Enroll in the package's .ini
	// ([ini.Settings.Enroll]).
	Enforced bool `json:"enforced"`
	// Certificate reports that the device holds a valid certificate, Renew
	// that the deployment renews it.
	Certificate bool `json:"certificate"`
	Renew       bool `json:"renew"`
	// CAReachable and AuthenticationSucceeds are what enrollment meets:
	// the certification authority and the user's authentication.
	CAReachable            bool `json:"caReachable"`
	AuthenticationSucceeds bool `json:"authenticationSucceeds"`
	// Ran reports that enrollment ran in the outcome.
	Ran bool `json:"ran"`
	// Result is [certs.Enroll] of the conditions: how enrollment ended
	// when it ran, how it would end otherwise.
	Result certs.EnrollmentResult `json:"result"`
}

// Evidence is what a run left to read on the device and at the site.
type Evidence struct {
	// Rule is "lifecycle.Verify".
	Rule string `json:"rule"`
	// Steps are the installer chain's steps.
	Steps []lifecycle.Step `json:"steps,omitempty"`
	// Logs are the log files written, with their lines.
	Logs []lifecycle.LogFile `json:"logs,omitempty"`
	// Status is the status message sent, nil when none was.
	Status *lifecycle.StatusMessage `json:"status,omitempty"`
	// Overwritten are the device settings overwritten.
	Overwritten []lifecycle.Overwrite `json:"overwritten,omitempty"`
	// Verification is what an administrator reading the logs concludes:
	// [lifecycle.Verify] of them.
	Verification lifecycle.Verification `json:"verification"`
}

// prerequisites are the sentinels of [lifecycle.CheckPrerequisites], in
// the order it documents them, with the name the outcome's JSON gives
// each and what each needs, in the product page's words where it has
// them.
var prerequisites = [...]struct {
	err              error
	name, rule, text string
}{
	{lifecycle.ErrNoClientAgent, "client agent", "lifecycle.ErrNoClientAgent", "a properly configured Mobile Device Client Agent"},
	{lifecycle.ErrFolderIncomplete, "deployment folder", "lifecycle.ErrFolderIncomplete", "a deployment folder containing all necessary client installation files"},
	{lifecycle.ErrInvalidSettings, "settings", "lifecycle.ErrInvalidSettings", "a DMCommonInstaller.ini or ClientSettings.ini properly configured for the device"},
	{lifecycle.ErrConnection, "connection", "lifecycle.ErrConnection", "a connection the method reaches the device through"},
	{lifecycle.ErrNotManaged, "managed device", "lifecycle.ErrNotManaged", "an already managed device"},
	{lifecycle.ErrNoManagementPoint, "management point", "lifecycle.ErrNoManagementPoint", "a management point enabled for mobile device management"},
	{lifecycle.ErrNoDistributionPoint, "distribution point", "lifecycle.ErrNoDistributionPoint", "a distribution point enabled for mobile devices"},
	{lifecycle.ErrInventoryNotExtended, "inventory extension", "lifecycle.ErrInventoryNotExtended", "the hardware inventory of the computers that synchronize with devices extended"},
	{lifecycle.ErrPasswordProgramPlatform, "password program platform", "lifecycle.ErrPasswordProgramPlatform", "the password program on Pocket PC 2003 only"},
	{lifecycle.ErrEnrollmentNotEnforced, "certificate enrollment", "lifecycle.ErrEnrollmentNotEnforced", "CertEnrollAction=Enroll where the site mode requires certificate enrollment"},
}

// Explain returns why scenario sc got outcome out, the outcome of running
// it ([lifecycle.Run], or [lifecycle.Machine.Deploy] on a machine holding
// sc.Device): the decision, each prerequisite, the trust step, enrollment
// and what the logs and the status message say. Every reason comes from
// the rule that owns it (Classify, Decide, CheckPrerequisites with
// errors.Is on each sentinel, certs.EstablishTrust, certs.Enroll, Verify)
// and from the outcome; Explain restates no rule of its own.
func Explain(sc lifecycle.Scenario, out lifecycle.Outcome) Explanation {
	dev, dep := &sc.Device, &sc.Deployment
	settings := &dep.Package.Settings
	e := Explanation{
		Device:    dev.ID,
		Component: valid(dep.Component),
		Method:    valid(dep.Method),
		Platform:  valid(dev.Platform),
	}

	d := &e.Decision
	d.Rule = ifElse(dep.Repair, "lifecycle.Deployment.Repair", "lifecycle.Decide")
	switch e.Component {
	case lifecycle.Client:
		d.Installed = dev.Client
	case lifecycle.PasswordProgram:
		d.Installed = dev.PasswordProgram
	}
	d.Deployed = dep.Package.Version
	d.State = lifecycle.Classify(d.Installed, d.Deployed)
	d.Action, d.ActionDefaulted = valid(settings.ClientInstallAction), settings.ActionDefaulted
	d.Repair = dep.Repair
	d.Event = sc.Event()
	switch {
	case d.Event == lifecycle.NoAction:
	case !d.Repair:
		// The guards of the events Decide chooses are derived from Decide:
		// what it chooses, the table declares.
		d.Permitted = true
	default:
		for _, t := range lifecycle.ClientTransitions() {
			if t.Event == d.Event && t.From == d.State {
				d.Permitted = true
			}
		}
	}
	d.From, d.To, d.Transitioned = out.From, out.To, out.Transitioned()

	if err := lifecycle.CheckPrerequisites(sc); !errors.Is(err, lifecycle.ErrInvalidInput) {
		e.Prerequisites = make([]Prerequisite, len(prerequisites))
		for i, p := range prerequisites {
			e.Prerequisites[i] = Prerequisite{Name: p.name, Rule: p.rule, Met: !errors.Is(err, p.err), Text: p.text}
		}
	}

	res, terr := certs.EstablishTrust(dev.Platform, dev.Security)
	e.Trust = Trust{
		Rule:                 "certs.EstablishTrust",
		SigningApplies:       dev.Platform.SigningApplies(),
		TrustsMobile2Market:  dev.Security.TrustsMobile2Market,
		PrivilegesRestricted: dev.Security.PrivilegesRestricted,
		Unlocked:             dev.Security.Unlocked(),
		Ran:                  len(out.Steps) > 1,
		Result:               res,
		Denied:               errors.Is(terr, certs.ErrAccessDenied),
	}

	enrolled, _ := certs.Enroll(dev.Enrollment)
	e.Enrollment = Enrollment{
		Rule:                   "certs.Enroll",
		Mode:                   valid(dep.Site.Mode),
		Required:               dep.Site.Mode.RequiresEnrollment(),
		Enforced:               settings.Enroll(),
		Certificate:            dev.Certificate,
		Renew:                  dep.RenewCertificate,
		CAReachable:            dev.Enrollment.CAReachable,
		AuthenticationSucceeds: dev.Enrollment.AuthenticationSucceeds,
		Ran:                    out.Enrollment.IsValid(),
		Result:                 enrolled,
	}

	e.Evidence = Evidence{
		Rule:         "lifecycle.Verify",
		Steps:        out.Steps,
		Logs:         out.Logs,
		Status:       out.Status,
		Overwritten:  out.Overwritten,
		Verification: lifecycle.Verify(out.Logs),
	}
	if out.Err != nil {
		e.Error = out.Err.Error()
	}
	return e
}

// valid returns v, or its zero value when v does not marshal (is outside
// its type's valid values).
func valid[T interface{ MarshalText() ([]byte, error) }](v T) T {
	if _, err := v.MarshalText(); err != nil {
		var zero T
		return zero
	}
	return v
}

// String returns the explanation as a few lines of text: a headline (the
// device, the deployment and what happened), then one line each for the
// decision, the prerequisites, the trust step, enrollment, the logs and
// what they verify, the status message and the error, each ending with
// the rule that owns it in brackets. Values from the input are quoted.
func (e Explanation) String() string {
	var b strings.Builder
	d := &e.Decision
	fmt.Fprintf(&b, "%s: %s by %s, %s: ", quote.Short(e.Device), e.Component, e.Method, e.Platform)
	switch {
	case d.Transitioned:
		fmt.Fprintf(&b, "%v -> %v by %v", d.From, d.To, d.Event)
	case d.Event == lifecycle.NoAction:
		fmt.Fprintf(&b, "%v: no action", d.From)
	default:
		fmt.Fprintf(&b, "%v: %v not carried out", d.From, d.Event)
	}
	if e.Error != "" {
		b.WriteString(", failed")
	}
	b.WriteString("\n")

	installed := "no " + e.Component.String() + " installed"
	if d.Installed.IsValid() {
		installed = fmt.Sprintf("%v installed (%v)", d.Installed, d.State)
	}
	fmt.Fprintf(&b, "  decision: %s, %v deployed, ", installed, versionText(d.Deployed))
	if d.Repair {
		b.WriteString("repair asked for")
	} else {
		fmt.Fprintf(&b, "%s=%v", ini.KeyClientInstallAction, d.Action)
		if d.ActionDefaulted {
			b.WriteString(" (defaulted)")
		}
	}
	fmt.Fprintf(&b, ": %v", d.Event)
	if d.Event != lifecycle.NoAction && !d.Permitted {
		fmt.Fprintf(&b, ", not permitted from %v", d.State)
	}
	fmt.Fprintf(&b, " [%s]\n", d.Rule)

	b.WriteString("  prerequisites: ")
	met := 0
	var missing []string
	for _, p := range e.Prerequisites {
		if p.Met {
			met++
		} else {
			missing = append(missing, fmt.Sprintf("%s [%s]", p.Text, p.Rule))
		}
	}
	switch {
	case e.Prerequisites == nil:
		b.WriteString("not checked: invalid input [lifecycle.ErrInvalidInput]\n")
	case len(missing) == 0:
		fmt.Fprintf(&b, "all %d met [lifecycle.CheckPrerequisites]\n", met)
	default:
		fmt.Fprintf(&b, "%d met, missing %s\n", met, strings.Join(missing, "; "))
	}

	t := &e.Trust
	b.WriteString("  trust: ")
	if !t.SigningApplies {
		fmt.Fprintf(&b, "signing does not apply to %v", e.Platform)
	} else {
		fmt.Fprintf(&b, "signing applies to %v; the device %s Mobile2Market; privileges %s",
			e.Platform, ifElse(t.TrustsMobile2Market, "trusts", "does not trust"),
			ifElse(t.PrivilegesRestricted, "restricted", "not restricted"))
	}
	b.WriteString(ifElse(t.Ran, ": ", ": did not run; would: "))
	switch r := &t.Result; {
	case !r.InstallerRan:
		b.WriteString("DMInstaller cannot run")
	case r.Exempt:
		b.WriteString("exempt")
	case len(r.Installed) > 0:
		fmt.Fprintf(&b, "Authenticode certificate installed in %s", storesText(r.Installed))
	default:
		b.WriteString("no certificate installed")
	}
	b.WriteString(ifElse(t.Result.SetupMayRun, ", DMClientSetup may run", ", DMClientSetup may not run"))
	if t.Result.LogLine != "" {
		fmt.Fprintf(&b, ", logged %q", t.Result.LogLine)
	}
	fmt.Fprintf(&b, " [%s]\n", t.Rule)

	n := &e.Enrollment
	fmt.Fprintf(&b, "  enrollment: %v mode %s; %s%s=%s; %s; CA %s, authentication %s: ",
		n.Mode, ifElse(n.Required, "requires it", "does not require it"),
		ifElse(n.Enforced, "", "no "), ini.KeyCertEnrollAction, ini.CertEnroll,
		ifElse(n.Certificate, "certificate held", "no certificate held")+ifElse(n.Renew, ", renewal asked", ""),
		ifElse(n.CAReachable, "reachable", "unreachable"), ifElse(n.AuthenticationSucceeds, "succeeds", "fails"))
	if n.Ran {
		fmt.Fprintf(&b, "ran: %v", n.Result)
	} else {
		fmt.Fprintf(&b, "did not run; would end: %v", n.Result)
	}
	fmt.Fprintf(&b, " [%s]\n", n.Rule)

	v := &e.Evidence
	if len(v.Logs) == 0 {
		b.WriteString("  logs: none\n")
	}
	for _, l := range v.Logs {
		fmt.Fprintf(&b, "  log %s:", l.Name())
		for _, line := range l.Lines {
			fmt.Fprintf(&b, " %q", line)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "  verify: %s [%s]\n", v.Verification.Reason, v.Rule)
	if v.Status != nil {
		fmt.Fprintf(&b, "  status message: %v %q\n", v.Status.HRESULT, v.Status.Text)
	}
	if len(v.Overwritten) > 0 {
		b.WriteString("  overwritten:")
		for _, o := range v.Overwritten {
			fmt.Fprintf(&b, " %s", quote.Short(o.Key+"="+o.Old+" -> "+o.New))
			if o.UserChanged {
				b.WriteString(" (changed by the user)")
			}
		}
		b.WriteString("\n")
	}
	if e.Error != "" {
		fmt.Fprintf(&b, "  error: %s\n", e.Error)
	}
	return b.String()
}

func storesText(stores []certs.Store) string {
	s := make([]string, len(stores))
	for i, st := range stores {
		s[i] = st.String()
	}
	return strings.Join(s, " and ")
}
