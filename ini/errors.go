package ini

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error the package returns wraps one of them, so
// callers test with [errors.Is] through any wrapping.
var (
	// ErrTooLarge: the input is longer than [MaxSize] bytes.
	ErrTooLarge = errors.New("ini: file too large")
	// ErrMalformedUTF16: a file that starts with a UTF-16 byte order mark has
	// an odd length or an unpaired surrogate.
	ErrMalformedUTF16 = errors.New("ini: malformed UTF-16")
	// ErrInvalidName: a section or key name that [File.Set] cannot write so
	// that Windows reads it back as the same name.
	ErrInvalidName = errors.New("ini: invalid name")
	// ErrInvalidValue: a value that [File.Set] cannot write on one line.
	ErrInvalidValue = errors.New("ini: invalid value")
	// ErrInvalidAction: a ClientInstallAction value that is not None,
	// Install or Uninstall.
	ErrInvalidAction = errors.New("ini: invalid client install action")
	// ErrInvalidCertEnrollAction: a CertEnrollAction value other than Enroll.
	ErrInvalidCertEnrollAction = errors.New("ini: invalid certificate enrollment action")
	// ErrInvalidInstaller: an Installer value that is not a bare file name
	// of the form DMInstaller_<platform>.exe.
	ErrInvalidInstaller = errors.New("ini: invalid installer file name")
	// ErrConflict: a known key holds different values in two sections.
	ErrConflict = errors.New("ini: conflicting values")
	// ErrDoNotModify: an edit touches a value of DMCommonInstaller.ini that
	// the product marks "do not modify". It is carried by a [Warning].
	ErrDoNotModify = errors.New("ini: DMCommonInstaller.ini installer values are marked do not modify")
	// ErrInvalidKind: text that names no [Kind].
	ErrInvalidKind = errors.New("ini: invalid file kind")
	// ErrInvalidEncoding: text that names no [Encoding].
	ErrInvalidEncoding = errors.New("ini: invalid encoding")
)

// Error is a problem at a place in a file: the file name given to [Parse],
// the 1-based line (0 when the problem has no line) and the key involved
// ("" when none). Err is the cause; it wraps one of the package's sentinel
// errors.
type Error struct {
	File string
	Line int
	Key  string
	Err  error
}

// Error returns "file:line: key: cause", leaving out the parts that are
// empty. The cause is printed without its "ini: " prefix.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("ini")
	}
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "ini: "))
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem [File.Settings] found, in line order. Reach it
// with [errors.As]; [errors.Is] and errors.As also reach each element.
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
