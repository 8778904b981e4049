package certs_test

import (
	"encoding"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/roundtrip"
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
		if want := "Platform(" + strconv.Itoa(int(p)) + ")"; p.String() != want {
			t.Errorf("String of invalid platform %d = %q, want %q", uint8(p), p, want)
		}
	}
	for _, in := range []string{"", "WM6", "Windows Mobile 6", "Platform(1)", "wm6std.exe", "WM6 Std", "PPC 2003"} {
		p, err := certs.ParsePlatform(in)
		if p != 0 || !errors.Is(err, certs.ErrInvalidInput) {
			t.Errorf("ParsePlatform(%q) = %v, %v; want an error wrapping ErrInvalidInput", in, p, err)
		}
		if err != nil && (!strings.HasPrefix(err.Error(), "certs: unknown Platform "+strconv.Quote(in)) ||
			!strings.Contains(err.Error(), "Windows Mobile 6 Standard")) {
			t.Errorf("error %q does not name the type, the input and the accepted values", err)
		}
	}
}

// accepted lists every spelling each enumerated type accepts, in its own
// case, beyond which case and surrounding blanks do not matter: the names
// and the documented alternative spellings. Nothing else parses
// (TestEnumTextExhaustive, the fuzz targets).
var accepted = map[string]map[string]uint8{
	"Platform": {
		"Pocket PC 2003": 1, "PPC2003": 1,
		"Windows CE": 2, "CE": 2,
		"Windows Mobile 5.0 Pocket PC": 3, "WM5PPC": 3,
		"Windows Mobile 5.0 Smartphone": 4, "WM5SP": 4,
		"Windows Mobile 6 Classic": 5, "WM6Classic": 5,
		"Windows Mobile 6 Professional": 6, "WM6Pro": 6,
		"Windows Mobile 6 Standard": 7, "WM6Std": 7,
	},
	"Configuration": {
		"Restricted": 1, "Standard": 2, "Unrestricted": 3,
		"Mobile2Market locked": 4, "Mobile2Market-locked": 4,
	},
	"Store": {
		"Privileged Execution Trust Authorities": 1, "privileged execution": 1,
		"Unprivileged Execution Trust Authorities": 2, "unprivileged execution": 2,
		"SPC": 3, "Root": 4, "CA": 5, "MY": 6,
	},
	"SiteMode": {
		"mixed": 1, "native": 2, "server authentication": 3, "server-authentication": 3,
	},
	"EnrollmentResult": {
		"enrolled": 1, "CA unreachable": 2, "authentication failed": 3,
	},
}

// wantNames is each type's String of its valid values 1, 2, ..., in order.
var wantNames = map[string][]string{
	"Platform": {"Pocket PC 2003", "Windows CE", "Windows Mobile 5.0 Pocket PC", "Windows Mobile 5.0 Smartphone",
		"Windows Mobile 6 Classic", "Windows Mobile 6 Professional", "Windows Mobile 6 Standard"},
	"Configuration":    {"Restricted", "Standard", "Unrestricted", "Mobile2Market locked"},
	"Store":            {"Privileged Execution Trust Authorities", "Unprivileged Execution Trust Authorities", "SPC", "Root", "CA", "MY"},
	"SiteMode":         {"mixed", "native", "server authentication"},
	"EnrollmentResult": {"enrolled", "CA unreachable", "authentication failed"},
}

// textEnum is what every enumerated type of the package provides.
type textEnum interface {
	~uint8
	String() string
	IsValid() bool
	encoding.TextMarshaler
}

type textEnumPtr[E textEnum] interface {
	*E
	encoding.TextUnmarshaler
}

// checkEnum checks one enumerated type over every uint8 value: String,
// IsValid, MarshalText, UnmarshalText of every accepted spelling in three
// cases and with blanks around, and the errors.
func checkEnum[E textEnum, P textEnumPtr[E]](t *testing.T, typ string) {
	t.Helper()
	names := wantNames[typ]
	var gotNames []string
	for i := 0; i <= 255; i++ {
		v := E(i)
		valid := i >= 1 && i <= len(names)
		if v.IsValid() != valid {
			t.Errorf("%s(%d).IsValid() = %v", typ, i, v.IsValid())
		}
		text, err := v.MarshalText()
		if !valid {
			if want := typ + "(" + strconv.Itoa(i) + ")"; v.String() != want {
				t.Errorf("%s(%d).String() = %q, want %q", typ, i, v.String(), want)
			}
			if err == nil || !errors.Is(err, certs.ErrInvalidInput) || !strings.HasPrefix(err.Error(), "certs: ") ||
				!strings.Contains(err.Error(), v.String()) {
				t.Errorf("%s(%d).MarshalText() = %q, %v; want an error wrapping ErrInvalidInput", typ, i, text, err)
			}
			continue
		}
		gotNames = append(gotNames, v.String())
		if err != nil || string(text) != v.String() {
			t.Errorf("%s %v MarshalText = %q, %v", typ, v, text, err)
		}
		var back E
		if err := P(&back).UnmarshalText(text); err != nil || back != v {
			t.Errorf("%s UnmarshalText(%q) = %v, %v; want %v", typ, text, back, err, v)
		}
	}
	if diff := cmp.Diff(names, gotNames); diff != "" {
		t.Errorf("%s names mismatch (-want +got):\n%s", typ, diff)
	}
	for spelling, want := range accepted[typ] {
		for _, in := range []string{spelling, strings.ToLower(spelling), strings.ToUpper(spelling), " " + spelling + "\t"} {
			var v E
			if err := P(&v).UnmarshalText([]byte(in)); err != nil || uint8(v) != want {
				t.Errorf("%s UnmarshalText(%q) = %v, %v; want %v", typ, in, v, err, E(want))
			}
		}
	}
	// Bad text, the empty text included, is an error naming the type, the
	// input and the accepted values, and leaves the destination alone.
	for _, in := range []string{"", " ", "no such " + typ, typ + "(1)", "1", names[0] + "x", strings.Repeat("\x00", 1<<20)} {
		v := E(1)
		err := P(&v).UnmarshalText([]byte(in))
		if v != E(1) || !errors.Is(err, certs.ErrInvalidInput) {
			t.Errorf("%s UnmarshalText(%.20q) = %v, %v; want an error wrapping ErrInvalidInput, no change", typ, in, v, err)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "certs: unknown "+typ+" ") || !strings.Contains(msg, strings.Join(names, ", ")) || len(msg) > 1000 {
			t.Errorf("%s UnmarshalText(%.20q) error of %d bytes %.300q: want the type, the input (short) and the accepted values", typ, in, len(msg), msg)
		}
	}
}

