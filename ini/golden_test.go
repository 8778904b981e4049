package ini_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files")

// dump is a deterministic description of everything f reads.
func dump(f *ini.File) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name %q kind %v encoding %v\n", f.Name(), f.Kind(), f.Encoding())
	for _, s := range f.Sections() {
		fmt.Fprintf(&b, "section %d [%s]\n", s.Line, s.Name)
	}
	for _, e := range f.Entries() {
		fmt.Fprintf(&b, "entry %d [%s] %q = %q\n", e.Line, e.Section, e.Key, e.Value)
	}
	for _, e := range f.Ignored() {
		fmt.Fprintf(&b, "ignored %d [%s] %q = %q\n", e.Line, e.Section, e.Key, e.Value)
	}
	s, err := f.Settings()
	fmt.Fprintf(&b, "settings action %v defaulted %v enroll %v installer %q platform %q\n",
		s.ClientInstallAction, s.ActionDefaulted, s.Enroll(), s.Installer, s.Platform())
	for _, e := range s.Unknown {
		fmt.Fprintf(&b, "unknown %d [%s] %q = %q\n", e.Line, e.Section, e.Key, e.Value)
	}
	for _, p := range s.Pairs() {
		fmt.Fprintf(&b, "pair [%s] %q = %q\n", p.Section, p.Key, p.Value)
	}
	var list ini.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintf(&b, "error line %d key %q: %s\n", e.Line, e.Key, e)
		}
	}
	// Writing back what was read.
	g := f.Clone()
	warnings, err := g.SetSettings(s)
	switch {
	case err != nil:
		fmt.Fprintf(&b, "setsettings error %v\n", strings.ReplaceAll(err.Error(), "\n", "; "))
	case bytes.Equal(g.Bytes(), f.Bytes()):
		fmt.Fprintf(&b, "setsettings unchanged\n")
	default:
		fmt.Fprintf(&b, "setsettings changed %q\n", g.Bytes())
	}
	for _, w := range warnings {
		fmt.Fprintf(&b, "setsettings warning %s\n", w)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.ini")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range files {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			f, err := ini.Parse(filepath.Base(in), data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := f.Bytes(); !bytes.Equal(got, data) {
				t.Errorf("Bytes() mismatch (-want +got):\n%s", cmp.Diff(data, got))
			}
			golden.Check(t, strings.TrimSuffix(in, ".ini")+".golden", dump(f), *update)
		})
	}
}
