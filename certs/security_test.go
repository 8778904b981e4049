package certs_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"pgregory.net/rapid"
)

func TestSecurities(t *testing.T) {
	all := certs.Securities()
	seen := map[certs.Security]bool{}
	for _, s := range all {
		seen[s] = true
		if got, want := s.Unlocked(), s.TrustsMobile2Market && !s.PrivilegesRestricted; got != want {
			t.Errorf("%+v.Unlocked() = %v, want %v", s, got, want)
		}
	}
	if len(all) != 4 || len(seen) != 4 {
		t.Errorf("Securities() = %v, want the 4 distinct combinations", all)
	}
	if diff := cmp.Diff(all, certs.Securities()); diff != "" {
		t.Errorf("Securities not deterministic (-first +second):\n%s", diff)
	}
	strs := map[string]bool{}
	for _, s := range all {
		strs[s.String()] = true
	}
	if len(strs) != 4 {
		t.Errorf("Security strings not distinct: %v", strs)
	}
}

// configurationSpec is each named configuration's policies: Restricted
// (two-tier, unsigned cannot run), Standard (two-tier, prompt), Unrestricted
// (one-tier, prompt) as documented, Mobile2Market locked (only signed code
// runs) one-tier as the package's documented modelling choice.
var configurationSpec = map[certs.Configuration]certs.Policies{
	certs.Restricted:          {TwoTier: true, UnsignedApplications: false, UnsignedPrompt: false},
	certs.Standard:            {TwoTier: true, UnsignedApplications: true, UnsignedPrompt: true},
	certs.Unrestricted:        {TwoTier: false, UnsignedApplications: true, UnsignedPrompt: true},
	certs.Mobile2MarketLocked: {TwoTier: false, UnsignedApplications: false, UnsignedPrompt: false},
}

// TestConfigurationsExhaustive checks every Configuration value, valid or
// not, on every platform against its policies and the trust rules.
func TestConfigurationsExhaustive(t *testing.T) {
	n := 0
	for i := 0; i <= 255; i++ {
		c := certs.Configuration(i)
		want, ok := configurationSpec[c]
		if c.IsValid() != ok {
			t.Errorf("configuration %d: IsValid %v, specified %v", i, c.IsValid(), ok)
		}
		if !ok {
			if c.Policies() != (certs.Policies{}) || c.Security() != (certs.Security{}) {
				t.Errorf("invalid configuration %d has policies or security", i)
			}
			continue
		}
		n++
		if diff := cmp.Diff(want, c.Policies()); diff != "" {
			t.Errorf("%v.Policies mismatch (-want +got):\n%s", c, diff)
		}
		// Every named configuration trusts Mobile2Market; two-tier restricts
		// privileges.
		wantSec := certs.Security{TrustsMobile2Market: true, PrivilegesRestricted: want.TwoTier}
		if got := c.Security(); got != wantSec {
			t.Errorf("%v.Security() = %+v, want %+v", c, got, wantSec)
		}
		for _, p := range certs.Platforms() {
			// Pocket PCs support only one-tier.
			if got, want := c.Policies().SupportedBy(p), !want.TwoTier || p.IsSmartphone(); got != want {
				t.Errorf("%v.SupportedBy(%v) = %v, want %v", c, p, got, want)
			}
			r, err := certs.EstablishTrust(p, c.Security())
			deny := p.SigningApplies() && want.TwoTier
			if got := errors.Is(err, certs.ErrAccessDenied); got != deny || r.SetupMayRun == deny {
				t.Errorf("%v on %v: denied %v (setup %v), want denied %v", c, p, got, r.SetupMayRun, deny)
			}
			if errors.Is(err, certs.ErrUntrustedInstaller) {
				t.Errorf("%v on %v: untrusted installer", c, p)
			}
		}
	}
	if n != len(configurationSpec) {
		t.Errorf("%d valid configurations, want %d", n, len(configurationSpec))
	}
}

// TestPoliciesExhaustive: policies map onto the facts (restricted exactly
// when two-tier, trust as given, 4102 and 4122 irrelevant), and a platform
// supports them unless they are two-tier and it is not a Smartphone.
func TestPoliciesExhaustive(t *testing.T) {
	for _, twoTier := range []bool{false, true} {
		for _, unsigned := range []bool{false, true} {
			for _, prompt := range []bool{false, true} {
				p := certs.Policies{TwoTier: twoTier, UnsignedApplications: unsigned, UnsignedPrompt: prompt}
				for _, trusts := range []bool{false, true} {
					if got, want := p.Security(trusts), (certs.Security{TrustsMobile2Market: trusts, PrivilegesRestricted: twoTier}); got != want {
						t.Errorf("%+v.Security(%v) = %+v, want %+v", p, trusts, got, want)
					}
				}
				for i := 0; i <= 255; i++ {
					pl := certs.Platform(i)
					if got, want := p.SupportedBy(pl), pl.IsValid() && (!twoTier || pl.IsSmartphone()); got != want {
						t.Errorf("%+v.SupportedBy(%v) = %v, want %v", p, pl, got, want)
					}
				}
			}
		}
	}
}

