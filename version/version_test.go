package version_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/internal/roundtrip"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// precedence lists versions from lowest to highest, the x/mod/semver habit:
// one table drives Compare, Less, Equal and sorting. Entries that compare
// equal share a line in spirit: each string here is distinct in value.
var precedence = []string{
	"0.0",
	"0.0.0.1",
	"0.0.1",
	"0.0.65535.65535",
	"0.1",
	"1.0",
	"1.0.0.1",
	"3.65535.65535.65535",
	"4.00.5931.0000", // ConfigMgr 2007 RTM
	"4.00.6221.1000", // SP1
	"4.00.6487.2000", // SP2
	"4.00.6487.2157", // R3
	"4.1",
	"5.0",
	"65535.0",
	"65535.65535.65535.65535",
}

func TestComparePrecedence(t *testing.T) {
	vs := make([]version.Version, len(precedence))
	for i, s := range precedence {
		vs[i] = version.MustParse(s)
	}
	all := append([]version.Version{{}}, vs...) // the zero Version sorts first
	for i, v := range all {
		for j, w := range all {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := v.Compare(w); got != want {
				t.Errorf("%v.Compare(%v) = %d, want %d", v, w, got, want)
			}
			if got := v.Less(w); got != (want < 0) {
				t.Errorf("%v.Less(%v) = %v, want %v", v, w, got, want < 0)
			}
			if got := v.Equal(w); got != (want == 0) {
				t.Errorf("%v.Equal(%v) = %v, want %v", v, w, got, want == 0)
			}
			if got := v == w; got != (want == 0) {
				t.Errorf("%v == %v is %v, want %v", v, w, got, want == 0)
			}
		}
	}
	shuffled := slices.Clone(all)
	slices.Reverse(shuffled)
	shuffled[0], shuffled[len(shuffled)/2] = shuffled[len(shuffled)/2], shuffled[0]
	slices.SortFunc(shuffled, version.Version.Compare)
	if diff := cmp.Diff(all, shuffled); diff != "" {
		t.Errorf("sorted mismatch (-want +got):\n%s", diff)
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		in                            string
		major, minor, build, revision uint16
		canonical                     string
	}{
		{"4.00.6487.2000", 4, 0, 6487, 2000, "4.0.6487.2000"},
		{"4.00.6487.2157", 4, 0, 6487, 2157, "4.0.6487.2157"},
		{"5.2", 5, 2, 0, 0, "5.2.0.0"},
		{"5.2.1", 5, 2, 1, 0, "5.2.1.0"},
		{"0.0", 0, 0, 0, 0, "0.0.0.0"},
		{"0000.0001", 0, 1, 0, 0, "0.1.0.0"},
		{"65535.65535.65535.65535", 65535, 65535, 65535, 65535, "65535.65535.65535.65535"},
		{"00000000000000065535.1", 65535, 1, 0, 0, "65535.1.0.0"},
	}
	for _, tt := range tests {
		v, err := version.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !v.IsValid() {
			t.Errorf("Parse(%q) is not valid", tt.in)
		}
		got := [4]uint16{v.Major(), v.Minor(), v.Build(), v.Revision()}
		want := [4]uint16{tt.major, tt.minor, tt.build, tt.revision}
		if got != want {
			t.Errorf("Parse(%q) fields = %v, want %v", tt.in, got, want)
		}
		if v != version.New(tt.major, tt.minor, tt.build, tt.revision) {
			t.Errorf("Parse(%q) != New%v", tt.in, want)
		}
		if s := v.String(); s != tt.canonical {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, s, tt.canonical)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in     string
		reason string // a fragment the error must name
		err    error
	}{
		{"", "empty version", version.ErrSyntax},
		{"4", "have one", version.ErrSyntax},
		{"4.", "trailing dot", version.ErrSyntax},
		{"4.0.", "trailing dot", version.ErrSyntax},
		{".4.0", "empty field 1", version.ErrSyntax},
		{"4..0", "empty field 2", version.ErrSyntax},
		{"1.2.3.4.5", "more than four fields", version.ErrSyntax},
		{"1.2.3.4.", "more than four fields", version.ErrSyntax},
		{"+4.0", "'+'", version.ErrSyntax},
		{"-4.0", "'-'", version.ErrSyntax},
		{"4.-0", "'-'", version.ErrSyntax},
		{" 4.0", "' '", version.ErrSyntax},
		{"4.0 ", "' '", version.ErrSyntax},
		{"4. 0", "' '", version.ErrSyntax},
		{"4.0\n", `'\n'`, version.ErrSyntax},
		{"v4.0", "'v'", version.ErrSyntax},
		{"V4.0.6487.2000", "'V'", version.ErrSyntax},
		{"4.0-beta", "'-'", version.ErrSyntax},
		{"4.0.6487.2000-rc1", "'-'", version.ErrSyntax},
		{"4.0+build", "'+'", version.ErrSyntax},
		{"4,0", "','", version.ErrSyntax},
		{"4.٠", "'٠'", version.ErrSyntax}, // ARABIC-INDIC DIGIT ZERO
		{"４.0", "'４'", version.ErrSyntax}, // FULLWIDTH DIGIT FOUR
		{"0x4.0", "'x'", version.ErrSyntax},
		{"65536.0", "field 1 is greater than 65535", version.ErrRange},
		{"1.2.3.99999999999999999999999", "field 4 is greater than 65535", version.ErrRange},
		{"4.0\xff", "offset 3", version.ErrSyntax},
	}
	for _, tt := range tests {
		v, err := version.Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want error", tt.in, v)
			continue
		}
		if v != (version.Version{}) {
			t.Errorf("Parse(%q) returned %v with its error, want the zero Version", tt.in, v)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("Parse(%q) error %v does not wrap %v", tt.in, err, tt.err)
		}
		var pe *version.ParseError
		if !errors.As(err, &pe) || pe.Input != tt.in {
			t.Errorf("Parse(%q) error %#v is not a *ParseError naming the input", tt.in, err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "version: ") || !strings.Contains(msg, tt.reason) {
			t.Errorf("Parse(%q) error %q: want prefix %q and fragment %q", tt.in, msg, "version: ", tt.reason)
		}
	}
}

