package lifecycle

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LogKind is one of the device log files the product page lists. The zero
// LogKind is invalid.
type LogKind uint8

// The log kinds, in the order [LogKinds] returns them.
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

var logKindNames = names{typ: "LogKind", first: uint8(DMInstallerLog),
	list: []string{"DMInstaller", "DMClientSetup", "DMSvc", "DMCertEnroll"}}

// LogKinds returns the four log kinds.
func LogKinds() []LogKind {
	return []LogKind{DMInstallerLog, DMClientSetupLog, DMSvcLog, DMCertEnrollLog}
}

// String returns the log's base name: "DMInstaller", "DMClientSetup",
// "DMSvc" or "DMCertEnroll".
func (k LogKind) String() string { return logKindNames.name(uint8(k)) }

// IsValid reports whether k is one of [LogKinds].
func (k LogKind) IsValid() bool { return logKindNames.valid(uint8(k)) }

// ParseLogKind returns the LogKind named s (case-insensitive).
func ParseLogKind(s string) (LogKind, error) {
	v, err := logKindNames.parse(s)
	return LogKind(v), err
}

// MarshalText implements encoding.TextMarshaler.
func (k LogKind) MarshalText() ([]byte, error) { return logKindNames.marshal(uint8(k)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *LogKind) UnmarshalText(text []byte) error { return unmarshalText(&logKindNames, text, k) }

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

// ErrLogName is wrapped by the error [ParseLogName] returns for a name that
// is not a log file name of this library's format.
var ErrLogName = errors.New("lifecycle: not a device log file name")

// LogNameError reports a file name [ParseLogName] cannot read. It wraps
// [ErrLogName].
type LogNameError struct {
	Name   string // the name given
	Reason string // what is wrong with it
}

// Error returns a message naming the file and the fault.
func (e *LogNameError) Error() string {
	return "lifecycle: log file name " + strconv.Quote(e.Name) + ": " + e.Reason
}

// Unwrap returns [ErrLogName].
func (e *LogNameError) Unwrap() error { return ErrLogName }

// ParseLogName reads a name written by [LogFile.Name] back into its kind and
// time (case-insensitive in the kind and the extension). The result has no
// Lines.
func ParseLogName(name string) (LogFile, error) {
	bad := func(why string) (LogFile, error) {
		return LogFile{}, &LogNameError{Name: name, Reason: why}
	}
	base, ok := cutSuffixFold(name, ".log")
	if !ok {
		return bad("no .log extension")
	}
	kindText, stamp, ok := strings.Cut(base, "_")
	if !ok {
		return bad("no _ between kind and time")
	}
	kind, err := ParseLogKind(kindText)
	if err != nil || strings.TrimSpace(kindText) != kindText {
		return bad("unknown log kind " + strconv.Quote(kindText))
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

// Verification is what the log files found on a device say about the client
// installation; see [VerifyInstallation].
type Verification struct {
	// Installed reports that the DMInstaller, DMClientSetup and DMSvc logs
	// are all present, as they are after a successful installation.
	Installed bool `json:"installed"`
	// Enrolled reports a DMCertEnroll log: the installation enrolled
	// certificates.
	Enrolled bool `json:"enrolled"`
	// Found lists the log files found, sorted by time, then kind.
	Found []LogFile `json:"found,omitempty"`
	// Missing lists the kinds a successful installation leaves that were
	// not found.
	Missing []LogKind `json:"missing,omitempty"`
	// Ignored lists the names that are not log file names, sorted.
	Ignored []string `json:"ignored,omitempty"`
}

// ErrNotVerified is returned by [VerifyInstallation] when a log that a
// successful installation leaves is missing.
var ErrNotVerified = errors.New("lifecycle: installation not verified")

// VerifyInstallation checks the file names found on a device the way "How
// to Verify Mobile Device Client Installation or Upgrade" does: after a
// successful installation the DMInstaller, DMClientSetup and DMSvc logs are
// present, and DMCertEnroll only if the installation enrolled certificates.
// Names that are not log file names are ignored and listed. When a required
// log is missing the error wraps [ErrNotVerified] and names the missing
// kinds.
func VerifyInstallation(names []string) (Verification, error) {
	var v Verification
	seen := map[LogKind]bool{}
	for _, name := range names {
		l, err := ParseLogName(name)
		if err != nil {
			v.Ignored = append(v.Ignored, name)
			continue
		}
		v.Found = append(v.Found, l)
		seen[l.Kind] = true
	}
	slices.SortFunc(v.Found, func(a, b LogFile) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return int(a.Kind) - int(b.Kind)
	})
	slices.Sort(v.Ignored)
	for _, k := range []LogKind{DMInstallerLog, DMClientSetupLog, DMSvcLog} {
		if !seen[k] {
			v.Missing = append(v.Missing, k)
		}
	}
	v.Installed = len(v.Missing) == 0
	v.Enrolled = seen[DMCertEnrollLog]
	if !v.Installed {
		return v, &NotVerifiedError{Missing: slices.Clone(v.Missing)}
	}
	return v, nil
}

// NotVerifiedError names the logs a successful installation leaves that
// [VerifyInstallation] did not find. It wraps [ErrNotVerified].
type NotVerifiedError struct {
	Missing []LogKind
}

// Error returns a message naming the missing logs.
func (e *NotVerifiedError) Error() string {
	missing := make([]string, len(e.Missing))
	for i, k := range e.Missing {
		missing[i] = k.String()
	}
	return "lifecycle: installation not verified: missing " + strings.Join(missing, ", ") + " log"
}

// Unwrap returns [ErrNotVerified].
func (e *NotVerifiedError) Unwrap() error { return ErrNotVerified }
