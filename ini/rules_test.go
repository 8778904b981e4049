package ini_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/mobiledm/dmclient/ini"
	"pgregory.net/rapid"
)

// utf16le encodes s as UTF-16LE with a byte order mark.
func utf16le(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// TestReadingRules has a row for every reading rule of GetPrivateProfileString
// the package follows.
func TestReadingRules(t *testing.T) {
	tests := []struct {
		rule         string
		doc          string
		section, key string
		want         string
		ok           bool
	}{
		{"plain", "[S]\nk=v\n", "S", "k", "v", true},
		{"section name ignores case", "[Sect]\nk=v\n", "sECT", "k", "v", true},
		{"key name ignores case", "[S]\nKey=v\n", "S", "kEY", "v", true},
		{"non-ASCII names ignore case", "[Ürün]\nÉtat=v\n", "üRÜN", "éTAT", "v", true},
		{"first key wins", "[S]\nk=1\nK=2\n", "S", "k", "1", true},
		{"repeated section ignored", "[S]\na=1\n[T]\n[s]\nb=2\n", "S", "b", "", false},
		{"repeated section does not override", "[S]\na=1\n[s]\na=2\n", "S", "a", "1", true},
		{"missing key", "[S]\nk=v\n", "S", "x", "", false},
		{"missing section", "[S]\nk=v\n", "T", "k", "", false},
		{"key in next section not found", "[S]\n[T]\nk=v\n", "S", "k", "", false},
		{"comment line", "[S]\n;k=v\n", "S", "k", "", false},
		{"indented comment", "[S]\n \t;k=v\n", "S", ";k", "", false},
		{"semicolon inside key is a key", "[S]\na;b=v\n", "S", "a;b", "v", true},
		{"hash is ordinary", "[S]\n#k=v\n", "S", "#k", "v", true},
		{"hash in value", "[S]\nk=v # x\n", "S", "k", "v # x", true},
		{"no end-of-line comment", "[S]\nk=v ; x\n", "S", "k", "v ; x", true},
		{"blanks around key and value", "[S]\n \t k \t= \t v w \t\n", "S", "k", "v w", true},
		{"double quotes stripped", "[S]\nk=\" v \"\n", "S", "k", " v ", true},
		{"single quotes stripped", "[S]\nk='v'\n", "S", "k", "v", true},
		{"only one pair stripped", "[S]\nk=\"\"v\"\"\n", "S", "k", "\"v\"", true},
		{"quotes after trimming", "[S]\nk=  'v'  \n", "S", "k", "v", true},
		{"mismatched quotes stay", "[S]\nk=\"v'\n", "S", "k", "\"v'", true},
		{"lone quote stays", "[S]\nk=\"\n", "S", "k", "\"", true},
		{"empty quotes", "[S]\nk=\"\"\n", "S", "k", "", true},
		{"inner quote stays", "[S]\nk=a\"b\"\n", "S", "k", "a\"b\"", true},
		{"empty value", "[S]\nk=\n", "S", "k", "", true},
		{"value with equals", "[S]\nk=a=b\n", "S", "k", "a=b", true},
		{"line without equals ignored", "[S]\nk\n", "S", "k", "", false},
		{"empty key ignored", "[S]\n=v\n", "S", "", "", false},
		{"keys before first section ignored", "k=v\n[S]\n", "S", "k", "", false},
		{"missing bracket", "[S\nk=v\n", "S", "k", "v", true},
		{"blanks inside brackets", "[ \tS  ]\nk=v\n", "S", "k", "v", true},
		{"indented section", "  [S]  \nk=v\n", "S", "k", "v", true},
		{"text after bracket ignored", "[S] junk\nk=v\n", "S", "k", "v", true},
		{"last bracket ends the name", "[a]b]\nk=v\n", "a]b", "k", "v", true},
		{"CRLF", "[S]\r\nk=v\r\n", "S", "k", "v", true},
		{"mixed line endings", "[S]\r\na=1\nk=v\r\n", "S", "k", "v", true},
		{"stray CR is a blank", "[S]\nk=v\r\r\n", "S", "k", "v", true},
		{"no final newline", "[S]\nk=v", "S", "k", "v", true},
		{"UTF-8 BOM", "\xEF\xBB\xBF[S]\nk=v\n", "S", "k", "v", true},
		{"BOM not part of the name", "\xEF\xBB\xBFk=v\n[S]\n", "S", "k", "", false},
		{"ANSI bytes kept", "[S]\nk=caf\xe9\n", "S", "k", "caf\xe9", true},
		{"ANSI names compare exactly", "[S]\n\xe9=v\n", "S", "\xc9", "", false},
		{"invalid bytes do not fold together", "[S]\n\xe9=v\n", "S", "\xe8", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			f, err := ini.Parse("t.ini", []byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, ok := f.Get(tt.section, tt.key)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Get(%q, %q) = %q, %v; want %q, %v", tt.section, tt.key, got, ok, tt.want, tt.ok)
			}
			// The same document in UTF-16LE reads the same, where it is text.
			if strings.ToValidUTF8(tt.doc, "") != tt.doc {
				return
			}
			g, err := ini.Parse("t.ini", utf16le(strings.TrimPrefix(tt.doc, "\xEF\xBB\xBF")))
			if err != nil {
				t.Fatalf("Parse UTF-16: %v", err)
			}
			if got, ok := g.Get(tt.section, tt.key); got != tt.want || ok != tt.ok {
				t.Errorf("UTF-16LE: Get(%q, %q) = %q, %v; want %q, %v", tt.section, tt.key, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
		line int
	}{
		{"too large", make([]byte, ini.MaxSize+1), "ini: bad.ini: file too large: 1048577 bytes (at most 1048576)", 0},
		{"odd UTF-16LE", []byte{0xFF, 0xFE, '[', 0, 'S'}, "ini: bad.ini:1: malformed UTF-16", 1},
		{"odd UTF-16BE", []byte{0xFE, 0xFF, 0, '['}[:3], "ini: bad.ini:1: malformed UTF-16", 1},
		{"odd after lines", append(utf16le("a\nb\n"), 'x'), "ini: bad.ini:3: malformed UTF-16", 3},
		{"lone low surrogate", append(utf16le("[S]\r\n"), 0x00, 0xDC), "ini: bad.ini:2: malformed UTF-16", 2},
		{"lone high surrogate at end", append(utf16le("a\nb\n"), 0x00, 0xD8), "ini: bad.ini:3: malformed UTF-16", 3},
		{"high surrogate then text", append(utf16le("a"), 0x00, 0xD8, 'x', 0), "ini: bad.ini:1: malformed UTF-16", 1},
		{"high surrogate then odd byte", append(utf16le("a"), 0x00, 0xD8, 'x'), "ini: bad.ini:1: malformed UTF-16", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ini.Parse("bad.ini", tt.data)
			if f != nil || err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, %v; want nil, %s...", f, err, tt.want)
			}
			if got, want := errors.Is(err, ini.ErrTooLarge), tt.line == 0; got != want {
				t.Errorf("errors.Is(err, ErrTooLarge) = %v", got)
			}
			var e *ini.Error
			if !errors.As(err, &e) || e.File != "bad.ini" || e.Line != tt.line || e.Key != "" {
				t.Errorf("error %#v: want File bad.ini, Line %d", e, tt.line)
			}
		})
	}
	// The largest input is accepted, in every encoding.
	for _, data := range [][]byte{make([]byte, ini.MaxSize), append([]byte{0xFF, 0xFE}, make([]byte, ini.MaxSize-2)...)} {
		if _, err := ini.Parse("max.ini", data); err != nil {
			t.Errorf("Parse of MaxSize bytes: %v", err)
		}
	}
}

func TestEncodingDetection(t *testing.T) {
	tests := []struct {
		data []byte
		want ini.Encoding
	}{
		{[]byte("[S]\n"), ini.EncodingANSI},
		{[]byte{}, ini.EncodingANSI},
		{[]byte("\xEF\xBB\xBF[S]\n"), ini.EncodingUTF8BOM},
		{[]byte("\xEF\xBB"), ini.EncodingANSI},
		{utf16le("[S]\n"), ini.EncodingUTF16LE},
		{[]byte{0xFE, 0xFF, 0, '['}, ini.EncodingUTF16BE},
		{[]byte{'[', 0, 'S', 0, ']', 0}, ini.EncodingANSI}, // no BOM: never UTF-16
	}
	for _, tt := range tests {
		f, err := ini.Parse("e.ini", tt.data)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.data, err)
		}
		if got := f.Encoding(); got != tt.want {
			t.Errorf("Parse(%q).Encoding() = %v, want %v", tt.data, got, tt.want)
		}
	}
}

