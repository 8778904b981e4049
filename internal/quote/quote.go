// Package quote quotes bad input for error messages, at most about 100
// bytes of it, so that a hostile value cannot blow up a message.
package quote

import (
	"strconv"
	"unicode/utf8"
)

// Max is how many bytes of a value [Short] quotes at most.
const Max = 100

// Short returns s as a Go string literal, cut at a rune boundary after at
// most [Max] bytes of s with "..." appended after the closing quote when
// anything was cut. Control characters and invalid UTF-8 are escaped.
func Short(s string) string {
	if len(s) <= Max {
		return strconv.Quote(s)
	}
	cut := Max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// Name returns s as it is when it is at most [Max] bytes of printable
// text, and [Short] of s otherwise: for a name from the input, such as a
// JSON member, that goes into an error's field path. Printable text is
// valid UTF-8 without U+FFFD whose runes [strconv.IsPrint] accepts (those
// [Short] leaves unescaped): letters, marks, numbers, punctuation, symbols
// and the ASCII space. So no control or format character (a bidirectional
// override, a zero-width space) and no space but ' ' hides in a bare name.
func Name(s string) string {
	if len(s) > Max {
		return Short(s)
	}
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return Short(s)
		}
	}
	return s
}
