package lifecycle

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/mobiledm/dmclient/internal/enum"
	"github.com/mobiledm/dmclient/internal/quote"
)

// LogKind is one of the device log files the product page lists. The zero
// LogKind is invalid.
type LogKind uint8

// The log kinds.
const (
	// DMInstallerLog records whether DMInstaller called DMClientSetup and how
	// setup exited, and the "Access Denied (0x80070005)." line when the trust
	// step fails.
	DMInstallerLog LogKind = iota + 1
	// DMClientSetupLog records DMClientSetup's install, upgrade,
	// reconfiguration or removal.
	DMClientSetupLog
	// DMSvcLog records the client service's communication with the
	// management point.
	DMSvcLog
	// DMCertEnrollLog is present only if the installation enrolled
	// certificates.
	DMCertEnrollLog
)

var logKindNames = enum.Names{Pkg: "lifecycle", Type: "LogKind", First: uint8(DMInstallerLog),
	List: []string{"DMInstaller", "DMClientSetup", "DMSvc", "DMCertEnroll"}, Err: ErrInvalidInput}

// String returns the log's base name: "DMInstaller", "DMClientSetup",
// "DMSvc" or "DMCertEnroll".
func (k LogKind) String() string { return logKindNames.Name(uint8(k)) }

// MarshalText implements encoding.TextMarshaler; an invalid LogKind is an
// error.
func (k LogKind) MarshalText() ([]byte, error) { return logKindNames.Marshal(uint8(k)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case.
func (k *LogKind) UnmarshalText(text []byte) error { return enum.Unmarshal(&logKindNames, text, k) }

// logTimeLayout is the timestamp in log file names; see [LogFile.Name].
const logTimeLayout = "20060102-150405"

// LogFile is a log file written on the device.
type LogFile struct {
	Kind LogKind `json:"kind"`
	// Time is when the run that wrote the log started, in UTC, to the
	// second: the [date:time] of the file name.
	Time time.Time `json:"time"`
	// Lines are what the run wrote to the log.
	Lines []string `json:"lines,omitempty"`
}

// Name returns the file name on the device.
//
// Modelling choice: the product page writes the names as
// "DMInstaller[date:time].log" without saying how the date and time are
// spelled, and ':' cannot appear in a Windows file name. This library writes
// the kind, an underscore, the UTC date as yyyymmdd, a hyphen and the time
// as hhmmss: "DMInstaller_20261126-094300.log". [ParseLogName] reads it back.
func (l LogFile) Name() string {
	return l.Kind.String() + "_" + l.Time.UTC().Format(logTimeLayout) + ".log"
}

// ParseLogName reads a name written by [LogFile.Name] back into its kind and
// time (case-insensitive in the kind and the extension). The result has no
// Lines. A name of another form is an error wrapping [ErrInvalidInput].
func ParseLogName(name string) (LogFile, error) {
	bad := func(why string) (LogFile, error) {
		return LogFile{}, &InputError{Field: "log file name " + quote.Short(name), Err: errors.New(why)}
	}
	base, ok := cutSuffixFold(name, ".log")
	if !ok {
		return bad("no .log extension")
	}
	kindText, stamp, ok := strings.Cut(base, "_")
	if !ok {
		return bad("no _ between kind and time")
	}
	var kind LogKind
	if err := kind.UnmarshalText([]byte(kindText)); err != nil || strings.TrimSpace(kindText) != kindText {
		return bad("unknown log kind " + quote.Short(kindText))
	}
	if len(stamp) != len(logTimeLayout) {
		return bad("time is not yyyymmdd-hhmmss")
	}
	t, err := time.Parse(logTimeLayout, stamp)
	if err != nil {
		return bad("time is not yyyymmdd-hhmmss")
	}
	return LogFile{Kind: kind, Time: t}, nil
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) < len(suffix) || !strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}

// Verification is what the log files found on a device say about its
// client; see [Verify].
type Verification struct {
	// Installed reports that the run judged left the client installed:
	// its DMInstaller, DMClientSetup and DMSvc logs are all there and
	// DMClientSetup did not remove the client.
	Installed bool `json:"installed"`
	// Enrolled reports that the run judged, or one before it, enrolled a
	// certificate: a DMCertEnroll log that does not record a failure. A
	// DMCertEnroll log read by name alone (no lines) counts as enrolled.
	Enrolled bool `json:"enrolled"`
	// Judged is the time of the run judged (the zero Time when there is
	// none).
	Judged time.Time `json:"judged"`
	// Reason says why, such as "the run of 2026-11-26 09:43:00 installed
	// the client".
	Reason string `json:"reason"`
	// Missing lists the logs a successful installation leaves that the run
	// judged lacks.
	Missing []LogKind `json:"missing,omitempty"`
}

// The lines the library writes that [Verify] reads back.
const (
	lineAccessDenied = "Access Denied (0x80070005)."
	lineRemoved      = "Removed the client."
	lineEnrollFailed = "Certificate enrollment failed"
	linePassword     = "password program"
)

// Verify reads a device's log files, as "How to Verify Mobile Device
// Client Installation or Upgrade" does: after a successful installation
// the DMInstaller, DMClientSetup and DMSvc logs are present, and
// DMCertEnroll "will only be present if the mobile device client
// installation enrolled certificates".
//
// The logs of one run share its time ([LogFile].Time); the latest run
// decides. A run whose DMClientSetup never ran (a DMInstaller log alone,
// such as after Access Denied) changed nothing, so the run before it is
// judged instead, and Reason says so. A run of the password program says
// nothing about the client and is passed over. A run that removed the
// client leaves it not installed; a run that lacks a log a successful
// installation leaves is not verified, and Missing names the logs.
//
// Modelling choice: where a log's Lines are given, Verify reads the lines
// the library itself writes (the Access Denied line, DMClientSetup's
// action, a failed enrollment); where they are not (names read with
// [ParseLogName] alone), it judges from the names and times.
func Verify(logs []LogFile) Verification {
	// One run's logs share an instant, not necessarily a location: the key
	// is the instant in UTC, so that == on the map's keys compares instants.
	runs := make(map[time.Time][]LogFile)
	for _, l := range logs {
		t := l.Time.UTC()
		runs[t] = append(runs[t], l)
	}
	times := make([]time.Time, 0, len(runs))
	for t := range runs {
		times = append(times, t)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return b.Compare(a) }) // latest first
	var v Verification
	var passed []string
	for i, t := range times {
		run := runs[t]
		setup, hasSetup := findLog(run, DMClientSetupLog)
		installer, hasInstaller := findLog(run, DMInstallerLog)
		stamp := t.UTC().Format(time.DateTime)
		switch {
		case hasSetup && mentions(setup, linePassword):
			passed = append(passed, "the run of "+stamp+" deployed the password program")
			continue
		case !hasSetup && hasInstaller && len(run) == 1:
			why := "DMClientSetup never ran"
			if mentions(installer, lineAccessDenied) {
				why = "it was denied (" + lineAccessDenied + ")"
			}
			passed = append(passed, "the run of "+stamp+" changed nothing: "+why)
			continue
		}
		v.Judged = t
		for _, k := range [...]LogKind{DMInstallerLog, DMClientSetupLog, DMSvcLog} {
			if _, ok := findLog(run, k); !ok {
				v.Missing = append(v.Missing, k)
			}
		}
		switch {
		case hasSetup && mentions(setup, lineRemoved):
			v.Reason = "the run of " + stamp + " removed the client"
		case len(v.Missing) > 0:
			v.Reason = "the run of " + stamp + " did not complete: no " + kindList(v.Missing) + " log"
		default:
			v.Installed = true
			v.Reason = "the run of " + stamp + " installed the client"
		}
		for _, u := range times[i:] {
			if l, ok := findLog(runs[u], DMCertEnrollLog); ok && !mentions(l, lineEnrollFailed) {
				v.Enrolled = true
				break
			}
		}
		break
	}
	if v.Judged.IsZero() {
		v.Reason = "no run of the client"
	}
	if len(passed) > 0 {
		v.Reason += " (passed over: " + strings.Join(passed, "; ") + ")"
	}
	return v
}

func findLog(run []LogFile, k LogKind) (LogFile, bool) {
	for _, l := range run {
		if l.Kind == k {
			return l, true
		}
	}
	return LogFile{}, false
}

func mentions(l LogFile, s string) bool {
	return slices.ContainsFunc(l.Lines, func(line string) bool { return strings.Contains(line, s) })
}

func kindList(ks []LogKind) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.String()
	}
	return strings.Join(names, ", ")
}
