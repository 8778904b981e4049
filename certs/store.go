package certs

// Store is a Windows Mobile certificate store. The zero Store is invalid.
type Store uint8

// The certificate stores, in the order [Stores] returns them.
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

var storeEnum = enum{
	typ: "Store",
	err: ErrUnknownStore,
	names: []string{
		"Privileged Execution Trust Authorities",
		"Unprivileged Execution Trust Authorities",
		"SPC",
		"Root",
		"CA",
		"MY",
	},
	aliases: []string{"privileged execution", "unprivileged execution", "", "", "", ""},
}

// Stores returns every certificate store in declaration order, from
// [PrivilegedExecution] to [MY]. Each call returns a new slice.
func Stores() []Store {
	return []Store{PrivilegedExecution, UnprivilegedExecution, SPC, Root, CA, MY}
}

// ParseStore returns the store named s: its [Store.String] form or, for the
// two execution stores, "privileged execution" and "unprivileged
// execution", case-insensitively. Anything else is a [*ParseError] wrapping
// [ErrUnknownStore].
func ParseStore(s string) (Store, error) {
	v, err := storeEnum.parse(s)
	return Store(v), err
}

// String returns the store's name on the device, such as
// "Privileged Execution Trust Authorities" or "SPC", or "Store(n)" for an
// invalid value.
func (s Store) String() string { return storeEnum.name(uint8(s)) }

// IsValid reports whether s is one of [Stores].
func (s Store) IsValid() bool { return storeEnum.valid(uint8(s)) }

// MarshalText implements encoding.TextMarshaler with the [Store.String]
// form; the zero Store marshals as empty text, any other invalid value is an
// error.
func (s Store) MarshalText() ([]byte, error) { return storeEnum.marshal(uint8(s)) }

// UnmarshalText implements encoding.TextUnmarshaler: what [ParseStore]
// accepts, and empty text as the zero Store.
func (s *Store) UnmarshalText(text []byte) error { return unmarshalText(&storeEnum, text, s) }
