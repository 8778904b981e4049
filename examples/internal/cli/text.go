package cli

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mobiledm/dmclient/lifecycle"
)

// Clean escapes what a terminal would act on in s, a value from the input
// files or a message holding one: control characters and format
// characters are written as Go escapes (\x1b, \r, \u202e) and bytes that
// are not UTF-8 as \xff; everything else, quotes and backslashes
// included, is kept as it is.
func Clean(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r == utf8.RuneError || !unicode.IsPrint(r) })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for s = s[i:]; s != ""; {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case unicode.IsPrint(r):
			b.WriteString(s[:size])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		s = s[size:]
	}
	return b.String()
}

// Quote quotes a name from the input files, such as a device id, as a Go
// string literal (strconv.Quote), or returns "(none)" for "".
func Quote(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

// Text returns v's name (v.String()), or "-" when v is not valid: when
// v.MarshalText fails, as it does for the zero value of the lifecycle
// model's enumerations.
func Text(v interface {
	MarshalText() ([]byte, error)
	String() string
}) string {
	if _, err := v.MarshalText(); err != nil {
		return "-"
	}
	return v.String()
}

// Steps returns the installer chain's steps that a deployment went
// through, in order, joined by " -> ".
func Steps(steps []lifecycle.Step) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 {
			b.WriteString(" -> ")
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// Log returns a log file that a deployment wrote on one line: its name, a
// colon, and its lines joined by spaces, escaped by [Clean].
func Log(l lifecycle.LogFile) string {
	return l.Name() + ": " + Clean(strings.Join(l.Lines, " "))
}
