package ini

import (
	"fmt"
	"strings"
)

// enumName returns names[v] for a valid v, zero for the zero value and
// "Type(n)" for a value out of range.
func enumName[T ~uint8](names []string, zero, typ string, v T) string {
	switch {
	case v == 0:
		return zero
	case int(v) < len(names):
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, uint8(v))
}

// enumParse finds s among names[1:], ignoring case.
func enumParse[T ~uint8](names []string, s string) (T, bool) {
	for i := 1; i < len(names); i++ {
		if strings.EqualFold(s, names[i]) {
			return T(i), true
		}
	}
	return 0, false
}

// enumAll returns every valid value in order.
func enumAll[T ~uint8](names []string) []T {
	all := make([]T, 0, len(names)-1)
	for i := 1; i < len(names); i++ {
		all = append(all, T(i))
	}
	return all
}

// enumMarshal returns the text of v: "" for the zero value, names[v] for a
// valid one and an error wrapping errInvalid otherwise.
func enumMarshal[T ~uint8](names []string, errInvalid error, v T) ([]byte, error) {
	switch {
	case v == 0:
		return []byte{}, nil
	case int(v) < len(names):
		return []byte(names[v]), nil
	}
	return nil, fmt.Errorf("%w: %d", errInvalid, uint8(v))
}

// enumUnmarshal is the inverse of enumMarshal.
func enumUnmarshal[T ~uint8](names []string, errInvalid error, text []byte, v *T) error {
	if len(text) == 0 {
		*v = 0
		return nil
	}
	p, ok := enumParse[T](names, string(text))
	if !ok {
		return fmt.Errorf("%w: %q", errInvalid, text)
	}
	*v = p
	return nil
}

// Action is a ClientInstallAction value: what DMClientSetup does with the
// client. The zero Action is invalid and means "unset".
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

var actionNames = []string{"", "None", "Install", "Uninstall"}

// String returns "None", "Install" or "Uninstall", "unset" for the zero
// Action and "Action(n)" for a value out of range.
func (a Action) String() string { return enumName(actionNames, "unset", "Action", a) }

// IsValid reports whether a is one of the three actions.
func (a Action) IsValid() bool { return a != 0 && int(a) < len(actionNames) }

// ParseAction returns the Action named s, ignoring case ("install",
// "INSTALL" and "Install" are all [ActionInstall]). Any other text, the
// empty string included, is an error wrapping [ErrInvalidAction].
func ParseAction(s string) (Action, error) {
	a, ok := enumParse[Action](actionNames, s)
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrInvalidAction, s)
	}
	return a, nil
}

// Actions returns every valid Action in order: None, Install, Uninstall.
func Actions() []Action { return enumAll[Action](actionNames) }

// MarshalText returns the name of a, or empty text for the zero Action. A
// value out of range is an error wrapping [ErrInvalidAction].
func (a Action) MarshalText() ([]byte, error) {
	return enumMarshal(actionNames, ErrInvalidAction, a)
}

// UnmarshalText sets a from its name, ignoring case; empty text sets the
// zero Action.
func (a *Action) UnmarshalText(text []byte) error {
	return enumUnmarshal(actionNames, ErrInvalidAction, text, a)
}

// Kind is the kind of configuration file, known from its name. The zero
// Kind, [KindUnknown], is any other name.
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

var kindNames = []string{"", "DMCommonInstaller.ini", "ClientSettings.ini"}

// String returns the file name of k ("DMCommonInstaller.ini" or
// "ClientSettings.ini"), "unknown" for [KindUnknown] and "Kind(n)" for a
// value out of range.
func (k Kind) String() string { return enumName(kindNames, "unknown", "Kind", k) }

// KindOf returns the Kind of the file at path name: the base name (after
// the last / or \) compared with the two file names ignoring case.
func KindOf(name string) Kind {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	k, _ := enumParse[Kind](kindNames, name)
	return k
}

// ParseKind returns the Kind whose file name is s, ignoring case. Unlike
// [KindOf] it does not accept a path, and anything else is an error
// wrapping [ErrInvalidKind].
func ParseKind(s string) (Kind, error) {
	k, ok := enumParse[Kind](kindNames, s)
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrInvalidKind, s)
	}
	return k, nil
}

// Kinds returns the two known kinds in order.
func Kinds() []Kind { return enumAll[Kind](kindNames) }

// MarshalText returns the file name of k, or empty text for [KindUnknown].
func (k Kind) MarshalText() ([]byte, error) { return enumMarshal(kindNames, ErrInvalidKind, k) }

// UnmarshalText sets k from a file name, ignoring case; empty text sets
// [KindUnknown].
func (k *Kind) UnmarshalText(text []byte) error {
	return enumUnmarshal(kindNames, ErrInvalidKind, text, k)
}

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

var encodingNames = []string{"", "ANSI", "UTF-8-BOM", "UTF-16LE", "UTF-16BE"}

// String returns "ANSI", "UTF-8-BOM", "UTF-16LE" or "UTF-16BE", "invalid"
// for the zero Encoding and "Encoding(n)" for a value out of range.
func (e Encoding) String() string { return enumName(encodingNames, "invalid", "Encoding", e) }

// ParseEncoding returns the Encoding named s, ignoring case, or an error
// wrapping [ErrInvalidEncoding].
func ParseEncoding(s string) (Encoding, error) {
	e, ok := enumParse[Encoding](encodingNames, s)
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrInvalidEncoding, s)
	}
	return e, nil
}

// Encodings returns every valid Encoding in order.
func Encodings() []Encoding { return enumAll[Encoding](encodingNames) }

// MarshalText returns the name of e, or empty text for the zero Encoding.
func (e Encoding) MarshalText() ([]byte, error) {
	return enumMarshal(encodingNames, ErrInvalidEncoding, e)
}

// UnmarshalText sets e from its name, ignoring case; empty text sets the
// zero Encoding.
func (e *Encoding) UnmarshalText(text []byte) error {
	return enumUnmarshal(encodingNames, ErrInvalidEncoding, text, e)
}
