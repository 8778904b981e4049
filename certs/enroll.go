package certs

import "errors"

// SiteMode is the security mode of the Configuration Manager 2007 site the
// device is managed by. The zero SiteMode is invalid.
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

var siteModeEnum = enum{
	typ:     "SiteMode",
	err:     ErrUnknownSiteMode,
	names:   []string{"mixed", "native", "server authentication"},
	aliases: []string{"", "", "server-authentication"},
}

// SiteModes returns every site mode in declaration order: [Mixed],
// [Native], [ServerAuthentication].
func SiteModes() []SiteMode { return []SiteMode{Mixed, Native, ServerAuthentication} }

// ParseSiteMode returns the site mode named s: "mixed", "native" or "server
// authentication" (also "server-authentication"), case-insensitively.
// Anything else is a [*ParseError] wrapping [ErrUnknownSiteMode].
func ParseSiteMode(s string) (SiteMode, error) {
	v, err := siteModeEnum.parse(s)
	return SiteMode(v), err
}

// String returns "mixed", "native" or "server authentication", or
// "SiteMode(n)" for an invalid value.
func (m SiteMode) String() string { return siteModeEnum.name(uint8(m)) }

// IsValid reports whether m is one of [SiteModes].
func (m SiteMode) IsValid() bool { return siteModeEnum.valid(uint8(m)) }

// RequiresEnrollment reports whether a site in mode m requires certificate
// enrollment (CertEnrollAction=Enroll): true for [Native] and
// [ServerAuthentication], false for [Mixed] and invalid values.
func (m SiteMode) RequiresEnrollment() bool { return m == Native || m == ServerAuthentication }

// MarshalText implements encoding.TextMarshaler with the [SiteMode.String]
// form; the zero SiteMode marshals as empty text, any other invalid value is
// an error.
func (m SiteMode) MarshalText() ([]byte, error) { return siteModeEnum.marshal(uint8(m)) }

// UnmarshalText implements encoding.TextUnmarshaler: what [ParseSiteMode]
// accepts, and empty text as the zero SiteMode.
func (m *SiteMode) UnmarshalText(text []byte) error { return unmarshalText(&siteModeEnum, text, m) }

// ErrCAUnreachable is returned by [Enroll] when the device cannot reach the
// certification authority (most CAs are reachable only from the corporate
// network).
var ErrCAUnreachable = errors.New("certs: certification authority unreachable")

// ErrAuthenticationFailed is returned by [Enroll] when the user's one-time
// authentication to the certification authority fails.
var ErrAuthenticationFailed = errors.New("certs: authentication to the certification authority failed")

