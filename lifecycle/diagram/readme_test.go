package diagram_test

import (
	"os"
	"strings"
	"testing"
)

// readme returns the repository's README.md.
func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// TestReadmeMermaid keeps the README's Mermaid source identical to the
// golden client diagram that the Mermaid CLI renders in CI.
func TestReadmeMermaid(t *testing.T) {
	golden, err := os.ReadFile("testdata/client-start.mmd")
	if err != nil {
		t.Fatal(err)
	}
	block := "```mermaid\n" + strings.TrimRight(string(golden), "\n") + "\n```"
	if !strings.Contains(readme(t), block) {
		t.Errorf("README.md's mermaid block is not lifecycle/diagram/testdata/client-start.mmd; paste:\n%s", block)
	}
}

// TestReadmePicture keeps the README's picture the one this package
// renders: testdata/client.svg.
func TestReadmePicture(t *testing.T) {
	const path = "lifecycle/diagram/testdata/client.svg"
	if !strings.Contains(readme(t), "]("+path+")") {
		t.Errorf("README.md does not show %s", path)
	}
}
