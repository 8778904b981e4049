package ini_test

// Regression tests, one for each defect fixed, written against the API
// that predates the fixes so that each fails without its fix.

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/ini"
)

// manyKeys returns a ClientSettings.ini with n unknown keys after the known
// ones, CRLF, about 10 bytes a key.
func manyKeys(n int) []byte {
	var b bytes.Buffer
	b.WriteString("[ClientSettings]\r\nClientInstallAction=Install\r\nCertEnrollAction=Enroll\r\nInstaller=DMInstaller_PPC2003.exe\r\n[Env]\r\n")
	for i := range n {
		fmt.Fprintf(&b, "K%d=%d\r\n", i, i%10)
	}
	return b.Bytes()
}

// TestEmptyInstallerReadsAndWritesAlike: an empty Installer= is no
// installer, the way an empty CertEnrollAction= is no enrollment, for
// Settings and SetSettings alike: what Settings reads, SetSettings writes
// back unchanged, and the file reads back.
func TestEmptyInstallerReadsAndWritesAlike(t *testing.T) {
	const doc = "[Installer]\r\nInstaller=\r\n[Settings]\r\nClientInstallAction=None\r\n"
	f, err := ini.Parse("DMCommonInstaller.ini", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Settings()
	if err != nil {
		t.Fatalf("Settings of an empty Installer: %v", err)
	}
	if s.Installer != "" || s.Platform() != "" {
		t.Errorf("Installer %q, platform %q; want none", s.Installer, s.Platform())
	}
	if _, err := f.SetSettings(s); err != nil || string(f.Bytes()) != doc {
		t.Fatalf("SetSettings of what Settings read: %v, %q", err, f.Bytes())
	}
	// Setting it writes the value into the empty line.
	s.Installer = "DMInstaller_WM6.exe"
	if _, err := f.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	want := "[Installer]\r\nInstaller=DMInstaller_WM6.exe\r\n[Settings]\r\nClientInstallAction=None\r\n"
	if diff := cmp.Diff(want, string(f.Bytes())); diff != "" {
		t.Errorf("Bytes() mismatch (-want +got):\n%s", diff)
	}
	// Clearing it deletes the line.
	s.Installer = ""
	if _, err := f.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	want = "[Installer]\r\n[Settings]\r\nClientInstallAction=None\r\n"
	if diff := cmp.Diff(want, string(f.Bytes())); diff != "" {
		t.Errorf("Bytes() mismatch (-want +got):\n%s", diff)
	}
	if got, err := f.Settings(); err != nil || got.Installer != "" {
		t.Errorf("read back %q, %v", got.Installer, err)
	}
}

// nearlyFull returns a document of MaxSize-room bytes as stored: a section
// with one key and a long comment, in the encoding of utf16 or ANSI.
func nearlyFull(room int, utf16 bool) []byte {
	head := "[S]\r\nk=v\r\n;"
	if !utf16 {
		return []byte(head + strings.Repeat("c", ini.MaxSize-room-len(head)-2) + "\r\n")
	}
	units := (ini.MaxSize - room - 2) / 2
	return utf16le(head + strings.Repeat("c", units-len(head)-2) + "\r\n")
}

// TestEditsStayWithinMaxSize: an edit that would make a file larger than
// MaxSize fails with ErrTooLarge and leaves the file as it was, so that
// Parse always reads back what Bytes returns and the line offsets never
// overflow.
func TestEditsStayWithinMaxSize(t *testing.T) {
	for _, utf16 := range []bool{false, true} {
		t.Run(fmt.Sprint("utf16=", utf16), func(t *testing.T) {
			data := nearlyFull(10, utf16)
			per := 1 // bytes a character takes
			if utf16 {
				per = 2
			}
			edits := []struct {
				name string
				edit func(*ini.File) error
				fits bool
			}{
				{"value that fits", func(f *ini.File) error { return f.Set("S", "k", strings.Repeat("v", 1+10/per)) }, true},
				{"value one too long", func(f *ini.File) error { return f.Set("S", "k", strings.Repeat("v", 2+10/per)) }, false},
				{"new key", func(f *ini.File) error { return f.Set("S", "key", "value") }, false},
				{"new section", func(f *ini.File) error { return f.Set("T", "key", "v") }, false},
				{"value of MaxSize+1 bytes", func(f *ini.File) error { return f.Set("S", "k", strings.Repeat("v", ini.MaxSize+1)) }, false},
				{"value of 64 MiB", func(f *ini.File) error { return f.Set("S", "k", strings.Repeat("v", 64<<20)) }, false},
				{"settings", func(f *ini.File) error {
					s, _ := f.Settings()
					s.Installer = "DMInstaller_PPC2003.exe"
					_, err := f.SetSettings(s)
					return err
				}, false},
				{"settings unknown", func(f *ini.File) error {
					s, _ := f.Settings()
					s.Unknown = append(s.Unknown, ini.Entry{Section: "S", Key: "k", Value: strings.Repeat("x", 100)})
					_, err := f.SetSettings(s)
					return err
				}, false},
			}
			for _, tt := range edits {
				f, err := ini.Parse("full.ini", data)
				if err != nil {
					t.Fatal(err)
				}
				err = tt.edit(f)
				got := f.Bytes()
				if tt.fits {
					if err != nil || len(got) != ini.MaxSize {
						t.Errorf("%s: %v, %d bytes; want %d bytes", tt.name, err, len(got), ini.MaxSize)
					}
				} else if !errors.Is(err, ini.ErrTooLarge) || !bytes.Equal(got, data) {
					t.Errorf("%s: %v, %d bytes; want ErrTooLarge and the file unchanged", tt.name, err, len(got))
				}
				if _, err := ini.Parse("full.ini", got); err != nil {
					t.Errorf("%s: Parse of Bytes(): %v", tt.name, err)
				}
				if err := f.Set("S", "k", "v2"); err != nil {
					t.Errorf("%s: the next Set: %v", tt.name, err)
				}
			}
		})
	}
}

// TestBareCRIsReported: a file whose lines end in CR alone reads as one
// line, as Windows reads it, and Settings says so with the file name and
// the line: the hidden ClientInstallAction=Uninstall is not defaulted to
// Install without a word.
func TestBareCRIsReported(t *testing.T) {
	docs := map[string][]byte{
		"ANSI":        []byte("[S]\rClientInstallAction=Uninstall\r"),
		"UTF-16LE":    utf16le("[S]\rClientInstallAction=Uninstall\r"),
		"CRLF before": []byte("; c\r\n[S]\r\nCertEnrollAction=Enroll\r\n[T]\rClientInstallAction=Uninstall\r\n"),
	}
	lines := map[string]int{"ANSI": 1, "UTF-16LE": 1, "CRLF before": 4}
	for name, data := range docs {
		f, err := ini.Parse(`C:\Deploy\ClientSettings.ini`, data)
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.Settings()
		if s.ClientInstallAction != ini.ActionInstall || !s.ActionDefaulted {
			t.Errorf("%s: action %v defaulted %v; want it read as Windows reads it", name, s.ClientInstallAction, s.ActionDefaulted)
		}
		var list ini.ErrorList
		if !errors.As(err, &list) || len(list) != 1 {
			t.Fatalf("%s: error %v, want one in an ErrorList", name, err)
		}
		e := list[0]
		if e.File != `C:\Deploy\ClientSettings.ini` || e.Line != lines[name] || e.Key != "" ||
			!strings.Contains(e.Error(), `ClientSettings.ini:`+fmt.Sprint(lines[name])+`: bare CR`) ||
			!strings.Contains(e.Error(), `"ClientInstallAction=Uninstall"`) {
			t.Errorf("%s: error %+v: %s", name, *e, e)
		}
	}
	// A CR before a line ending, or at the end of the file, hides nothing.
	for _, doc := range []string{"[S]\r\nk=v\r\n", "[S]\nk=v\r\r\n", "[S]\r\nk=v\r", "[S]\n\r\n\r"} {
		f, err := ini.Parse("x.ini", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Settings(); err != nil {
			t.Errorf("%q: %v", doc, err)
		}
	}
}

// TestErrorLeavesOutEmptyParts: Error.Error leaves out every empty part,
// the cause included, so that an Error a caller makes to place a problem
// (file, line and key, no cause) does not end in a dangling ": ".
func TestErrorLeavesOutEmptyParts(t *testing.T) {
	for _, tt := range []struct {
		e    ini.Error
		want string
	}{
		{ini.Error{File: "a.ini", Line: 3, Key: "K", Err: errors.New("bad")}, "ini: a.ini:3: K: bad"},
		{ini.Error{File: "a.ini", Line: 3, Key: "K"}, "ini: a.ini:3: K"},
		{ini.Error{File: "a.ini", Line: 3}, "ini: a.ini:3"},
		{ini.Error{File: "a.ini"}, "ini: a.ini"},
		{ini.Error{Line: 3}, "ini: line 3"},
		{ini.Error{Key: "K"}, "ini: K"},
		{ini.Error{Err: errors.New("ini: bad")}, "ini: bad"},
		{ini.Error{}, "ini"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.e, got, tt.want)
		}
	}
}
