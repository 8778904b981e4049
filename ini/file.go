package ini

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf16"
)

// MaxSize is the largest file, in bytes as stored (in its encoding), that
// [Parse] accepts and that an edit may produce. The client's .ini files are
// a few kilobytes; the cap keeps a hostile input from costing more than a
// bounded amount of memory and time: a File holds its text plus 16 bytes a
// line, so at most about 17 MiB, and every operation is linear in the size
// of the file. Modelling choice: 1 MiB.
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
	text  string // UTF-8/ANSI text (with the UTF-8 BOM if any); the decoded text of UTF-16
	lines []line
	keys  int32  // number of key lines
	secs  uint32 // number of section lines | the Encoding<<encShift
}

// encShift is the shift of the Encoding in File.secs, above the number of
// section lines (at most one a byte of MaxSize, the UTF-8 of UTF-16 having
// no more lines than the UTF-16). Keeping it there, rather than in a field
// of its own, makes a File 64 bytes: with the lines of a small file, one
// allocation of a smaller size class (see newFile).
const encShift = 24

// nSecs returns the number of section lines of f.
func (f *File) nSecs() int { return int(f.secs & (1<<encShift - 1)) }

// body returns the offset of the first line in f.text: 3 after a UTF-8 BOM.
func (f *File) body() int { return bodyOf(f.Encoding()) }

// bodyOf returns the offset of the first line in the text of a file in
// encoding enc.
func bodyOf(enc Encoding) int {
	if enc == EncodingUTF8BOM {
		return len(bomUTF8)
	}
	return 0
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

// line is one line of text as offsets into it, 16 bytes. Content is
// text[start:end]; text[end:end+eol] is the line ending ("", "\n" or
// "\r\n"). For a section line text[a:b] is the name. For a key line a is
// the end of the key and b the start of the value: the key starts at the
// first non-blank of the line and the value ends at its last (see
// [line.name] and [line.value]), so they are not stored.
//
// The kind shares a word with the start and the line ending one with the
// end, so that a File of a few lines and its lines fit a small allocation:
// offsets are below 1<<offsetBits (a text is at most 1.5 MiB, the UTF-8 of
// MaxSize bytes of UTF-16).
type line struct {
	at   uint32 // start | kind<<offsetBits
	to   uint32 // end | eol<<offsetBits
	a, b int32
}

// offsetBits is the number of low bits of line.at and line.to that hold an
// offset.
const offsetBits = 29

// newLine returns the line text[start:end] of the given kind and eol.
func newLine(start, end, eol int, kind lineKind, a, b int) line {
	return line{at: uint32(start) | uint32(kind)<<offsetBits, to: uint32(end) | uint32(eol)<<offsetBits, a: int32(a), b: int32(b)}
}

func (l *line) start() int     { return int(l.at & (1<<offsetBits - 1)) }
func (l *line) end() int       { return int(l.to & (1<<offsetBits - 1)) }
func (l *line) kind() lineKind { return lineKind(l.at >> offsetBits) }
func (l *line) eol() int       { return int(l.to >> offsetBits) }

// name returns the span of the section name or key of l in text.
func (l *line) name(text string) (int, int) {
	if l.kind() == lineSection {
		return int(l.a), int(l.b)
	}
	i := l.start()
	for isBlank(text[i]) {
		i++
	}
	return i, int(l.a)
}

// value returns the span of the value of key line l in text, as written:
// blanks trimmed, quotes kept.
func (l *line) value(text string) (int, int) {
	j := l.end()
	for j > int(l.b) && isBlank(text[j-1]) {
		j--
	}
	return int(l.b), j
}

// next returns the offset of the line after l.
func (l *line) next() int { return l.end() + l.eol() }

const (
	bomUTF8    = "\xEF\xBB\xBF"
	bomUTF16LE = "\xFF\xFE"
	bomUTF16BE = "\xFE\xFF"
)

// Parse parses data, the contents of the file called name, as Windows reads
// a profile (.ini) file with GetPrivateProfileString. name is used in error
// messages and gives the file's [Kind]; it may be a path.
//
// The encoding comes from the byte order mark: UTF-8 with or without it
// (bytes that are not valid UTF-8 are kept and read as they are, as in an
// ANSI file), and UTF-16LE or UTF-16BE with it. Text without a byte order
// mark is never taken for UTF-16. Line endings are LF or CRLF, mixed as the
// file has them; a CR alone does not end a line (see [File.Settings]).
//
// Parse fails only for input that cannot be a document: longer than
// [MaxSize] (an error that [errors.Is] [ErrTooLarge]), or UTF-16 of odd
// length or with an unpaired surrogate. The error is an [*Error] with the
// file name and, for UTF-16, the line. Everything else parses: lines that
// mean nothing to Windows are kept and ignored.
//
// Parse does not retain data.
func Parse(name string, data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, &Error{File: name, Err: tooLarge(len(data))}
	}
	enc, text, lines := EncodingANSI, "", 0
	switch {
	case len(data) >= 2 && (data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF):
		enc = EncodingUTF16LE
		if data[0] == 0xFE {
			enc = EncodingUTF16BE
		}
		var ok bool
		text, lines, ok = decodeUTF16(data[2:], enc == EncodingUTF16BE)
		if !ok {
			return nil, &Error{File: name, Line: lines, Err: errMalformedUTF16}
		}
	default:
		if len(data) >= 3 && string(data[:3]) == bomUTF8 {
			enc = EncodingUTF8BOM
		}
		text = string(data)
		lines = countLines(text[bodyOf(enc):])
	}
	f := newFile(lines)
	f.name, f.text, f.secs = name, text, uint32(enc)<<encShift
	f.parseLines()
	return f, nil
}

