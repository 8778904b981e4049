package ini_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/quote"
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
	switch rapid.IntRange(0, 8).Draw(t, "kind") {
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
	case 7:
		// Two lines joined by a bare CR, which ends no line for Windows.
		return genLine(t) + rapid.SampledFrom([]string{"\r", "\r\r", " \r"}).Draw(t, "cr") + genLine(t)
	default:
		return strings.ReplaceAll(rapid.String().Draw(t, "junk"), "\n", "")
	}
}

// genDoc draws a document: an optional UTF-8 BOM, lines with LF or CRLF
// endings, and an optional final line ending.
func genDoc(t *rapid.T) string { return genDocN(t, 12) }

// genDocN draws a document of up to max lines.
func genDocN(t *rapid.T, max int) string {
	var b strings.Builder
	if rapid.Bool().Draw(t, "bom") {
		b.WriteString("\xEF\xBB\xBF")
	}
	n := rapid.IntRange(0, max).Draw(t, "lines")
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
	s, err := f.Settings()
	var list ini.ErrorList
	errors.As(err, &list)
	for _, e := range list {
		// The longest message, a conflict, quotes two values and a
		// section of at most quote.Max bytes each, up to 4 bytes a
		// byte when escaped: 1,306 bytes with its words.
		if msg := e.Error(); len(msg) > 3*(4*quote.Max+5)+200 || strings.ContainsFunc(msg, func(r rune) bool { return !strconv.IsPrint(r) }) {
			t.Fatalf("Settings: a message of %d bytes: %.600q", len(msg), msg)
		}
	}
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

// modelBareCRs returns the 1-based lines of doc whose text holds a CR with
// more text after it on the line.
func modelBareCRs(doc string) []int {
	var out []int
	lines := strings.Split(strings.TrimPrefix(doc, "\xEF\xBB\xBF"), "\n")
	for i, l := range lines {
		if i == len(lines)-1 && l == "" {
			break
		}
		if strings.Contains(strings.Trim(l, " \t\r\v\f"), "\r") {
			out = append(out, i+1)
		}
	}
	return out
}

// TestBareCRMatchesModel: Settings reports exactly the lines with a bare
// CR inside their text, in UTF-8 and UTF-16 alike.
func TestBareCRMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		doc := genDoc(t)
		data := []byte(doc)
		if strings.ToValidUTF8(doc, "") == doc && rapid.Bool().Draw(t, "utf16") {
			data = utf16le(strings.TrimPrefix(doc, "\xEF\xBB\xBF"))
		}
		f, err := ini.Parse("cr.ini", data)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Settings()
		var list ini.ErrorList
		errors.As(err, &list)
		var got []int
		for _, e := range list {
			if strings.Contains(e.Error(), ": bare CR: ") {
				if e.File != "cr.ini" || e.Key != "" {
					t.Fatalf("bare CR error %+v", *e)
				}
				got = append(got, e.Line)
			}
		}
		if want := modelBareCRs(doc); !slices.Equal(want, got) {
			t.Fatalf("bare CR lines %v, want %v\n%q", got, want, doc)
		}
		if !slices.IsSortedFunc(list, func(a, b *ini.Error) int { return a.Line - b.Line }) {
			t.Fatalf("errors not in line order: %v", list)
		}
	})
}

// genSettings draws settings to write into f: what f reads, changed.
func genSettings(t *rapid.T, f *ini.File) ini.Settings {
	s, _ := f.Settings()
	if rapid.Bool().Draw(t, "defaulted") {
		s.ClientInstallAction, s.ActionDefaulted = ini.ActionInstall, true
	} else {
		s.ClientInstallAction, s.ActionDefaulted = rapid.SampledFrom(ini.Actions()).Draw(t, "action"), false
	}
	s.CertEnrollAction = rapid.SampledFrom([]string{"", ini.CertEnroll, "ENROLL"}).Draw(t, "enroll")
	s.Installer = rapid.SampledFrom([]string{"", "DMInstaller_PPC2003.exe", "dminstaller_ppc2003.EXE", "DMInstaller_WM6.exe"}).Draw(t, "installer")
	var unknown []ini.Entry
	for _, e := range s.Unknown {
		switch rapid.IntRange(0, 3).Draw(t, "edit") {
		case 0:
			continue
		case 1:
			e.Value = rapid.SampledFrom(poolValues).Draw(t, "value")
		}
		unknown = append(unknown, e)
	}
	for range rapid.IntRange(0, 4).Draw(t, "new") {
		unknown = append(unknown, ini.Entry{
			Section: rapid.SampledFrom(append(poolSections, "New", "NEW")).Draw(t, "section"),
			Key:     rapid.SampledFrom([]string{"k", "K", "key", "a", "b"}).Draw(t, "key"),
			Value:   rapid.SampledFrom(poolValues).Draw(t, "value"),
		})
	}
	s.Unknown = unknown
	return s
}

