package lifecycle

import (
	"errors"
	"strconv"
	"strings"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
)

// Sentinel errors for missing prerequisites. [CheckPrerequisites] reports
// every missing prerequisite at once, joined with errors.Join, each as a
// [*PrerequisiteError] that wraps one of these; test with errors.Is.
var (
	// ErrNoClientAgent: the Mobile Device Client Agent is not configured.
	ErrNoClientAgent = errors.New("lifecycle: mobile device client agent not configured")
	// ErrFolderIncomplete: the deployment folder lacks installation files
	// for the device's platform.
	ErrFolderIncomplete = errors.New("lifecycle: deployment folder incomplete")
	// ErrInvalidSettings: the .ini settings cannot drive a deployment.
	ErrInvalidSettings = errors.New("lifecycle: invalid .ini settings")
	// ErrNoManagementPoint: no management point enabled for mobile devices.
	ErrNoManagementPoint = errors.New("lifecycle: no management point enabled for mobile device management")
	// ErrNoDistributionPoint: no distribution point enabled for mobile
	// devices.
	ErrNoDistributionPoint = errors.New("lifecycle: no distribution point enabled for mobile devices")
	// ErrInventoryNotExtended: the hardware inventory of the computers that
	// synchronize with devices is not extended.
	ErrInventoryNotExtended = errors.New("lifecycle: hardware inventory not extended")
	// ErrNotManaged: over the air needs an already managed device.
	ErrNotManaged = errors.New("lifecycle: device is not already managed")
	// ErrConnection: the method cannot reach the device the way it is
	// connected.
	ErrConnection = errors.New("lifecycle: method cannot reach the device through its connection")
	// ErrPasswordProgramPlatform: the policy-aware password program is for
	// Pocket PC 2003 only.
	ErrPasswordProgramPlatform = errors.New("lifecycle: password program is for pocket pc 2003 only")
	// ErrEnrollmentNotEnforced: a native or server authentication site
	// needs CertEnrollAction=Enroll.
	ErrEnrollmentNotEnforced = errors.New("lifecycle: site mode requires CertEnrollAction=Enroll")
)

// PrerequisiteError is one missing prerequisite: Err is one of the sentinel
// errors above, and [PrerequisiteError.Detail] says what exactly is
// missing. It keeps the facts it needs and writes its message only when
// asked, so that checking millions of scenarios stays cheap.
type PrerequisiteError struct {
	Err error

	platform   certs.Platform
	method     Method
	connection Connection
	mode       certs.SiteMode
	installer  string
	folder     []string
}

// Detail says what exactly is missing, such as "missing
// DMInstaller_WM6Pro.exe for Windows Mobile 6 Professional"; it is empty
// where the sentinel says it all.
func (e *PrerequisiteError) Detail() string {
	switch e.Err {
	case ErrFolderIncomplete:
		return "missing " + lackingFiles(e.folder, e.platform) + " for " + e.platform.String()
	case ErrInvalidSettings:
		return "Installer=" + e.installer + " is not the installer for " + e.platform.String()
	case ErrConnection:
		return e.method.String() + " cannot reach a device connected " + e.connection.String()
	case ErrNotManaged:
		return e.method.String() + " needs a device with a client"
	case ErrPasswordProgramPlatform:
		return "device is " + e.platform.String()
	case ErrEnrollmentNotEnforced:
		return e.mode.String() + " mode"
	}
	return ""
}

// Error returns the sentinel's message and the detail.
func (e *PrerequisiteError) Error() string {
	if d := e.Detail(); d != "" {
		return e.Err.Error() + ": " + d
	}
	return e.Err.Error()
}

// Unwrap returns the sentinel.
func (e *PrerequisiteError) Unwrap() error { return e.Err }

// ErrInvalidInput is wrapped by every [*InputError].
var ErrInvalidInput = errors.New("lifecycle: invalid input")

// InputError reports a scenario field holding a value outside its type's
// valid values, such as an unknown platform.
type InputError struct {
	Field string // the field, such as "Device.Platform"
	Value string // the value, printed
}

// Error returns a message naming the field and the value.
func (e *InputError) Error() string {
	return "lifecycle: invalid " + e.Field + " " + strconv.Quote(e.Value)
}

// Unwrap returns [ErrInvalidInput].
func (e *InputError) Unwrap() error { return ErrInvalidInput }