func TestLineNumbers(t *testing.T) {
	doc := "; c\r\n\r\n[A]\r\nx=1\nnoise\r\n[B]\ny=2\n[a]\nz=3\n"
	f, err := ini.Parse("l.ini", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(doc, "\n")
	check := func(line int, want string) {
		t.Helper()
		if line < 1 || line > len(lines) || !strings.Contains(lines[line-1], want) {
			t.Errorf("line %d is %q, want it to hold %q", line, lines[line-1], want)
		}
	}
	for _, s := range f.Sections() {
		check(s.Line, "["+s.Name+"]")
	}
	for _, e := range append(f.Entries(), f.Ignored()...) {
		check(e.Line, e.Key+"="+e.Value)
	}
	if n := len(f.Sections()) + len(f.Entries()) + len(f.Ignored()); n != 5 {
		t.Errorf("got %d sections and entries, want 5", n)
	}
}

// utf16be encodes s as UTF-16BE with a byte order mark.
func utf16be(s string) []byte {
	out := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

// TestUTF16Large: a UTF-16 file of many lines, with letters of one, two and
// three UTF-8 bytes and surrogate pairs at every offset, reads as its UTF-8
// text reads and writes back byte for byte; a bad unit far into the file is
// reported at its line.
func TestUTF16Large(t *testing.T) {
	var b strings.Builder
	b.WriteString("[S]\r\n")
	pieces := []string{"a", "é", "東", "😀", "bc"}
	for i := range 3000 {
		fmt.Fprintf(&b, "k%d=%s\r\n", i, strings.Repeat(pieces[i%len(pieces)], i%7))
	}
	text := b.String()
	want := mustParse(t, "u.ini", text).Entries()
	for name, data := range map[string][]byte{"LE": utf16le(text), "BE": utf16be(text)} {
		f, err := ini.Parse("u.ini", data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(f.Bytes(), data) {
			t.Errorf("%s: Bytes() differs from the input", name)
		}
		if diff := cmp.Diff(want, f.Entries()); diff != "" {
			t.Errorf("%s: entries mismatch (-want +got):\n%s", name, diff)
		}
	}
	bad := utf16le(text[:strings.Index(text, "k1499=")])
	bad = append(bad, 0x00, 0xDC) // a low surrogate alone, on line 1501
	bad = append(bad, utf16le("\r\nmore\r\n")[2:]...)
	_, err := ini.Parse("u.ini", bad)
	var e *ini.Error
	if !errors.As(err, &e) || e.Line != 1501 {
		t.Errorf("Parse of a bad unit on line 1501: %v", err)
	}
}

// genUnits draws UTF-16 units: runs of ASCII that look like profile lines,
// letters of every UTF-8 length (among them units whose one byte is ASCII
// and the other not, in either byte order), surrogate pairs, and lone or
// misplaced surrogates.
func genUnits(t *rapid.T) []uint16 {
	one := func(u uint16) []uint16 { return []uint16{u} }
	pieces := rapid.SliceOfN(rapid.OneOf(
		rapid.Map(rapid.SampledFrom([]string{"[S]\r\n", "k=v\r\n", "Key = value\n", ";c\r\n", "\r\n", "\n", "a", "abcdefghijklmnopqrstuvwxyz0123456789"}),
			func(s string) []uint16 { return utf16.Encode([]rune(s)) }),
		rapid.Map(rapid.SampledFrom([]uint16{0x7F, 0x80, 0xE9, 0xFF, 0x100, 0x141, 0x20AC, 0x4100, 0x7FF, 0x800, 0x6771, 0xD7FF, 0xE000, 0xFEFF, 0xFFFE, 0xFFFF}), one),
		rapid.Map(rapid.SampledFrom([]rune{0x10000, 0x1F600, 0x10FFFF}),
			func(r rune) []uint16 { return utf16.Encode([]rune{r}) }),
		rapid.Map(rapid.SampledFrom([]uint16{0xD800, 0xDBFF, 0xDC00, 0xDFFF}), one),
	), 0, 60).Draw(t, "pieces")
	var units []uint16
	for _, p := range pieces {
		units = append(units, p...)
	}
	return units
}

// modelUTF16 decodes units as unicode/utf16 does, but for a lone surrogate:
// it returns the 1-based line of the first one, or of the end when odd
// (a trailing byte) is set, or 0 and the text.
func modelUTF16(units []uint16, odd bool) (text string, line int) {
	line = 1
	var out []rune
	for k := 0; k < len(units); k++ {
		u := rune(units[k])
		switch {
		case utf16.IsSurrogate(u) && u < 0xDC00 && k+1 < len(units) && units[k+1] >= 0xDC00 && units[k+1] < 0xE000:
			out = append(out, utf16.DecodeRune(u, rune(units[k+1])))
			k++
		case utf16.IsSurrogate(u):
			return "", line
		default:
			out = append(out, u)
			if u == '\n' {
				line++
			}
		}
	}
	if odd {
		return "", line
	}
	return string(out), 0
}

// TestUTF16MatchesModel: Parse accepts UTF-16 in either byte order exactly
// when the model does, reports the model's line for a lone surrogate or an
// odd byte, and otherwise reads the model's text and writes the input back.
func TestUTF16MatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		units := genUnits(t)
		odd := rapid.Bool().Draw(t, "odd")
		checkUTF16(t, units, false, odd)
		checkUTF16(t, units, true, odd)
	})
}