// errModel marks what the model cannot write with Set although SetSettings
// can: a name Set would refuse, of a section or key the file has already.
var errModel = errors.New("beyond the model")

// modelSetSettings writes s into f as SetSettings documents it, with Set
// and Delete one key at a time: the known keys' deletions, their values
// and new keys, then each key of Unknown with the value of its last entry,
// in the order of their first entries.
func modelSetSettings(f *ini.File, s ini.Settings) error {
	before := f.Bytes()
	entries := f.Entries()
	isKnown := func(key string) bool {
		return strings.EqualFold(key, ini.KeyClientInstallAction) || strings.EqualFold(key, ini.KeyCertEnrollAction) || strings.EqualFold(key, ini.KeyInstaller)
	}
	knownSec := ""
	for _, e := range entries {
		if isKnown(e.Key) {
			knownSec = e.Section
			break
		}
	}
	if i := slices.IndexFunc(entries, func(e ini.Entry) bool { return isKnown(e.Key) }); i < 0 {
		knownSec = ini.DefaultSection
		if secs := f.Sections(); len(secs) > 0 && secs[0].Name != "" {
			knownSec = secs[0].Name
		}
	}
	set := func(section, key, value string, exists bool) error {
		err := f.Set(section, key, value)
		if err != nil && exists {
			return errModel
		}
		return err
	}
	type known struct {
		name, want string
	}
	var keys []known
	for _, name := range []string{ini.KeyClientInstallAction, ini.KeyCertEnrollAction, ini.KeyInstaller} {
		want := ""
		switch name {
		case ini.KeyClientInstallAction:
			if !s.ActionDefaulted {
				want = s.ClientInstallAction.String()
			}
		case ini.KeyCertEnrollAction:
			if s.Enroll() {
				want = ini.CertEnroll
			}
		default:
			want = s.Installer
		}
		keys = append(keys, known{name, want})
		if want != "" {
			continue
		}
		for _, e := range entries {
			if strings.EqualFold(e.Key, name) && (name == ini.KeyClientInstallAction || e.Value != "") {
				f.Delete(e.Section, e.Key)
			}
		}
	}
	if after := f.Bytes(); !bytes.Equal(before, after) && !bytes.HasSuffix(before, []byte("\n")) {
		// The deletions took the last line of a file without a final line
		// ending and the ending before it: the line endings of later
		// insertions are then the model's own.
		return errModel
	}
	for _, k := range keys {
		if k.want == "" {
			continue
		}
		found := false
		for _, e := range entries {
			if strings.EqualFold(e.Key, k.name) {
				found = true
				if !strings.EqualFold(e.Value, k.want) {
					if err := set(e.Section, e.Key, k.want, true); err != nil {
						return err
					}
				}
			}
		}
		if !found {
			if err := set(knownSec, k.name, k.want, false); err != nil {
				return errModel // a known section that Set cannot name
			}
		}
	}
	// The last entry of a key wins; keys go in the order of their first.
	var unknown []ini.Entry
	at := map[[2]string]int{}
	for _, e := range s.Unknown {
		id := [2]string{strings.ToLower(e.Section), strings.ToLower(e.Key)}
		if i, ok := at[id]; ok {
			unknown[i].Value = e.Value
			continue
		}
		at[id] = len(unknown)
		unknown = append(unknown, e)
	}
	for _, e := range unknown {
		v, ok := f.Get(e.Section, e.Key)
		if ok && v == e.Value {
			continue
		}
		if err := set(e.Section, e.Key, e.Value, ok); err != nil {
			return err
		}
	}
	return nil
}

// TestSetSettingsMatchesModel: SetSettings, which plans everything in one
// pass, writes what Set and Delete write one key at a time, and fails when
// they do, leaving the file unchanged.
func TestSetSettingsMatchesModel(t *testing.T) { rapid.Check(t, checkSetSettings) }

// FuzzSetSettings is the property of TestSetSettingsMatchesModel as a fuzz
// target.
func FuzzSetSettings(f *testing.F) { f.Fuzz(rapid.MakeFuzz(checkSetSettings)) }

