package ini

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxSize is the largest input, in bytes, that [Parse] accepts. The
// client's .ini files are a few kilobytes; the cap keeps a hostile input
// from costing more than a bounded amount of memory and time: a File holds
// its text plus 32 bytes a line, so at most about 33 MiB, and every
// operation is linear in the size of the file. Modelling choice: 1 MiB.
const MaxSize = 1 << 20

// File is a parsed .ini document. It keeps every byte of its input: until it
// is edited, [File.Bytes] returns the input byte for byte. Read it with
// [File.Get], [File.Sections], [File.Entries] and [File.Settings]; edit it
// with [File.Set], [File.Delete] and [File.SetSettings].
//
// Reading methods never modify a File, so any number of goroutines may read
// one at the same time; an edit must not run concurrently with anything
// else on the same File.
type File struct {
	name  string
	enc   Encoding
	text  []byte // UTF-8/ANSI bytes (with the UTF-8 BOM if any); decoded text for UTF-16
	raw   []byte // UTF-16 only: the input, until the first edit
	body  int    // offset of the first line in text (3 after a UTF-8 BOM)
	lines []line
}

// lineKind is what a line means to Windows.
type lineKind uint8

const (
	lineBlank   lineKind = iota // only blanks
	lineComment                 // first non-blank is ';'
	lineSection                 // first non-blank is '['
	lineKey                     // key=value with a non-empty key
	lineOther                   // anything else: no '=' or an empty key
)

// line is one line of text as offsets into it. Content is text[start:end];
// text[end:next] is the line ending ("", "\n" or "\r\n"). For a section line
// text[n0:n1] is the name; for a key line it is the key and text[v0:v1] the
// value as written (blanks trimmed, quotes kept).
type line struct {
	start, end, next int32
	n0, n1, v0, v1   int32
	kind             lineKind
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// Parse parses data, the contents of the file called name, as Windows reads
// a profile (.ini) file with GetPrivateProfileString. name is used in error
// messages and gives the file's [Kind]; it may be a path.
//
// The encoding comes from the byte order mark: UTF-8 with or without it
// (bytes that are not valid UTF-8 are kept and read as they are, as in an
// ANSI file), and UTF-16LE or UTF-16BE with it. Text without a byte order
// mark is never taken for UTF-16. Line endings are LF or CRLF, mixed as the
// file has them.
//
// Parse fails only for input that cannot be a document: longer than
// [MaxSize] ([ErrTooLarge]), or UTF-16 of odd length or with an unpaired
// surrogate ([ErrMalformedUTF16]). The error is an [*Error] with the file
// name and, for UTF-16, the line. Everything else parses: lines that mean
// nothing to Windows are kept and ignored.
//
// Parse does not retain data.
func Parse(name string, data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, &Error{File: name, Err: ErrTooLarge}
	}
	f := &File{name: name, enc: EncodingANSI}
	switch {
	case bytes.HasPrefix(data, bomUTF16LE), bytes.HasPrefix(data, bomUTF16BE):
		f.enc = EncodingUTF16LE
		if data[0] == 0xFE {
			f.enc = EncodingUTF16BE
		}
		text, line, ok := decodeUTF16(data[2:], f.enc == EncodingUTF16BE)
		if !ok {
			return nil, &Error{File: name, Line: line, Err: ErrMalformedUTF16}
		}
		f.text = text
		f.raw = bytes.Clone(data)
	default:
		if bytes.HasPrefix(data, bomUTF8) {
			f.enc = EncodingUTF8BOM
			f.body = len(bomUTF8)
		}
		f.text = bytes.Clone(data)
	}
	f.lines = parseLines(f.text, f.body)
	return f, nil
}

// decodeUTF16 decodes b to UTF-8. On failure it returns the 1-based line of
// the bad code unit.
func decodeUTF16(b []byte, bigEndian bool) (text []byte, line int, ok bool) {
	line = 1
	unit := func(i int) rune {
		if bigEndian {
			return rune(b[i])<<8 | rune(b[i+1])
		}
		return rune(b[i]) | rune(b[i+1])<<8
	}
	text = make([]byte, 0, len(b)/2)
	for i := 0; i < len(b); i += 2 {
		if i+1 == len(b) {
			return nil, line, false
		}
		r := unit(i)
		switch {
		case utf16.IsSurrogate(r):
			if r >= 0xDC00 || i+3 >= len(b) {
				return nil, line, false
			}
			r = utf16.DecodeRune(r, unit(i+2))
			if r == utf8.RuneError {
				return nil, line, false
			}
			i += 2
		case r == '\n':
			line++
		}
		text = utf8.AppendRune(text, r)
	}
	return text, line, true
}

