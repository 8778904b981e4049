package certs

// Security is what the product page knows about a device's code-signing
// security, as two facts. It is plain comparable data; its zero value is a
// device that does not trust the Mobile2Market certificate and has no
// restricted privileges.
//
// The product page: "If the mobile operator or mobile device vendor has not
// restricted privileges on the mobile device and the Mobile2Market
// unprivileged certificate is trusted by the mobile device then the mobile
// device is assumed to be unlocked and available to be managed." See
// [Security.Unlocked] and [EstablishTrust].
type Security struct {
	// TrustsMobile2Market reports whether the device trusts the unprivileged
	// Mobile2Market certificate that DMInstaller is signed with (its root is
	// in the device's unprivileged execution store).
	TrustsMobile2Market bool `json:"trustsMobile2Market"`
	// PrivilegesRestricted reports whether the mobile operator or device
	// vendor restricted privileges, so that code signed with the unprivileged
	// Mobile2Market certificate cannot write the privileged execution store.
	PrivilegesRestricted bool `json:"privilegesRestricted"`
}

// Unlocked reports whether the device is unlocked in the product page's
// sense: it trusts the Mobile2Market certificate and privileges are not
// restricted. On a platform where signing applies, DMInstaller installs the
// Microsoft Authenticode certificate and calls DMClientSetup exactly when
// the device is unlocked.
func (s Security) Unlocked() bool { return s.TrustsMobile2Market && !s.PrivilegesRestricted }

// String describes s, such as
// "trusts Mobile2Market, privileges not restricted".
func (s Security) String() string {
	t := "does not trust Mobile2Market"
	if s.TrustsMobile2Market {
		t = "trusts Mobile2Market"
	}
	if s.PrivilegesRestricted {
		return t + ", privileges restricted"
	}
	return t + ", privileges not restricted"
}

// Securities returns the four possible [Security] values, for exhaustive
// loops, in the order of the two facts read as binary digits
// (TrustsMobile2Market, then PrivilegesRestricted): untrusted and
// unrestricted first, trusted and restricted last. Each call returns a new
// slice.
func Securities() []Security {
	return []Security{
		{TrustsMobile2Market: false, PrivilegesRestricted: false},
		{TrustsMobile2Market: false, PrivilegesRestricted: true},
		{TrustsMobile2Market: true, PrivilegesRestricted: false},
		{TrustsMobile2Market: true, PrivilegesRestricted: true},
	}
}

// Tier is the value of the Privileged Applications security policy
// ([PolicyPrivilegedApplications], 4123). The zero Tier is invalid.
type Tier uint8

// The tiers, in the order [Tiers] returns them.
const (
	// OneTier: every application allowed to run runs privileged. Pocket PCs
	// support only one-tier.
	OneTier Tier = iota + 1
	// TwoTier: an application runs privileged only when signed with a
	// certificate that chains to the privileged execution store; code signed
	// with an unprivileged certificate (such as DMInstaller's Mobile2Market
	// certificate) runs normal and cannot write protected stores.
	// Smartphones support one-tier and two-tier.
	TwoTier
)

var tierEnum = enum{typ: "Tier", err: ErrUnknownTier, names: []string{"one-tier", "two-tier"}}

// Tiers returns [OneTier] and [TwoTier], in that order.
func Tiers() []Tier { return []Tier{OneTier, TwoTier} }

// ParseTier returns the tier named s ("one-tier" or "two-tier",
// case-insensitive), or a [*ParseError] wrapping [ErrUnknownTier].
func ParseTier(s string) (Tier, error) {
	v, err := tierEnum.parse(s)
	return Tier(v), err
}

// String returns "one-tier" or "two-tier", or "Tier(n)" for an invalid value.
func (t Tier) String() string { return tierEnum.name(uint8(t)) }

// IsValid reports whether t is [OneTier] or [TwoTier].
func (t Tier) IsValid() bool { return tierEnum.valid(uint8(t)) }

// MarshalText implements encoding.TextMarshaler with the [Tier.String] form;
// the zero Tier marshals as empty text, any other invalid value is an error.
func (t Tier) MarshalText() ([]byte, error) { return tierEnum.marshal(uint8(t)) }

// UnmarshalText implements encoding.TextUnmarshaler: what [ParseTier]
// accepts, and empty text as the zero Tier.
func (t *Tier) UnmarshalText(text []byte) error { return unmarshalText(&tierEnum, text, t) }

// PolicyID is the number of a Windows Mobile security policy setting.
type PolicyID uint32

// The security policies the product page's rules depend on (Windows Mobile
// 5.0 and later).
const (
	PolicyUnsignedApplications   PolicyID = 4102 // Unsigned Applications policy: may unsigned code run
	PolicyUnsignedPrompt         PolicyID = 4122 // Unsigned Prompt policy: is the user asked first
	PolicyPrivilegedApplications PolicyID = 4123 // Privileged Applications policy: one-tier or two-tier
)

// Policies holds a device's values of the three security policies that
// decide how code runs on it.
type Policies struct {
	// PrivilegedApplications is policy 4123: [OneTier] or [TwoTier]
	// (registry value 1 or 0).
	PrivilegedApplications Tier `json:"privilegedApplications"`
	// UnsignedApplications is policy 4102: whether unsigned applications may
	// run at all (registry value 1) or are blocked (0).
	UnsignedApplications bool `json:"unsignedApplications"`
	// UnsignedPrompt is policy 4122: whether the user is asked before an
	// unsigned application runs (registry value 0) or not (1).
	UnsignedPrompt bool `json:"unsignedPrompt"`
}

