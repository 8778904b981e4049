package certs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/certs"
	"pgregory.net/rapid"
)

// The fuzz targets: one per parser. Each checks that a parser never
// panics, that what it accepts is one of the type's documented spellings
// (case and surrounding blanks aside) and round-trips through its text form,
// and that what it rejects gives an error wrapping ErrInvalidInput with a
// short message.

func FuzzParsePlatform(f *testing.F) {
	addSeeds(f, "Platform", "", "wm6STD", "Windows Mobile 6", " WM6Pro ", "DMInstaller_WM6Pro.exe")
	f.Fuzz(func(t *testing.T, in string) {
		checkParsed(t, "Platform", in, certs.ParsePlatform)
		checkParsedPlatform(t, in)
	})
}

func FuzzParseSiteMode(f *testing.F) {
	addSeeds(f, "SiteMode", "NATIVE ", "server_authentication", "mixed mode")
	f.Fuzz(func(t *testing.T, in string) { checkParsed(t, "SiteMode", in, certs.ParseSiteMode) })
}

func FuzzParseConfiguration(f *testing.F) {
	addSeeds(f, "Configuration", "locked", "mobile2market  locked")
	f.Fuzz(func(t *testing.T, in string) { checkParsed(t, "Configuration", in, certs.ParseConfiguration) })
}

func FuzzStoreUnmarshalText(f *testing.F) {
	addSeeds(f, "Store", "execution", "My ")
	f.Fuzz(func(t *testing.T, in string) { checkText[certs.Store](t, "Store", in) })
}

func FuzzEnrollmentResultUnmarshalText(f *testing.F) {
	addSeeds(f, "EnrollmentResult", "CA-unreachable", "Enrolled\n")
	f.Fuzz(func(t *testing.T, in string) { checkText[certs.EnrollmentResult](t, "EnrollmentResult", in) })
}

func FuzzHRESULTUnmarshalText(f *testing.F) {
	for _, s := range []string{"0x80070005", "0X8007000a", "0x8007005", "0xFFFFFFFF", "", "0x", "2147942405", "0x0000000g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h := certs.HRESULT(42)
		err := h.UnmarshalText([]byte(in))
		if err != nil {
			if h != 42 || !errors.Is(err, certs.ErrInvalidInput) || len(err.Error()) > 600 {
				t.Fatalf("UnmarshalText(%q) = %v, %v", in, h, err)
			}
			return
		}
		if !strings.EqualFold(in, h.String()) {
			t.Fatalf("UnmarshalText(%q) = %v, which is not its text", in, h)
		}
	})
}

// FuzzTrustProperties runs the trust-step properties of
// TestPropTrustProperties as a fuzz target.
func FuzzTrustProperties(f *testing.F) { f.Fuzz(rapid.MakeFuzz(checkTrustProperties)) }

func addSeeds(f *testing.F, typ string, more ...string) {
	for spelling := range accepted[typ] {
		f.Add(spelling)
	}
	for _, s := range more {
		f.Add(s)
	}
}

// checkParsed checks a Parse function against UnmarshalText of its type,
// then checkText.
func checkParsed[E textEnum, P textEnumPtr[E]](t *testing.T, typ, in string, parse func(string) (E, error)) {
	t.Helper()
	v, err := parse(in)
	var w E
	werr := P(&w).UnmarshalText([]byte(in))
	if v != w || (err == nil) != (werr == nil) {
		t.Fatalf("Parse%s(%q) = %v, %v; UnmarshalText says %v, %v", typ, in, v, err, w, werr)
	}
	checkText[E, P](t, typ, in)
}

// checkText checks UnmarshalText of one enumerated type on in.
func checkText[E textEnum, P textEnumPtr[E]](t *testing.T, typ, in string) {
	t.Helper()
	v := E(1)
	err := P(&v).UnmarshalText([]byte(in))
	if err != nil {
		if v != E(1) || !errors.Is(err, certs.ErrInvalidInput) || len(err.Error()) > 1000 {
			t.Fatalf("%s UnmarshalText(%q) = %v, %v", typ, in, v, err)
		}
		return
	}
	spelled := false
	for spelling, want := range accepted[typ] {
		spelled = spelled || (uint8(v) == want && strings.EqualFold(strings.TrimSpace(in), spelling))
	}
	if !v.IsValid() || !spelled {
		t.Fatalf("%s UnmarshalText(%q) = %v, which is not one of its spellings", typ, in, v)
	}
	text, err := v.MarshalText()
	var back E
	if err != nil || P(&back).UnmarshalText(text) != nil || back != v {
		t.Fatalf("%s %v does not round-trip through %q (%v)", typ, v, text, err)
	}
}
