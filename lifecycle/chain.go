package lifecycle

import (
	"errors"
	"slices"
	"strings"

	"github.com/mobiledm/dmclient/certs"
)

// The lines the installer chain writes to the device's logs.
const (
	lineStarted    = "DMInstaller started."
	lineRefused    = "DMInstaller could not run: the device does not trust its Mobile2Market signature."
	lineStopped    = "DMInstaller exited without calling DMClientSetup."
	lineTrusted    = "Microsoft Authenticode certificate installed in the privileged execution and SPC stores."
	lineExempt     = "Code signing does not apply to this platform."
	lineCalled     = "DMInstaller called DMClientSetup."
	lineExited     = "DMClientSetup exited with success."
	lineService    = "Device management service started."
	lineEnrolled   = "User authentication certificate enrolled."
	lineUnreached  = lineEnrollFailed + ": the certification authority is unreachable."
	lineAuthFailed = lineEnrollFailed + ": authentication to the certification authority failed."
)

// runBuffer is the backing store of the outcome slices of a run that
// reaches DMClientSetup and enrolls: five steps (staged, dminstaller,
// dmclientsetup, enrollment, done), four logs and seven log lines.
type runBuffer struct {
	steps [5]Step
	logs  [4]LogFile
	lines [7]string
}

// shortRunBuffer is the backing store of a run that reaches DMClientSetup
// and does not enroll: at most four steps, three logs and six lines. It
// is a size class below a [runBuffer] (288 bytes, not 352).
type shortRunBuffer struct {
	steps [4]Step
	logs  [3]LogFile
	lines [6]string
}

// denialBuffer is the backing store of a run the trust step denies: at most
// three steps (staged, dminstaller, denied), DMInstaller's log and its three
// lines. Most runs that reach the chain are denied.
type denialBuffer struct {
	steps [3]Step
	logs  [1]LogFile
	lines [3]string
}

// reportedDenial is a [denialBuffer] with the status message of a device
// connected through a managed client computer, the only one that sends
// it: the others' buffer is a size class smaller (112 bytes, not 160).
type reportedDenial struct {
	denialBuffer
	status StatusMessage
}

// chainStep fires chain event e: it checks the run's context (a step
// boundary), moves the chain as the declared table says and tells the
// observer.
func (m *Machine) chainStep(r *run, e string) error {
	if err := r.ctx.Err(); err != nil {
		return canceled(err)
	}
	from := r.out.Steps[len(r.out.Steps)-1]
	to, ok := chainTo(e, from)
	if !ok {
		return errors.New("lifecycle: installer chain: " + e + " not declared from " + from.String())
	}
	r.out.Steps = append(r.out.Steps, to)
	if m.opts.OnStep != nil {
		m.observe(func() { m.opts.OnStep(r.ctx, from, to) })
	}
	return nil
}

// runChain walks the installer chain for r from its declared table:
// DMInstaller, the trust step ([certs.EstablishTrust]), DMClientSetup,
// enrollment where the deployment needs a certificate, done; or denied. It
// returns an error only when the client transition must be canceled: a
// failure before DMClientSetup ran. A failure after it (a context that
// ended, a failed enrollment) is r.late: the action is done.
func (m *Machine) runChain(r *run) error {
	sc, out := &r.sc, &r.out
	dev, dep := &sc.Device, &sc.Deployment
	ev := out.Event
	trust, terr := certs.EstablishTrust(dev.Platform, dev.Security)
	if terr != nil {
		return m.denied(r, trust, terr)
	}
	enrolls := needsCertificate(sc, ev) && dep.Package.Settings.Enroll()
	// One allocation holds the steps, logs and log lines of the run, sized
	// for whether it enrolls; the outcome's slices are capped windows of
	// it, so appending to one never writes into another.
	var steps []Step
	var logs []LogFile
	var lines []string
	if enrolls {
		buf := new(runBuffer)
		steps, logs, lines = buf.steps[:0], buf.logs[:0], buf.lines[:0]
	} else {
		buf := new(shortRunBuffer)
		steps, logs, lines = buf.steps[:0], buf.logs[:0], buf.lines[:0]
	}
	out.Steps = append(steps, Staged)
	if err := m.chainStep(r, chainRunInstaller); err != nil {
		return err
	}
	lines = append(lines, lineStarted)
	out.Logs = append(logs, LogFile{Kind: DMInstallerLog, Time: r.at, Lines: lines[:1:1]})
	if err := m.chainStep(r, chainTrust); err != nil {
		return err
	}
	// DMClientSetup ran the action: from here on the transition stands.
	out.Authenticode = trust.Installed
	trustLine := lineTrusted
	if trust.Exempt {
		trustLine = lineExempt
	}
	lines = append(lines, trustLine, lineCalled, lineExited, setupLine(dep.Component, ev))
	out.Logs[0].Lines = lines[:4:4]
	out.Logs = append(out.Logs, LogFile{Kind: DMClientSetupLog, Time: r.at, Lines: lines[4:5:5]})
	if dep.Component == Client && ev != Uninstall {
		out.Overwritten = overwrites(sc, out.From)
	}
	if dep.Component == Client && ev != Uninstall {
		lines = append(lines, lineService)
		out.Logs = append(out.Logs, LogFile{Kind: DMSvcLog, Time: r.at, Lines: lines[5:6:6]})
	}
	if enrolls {
		if err := m.chainStep(r, chainEnroll); err != nil {
			r.late = err
			return nil
		}
		res, _ := certs.Enroll(dev.Enrollment)
		out.Enrollment = res
		lines = append(lines, enrollLine(res))
		out.Logs = append(out.Logs, LogFile{Kind: DMCertEnrollLog, Time: r.at, Lines: lines[len(lines)-1:]})
		if err := res.Err(); err != nil {
			r.late = err
		}
	}
	if err := m.chainStep(r, chainFinish); err != nil {
		r.late = errors.Join(r.late, err) // a failed enrollment and a context that ended both tell
	}
	return nil
}

