package certs

import (
	"strings"

	"github.com/mobiledm/dmclient/internal/enum"
)

// Platform is a device platform the mobile device client is built for. Each
// platform has its own DMInstaller_<token>.exe and DMClientSetup_<token>.exe
// (see [Platform.Token]).
//
// The zero Platform is invalid: [Platform.IsValid] reports false, its
// String is "Platform(0)", MarshalText fails on it, and [EstablishTrust]
// rejects it with an error wrapping [ErrInvalidInput].
type Platform uint8

// The platforms, in the order [Platforms] returns them.
const (
	PocketPC2003    Platform = iota + 1 // Windows Mobile 2003 for Pocket PC: exempt from code signing
	WindowsCE                           // Windows CE: exempt from code signing
	WM5PocketPC                         // Windows Mobile 5.0 for Pocket PC
	WM5Smartphone                       // Windows Mobile 5.0 for Smartphone
	WM6Classic                          // Windows Mobile 6 Classic (Pocket PC without phone)
	WM6Professional                     // Windows Mobile 6 Professional (Pocket PC phone)
	WM6Standard                         // Windows Mobile 6 Standard (Smartphone)
)

// platformTokens[p-1] is the token of platform p; see [Platform.Token].
var platformTokens = [...]string{"PPC2003", "CE", "WM5PPC", "WM5SP", "WM6Classic", "WM6Pro", "WM6Std"}

var platformNames = names("Platform", []string{
	"Pocket PC 2003",
	"Windows CE",
	"Windows Mobile 5.0 Pocket PC",
	"Windows Mobile 5.0 Smartphone",
	"Windows Mobile 6 Classic",
	"Windows Mobile 6 Professional",
	"Windows Mobile 6 Standard",
}, map[string]uint8{
	"PPC2003":    uint8(PocketPC2003),
	"CE":         uint8(WindowsCE),
	"WM5PPC":     uint8(WM5PocketPC),
	"WM5SP":      uint8(WM5Smartphone),
	"WM6Classic": uint8(WM6Classic),
	"WM6Pro":     uint8(WM6Professional),
	"WM6Std":     uint8(WM6Standard),
})

// Platforms returns every valid platform in declaration order, from
// [PocketPC2003] to [WM6Standard]. Each call returns a new slice.
func Platforms() []Platform {
	return []Platform{PocketPC2003, WindowsCE, WM5PocketPC, WM5Smartphone, WM6Classic, WM6Professional, WM6Standard}
}

// ParsePlatform returns the platform named by s, which is either its
// [Platform.String] form ("Windows Mobile 6 Standard") or its
// [Platform.Token] ("WM6Std"), compared case-insensitively and ignoring
// surrounding blanks. Anything else, the empty string included, is rejected
// with an error wrapping [ErrInvalidInput] that lists the accepted names.
func ParsePlatform(s string) (Platform, error) {
	v, err := platformNames.Parse(s)
	return Platform(v), err
}

// String returns the platform's human name, such as
// "Windows Mobile 6 Standard", or "Platform(9)" for an invalid value.
func (p Platform) String() string { return platformNames.Name(uint8(p)) }

// Token returns the platform's token in the installer file names
// DMInstaller_<token>.exe and DMClientSetup_<token>.exe, or "" for an
// invalid platform.
//
// Modelling choice: the product page writes the token only as "[platform]"
// and no public source lists the shipped file names, so the tokens are this
// package's: "PPC2003", "CE", "WM5PPC", "WM5SP", "WM6Classic", "WM6Pro",
// "WM6Std". They are short, ASCII, free of blanks (safe in a file name and
// an .ini value), unique, and follow the product names' usual abbreviations
// (PPC for Pocket PC, SP for Smartphone, Pro and Std for the Windows Mobile 6
// editions). [ParsePlatform] accepts them.
func (p Platform) Token() string {
	if !p.IsValid() {
		return ""
	}
	return platformTokens[p-1]
}

// IsValid reports whether p is one of the platforms [Platforms] returns.
func (p Platform) IsValid() bool { return platformNames.Valid(uint8(p)) }

// SigningApplies reports whether code signing applies to p. The product page:
// "Signing does not apply to Windows Mobile Pocket PC 2003 or Windows CE
// devices." On those two platforms (and for an invalid platform) it reports
// false, and [EstablishTrust] treats the platform as exempt.
func (p Platform) SigningApplies() bool {
	return p.IsValid() && p != PocketPC2003 && p != WindowsCE
}

// IsSmartphone reports whether p is a Smartphone platform:
// [WM5Smartphone] and [WM6Standard] (Windows Mobile 6 Standard is the
// Smartphone edition).
func (p Platform) IsSmartphone() bool { return p == WM5Smartphone || p == WM6Standard }

// TwoTier reports whether p supports the two-tier security model (security
// policy 4123, see [Policies]). Pocket PCs support only one-tier; Smartphones
// support one-tier and two-tier, so TwoTier reports the same as
// [Platform.IsSmartphone].
//
// Modelling choice: Windows CE is not a Windows Mobile platform and has no
// two-tier model here; it reports false like the Pocket PCs.
func (p Platform) TwoTier() bool { return p.IsSmartphone() }

// The parts of the installation file names around the platform token.
const (
	installerPrefix = "DMInstaller_"
	setupPrefix     = "DMClientSetup_"
	exeSuffix       = ".exe"
)

// InstallerName returns the file name of the platform's installer,
// "DMInstaller_<token>.exe" (see [Platform.Token]), or "" for an invalid
// platform.
func (p Platform) InstallerName() string {
	if !p.IsValid() {
		return ""
	}
	return installerPrefix + p.Token() + exeSuffix
}

// SetupName returns the file name of the platform's client setup program,
// "DMClientSetup_<token>.exe" (see [Platform.Token]), or "" for an invalid
// platform.
func (p Platform) SetupName() string {
	if !p.IsValid() {
		return ""
	}
	return setupPrefix + p.Token() + exeSuffix
}

// IsInstallerName reports whether name is [Platform.InstallerName] of p,
// ignoring case as Windows file names do. It does not allocate.
func (p Platform) IsInstallerName(name string) bool { return p.isFileName(name, installerPrefix) }

// IsSetupName reports whether name is [Platform.SetupName] of p, ignoring
// case as Windows file names do. It does not allocate.
func (p Platform) IsSetupName(name string) bool { return p.isFileName(name, setupPrefix) }

func (p Platform) isFileName(name, prefix string) bool {
	token := p.Token()
	return p.IsValid() && len(name) == len(prefix)+len(token)+len(exeSuffix) &&
		strings.EqualFold(name[:len(prefix)], prefix) &&
		strings.EqualFold(name[len(prefix):len(prefix)+len(token)], token) &&
		strings.EqualFold(name[len(prefix)+len(token):], exeSuffix)
}

// MarshalText implements encoding.TextMarshaler with the [Platform.String]
// form. An invalid Platform, the zero one included, is an error wrapping
// [ErrInvalidInput].
func (p Platform) MarshalText() ([]byte, error) { return platformNames.Marshal(uint8(p)) }

// UnmarshalText implements encoding.TextUnmarshaler. It accepts what
// [ParsePlatform] accepts; on error p is left unchanged.
func (p *Platform) UnmarshalText(text []byte) error { return enum.Unmarshal(&platformNames, text, p) }
