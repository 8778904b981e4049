package lifecycle

import (
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/enum"
	"github.com/mobiledm/dmclient/version"
)

// State is the device's installed client compared with the deployed one:
// the "device state at connection time" of the product page's table.
//
// The zero State is [None]: a device with no client.
type State uint8

// The four states, in the order [States] returns them.
const (
	None  State = iota // no client installed
	Older              // a client older than the deployed client
	Same               // the same client as the deployed client
	Newer              // a client newer than the deployed client
)

var stateNames = enum.Names{Pkg: "lifecycle", Type: "State", First: uint8(None), List: []string{"none", "older", "same", "newer"}, Err: ErrInvalidInput}

// States returns every State: [None], [Older], [Same], [Newer].
func States() []State { return []State{None, Older, Same, Newer} }

// String returns "none", "older", "same" or "newer".
func (s State) String() string { return stateNames.Name(uint8(s)) }

// MarshalText implements encoding.TextMarshaler; an invalid State is an
// error.
func (s State) MarshalText() ([]byte, error) { return stateNames.Marshal(uint8(s)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case.
func (s *State) UnmarshalText(text []byte) error { return enum.Unmarshal(&stateNames, text, s) }

// Event is what the deployment does to the device's client: a transition of
// the client machine. The zero Event is [NoAction].
type Event uint8

// The events.
const (
	// NoAction: nothing runs (a newer client, or nothing to act on).
	NoAction Event = iota
	// Install: no client -> same; DMClientSetup installs the client.
	Install
	// Upgrade: older -> same; DMClientSetup upgrades the client.
	Upgrade
	// Reconfigure: older, same or newer -> itself; DMClientSetup rewrites
	// the client settings.
	Reconfigure
	// Uninstall: older, same or newer -> none; DMClientSetup removes the
	// client.
	Uninstall
	// Repair: older, same or newer -> same; the damaged client is
	// uninstalled and the deployed client installed, as the product page's
	// "Repairing the Mobile Device Client" says.
	Repair
)

var eventNames = enum.Names{Pkg: "lifecycle", Type: "Event", First: uint8(NoAction),
	List:    []string{"no action", "install", "upgrade", "reconfigure", "uninstall", "repair"},
	Aliases: map[string]uint8{"noaction": uint8(NoAction)}, Err: ErrInvalidInput}

// String returns the lowercase name: "no action", "install", "upgrade",
// "reconfigure", "uninstall" or "repair". UnmarshalText also accepts
// "noaction".
func (e Event) String() string { return eventNames.Name(uint8(e)) }

// MarshalText implements encoding.TextMarshaler; an invalid Event is an
// error.
func (e Event) MarshalText() ([]byte, error) { return eventNames.Marshal(uint8(e)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case.
func (e *Event) UnmarshalText(text []byte) error { return enum.Unmarshal(&eventNames, text, e) }

// Classify returns the state of a device whose installed client has version
// installed, compared with the deployed client's version deployed. An
// invalid (zero) installed version means no client: [None]. Otherwise the
// state follows [version.Version.Compare]: [Older], [Same] or [Newer].
//
// Modelling choice: an invalid deployed version with a valid installed one
// classifies as [Newer] (every version is greater than no version), so
// nothing is installed from a package without a version.
func Classify(installed, deployed version.Version) State {
	if !installed.IsValid() {
		return None
	}
	switch installed.Compare(deployed) {
	case -1:
		return Older
	case 0:
		return Same
	}
	return Newer
}

// Decide is the decision table of the product page: the event a deployment
// with ClientInstallAction a fires on a device in state s.
//
//	action     none      older        same         newer
//	Install    Install   Upgrade      Reconfigure  NoAction
//	None       NoAction  Reconfigure  Reconfigure  Reconfigure
//	Uninstall  NoAction  Uninstall    Uninstall    Uninstall
//
// The Install row is the page's table. Modelling choice: the page says only
// that None "reconfigures the client settings", so None reconfigures any
// installed client, a newer one included, and does nothing where there is
// no client; Uninstall removes any installed client and does nothing where
// there is none. An invalid state or action decides [NoAction].
//
// Decide is pure and does not allocate. [Repair] is never decided: it is
// asked for (see [Deployment].Repair).
func Decide(s State, a ini.Action) Event {
	switch a {
	case ini.ActionInstall:
		switch s {
		case None:
			return Install
		case Older:
			return Upgrade
		case Same:
			return Reconfigure
		}
	case ini.ActionNone:
		if s-Older <= Newer-Older { // older, same or newer (unsigned: None wraps past Newer)
			return Reconfigure
		}
	case ini.ActionUninstall:
		if s-Older <= Newer-Older {
			return Uninstall
		}
	}
	return NoAction
}
