package lifecycle

import (
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/enum"
	"github.com/mobiledm/dmclient/version"
)

// Component is what the deployment installs. The zero Component is invalid.
type Component uint8

// The components.
const (
	// Client is the Configuration Manager 2007 mobile device client.
	Client Component = iota + 1
	// PasswordProgram is the policy-aware password program, which the same
	// process installs, upgrades and uninstalls on Pocket PC 2003 devices
	// only. It follows the same decision table as the client.
	PasswordProgram
)

var componentNames = enum.Names{Pkg: "lifecycle", Type: "Component", First: uint8(Client),
	List: []string{"client", "password program"}, Err: ErrInvalidInput}

// String returns "client" or "password program".
func (c Component) String() string { return componentNames.Name(uint8(c)) }

// valid reports whether c is Client or PasswordProgram.
func (c Component) valid() bool { return componentNames.Valid(uint8(c)) }

// MarshalText implements encoding.TextMarshaler; an invalid Component is an
// error.
func (c Component) MarshalText() ([]byte, error) { return componentNames.Marshal(uint8(c)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case.
func (c *Component) UnmarshalText(text []byte) error { return enum.Unmarshal(&componentNames, text, c) }

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

var methodNames = enum.Names{Pkg: "lifecycle", Type: "Method", First: uint8(SoftwareDistribution),
	List: []string{"software distribution", "manual sync", "manual transfer", "over the air"}, Err: ErrInvalidInput}

// Methods returns the four methods.
func Methods() []Method {
	return []Method{SoftwareDistribution, ManualSync, ManualTransfer, OverTheAir}
}

// String returns "software distribution", "manual sync", "manual transfer"
// or "over the air".
func (m Method) String() string { return methodNames.Name(uint8(m)) }

// valid reports whether m is one of [Methods].
func (m Method) valid() bool { return methodNames.Valid(uint8(m)) }

// MarshalText implements encoding.TextMarshaler; an invalid Method is an
// error.
func (m Method) MarshalText() ([]byte, error) { return methodNames.Marshal(uint8(m)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case.
func (m *Method) UnmarshalText(text []byte) error { return enum.Unmarshal(&methodNames, text, m) }

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

var connectionNames = enum.Names{Pkg: "lifecycle", Type: "Connection", First: uint8(ViaManagedComputer),
	List: []string{"managed computer", "unmanaged computer", "direct", "over the air"}, Err: ErrInvalidInput}

// Connections returns the four connections.
func Connections() []Connection {
	return []Connection{ViaManagedComputer, ViaUnmanagedComputer, Direct, ViaAir}
}

// String returns "managed computer", "unmanaged computer", "direct" or
// "over the air".
func (c Connection) String() string { return connectionNames.Name(uint8(c)) }

// valid reports whether c is one of [Connections].
func (c Connection) valid() bool { return connectionNames.Valid(uint8(c)) }

// MarshalText implements encoding.TextMarshaler; an invalid Connection is
// an error.
func (c Connection) MarshalText() ([]byte, error) { return connectionNames.Marshal(uint8(c)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case.
func (c *Connection) UnmarshalText(text []byte) error {
	return enum.Unmarshal(&connectionNames, text, c)
}

// Setting is one client setting as it is on the device now.
type Setting struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	UserChanged bool   `json:"userChanged,omitempty"` // the user changed it on the device
}

// Device is one mobile device: what a deployment finds on it, and what a
// [Machine] keeps of it between deployments. Its JSON form is the fleet
// file's device block; see [Device.UnmarshalJSON].
type Device struct {
	// ID names the device in outcomes and reports; the library does not
	// interpret it.
	ID string `json:"id"`
	// Platform is the device's platform.
	Platform certs.Platform `json:"platform"`
	// Client is the version of the installed Configuration Manager client;
	// the zero Version means none is installed. A device with a client is
	// managed.
	Client version.Version `json:"client"`
	// PasswordProgram is the version of the installed policy-aware password
	// program; the zero Version means none is installed.
	PasswordProgram version.Version `json:"passwordProgram"`
	// Security is the device's code-signing security.
	Security certs.Security `json:"security"`
	// Connection is how the device is reached.
	Connection Connection `json:"connection"`
	// Computer names the desktop computer the device synchronises through
	// (ActiveSync or Mobile Device Center), "" when it has none; whether
	// that computer is a managed client is in Connection.
	Computer string `json:"computer,omitempty"`
	// Enrollment is what certificate enrollment would meet: whether the CA
	// is reachable and whether the user's authentication succeeds.
	Enrollment certs.EnrollmentConditions `json:"enrollment"`
	// Certificate reports that the device holds a valid user
	// authentication certificate from an earlier enrollment.
	//
	// Modelling choice: the product page says the user authenticates to
	// the CA "one time during the client installation process". A
	// deployment enrolls only when the device holds no valid certificate,
	// or when it asks for renewal ([Deployment].RenewCertificate). The
	// certificate lives in the device's certificate store, not in the
	// client, so uninstalling or repairing the client keeps it; the
	// library does not model expiry.
	Certificate bool `json:"certificate,omitempty"`
	// Settings are the client settings on the device now, user changes
	// included. Only a device with a client has settings that matter. A
	// client install or repair leaves the package's client settings; an
	// upgrade or reconfigure overwrites those that differ from the
	// package's; an uninstall removes them all.
	//
	// Modelling choice: the client settings of a package are the keys of
	// its .ini that the library does not interpret ([ini.Settings].Unknown,
	// such as PollingInterval); ClientInstallAction, CertEnrollAction and
	// Installer direct the installer and are not kept on the device.
	Settings []Setting `json:"settings,omitempty"`
}

// installed returns the installed version of component c.
func (d *Device) installed(c Component) version.Version {
	if c == PasswordProgram {
		return d.PasswordProgram
	}
	return d.Client
}

// Package is the client deployment package: the deployment folder and the
// configuration of the .ini file in it.
type Package struct {
	// Version is the version of the deployed client (or password program).
	Version version.Version `json:"version"`
	// Folder is the deployment folder; see [NewFolder] and
	// [CompleteFolder].
	Folder Folder `json:"folder"`
	// Settings is the decoded DMCommonInstaller.ini or ClientSettings.ini.
	//
	// Modelling choice: its client settings ([ini.Settings].Unknown) go to
	// the device, so a deployment of a package with more of them than a
	// device holds (1,024, keys of up to 256 bytes, values of up to 4,096:
	// see [Device.UnmarshalJSON]) is invalid input, refused before
	// anything runs.
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

// Deployment is what an administrator sends to a device: a package of a
// component, by a method, from a site.
type Deployment struct {
	Component Component `json:"component"`
	Method    Method    `json:"method"`
	Package   Package   `json:"package"`
	Site      Site      `json:"site"`
	// Repair asks for the installed component to be repaired: uninstalled,
	// then installed again, whatever ClientInstallAction says.
	Repair bool `json:"repair,omitempty"`
	// RenewCertificate asks for certificate enrollment even when the device
	// holds a valid certificate (see [Device].Certificate).
	RenewCertificate bool `json:"renewCertificate,omitempty"`
}

// Scenario is one deployment to one device: everything the outcome of a
// one-shot run ([Run]) depends on.
type Scenario struct {
	Device     Device     `json:"device"`
	Deployment Deployment `json:"deployment"`
}

// state returns the device's state at connection time: its installed
// component classified against the deployed package ([Classify]).
func (sc *Scenario) state() State {
	return Classify(sc.Device.installed(sc.Deployment.Component), sc.Deployment.Package.Version)
}

// Event returns the event the deployment fires on the device: [Repair]
// when a repair is asked for, otherwise [Decide] of the state and the
// package's ClientInstallAction. A repair asked for where nothing is
// installed is returned as [Repair] all the same; the client machine
// rejects it ([ErrInvalidTransition]).
func (sc Scenario) Event() Event {
	if sc.Deployment.Repair {
		return Repair
	}
	return Decide(sc.state(), sc.Deployment.Package.Settings.ClientInstallAction)
}