// TestUTF16EveryOffset: each unit at a boundary of the decoding (of UTF-8
// length, of the surrogates, or ASCII in one byte and not the other),
// followed by each of them, at every offset of a run of ASCII, in either
// byte order, reads as the model reads it.
func TestUTF16EveryOffset(t *testing.T) {
	special := []uint16{'a', '\n', 0x7F, 0x80, 0xFF, 0x100, 0x141, 0x4100, 0x7FF, 0x800, 0xD7FF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000, 0xFFFF}
	run := utf16.Encode([]rune("k=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ\r\n"))
	for _, u := range special {
		for _, v := range special {
			for at := range len(run) - 1 {
				units := slices.Concat(run[:at], []uint16{u, v}, run[at:])
				checkUTF16(t, units, false, false)
				checkUTF16(t, units, true, false)
			}
		}
	}
}

// checkUTF16 checks Parse of units, with a trailing byte when odd is set,
// against modelUTF16.
func checkUTF16(t interface {
	Helper()
	Fatalf(string, ...any)
}, units []uint16, bigEndian, odd bool) {
	t.Helper()
	data := []byte{0xFF, 0xFE}
	if bigEndian {
		data = []byte{0xFE, 0xFF}
	}
	for _, u := range units {
		if bigEndian {
			data = append(data, byte(u>>8), byte(u))
		} else {
			data = append(data, byte(u), byte(u>>8))
		}
	}
	if odd {
		data = append(data, 'x')
	}
	text, line := modelUTF16(units, odd)
	f, err := ini.Parse("u.ini", data)
	if line > 0 {
		var e *ini.Error
		if !errors.As(err, &e) || e.Line != line || !strings.Contains(err.Error(), "malformed UTF-16") {
			t.Fatalf("Parse(%q) = %v; want malformed UTF-16 at line %d", data, err, line)
		}
		return
	}
	if err != nil {
		t.Fatalf("Parse(%q): %v", data, err)
	}
	if !bytes.Equal(f.Bytes(), data) {
		t.Fatalf("Bytes() = %q, want %q", f.Bytes(), data)
	}
	if strings.HasPrefix(text, "\uFEFF") {
		return // read as UTF-8, the text would start with a byte order mark
	}
	g, err := ini.Parse("u.ini", []byte(text))
	if err != nil {
		t.Fatalf("Parse of the UTF-8 text: %v", err)
	}
	if diff := cmp.Diff(g.Entries(), f.Entries()); diff != "" {
		t.Fatalf("Parse(%q): entries mismatch (-UTF-8 +UTF-16):\n%s", data, diff)
	}
	if diff := cmp.Diff(g.Ignored(), f.Ignored()); diff != "" {
		t.Fatalf("Parse(%q): ignored mismatch (-UTF-8 +UTF-16):\n%s", data, diff)
	}
}
