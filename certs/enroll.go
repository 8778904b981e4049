package certs

import (
	"errors"

	"github.com/mobiledm/dmclient/internal/enum"
)

// SiteMode is the security mode of the Configuration Manager 2007 site the
// device is managed by, as a fleet file names it (see [ParseSiteMode]).
//
// The zero SiteMode is invalid: its String is "SiteMode(0)", MarshalText
// fails on it, and it requires no enrollment.
type SiteMode uint8

// The site modes, in the order [SiteModes] returns them.
const (
	// Mixed mode: no certificate enrollment required.
	Mixed SiteMode = iota + 1
	// Native mode: certificate enrollment required; the certificate is also
	// used for registration.
	Native
	// ServerAuthentication is the product page's "server authentication
	// mode", which requires certificate enrollment. ConfigMgr 2007 itself
	// knows only mixed and native mode; modelling choice: it is a third
	// value that differs from Mixed only in requiring enrollment.
	ServerAuthentication
)

var siteModeNames = names("SiteMode",
	[]string{"mixed", "native", "server authentication"},
	map[string]uint8{"server-authentication": uint8(ServerAuthentication)})

// SiteModes returns every site mode in declaration order: [Mixed],
// [Native], [ServerAuthentication]. Each call returns a new slice.
func SiteModes() []SiteMode { return []SiteMode{Mixed, Native, ServerAuthentication} }

// ParseSiteMode returns the site mode named s: "mixed", "native" or "server
// authentication" (also "server-authentication"), compared
// case-insensitively and ignoring surrounding blanks. Anything else is an
// error wrapping [ErrInvalidInput] that lists the accepted names.
func ParseSiteMode(s string) (SiteMode, error) {
	v, err := siteModeNames.Parse(s)
	return SiteMode(v), err
}

// String returns "mixed", "native" or "server authentication", or
// "SiteMode(9)" for an invalid value.
func (m SiteMode) String() string { return siteModeNames.Name(uint8(m)) }

// IsValid reports whether m is one of [SiteModes].
func (m SiteMode) IsValid() bool { return siteModeNames.Valid(uint8(m)) }

// RequiresEnrollment reports whether a site in mode m requires certificate
// enrollment (CertEnrollAction=Enroll): true for [Native] and
// [ServerAuthentication], false for [Mixed] and invalid values.
func (m SiteMode) RequiresEnrollment() bool { return m == Native || m == ServerAuthentication }

// MarshalText implements encoding.TextMarshaler with the [SiteMode.String]
// form. An invalid SiteMode, the zero one included, is an error wrapping
// [ErrInvalidInput].
func (m SiteMode) MarshalText() ([]byte, error) { return siteModeNames.Marshal(uint8(m)) }

// UnmarshalText implements encoding.TextUnmarshaler. It accepts what
// [ParseSiteMode] accepts; on error m is left unchanged.
func (m *SiteMode) UnmarshalText(text []byte) error { return enum.Unmarshal(&siteModeNames, text, m) }

// ErrCAUnreachable is returned by [Enroll] when the device cannot reach the
// certification authority (most CAs are reachable only from the corporate
// network).
var ErrCAUnreachable = errors.New("certs: certification authority unreachable")

// ErrAuthenticationFailed is returned by [Enroll] when the user's
// authentication to the certification authority fails.
var ErrAuthenticationFailed = errors.New("certs: authentication to the certification authority failed")

// EnrollmentConditions are the circumstances one certificate enrollment
// meets. Plain comparable data; the zero value is a device that reaches no
// CA and whose user does not authenticate.
type EnrollmentConditions struct {
	// CAReachable reports whether the device can reach the certification
	// authority, which may need a corporate network connection.
	CAReachable bool `json:"caReachable"`
	// AuthenticationSucceeds reports whether the user's authentication to
	// the CA succeeds.
	AuthenticationSucceeds bool `json:"authenticationSucceeds"`
}

// EnrollmentConditionsAll returns the four possible [EnrollmentConditions],
// for exhaustive loops, in the order of the two fields read as binary digits
// (CAReachable, then AuthenticationSucceeds). Each call returns a new slice.
func EnrollmentConditionsAll() []EnrollmentConditions {
	return []EnrollmentConditions{
		{CAReachable: false, AuthenticationSucceeds: false},
		{CAReachable: false, AuthenticationSucceeds: true},
		{CAReachable: true, AuthenticationSucceeds: false},
		{CAReachable: true, AuthenticationSucceeds: true},
	}
}

