package lifecycle_test

import (
	"os"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
)

// readme returns the repository's README.md.
func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// TestReadmeDecisionTable keeps the README's decision table equal to
// lifecycle.Decide.
func TestReadmeDecisionTable(t *testing.T) {
	text := readme(t)
	for _, a := range ini.Actions() {
		cells := []string{a.String()}
		for _, s := range lifecycle.States() {
			cells = append(cells, lifecycle.Decide(s, a).String())
		}
		row := "| " + strings.Join(cells, " | ") + " |"
		if !strings.Contains(text, row) {
			t.Errorf("README.md lacks the decision table row %q", row)
		}
	}
}
