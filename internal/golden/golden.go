// Package golden compares what a test produced with a golden file, and
// rewrites the file when the test is run with its -update flag.
//
// It does not import testing, so that a command that links a test helper
// built on it does not link testing too.
package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TB is the part of testing.TB that [Check] uses: a *testing.T is one.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatal(args ...any)
}

// Check compares got with the file at path, and fails the test where they
// differ, naming the first line that does; with update, it writes got to
// the file first (making its folder).
func Check(t TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
			return
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
			return
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(fmt.Sprintf("%v (-update writes it)", err))
		return
	}
	if string(want) != got {
		t.Errorf("%s mismatch (-update rewrites it): %s", path, firstDiff(string(want), got))
	}
}

// firstDiff says where want and got first differ, by line.
func firstDiff(want, got string) string {
	w, g := strings.SplitAfter(want, "\n"), strings.SplitAfter(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	line := func(lines []string) string {
		if i < len(lines) {
			return fmt.Sprintf("%q", lines[i])
		}
		return "the end"
	}
	return fmt.Sprintf("line %d: want %s, got %s (%d lines, %d wanted)", i+1, line(w), line(g), len(g), len(w))
}
