package certs

import (
	"errors"
	"strconv"
	"strings"
)

// ErrUnknownPlatform is wrapped by the error for a string that names no
// [Platform] and for an invalid Platform value passed to [EstablishTrust].
var ErrUnknownPlatform = errors.New("certs: unknown platform")

// ErrUnknownConfiguration is wrapped by the error for a string that names no
// [Configuration].
var ErrUnknownConfiguration = errors.New("certs: unknown security configuration")

// ErrUnknownTier is wrapped by the error for a string that names no [Tier].
var ErrUnknownTier = errors.New("certs: unknown security tier")

// ErrUnknownStore is wrapped by the error for a string that names no [Store].
var ErrUnknownStore = errors.New("certs: unknown certificate store")

// ErrUnknownSiteMode is wrapped by the error for a string that names no
// [SiteMode].
var ErrUnknownSiteMode = errors.New("certs: unknown site mode")

// ErrUnknownEnrollmentResult is wrapped by the error for a string that names
// no [EnrollmentResult].
var ErrUnknownEnrollmentResult = errors.New("certs: unknown enrollment result")

// ErrUnknownEnrollmentSoftware is wrapped by the error for a string that names
// no [EnrollmentSoftware].
var ErrUnknownEnrollmentSoftware = errors.New("certs: unknown enrollment software")

// ParseError reports a string that names no value of one of the package's
// enumerations. It wraps the enumeration's ErrUnknown... sentinel (for
// example [ErrUnknownPlatform]), so errors.Is works on it.
type ParseError struct {
	Type  string // the Go type being parsed, such as "Platform"
	Input string // the rejected input
	Err   error  // the ErrUnknown... sentinel of Type
}

// Error returns a message naming the type and the input.
func (e *ParseError) Error() string {
	return "certs: parse " + e.Type + " " + strconv.Quote(e.Input) + ": " + strings.TrimPrefix(e.Err.Error(), "certs: ")
}

// Unwrap returns the ErrUnknown... sentinel.
func (e *ParseError) Unwrap() error { return e.Err }

// enum describes one of the package's uint8 enumerations: names[i-1] is the
// canonical name of value i (value 0 is invalid); aliases[i-1], when not
// empty, is a second accepted spelling.
type enum struct {
	typ     string
	err     error
	names   []string
	aliases []string
}

// name returns the canonical name of v, or "Type(n)" for an invalid value.
func (e *enum) name(v uint8) string {
	if v == 0 || int(v) > len(e.names) {
		return e.typ + "(" + strconv.Itoa(int(v)) + ")"
	}
	return e.names[v-1]
}

// valid reports whether v is one of the enumeration's values.
func (e *enum) valid(v uint8) bool { return v != 0 && int(v) <= len(e.names) }

// parse looks s up case-insensitively among names and aliases.
func (e *enum) parse(s string) (uint8, error) {
	for i, n := range e.names {
		if strings.EqualFold(s, n) || (e.aliases != nil && e.aliases[i] != "" && strings.EqualFold(s, e.aliases[i])) {
			return uint8(i + 1), nil
		}
	}
	return 0, &ParseError{Type: e.typ, Input: s, Err: e.err}
}

// marshal implements MarshalText: the canonical name, empty for the zero
// value, an error for any other invalid value.
func (e *enum) marshal(v uint8) ([]byte, error) {
	if v == 0 {
		return []byte{}, nil
	}
	if !e.valid(v) {
		return nil, &ParseError{Type: e.typ, Input: e.name(v), Err: e.err}
	}
	return []byte(e.names[v-1]), nil
}

// unmarshal implements UnmarshalText: empty text is the zero value,
// anything else must parse.
func (e *enum) unmarshal(text []byte) (uint8, error) {
	if len(text) == 0 {
		return 0, nil
	}
	return e.parse(string(text))
}

// unmarshalText decodes text with e into dst, leaving dst alone on error:
// the body of every UnmarshalText of the package.
func unmarshalText[T ~uint8](e *enum, text []byte, dst *T) error {
	v, err := e.unmarshal(text)
	if err != nil {
		return err
	}
	*dst = T(v)
	return nil
}
