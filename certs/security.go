package certs

import "github.com/mobiledm/dmclient/internal/enum"

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

// Policies holds a device's values of the three Windows Mobile security
// policies (Windows Mobile 5.0 and later) that decide how code runs on it.
// It is plain comparable data; its zero value is one-tier with unsigned
// applications blocked and no prompt, the policies of
// [Mobile2MarketLocked].
type Policies struct {
	// TwoTier is policy 4123, Privileged Applications: true for the
	// two-tier model (registry value 0), false for one-tier (value 1). On a
	// one-tier device every application allowed to run runs privileged; on
	// a two-tier device only code signed with a certificate that chains to
	// the privileged execution store does, and code signed with an
	// unprivileged certificate (such as DMInstaller's Mobile2Market
	// certificate) runs normal and cannot write protected stores. Pocket PCs
	// support only one-tier; Smartphones one-tier and two-tier.
	TwoTier bool `json:"twoTier"`
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
// Modelling choice: privileges are restricted exactly when p is two-tier
// (policy 4123). On a two-tier device DMInstaller, signed with the
// unprivileged Mobile2Market certificate, runs normal and cannot write the
// privileged execution store; on a one-tier device everything that runs
// runs privileged. Policies 4102 and 4122 govern unsigned code; DMInstaller
// is signed, so they do not enter the mapping. In particular a device that
// does not trust the Mobile2Market certificate stays untrusted even where
// 4102 lets unsigned code run, because the page makes that trust a
// condition of the installation.
func (p Policies) Security(trustsMobile2Market bool) Security {
	return Security{TrustsMobile2Market: trustsMobile2Market, PrivilegesRestricted: p.TwoTier}
}

// SupportedBy reports whether a device of platform pl can hold p: pl is
// valid, and p is two-tier only on a platform that supports it
// ([Platform.TwoTier]: Smartphones).
func (p Policies) SupportedBy(pl Platform) bool {
	return pl.IsValid() && (!p.TwoTier || pl.TwoTier())
}

// Configuration is a named device security configuration, as a fleet file
// names a device's security (see [ParseConfiguration]).
//
// The zero Configuration is invalid: its String is "Configuration(0)",
// MarshalText fails on it, and its [Configuration.Policies] and
// [Configuration.Security] are the zero values.
type Configuration uint8

// The named configurations. Their policies are in [Configuration.Policies],
// their facts in [Configuration.Security].
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

var configurationNames = names("Configuration",
	[]string{"Restricted", "Standard", "Unrestricted", "Mobile2Market locked"},
	map[string]uint8{"Mobile2Market-locked": uint8(Mobile2MarketLocked)})

// ParseConfiguration returns the configuration named s: its
// [Configuration.String] form ("Mobile2Market-locked" is accepted too),
// compared case-insensitively and ignoring surrounding blanks. Anything else
// is an error wrapping [ErrInvalidInput] that lists the accepted names.
func ParseConfiguration(s string) (Configuration, error) {
	v, err := configurationNames.Parse(s)
	return Configuration(v), err
}

// String returns the configuration's name, such as "Mobile2Market locked",
// or "Configuration(9)" for an invalid value.
func (c Configuration) String() string { return configurationNames.Name(uint8(c)) }

// IsValid reports whether c is one of the four named configurations,
// [Restricted] to [Mobile2MarketLocked].
func (c Configuration) IsValid() bool { return configurationNames.Valid(uint8(c)) }

// Policies returns the configuration's security policies:
//
//	Restricted           two-tier, unsigned blocked, no prompt
//	Standard             two-tier, unsigned allowed, prompt
//	Unrestricted         one-tier, unsigned allowed, prompt
//	Mobile2MarketLocked  one-tier, unsigned blocked, no prompt
//
// Restricted, Standard and Unrestricted are the common Smartphone
// configurations as documented. Modelling choice: "Mobile2Market locked" is
// documented only as "only signed code runs"; it gets the one-tier model,
// the form it takes on a Pocket PC (one-tier only), which also keeps it
// apart from Restricted (its two-tier counterpart).
//
// An invalid configuration returns the zero Policies, which are also those
// of Mobile2MarketLocked: tell them apart with [Configuration.IsValid].
func (c Configuration) Policies() Policies {
	switch c {
	case Restricted:
		return Policies{TwoTier: true, UnsignedApplications: false, UnsignedPrompt: false}
	case Standard:
		return Policies{TwoTier: true, UnsignedApplications: true, UnsignedPrompt: true}
	case Unrestricted:
		return Policies{TwoTier: false, UnsignedApplications: true, UnsignedPrompt: true}
	case Mobile2MarketLocked:
		return Policies{TwoTier: false, UnsignedApplications: false, UnsignedPrompt: false}
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
// [Configuration.String] form. An invalid Configuration, the zero one
// included, is an error wrapping [ErrInvalidInput].
func (c Configuration) MarshalText() ([]byte, error) { return configurationNames.Marshal(uint8(c)) }

// UnmarshalText implements encoding.TextUnmarshaler. It accepts what
// [ParseConfiguration] accepts; on error c is left unchanged.
func (c *Configuration) UnmarshalText(text []byte) error {
	return enum.Unmarshal(&configurationNames, text, c)
}