// TestParseErrorShort: a bad value of any length yields a message that
// quotes at most about 100 bytes of it, with "..." (escaped, so at most
// four message bytes per input byte), while the error keeps the whole input.
func TestParseErrorShort(t *testing.T) {
	const big = 16 << 20
	for _, in := range []string{
		strings.Repeat("\x01", big),         // every byte escapes to four
		strings.Repeat("1", big),            // out of range
		"4.0." + strings.Repeat("x", big),   // a bad character late
		strings.Repeat("1.", big/2),         // too many fields
		strings.Repeat("\u00e9", big/2),     // two-byte runes: cut on a rune boundary
		"4.0" + strings.Repeat("\xff", big), // invalid UTF-8
	} {
		_, err := version.Parse(in)
		if err == nil {
			t.Fatalf("Parse(%d bytes) accepted", len(in))
		}
		msg := err.Error()
		if len(msg) > 600 || !strings.HasPrefix(msg, "version: parsing ") || !strings.Contains(msg, `"...: `) {
			t.Errorf("Parse(%d bytes of %q...) error of %d bytes: %.400q", len(in), in[:4], len(msg), msg)
		}
		if !utf8.ValidString(msg) {
			t.Errorf("message %.200q is not valid UTF-8", msg)
		}
		var pe *version.ParseError
		if !errors.As(err, &pe) || pe.Input != in {
			t.Errorf("ParseError does not keep the input")
		}
		var v version.Version
		if err := v.UnmarshalText([]byte(in)); err == nil || len(err.Error()) > 600 {
			t.Errorf("UnmarshalText(%d bytes) error of %d bytes", len(in), len(err.Error()))
		}
	}
	// Short input is quoted whole, without an ellipsis.
	_, err := version.Parse("4.0-beta")
	if got, want := err.Error(), `version: parsing "4.0-beta": unexpected character '-' at offset 3`; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse(\"v1\") did not panic")
		}
	}()
	version.MustParse("v1")
}

func TestZeroValue(t *testing.T) {
	var z version.Version
	if z.IsValid() {
		t.Error("zero Version is valid")
	}
	if z == version.New(0, 0, 0, 0) {
		t.Error("zero Version equals 0.0.0.0")
	}
	if z.Compare(version.New(0, 0, 0, 0)) != -1 {
		t.Error("zero Version does not sort before 0.0.0.0")
	}
	if got := z.String(); got != "invalid version" {
		t.Errorf("zero String() = %q", got)
	}
	if b, err := z.MarshalText(); err != nil || len(b) != 0 {
		t.Errorf("zero MarshalText() = %q, %v; want empty", b, err)
	}
}