// decodeUTF16 decodes b to UTF-8 and returns the number of lines of the
// text. On failure it returns the 1-based line of the bad code unit instead.
// It counts the lines in the decoded text, with [strings.Count], rather
// than while decoding: the decoder's loop then keeps its state in
// registers.
func decodeUTF16(b []byte, bigEndian bool) (text string, lines int, ok bool) {
	odd := len(b)%2 != 0 // reported at its line, after the rest decodes
	b = b[:len(b)&^1]
	d := decoder{b: b}
	if bigEndian {
		d.lo, d.hi, d.mask, d.shift = 1, 0, nonASCIIBE, 8
	} else {
		d.lo, d.hi, d.mask = 0, 1, nonASCIILE
	}
	var chunk [chunkSize]byte
	n, ok := d.decodeChunk(&chunk)
	if ok && !odd && d.i == len(b) {
		text = string(chunk[:n]) // a small file: one allocation
		return text, countLines(text), true
	}
	var out strings.Builder
	out.Grow(n + n*(len(b)-d.i)/max(d.i, 1) + 16) // as much again for the rest, in proportion
	out.Write(chunk[:n])
	for ok && d.i < len(b) {
		n, ok = d.decodeChunk(&chunk)
		out.Write(chunk[:n])
	}
	if !ok || odd {
		return "", strings.Count(out.String(), "\n") + 1, false
	}
	text = out.String()
	return text, countLines(text), true
}

// decoder decodes UTF-16 in one byte order.
type decoder struct {
	b      []byte // the units, of even length
	i      int    // the index in b of the next unit
	lo, hi int    // the indexes of the low and high byte in a unit
	mask   uint64 // nonASCIILE or nonASCIIBE
	shift  uint   // that moves the ASCII bytes of a word to the low byte of each unit
}

// chunkSize is the size of the buffer decodeUTF16 decodes into.
const chunkSize = 256