func genPolicies() *rapid.Generator[certs.Policies] {
	return rapid.Custom(func(t *rapid.T) certs.Policies {
		return certs.Policies{
			TwoTier:              rapid.Bool().Draw(t, "twoTier"),
			UnsignedApplications: rapid.Bool().Draw(t, "unsigned"),
			UnsignedPrompt:       rapid.Bool().Draw(t, "prompt"),
		}
	})
}

// A device described by its policies is denied on a signing platform
// exactly when it is two-tier or does not trust Mobile2Market, whatever
// policies 4102 and 4122 say.
func TestPropPoliciesTrust(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPolicies().Draw(t, "policies")
		trusts := rapid.Bool().Draw(t, "trusts")
		pl := genPlatform().Draw(t, "platform")
		_, err := certs.EstablishTrust(pl, p.Security(trusts))
		if want := pl.SigningApplies() && (p.TwoTier || !trusts); errors.Is(err, certs.ErrAccessDenied) != want {
			t.Fatalf("%+v, trusts %v, on %v: error %v, want denied %v", p, trusts, pl, err, want)
		}
		if p.SupportedBy(pl) && p.TwoTier && !pl.TwoTier() {
			t.Fatalf("%+v supported by %v", p, pl)
		}
	})
}

func TestHRESULT(t *testing.T) {
	h := certs.EAccessDenied
	if h != 0x80070005 || h.String() != "0x80070005" {
		t.Errorf("EAccessDenied = %#x %q", uint32(h), h)
	}
	// E_ACCESSDENIED is Win32 ERROR_ACCESS_DENIED (5) in FACILITY_WIN32
	// (7), with the severity bit set.
	if h>>31 != 1 || (h>>16)&0x1FFF != 7 || h&0xFFFF != 5 {
		t.Errorf("EAccessDenied %v is not a FACILITY_WIN32 failure with code 5", h)
	}
	for in, want := range map[string]certs.HRESULT{
		"0x80070005": 0x80070005, "0X80070005": 0x80070005, "0x8007000a": 0x8007000A, "0x8007000A": 0x8007000A,
		"0x00000000": 0, "0xFFFFFFFF": 0xFFFFFFFF, "0xffffffff": 0xFFFFFFFF,
	} {
		var got certs.HRESULT
		if err := got.UnmarshalText([]byte(in)); err != nil || got != want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	// The product page's "0x8007005" is seven digits: rejected, as is
	// every other form than "0x" and eight hexadecimal digits.
	for _, in := range []string{"0x8007005", "", "0x", "80070005", "2147942405", "0x080070005", " 0x80070005",
		"0x80070005 ", "0x8007000g", "0x+8007005", "0x-8007005", "1x80070005", "0y80070005", strings.Repeat("0", 1<<20)} {
		h := certs.HRESULT(7)
		err := h.UnmarshalText([]byte(in))
		if h != 7 || !errors.Is(err, certs.ErrInvalidInput) || !strings.HasPrefix(err.Error(), "certs: invalid HRESULT ") || len(err.Error()) > 300 {
			t.Errorf("UnmarshalText(%.20q) = %v, %v; want an error wrapping ErrInvalidInput, no change", in, h, err)
		}
	}
	if data, err := json.Marshal(struct{ H certs.HRESULT }{certs.EAccessDenied}); err != nil || string(data) != `{"H":"0x80070005"}` {
		t.Errorf("json.Marshal = %s, %v", data, err)
	}
}

// Every HRESULT prints as "0x" and eight upper-case hexadecimal digits and
// reads back from that text.
func TestPropHRESULTText(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := certs.HRESULT(rapid.Uint32().Draw(t, "h"))
		s := h.String()
		if len(s) != 10 || !strings.HasPrefix(s, "0x") || strings.ToUpper(s[2:]) != s[2:] {
			t.Fatalf("HRESULT(%d).String() = %q", uint32(h), s)
		}
		if v, err := strconv.ParseUint(s[2:], 16, 32); err != nil || certs.HRESULT(v) != h {
			t.Fatalf("%q parses back to %d, %v", s, v, err)
		}
		text, err := h.MarshalText()
		if err != nil || string(text) != s {
			t.Fatalf("MarshalText = %q, %v; want %q", text, err, s)
		}
		var back certs.HRESULT
		if err := back.UnmarshalText([]byte(strings.ToLower(s))); err != nil || back != h {
			t.Fatalf("UnmarshalText(%q) = %v, %v", strings.ToLower(s), back, err)
		}
		data, err := json.Marshal(h)
		if err != nil || string(data) != strconv.Quote(s) {
			t.Fatalf("json.Marshal = %s, %v", data, err)
		}
		back = 0
		if err := json.Unmarshal(data, &back); err != nil || back != h {
			t.Fatalf("json.Unmarshal(%s) = %v, %v", data, back, err)
		}
	})
}

func TestStores(t *testing.T) {
	all := validValues[certs.Store]()
	if len(all) != 6 || all[0] != certs.PrivilegedExecution || all[5] != certs.MY {
		t.Errorf("valid stores %v", all)
	}
	r, err := certs.EstablishTrust(certs.WM5PocketPC, certs.Security{TrustsMobile2Market: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= 255; i++ {
		s := certs.Store(i)
		if got, want := r.InstalledIn(s), s == certs.PrivilegedExecution || s == certs.SPC; got != want {
			t.Errorf("InstalledIn(%v) = %v, want %v", s, got, want)
		}
	}
}