func checkSetSettings(t *rapid.T) {
	{
		doc := genDoc(t)
		name := rapid.SampledFrom([]string{"ClientSettings.ini", "DMCommonInstaller.ini"}).Draw(t, "name")
		f, err := ini.Parse(name, []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		s := genSettings(t, f)
		g := f.Clone()
		_, err = g.SetSettings(s)
		m := f.Clone()
		merr := modelSetSettings(m, s)
		switch {
		case errors.Is(merr, errModel):
			return
		case (err == nil) != (merr == nil):
			t.Fatalf("SetSettings: %v; the model: %v", err, merr)
		case err != nil:
			if string(g.Bytes()) != doc {
				t.Fatalf("a failed SetSettings changed the file to %q", g.Bytes())
			}
			return
		}
		if got, want := string(g.Bytes()), string(m.Bytes()); got != want {
			t.Fatalf("SetSettings wrote\n%q\nthe model\n%q\nfrom\n%q", got, want, doc)
		}
		checkReadBack(t, g, s)
	}
}

// checkReadBack checks that f, written with s, reads back s.
func checkReadBack(t *rapid.T, f *ini.File, s ini.Settings) {
	got, err := f.Settings()
	var list ini.ErrorList
	errors.As(err, &list)
	for _, e := range list {
		if !strings.Contains(e.Error(), ": bare CR: ") {
			t.Fatalf("reading back: %v\n%q", e, f.Bytes())
		}
	}
	want := s.ClientInstallAction
	if s.ActionDefaulted {
		want = ini.ActionInstall
	}
	if got.ClientInstallAction != want || got.ActionDefaulted != s.ActionDefaulted ||
		got.Enroll() != s.Enroll() || !strings.EqualFold(got.Installer, s.Installer) {
		t.Fatalf("read back %+v, wrote %+v\n%q", got, s, f.Bytes())
	}
	last := map[[2]string]string{}
	for _, e := range s.Unknown {
		last[[2]string{strings.ToLower(e.Section), strings.ToLower(e.Key)}] = e.Value
	}
	for _, e := range s.Unknown {
		if v, ok := f.Get(e.Section, e.Key); !ok || v != last[[2]string{strings.ToLower(e.Section), strings.ToLower(e.Key)}] {
			t.Fatalf("Get(%q, %q) = %q, %v after SetSettings\n%q", e.Section, e.Key, v, ok, f.Bytes())
		}
	}
}

// TestSetSettingsOfSettingsChangesNothing: writing back what Settings read
// without error changes no byte.
func TestSetSettingsOfSettingsChangesNothing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		doc := genDoc(t)
		f, err := ini.Parse("ClientSettings.ini", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.Settings()
		if err != nil {
			return
		}
		if w, err := f.SetSettings(s); err != nil || len(w) != 0 || string(f.Bytes()) != doc {
			t.Fatalf("SetSettings(Settings()) = %v, %v, %q", w, err, f.Bytes())
		}
	})
}

// TestEditsNeverExceedMaxSize: whatever edit is made to a file near
// MaxSize, in UTF-8 or UTF-16, either it succeeds and the file parses back,
// or it fails with ErrTooLarge and leaves the file byte for byte.
func TestEditsNeverExceedMaxSize(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		utf16 := rapid.Bool().Draw(t, "utf16")
		room := rapid.IntRange(0, 64).Draw(t, "room")
		data := nearlyFull(room&^1, utf16)
		f, err := ini.Parse("full.ini", data)
		if err != nil {
			t.Fatal(err)
		}
		value := strings.Repeat(rapid.SampledFrom([]string{"v", "é", "東", "😀"}).Draw(t, "char"), rapid.IntRange(0, 40).Draw(t, "n"))
		switch rapid.IntRange(0, 3).Draw(t, "edit") {
		case 0:
			err = f.Set(rapid.SampledFrom([]string{"S", "T"}).Draw(t, "section"), rapid.SampledFrom([]string{"k", "new"}).Draw(t, "key"), value)
		case 1:
			f.Delete("S", "k")
		default:
			s, _ := f.Settings()
			s.Installer = rapid.SampledFrom([]string{"", "DMInstaller_PPC2003.exe"}).Draw(t, "installer")
			s.Unknown = append(s.Unknown, ini.Entry{Section: "S", Key: "k", Value: value})
			_, err = f.SetSettings(s)
		}
		got := f.Bytes()
		switch {
		case err == nil:
			if len(got) > ini.MaxSize {
				t.Fatalf("an edit made %d bytes", len(got))
			}
			if _, err := ini.Parse("full.ini", got); err != nil {
				t.Fatalf("Parse after an edit: %v", err)
			}
		case !errors.Is(err, ini.ErrTooLarge):
			t.Fatalf("edit: %v", err)
		case !bytes.Equal(got, data):
			t.Fatalf("a failed edit changed the file")
		}
	})
}

