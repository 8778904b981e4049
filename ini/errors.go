package ini

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mobiledm/dmclient/internal/quote"
)

// ErrTooLarge is wrapped by the error of [Parse] for an input longer than
// [MaxSize] bytes, and by the error of an edit that would make the file
// longer than that (the file is then left unchanged).
var ErrTooLarge = errors.New("ini: file too large")

// tooLarge returns the error for a file of n bytes.
func tooLarge(n int) error {
	return fmt.Errorf("%w: %d bytes (at most %d)", ErrTooLarge, n, MaxSize)
}

var errMalformedUTF16 = errors.New("ini: malformed UTF-16: odd length or unpaired surrogate")

// Error is a problem at a place in a .ini file: the file name given to
// [Parse], the 1-based line (0 when the problem has no line) and the key as
// the file writes it ("" when the problem is not about one key). Err is the
// cause. [Parse] and [File.Settings] return it, and [File.SetSettings] for
// settings it cannot write; a caller reports a configuration error from
// its fields.
type Error struct {
	File string
	Line int
	Key  string
	Err  error
}

// Error returns "ini: file:line: key: cause", leaving out the parts that
// are empty and the separators that go with them.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ini")
	sep := func() { b.WriteString(": ") }
	switch {
	case e.File != "" && e.Line > 0:
		sep()
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line))
	case e.File != "":
		sep()
		b.WriteString(e.File)
	case e.Line > 0:
		sep()
		b.WriteString("line " + strconv.Itoa(e.Line))
	}
	if e.Key != "" {
		sep()
		b.WriteString(quote.Name(e.Key))
	}
	if e.Err != nil {
		sep()
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "ini: "))
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem [File.Settings] found, in line order. Reach it
// with [errors.As]; errors.As also reaches each [*Error] in it.
type ErrorList []*Error

// Error returns the messages of the elements, one a line.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the elements, so that errors.Is and errors.As see each.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}
