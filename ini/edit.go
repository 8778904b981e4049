package ini

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mobiledm/dmclient/internal/quote"
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
// one in the file, or CRLF when the file has none yet. A new key after the
// last line of a file without a final line ending gives that line the
// file's line ending and is itself written without one, so that the file
// still ends as it did. A value that Windows would read differently as
// written (outer blanks, or one pair of matching outer quotes that Windows
// would strip) is written in double quotes, so that [File.Get] returns
// exactly value afterwards.
//
// Set fails, leaving the file unchanged, for what cannot be written so that
// Windows reads it back: a CR, LF or NUL anywhere; an empty name or one with
// outer blanks; a section containing ']'; a key containing '=' or starting
// with '[' or ';'. In a UTF-16 file every string must also be valid UTF-8.
// It also fails, leaving the file unchanged, when the file would grow past
// [MaxSize] (an error that [errors.Is] [ErrTooLarge]).
func (f *File) Set(section, key, value string) error {
	if err := f.checkSection(section); err != nil {
		return err
	}
	if err := f.checkKey(key); err != nil {
		return err
	}
	if err := f.checkValue(value); err != nil {
		return err
	}
	sec, k, last := f.find(section, key)
	var p plan
	switch {
	case k >= 0:
		op, changed := f.valueOp(k, value)
		if !changed {
			return nil
		}
		p.vals = append(p.vals, op)
	case sec >= 0:
		p.ins = append(p.ins, insertOp{after: last, s: key + "=" + writeValue(value)})
	default:
		p.tail = append(p.tail, insertOp{s: "[" + section + "]"}, insertOp{s: key + "=" + writeValue(value)})
	}
	return f.commit(&p)
}

// Delete removes key from section: every line of it in the first section
// of that name, so that Windows no longer reads it (modelling choice: a
// repeated key line would otherwise become the one Windows reads). It
// reports whether anything was removed. A line without a line ending (the
// last of the file) is removed with the line ending before it, so the file
// still ends as it did.
func (f *File) Delete(section, key string) bool {
	sec, k, last := f.find(section, key)
	if k < 0 {
		return false
	}
	var p plan
	for i := k; i <= last; i++ {
		if l := &f.lines[i]; i > sec && l.kind() == lineKey && equalFold(f.nameOf(i), key) {
			p.drops = append(p.drops, i)
		}
	}
	_ = f.commit(&p) // removing lines cannot make the file too large
	return true
}

// plan is an edit of a file: values replaced, lines removed and lines
// inserted, all made by commit in one pass over the file.
type plan struct {
	vals  []valueOp  // at most one per line
	drops []int      // indexes of the lines to remove
	ins   []insertOp // lines to insert, in order for each anchor
	tail  []insertOp // lines to append at the end of the file (after is unused)
}

// valueOp replaces text[a:b], within the value of key line k, with s. If
// out is not nil, commit sets it to the line's 1-based line in the result.
type valueOp struct {
	k    int
	a, b int32
	s    string
	out  *int
}

// insertOp inserts the line s (without its line ending) after line index
// after, which the plan does not remove. If out is not nil, commit sets it
// to the new line's 1-based line in the result.
type insertOp struct {
	after int
	s     string
	out   *int
}

// valueOp returns the op that gives key line k the value, and false when
// Windows reads value there already. A value in matching quotes keeps them.
func (f *File) valueOp(k int, value string) (valueOp, bool) {
	v0, v1 := f.lines[k].value(f.text)
	old := f.text[v0:v1]
	switch {
	case unquote(old) == value:
		return valueOp{}, false
	case quoted(old):
		return valueOp{k: k, a: int32(v0) + 1, b: int32(v1) - 1, s: value}, true
	}
	return valueOp{k: k, a: int32(v0), b: int32(v1), s: writeValue(value)}, true
}