// Requirements is what a deployment method needs beyond the prerequisites
// that every method has (a configured client agent, a complete deployment
// folder and valid settings).
type Requirements struct {
	// Connections lists the connections the method can reach a device
	// through, in [Connections] order.
	Connections []Connection
	// ManagedDevice: the device must already be managed (have a client).
	ManagedDevice bool
	// ManagementPoint, DistributionPoint and InventoryExtended: the site
	// facts of [Site] the method needs.
	ManagementPoint, DistributionPoint, InventoryExtended bool
}

// Requirements returns what m needs. The product page's rules:
//
//   - [SoftwareDistribution] reaches the device through a managed client
//     computer and needs a management point and a distribution point
//     enabled for mobile devices and the extended hardware inventory.
//   - [ManualSync] reaches it through an ActiveSync or Mobile Device
//     Center computer, managed or not.
//   - [ManualTransfer] needs no computer: the files arrive on a memory card
//     or from a share, whatever else the device is connected to.
//   - [OverTheAir] upgrades an already managed device over the air.
//
// Modelling choice: over the air is software distribution to the managed
// device itself, so it also needs the management point and the distribution
// point enabled for mobile devices, but not the inventory extension, which
// only targets computers that synchronize with devices.
func (m Method) Requirements() Requirements {
	r := m.rule()
	req := Requirements{ManagedDevice: r.managed, ManagementPoint: r.managementPoint,
		DistributionPoint: r.distributionPoint, InventoryExtended: r.inventory}
	for _, c := range Connections() {
		if r.reaches(c) {
			req.Connections = append(req.Connections, c)
		}
	}
	return req
}

// methodRule is the declared form of [Method.Requirements], allocation-free
// for [CheckPrerequisites].
type methodRule struct {
	connections                                            uint8 // bit c set: reaches Connection c
	managed, managementPoint, distributionPoint, inventory bool
}

func (r methodRule) reaches(c Connection) bool { return c.IsValid() && r.connections&(1<<c) != 0 }

func (m Method) rule() methodRule {
	const (
		managed   = 1 << ViaManagedComputer
		unmanaged = 1 << ViaUnmanagedComputer
		direct    = 1 << Direct
		air       = 1 << ViaAir
	)
	switch m {
	case SoftwareDistribution:
		return methodRule{connections: managed, managementPoint: true, distributionPoint: true, inventory: true}
	case ManualSync:
		return methodRule{connections: managed | unmanaged}
	case ManualTransfer:
		return methodRule{connections: managed | unmanaged | direct | air}
	case OverTheAir:
		return methodRule{connections: air, managed: true, managementPoint: true, distributionPoint: true}
	}
	return methodRule{}
}

// RequiredFiles returns the installation files the deployment folder must
// hold for platform p: DMInstaller_<token>.exe and DMClientSetup_<token>.exe
// (see [certs.Platform.InstallerName]). Besides them the folder must hold a
// DMCommonInstaller.ini or a ClientSettings.ini ([ini.KindOf]).
func RequiredFiles(p certs.Platform) []string {
	return []string{p.InstallerName(), p.SetupName()}
}

// CompleteFolder returns a deployment folder that is complete for the given
// platforms: their installer and setup files and a ClientSettings.ini.
func CompleteFolder(platforms ...certs.Platform) []string {
	folder := make([]string, 0, 2*len(platforms)+1)
	for _, p := range platforms {
		folder = append(folder, RequiredFiles(p)...)
	}
	return append(folder, "ClientSettings.ini")
}

// validate reports a scenario field that holds no valid value.
func validate(sc Scenario) error {
	var errs []error
	bad := func(field string, ok bool, value interface{ String() string }) {
		if !ok {
			errs = append(errs, &InputError{Field: field, Value: value.String()})
		}
	}
	bad("Component", sc.Component.IsValid(), sc.Component)
	bad("Method", sc.Method.IsValid(), sc.Method)
	bad("Device.Platform", sc.Device.Platform.IsValid(), sc.Device.Platform)
	bad("Device.Connection", sc.Device.Connection.IsValid(), sc.Device.Connection)
	bad("Site.Mode", sc.Site.Mode.IsValid(), sc.Site.Mode)
	bad("Package.Version", sc.Package.Version.IsValid(), sc.Package.Version)
	bad("Package.Settings.ClientInstallAction", sc.Package.Settings.ClientInstallAction.IsValid(),
		sc.Package.Settings.ClientInstallAction)
	return errors.Join(errs...)
}