// encodeUTF16 encodes the valid UTF-8 text as UTF-16 with a byte order mark.
func encodeUTF16(text []byte, bigEndian bool) []byte {
	out := make([]byte, 0, 2+2*len(text))
	if bigEndian {
		out = append(out, bomUTF16BE...)
	} else {
		out = append(out, bomUTF16LE...)
	}
	var units []uint16
	for _, r := range string(text) {
		units = utf16.AppendRune(units[:0], r)
		for _, u := range units {
			if bigEndian {
				out = append(out, byte(u>>8), byte(u))
			} else {
				out = append(out, byte(u), byte(u>>8))
			}
		}
	}
	return out
}

// parseLines splits text[body:] into lines and classifies each.
func parseLines(text []byte, body int) []line {
	lines := make([]line, bytes.Count(text[body:], []byte{'\n'})+1)
	n := 0
	for i := body; i < len(text); n++ {
		end, next := len(text), len(text)
		if j := bytes.IndexByte(text[i:], '\n'); j >= 0 {
			end, next = i+j, i+j+1
			if end > i && text[end-1] == '\r' {
				end--
			}
		}
		classify(&lines[n], text, i, end, next)
		i = next
	}
	return lines[:n]
}

// classify reads the line text[start:end] into l as GetPrivateProfileString
// does.
func classify(l *line, text []byte, start, end, next int) {
	l.start, l.end, l.next = int32(start), int32(end), int32(next)
	i, j := trim(text, start, end)
	if i == j {
		l.kind = lineBlank
		return
	}
	switch text[i] {
	case ';':
		l.kind = lineComment
	case '[':
		// Modelling choice: the name ends at the last ']' of the line, as
		// in Wine's reimplementation; without one it runs to the end.
		ne := j
		if k := bytes.LastIndexByte(text[i+1:j], ']'); k >= 0 {
			ne = i + 1 + k
		}
		n0, n1 := trim(text, i+1, ne)
		l.kind, l.n0, l.n1 = lineSection, int32(n0), int32(n1)
	default:
		k := bytes.IndexByte(text[i:j], '=')
		if k < 0 {
			l.kind = lineOther
			return
		}
		n0, n1 := trim(text, i, i+k)
		if n0 == n1 {
			// Modelling choice: "=value" has no key and is ignored.
			l.kind = lineOther
			return
		}
		v0, v1 := trim(text, i+k+1, j)
		l.kind, l.n0, l.n1, l.v0, l.v1 = lineKey, int32(n0), int32(n1), int32(v0), int32(v1)
	}
}

// unquote strips one pair of matching outer quotes, " or ', from v.
func unquote(v []byte) []byte {
	if quoted(v) {
		return v[1 : len(v)-1]
	}
	return v
}

// quoted reports whether v has a pair of matching outer quotes.
func quoted[S ~string | ~[]byte](v S) bool {
	return len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]
}

// Name returns the name the file was parsed with.
func (f *File) Name() string { return f.name }

// Kind returns the kind of the file, from its name (see [KindOf]).
func (f *File) Kind() Kind { return KindOf(f.name) }

// Encoding returns the encoding the file was read in and is written in.
func (f *File) Encoding() Encoding { return f.enc }

// Bytes returns the document in its encoding. Until the file is edited it
// is the input of [Parse] byte for byte. The caller owns the result.
func (f *File) Bytes() []byte {
	switch {
	case f.raw != nil:
		return bytes.Clone(f.raw)
	case f.enc == EncodingUTF16LE || f.enc == EncodingUTF16BE:
		return encodeUTF16(f.text, f.enc == EncodingUTF16BE)
	}
	return bytes.Clone(f.text)
}

// Clone returns an independent copy of f.
func (f *File) Clone() *File {
	g := *f
	g.text = bytes.Clone(f.text)
	g.raw = bytes.Clone(f.raw)
	g.lines = append([]line(nil), f.lines...)
	return &g
}

// span returns text[i:j] as a string.
func (f *File) span(i, j int32) string { return string(f.text[i:j]) }