// decodeChunk decodes the units of d.b from d.i on into chunk until chunk
// might not hold another word's worth of text or d.b ends. It returns the
// bytes written and false at a bad unit (an unpaired surrogate).
//
// It reads d.b in little-endian 64-bit words of four units. Four words of
// ASCII, or one, pack into sixteen bytes or four; the units of any other
// word, and the last few of d.b, go through [decoder.decodeUnits].
func (d *decoder) decodeChunk(chunk *[chunkSize]byte) (n int, ok bool) {
	b, i, mask, shift := d.b, d.i, d.mask, d.shift&63 // &63: no test for a shift of 64 or more
	for i < len(b) && n <= chunkSize-16 {             // room for a word of four units of three bytes
		if i+32 <= len(b) {
			u := b[i : i+32]
			w0, w1 := binary.LittleEndian.Uint64(u[0:8]), binary.LittleEndian.Uint64(u[8:16])
			w2, w3 := binary.LittleEndian.Uint64(u[16:24]), binary.LittleEndian.Uint64(u[24:32])
			if (w0|w1|w2|w3)&mask == 0 {
				p0 := pack4(w0>>shift) | pack4(w1>>shift)<<32
				p1 := pack4(w2>>shift) | pack4(w3>>shift)<<32
				binary.LittleEndian.PutUint64(chunk[n:], p0)
				binary.LittleEndian.PutUint64(chunk[n+8:], p1)
				i, n = i+32, n+16
				continue
			}
		}
		end := len(b)
		if i+8 <= len(b) {
			if w := binary.LittleEndian.Uint64(b[i:]); w&mask == 0 {
				p := pack4(w >> shift)
				binary.LittleEndian.PutUint32(chunk[n:], uint32(p))
				i, n = i+8, n+4
				continue
			}
			// Up to the next 32-byte block of units one by one, when the
			// chunk has room for their text (3 bytes a unit, 4 for a pair
			// reaching past end); else the units of this word.
			end = i + 8
			if n <= chunkSize-52 {
				end = min(len(b), i+32)
			}
		}
		if i, n, ok = d.decodeUnits(chunk, i, n, end); !ok {
			d.i = i
			return n, false
		}
	}
	d.i = i
	return n, true
}

// The bits of four UTF-16 units read as a little-endian 64-bit word that
// are all zero when the four are ASCII, in each byte order.
const (
	nonASCIILE = 0xFF80FF80FF80FF80
	nonASCIIBE = 0x80FF80FF80FF80FF
)

// pack4 returns the four bytes of w, four ASCII units of UTF-16 read as a
// little-endian word (the ASCII byte low in each unit), in its low 32 bits.
func pack4(w uint64) uint64 {
	w = (w | w>>8) & 0x0000FFFF0000FFFF
	return (w | w>>16) & 0xFFFFFFFF
}

// The surrogates: high ones from surr1, low ones from surr2, up to surr3.
const (
	surr1 = 0xD800
	surr2 = 0xDC00
	surr3 = 0xE000
)

// decodeUnits decodes the units of d.b from index i up to end one by one
// into chunk from index n on (a surrogate pair may reach past end). It
// returns the index of the next unit, the new n, and false at a bad unit.
func (d *decoder) decodeUnits(chunk *[chunkSize]byte, i, n, end int) (next, m int, ok bool) {
	b, lo, hi := d.b, d.lo, d.hi
	for i < end {
		u := b[i : i+2]
		r := rune(u[lo]) | rune(u[hi])<<8
		i += 2
		switch {
		case r < 0x80:
			chunk[n] = byte(r)
			n++
		case r < 0x800:
			chunk[n], chunk[n+1] = 0xC0|byte(r>>6), 0x80|byte(r)&0x3F
			n += 2
		case r < surr1 || r >= surr3:
			chunk[n], chunk[n+1], chunk[n+2] = 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F
			n += 3
		default:
			var r2 rune
			if i+2 <= len(b) {
				u := b[i : i+2]
				r2 = rune(u[lo]) | rune(u[hi])<<8
			}
			if r >= surr2 || r2 < surr2 || r2 >= surr3 {
				return i, n, false // a low surrogate first, or a high one alone
			}
			i += 2
			r = (r-surr1)<<10 | (r2 - surr2) + 0x10000
			chunk[n], chunk[n+1], chunk[n+2], chunk[n+3] = 0xF0|byte(r>>18), 0x80|byte(r>>12)&0x3F, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F
			n += 4
		}
	}
	return i, n, true
}

