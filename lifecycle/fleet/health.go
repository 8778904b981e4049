package fleet

import (
	"context"
	"errors"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/enum"
	"github.com/mobiledm/dmclient/lifecycle"
)

// Failure classifies why a deployment did not succeed, for the failure
// report. The zero Failure is [NoFailure]. [FailureOf] derives it from an
// outcome's error.
type Failure uint8

// The failures, in the order [Failures] returns them.
const (
	// NoFailure: the run succeeded, or decided no action.
	NoFailure Failure = iota
	// FailureInput: the device or its deployment holds an invalid value,
	// or could not be read from the fleet file ([lifecycle.ErrInvalidInput]).
	FailureInput
	// FailurePrerequisites: a prerequisite was missing; nothing ran (see
	// [lifecycle.CheckPrerequisites]).
	FailurePrerequisites
	// FailureRejected: the client machine did not run the event, such as a
	// repair where nothing is installed ([lifecycle.ErrInvalidTransition]).
	FailureRejected
	// FailureUntrusted: the device does not trust Mobile2Market and
	// DMInstaller could not run ([certs.ErrUntrustedInstaller]).
	FailureUntrusted
	// FailureAccessDenied: the trust step failed with Access Denied
	// ([certs.ErrAccessDenied]); DMClientSetup never ran.
	FailureAccessDenied
	// FailureEnrollment: DMClientSetup ran but certificate enrollment
	// failed ([certs.ErrCAUnreachable], [certs.ErrAuthenticationFailed]).
	FailureEnrollment
	// FailureCanceled: the context ended before or during the run.
	FailureCanceled
)

var failureNames = enum.Names{Pkg: "fleet", Type: "Failure", First: uint8(NoFailure),
	List: []string{"none", "invalid input", "prerequisites", "rejected", "untrusted installer",
		"access denied", "enrollment", "canceled"},
	Err: lifecycle.ErrInvalidInput}

// Failures returns every Failure, [NoFailure] first.
func Failures() []Failure {
	return []Failure{NoFailure, FailureInput, FailurePrerequisites, FailureRejected,
		FailureUntrusted, FailureAccessDenied, FailureEnrollment, FailureCanceled}
}

// String returns the failure's name, such as "access denied"; an invalid
// Failure is "Failure(9)".
func (f Failure) String() string { return failureNames.Name(uint8(f)) }

