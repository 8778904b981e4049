package certs

import "github.com/mobiledm/dmclient/internal/enum"

// Store is a Windows Mobile certificate store. [TrustResult.Installed] lists
// the stores the trust step wrote.
//
// The zero Store is invalid: its String is "Store(0)" and MarshalText fails
// on it.
type Store uint8

// The certificate stores.
const (
	// PrivilegedExecution is the Privileged Execution Trust Authorities
	// store: code signed with a certificate that chains to it runs
	// privileged.
	PrivilegedExecution Store = iota + 1
	// UnprivilegedExecution is the Unprivileged Execution Trust Authorities
	// store: code signed with a certificate that chains to it runs normal.
	// Code that chains to neither execution store counts as unsigned.
	UnprivilegedExecution
	// SPC is the software publishing certificates store, which governs .cab
	// installs and their privilege level.
	SPC
	// Root is the store of trusted root certification authorities.
	Root
	// CA is the store of intermediate certification authorities.
	CA
	// MY is the store of the user's own certificates, such as the user
	// authentication certificate that enrollment issues.
	MY
)

var storeNames = names("Store", []string{
	"Privileged Execution Trust Authorities",
	"Unprivileged Execution Trust Authorities",
	"SPC",
	"Root",
	"CA",
	"MY",
}, map[string]uint8{
	"privileged execution":   uint8(PrivilegedExecution),
	"unprivileged execution": uint8(UnprivilegedExecution),
})

// String returns the store's name on the device, such as
// "Privileged Execution Trust Authorities" or "SPC", or "Store(9)" for an
// invalid value.
func (s Store) String() string { return storeNames.Name(uint8(s)) }

// IsValid reports whether s is one of the six stores, [PrivilegedExecution]
// to [MY].
func (s Store) IsValid() bool { return storeNames.Valid(uint8(s)) }

// MarshalText implements encoding.TextMarshaler with the [Store.String]
// form. An invalid Store, the zero one included, is an error wrapping
// [ErrInvalidInput].
func (s Store) MarshalText() ([]byte, error) { return storeNames.Marshal(uint8(s)) }

// UnmarshalText implements encoding.TextUnmarshaler. It accepts the
// [Store.String] form and, for the two execution stores, "privileged
// execution" and "unprivileged execution", compared case-insensitively and
// ignoring surrounding blanks. Anything else is an error wrapping
// [ErrInvalidInput], and s is left unchanged.
func (s *Store) UnmarshalText(text []byte) error { return enum.Unmarshal(&storeNames, text, s) }