// encodeUTF16 encodes the valid UTF-8 text as UTF-16 with a byte order mark.
func encodeUTF16(text string, bigEndian bool) []byte {
	out := make([]byte, 0, utf16Size(text))
	lo, hi := 0, 1
	if bigEndian {
		out = append(out, bomUTF16BE...)
		lo, hi = 1, 0
	} else {
		out = append(out, bomUTF16LE...)
	}
	var u [2]byte
	put := func(r rune) {
		u[lo], u[hi] = byte(r), byte(r>>8)
		out = append(out, u[0], u[1])
	}
	for _, r := range text {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			put(r1)
			put(r2)
			continue
		}
		put(r)
	}
	return out
}

// utf16Size returns the size of the valid UTF-8 text encoded as UTF-16
// with a byte order mark.
func utf16Size(text string) int {
	n := 2
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c < 0x80 || c >= 0xC0 && c < 0xF0:
			n += 2 // the first byte of a rune of one UTF-16 unit
		case c >= 0xF0:
			n += 4 // the first byte of a rune of two units
		}
	}
	return n
}

// size returns the size of the file as stored if its text were text.
func (f *File) size(text string) int {
	if f.Encoding().utf16() {
		return utf16Size(text)
	}
	return len(text)
}

// newFile returns a File with room for n lines. Files of up to 64 lines
// take one allocation for the File and its lines, of a size close to what
// they need.
func newFile(n int) *File {
	var f *File
	var lines []line
	switch {
	case n <= 4:
		a := new(struct {
			File
			lines [4]line
		})
		f, lines = &a.File, a.lines[:]
	case n <= 8:
		a := new(struct {
			File
			lines [8]line
		})
		f, lines = &a.File, a.lines[:]
	case n <= 16:
		a := new(struct {
			File
			lines [16]line
		})
		f, lines = &a.File, a.lines[:]
	case n <= 32:
		a := new(struct {
			File
			lines [32]line
		})
		f, lines = &a.File, a.lines[:]
	case n <= 64:
		a := new(struct {
			File
			lines [64]line
		})
		f, lines = &a.File, a.lines[:]
	default:
		f, lines = new(File), make([]line, n)
	}
	f.lines = lines[:n]
	return f
}

// countLines returns the number of lines of text.
func countLines(text string) int {
	n := strings.Count(text, "\n")
	if text != "" && text[len(text)-1] != '\n' {
		n++
	}
	return n
}

// parseLines splits f.text[f.body():] into lines and classifies each line as
// GetPrivateProfileString reads it. It fills f.lines when newFile made it
// (their number is the number of LFs plus one) and new lines otherwise:
// the lines of a File are never modified in place, as clones share them.
func (f *File) parseLines() {
	text := f.text
	lines := f.lines
	if len(lines) == 0 {
		lines = make([]line, countLines(text[f.body():]))
	}
	var keys int32
	var secs uint32
	k := 0
	for i := f.body(); i < len(text); k++ {
		kind, a, b, end := scanLine(text, i)
		eol := 0
		if end < len(text) {
			eol = 1
			if end > i && text[end-1] == '\r' {
				end--
				eol = 2
			}
		}
		l := &lines[k]
		switch kind {
		case lineKey:
			keys++
		case lineSection:
			secs++
		}
		*l = newLine(i, end, eol, kind, a, b)
		i = end + eol
	}
	f.lines, f.keys, f.secs = lines[:k], keys, secs|f.secs&^(1<<encShift-1)
}

// lineEnd returns the index of the first LF of text from i on, or
// len(text). It reads eight bytes at a time: most lines are too short for
// the call of strings.IndexByte to pay.
func lineEnd(text string, i int) int {
	for i+8 <= len(text) {
		if t := zeroBytes(load64(text, i) ^ 0x0A0A0A0A0A0A0A0A); t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
		i += 8
	}
	for i < len(text) && text[i] != '\n' {
		i++
	}
	return i
}

