package ini

import (
	"strings"

	"github.com/mobiledm/dmclient/internal/enum"
)

// The enumerated types follow one convention (see internal/enum): a
// documented zero value, String "Type(n)" for an invalid value, MarshalText
// that fails on an invalid value, and UnmarshalText that ignores case and
// whose error names the accepted values.

// Action is a ClientInstallAction value: what DMClientSetup does with the
// client. The zero Action is invalid: it stands for a value that is missing
// or not one of the three.
type Action uint8

// The ClientInstallAction values of the product documentation.
const (
	// ActionNone reconfigures the client settings.
	ActionNone Action = iota + 1
	// ActionInstall installs the client, or upgrades an older client.
	ActionInstall
	// ActionUninstall removes the client.
	ActionUninstall
)

var actionNames = enum.Names{Pkg: "ini", Type: "Action", First: uint8(ActionNone),
	List: []string{"None", "Install", "Uninstall"}}

// String returns "None", "Install" or "Uninstall", or "Action(n)" for an
// invalid Action.
func (a Action) String() string { return actionNames.Name(uint8(a)) }

// IsValid reports whether a is one of the three actions.
func (a Action) IsValid() bool { return actionNames.Valid(uint8(a)) }

// ParseAction returns the Action named s, ignoring case ("install",
// "INSTALL" and "Install" are all [ActionInstall]) and surrounding white
// space (as [strings.TrimSpace] trims it). Any other text, the empty
// string included, is an error.
func ParseAction(s string) (Action, error) {
	v, err := actionNames.Parse(s)
	return Action(v), err
}

// Actions returns every valid Action in order: None, Install, Uninstall.
func Actions() []Action { return []Action{ActionNone, ActionInstall, ActionUninstall} }

// MarshalText returns the name of a; an invalid Action is an error.
func (a Action) MarshalText() ([]byte, error) { return actionNames.Marshal(uint8(a)) }

// UnmarshalText sets a from its name as [ParseAction] reads it.
func (a *Action) UnmarshalText(text []byte) error { return enum.Unmarshal(&actionNames, text, a) }

// Kind is the kind of configuration file, known from its name. The zero
// Kind, [KindUnknown], is valid: a file with any other name.
type Kind uint8

// The two configuration files of the mobile device client.
const (
	// KindUnknown is a file with neither name.
	KindUnknown Kind = iota
	// KindDMCommonInstaller is DMCommonInstaller.ini, which ships with its
	// installer values pre-set per platform and marked "do not modify".
	KindDMCommonInstaller
	// KindClientSettings is ClientSettings.ini, where the installer values
	// are set for a chosen target platform.
	KindClientSettings
)

var kindNames = enum.Names{Pkg: "ini", Type: "Kind", First: uint8(KindUnknown),
	List: []string{"unknown", "DMCommonInstaller.ini", "ClientSettings.ini"}}

// String returns the file name of k ("DMCommonInstaller.ini" or
// "ClientSettings.ini"), "unknown" for [KindUnknown] and "Kind(n)" for an
// invalid Kind.
func (k Kind) String() string { return kindNames.Name(uint8(k)) }

// KindOf returns the Kind of the file at path name: the base name (after
// the last / or \) compared with the two file names ignoring case.
func KindOf(name string) Kind {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	for _, k := range [...]Kind{KindDMCommonInstaller, KindClientSettings} {
		if strings.EqualFold(name, k.String()) {
			return k
		}
	}
	return KindUnknown
}

// MarshalText returns the name [Kind.String] returns; an invalid Kind is an
// error.
func (k Kind) MarshalText() ([]byte, error) { return kindNames.Marshal(uint8(k)) }

// UnmarshalText sets k from its name, ignoring case.
func (k *Kind) UnmarshalText(text []byte) error { return enum.Unmarshal(&kindNames, text, k) }

// Encoding is how a file's text is stored. [Parse] detects it from the byte
// order mark and [File.Bytes] writes it back the same way. The zero
// Encoding is invalid.
type Encoding uint8

// The encodings Windows reads .ini files in.
const (
	// EncodingANSI is text without a byte order mark: UTF-8, or bytes of an
	// ANSI code page, kept and read exactly as they are.
	EncodingANSI Encoding = iota + 1
	// EncodingUTF8BOM is text that starts with the UTF-8 byte order mark.
	EncodingUTF8BOM
	// EncodingUTF16LE is UTF-16 little-endian text with its byte order mark
	// (FF FE), what Windows calls Unicode.
	EncodingUTF16LE
	// EncodingUTF16BE is UTF-16 big-endian text with its byte order mark
	// (FE FF).
	EncodingUTF16BE
)

var encodingNames = enum.Names{Pkg: "ini", Type: "Encoding", First: uint8(EncodingANSI),
	List: []string{"ANSI", "UTF-8-BOM", "UTF-16LE", "UTF-16BE"}}

// String returns "ANSI", "UTF-8-BOM", "UTF-16LE" or "UTF-16BE", or
// "Encoding(n)" for an invalid Encoding.
func (e Encoding) String() string { return encodingNames.Name(uint8(e)) }

// utf16 reports whether e is UTF-16, in either byte order.
func (e Encoding) utf16() bool { return e == EncodingUTF16LE || e == EncodingUTF16BE }

// MarshalText returns the name of e; an invalid Encoding is an error.
func (e Encoding) MarshalText() ([]byte, error) { return encodingNames.Marshal(uint8(e)) }

// UnmarshalText sets e from its name, ignoring case.
func (e *Encoding) UnmarshalText(text []byte) error {
	return enum.Unmarshal(&encodingNames, text, e)
}
