package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/version"
)

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
	// [NoAction] when it chose none, the input was invalid or the context
	// was done before the run began (nothing was decided). Whether it ran
	// is [Outcome.Transitioned]; why not is Err.
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
	// Err is the error of the run, nil on success. JSON carries its message
	// as "error" and, as "is", the names of the sentinels it matches among
	// those a caller branches on: this package's, the trust step's and
	// enrollment's ([certs.ErrAccessDenied], [certs.ErrUntrustedInstaller],
	// [certs.ErrCAUnreachable], [certs.ErrAuthenticationFailed]) and
	// context.Canceled and context.DeadlineExceeded. Decoding rebuilds an
	// error with the same message that errors.Is matches with the same
	// sentinels.
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
	Error string   `json:"error,omitempty"`
	Is    []string `json:"is,omitempty"`
}

// sentinels are the errors an outcome's JSON keeps the identity of, with
// their names there: the prerequisites', then the others. A lookup table,
// never written, as [prerequisiteErrors].
var sentinels = append(prerequisiteErrors[:len(prerequisiteErrors):len(prerequisiteErrors)], []namedError{
	{ErrInvalidInput, "invalid input"},
	{ErrInvalidTransition, "invalid transition"},
	{ErrBusy, "busy"},
	{certs.ErrAccessDenied, "access denied"},
	{certs.ErrUntrustedInstaller, "untrusted installer"},
	{certs.ErrCAUnreachable, "ca unreachable"},
	{certs.ErrAuthenticationFailed, "authentication failed"},
	{context.Canceled, "canceled"},
	{context.DeadlineExceeded, "deadline exceeded"},
}...)

// MarshalJSON encodes o with its error's message as "error" and the names
// of the sentinels it matches as "is".
func (o Outcome) MarshalJSON() ([]byte, error) {
	w := outcomeWire{outcomeJSON: (*outcomeJSON)(&o)}
	if o.Err != nil {
		w.Error = o.Err.Error()
		for _, s := range sentinels {
			if errors.Is(o.Err, s.err) {
				w.Is = append(w.Is, s.name)
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
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return inputError("outcome."+strings.TrimPrefix(te.Field, "outcomeJSON."),
				"a JSON "+cut(te.Value, 2*quote.Max)+" cannot be "+te.Type.String())
		}
		return &InputError{Field: "outcome", Err: cutError{err}}
	}
	for i, l := range out.Logs {
		if !logKindNames.Valid(uint8(l.Kind)) {
			return inputError("outcome.logs["+strconv.Itoa(i)+"].kind", "a log needs a kind")
		}
	}
	if w.Error != "" || len(w.Is) > 0 {
		d := &decoded{msg: w.Error}
		for _, name := range w.Is {
			i := slices.IndexFunc(sentinels, func(s namedError) bool { return s.name == name })
			if i < 0 {
				return inputError("outcome.is", "unknown error "+quote.Short(name))
			}
			d.is = append(d.is, sentinels[i].err)
		}
		out.Err = d
	}
	*o = out
	return nil
}

// decoded is an error read back from JSON: its message, and the sentinels
// it matches.
type decoded struct {
	msg string
	is  []error
}

func (e *decoded) Error() string   { return e.msg }
func (e *decoded) Unwrap() []error { return e.is }
