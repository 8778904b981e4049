package ini

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Set sets key in section to value, as WritePrivateProfileString does, and
// touches only the bytes it must:
//
//   - If Windows already reads value there, nothing changes.
//   - An existing key (its first line in the first section of that name)
//     gets its value bytes replaced; the rest of the line and the file stay
//     as they are. A value written in matching quotes keeps them.
//   - A new key goes on a new line right after the last key line of the
//     section (a repeated key counts; blank and comment lines after it do
//     not), or right after the header when the section has no key.
//   - A new section goes at the end of the file as "[section]" followed by
//     the key line. A missing final line ending is added first.
//
// New lines are written "key=value" with the file's line ending, the first
// one in the file, or CRLF when the file has none yet. A value that Windows
// would read differently as written (outer blanks, or one pair of matching
// outer quotes that Windows would strip) is written in double quotes, so
// that [File.Get] returns exactly value afterwards.
//
// Set fails, leaving the file unchanged, for what cannot be written so that
// Windows reads it back: a CR, LF or NUL anywhere; an empty name or one with
// outer blanks; a section containing ']'; a key containing '=' or starting
// with '[' or ';' ([ErrInvalidName], [ErrInvalidValue]). In a UTF-16 file
// every string must also be valid UTF-8.
func (f *File) Set(section, key, value string) error {
	if err := f.checkName("section", section, "]"); err != nil {
		return err
	}
	if err := f.checkName("key", key, "="); err != nil {
		return err
	}
	if key[0] == '[' || key[0] == ';' {
		return fmt.Errorf("%w: key %q starts with %q", ErrInvalidName, key, key[0])
	}
	if err := f.checkText(value); err != nil {
		return fmt.Errorf("%w: %q %v", ErrInvalidValue, value, err)
	}
	sec, k, last := f.find(section, key)
	switch {
	case k >= 0:
		l := &f.lines[k]
		old := f.text[l.v0:l.v1]
		if string(unquote(old)) == value {
			return nil
		}
		if quoted(old) {
			f.splice(int(l.v0)+1, int(l.v1)-1, value)
		} else {
			f.splice(int(l.v0), int(l.v1), writeValue(value))
		}
	case sec >= 0:
		l := &f.lines[last]
		eol := f.eol()
		if l.next == l.end { // the last line of a file without a final line ending
			f.splice(int(l.next), int(l.next), eol+key+"="+writeValue(value))
		} else {
			f.splice(int(l.next), int(l.next), key+"="+writeValue(value)+eol)
		}
	default:
		eol := f.eol()
		var b strings.Builder
		if n := len(f.text); n > f.body && f.text[n-1] != '\n' {
			b.WriteString(eol)
		}
		b.WriteString("[" + section + "]" + eol + key + "=" + writeValue(value) + eol)
		f.splice(len(f.text), len(f.text), b.String())
	}
	return nil
}

// Delete removes key from section: every line of it in the first section
// of that name, so that Windows no longer reads it (modelling choice: a
// repeated key line would otherwise become the one Windows reads). It
// reports whether anything was removed. A line without a line ending (the
// last of the file) is removed with the line ending before it, so the file
// still ends as it did.
func (f *File) Delete(section, key string) bool {
	deleted := false
	for {
		_, k, _ := f.find(section, key)
		if k < 0 {
			return deleted
		}
		l := &f.lines[k]
		start := int(l.start)
		if l.next == l.end && k > 0 {
			start = int(f.lines[k-1].end)
		}
		f.splice(start, int(l.next), "")
		deleted = true
	}
}

// eol returns the file's line ending: the first one in it, or CRLF.
func (f *File) eol() string {
	for i := range f.lines {
		if l := &f.lines[i]; l.next > l.end {
			return f.span(l.end, l.next)
		}
	}
	return "\r\n"
}

// splice replaces text[i:j] with s and parses the lines again.
func (f *File) splice(i, j int, s string) {
	text := make([]byte, 0, len(f.text)-(j-i)+len(s))
	text = append(text, f.text[:i]...)
	text = append(text, s...)
	text = append(text, f.text[j:]...)
	f.text, f.raw = text, nil
	f.lines = parseLines(f.text, f.body)
}

// writeValue returns value as it must be written for Windows to read it
// back exactly: in double quotes when it has outer blanks or matching outer
// quotes.
func writeValue(value string) string {
	if hasOuterBlank(value) || quoted(value) {
		return `"` + value + `"`
	}
	return value
}

// checkName checks a section or key name for Set: not empty, no outer
// blanks, none of the bytes in bad, and what checkText checks.
func (f *File) checkName(what, name, bad string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty %s", ErrInvalidName, what)
	case hasOuterBlank(name):
		return fmt.Errorf("%w: %s %q has leading or trailing blanks", ErrInvalidName, what, name)
	case strings.ContainsAny(name, bad):
		return fmt.Errorf("%w: %s %q contains %q", ErrInvalidName, what, name, bad)
	}
	if err := f.checkText(name); err != nil {
		return fmt.Errorf("%w: %s %q %v", ErrInvalidName, what, name, err)
	}
	return nil
}

// checkText rejects what cannot stand in one line of the file.
func (f *File) checkText(s string) error {
	if strings.ContainsAny(s, "\r\n\x00") {
		return fmt.Errorf("contains CR, LF or NUL")
	}
	if (f.enc == EncodingUTF16LE || f.enc == EncodingUTF16BE) && !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8 for a UTF-16 file")
	}
	return nil
}