// find locates a key as GetPrivateProfileString does: in the first section
// named section, the first line whose key is key. It returns the indexes of
// the section line, of that key line and of the last key line of the
// section (the section line when it has none); -1 for what is missing.
func (f *File) find(section, key string) (sec, k, last int) {
	sec, k, last = -1, -1, -1
	for i := range f.lines {
		l := &f.lines[i]
		switch {
		case l.kind == lineSection:
			if sec >= 0 {
				return sec, k, last
			}
			if equalFold(f.text[l.n0:l.n1], section) {
				sec, last = i, i
			}
		case l.kind == lineKey && sec >= 0:
			last = i
			if k < 0 && equalFold(f.text[l.n0:l.n1], key) {
				k = i
			}
		}
	}
	return sec, k, last
}

// Get returns the value of key in section as GetPrivateProfileString reads
// it, and whether the key is there. Names compare ignoring case; the first
// section of a name and the first line of a key count; the value has its
// outer blanks and one pair of matching outer quotes removed.
func (f *File) Get(section, key string) (string, bool) {
	_, k, _ := f.find(section, key)
	if k < 0 {
		return "", false
	}
	l := &f.lines[k]
	return string(unquote(f.text[l.v0:l.v1])), true
}

// Section is a section of a file: its name as first written and the 1-based
// line of its first header.
type Section struct {
	Name string
	Line int
}

// Entry is a key line of a file: the section it is in (as the section's
// first header writes it; "" before the first section), the key as written,
// the value as Windows reads it, and the 1-based line.
type Entry struct {
	Section string `json:"section"`
	Key     string `json:"key"`
	Value   string `json:"value"`
	Line    int    `json:"line"` // 1-based
}

// walk calls fn for every section header Windows reads (k = -1) and every
// key line (k its index) in file order. sec is the index of the first header
// of the section the line is in (-1 before the first section); effective
// reports whether Windows reads the key: not before the first section, not
// in a repeated section, not a repeated key.
func (f *File) walk(fn func(sec, k int, effective bool)) {
	first := map[string]int{}
	var seenKey map[string]bool
	sec, secEffective := -1, false
	for i := range f.lines {
		l := &f.lines[i]
		switch l.kind {
		case lineSection:
			name := foldKey(f.span(l.n0, l.n1))
			j, seen := first[name]
			if !seen {
				first[name] = i
				j = i
			}
			sec, secEffective = j, !seen
			seenKey = map[string]bool{}
			if secEffective {
				fn(sec, -1, true)
			}
		case lineKey:
			effective := secEffective
			if effective {
				name := foldKey(f.span(l.n0, l.n1))
				effective = !seenKey[name]
				seenKey[name] = true
			}
			fn(sec, i, effective)
		}
	}
}

// entry returns the Entry of key line k in the section whose first header
// is line sec (-1: none).
func (f *File) entry(sec, k int) Entry {
	l := &f.lines[k]
	e := Entry{
		Key:   f.span(l.n0, l.n1),
		Value: string(unquote(f.text[l.v0:l.v1])),
		Line:  k + 1,
	}
	if sec >= 0 {
		e.Section = f.span(f.lines[sec].n0, f.lines[sec].n1)
	}
	return e
}

// Sections returns the sections Windows reads, in file order: the first
// header of each name. Repeated headers are left out, as Windows ignores
// their keys.
func (f *File) Sections() []Section {
	var out []Section
	f.walk(func(sec, k int, _ bool) {
		if k < 0 {
			l := &f.lines[sec]
			out = append(out, Section{Name: f.span(l.n0, l.n1), Line: sec + 1})
		}
	})
	return out
}

// Entries returns every key Windows reads, in file order: the first line
// of each key in the first section of each name. Entry.Section is the name
// as the section's first header writes it.
func (f *File) Entries() []Entry {
	var out []Entry
	f.walk(func(sec, k int, effective bool) {
		if k >= 0 && effective {
			out = append(out, f.entry(sec, k))
		}
	})
	return out
}

// Ignored returns the key lines Windows does not read, in file order: keys
// before the first section (Section ""), keys of a repeated section and
// repeated keys (Section is the name as the section's first header writes
// it). A tool can show them as dead lines; edits do not touch them.
func (f *File) Ignored() []Entry {
	var out []Entry
	f.walk(func(sec, k int, effective bool) {
		if k >= 0 && !effective {
			out = append(out, f.entry(sec, k))
		}
	})
	return out
}
