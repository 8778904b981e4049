package certs_test

import (
	"errors"
	"slices"
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
	certs.Restricted:          {PrivilegedApplications: certs.TwoTier, UnsignedApplications: false, UnsignedPrompt: false},
	certs.Standard:            {PrivilegedApplications: certs.TwoTier, UnsignedApplications: true, UnsignedPrompt: true},
	certs.Unrestricted:        {PrivilegedApplications: certs.OneTier, UnsignedApplications: true, UnsignedPrompt: true},
	certs.Mobile2MarketLocked: {PrivilegedApplications: certs.OneTier, UnsignedApplications: false, UnsignedPrompt: false},
}

// TestConfigurationsExhaustive checks every configuration on every platform
// against its policies and the trust rules.
func TestConfigurationsExhaustive(t *testing.T) {
	if len(certs.Configurations()) != len(configurationSpec) {
		t.Errorf("Configurations() = %v, want %d", certs.Configurations(), len(configurationSpec))
	}
	for _, c := range certs.Configurations() {
		want, ok := configurationSpec[c]
		if !ok {
			t.Errorf("configuration %v not specified", c)
			continue
		}
		if diff := cmp.Diff(want, c.Policies()); diff != "" {
			t.Errorf("%v.Policies mismatch (-want +got):\n%s", c, diff)
		}
		// Every named configuration trusts Mobile2Market; two-tier restricts
		// privileges.
		wantSec := certs.Security{TrustsMobile2Market: true, PrivilegesRestricted: want.PrivilegedApplications == certs.TwoTier}
		if got := c.Security(); got != wantSec {
			t.Errorf("%v.Security() = %+v, want %+v", c, got, wantSec)
		}
		for _, p := range certs.Platforms() {
			// Pocket PCs support only one-tier.
			if got, want := c.Policies().SupportedBy(p), want.PrivilegedApplications == certs.OneTier || p.IsSmartphone(); got != want {
				t.Errorf("%v.SupportedBy(%v) = %v, want %v", c, p, got, want)
			}
			r, err := certs.EstablishTrust(p, c.Security())
			deny := p.SigningApplies() && want.PrivilegedApplications == certs.TwoTier
			if got := errors.Is(err, certs.ErrAccessDenied); got != deny || r.SetupMayRun == deny {
				t.Errorf("%v on %v: denied %v (setup %v), want denied %v", c, p, got, r.SetupMayRun, deny)
			}
			if errors.Is(err, certs.ErrUntrustedInstaller) {
				t.Errorf("%v on %v: untrusted installer", c, p)
			}
		}
	}
	for _, c := range []certs.Configuration{0, certs.Mobile2MarketLocked + 1} {
		if c.IsValid() || c.Policies() != (certs.Policies{}) || c.Security() != (certs.Security{}) {
			t.Errorf("invalid configuration %d has policies or security", uint8(c))
		}
	}
}

func genPolicies() *rapid.Generator[certs.Policies] {
	return rapid.Custom(func(t *rapid.T) certs.Policies {
		return certs.Policies{
			PrivilegedApplications: certs.Tier(rapid.IntRange(0, 3).Draw(t, "tier")),
			UnsignedApplications:   rapid.Bool().Draw(t, "unsigned"),
			UnsignedPrompt:         rapid.Bool().Draw(t, "prompt"),
		}
	})
}

// Policies map onto the facts: restricted exactly when two-tier, trust as
// given, 4102 and 4122 irrelevant.
func TestPropPoliciesSecurity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPolicies().Draw(t, "policies")
		trusts := rapid.Bool().Draw(t, "trusts")
		s := p.Security(trusts)
		if s.TrustsMobile2Market != trusts || s.PrivilegesRestricted != (p.PrivilegedApplications == certs.TwoTier) {
			t.Fatalf("%+v.Security(%v) = %+v", p, trusts, s)
		}
		q := p
		q.UnsignedApplications, q.UnsignedPrompt = !p.UnsignedApplications, !p.UnsignedPrompt
		if q.Security(trusts) != s {
			t.Fatalf("unsigned policies change the facts: %+v vs %+v", p, q)
		}
		pl := genPlatform().Draw(t, "platform")
		if p.SupportedBy(pl) && (!p.PrivilegedApplications.IsValid() || (p.PrivilegedApplications == certs.TwoTier && !pl.TwoTier())) {
			t.Fatalf("%+v supported by %v", p, pl)
		}
	})
}

func TestPolicyIDs(t *testing.T) {
	for id, want := range map[certs.PolicyID]uint32{
		certs.PolicyPrivilegedApplications: 4123,
		certs.PolicyUnsignedApplications:   4102,
		certs.PolicyUnsignedPrompt:         4122,
	} {
		if uint32(id) != want {
			t.Errorf("policy %d, want %d", id, want)
		}
	}
}

func TestHRESULT(t *testing.T) {
	h := certs.EAccessDenied
	if h != 0x80070005 || h.String() != "0x80070005" {
		t.Errorf("EAccessDenied = %#x %q", uint32(h), h)
	}
	// E_ACCESSDENIED is Win32 ERROR_ACCESS_DENIED (5) in FACILITY_WIN32 (7).
	if !h.Failed() || h.Facility() != 7 || h.Code() != 5 {
		t.Errorf("EAccessDenied: failed %v, facility %d, code %d", h.Failed(), h.Facility(), h.Code())
	}
	// The product page's "0x8007005" is a different (and malformed) value.
	if h.String() == "0x8007005" {
		t.Error("prints the page's typo")
	}
}

func TestPropHRESULTString(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := certs.HRESULT(rapid.Uint32().Draw(t, "h"))
		s := h.String()
		if len(s) != 10 || !strings.HasPrefix(s, "0x") || strings.ToUpper(s[2:]) != s[2:] {
			t.Fatalf("HRESULT(%d).String() = %q", uint32(h), s)
		}
		v, err := strconv.ParseUint(s[2:], 16, 32)
		if err != nil || certs.HRESULT(v) != h {
			t.Fatalf("%q parses back to %d, %v", s, v, err)
		}
		if h.Failed() != (uint32(h)>>31 == 1) || uint32(h.Code()) != uint32(h)&0xFFFF || uint32(h.Facility()) != (uint32(h)>>16)&0x1FFF {
			t.Fatalf("fields of %v", h)
		}
	})
}

func TestStores(t *testing.T) {
	all := certs.Stores()
	if !slices.IsSorted(all) || len(all) != 6 {
		t.Errorf("Stores() = %v", all)
	}
	r, err := certs.EstablishTrust(certs.WM5PocketPC, certs.Security{TrustsMobile2Market: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if got, want := r.InstalledIn(s), s == certs.PrivilegedExecution || s == certs.SPC; got != want {
			t.Errorf("InstalledIn(%v) = %v, want %v", s, got, want)
		}
	}
}
