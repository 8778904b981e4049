// Package version implements the four-part Windows file versions that
// Configuration Manager 2007 and its mobile device client are stamped with,
// such as 4.00.6487.2000.
//
// A [Version] is a small comparable value in the style of net/netip: use it
// with == and as a map key, sort it with [Version.Compare], print it with
// [Version.String], and read it back with [Parse]. Its zero value is invalid
// and means "no version" (for example, no client installed); it is distinct
// from 0.0.0.0.
//
// The four fields are major.minor.build.revision, each 0-65535, exactly as in
// the VS_FIXEDFILEINFO resource of a Windows executable, and versions compare
// field by field, which is the order of that resource's 64-bit file version.
//
// This package is for identifying and ordering client builds. It is not a
// general version library: it does not know semantic versioning, pre-release
// tags or build metadata, and it rejects them.
package version

import (
	"errors"
	"strconv"

	"github.com/mobiledm/dmclient/internal/quote"
)

// Version is a Windows four-part file version major.minor.build.revision.
//
// The zero Version is invalid: [Version.IsValid] reports false and it means
// "no version". It compares less than every valid version.
type Version struct {
	packed uint64 // major<<48 | minor<<32 | build<<16 | revision
	valid  bool
}

// New returns the valid version major.minor.build.revision.
func New(major, minor, build, revision uint16) Version {
	return Version{
		packed: uint64(major)<<48 | uint64(minor)<<32 | uint64(build)<<16 | uint64(revision),
		valid:  true,
	}
}

// FromUint64 returns the valid version packed in u the way VS_FIXEDFILEINFO
// packs a file version: dwFileVersionMS<<32 | dwFileVersionLS, that is
// major<<48 | minor<<32 | build<<16 | revision.
func FromUint64(u uint64) Version {
	return Version{packed: u, valid: true}
}

// Uint64 returns v packed as VS_FIXEDFILEINFO packs a file version (see
// [FromUint64]). It returns 0 for the zero Version, so use [Version.IsValid]
// to tell "no version" from 0.0.0.0.
func (v Version) Uint64() uint64 { return v.packed }

// IsValid reports whether v is a version rather than the zero Version.
func (v Version) IsValid() bool { return v.valid }

// Major returns the first field of v (0 for the zero Version).
func (v Version) Major() uint16 { return uint16(v.packed >> 48) }

// Minor returns the second field of v (0 for the zero Version).
func (v Version) Minor() uint16 { return uint16(v.packed >> 32) }

// Build returns the third field of v (0 for the zero Version).
func (v Version) Build() uint16 { return uint16(v.packed >> 16) }

// Revision returns the fourth field of v (0 for the zero Version).
func (v Version) Revision() uint16 { return uint16(v.packed) }

// Compare returns -1 if v is less than w, 0 if they are equal and +1 if v is
// greater. Valid versions compare field by field from major to revision; the
// zero Version is less than every valid version and equal to itself.
func (v Version) Compare(w Version) int {
	if v.valid != w.valid {
		if v.valid {
			return 1
		}
		return -1
	}
	switch {
	case v.packed < w.packed:
		return -1
	case v.packed > w.packed:
		return 1
	}
	return 0
}

// Less reports whether v sorts before w: v.Compare(w) < 0.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

// Equal reports whether v and w are the same version. It is the same as
// v == w and exists so that github.com/google/go-cmp compares values holding
// versions without options.
func (v Version) Equal(w Version) bool { return v == w }

// String returns v in canonical four-field decimal form without leading
// zeros, such as "4.0.6487.2000". The zero Version prints as
// "invalid version".
func (v Version) String() string {
	if !v.valid {
		return "invalid version"
	}
	var buf [len("65535.65535.65535.65535")]byte
	return string(v.appendTo(buf[:0]))
}

func (v Version) appendTo(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(v.Major()), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(v.Minor()), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(v.Build()), 10)
	b = append(b, '.')
	return strconv.AppendUint(b, uint64(v.Revision()), 10)
}

