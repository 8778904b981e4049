package ini

import (
	"os"
	"testing"
)

func BenchmarkZZParse16(b *testing.B) {
	data, _ := os.ReadFile("testdata/utf16le.ini")
	for b.Loop() {
		Parse("x", data)
	}
}