// EnrollmentResult is how a certificate enrollment ended.
//
// The zero EnrollmentResult is invalid and means "enrollment did not run":
// its String is "EnrollmentResult(0)", [EnrollmentResult.Err] is nil,
// [EnrollmentResult.WritesLog] is false, and MarshalText fails on it, so a
// struct field that may hold it is tagged `json:",omitempty"`.
type EnrollmentResult uint8

// The enrollment results, the values [Enroll] returns.
const (
	// Enrolled: the user authentication certificate was issued.
	Enrolled EnrollmentResult = iota + 1
	// CAUnreachable: the device could not reach the CA ([ErrCAUnreachable]).
	CAUnreachable
	// AuthenticationFailed: the user's authentication to the CA failed
	// ([ErrAuthenticationFailed]).
	AuthenticationFailed
)

var enrollmentResultNames = names("EnrollmentResult",
	[]string{"enrolled", "CA unreachable", "authentication failed"}, nil)

// String returns "enrolled", "CA unreachable" or "authentication failed", or
// "EnrollmentResult(9)" for an invalid value.
func (r EnrollmentResult) String() string { return enrollmentResultNames.Name(uint8(r)) }

// IsValid reports whether r is one of [Enrolled], [CAUnreachable] and
// [AuthenticationFailed], that is, whether enrollment ran.
func (r EnrollmentResult) IsValid() bool { return enrollmentResultNames.Valid(uint8(r)) }

// Err returns the error of r: nil for [Enrolled] (and for an invalid value,
// the zero one included), [ErrCAUnreachable] or [ErrAuthenticationFailed]
// for the failures.
func (r EnrollmentResult) Err() error {
	switch r {
	case CAUnreachable:
		return ErrCAUnreachable
	case AuthenticationFailed:
		return ErrAuthenticationFailed
	}
	return nil
}

// WritesLog reports whether an enrollment that ended in r leaves a
// DMCertEnroll log on the device.
//
// Modelling choice: the product page says the DMCertEnroll log is present
// after a successful installation only if the installation enrolled
// certificates, and says nothing about failures. It is written whenever
// enrollment ran, failure included, so that a failed enrollment can be
// diagnosed on the device: true for every valid result, false for an
// invalid one (the zero value: enrollment did not run).
func (r EnrollmentResult) WritesLog() bool { return r.IsValid() }

// MarshalText implements encoding.TextMarshaler with the
// [EnrollmentResult.String] form. An invalid EnrollmentResult, the zero one
// included, is an error wrapping [ErrInvalidInput].
func (r EnrollmentResult) MarshalText() ([]byte, error) {
	return enrollmentResultNames.Marshal(uint8(r))
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts the
// [EnrollmentResult.String] form, compared case-insensitively and ignoring
// surrounding blanks. Anything else is an error wrapping [ErrInvalidInput],
// and r is left unchanged.
func (r *EnrollmentResult) UnmarshalText(text []byte) error {
	return enum.Unmarshal(&enrollmentResultNames, text, r)
}

// Enroll runs one certificate enrollment under conditions c and returns how
// it ended, with [EnrollmentResult.Err] as the error:
//
//   - the CA is unreachable: [CAUnreachable], [ErrCAUnreachable] (the user
//     cannot authenticate to a CA the device cannot reach, so
//     AuthenticationSucceeds does not matter);
//   - the CA is reachable and authentication fails: [AuthenticationFailed],
//     [ErrAuthenticationFailed];
//   - otherwise: [Enrolled], nil.
//
// Enroll is a pure function of c: whether an enrollment runs at all is the
// caller's decision. The product page has the user authenticate to the CA
// "one time during the client installation process", so a caller that
// knows the device already holds a valid enrolled certificate (say, on a
// reconfigure, upgrade or repair after a successful enrollment) need not
// call Enroll, and records the zero [EnrollmentResult] (did not run).
// The certificate is the user authentication certificate, used for SSL to
// the site and, in native mode, for registration. Which enrollment
// software performs it (the one included with Configuration Manager 2007
// or the enterprise's own) does not change the outcome, so it is not an
// input.
//
// Enroll does not allocate.
func Enroll(c EnrollmentConditions) (EnrollmentResult, error) {
	r := Enrolled
	switch {
	case !c.CAReachable:
		r = CAUnreachable
	case !c.AuthenticationSucceeds:
		r = AuthenticationFailed
	}
	return r, r.Err()
}