// EnrollmentConditions are the circumstances certificate enrollment meets
// during client installation. Plain comparable data; the zero value is a
// device that reaches no CA and whose user does not authenticate.
type EnrollmentConditions struct {
	// CAReachable reports whether the device can reach the certification
	// authority, which may need a corporate network connection.
	CAReachable bool `json:"caReachable"`
	// AuthenticationSucceeds reports whether the user's one-time
	// authentication to the CA succeeds.
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

// EnrollmentResult is how a certificate enrollment ended. The zero value is
// invalid and means "enrollment did not run".
type EnrollmentResult uint8

// The enrollment results, in the order [EnrollmentResults] returns them.
const (
	// Enrolled: the user authentication certificate was issued.
	Enrolled EnrollmentResult = iota + 1
	// CAUnreachable: the device could not reach the CA ([ErrCAUnreachable]).
	CAUnreachable
	// AuthenticationFailed: the user's authentication to the CA failed
	// ([ErrAuthenticationFailed]).
	AuthenticationFailed
)

var enrollmentResultEnum = enum{
	typ:   "EnrollmentResult",
	err:   ErrUnknownEnrollmentResult,
	names: []string{"enrolled", "CA unreachable", "authentication failed"},
}

// EnrollmentResults returns every enrollment result in declaration order.
func EnrollmentResults() []EnrollmentResult {
	return []EnrollmentResult{Enrolled, CAUnreachable, AuthenticationFailed}
}

// ParseEnrollmentResult returns the result named s, its
// [EnrollmentResult.String] form compared case-insensitively, or a
// [*ParseError] wrapping [ErrUnknownEnrollmentResult].
func ParseEnrollmentResult(s string) (EnrollmentResult, error) {
	v, err := enrollmentResultEnum.parse(s)
	return EnrollmentResult(v), err
}

// String returns "enrolled", "CA unreachable" or "authentication failed", or
// "EnrollmentResult(n)" for an invalid value.
func (r EnrollmentResult) String() string { return enrollmentResultEnum.name(uint8(r)) }

// IsValid reports whether r is one of [EnrollmentResults].
func (r EnrollmentResult) IsValid() bool { return enrollmentResultEnum.valid(uint8(r)) }

// Err returns the error of r: nil for [Enrolled] (and for the zero value),
// [ErrCAUnreachable] or [ErrAuthenticationFailed] for the failures.
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
// certificates, and says nothing about failures. We write it whenever
// enrollment ran, failure included, so that a failed enrollment can be
// diagnosed on the device: true for every valid result, false for the zero
// value (enrollment did not run).
func (r EnrollmentResult) WritesLog() bool { return r.IsValid() }

// MarshalText implements encoding.TextMarshaler with the
// [EnrollmentResult.String] form; the zero value marshals as empty text, any
// other invalid value is an error.
func (r EnrollmentResult) MarshalText() ([]byte, error) {
	return enrollmentResultEnum.marshal(uint8(r))
}

// UnmarshalText implements encoding.TextUnmarshaler: what
// [ParseEnrollmentResult] accepts, and empty text as the zero value.
func (r *EnrollmentResult) UnmarshalText(text []byte) error {
	return unmarshalText(&enrollmentResultEnum, text, r)
}

// Enroll runs certificate enrollment under conditions c and returns how it
// ended, with [EnrollmentResult.Err] as the error:
//
//   - the CA is unreachable: [CAUnreachable], [ErrCAUnreachable] (the user
//     cannot authenticate to a CA the device cannot reach, so
//     AuthenticationSucceeds does not matter);
//   - the CA is reachable and authentication fails: [AuthenticationFailed],
//     [ErrAuthenticationFailed];
//   - otherwise: [Enrolled], nil.
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

// EnrollmentSoftware is the software that performs the enrollment: the
// product page allows the one included with Configuration Manager 2007 or
// one produced by the enterprise. It does not change the outcome of
// [Enroll]. The zero value is invalid.
type EnrollmentSoftware uint8

// The enrollment software choices, in the order [EnrollmentSoftwares]
// returns them.
const (
	ConfigMgrEnrollment  EnrollmentSoftware = iota + 1 // included with Configuration Manager 2007
	EnterpriseEnrollment                               // produced by the enterprise
)

var enrollmentSoftwareEnum = enum{
	typ:   "EnrollmentSoftware",
	err:   ErrUnknownEnrollmentSoftware,
	names: []string{"Configuration Manager", "enterprise"},
}

// EnrollmentSoftwares returns [ConfigMgrEnrollment] and
// [EnterpriseEnrollment], in that order.
func EnrollmentSoftwares() []EnrollmentSoftware {
	return []EnrollmentSoftware{ConfigMgrEnrollment, EnterpriseEnrollment}
}

// ParseEnrollmentSoftware returns the software named s ("Configuration
// Manager" or "enterprise", case-insensitively) or a [*ParseError] wrapping
// [ErrUnknownEnrollmentSoftware].
func ParseEnrollmentSoftware(s string) (EnrollmentSoftware, error) {
	v, err := enrollmentSoftwareEnum.parse(s)
	return EnrollmentSoftware(v), err
}

// String returns "Configuration Manager" or "enterprise", or
// "EnrollmentSoftware(n)" for an invalid value.
func (e EnrollmentSoftware) String() string { return enrollmentSoftwareEnum.name(uint8(e)) }

// IsValid reports whether e is one of [EnrollmentSoftwares].
func (e EnrollmentSoftware) IsValid() bool { return enrollmentSoftwareEnum.valid(uint8(e)) }

// MarshalText implements encoding.TextMarshaler with the
// [EnrollmentSoftware.String] form; the zero value marshals as empty text,
// any other invalid value is an error.
func (e EnrollmentSoftware) MarshalText() ([]byte, error) {
	return enrollmentSoftwareEnum.marshal(uint8(e))
}

// UnmarshalText implements encoding.TextUnmarshaler: what
// [ParseEnrollmentSoftware] accepts, and empty text as the zero value.
func (e *EnrollmentSoftware) UnmarshalText(text []byte) error {
	return unmarshalText(&enrollmentSoftwareEnum, text, e)
}
