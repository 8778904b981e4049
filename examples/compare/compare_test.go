package compare

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/ini"
	goini "gopkg.in/ini.v1"
)

// doc1KiB returns a realistic ClientSettings.ini of exactly 1024 bytes, CRLF.
func doc1KiB() []byte {
	var b strings.Builder
	b.WriteString("; ClientSettings.ini\r\n[ClientSettings]\r\nClientInstallAction=Install\r\nCertEnrollAction=Enroll\r\nInstaller=DMInstaller_PPC2003.exe\r\n\r\n[Environment]\r\n")
	for i := 0; b.Len() < 1024-40; i++ {
		fmt.Fprintf(&b, "Setting%02d = value number %d\r\n", i, i)
	}
	for b.Len() < 1022 {
		b.WriteByte(';')
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	data := doc1KiB()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ini.Parse("ClientSettings.ini", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoINILoad(b *testing.B) {
	data := doc1KiB()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := goini.Load(data); err != nil {
			b.Fatal(err)
		}
	}
}

// Both parsers read the benchmark document the same way, so the benchmark
// compares like with like.
func TestSameReading(t *testing.T) {
	data := doc1KiB()
	if len(data) != 1024 {
		t.Fatalf("document has %d bytes", len(data))
	}
	f, err := ini.Parse("ClientSettings.ini", data)
	if err != nil {
		t.Fatal(err)
	}
	g, err := goini.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range f.Entries() {
		if got := g.Section(e.Section).Key(e.Key).String(); got != e.Value {
			t.Errorf("[%s] %s: go-ini %q, ini %q", e.Section, e.Key, got, e.Value)
		}
		n++
	}
	if n < 30 {
		t.Errorf("only %d entries", n)
	}
}

// save writes g back the way a tool using go-ini would.
func save(t *testing.T, g *goini.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGoINIIsLossy records what the issue measured in go-ini, and that
// package ini does none of it: each case is a document that go-ini changes
// or misreads, and that ini keeps and reads as Windows does.
func TestGoINIIsLossy(t *testing.T) {
	tests := []struct {
		name, doc    string
		section, key string
		windows      string // what GetPrivateProfileString reads
	}{
		{"drops the UTF-8 BOM", "\xEF\xBB\xBF[S]\r\nk=v\r\n", "S", "k", "v"},
		{"turns CRLF into LF", "[S]\r\nk=v\r\n", "S", "k", "v"},
		{"rewrites spacing", "[S]\r\n  k   =   v\r\n", "S", "k", "v"},
		{"keeps the last duplicate key", "[S]\r\nk=first\r\nk=second\r\n", "S", "k", "first"},
		{"reads end-of-line comments", "[S]\r\nk=v ; x\r\n", "S", "k", "v ; x"},
		{"takes # for a comment", "[S]\r\n#k=v\r\n", "S", "#k", "v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.doc)
			g, err := goini.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			gotGo := g.Section(tt.section).Key(tt.key).String()
			if bytes.Equal(save(t, g), data) && gotGo == tt.windows {
				t.Errorf("go-ini neither changed nor misread %q: the measurement no longer holds", tt.doc)
			}
			f, err := ini.Parse("x.ini", data)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := f.Get(tt.section, tt.key); got != tt.windows || !bytes.Equal(f.Bytes(), data) {
				t.Errorf("ini: Get = %q, Bytes = %q", got, f.Bytes())
			}
		})
	}
}

// TestGoINIUTF16 records that go-ini reads a UTF-16LE file without an error
// but cannot find its keys, while ini decodes it and writes it back as it was.
func TestGoINIUTF16(t *testing.T) {
	data := []byte{0xFF, 0xFE}
	for _, r := range "[S]\r\nk=v\r\n" {
		data = append(data, byte(r), 0)
	}
	g, err := goini.Load(data)
	if err == nil {
		if v := g.Section("S").Key("k").String(); v == "v" {
			t.Errorf("go-ini now reads UTF-16LE: the measurement no longer holds")
		}
	}
	f, err := ini.Parse("u.ini", data)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := f.Get("S", "k"); v != "v" || !ok || !bytes.Equal(f.Bytes(), data) {
		t.Errorf("ini: Get = %q, %v", v, ok)
	}
}
