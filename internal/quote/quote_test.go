package quote_test

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mobiledm/dmclient/internal/quote"
)

func TestShort(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"abc", `"abc"`},
		{"\x1b[2J\r\n", `"\x1b[2J\r\n"`},
		{strings.Repeat("a", 100), `"` + strings.Repeat("a", 100) + `"`},
		{strings.Repeat("a", 101), `"` + strings.Repeat("a", 100) + `"...`},
		{strings.Repeat("a", 99) + "é", `"` + strings.Repeat("a", 99) + `"...`},
	} {
		if got := quote.Short(tc.in); got != tc.want {
			t.Errorf("Short(%.20q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func FuzzShort(f *testing.F) {
	f.Add("abc")
	f.Fuzz(func(t *testing.T, s string) {
		q := quote.Short(s)
		if len(q) > 4*quote.Max+8 || !utf8.ValidString(q) {
			t.Fatalf("Short(%q) = %q", s, q)
		}
	})
}

func TestName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"colour", "colour"},
		{`waves["w2"].when`, `waves["w2"].when`},
		{"é", "é"},
		{"\x1b[2J", `"\x1b[2J"`},
		{"\u0085", `"\u0085"`},
		{"\xff", `"\xff"`},
		{"\ufffd", `"` + "\ufffd" + `"`}, // the replacement character: was the name invalid UTF-8?
		{"a\u202eb", `"a\u202eb"`},       // a bidirectional override
		{"a\u200bb", `"a\u200bb"`},       // a zero-width space
		{"a\u00a0b", `"a\u00a0b"`},       // a no-break space, which looks like " "
		{"a b", "a b"},
		{strings.Repeat("a", 100), strings.Repeat("a", 100)},
		{strings.Repeat("a", 101), `"` + strings.Repeat("a", 100) + `"...`},
	} {
		if got := quote.Name(tc.in); got != tc.want {
			t.Errorf("Name(%.20q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func FuzzName(f *testing.F) {
	f.Add("abc")
	f.Fuzz(func(t *testing.T, s string) {
		q := quote.Name(s)
		if len(q) > 4*quote.Max+8 || !utf8.ValidString(q) {
			t.Fatalf("Name(%q) = %q", s, q)
		}
		for _, r := range q {
			if !strconv.IsPrint(r) {
				t.Fatalf("Name(%q) = %q holds a character that does not print", s, q)
			}
		}
		if q != s && q != quote.Short(s) {
			t.Fatalf("Name(%q) = %q, neither the name nor Short of it", s, q)
		}
	})
}
