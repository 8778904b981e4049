// Package enum is the one convention every enumerated type of the module
// follows: a uint8 whose zero value is documented, a name per value,
// "Type(9)" for an invalid value, MarshalText that fails on an invalid
// value, and UnmarshalText that is case-insensitive and whose error names
// the type and the accepted values.
package enum

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mobiledm/dmclient/internal/quote"
)

// Names is the text form of one enumerated type: List[i] names the value
// First+i. Aliases, when set, are further accepted spellings (compared
// case-insensitively) of the value they map to.
type Names struct {
	Pkg     string // the package, such as "lifecycle": the message prefix
	Type    string // the Go type, such as "State"
	First   uint8
	List    []string
	Aliases map[string]uint8
	// Err is the package's sentinel that every error of this type wraps,
	// such as lifecycle.ErrInvalidInput.
	Err error
}

// Name returns the name of v, or "Type(v)" for an invalid value.
func (n *Names) Name(v uint8) string {
	if i := int(v) - int(n.First); i >= 0 && i < len(n.List) {
		return n.List[i]
	}
	return n.Type + "(" + strconv.Itoa(int(v)) + ")"
}

// Valid reports whether v has a name.
func (n *Names) Valid(v uint8) bool {
	i := int(v) - int(n.First)
	return i >= 0 && i < len(n.List)
}

// Values returns every valid value, in order.
func (n *Names) Values() []uint8 {
	vs := make([]uint8, len(n.List))
	for i := range vs {
		vs[i] = n.First + uint8(i)
	}
	return vs
}

// Parse returns the value s names, ignoring case and surrounding blanks.
func (n *Names) Parse(s string) (uint8, error) {
	t := strings.TrimSpace(s)
	for i, name := range n.List {
		if strings.EqualFold(t, name) {
			return n.First + uint8(i), nil
		}
	}
	for alias, v := range n.Aliases {
		if strings.EqualFold(t, alias) {
			return v, nil
		}
	}
	return 0, n.errorf("unknown %s %s (accepted: %s)", n.Type, quote.Short(s), n.accepted())
}

func (n *Names) accepted() string {
	if len(n.List) == 0 {
		return "none"
	}
	return strings.Join(n.List, ", ")
}

// Marshal returns the name of v, or an error for an invalid value.
func (n *Names) Marshal(v uint8) ([]byte, error) {
	if !n.Valid(v) {
		return nil, n.errorf("cannot marshal invalid %s", n.Name(v))
	}
	return []byte(n.List[int(v)-int(n.First)]), nil
}

// Unmarshal parses text into dst, leaving dst alone on error: the body of
// every UnmarshalText.
func Unmarshal[T ~uint8](n *Names, text []byte, dst *T) error {
	v, err := n.Parse(string(text))
	if err == nil {
		*dst = T(v)
	}
	return err
}

func (n *Names) errorf(format string, args ...any) error {
	return &Error{Pkg: n.Pkg, Msg: fmt.Sprintf(format, args...), Err: n.Err}
}

// Error is the error of [Names.Parse] and [Names.Marshal]: the package's
// prefix, the message, and the sentinel it wraps.
type Error struct {
	Pkg string // the prefix, such as "lifecycle"
	Msg string // the message without the prefix
	Err error  // the sentinel, or nil
}

// Error returns Pkg + ": " + Msg.
func (e *Error) Error() string { return e.Pkg + ": " + e.Msg }

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Reason returns the message of err without its package prefix when err
// is (or wraps) an [*Error] of package pkg, and err's whole message
// otherwise: for a package that adds its own prefix once.
func Reason(err error, pkg string) string {
	var e *Error
	if errors.As(err, &e) && e.Pkg == pkg {
		return e.Msg
	}
	return err.Error()
}