// commit makes the edit p in one pass over the file and parses the lines
// again. Lines keep their line endings. A line inserted after the last
// line of a file without a final line ending gets the ending before it, so
// the file still ends without one, and so does a file whose last line is
// removed; appended lines always end with the file's line ending. When the
// result would be larger than MaxSize, commit returns an error wrapping
// ErrTooLarge and leaves f unchanged.
func (f *File) commit(p *plan) error {
	if len(p.vals) == 0 && len(p.drops) == 0 && len(p.ins) == 0 && len(p.tail) == 0 {
		return nil
	}
	slices.SortFunc(p.vals, func(a, b valueOp) int { return a.k - b.k })
	slices.Sort(p.drops)
	slices.SortStableFunc(p.ins, func(a, b insertOp) int { return a.after - b.after })
	eol := f.eol()

	// The size of the result, to within the one line ending that the end of
	// the file may gain or lose: reject a result that is surely too large
	// before building it.
	n := int64(len(f.text)) + 2
	for _, v := range p.vals {
		n += int64(len(v.s)) - int64(v.b-v.a)
	}
	for _, k := range p.drops {
		n -= int64(f.lines[k].next() - f.lines[k].start())
	}
	for _, in := range p.ins {
		n += int64(len(in.s) + len(eol))
	}
	for _, t := range p.tail {
		n += int64(len(t.s) + len(eol))
	}
	least := n - 4 // bytes of UTF-8, at least
	if f.Encoding().utf16() {
		least = 2 + 2*least/3 // a rune of k UTF-8 bytes takes at least 2k/3 bytes of UTF-16
	}
	if least > MaxSize {
		return fmt.Errorf("%w: the edit would make %s at least %d bytes (at most %d)", ErrTooLarge, quote.Short(f.name), least, MaxSize)
	}

	var b strings.Builder
	b.Grow(int(n))
	b.WriteString(f.text[:f.body()])
	out := 0      // lines written
	pending := "" // the line ending of the last line written
	vi, di, ii := 0, 0, 0
	for k := range f.lines {
		l := &f.lines[k]
		if di < len(p.drops) && p.drops[di] == k {
			di++
			continue
		}
		if out > 0 {
			b.WriteString(pending)
		}
		out++
		if vi < len(p.vals) && p.vals[vi].k == k {
			v := &p.vals[vi]
			b.WriteString(f.text[l.start():v.a])
			b.WriteString(v.s)
			b.WriteString(f.text[v.b:l.end()])
			if v.out != nil {
				*v.out = out
			}
			vi++
		} else {
			b.WriteString(f.text[l.start():l.end()])
		}
		pending = f.text[l.end():l.next()]
		if pending == "" {
			pending = eol
		}
		for ; ii < len(p.ins) && p.ins[ii].after == k; ii++ {
			b.WriteString(pending)
			b.WriteString(p.ins[ii].s)
			out++
			if p.ins[ii].out != nil {
				*p.ins[ii].out = out
			}
			pending = eol
		}
	}
	finalEOL := len(f.lines) > 0 && f.lines[len(f.lines)-1].eol() > 0
	switch {
	case len(p.tail) > 0:
		if out > 0 {
			b.WriteString(pending)
		}
		for _, t := range p.tail {
			b.WriteString(t.s)
			b.WriteString(eol)
			out++
			if t.out != nil {
				*t.out = out
			}
		}
	case out > 0 && finalEOL:
		b.WriteString(pending)
	}
	text := b.String()
	if size := f.size(text); size > MaxSize {
		return fmt.Errorf("%w: the edit would make %s %d bytes (at most %d)", ErrTooLarge, quote.Short(f.name), size, MaxSize)
	}
	f.text, f.lines = text, nil
	f.parseLines()
	return nil
}

// eol returns the file's line ending: the first one in it, or CRLF.
func (f *File) eol() string {
	for i := range f.lines {
		if l := &f.lines[i]; l.eol() > 0 {
			return f.text[l.end():l.next()]
		}
	}
	return "\r\n"
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

// checkSection checks a section name for a new header.
func (f *File) checkSection(name string) error {
	why := ""
	if strings.IndexByte(name, ']') >= 0 {
		why = "contains ']'"
	}
	return f.checkName("section", name, why)
}

// checkKey checks a key name for a new key line.
func (f *File) checkKey(name string) error {
	why := ""
	switch {
	case strings.HasPrefix(name, "[") || strings.HasPrefix(name, ";"):
		why = "starts with " + quote.Short(name[:1])
	case strings.IndexByte(name, '=') >= 0:
		why = "contains '='"
	}
	return f.checkName("key", name, why)
}

// checkName checks a section or key name: not empty, no outer blanks, and
// what checkValue checks; why says what else is wrong with it, if anything.
func (f *File) checkName(what, name, why string) error {
	switch {
	case name == "":
		return fmt.Errorf("ini: invalid %s: empty", what)
	case hasOuterBlank(name):
		why = "has leading or trailing blanks"
	case why == "":
		why = f.badText(name)
	}
	if why != "" {
		return fmt.Errorf("ini: invalid %s %s: %s", what, quote.Short(name), why)
	}
	return nil
}

// checkValue checks a value for a key line.
func (f *File) checkValue(value string) error {
	if why := f.badText(value); why != "" {
		return fmt.Errorf("ini: invalid value %s: %s", quote.Short(value), why)
	}
	return nil
}

// badText says why s cannot stand in one line of the file, or "".
func (f *File) badText(s string) string {
	if strings.ContainsAny(s, "\r\n\x00") {
		return "contains CR, LF or NUL"
	}
	if f.Encoding().utf16() && !utf8.ValidString(s) {
		return "not valid UTF-8, as a UTF-16 file needs"
	}
	return ""
}