// denied walks the chain of a run whose trust step failed with terr:
// DMInstaller could not run (refuse), or ran and was denied (deny). It
// records DMInstaller's log and the status message, sent only when the
// device is connected through a managed client computer, and returns terr,
// which cancels the client transition; or the context's error when the run
// stopped at a step boundary first.
func (m *Machine) denied(r *run, trust certs.TrustResult, terr error) error {
	out := &r.out
	dev := &r.sc.Device
	var buf *denialBuffer
	var status *StatusMessage
	if dev.Connection == ViaManagedComputer {
		b := new(reportedDenial)
		buf, status = &b.denialBuffer, &b.status
	} else {
		buf = new(denialBuffer)
	}
	out.Steps = append(buf.steps[:0], Staged)
	lines := buf.lines[:0]
	if !trust.InstallerRan {
		if err := m.chainStep(r, chainRefuse); err != nil {
			return err
		}
		lines = append(lines, lineRefused, trust.LogLine)
	} else {
		if err := m.chainStep(r, chainRunInstaller); err != nil {
			return err
		}
		lines = append(lines, lineStarted)
		if err := m.chainStep(r, chainDeny); err != nil {
			out.Logs = append(buf.logs[:0], LogFile{Kind: DMInstallerLog, Time: r.at, Lines: lines[:1:1]})
			return err
		}
		lines = append(lines, trust.LogLine, lineStopped)
	}
	out.Logs = append(buf.logs[:0], LogFile{Kind: DMInstallerLog, Time: r.at, Lines: lines[:len(lines):len(lines)]})
	if status != nil {
		*status = StatusMessage{Device: dev.ID, HRESULT: certs.EAccessDenied, Text: terr.Error()}
		out.Status = status
	}
	return terr
}

// setupLine is what DMClientSetup writes about the action it ran.
func setupLine(c Component, ev Event) string {
	if c == PasswordProgram {
		switch ev {
		case Install:
			return "Installed the password program."
		case Upgrade:
			return "Upgraded the password program to the deployed version."
		case Reconfigure:
			return "Reconfigured the password program settings."
		case Uninstall:
			return "Removed the password program."
		case Repair:
			return "Repaired the password program: removed it, then installed the deployed version."
		}
		return ""
	}
	switch ev {
	case Install:
		return "Installed the client."
	case Upgrade:
		return "Upgraded the client to the deployed version."
	case Reconfigure:
		return "Reconfigured the client settings."
	case Uninstall:
		return lineRemoved
	case Repair:
		return "Repaired the client: removed it, then installed the deployed version."
	}
	return ""
}

// enrollLine is what the enrollment writes to the DMCertEnroll log.
func enrollLine(r certs.EnrollmentResult) string {
	switch r {
	case certs.CAUnreachable:
		return lineUnreached
	case certs.AuthenticationFailed:
		return lineAuthFailed
	}
	return lineEnrolled
}

// overwrites lists the device's client settings that the package's
// configuration replaces (by ini's Settings.Value), sorted by key. Only a
// client deployment has them: the password program leaves the client's
// settings alone. Keys compare case-insensitively, as .ini keys do; a
// device without the component has no settings to overwrite.
func overwrites(sc *Scenario, from State) []Overwrite {
	if from == None || len(sc.Device.Settings) == 0 {
		return nil
	}
	var ow []Overwrite
	for _, s := range sc.Device.Settings {
		if v, ok := sc.Deployment.Package.Settings.Value(s.Key); ok && v != s.Value {
			ow = append(ow, Overwrite{Key: s.Key, Old: s.Value, New: v, UserChanged: s.UserChanged})
		}
	}
	slices.SortFunc(ow, func(a, b Overwrite) int { return strings.Compare(a.Key, b.Key) })
	return ow
}
