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
		if e, changed := f.valueEdit(k, value); changed {
			f.apply([]edit{e})
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
	edits := f.deleteEdits(section, key)
	f.apply(edits)
	return len(edits) > 0
}

// edit replaces text[i:j] with s.
type edit struct {
	i, j int
	s    string
}

// apply makes edits, sorted by position and not overlapping, in one pass
// and parses the lines again.
func (f *File) apply(edits []edit) {
	if len(edits) == 0 {
		return
	}
	n := len(f.text)
	for _, e := range edits {
		n += len(e.s) - (e.j - e.i)
	}
	text := make([]byte, 0, n)
	from := 0
	for _, e := range edits {
		text = append(text, f.text[from:e.i]...)
		text = append(text, e.s...)
		from = e.j
	}
	text = append(text, f.text[from:]...)
	f.text, f.raw = text, nil
	f.lines = parseLines(f.text, f.body)
}

// valueEdit returns the edit that gives key line k the value, and false when
// Windows reads value there already. A value in matching quotes keeps them.
func (f *File) valueEdit(k int, value string) (edit, bool) {
	l := &f.lines[k]
	old := f.text[l.v0:l.v1]
	switch {
	case string(unquote(old)) == value:
		return edit{}, false
	case quoted(old):
		return edit{int(l.v0) + 1, int(l.v1) - 1, value}, true
	}
	return edit{int(l.v0), int(l.v1), writeValue(value)}, true
}

// deleteEdits returns the edits that remove every line of key in the first
// section named section, in order.
func (f *File) deleteEdits(section, key string) []edit {
	sec, k, last := f.find(section, key)
	if k < 0 {
		return nil
	}
	var drop []int // the lines to remove, in order
	for i := k; i <= last; i++ {
		if l := &f.lines[i]; i > sec && l.kind == lineKey && equalFold(f.text[l.n0:l.n1], key) {
			drop = append(drop, i)
		}
	}
	// Removed lines that end a file without a final line ending go with the
	// line ending of the line kept before them.
	cut := -1
	if end := &f.lines[len(f.lines)-1]; end.next == end.end && drop[len(drop)-1] == len(f.lines)-1 {
		n := len(drop) - 1
		for n > 0 && drop[n-1] == drop[n]-1 {
			n--
		}
		cut = int(f.lines[drop[n]-1].end) // drop[n] > sec >= 0
		drop = drop[:n]
	}
	edits := make([]edit, 0, len(drop)+1)
	for _, i := range drop {
		edits = append(edits, edit{int(f.lines[i].start), int(f.lines[i].next), ""})
	}
	if cut >= 0 {
		edits = append(edits, edit{cut, len(f.text), ""})
	}
	return edits
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
func (f *File) splice(i, j int, s string) { f.apply([]edit{{i, j, s}}) }

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
