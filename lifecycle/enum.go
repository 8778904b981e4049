package lifecycle

import (
	"errors"
	"strconv"
	"strings"
)

// ErrUnknownValue is wrapped by every [*ParseError]: the text names no value
// of the type.
var ErrUnknownValue = errors.New("lifecycle: unknown value")

// ParseError reports text that names no value of one of this package's
// enumerated types. It wraps [ErrUnknownValue].
type ParseError struct {
	Type  string // the Go type, such as "State"
	Input string // the text given
}

// Error returns a message naming the type and the input.
func (e *ParseError) Error() string {
	return "lifecycle: unknown " + e.Type + " " + strconv.Quote(e.Input)
}

// Unwrap returns [ErrUnknownValue].
func (e *ParseError) Unwrap() error { return ErrUnknownValue }

// names is the text form of one enumerated type: names[i] is the name of
// value first+i.
type names struct {
	typ   string
	first uint8
	list  []string
}

func (n *names) name(v uint8) string {
	if i := int(v) - int(n.first); i >= 0 && i < len(n.list) {
		return n.list[i]
	}
	return n.typ + "(" + strconv.Itoa(int(v)) + ")"
}

func (n *names) valid(v uint8) bool {
	i := int(v) - int(n.first)
	return i >= 0 && i < len(n.list)
}

func (n *names) parse(s string) (uint8, error) {
	t := strings.TrimSpace(s)
	for i, name := range n.list {
		if strings.EqualFold(t, name) {
			return n.first + uint8(i), nil
		}
	}
	return 0, &ParseError{Type: n.typ, Input: s}
}

// unmarshalText parses text as a name of n into dst, leaving dst alone on
// error: the body of every UnmarshalText of the package.
func unmarshalText[T ~uint8](n *names, text []byte, dst *T) error {
	v, err := n.parse(string(text))
	if err == nil {
		*dst = T(v)
	}
	return err
}

// marshal returns the name of v. An invalid value marshals as its
// diagnostic form, such as "State(9)", so that an outcome of bad input still
// encodes; unmarshalling that text fails.
func (n *names) marshal(v uint8) ([]byte, error) {
	return []byte(n.name(v)), nil
}
