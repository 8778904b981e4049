package certs

import (
	"errors"

	"github.com/mobiledm/dmclient/internal/enum"
)

// ErrInvalidInput is wrapped by every error about a bad value: text that
// names no value of one of the package's enumerated types ([ParsePlatform],
// [ParseSiteMode], [ParseConfiguration] and every UnmarshalText), an invalid
// value given to a MarshalText, text that is not an [HRESULT], and an
// invalid [Platform] given to [EstablishTrust]. Branch on it with
// errors.Is. The message names the type and quotes at most about 100 bytes
// of any bad text, and for text that names no value of an enumerated type
// it lists the accepted names, such as
//
//	certs: unknown SiteMode "hybrid" (accepted: mixed, native, server authentication)
var ErrInvalidInput = errors.New("certs: invalid input")

// names returns the text form of one of the package's enumerated types,
// whose valid values run from 1 to len(list): the zero value of every one of
// them is invalid.
func names(typ string, list []string, aliases map[string]uint8) enum.Names {
	return enum.Names{Pkg: "certs", Type: typ, First: 1, List: list, Aliases: aliases, Err: ErrInvalidInput}
}

// inputError is an error with its own message that wraps [ErrInvalidInput].
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }
func (e *inputError) Unwrap() error { return ErrInvalidInput }
