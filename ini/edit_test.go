package ini_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/ini"
)

func mustParse(t testing.TB, name, doc string) *ini.File {
	t.Helper()
	f, err := ini.Parse(name, []byte(doc))
	if err != nil {
		t.Fatalf("Parse(%q): %v", doc, err)
	}
	return f
}

func TestSet(t *testing.T) {
	tests := []struct {
		name, doc, section, key, value, want string
	}{
		{"replace value only", "[S]\r\n k = old \t\r\n", "S", "k", "new", "[S]\r\n k = new \t\r\n"},
		{"no end-of-line comment to keep", "[S]\nk=old ; c\n", "S", "k", "new", "[S]\nk=new\n"},
		{"replace keeps case of names", "[Sec]\nKey=1\n", "sec", "KEY", "2", "[Sec]\nKey=2\n"},
		{"replace first occurrence", "[S]\nk=1\nk=2\n", "S", "k", "3", "[S]\nk=3\nk=2\n"},
		{"replace in first section", "[S]\nk=1\n[S]\nk=2\n", "s", "k", "3", "[S]\nk=3\n[S]\nk=2\n"},
		{"same value touches nothing", "[S]\nk=  \"v\"  \n", "S", "k", "v", "[S]\nk=  \"v\"  \n"},
		{"quoted value keeps quotes", "[S]\nk='old'\n", "S", "k", "a b", "[S]\nk='a b'\n"},
		{"empty value replaced", "[S]\nk=\n", "S", "k", "v", "[S]\nk=v\n"},
		{"blank value replaced", "[S]\nk=   \n", "S", "k", "v", "[S]\nk=v   \n"},
		{"value with outer blanks is quoted", "[S]\nk=v\n", "S", "k", " v ", "[S]\nk=\" v \"\n"},
		{"quoted value is quoted again", "[S]\nk=v\n", "S", "k", "'v'", "[S]\nk=\"'v'\"\n"},
		{"mismatched quotes written as is", "[S]\nk=v\n", "S", "k", "'v\"", "[S]\nk='v\"\n"},
		{"new key after last key", "[S]\na=1\n\n; c\n[T]\n", "S", "b", "2", "[S]\na=1\nb=2\n\n; c\n[T]\n"},
		{"duplicate key line counts", "[S]\na=1\na=2\n\n", "S", "b", "3", "[S]\na=1\na=2\nb=3\n\n"},
		{"lines without equals do not count", "[S]\na=1\nnoise\n", "S", "b", "2", "[S]\na=1\nb=2\nnoise\n"},
		{"new key in empty section", "[S]\n; c\n[T]\n", "S", "k", "v", "[S]\nk=v\n; c\n[T]\n"},
		{"new key uses file line ending", "[S]\r\na=1\nb=2\n", "S", "c", "3", "[S]\r\na=1\nb=2\nc=3\r\n"},
		{"new key at end without newline", "[S]\r\na=1", "S", "b", "2", "[S]\r\na=1\r\nb=2"},
		{"new key after header without newline", "[S]", "S", "k", "v", "[S]\r\nk=v"},
		{"new key not in repeated section", "[S]\na=1\n[T]\n[S]\nb=2\n", "S", "c", "3", "[S]\na=1\nc=3\n[T]\n[S]\nb=2\n"},
		{"new key after ignored duplicate of itself", "[S]\nk=1\n[S]\n", "S", "k", "2", "[S]\nk=2\n[S]\n"},
		{"new section at end", "[S]\na=1\n", "T", "k", "v", "[S]\na=1\n[T]\nk=v\n"},
		{"new section adds final newline", "[S]\r\na=1", "T", "k", "v", "[S]\r\na=1\r\n[T]\r\nk=v\r\n"},
		{"new section in empty file", "", "T", "k", "v", "[T]\r\nk=v\r\n"},
		{"new section after BOM only", "\xEF\xBB\xBF", "T", "k", "v", "\xEF\xBB\xBF[T]\r\nk=v\r\n"},
		{"new section in comment-only file", "; only\n", "T", "k", "v", "; only\n[T]\nk=v\n"},
		{"keys before first section are no section", "k=1\n", "T", "k", "2", "k=1\n[T]\nk=2\n"},
		{"ANSI value", "[S]\nk=1\n", "S", "k", "caf\xe9", "[S]\nk=caf\xe9\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, "s.ini", tt.doc)
			if err := f.Set(tt.section, tt.key, tt.value); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(f.Bytes())); diff != "" {
				t.Errorf("Bytes() mismatch (-want +got):\n%s", diff)
			}
			if got, ok := f.Get(tt.section, tt.key); !ok || got != tt.value {
				t.Errorf("Get after Set = %q, %v; want %q, true", got, ok, tt.value)
			}
		})
	}
}

