package certs_test

import (
	"encoding"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"pgregory.net/rapid"
)

// platformSpec is what each platform is, from the product page and the
// Windows Mobile documentation, plus the documented token choice.
var platformSpec = []struct {
	p          certs.Platform
	name       string
	token      string
	signing    bool // "Signing does not apply to ... Pocket PC 2003 or Windows CE"
	smartphone bool // Smartphones (WM6 Standard is the Smartphone edition)
}{
	{certs.PocketPC2003, "Pocket PC 2003", "PPC2003", false, false},
	{certs.WindowsCE, "Windows CE", "CE", false, false},
	{certs.WM5PocketPC, "Windows Mobile 5.0 Pocket PC", "WM5PPC", true, false},
	{certs.WM5Smartphone, "Windows Mobile 5.0 Smartphone", "WM5SP", true, true},
	{certs.WM6Classic, "Windows Mobile 6 Classic", "WM6Classic", true, false},
	{certs.WM6Professional, "Windows Mobile 6 Professional", "WM6Pro", true, false},
	{certs.WM6Standard, "Windows Mobile 6 Standard", "WM6Std", true, true},
}

func TestPlatforms(t *testing.T) {
	var want []certs.Platform
	for _, s := range platformSpec {
		want = append(want, s.p)
	}
	if diff := cmp.Diff(want, certs.Platforms()); diff != "" {
		t.Errorf("Platforms mismatch (-want +got):\n%s", diff)
	}
	tokens := map[string]bool{}
	for _, s := range platformSpec {
		p := s.p
		if !p.IsValid() || p.String() != s.name || p.Token() != s.token {
			t.Errorf("%d: valid %v, String %q, Token %q; want %q, %q", uint8(p), p.IsValid(), p, p.Token(), s.name, s.token)
		}
		if p.SigningApplies() != s.signing || p.IsSmartphone() != s.smartphone {
			t.Errorf("%v: SigningApplies %v, IsSmartphone %v", p, p.SigningApplies(), p.IsSmartphone())
		}
		// Pocket PCs support only one-tier; Smartphones one- or two-tier.
		if p.TwoTier() != s.smartphone {
			t.Errorf("%v: TwoTier %v", p, p.TwoTier())
		}
		if got, want := p.InstallerName(), "DMInstaller_"+s.token+".exe"; got != want {
			t.Errorf("%v: InstallerName %q, want %q", p, got, want)
		}
		if got, want := p.SetupName(), "DMClientSetup_"+s.token+".exe"; got != want {
			t.Errorf("%v: SetupName %q, want %q", p, got, want)
		}
		if strings.ContainsAny(s.token, " \t_.\\/") || tokens[strings.ToLower(s.token)] {
			t.Errorf("%v: token %q is not a unique plain file-name token", p, s.token)
		}
		tokens[strings.ToLower(s.token)] = true
		for _, in := range []string{s.name, s.token, strings.ToUpper(s.name), strings.ToLower(s.token)} {
			if got, err := certs.ParsePlatform(in); err != nil || got != p {
				t.Errorf("ParsePlatform(%q) = %v, %v; want %v", in, got, err, p)
			}
		}
	}
}