// FuzzActionText: every text either names an action, ignoring case and
// surrounding blanks, or is an error of bounded length; the action's name
// and its text form read back as the same action. Kind and Encoding
// unmarshal by the same rule.
func FuzzActionText(f *testing.F) {
	for _, s := range []string{"Install", " none\t", "UNINSTALL", "", "Reinstall", "ClientSettings.ini", "utf-16le"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ini.ParseAction(s)
		if err != nil {
			if a != 0 || len(err.Error()) > 600 || !strings.HasPrefix(err.Error(), "ini: unknown Action ") {
				t.Fatalf("ParseAction(%q) = %v, %v", s, a, err)
			}
		} else {
			text, err := a.MarshalText()
			var back ini.Action
			if !strings.EqualFold(strings.TrimSpace(s), a.String()) || err != nil || back.UnmarshalText(text) != nil || back != a {
				t.Fatalf("ParseAction(%q) = %v: round trip %q %v -> %v", s, a, text, err, back)
			}
		}
		var k ini.Kind
		if err := k.UnmarshalText([]byte(s)); err == nil && !strings.EqualFold(strings.TrimSpace(s), k.String()) {
			t.Fatalf("Kind.UnmarshalText(%q) = %v", s, k)
		}
		var e ini.Encoding
		if err := e.UnmarshalText([]byte(s)); err == nil && !strings.EqualFold(strings.TrimSpace(s), e.String()) {
			t.Fatalf("Encoding.UnmarshalText(%q) = %v", s, e)
		}
	})
}

// FuzzInstallerPlatform: a name is accepted only as a bare
// DMInstaller_<platform>.exe whose platform can name no other file, and
// InstallerName builds it back.
func FuzzInstallerPlatform(f *testing.F) {
	for _, s := range []string{"DMInstaller_PPC2003.exe", "dminstaller_CE5.0_ARMV4I.EXE", `..\DMInstaller_x.exe`, "DMInstaller_a..b.exe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p, err := ini.InstallerPlatform(name)
		if err != nil {
			if p != "" || len(err.Error()) > 600 {
				t.Fatalf("InstallerPlatform(%q) = %q, %v", name, p, err)
			}
			return
		}
		if p == "" || len(p) > 64 || strings.ContainsAny(p, `/\:`) || strings.Contains(p, "..") || p[0] == '.' {
			t.Fatalf("InstallerPlatform(%q) accepted the platform %q", name, p)
		}
		if back, err := ini.InstallerName(p); err != nil || !strings.EqualFold(back, name) || !strings.HasSuffix(name, p+name[len(name)-4:]) {
			t.Fatalf("InstallerName(%q) = %q, %v; from %q", p, back, err, name)
		}
	})
}

// modelEntries is an independent reading of doc by the rules of
// GetPrivateProfileString, for names of valid UTF-8 (compared by
// strings.EqualFold, Unicode simple case folding): the key lines Windows
// reads and those it ignores, in file order.
func modelEntries(doc string) (read, ignored []ini.Entry) {
	doc = strings.TrimPrefix(doc, "\xEF\xBB\xBF")
	const ws = " \t\r\v\f"
	var sections []string // the names as first written
	var seen []string     // the keys read in the current section
	find := func(names []string, name string) int {
		return slices.IndexFunc(names, func(n string) bool { return strings.EqualFold(n, name) })
	}
	section, effective := "", false
	lines := strings.Split(doc, "\n")
	for i, line := range lines {
		t := strings.Trim(line, ws)
		switch {
		case t == "" || t[0] == ';':
		case t[0] == '[':
			name := t[1:]
			if j := strings.LastIndex(name, "]"); j >= 0 {
				name = name[:j]
			}
			name = strings.Trim(name, ws)
			j := find(sections, name)
			repeated := j >= 0
			if !repeated {
				sections = append(sections, name)
				j = len(sections) - 1
			}
			section, effective, seen = sections[j], !repeated, nil
		default:
			k, v, ok := strings.Cut(t, "=")
			k = strings.Trim(k, ws)
			if !ok || k == "" {
				continue
			}
			v = strings.Trim(v, ws)
			if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
				v = v[1 : len(v)-1]
			}
			e := ini.Entry{Section: section, Key: k, Value: v, Line: i + 1}
			if effective && find(seen, k) < 0 {
				seen = append(seen, k)
				read = append(read, e)
			} else {
				ignored = append(ignored, e)
			}
		}
	}
	return read, ignored
}

