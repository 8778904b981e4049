package ini_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/ini"
	"pgregory.net/rapid"
)

// Small pools so that names collide, in different cases.
var (
	poolSections = []string{"S", "s", "Sec", "SEC", "T", "x y"}
	poolKeys     = []string{"k", "K", "key", "KEY", "a", "ClientInstallAction", "Installer"}
	poolValues   = []string{"", "v", "Install", "none", " pad ", "\"q\"", "'q'", "\"half'", "a=b", "v ; c", "#h", "[x]", "é", "caf\xe9"}
)

const blanks = " \t"

func genPad(t *rapid.T, label string) string {
	return rapid.StringOfN(rapid.SampledFrom([]rune(blanks)), 0, 2, -1).Draw(t, label)
}

// genLine draws one line, without its line ending, of any kind Windows knows.
func genLine(t *rapid.T) string {
	p := func() string { return genPad(t, "pad") }
	switch rapid.IntRange(0, 7).Draw(t, "kind") {
	case 0:
		close := rapid.SampledFrom([]string{"]", "", "] junk"}).Draw(t, "close")
		return p() + "[" + p() + rapid.SampledFrom(poolSections).Draw(t, "section") + p() + close
	case 1, 2, 3:
		return p() + rapid.SampledFrom(poolKeys).Draw(t, "key") + p() + "=" + p() + rapid.SampledFrom(poolValues).Draw(t, "value") + p()
	case 4:
		return p() + ";" + rapid.SampledFrom(poolKeys).Draw(t, "key") + "=x"
	case 5:
		return p()
	case 6:
		return p() + rapid.SampledFrom(poolKeys).Draw(t, "key")
	default:
		return strings.ReplaceAll(rapid.String().Draw(t, "junk"), "\n", "")
	}
}

// genDoc draws a document: an optional UTF-8 BOM, lines with LF or CRLF
// endings, and an optional final line ending.
func genDoc(t *rapid.T) string {
	var b strings.Builder
	if rapid.Bool().Draw(t, "bom") {
		b.WriteString("\xEF\xBB\xBF")
	}
	n := rapid.IntRange(0, 12).Draw(t, "lines")
	for i := range n {
		b.WriteString(genLine(t))
		if i < n-1 || rapid.Bool().Draw(t, "final") {
			b.WriteString(rapid.SampledFrom([]string{"\n", "\r\n"}).Draw(t, "eol"))
		}
	}
	return b.String()
}

// modelGet is an independent reading of doc by the rules of
// GetPrivateProfileString, for ASCII names.
func modelGet(doc, section, key string) (string, bool) {
	doc = strings.TrimPrefix(doc, "\xEF\xBB\xBF")
	const ws = " \t\r\v\f"
	seen := map[string]bool{}
	in := false
	for _, line := range strings.Split(doc, "\n") {
		t := strings.Trim(line, ws)
		switch {
		case t == "" || t[0] == ';':
		case t[0] == '[':
			name := t[1:]
			if i := strings.LastIndex(name, "]"); i >= 0 {
				name = name[:i]
			}
			name = strings.ToLower(strings.Trim(name, ws))
			if in {
				return "", false
			}
			in = !seen[name] && name == strings.ToLower(section)
			seen[name] = true
		case in:
			k, v, ok := strings.Cut(t, "=")
			k = strings.Trim(k, ws)
			if !ok || k == "" || !strings.EqualFold(k, key) {
				continue
			}
			v = strings.Trim(v, ws)
			if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
				v = v[1 : len(v)-1]
			}
			return v, true
		}
	}
	return "", false
}

// checkRoundTrip is the round-trip property on arbitrary bytes: Parse either
// fails with one of its two errors or keeps every byte, and reading never
// panics.
func checkRoundTrip(t interface {
	Helper()
	Fatalf(string, ...any)
}, data []byte) {
	t.Helper()
	f, err := ini.Parse("fuzz.ini", data)
	if err != nil {
		var e *ini.Error
		if !errors.As(err, &e) || e.File != "fuzz.ini" ||
			!errors.Is(err, ini.ErrTooLarge) && !strings.Contains(err.Error(), ": malformed UTF-16") {
			t.Fatalf("Parse: unexpected error %v", err)
		}
		return
	}
	if got := f.Bytes(); !bytes.Equal(got, data) {
		t.Fatalf("Bytes() = %q, want %q", got, data)
	}
	for _, e := range f.Entries() {
		if v, ok := f.Get(e.Section, e.Key); !ok || v != e.Value {
			t.Fatalf("Get(%q, %q) = %q, %v; Entries says %q", e.Section, e.Key, v, ok, e.Value)
		}
	}
	_ = f.Ignored()
	_ = f.Sections()
	s, _ := f.Settings()
	_ = s.Pairs()
	g := f.Clone()
	if err := g.Set("FuzzSection", "FuzzKey", " v "); err != nil {
		t.Fatalf("Set: %v", err)
	}
	h, err := ini.Parse("fuzz.ini", g.Bytes())
	if err != nil {
		t.Fatalf("Parse after Set: %v", err)
	}
	if v, ok := h.Get("FuzzSection", "FuzzKey"); !ok || v != " v " {
		t.Fatalf("Get after Set and Parse = %q, %v", v, ok)
	}
}

func TestRoundTripArbitraryBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkRoundTrip(t, rapid.SliceOf(rapid.Byte()).Draw(t, "data"))
	})
}

func TestRoundTripDocuments(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		doc := genDoc(t)
		checkRoundTrip(t, []byte(doc))
		if strings.ToValidUTF8(doc, "") == doc {
			checkRoundTrip(t, utf16le(strings.TrimPrefix(doc, "\xEF\xBB\xBF")))
		}
	})
}

func TestGetMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		doc := genDoc(t)
		f, err := ini.Parse("m.ini", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range poolSections {
			for _, k := range poolKeys {
				want, wantOK := modelGet(doc, s, k)
				if got, ok := f.Get(s, k); got != want || ok != wantOK {
					t.Fatalf("Get(%q, %q) = %q, %v; model says %q, %v\n%q", s, k, got, ok, want, wantOK, doc)
				}
			}
		}
	})
}

// checkOthersUnchanged checks that f reads every name of the pools except
// section/key as the model reads doc, the document before the edit op.
func checkOthersUnchanged(t *rapid.T, op, doc string, f *ini.File, section, key string) {
	for _, s := range poolSections {
		for _, k := range poolKeys {
			if strings.EqualFold(s, section) && strings.EqualFold(k, key) {
				continue
			}
			want, wantOK := modelGet(doc, s, k)
			if v, ok := f.Get(s, k); v != want || ok != wantOK {
				t.Fatalf("%s changed Get(%q, %q) from %q, %v to %q, %v", op, s, k, want, wantOK, v, ok)
			}
		}
	}
}

// lineSpan returns the byte range of the 1-based line n of doc, without
// its line ending.
func lineSpan(doc string, n int) (int, int) {
	start := 0
	for range n - 1 {
		start += strings.IndexByte(doc[start:], '\n') + 1
	}
	end := len(doc)
	if i := strings.IndexByte(doc[start:], '\n'); i >= 0 {
		end = start + i
	}
	return start, end
}

// TestSetChangesOnlyExpectedBytes: one Set makes Get return the value, leaves
// every other reading alone, and changes the bytes in one place: inside the
// value of the existing line, or by inserting new lines.
func TestSetChangesOnlyExpectedBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		doc := genDoc(t)
		section := rapid.SampledFrom(append(poolSections, "New")).Draw(t, "section")
		key := rapid.SampledFrom(poolKeys).Draw(t, "key")
		value := rapid.OneOf(rapid.SampledFrom(poolValues), rapid.StringMatching(`[ -~]{0,8}`)).Draw(t, "value")
		f, err := ini.Parse("p.ini", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		oldLine := 0
		for _, e := range f.Entries() {
			if strings.EqualFold(e.Section, section) && strings.EqualFold(e.Key, key) {
				oldLine = e.Line
			}
		}
		if err := f.Set(section, key, value); err != nil {
			t.Fatalf("Set(%q, %q, %q): %v", section, key, value, err)
		}
		got := string(f.Bytes())
		if v, ok := f.Get(section, key); !ok || v != value {
			t.Fatalf("Get after Set = %q, %v; want %q", v, ok, value)
		}
		checkOthersUnchanged(t, "Set", doc, f, section, key)
		// One splice: common prefix and suffix cover all but one region.
		p := 0
		for p < len(doc) && p < len(got) && doc[p] == got[p] {
			p++
		}
		s := 0
		for s < len(doc)-p && s < len(got)-p && doc[len(doc)-1-s] == got[len(got)-1-s] {
			s++
		}
		removed := doc[p : len(doc)-s]
		if oldLine > 0 {
			start, end := lineSpan(doc, oldLine)
			eq := start + strings.IndexByte(doc[start:end], '=')
			if removed != "" && (p <= eq || len(doc)-s > end) {
				t.Fatalf("Set of line %d changed bytes %d-%d outside its value (line %d-%d)\nold %q\nnew %q", oldLine, p, len(doc)-s, eq, end, doc, got)
			}
			if strings.Contains(got[p:len(got)-s], "\n") {
				t.Fatalf("Set of an existing key inserted a line: %q", got)
			}
		} else if removed != "" {
			t.Fatalf("Set of a new key removed %q\nold %q\nnew %q", removed, doc, got)
		}
	})
}

func TestDeleteProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		doc := genDoc(t)
		section := rapid.SampledFrom(poolSections).Draw(t, "section")
		key := rapid.SampledFrom(poolKeys).Draw(t, "key")
		f, err := ini.Parse("d.ini", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		_, had := f.Get(section, key)
		if ok := f.Delete(section, key); ok != had {
			t.Fatalf("Delete = %v, but Get said %v", ok, had)
		}
		if _, ok := f.Get(section, key); ok {
			t.Fatalf("Get after Delete found the key")
		}
		if !had && string(f.Bytes()) != doc {
			t.Fatalf("Delete of a missing key changed the file")
		}
		checkOthersUnchanged(t, "Delete", doc, f, section, key)
	})
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.ini")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{0xFF, 0xFE, 0x00, 0xD8})
	f.Add([]byte("[S\r\n=\r\n;x\nk='v\""))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoundTrip(t, data)
	})
}