// AppendText implements encoding.TextAppender. It appends the canonical form
// of v to b, and nothing for the zero Version.
func (v Version) AppendText(b []byte) ([]byte, error) {
	if !v.valid {
		return b, nil
	}
	return v.appendTo(b), nil
}

// MarshalText implements encoding.TextMarshaler. The zero Version marshals
// as empty text, so that it round-trips through [Version.UnmarshalText].
func (v Version) MarshalText() ([]byte, error) {
	if !v.valid {
		return []byte{}, nil
	}
	return v.appendTo(make([]byte, 0, len("65535.65535.65535.65535"))), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. Empty text is the zero
// Version; anything else must be accepted by [Parse].
func (v *Version) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*v = Version{}
		return nil
	}
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// ErrSyntax is wrapped by a [*ParseError] for input that is not a version.
var ErrSyntax = errors.New("version: invalid syntax")

// ErrRange is wrapped by a [*ParseError] for a field greater than 65535.
var ErrRange = errors.New("version: field out of range")

// ParseError reports why [Parse] rejected its input. It wraps [ErrSyntax] or
// [ErrRange], so errors.Is works on it.
type ParseError struct {
	Input  string // the text given to Parse, whole
	Reason string // what is wrong, such as "empty field 2"
	Err    error  // ErrSyntax or ErrRange
}

// Error returns a message naming the input and the fault. It quotes at most
// about 100 bytes of the input, followed by "..." when the input is longer,
// so the message stays short whatever the input.
func (e *ParseError) Error() string {
	return "version: parsing " + quote.Short(e.Input) + ": " + e.Reason
}

// Unwrap returns [ErrSyntax] or [ErrRange].
func (e *ParseError) Unwrap() error { return e.Err }

// Parse parses a version of two to four dot-separated decimal fields, such
// as "4.00.6487.2000" or "5.2". Missing trailing fields are 0. Each field is
// one or more ASCII digits with a value of at most 65535; leading zeros are
// allowed, since ConfigMgr writes its own versions as "4.00.BBBB.RRRR".
//
// Parse rejects everything else with a [*ParseError]: empty input or fields,
// a single field, more than four fields, signs, blanks anywhere, prefixes such
// as "v", suffixes such as "-beta", a trailing dot, non-ASCII digits and
// fields over 65535.
func Parse(s string) (Version, error) {
	var fields [4]uint64
	n := 0 // fields completed
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == 4 {
				return Version{}, parseErr(s, "more than four fields", ErrSyntax)
			}
			fields[n] = fields[n]*10 + uint64(c-'0')
			if fields[n] > 0xFFFF {
				return Version{}, parseErr(s, "field "+strconv.Itoa(n+1)+" is greater than 65535", ErrRange)
			}
			digits++
		case c == '.':
			if digits == 0 {
				return Version{}, parseErr(s, "empty field "+strconv.Itoa(n+1), ErrSyntax)
			}
			n++
			digits = 0
			if n == 4 {
				return Version{}, parseErr(s, "more than four fields", ErrSyntax)
			}
		default:
			return Version{}, parseErr(s, "unexpected character "+strconv.QuoteRune(runeAt(s, i))+" at offset "+strconv.Itoa(i), ErrSyntax)
		}
	}
	switch {
	case len(s) == 0:
		return Version{}, parseErr(s, "empty version", ErrSyntax)
	case digits == 0:
		return Version{}, parseErr(s, "empty field "+strconv.Itoa(n+1)+" (trailing dot)", ErrSyntax)
	case n == 0:
		return Version{}, parseErr(s, "need two to four fields, have one", ErrSyntax)
	}
	return New(uint16(fields[0]), uint16(fields[1]), uint16(fields[2]), uint16(fields[3])), nil
}

// runeAt decodes the character at byte offset i for an error message,
// so that a non-ASCII digit is named as itself rather than as one byte.
func runeAt(s string, i int) rune {
	for _, r := range s[i:] {
		return r
	}
	return 0
}

func parseErr(s, reason string, err error) error {
	return &ParseError{Input: s, Reason: reason, Err: err}
}

// MustParse is like [Parse] but panics if s is not a version. It is for
// tests and package-level values with hard-coded strings, never for input.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}