func TestSetUTF16(t *testing.T) {
	f, err := ini.Parse("u.ini", utf16le("[S]\r\nk=v\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Set("S", "k", "東京 😀"); err != nil {
		t.Fatal(err)
	}
	if err := f.Set("T", "n", "1"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(utf16le("[S]\r\nk=東京 😀\r\n[T]\r\nn=1\r\n"), f.Bytes()); diff != "" {
		t.Errorf("Bytes() mismatch (-want +got):\n%s", diff)
	}
	if err := f.Set("S", "k", "\xff"); err == nil || !strings.HasPrefix(err.Error(), "ini: invalid value ") {
		t.Errorf("Set of invalid UTF-8 in a UTF-16 file: %v, want an invalid value", err)
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name, section, key, value string
		want                      string // the message starts with it
	}{
		{"CR in value", "S", "k", "a\rb", `ini: invalid value "a\rb": contains CR, LF or NUL`},
		{"LF in value", "S", "k", "a\nb", `ini: invalid value "a\nb": `},
		{"NUL in value", "S", "k", "a\x00", `ini: invalid value "a\x00": `},
		{"LF in key", "S", "k\n", "v", `ini: invalid key "k\n": contains CR, LF or NUL`},
		{"CR in section", "S\r", "k", "v", `ini: invalid section "S\r": `},
		{"equals in key", "S", "a=b", "v", `ini: invalid key "a=b": contains '='`},
		{"key starts with bracket", "S", "[k", "v", `ini: invalid key "[k": starts with "["`},
		{"key starts with semicolon", "S", ";k", "v", `ini: invalid key ";k": starts with ";"`},
		{"bracket in section", "S]", "k", "v", `ini: invalid section "S]": contains ']'`},
		{"empty section", "", "k", "v", "ini: invalid section: empty"},
		{"empty key", "S", "", "v", "ini: invalid key: empty"},
		{"blank around key", "S", " k", "v", `ini: invalid key " k": has leading or trailing blanks`},
		{"blank around section", "S\t", "k", "v", `ini: invalid section "S\t": has leading`},
		{"long value quoted short", "S", "k", strings.Repeat("x", 1000) + "\n", `ini: invalid value "` + strings.Repeat("x", 100) + `"...: `},
	}
	const doc = "[S]\nk=v\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, "s.ini", doc)
			err := f.Set(tt.section, tt.key, tt.value)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Set = %v, want %s...", err, tt.want)
			}
			if got := f.Bytes(); string(got) != doc {
				t.Errorf("document changed to %q", got)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name, doc, section, key string
		ok                      bool
		want                    string
	}{
		{"middle line", "[S]\r\na=1\r\nk=v\r\nb=2\r\n", "S", "k", true, "[S]\r\na=1\r\nb=2\r\n"},
		{"every line of the key", "[S]\nk=1\nx=2\nK=3\n", "s", "K", true, "[S]\nx=2\n"},
		{"only the first section", "[S]\nk=1\n[S]\nk=2\n", "S", "k", true, "[S]\n[S]\nk=2\n"},
		{"last line without newline", "[S]\na=1\nk=v", "S", "k", true, "[S]\na=1"},
		{"trailing run without newline", "[S]\r\na=1\r\nk=1\r\nk=2", "S", "k", true, "[S]\r\na=1"},
		{"run and a kept line without newline", "[S]\nk=1\na=1\nk=2", "S", "k", true, "[S]\na=1"},
		{"whole section body", "[S]\nk=1\nk=2", "S", "k", true, "[S]"},
		{"missing key", "[S]\na=1\n", "S", "k", false, "[S]\na=1\n"},
		{"missing section", "[S]\nk=1\n", "T", "k", false, "[S]\nk=1\n"},
		{"comments stay", "[S]\n;k=1\nk=2\n", "S", "k", true, "[S]\n;k=1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, "d.ini", tt.doc)
			if ok := f.Delete(tt.section, tt.key); ok != tt.ok {
				t.Errorf("Delete = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, string(f.Bytes())); diff != "" {
				t.Errorf("Bytes() mismatch (-want +got):\n%s", diff)
			}
			if _, ok := f.Get(tt.section, tt.key); ok {
				t.Errorf("key still read after Delete")
			}
		})
	}
}

func TestCloneIsIndependent(t *testing.T) {
	const doc = "[S]\nk=1\n; c\n"
	f := mustParse(t, "c.ini", doc)
	g := f.Clone()
	if err := g.Set("S", "k", "2"); err != nil {
		t.Fatal(err)
	}
	if err := g.Set("S", "longer", "new line"); err != nil {
		t.Fatal(err)
	}
	g.Delete("S", "k")
	h := g.Clone()
	if _, err := h.SetSettings(ini.Settings{ClientInstallAction: ini.ActionNone}); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get("S", "k"); v != "1" {
		t.Errorf("original changed to %q", v)
	}
	if diff := cmp.Diff(doc, string(f.Bytes())); diff != "" {
		t.Errorf("original mismatch (-want +got):\n%s", diff)
	}
	want := []ini.Entry{{Section: "S", Key: "k", Value: "1", Line: 2}}
	if diff := cmp.Diff(want, f.Entries()); diff != "" {
		t.Errorf("original entries mismatch (-want +got):\n%s", diff)
	}
	want = []ini.Entry{{Section: "S", Key: "longer", Value: "new line", Line: 2}}
	if diff := cmp.Diff(want, g.Entries()); diff != "" {
		t.Errorf("clone entries mismatch (-want +got):\n%s", diff)
	}
	if got := string(h.Bytes()); got != "[S]\nlonger=new line\nClientInstallAction=None\n; c\n" {
		t.Errorf("clone of clone %q", got)
	}
}

func TestBytesIsACopy(t *testing.T) {
	data := []byte("[S]\nk=1\n")
	f, err := ini.Parse("c.ini", data)
	if err != nil {
		t.Fatal(err)
	}
	data[4] = 'x'
	b := f.Bytes()
	b[0] = 'x'
	if v, ok := f.Get("S", "k"); !ok || v != "1" {
		t.Errorf("Get = %q, %v after the caller changed its bytes", v, ok)
	}
}