// load64 returns the eight bytes of text from i on as a little-endian word.
func load64(text string, i int) uint64 {
	b := text[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// zeroBytes returns w with the high bit set of its lowest zero byte, and
// maybe of higher bytes, and no other: 0 when w has no zero byte.
func zeroBytes(w uint64) uint64 {
	return (w - 0x0101010101010101) &^ w & 0x8080808080808080
}

// scanLine reads the line of text that starts at start as
// GetPrivateProfileString does: it returns its kind, for a section or key
// the a and b of its line, and the index of the LF that ends it (len(text)
// when none does). It reads the line once: its leading blanks, then by the
// first other byte a comment or section to its LF, or a key to its '=',
// eight bytes at a time, and its value from the first non-blank to the LF.
func scanLine(text string, start int) (kind lineKind, a, b, nl int) {
	i := start
	for i < len(text) && isBlank(text[i]) {
		i++
	}
	if i == len(text) || text[i] == '\n' {
		return lineBlank, 0, 0, i
	}
	switch text[i] {
	case ';':
		return lineComment, 0, 0, lineEnd(text, i+1)
	case '[':
		nl = lineEnd(text, i+1)
		j := nl
		for isBlank(text[j-1]) { // text[i] is '['
			j--
		}
		// Modelling choice: the name ends at the last ']' of the line, as
		// in Wine's reimplementation; without one it runs to the end.
		ne := j
		if k := strings.LastIndexByte(text[i+1:j], ']'); k >= 0 {
			ne = i + 1 + k
		}
		n0, n1 := trim(text, i+1, ne)
		return lineSection, n0, n1, nl
	case '=':
		// Modelling choice: "=value" has no key and is ignored.
		return lineOther, 0, 0, lineEnd(text, i+1)
	}
	eq := keyEnd(text, i+1)
	if eq == len(text) || text[eq] == '\n' {
		return lineOther, 0, 0, eq
	}
	n1 := eq // after the first non-blank
	for isBlank(text[n1-1]) {
		n1--
	}
	v := eq + 1
	for v < len(text) && isBlank(text[v]) {
		v++
	}
	if v == len(text) || text[v] == '\n' {
		return lineKey, n1, eq + 1, v // a value of blanks only starts and ends at the '='
	}
	return lineKey, n1, v, lineEnd(text, v+1)
}

// keyEnd returns the index of the first '=' or LF of text from i on, or
// len(text), reading eight bytes at a time.
func keyEnd(text string, i int) int {
	for i+8 <= len(text) {
		w := load64(text, i)
		if t := zeroBytes(w^0x3D3D3D3D3D3D3D3D) | zeroBytes(w^0x0A0A0A0A0A0A0A0A); t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
		i += 8
	}
	for i < len(text) && text[i] != '=' && text[i] != '\n' {
		i++
	}
	return i
}

// unquote strips one pair of matching outer quotes, " or ', from v.
func unquote(v string) string {
	if quoted(v) {
		return v[1 : len(v)-1]
	}
	return v
}

// quoted reports whether v has a pair of matching outer quotes.
func quoted(v string) bool {
	return len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]
}

// Name returns the name the file was parsed with.
func (f *File) Name() string { return f.name }

// Kind returns the kind of the file, from its name (see [KindOf]).
func (f *File) Kind() Kind { return KindOf(f.name) }

// Encoding returns the encoding the file was read in and is written in.
func (f *File) Encoding() Encoding { return Encoding(f.secs >> encShift) }

// Bytes returns the document in its encoding. Until the file is edited it
// is the input of [Parse] byte for byte. The caller owns the result.
func (f *File) Bytes() []byte {
	if enc := f.Encoding(); enc.utf16() {
		return encodeUTF16(f.text, enc == EncodingUTF16BE)
	}
	return []byte(f.text)
}

// Clone returns an independent copy of f.
func (f *File) Clone() *File {
	g := *f // the text and the lines are never modified in place
	return &g
}

// name returns the name of section or key line k.
func (f *File) nameOf(k int) string {
	i, j := f.lines[k].name(f.text)
	return f.text[i:j]
}

// value returns the value of key line k as Windows reads it.
func (f *File) value(k int) string {
	i, j := f.lines[k].value(f.text)
	return unquote(f.text[i:j])
}

// find locates a key as GetPrivateProfileString does: in the first section
// named section, the first line whose key is key. It returns the indexes of
// the section line, of that key line and of the last key line of the
// section (the section line when it has none); -1 for what is missing.
func (f *File) find(section, key string) (sec, k, last int) {
	sec, k, last = -1, -1, -1
	for i := range f.lines {
		l := &f.lines[i]
		switch {
		case l.kind() == lineSection:
			if sec >= 0 {
				return sec, k, last
			}
			if equalFold(f.nameOf(i), section) {
				sec, last = i, i
			}
		case l.kind() == lineKey && sec >= 0:
			last = i
			if k < 0 && equalFold(f.nameOf(i), key) {
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
	return f.value(k), true
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
// key line (k its index) in file order, with name, the section's name or
// the key. sec is the index of the first header of the section the line is
// in (-1 before the first section); effective reports whether Windows reads
// the key: not before the first section, not in a repeated section, not a
// repeated key. It takes time linear in the size of the file.
func (f *File) walk(fn func(sec, k int, name string, effective bool)) {
	n := int(f.keys) + f.nSecs()
	if n <= len(nameSet{}.few) {
		f.walkNames(newNameSet(f, n, nil), fn)
		return
	}
	var table [128]slot // zeroed only for a set that will need a table
	f.walkNames(newNameSet(f, n, table[:]), fn)
}

// walkNames is walk with names, an empty set of the names of f's lines:
// sections in scope -1, keys in their section's.
func (f *File) walkNames(names nameSet, fn func(sec, k int, name string, effective bool)) {
	sec, secEffective := -1, false
	for i := range f.lines {
		switch f.lines[i].kind() {
		case lineSection:
			name := f.nameOf(i)
			sec = names.add(-1, i, name)
			secEffective = sec == i
			if secEffective {
				fn(sec, -1, name, true)
			}
		case lineKey:
			name := f.nameOf(i)
			fn(sec, i, name, secEffective && names.add(int32(sec), i, name) == i)
		}
	}
}

// entry returns the Entry of key line k in the section whose first header
// is line sec (-1: none).
func (f *File) entry(sec, k int) Entry {
	e := Entry{Key: f.nameOf(k), Value: f.value(k), Line: k + 1}
	if sec >= 0 {
		e.Section = f.nameOf(sec)
	}
	return e
}

// Sections returns the sections Windows reads, in file order: the first
// header of each name. Repeated headers are left out, as Windows ignores
// their keys.
func (f *File) Sections() []Section {
	var out []Section
	f.walk(func(sec, k int, name string, _ bool) {
		if k < 0 {
			out = append(out, Section{Name: name, Line: sec + 1})
		}
	})
	return out
}

// Entries returns every key Windows reads, in file order: the first line
// of each key in the first section of each name. Entry.Section is the name
// as the section's first header writes it.
func (f *File) Entries() []Entry {
	var out []Entry
	f.walk(func(sec, k int, _ string, effective bool) {
		if k >= 0 && effective {
			out = append(out, f.entry(sec, k))
		}
	})
	return out
}

// Ignored returns the key lines Windows does not read, in file order: keys
// before the first section (Section ""), keys of a repeated section and
// repeated keys (Section is the name as the section's first header writes
// it). A tool can show them as dead lines. Edits leave them as they are,
// except that [File.Delete], and [File.SetSettings] when it deletes a known
// key, remove the repeated lines of the key they delete.
func (f *File) Ignored() []Entry {
	var out []Entry
	f.walk(func(sec, k int, _ string, effective bool) {
		if k >= 0 && !effective {
			out = append(out, f.entry(sec, k))
		}
	})
	return out
}
