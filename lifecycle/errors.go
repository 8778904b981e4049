package lifecycle

import (
	"errors"

	"github.com/mobiledm/dmclient/internal/enum"
	"github.com/mobiledm/dmclient/internal/quote"
)

// ErrInvalidInput is wrapped by every error about a value outside its
// type's valid values: an [*InputError], and the errors of every
// UnmarshalText of this package.
var ErrInvalidInput = errors.New("lifecycle: invalid input")

// InputError reports a field of a device, a deployment or a scenario that
// holds no valid value, or JSON that does not decode as one. It wraps
// [ErrInvalidInput] and the reason.
type InputError struct {
	// Field is the path of the field, such as "device.platform" or
	// "deployment.package.version"; JSON members are named as in JSON.
	Field string
	// Err is the reason, such as the parse error of the value.
	Err error
}

// Error returns a message naming the field and the reason.
func (e *InputError) Error() string {
	return "lifecycle: invalid " + e.Field + ": " + enum.Reason(e.Err, "lifecycle")
}

// Unwrap returns [ErrInvalidInput] and the reason.
func (e *InputError) Unwrap() []error { return []error{ErrInvalidInput, e.Err} }

// inputError returns an [*InputError] for field with reason msg.
func inputError(field, msg string) error {
	return &InputError{Field: field, Err: errors.New(msg)}
}

func errUnknownPlatform(installer string) error {
	return errors.New("installer " + quote.Short(installer) + " names no platform of this library")
}