func TestJSON(t *testing.T) {
	type record struct {
		Installed version.Version `json:"installed"`
		Deployed  version.Version `json:"deployed"`
	}
	in := record{Deployed: version.MustParse("4.00.6487.2157")}
	out, b := roundtrip.JSON(t, in)
	if want := `{"installed":"","deployed":"4.0.6487.2157"}`; string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"installed":"v4"}`), &out); !errors.Is(err, version.ErrSyntax) {
		t.Errorf("json.Unmarshal of a bad version: %v, want ErrSyntax", err)
	}
}

func TestAppendText(t *testing.T) {
	b, err := version.MustParse("4.00.6221.1000").AppendText([]byte("v="))
	if err != nil || string(b) != "v=4.0.6221.1000" {
		t.Errorf("AppendText = %q, %v", b, err)
	}
	b, err = version.Version{}.AppendText([]byte("v="))
	if err != nil || string(b) != "v=" {
		t.Errorf("zero AppendText = %q, %v", b, err)
	}
}

func genVersion() *rapid.Generator[version.Version] {
	return rapid.Custom(func(t *rapid.T) version.Version {
		f := rapid.SliceOfN(rapid.Uint16(), 4, 4).Draw(t, "fields")
		return version.New(f[0], f[1], f[2], f[3])
	})
}

func TestCompareProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := genVersion().Draw(t, "a"), genVersion().Draw(t, "b"), genVersion().Draw(t, "c")
		if a.Compare(b) != -b.Compare(a) {
			t.Fatalf("Compare is not antisymmetric: %v, %v", a, b)
		}
		if a.Compare(b) <= 0 && b.Compare(c) <= 0 && a.Compare(c) > 0 {
			t.Fatalf("Compare is not transitive: %v <= %v <= %v but %v > %v", a, b, c, a, c)
		}
		ua, ub := a.Uint64(), b.Uint64()
		want := 0
		if ua < ub {
			want = -1
		} else if ua > ub {
			want = 1
		}
		if got := a.Compare(b); got != want {
			t.Fatalf("%v.Compare(%v) = %d, packed comparison says %d", a, b, got, want)
		}
		if version.FromUint64(ua) != a {
			t.Fatalf("FromUint64(%#x) != %v", ua, a)
		}
	})
}

func TestParseStringRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := genVersion().Draw(t, "v")
		got, err := version.Parse(v.String())
		if err != nil || got != v {
			t.Fatalf("Parse(%q) = %v, %v; want %v", v.String(), got, err, v)
		}
		text, _ := v.MarshalText()
		var u version.Version
		if err := u.UnmarshalText(text); err != nil || u != v {
			t.Fatalf("UnmarshalText(%q) = %v, %v; want %v", text, u, err, v)
		}
	})
}

// FuzzParse checks that Parse never panics and that every accepted input
// round-trips through its canonical form.
func FuzzParse(f *testing.F) {
	for _, s := range precedence {
		f.Add(s)
	}
	for _, s := range []string{"", "4", "4.", "1.2.3.4.5", "v4.0", "4.0-beta", "65536.0", "4.٠", " 4.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := version.Parse(s)
		if err != nil {
			if v.IsValid() {
				t.Fatalf("Parse(%q) returned valid %v with error %v", s, v, err)
			}
			if !errors.Is(err, version.ErrSyntax) && !errors.Is(err, version.ErrRange) {
				t.Fatalf("Parse(%q) error %v wraps neither ErrSyntax nor ErrRange", s, err)
			}
			if len(err.Error()) > 600 {
				t.Fatalf("Parse(%d bytes) error of %d bytes", len(s), len(err.Error()))
			}
			return
		}
		canon := v.String()
		w, err := version.Parse(canon)
		if err != nil || w != v {
			t.Fatalf("Parse(%q) = %v, but Parse(%q) = %v, %v", s, v, canon, w, err)
		}
		if w.String() != canon {
			t.Fatalf("canonical form not stable: %q -> %q", canon, w.String())
		}
	})
}

var sink int

func BenchmarkCompare(b *testing.B) {
	v, w := version.MustParse("4.00.6487.2000"), version.MustParse("4.00.6487.2157")
	for b.Loop() {
		sink += v.Compare(w)
	}
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		v, err := version.Parse("4.00.6487.2000")
		if err != nil {
			b.Fatal(err)
		}
		sink += int(v.Build())
	}
}

func BenchmarkString(b *testing.B) {
	v := version.MustParse("4.00.6487.2000")
	for b.Loop() {
		sink += len(v.String())
	}
}
