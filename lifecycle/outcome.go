package lifecycle

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/version"
)

// Failure classifies why a run did not succeed, for reports. The zero
// Failure is [NoFailure].
type Failure uint8

// The failures, in the order [Failures] returns them.
const (
	// NoFailure: the run succeeded (or decided no action).
	NoFailure Failure = iota
	// FailureInput: a scenario field held an invalid value ([ErrInvalidInput]).
	FailureInput
	// FailurePrerequisites: a prerequisite was missing; nothing ran.
	FailurePrerequisites
	// FailureRejected: the client machine does not permit the event from
	// the device's state (see [TransitionError]).
	FailureRejected
	// FailureUntrusted: the device does not trust Mobile2Market;
	// DMInstaller could not run ([certs.ErrUntrustedInstaller]).
	FailureUntrusted
	// FailureAccessDenied: the trust step failed with Access Denied
	// ([certs.ErrAccessDenied]); DMClientSetup never ran.
	FailureAccessDenied
	// FailureEnrollment: the client was set up but certificate enrollment
	// failed ([certs.ErrCAUnreachable], [certs.ErrAuthenticationFailed]).
	// The transition completed.
	FailureEnrollment
	// FailureCanceled: the context ended before or during the run.
	FailureCanceled
)

var failureNames = names{typ: "Failure", first: uint8(NoFailure),
	list: []string{"none", "invalid input", "prerequisites", "rejected", "untrusted installer",
		"access denied", "enrollment", "canceled"}}

// Failures returns every Failure, [NoFailure] first.
func Failures() []Failure {
	return []Failure{NoFailure, FailureInput, FailurePrerequisites, FailureRejected,
		FailureUntrusted, FailureAccessDenied, FailureEnrollment, FailureCanceled}
}

// String returns the failure's name, such as "access denied".
func (f Failure) String() string { return failureNames.name(uint8(f)) }

// IsValid reports whether f is one of [Failures].
func (f Failure) IsValid() bool { return failureNames.valid(uint8(f)) }

// ParseFailure returns the Failure named s (case-insensitive).
func ParseFailure(s string) (Failure, error) {
	v, err := failureNames.parse(s)
	return Failure(v), err
}

// MarshalText implements encoding.TextMarshaler.
func (f Failure) MarshalText() ([]byte, error) { return failureNames.marshal(uint8(f)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *Failure) UnmarshalText(text []byte) error { return unmarshalText(&failureNames, text, f) }

// classify returns the Failure that err reports.
func classify(err error) Failure {
	switch {
	case err == nil:
		return NoFailure
	case errors.Is(err, ErrInvalidInput):
		return FailureInput
	case errors.Is(err, ErrInvalidTransition):
		return FailureRejected
	case errors.Is(err, certs.ErrUntrustedInstaller):
		return FailureUntrusted
	case errors.Is(err, certs.ErrAccessDenied):
		return FailureAccessDenied
	case errors.Is(err, certs.ErrCAUnreachable), errors.Is(err, certs.ErrAuthenticationFailed):
		return FailureEnrollment
	case errors.Is(err, errCanceled):
		return FailureCanceled
	}
	return FailurePrerequisites
}

// StatusMessage is the status message DMInstaller sends describing a failed
// trust step. It is sent only when the device is connected through an
// already managed Configuration Manager 2007 client computer.
type StatusMessage struct {
	Device  string        `json:"device,omitempty"` // the device's ID
	HRESULT certs.HRESULT `json:"hresult"`
	Text    string        `json:"text"`
}

// Overwrite is a client setting on the device that the deployment
// overwrote because it did not conform to the new configuration.
type Overwrite struct {
	Key         string `json:"key"`
	Old         string `json:"old"`
	New         string `json:"new"`
	UserChanged bool   `json:"userChanged,omitempty"` // the user had changed it on the device
}

// Outcome is the result of one run: plain data, comparable with go-cmp
// (with cmpopts.EquateErrors for Err) and encodable as JSON.
type Outcome struct {
	Device    string         `json:"device,omitempty"` // Scenario.Device.ID
	Component Component      `json:"component,omitempty"`
	Method    Method         `json:"method,omitempty"`
	Platform  certs.Platform `json:"platform,omitempty"`
	// From and To are the client machine's state before and after.
	From State `json:"from"`
	To   State `json:"to"`
	// Event is the event fired; [NoAction] when nothing ran.
	Event Event `json:"event"`
	// Before and After are the installed versions before and after; the
	// zero Version means none.
	Before version.Version `json:"before"`
	After  version.Version `json:"after"`
	// Steps are the installer chain's steps, in order, from [Staged].
	Steps []Step `json:"steps,omitempty"`
	// Authenticode lists the stores the Microsoft Authenticode certificate
	// was installed in.
	Authenticode []certs.Store `json:"authenticode,omitempty"`
	// Enrollment is the result of certificate enrollment; the zero value
	// means enrollment did not run.
	Enrollment certs.EnrollmentResult `json:"enrollment,omitempty"`
	// Logs are the log files written, in [LogKinds] order.
	Logs []LogFile `json:"logs,omitempty"`
	// Status is the status message sent, nil if none was.
	Status *StatusMessage `json:"status,omitempty"`
	// Overwritten lists the device settings overwritten, sorted by key.
	Overwritten []Overwrite `json:"overwritten,omitempty"`
	// Downgrade reports that a repair replaced a newer client with the
	// older deployed one: the only way the installed version goes down.
	Downgrade bool `json:"downgrade,omitempty"`
	// Failure classifies Err.
	Failure Failure `json:"failure,omitempty"`
	// Err is the error of the run, nil on success. JSON carries its message
	// as "error".
	Err error `json:"-"`
}

// Succeeded reports whether the run ended without error.
func (o Outcome) Succeeded() bool { return o.Err == nil }

// Log returns the log of kind k the run wrote, and whether it wrote one.
func (o Outcome) Log(k LogKind) (LogFile, bool) {
	for _, l := range o.Logs {
		if l.Kind == k {
			return l, true
		}
	}
	return LogFile{}, false
}

// RanStep reports whether the installer chain went through step s.
func (o Outcome) RanStep(s Step) bool { return slices.Contains(o.Steps, s) }

// Transitioned reports whether the client machine made the transition
// From --Event--> To: an event fired and the run succeeded, or only
// certificate enrollment failed, which it does after the transition
// ([FailureEnrollment]). Otherwise (no action, or a run that failed or was
// canceled before the transition committed) From equals To.
func (o Outcome) Transitioned() bool {
	return o.Event != NoAction && (o.Failure == NoFailure || o.Failure == FailureEnrollment)
}

type outcomeJSON Outcome

type outcomeWire struct {
	*outcomeJSON
	Error string `json:"error,omitempty"`
}

// MarshalJSON encodes o with its error message as "error".
func (o Outcome) MarshalJSON() ([]byte, error) {
	w := outcomeWire{outcomeJSON: (*outcomeJSON)(&o)}
	if o.Err != nil {
		w.Error = o.Err.Error()
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes what [Outcome.MarshalJSON] writes. The error comes
// back as an error with the same message; its identity (errors.Is) is not
// kept, but Failure is.
func (o *Outcome) UnmarshalJSON(data []byte) error {
	var w outcomeWire
	w.outcomeJSON = (*outcomeJSON)(o)
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	o.Err = nil
	if w.Error != "" {
		o.Err = errors.New(w.Error)
	}
	return nil
}