// genName draws a name of n choices, in random case.
func genName(t *rapid.T, prefix string, n int) string {
	name := prefix + strconv.Itoa(rapid.IntRange(0, n-1).Draw(t, prefix))
	if rapid.Bool().Draw(t, "upper") {
		name = strings.ToUpper(name)
	}
	return name
}

// genManyNames draws a document with up to 80 lines and many names, so
// that a file's names outgrow what is compared one by one.
func genManyNames(t *rapid.T) string {
	var b strings.Builder
	for range rapid.IntRange(0, 80).Draw(t, "lines") {
		p := func() string { return genPad(t, "pad") }
		switch rapid.IntRange(0, 5).Draw(t, "kind") {
		case 0:
			b.WriteString(p() + "[" + genName(t, "s", 6) + "]" + p())
		case 1:
			b.WriteString(strings.Map(func(r rune) rune { // ASCII, for the model
				if r > unicode.MaxASCII || r == '\n' {
					return '?'
				}
				return r
			}, genLine(t)))
		default:
			b.WriteString(p() + genName(t, "k", 30) + p() + "=" + p() + rapid.SampledFrom(poolValues).Draw(t, "value"))
		}
		b.WriteString(rapid.SampledFrom([]string{"\n", "\r\n"}).Draw(t, "eol"))
	}
	return b.String()
}

// foldNames are names of valid UTF-8 that fold together in ways ASCII
// does not: the Kelvin sign with k, the long s with s, ß with ẞ, the three
// sigmas, the title-case digraph, and names that differ only there, at
// their end or elsewhere.
var foldNames = []string{"k", "K", "\u212A", "park", "PARK", "par\u212A", "s", "ſ", "Straße", "STRAẞE", "straſſe",
	"σ", "Σ", "ς", "ǅ", "ǆ", "Ǆ", "é", "É", "Ünit", "üNIT", "Setting01", "setting0l", "SETTING01"}

// genFoldName draws a name of foldNames, with a number after it when many
// is set, so that a document holds more names than are compared one by one.
func genFoldName(t *rapid.T, label string, many bool) string {
	name := rapid.SampledFrom(foldNames).Draw(t, label)
	if many && rapid.Bool().Draw(t, label+" numbered") {
		name += strconv.Itoa(rapid.IntRange(0, 9).Draw(t, label+" number"))
	}
	return name
}

// TestUnicodeNamesMatchModel: sections and keys whose names fold together
// only by Unicode simple case folding are read as the model reads them,
// compared one by one in small documents and hashed in large ones.
func TestUnicodeNamesMatchModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		many := rapid.Bool().Draw(t, "many")
		var b strings.Builder
		for range rapid.IntRange(0, 60).Draw(t, "lines") {
			if rapid.IntRange(0, 4).Draw(t, "kind") == 0 {
				b.WriteString("[" + genFoldName(t, "section", many) + "]\r\n")
			} else {
				b.WriteString(genFoldName(t, "key", many) + "=" + rapid.SampledFrom(poolValues[:4]).Draw(t, "value") + "\r\n")
			}
		}
		doc := b.String()
		f, read := checkEntries(t, doc)
		for _, e := range read {
			if v, ok := f.Get(strings.ToUpper(e.Section), strings.ToLower(e.Key)); !ok || v != e.Value {
				t.Fatalf("Get(%q, %q) = %q, %v; want %q", strings.ToUpper(e.Section), strings.ToLower(e.Key), v, ok, e.Value)
			}
		}
	})
}

// TestEntriesMatchModel: Entries and Ignored read documents of up to 80
// lines, whose names are both compared one by one and hashed, as the model
// reads them.
func TestEntriesMatchModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkEntries(t, genManyNames(t))
	})
}

// checkEntries parses doc and checks its Entries and Ignored against
// modelEntries. It returns the file and the entries read.
func checkEntries(t *rapid.T, doc string) (*ini.File, []ini.Entry) {
	f, err := ini.Parse("m.ini", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	read, ignored := modelEntries(doc)
	if diff := cmp.Diff(read, f.Entries(), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Entries mismatch (-want +got):\n%s\n%q", diff, doc)
	}
	if diff := cmp.Diff(ignored, f.Ignored(), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Ignored mismatch (-want +got):\n%s\n%q", diff, doc)
	}
	return f, read
}