// MarshalText implements encoding.TextMarshaler; an invalid Failure is an
// error.
func (f Failure) MarshalText() ([]byte, error) { return failureNames.Marshal(uint8(f)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case.
func (f *Failure) UnmarshalText(text []byte) error { return enum.Unmarshal(&failureNames, text, f) }

// prerequisites are the sentinels of [lifecycle.CheckPrerequisites].
var prerequisites = [...]error{lifecycle.ErrNoClientAgent, lifecycle.ErrFolderIncomplete,
	lifecycle.ErrInvalidSettings, lifecycle.ErrConnection, lifecycle.ErrNotManaged,
	lifecycle.ErrNoManagementPoint, lifecycle.ErrNoDistributionPoint, lifecycle.ErrInventoryNotExtended,
	lifecycle.ErrPasswordProgramPlatform, lifecycle.ErrEnrollmentNotEnforced}

// communication are the prerequisites whose absence is a communication
// issue (see [HealthOf]).
var communication = [...]error{lifecycle.ErrConnection, lifecycle.ErrNotManaged,
	lifecycle.ErrNoManagementPoint, lifecycle.ErrNoDistributionPoint, lifecycle.ErrInventoryNotExtended}

// FailureOf returns the Failure of outcome o, from its error with
// errors.Is, so that it holds for an outcome decoded from JSON as for the
// one a run returned: nil is [NoFailure]; then, in this order, a context
// error ([FailureCanceled]), [lifecycle.ErrInvalidInput] ([FailureInput]),
// [certs.ErrUntrustedInstaller], [certs.ErrAccessDenied], the enrollment
// errors, and the prerequisite sentinels ([FailurePrerequisites]).
//
// Modelling choice: any other error, [lifecycle.ErrInvalidTransition],
// [lifecycle.ErrBusy] and errors this package does not know included, is
// [FailureRejected]: the machine did not run the deployment.
func FailureOf(o lifecycle.Outcome) Failure { return failureOf(&o) }

func failureOf(o *lifecycle.Outcome) Failure { return failureOfErr(o.Err) }

// failureOfErr is the failure of an outcome with error err.
func failureOfErr(err error) Failure {
	switch {
	case err == nil:
		return NoFailure
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return FailureCanceled
	case errors.Is(err, lifecycle.ErrInvalidInput):
		return FailureInput
	case errors.Is(err, certs.ErrUntrustedInstaller):
		return FailureUntrusted
	case errors.Is(err, certs.ErrAccessDenied):
		return FailureAccessDenied
	case errors.Is(err, certs.ErrCAUnreachable), errors.Is(err, certs.ErrAuthenticationFailed):
		return FailureEnrollment
	case isAny(err, prerequisites[:]):
		return FailurePrerequisites
	}
	return FailureRejected
}

func isAny(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// Health is the condition a deployment leaves a device's component in, as
// the product page's health reports sort devices: "Device Clients in
// Healthy condition" and "in unhealthy condition due to certificate
// issues", "communication issues", "local client issues". The zero Health
// is invalid.
type Health uint8

// The health conditions, in the order [Healths] returns them.
const (
	// Healthy: the component is installed and nothing failed.
	Healthy Health = iota + 1
	// UnhealthyCertificate: a certificate issue; see [HealthOf].
	UnhealthyCertificate
	// UnhealthyCommunication: a communication issue; see [HealthOf].
	UnhealthyCommunication
	// UnhealthyLocal: a local client issue; see [HealthOf].
	UnhealthyLocal
	// NoClient: nothing failed and no component is installed (an
	// uninstall, or nothing to act on where none is installed).
	NoClient
	// NotRun: the context ended before the deployment changed anything.
	NotRun
)

var healthNames = enum.Names{Pkg: "fleet", Type: "Health", First: uint8(Healthy),
	List: []string{"healthy", "certificate issues", "communication issues", "local client issues", "no client", "not run"},
	Err:  lifecycle.ErrInvalidInput}

// Healths returns every Health, [Healthy] first.
func Healths() []Health {
	return []Health{Healthy, UnhealthyCertificate, UnhealthyCommunication, UnhealthyLocal, NoClient, NotRun}
}

// String returns the condition's name, such as "certificate issues"; an
// invalid Health is "Health(9)".
func (h Health) String() string { return healthNames.Name(uint8(h)) }

// MarshalText implements encoding.TextMarshaler; an invalid Health is an
// error.
func (h Health) MarshalText() ([]byte, error) { return healthNames.Marshal(uint8(h)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case.
func (h *Health) UnmarshalText(text []byte) error { return enum.Unmarshal(&healthNames, text, h) }

// HealthOf returns the condition outcome o leaves the device's component
// in. Every outcome has exactly one. It reads only what an outcome's JSON
// keeps: the error's identity ([FailureOf]), the state after, the steps and
// the enrollment result.
//
// Modelling choice: the product page names the three kinds of unhealthy
// client without defining them. This package sorts outcomes like this:
//
//   - [Healthy]: no failure and the component installed afterwards (a
//     newer client left alone counts, as does a successful repair).
//   - [NoClient]: no failure and no component afterwards.
//   - [NotRun]: canceled before DMClientSetup ran. A run canceled after it
//     did what it did: its health follows what it left, [Healthy] or
//     [NoClient], although its Failure stays [FailureCanceled].
//   - [UnhealthyCertificate]: the trust step failed ([FailureUntrusted],
//     [FailureAccessDenied]); enrollment failed because the user's
//     authentication to the CA failed; a native or server authentication
//     site without CertEnrollAction=Enroll
//     ([lifecycle.ErrEnrollmentNotEnforced]).
//   - [UnhealthyCommunication]: enrollment failed because the CA was
//     unreachable (it may need a corporate network connection); the method
//     cannot reach the device ([lifecycle.ErrConnection],
//     [lifecycle.ErrNotManaged]); the site lacks a management point, a
//     distribution point or the inventory extension.
//   - [UnhealthyLocal]: everything else: invalid input, an event the
//     machine rejects (such as a repair with no client), an incomplete
//     deployment folder, invalid settings, no client agent, the password
//     program on a platform other than Pocket PC 2003.
//
// When several prerequisites are missing, certificate issues come before
// communication issues, and those before local ones.
func HealthOf(o lifecycle.Outcome) Health { return health(&o, failureOf(&o)) }

// health is HealthOf of o, whose Failure is f.
func health(o *lifecycle.Outcome, f Failure) Health {
	switch f {
	case NoFailure:
		return installed(o)
	case FailureCanceled:
		if o.Transitioned() {
			return installed(o)
		}
		return NotRun
	case FailureUntrusted, FailureAccessDenied:
		return UnhealthyCertificate
	case FailureEnrollment:
		if o.Enrollment == certs.CAUnreachable || errors.Is(o.Err, certs.ErrCAUnreachable) {
			return UnhealthyCommunication
		}
		return UnhealthyCertificate
	case FailurePrerequisites:
		if errors.Is(o.Err, lifecycle.ErrEnrollmentNotEnforced) {
			return UnhealthyCertificate
		}
		if isAny(o.Err, communication[:]) {
			return UnhealthyCommunication
		}
	}
	return UnhealthyLocal
}

func installed(o *lifecycle.Outcome) Health {
	if o.To != lifecycle.None {
		return Healthy
	}
	return NoClient
}
