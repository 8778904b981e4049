package enum_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/internal/enum"
)

var errBad = errors.New("pkg: bad input")

type color uint8

var colors = enum.Names{Pkg: "pkg", Type: "Color", First: 1, List: []string{"red", "dark green"},
	Aliases: map[string]uint8{"green": 2}, Err: errBad}

func TestNames(t *testing.T) {
	for v, want := range map[uint8]string{0: "Color(0)", 1: "red", 2: "dark green", 3: "Color(3)", 255: "Color(255)"} {
		if got := colors.Name(v); got != want {
			t.Errorf("Name(%d) = %q, want %q", v, got, want)
		}
		if got, want := colors.Valid(v), v == 1 || v == 2; got != want {
			t.Errorf("Valid(%d) = %v", v, got)
		}
		b, err := colors.Marshal(v)
		if colors.Valid(v) != (err == nil) || (err == nil && string(b) != want) {
			t.Errorf("Marshal(%d) = %q, %v", v, b, err)
		}
		if err != nil && (!errors.Is(err, errBad) || !strings.HasPrefix(err.Error(), "pkg: ")) {
			t.Errorf("Marshal(%d) error %q", v, err)
		}
	}
	for in, want := range map[string]uint8{"red": 1, " RED ": 1, "Dark Green": 2, "GREEN": 2} {
		var c color
		if err := enum.Unmarshal(&colors, []byte(in), &c); err != nil || uint8(c) != want {
			t.Errorf("Unmarshal(%q) = %d, %v", in, c, err)
		}
	}
	c := color(1)
	err := enum.Unmarshal(&colors, []byte("blue"), &c)
	if c != 1 || !errors.Is(err, errBad) || err.Error() != `pkg: unknown Color "blue" (accepted: red, dark green)` {
		t.Errorf("Unmarshal(blue) = %d, %v", c, err)
	}
	if got := colors.Values(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("Values() = %v", got)
	}
}

func TestParseQuotesShort(t *testing.T) {
	_, err := colors.Parse(strings.Repeat("\x01", 1<<20))
	if err == nil || len(err.Error()) > 600 {
		t.Fatalf("error of %d bytes", len(err.Error()))
	}
}
