package lifecycle

import (
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/version"
)

// Component is what the deployment installs. The zero Component is invalid.
type Component uint8

// The components, in the order [Components] returns them.
const (
	// Client is the Configuration Manager 2007 mobile device client.
	Client Component = iota + 1
	// PasswordProgram is the policy-aware password program, which the same
	// process installs, upgrades and uninstalls on Pocket PC 2003 devices
	// only. It follows the same decision table as the client.
	PasswordProgram
)

var componentNames = names{typ: "Component", first: uint8(Client), list: []string{"client", "password program"}}

// Components returns [Client] and [PasswordProgram].
func Components() []Component { return []Component{Client, PasswordProgram} }

// String returns "client" or "password program".
func (c Component) String() string { return componentNames.name(uint8(c)) }

// IsValid reports whether c is one of [Components].
func (c Component) IsValid() bool { return componentNames.valid(uint8(c)) }

// ParseComponent returns the Component named s (case-insensitive).
func ParseComponent(s string) (Component, error) {
	v, err := componentNames.parse(s)
	return Component(v), err
}

// MarshalText implements encoding.TextMarshaler.
func (c Component) MarshalText() ([]byte, error) { return componentNames.marshal(uint8(c)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Component) UnmarshalText(text []byte) error { return unmarshalText(&componentNames, text, c) }

// Method is one of the product page's four ways to deploy the client. The
// zero Method is invalid.
type Method uint8

// The methods, in the order [Methods] returns them.
const (
	// SoftwareDistribution distributes a Configuration Manager 2007 package
	// to an ActiveSync- or Mobile Device Center-connected client computer.
	SoftwareDistribution Method = iota + 1
	// ManualSync installs manually through an ActiveSync- or Mobile Device
	// Center-connected computer.
	ManualSync
	// ManualTransfer copies the installation files to the device (memory
	// card or shared directory) and runs them there.
	ManualTransfer
	// OverTheAir upgrades an already managed device over the air.
	OverTheAir
)

var methodNames = names{typ: "Method", first: uint8(SoftwareDistribution),
	list: []string{"software distribution", "manual sync", "manual transfer", "over the air"}}

// Methods returns the four methods.
func Methods() []Method {
	return []Method{SoftwareDistribution, ManualSync, ManualTransfer, OverTheAir}
}

// String returns "software distribution", "manual sync", "manual transfer"
// or "over the air".
func (m Method) String() string { return methodNames.name(uint8(m)) }

// IsValid reports whether m is one of [Methods].
func (m Method) IsValid() bool { return methodNames.valid(uint8(m)) }

// ParseMethod returns the Method named s (case-insensitive).
func ParseMethod(s string) (Method, error) {
	v, err := methodNames.parse(s)
	return Method(v), err
}

// MarshalText implements encoding.TextMarshaler.
func (m Method) MarshalText() ([]byte, error) { return methodNames.marshal(uint8(m)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Method) UnmarshalText(text []byte) error { return unmarshalText(&methodNames, text, m) }

// Connection is how the device is reached at connection time. The zero
// Connection is invalid.
type Connection uint8

// The connections, in the order [Connections] returns them.
const (
	// ViaManagedComputer: through ActiveSync or Mobile Device Center on a
	// computer that is itself a managed Configuration Manager 2007 client.
	// Only on this connection does a failed trust step send a status
	// message.
	ViaManagedComputer Connection = iota + 1
	// ViaUnmanagedComputer: through ActiveSync or Mobile Device Center on a
	// desktop computer that is not a managed client.
	ViaUnmanagedComputer
	// Direct: no computer; files arrive on a memory card or from a share.
	Direct
	// ViaAir: over the air, as an already managed device.
	ViaAir
)

var connectionNames = names{typ: "Connection", first: uint8(ViaManagedComputer),
	list: []string{"managed computer", "unmanaged computer", "direct", "over the air"}}

// Connections returns the four connections.
func Connections() []Connection {
	return []Connection{ViaManagedComputer, ViaUnmanagedComputer, Direct, ViaAir}
}

// String returns "managed computer", "unmanaged computer", "direct" or
// "over the air".
func (c Connection) String() string { return connectionNames.name(uint8(c)) }

// IsValid reports whether c is one of [Connections].
func (c Connection) IsValid() bool { return connectionNames.valid(uint8(c)) }

// ParseConnection returns the Connection named s (case-insensitive).
func ParseConnection(s string) (Connection, error) {
	v, err := connectionNames.parse(s)
	return Connection(v), err
}

// MarshalText implements encoding.TextMarshaler.
func (c Connection) MarshalText() ([]byte, error) { return connectionNames.marshal(uint8(c)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Connection) UnmarshalText(text []byte) error {
	return unmarshalText(&connectionNames, text, c)
}

// Setting is one client setting as it is on the device now.
type Setting struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	UserChanged bool   `json:"userChanged,omitempty"` // the user changed it on the device
}

// Device is one mobile device at connection time.
type Device struct {
	// ID names the device in outcomes and reports; the library does not
	// interpret it.
	ID string `json:"id"`
	// Platform is the device's platform.
	Platform certs.Platform `json:"platform"`
	// Installed is the version of the installed client (or password
	// program); the zero Version means none is installed.
	Installed version.Version `json:"installed"`
	// Security is the device's code-signing security.
	Security certs.Security `json:"security"`
	// Connection is how the device is reached.
	Connection Connection `json:"connection"`
	// Enrollment is what certificate enrollment would meet: whether the CA
	// is reachable and whether the user's authentication succeeds.
	Enrollment certs.EnrollmentConditions `json:"enrollment"`
	// Settings are the client settings on the device now, user changes
	// included. Only a device with a client has settings that matter.
	Settings []Setting `json:"settings,omitempty"`
}

// Package is the client deployment package: the deployment folder and the
// configuration of the .ini file in it.
type Package struct {
	// Version is the version of the deployed client.
	Version version.Version `json:"version"`
	// Folder lists the file names in the deployment folder; see
	// [RequiredFiles].
	Folder []string `json:"folder"`
	// Settings is the decoded DMCommonInstaller.ini or ClientSettings.ini.
	Settings ini.Settings `json:"settings"`
}

// Site is the Configuration Manager 2007 site the device is managed from.
type Site struct {
	// Mode is the site mode; native and server authentication require
	// certificate enrollment.
	Mode certs.SiteMode `json:"mode"`
	// ClientAgent reports a properly configured Mobile Device Client Agent.
	ClientAgent bool `json:"clientAgent"`
	// ManagementPoint reports one or more management points enabled for
	// mobile device management.
	ManagementPoint bool `json:"managementPoint"`
	// DistributionPoint reports one or more distribution points enabled for
	// mobile devices.
	DistributionPoint bool `json:"distributionPoint"`
	// InventoryExtended reports that the hardware inventory of the managed
	// computers that synchronize with devices was extended.
	InventoryExtended bool `json:"inventoryExtended"`
}

// Scenario is one deployment: everything the model's outcome depends on.
type Scenario struct {
	Component Component `json:"component"`
	Method    Method    `json:"method"`
	Device    Device    `json:"device"`
	Package   Package   `json:"package"`
	Site      Site      `json:"site"`
	// Repair asks for the installed client to be repaired: uninstalled,
	// then installed again, whatever ClientInstallAction says.
	Repair bool `json:"repair,omitempty"`
}

// State returns the device's state at connection time:
// Classify(sc.Device.Installed, sc.Package.Version).
func (sc Scenario) State() State { return Classify(sc.Device.Installed, sc.Package.Version) }

// Event returns the event the scenario fires: [Repair] when a repair is asked
// for, otherwise [Decide] of the state and the package's ClientInstallAction.
// A repair asked for where no client is installed is returned as [Repair]
// all the same; the client machine rejects it (see [TransitionError]).
func (sc Scenario) Event() Event {
	if sc.Repair {
		return Repair
	}
	return Decide(sc.State(), sc.Package.Settings.ClientInstallAction)
}
