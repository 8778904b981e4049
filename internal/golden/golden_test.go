package golden_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/internal/golden"
)

// recorder is a golden.TB that records failures instead of failing.
type recorder struct {
	*testing.T
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any) { r.errs = append(r.errs, fmt.Sprint(args...)) }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "a.golden")
	r := &recorder{T: t}
	golden.Check(r, path, "one\ntwo\n", true)
	if data, err := os.ReadFile(path); err != nil || string(data) != "one\ntwo\n" || r.errs != nil {
		t.Fatalf("update wrote %q, %v; errors %q", data, err, r.errs)
	}
	golden.Check(r, path, "one\ntwo\n", false)
	golden.Check(r, path, "one\nTWO\n", false)
	golden.Check(r, path, "one\ntwo\nthree\n", false)
	golden.Check(r, path, "one\n", false)
	want := []string{
		path + ` mismatch (-update rewrites it): line 2: want "two\n", got "TWO\n" (3 lines, 3 wanted)`,
		path + ` mismatch (-update rewrites it): line 3: want "", got "three\n" (4 lines, 3 wanted)`,
		path + ` mismatch (-update rewrites it): line 2: want "two\n", got "" (2 lines, 3 wanted)`,
	}
	if strings.Join(r.errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(r.errs, "\n"), strings.Join(want, "\n"))
	}
	r.errs = nil
	golden.Check(r, filepath.Join(t.TempDir(), "missing.golden"), "x", false)
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "(-update writes it)") {
		t.Errorf("a missing file: %q", r.errs)
	}
}