// Security maps p onto the two facts the product page uses. The first fact
// is not a policy: trustsMobile2Market says whether the device's
// unprivileged execution store holds the Mobile2Market root.
//
// Modelling choice: privileges are restricted exactly when policy 4123 is
// [TwoTier]. On a two-tier device DMInstaller, signed with the unprivileged
// Mobile2Market certificate, runs normal and cannot write the privileged
// execution store; on a one-tier device everything that runs runs
// privileged. Policies 4102 and 4122 govern unsigned code; DMInstaller is
// signed, so they do not enter the mapping. In particular a device that
// does not trust the Mobile2Market certificate stays untrusted even where
// 4102 lets unsigned code run, because the page makes that trust a
// condition of the installation.
func (p Policies) Security(trustsMobile2Market bool) Security {
	return Security{TrustsMobile2Market: trustsMobile2Market, PrivilegesRestricted: p.PrivilegedApplications == TwoTier}
}

// SupportedBy reports whether a device of platform pl can hold p: a valid
// platform and a valid tier, and [TwoTier] only on a platform that supports
// it ([Platform.TwoTier]: Smartphones).
func (p Policies) SupportedBy(pl Platform) bool {
	if !pl.IsValid() || !p.PrivilegedApplications.IsValid() {
		return false
	}
	return p.PrivilegedApplications == OneTier || pl.TwoTier()
}

// Configuration is a named device security configuration. The zero
// Configuration is invalid.
type Configuration uint8

// The named configurations, in the order [Configurations] returns them.
// Their policies are in [Configuration.Policies], their facts in
// [Configuration.Security].
const (
	// Restricted: two-tier, unsigned applications cannot run.
	Restricted Configuration = iota + 1
	// Standard: two-tier, the user is prompted before unsigned code runs.
	Standard
	// Unrestricted: one-tier, the user is prompted before unsigned code runs.
	Unrestricted
	// Mobile2MarketLocked: only signed code runs (unsigned applications
	// cannot run, no prompt), one-tier.
	Mobile2MarketLocked
)

var configurationEnum = enum{
	typ:     "Configuration",
	err:     ErrUnknownConfiguration,
	names:   []string{"Restricted", "Standard", "Unrestricted", "Mobile2Market locked"},
	aliases: []string{"", "", "", "Mobile2Market-locked"},
}

// Configurations returns every named configuration in declaration order,
// from [Restricted] to [Mobile2MarketLocked].
func Configurations() []Configuration {
	return []Configuration{Restricted, Standard, Unrestricted, Mobile2MarketLocked}
}

// ParseConfiguration returns the configuration named s: its
// [Configuration.String] form, case-insensitively ("Mobile2Market-locked" is
// accepted too). Anything else is a [*ParseError] wrapping
// [ErrUnknownConfiguration].
func ParseConfiguration(s string) (Configuration, error) {
	v, err := configurationEnum.parse(s)
	return Configuration(v), err
}

// String returns the configuration's name, such as "Mobile2Market locked",
// or "Configuration(n)" for an invalid value.
func (c Configuration) String() string { return configurationEnum.name(uint8(c)) }

// IsValid reports whether c is one of [Configurations].
func (c Configuration) IsValid() bool { return configurationEnum.valid(uint8(c)) }

// Policies returns the configuration's security policies (the zero
// [Policies] for an invalid configuration):
//
//	Restricted           two-tier, unsigned blocked, no prompt
//	Standard             two-tier, unsigned allowed, prompt
//	Unrestricted         one-tier, unsigned allowed, prompt
//	Mobile2MarketLocked  one-tier, unsigned blocked, no prompt
//
// Restricted, Standard and Unrestricted are the common Smartphone
// configurations as documented. Modelling choice: "Mobile2Market locked" is
// documented only as "only signed code runs"; we give it the one-tier
// model, the form it takes on a Pocket PC (one-tier only), which also keeps
// it apart from Restricted (its two-tier counterpart).
func (c Configuration) Policies() Policies {
	switch c {
	case Restricted:
		return Policies{PrivilegedApplications: TwoTier, UnsignedApplications: false, UnsignedPrompt: false}
	case Standard:
		return Policies{PrivilegedApplications: TwoTier, UnsignedApplications: true, UnsignedPrompt: true}
	case Unrestricted:
		return Policies{PrivilegedApplications: OneTier, UnsignedApplications: true, UnsignedPrompt: true}
	case Mobile2MarketLocked:
		return Policies{PrivilegedApplications: OneTier, UnsignedApplications: false, UnsignedPrompt: false}
	}
	return Policies{}
}

// Security returns the configuration's two facts:
// c.Policies().Security(true) for a valid configuration, the zero
// [Security] for an invalid one.
//
// Modelling choice: every named configuration trusts the Mobile2Market
// certificate (the product page: it "will be trusted by most devices", and
// a Mobile2Market-locked device runs exactly the code such certificates
// sign). So Restricted and Standard (two-tier) are locked and deny the
// installer; Unrestricted and Mobile2MarketLocked (one-tier) are unlocked.
// A device that does not trust Mobile2Market is described with
// [Policies.Security] or a [Security] literal.
func (c Configuration) Security() Security {
	if !c.IsValid() {
		return Security{}
	}
	return c.Policies().Security(true)
}

// MarshalText implements encoding.TextMarshaler with the
// [Configuration.String] form; the zero Configuration marshals as empty
// text, any other invalid value is an error.
func (c Configuration) MarshalText() ([]byte, error) { return configurationEnum.marshal(uint8(c)) }

// UnmarshalText implements encoding.TextUnmarshaler: what
// [ParseConfiguration] accepts, and empty text as the zero Configuration.
func (c *Configuration) UnmarshalText(text []byte) error {
	return unmarshalText(&configurationEnum, text, c)
}