func TestInvalidPlatform(t *testing.T) {
	for _, p := range []certs.Platform{0, certs.WM6Standard + 1, 255} {
		if p.IsValid() || p.SigningApplies() || p.IsSmartphone() || p.TwoTier() ||
			p.Token() != "" || p.InstallerName() != "" || p.SetupName() != "" {
			t.Errorf("invalid platform %d has properties", uint8(p))
		}
		if !strings.HasPrefix(p.String(), "Platform(") {
			t.Errorf("String of invalid platform %d = %q", uint8(p), p)
		}
	}
	for _, in := range []string{"", " WM6Std", "WM6", "Windows Mobile 6", "Platform(1)", "wm6std.exe"} {
		p, err := certs.ParsePlatform(in)
		var pe *certs.ParseError
		if p != 0 || !errors.Is(err, certs.ErrUnknownPlatform) || !errors.As(err, &pe) || pe.Input != in || pe.Type != "Platform" {
			t.Errorf("ParsePlatform(%q) = %v, %v; want a *ParseError wrapping ErrUnknownPlatform", in, p, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "certs: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}

// textEnum is what every enumeration of the package provides.
type textEnum interface {
	comparable
	String() string
	IsValid() bool
	encoding.TextMarshaler
}

// checkEnum checks an enumeration's list, String, Parse and text round trip.
func checkEnum[E textEnum, P interface {
	*E
	encoding.TextUnmarshaler
}](t *testing.T, typ string, all []E, parse func(string) (E, error), sentinel error, wantNames []string) {
	t.Helper()
	var zero E
	var names []string
	for _, v := range all {
		names = append(names, v.String())
		if !v.IsValid() {
			t.Errorf("%s %v in list is not valid", typ, v)
		}
		for _, in := range []string{v.String(), strings.ToLower(v.String()), strings.ToUpper(v.String())} {
			if got, err := parse(in); err != nil || got != v {
				t.Errorf("parse %s %q = %v, %v; want %v", typ, in, got, err, v)
			}
		}
		text, err := v.MarshalText()
		if err != nil || string(text) != v.String() {
			t.Errorf("%s %v MarshalText = %q, %v", typ, v, text, err)
		}
		var back E
		if err := P(&back).UnmarshalText(text); err != nil || back != v {
			t.Errorf("%s UnmarshalText(%q) = %v, %v; want %v", typ, text, back, err, v)
		}
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("%s names mismatch (-want +got):\n%s", typ, diff)
	}
	// The zero value is invalid, marshals as empty text and comes back.
	if zero.IsValid() || slices.Contains(all, zero) {
		t.Errorf("zero %s is valid", typ)
	}
	if text, err := zero.MarshalText(); err != nil || len(text) != 0 {
		t.Errorf("zero %s MarshalText = %q, %v", typ, text, err)
	}
	v := all[0]
	if err := P(&v).UnmarshalText(nil); err != nil || v != zero {
		t.Errorf("%s UnmarshalText(empty) = %v, %v; want zero", typ, v, err)
	}
	if got, err := parse(""); !errors.Is(err, sentinel) || got != zero {
		t.Errorf("parse %s \"\" = %v, %v; want %v", typ, got, err, sentinel)
	}
	bad := []byte("no such " + typ)
	if err := P(&v).UnmarshalText(bad); !errors.Is(err, sentinel) {
		t.Errorf("%s UnmarshalText(%q) error = %v, want %v", typ, bad, err, sentinel)
	}
}

func TestEnumerations(t *testing.T) {
	checkEnum(t, "Platform", certs.Platforms(), certs.ParsePlatform, certs.ErrUnknownPlatform,
		[]string{"Pocket PC 2003", "Windows CE", "Windows Mobile 5.0 Pocket PC", "Windows Mobile 5.0 Smartphone",
			"Windows Mobile 6 Classic", "Windows Mobile 6 Professional", "Windows Mobile 6 Standard"})
	checkEnum(t, "Configuration", certs.Configurations(), certs.ParseConfiguration, certs.ErrUnknownConfiguration,
		[]string{"Restricted", "Standard", "Unrestricted", "Mobile2Market locked"})
	checkEnum(t, "Tier", certs.Tiers(), certs.ParseTier, certs.ErrUnknownTier, []string{"one-tier", "two-tier"})
	checkEnum(t, "Store", certs.Stores(), certs.ParseStore, certs.ErrUnknownStore,
		[]string{"Privileged Execution Trust Authorities", "Unprivileged Execution Trust Authorities", "SPC", "Root", "CA", "MY"})
	checkEnum(t, "SiteMode", certs.SiteModes(), certs.ParseSiteMode, certs.ErrUnknownSiteMode,
		[]string{"mixed", "native", "server authentication"})
	checkEnum(t, "EnrollmentResult", certs.EnrollmentResults(), certs.ParseEnrollmentResult, certs.ErrUnknownEnrollmentResult,
		[]string{"enrolled", "CA unreachable", "authentication failed"})
	checkEnum(t, "EnrollmentSoftware", certs.EnrollmentSoftwares(), certs.ParseEnrollmentSoftware, certs.ErrUnknownEnrollmentSoftware,
		[]string{"Configuration Manager", "enterprise"})
}

func TestAliases(t *testing.T) {
	for in, want := range map[string]certs.Store{"privileged execution": certs.PrivilegedExecution, "Unprivileged Execution": certs.UnprivilegedExecution} {
		if got, err := certs.ParseStore(in); err != nil || got != want {
			t.Errorf("ParseStore(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if got, err := certs.ParseSiteMode("Server-Authentication"); err != nil || got != certs.ServerAuthentication {
		t.Errorf("ParseSiteMode(server-authentication) = %v, %v", got, err)
	}
	if got, err := certs.ParseConfiguration("mobile2market-locked"); err != nil || got != certs.Mobile2MarketLocked {
		t.Errorf("ParseConfiguration(mobile2market-locked) = %v, %v", got, err)
	}
}

// An invalid non-zero value cannot be marshalled.
func TestMarshalInvalid(t *testing.T) {
	for _, m := range []encoding.TextMarshaler{
		certs.Platform(200), certs.Configuration(200), certs.Tier(200), certs.Store(200),
		certs.SiteMode(200), certs.EnrollmentResult(200), certs.EnrollmentSoftware(200),
	} {
		if text, err := m.MarshalText(); err == nil {
			t.Errorf("%T(200).MarshalText() = %q, want an error", m, text)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	type record struct {
		Platform certs.Platform
		Mode     certs.SiteMode
		Config   certs.Configuration
		Result   certs.EnrollmentResult // zero: enrollment did not run
		Trust    certs.TrustResult
	}
	tr, _ := certs.EstablishTrust(certs.WM6Professional, certs.Unrestricted.Security())
	in := record{Platform: certs.WM6Professional, Mode: certs.ServerAuthentication, Config: certs.Unrestricted, Trust: tr}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out record
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("Unmarshal(%s): %v", data, err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(data), `"Windows Mobile 6 Professional"`) || !strings.Contains(string(data), `"SPC"`) {
		t.Errorf("JSON %s does not use the names", data)
	}
}

// Whatever ParsePlatform accepts is a spelling of the platform's name or
// token, and prints back to something it accepts.
func TestPropParsePlatform(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var in string
		if rapid.Bool().Draw(t, "known") {
			p := genPlatform().Draw(t, "platform")
			in = rapid.SampledFrom([]string{p.String(), p.Token()}).Draw(t, "form")
			in = flipCase(rapid.Uint64().Draw(t, "case"), in)
		} else {
			in = rapid.String().Draw(t, "in")
		}
		checkParsedPlatform(t, in)
	})
}

type fataler interface{ Fatalf(string, ...any) }

func checkParsedPlatform(t fataler, in string) {
	p, err := certs.ParsePlatform(in)
	if err != nil {
		if p != 0 || !errors.Is(err, certs.ErrUnknownPlatform) {
			t.Fatalf("ParsePlatform(%q) = %v, %v", in, p, err)
		}
		return
	}
	if !strings.EqualFold(in, p.String()) && !strings.EqualFold(in, p.Token()) {
		t.Fatalf("ParsePlatform(%q) = %v, which is neither its name nor its token", in, p)
	}
	for _, s := range []string{p.String(), p.Token()} {
		if back, err := certs.ParsePlatform(s); err != nil || back != p {
			t.Fatalf("ParsePlatform(%q) = %v, %v; want %v", s, back, err, p)
		}
	}
}

// flipCase changes the case of the letters of s selected by the bits of mask.
func flipCase(mask uint64, s string) string {
	b := []byte(s)
	for i, c := range b {
		if mask&(1<<(uint(i)%64)) == 0 {
			continue
		}
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// TestFileNamePredicates: IsInstallerName and IsSetupName accept exactly
// the names InstallerName and SetupName write, in any case, for their own
// platform only.
func TestFileNamePredicates(t *testing.T) {
	for _, p := range certs.Platforms() {
		for _, q := range certs.Platforms() {
			for _, name := range []string{q.InstallerName(), strings.ToUpper(q.InstallerName()), strings.ToLower(q.InstallerName())} {
				if got := p.IsInstallerName(name); got != (p == q) {
					t.Errorf("%v.IsInstallerName(%q) = %v", p, name, got)
				}
				if p.IsSetupName(name) {
					t.Errorf("%v.IsSetupName(%q) = true", p, name)
				}
			}
			if got := p.IsSetupName(strings.ToLower(q.SetupName())); got != (p == q) {
				t.Errorf("%v.IsSetupName(%q) = %v", p, q.SetupName(), got)
			}
		}
		for _, bad := range []string{"", p.InstallerName() + " ", "x" + p.InstallerName(), p.Token(), "DMInstaller_.exe", `dir\` + p.InstallerName()} {
			if p.IsInstallerName(bad) {
				t.Errorf("%v.IsInstallerName(%q) = true", p, bad)
			}
		}
	}
	if certs.Platform(0).IsInstallerName("DMInstaller_.exe") || certs.Platform(0).IsSetupName("DMClientSetup_.exe") {
		t.Error("the zero Platform has file names")
	}
	if n := testing.AllocsPerRun(100, func() { _ = certs.WM6Professional.IsInstallerName("DMInstaller_WM6Pro.exe") }); n != 0 {
		t.Errorf("IsInstallerName allocates %v times", n)
	}
}
