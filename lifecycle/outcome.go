package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"math/bits"
	"slices"
	"strings"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/enum"
	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/version"
)

// Failure classifies why a run did not succeed, for reports. The zero
// Failure is [NoFailure].
type Failure uint8

// The failures.
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
	// The transition committed.
	FailureEnrollment
	// FailureCanceled: the context ended before or during the run. The
	// chain stopped at a step boundary: when DMClientSetup had run, the
	// transition committed (see [Outcome.Transitioned]).
	FailureCanceled
)

var failureNames = enum.Names{Pkg: "lifecycle", Type: "Failure", First: uint8(NoFailure),
	List: []string{"none", "invalid input", "prerequisites", "rejected", "untrusted installer",
		"access denied", "enrollment", "canceled"}, Err: ErrInvalidInput}

// String returns the failure's name, such as "access denied".
func (f Failure) String() string { return failureNames.Name(uint8(f)) }

// MarshalText implements encoding.TextMarshaler; an invalid Failure is an
// error.
func (f Failure) MarshalText() ([]byte, error) { return failureNames.Marshal(uint8(f)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case.
func (f *Failure) UnmarshalText(text []byte) error { return enum.Unmarshal(&failureNames, text, f) }

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
	Device    string         `json:"device,omitempty"` // the device's ID
	Component Component      `json:"component,omitempty"`
	Method    Method         `json:"method,omitempty"`
	Platform  certs.Platform `json:"platform,omitempty"`
	// From and To are the client machine's state before and after.
	From State `json:"from"`
	To   State `json:"to"`
	// Event is the event the decision table chose ([Scenario.Event]), or
	// [NoAction] when it chose none or the input was invalid. Whether it
	// ran is [Outcome.Transitioned]; why not is Failure.
	Event Event `json:"event"`
	// Before and After are the installed versions of the component before
	// and after; the zero Version means none.
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
	// Logs are the log files written, in the order of the [LogKind]
	// constants.
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
	// as "error" and, for missing prerequisites, their names as "missing";
	// decoding rebuilds an error that errors.Is matches as the original
	// did for every sentinel the reports read (the prerequisites, the trust
	// step's and enrollment's errors, [ErrInvalidTransition],
	// [ErrInvalidInput], context.Canceled).
	Err error `json:"-"`
}

// Transitioned reports whether the client machine made the transition
// From --Event--> To: DMClientSetup ran the action. A run that failed
// before it (input, prerequisites, a rejected event, the trust step, a
// context that ended first) or decided no action did not, and From equals
// To; a run whose enrollment failed, or whose context ended after
// DMClientSetup, did.
func (o Outcome) Transitioned() bool { return slices.Contains(o.Steps, DMClientSetup) }

type outcomeJSON Outcome

type outcomeWire struct {
	*outcomeJSON
	Error   string   `json:"error,omitempty"`
	Missing []string `json:"missing,omitempty"`
}

// MarshalJSON encodes o with its error message as "error" and any missing
// prerequisites' names as "missing".
func (o Outcome) MarshalJSON() ([]byte, error) {
	w := outcomeWire{outcomeJSON: (*outcomeJSON)(&o)}
	if o.Err != nil {
		w.Error = o.Err.Error()
		var pe *PrerequisiteError
		if errors.As(o.Err, &pe) {
			for m := pe.missing; m != 0; m &= m - 1 {
				w.Missing = append(w.Missing, prerequisites()[bits.TrailingZeros16(m)].name)
			}
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes what [Outcome.MarshalJSON] writes.
func (o *Outcome) UnmarshalJSON(data []byte) error {
	var out Outcome
	w := outcomeWire{outcomeJSON: (*outcomeJSON)(&out)}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	if w.Error != "" || out.Failure != NoFailure {
		err, derr := decodedError(out.Failure, w.Error, w.Missing, out.Enrollment)
		if derr != nil {
			return derr
		}
		out.Err = err
	}
	*o = out
	return nil
}

// decodedError rebuilds an outcome's error from its JSON form.
func decodedError(f Failure, msg string, missing []string, enrolled certs.EnrollmentResult) (error, error) {
	var is []error
	switch f {
	case FailurePrerequisites:
		pe := &PrerequisiteError{msg: msg}
		for _, name := range missing {
			ps := prerequisites()
			i := slices.IndexFunc(ps[:], func(p struct {
				err  error
				name string
			}) bool {
				return p.name == name
			})
			if i < 0 {
				return nil, inputError("outcome.missing", "unknown prerequisite "+quote.Short(name))
			}
			pe.missing |= 1 << i
		}
		if pe.missing == 0 {
			return nil, inputError("outcome.missing", "a prerequisites failure names no prerequisite")
		}
		return pe, nil
	case FailureInput:
		is = []error{ErrInvalidInput}
	case FailureRejected:
		is = []error{ErrInvalidTransition}
	case FailureUntrusted:
		is = []error{certs.ErrUntrustedInstaller, certs.ErrAccessDenied}
	case FailureAccessDenied:
		is = []error{certs.ErrAccessDenied}
	case FailureEnrollment:
		if err := enrolled.Err(); err != nil {
			is = []error{err}
		}
	case FailureCanceled:
		is = []error{errCanceled, context.Canceled}
		if strings.Contains(msg, context.DeadlineExceeded.Error()) {
			is = []error{errCanceled, context.DeadlineExceeded}
		}
	}
	return &decoded{msg: msg, is: is}, nil
}

// decoded is an error read back from JSON: its message, and the sentinels
// it matches.
type decoded struct {
	msg string
	is  []error
}

func (e *decoded) Error() string   { return e.msg }
func (e *decoded) Unwrap() []error { return e.is }
