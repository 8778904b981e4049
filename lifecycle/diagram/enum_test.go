package diagram_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/lifecycle/diagram"
)

// enum is what checkEnum needs of an enumerated type.
type enum interface {
	~uint8
	String() string
	MarshalText() ([]byte, error)
}

// checkEnum checks the module's enum convention: values from 1 named
// names, "Type(9)" for an invalid value, MarshalText failing on one, and
// UnmarshalText reading every name in any case and with blanks around,
// leaving the value alone and naming the accepted values on error.
func checkEnum[T enum, P interface {
	*T
	UnmarshalText([]byte) error
}](t *testing.T, typ string, names []string, aliases map[string]T) {
	t.Helper()
	for i, name := range names {
		v := T(i + 1)
		if v.String() != name {
			t.Errorf("%s(%d).String() = %q, want %q", typ, i+1, v.String(), name)
		}
		b, err := v.MarshalText()
		if err != nil || string(b) != name {
			t.Errorf("%v.MarshalText() = %q, %v", v, b, err)
		}
		for _, text := range []string{name, strings.ToUpper(name), " " + name + "\t"} {
			var got T
			if err := P(&got).UnmarshalText([]byte(text)); err != nil || got != v {
				t.Errorf("UnmarshalText(%q) = %v, %v; want %v", text, got, err, v)
			}
		}
	}
	for text, want := range aliases {
		var got T
		if err := P(&got).UnmarshalText([]byte(text)); err != nil || got != want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", text, got, err, want)
		}
	}
	for _, v := range []T{0, T(len(names) + 1), 255} {
		if s := v.String(); s != typ+"("+strconv.Itoa(int(v))+")" {
			t.Errorf("invalid %s String() = %q", typ, s)
		}
		if _, err := v.MarshalText(); !errors.Is(err, diagram.ErrInvalidInput) {
			t.Errorf("%v.MarshalText(): error %v, want ErrInvalidInput", v, err)
		}
	}
	for _, text := range []string{"", "svg", "clients", "dot mermaid", strings.Repeat("x", 1000)} {
		v := T(1)
		err := P(&v).UnmarshalText([]byte(text))
		if !errors.Is(err, diagram.ErrInvalidInput) || v != 1 || !strings.Contains(err.Error(), strings.Join(names, ", ")) ||
			!strings.HasPrefix(err.Error(), "diagram: unknown "+typ+" ") || len(err.Error()) > 200 {
			t.Errorf("UnmarshalText(%.20q) = %v, %v; want an error naming %s and no change", text, v, err, strings.Join(names, ", "))
		}
	}
}

func TestMachineEnum(t *testing.T) {
	checkEnum(t, "Machine", []string{"client", "chain"}, map[string]diagram.Machine{"installer": diagram.Chain, "INSTALLER": diagram.Chain})
}

func TestFormatEnum(t *testing.T) {
	checkEnum[diagram.Format](t, "Format", []string{"dot", "mermaid"}, nil)
}

// fuzzUnmarshal checks that UnmarshalText accepts exactly the names (and
// aliases) of valid values, in any case and with blanks around, and
// changes nothing otherwise, with a short error.
func fuzzUnmarshal[T enum, P interface {
	*T
	UnmarshalText([]byte) error
}](f *testing.F, seeds []string, accepted []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := T(1)
		err := P(&v).UnmarshalText([]byte(s))
		ok := false
		for _, a := range accepted {
			ok = ok || strings.EqualFold(strings.TrimSpace(s), a)
		}
		if (err == nil) != ok {
			t.Fatalf("UnmarshalText(%q) = %v, %v", s, v, err)
		}
		if err != nil && (v != 1 || !errors.Is(err, diagram.ErrInvalidInput) || len(err.Error()) > 600) {
			t.Fatalf("UnmarshalText(%q) = %v, %v; want no change, ErrInvalidInput and a short message", s, v, err)
		}
		if err == nil && !strings.EqualFold(strings.TrimSpace(s), v.String()) && !strings.EqualFold(strings.TrimSpace(s), "installer") {
			t.Fatalf("UnmarshalText(%q) = %v", s, v)
		}
	})
}

func FuzzUnmarshalMachine(f *testing.F) {
	fuzzUnmarshal[diagram.Machine](f, []string{"client", "Chain", " installer", "", "x"}, []string{"client", "chain", "installer"})
}

func FuzzUnmarshalFormat(f *testing.F) {
	fuzzUnmarshal[diagram.Format](f, []string{"dot", "MERMAID", " mermaid", "svg", ""}, []string{"dot", "mermaid"})
}