func TestEnumTextExhaustive(t *testing.T) {
	checkEnum[certs.Platform](t, "Platform")
	checkEnum[certs.Configuration](t, "Configuration")
	checkEnum[certs.Store](t, "Store")
	checkEnum[certs.SiteMode](t, "SiteMode")
	checkEnum[certs.EnrollmentResult](t, "EnrollmentResult")
}

// The Parse functions agree with UnmarshalText.
func TestParseFunctions(t *testing.T) {
	checkParseAgrees(t, "Platform", certs.ParsePlatform)
	checkParseAgrees(t, "Configuration", certs.ParseConfiguration)
	checkParseAgrees(t, "SiteMode", certs.ParseSiteMode)
	if diff := cmp.Diff(validValues[certs.Platform](), certs.Platforms()); diff != "" {
		t.Errorf("Platforms mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(validValues[certs.SiteMode](), certs.SiteModes()); diff != "" {
		t.Errorf("SiteModes mismatch (-want +got):\n%s", diff)
	}
}

func checkParseAgrees[E textEnum, P textEnumPtr[E]](t *testing.T, typ string, parse func(string) (E, error)) {
	t.Helper()
	inputs := []string{"", "x", " ", strings.Repeat("é", 200)}
	for spelling := range accepted[typ] {
		inputs = append(inputs, spelling, strings.ToUpper(spelling), " "+spelling+" ", spelling+".")
	}
	for _, in := range inputs {
		got, err := parse(in)
		var want E
		werr := P(&want).UnmarshalText([]byte(in))
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("Parse%s(%q) = %v, %v; UnmarshalText says %v, %v", typ, in, got, err, want, werr)
		}
		if err != nil && (got != 0 || !errors.Is(err, certs.ErrInvalidInput)) {
			t.Errorf("Parse%s(%q) = %v, %v", typ, in, got, err)
		}
	}
}

// validValues returns the valid values of E, in order, found by trying every
// uint8.
func validValues[E textEnum]() []E {
	var vs []E
	for i := 0; i <= 255; i++ {
		if E(i).IsValid() {
			vs = append(vs, E(i))
		}
	}
	return vs
}

func TestJSONRoundTrip(t *testing.T) {
	type record struct {
		Platform certs.Platform
		Mode     certs.SiteMode
		Config   certs.Configuration
		Result   certs.EnrollmentResult `json:",omitempty"` // zero: enrollment did not run
		Trust    certs.TrustResult
		Status   certs.HRESULT
	}
	tr, _ := certs.EstablishTrust(certs.WM6Professional, certs.Unrestricted.Security())
	in := record{Platform: certs.WM6Professional, Mode: certs.ServerAuthentication, Config: certs.Unrestricted, Trust: tr,
		Status: certs.EAccessDenied}
	out, data := roundtrip.JSON(t, in)
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
	for _, want := range []string{`"Windows Mobile 6 Professional"`, `"SPC"`, `"Status":"0x80070005"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("JSON %s does not hold %s", data, want)
		}
	}
	if strings.Contains(string(data), "Result") {
		t.Errorf("JSON %s holds the enrollment that did not run", data)
	}
	// A zero enumerated value is invalid and does not marshal.
	in.Mode = 0
	if data, err := json.Marshal(in); !errors.Is(err, certs.ErrInvalidInput) {
		t.Errorf("Marshal with the zero SiteMode = %s, %v; want an error wrapping ErrInvalidInput", data, err)
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
		if p != 0 || !errors.Is(err, certs.ErrInvalidInput) {
			t.Fatalf("ParsePlatform(%q) = %v, %v", in, p, err)
		}
		return
	}
	if in := strings.TrimSpace(in); !strings.EqualFold(in, p.String()) && !strings.EqualFold(in, p.Token()) {
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