// CheckPrerequisites reports every prerequisite sc misses, joined with
// errors.Join (nil when none is missing), before anything runs:
//
//   - every method: a configured Mobile Device Client Agent
//     ([ErrNoClientAgent]); a deployment folder holding [RequiredFiles] for
//     the device's platform and an .ini file ([ErrFolderIncomplete]); valid
//     settings, whose Installer, when set, names the device platform's
//     installer ([ErrInvalidSettings]);
//   - what the method needs ([Method.Requirements]): a connection it can
//     reach ([ErrConnection]), an already managed device ([ErrNotManaged]),
//     the site's management point ([ErrNoManagementPoint]), distribution
//     point ([ErrNoDistributionPoint]) and inventory extension
//     ([ErrInventoryNotExtended]);
//   - the password program only on Pocket PC 2003
//     ([ErrPasswordProgramPlatform]);
//   - for the client, CertEnrollAction=Enroll on a native or server
//     authentication site ([ErrEnrollmentNotEnforced]). Modelling choice:
//     the password program does not enroll, so it does not need it.
//
// A scenario with a field outside its valid values returns [*InputError]s
// (errors.Is [ErrInvalidInput]) instead.
func CheckPrerequisites(sc Scenario) error {
	if err := validate(sc); err != nil {
		return err
	}
	errs := make([]error, 0, 10)
	dev, site := sc.Device, sc.Site
	missing := func(sentinel error) {
		errs = append(errs, &PrerequisiteError{Err: sentinel, platform: dev.Platform, method: sc.Method,
			connection: dev.Connection, mode: site.Mode, installer: sc.Package.Settings.Installer, folder: sc.Package.Folder})
	}
	if !site.ClientAgent {
		missing(ErrNoClientAgent)
	}
	if !folderComplete(sc.Package.Folder, dev.Platform) {
		missing(ErrFolderIncomplete)
	}
	if inst := sc.Package.Settings.Installer; inst != "" && !dev.Platform.IsInstallerName(inst) {
		missing(ErrInvalidSettings)
	}
	req := sc.Method.rule()
	if !req.reaches(dev.Connection) {
		missing(ErrConnection)
	}
	if req.managed && !dev.Installed.IsValid() {
		missing(ErrNotManaged)
	}
	if req.managementPoint && !site.ManagementPoint {
		missing(ErrNoManagementPoint)
	}
	if req.distributionPoint && !site.DistributionPoint {
		missing(ErrNoDistributionPoint)
	}
	if req.inventory && !site.InventoryExtended {
		missing(ErrInventoryNotExtended)
	}
	if sc.Component == PasswordProgram && dev.Platform != certs.PocketPC2003 {
		missing(ErrPasswordProgramPlatform)
	}
	if sc.Component == Client && site.Mode.RequiresEnrollment() && !sc.Package.Settings.Enroll() {
		missing(ErrEnrollmentNotEnforced)
	}
	return errors.Join(errs...)
}

// folderScan is what a deployment folder holds for one platform.
type folderScan struct{ installer, setup, ini bool }

// scanFolder checks folder for p's installer and setup files
// ([certs.Platform.IsInstallerName], [certs.Platform.IsSetupName]) and an
// .ini file ([ini.KindOf]), without allocating.
func scanFolder(folder []string, p certs.Platform) folderScan {
	var f folderScan
	for _, name := range folder {
		switch {
		case p.IsInstallerName(name):
			f.installer = true
		case p.IsSetupName(name):
			f.setup = true
		case ini.KindOf(name) != ini.KindUnknown:
			f.ini = true
		}
	}
	return f
}

// folderComplete reports whether folder holds every file a deployment on p
// needs.
func folderComplete(folder []string, p certs.Platform) bool {
	return scanFolder(folder, p) == folderScan{true, true, true}
}

// lackingFiles names the files folder lacks for platform p, "" if none.
func lackingFiles(folder []string, p certs.Platform) string {
	f := scanFolder(folder, p)
	var lacking []string
	if !f.installer {
		lacking = append(lacking, p.InstallerName())
	}
	if !f.setup {
		lacking = append(lacking, p.SetupName())
	}
	if !f.ini {
		lacking = append(lacking, "DMCommonInstaller.ini or ClientSettings.ini")
	}
	return strings.Join(lacking, ", ")
}
