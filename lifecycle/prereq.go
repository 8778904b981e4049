package lifecycle

import (
	"errors"
	"math/bits"
	"strings"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/quote"
)

// Sentinel errors for missing prerequisites. [CheckPrerequisites] reports
// every missing prerequisite at once, in one error that matches each of
// them with errors.Is.
var (
	// ErrNoClientAgent: the Mobile Device Client Agent is not configured.
	ErrNoClientAgent = errors.New("lifecycle: mobile device client agent not configured")
	// ErrFolderIncomplete: the deployment folder lacks installation files
	// for the device's platform.
	ErrFolderIncomplete = errors.New("lifecycle: deployment folder incomplete")
	// ErrInvalidSettings: the .ini settings cannot drive a deployment to
	// this device (an Installer for another platform).
	ErrInvalidSettings = errors.New("lifecycle: invalid .ini settings")
	// ErrConnection: the method cannot reach the device the way it is
	// connected.
	ErrConnection = errors.New("lifecycle: method cannot reach the device through its connection")
	// ErrNotManaged: over the air needs an already managed device.
	ErrNotManaged = errors.New("lifecycle: device is not already managed")
	// ErrNoManagementPoint: no management point enabled for mobile devices.
	ErrNoManagementPoint = errors.New("lifecycle: no management point enabled for mobile device management")
	// ErrNoDistributionPoint: no distribution point enabled for mobile
	// devices.
	ErrNoDistributionPoint = errors.New("lifecycle: no distribution point enabled for mobile devices")
	// ErrInventoryNotExtended: the hardware inventory of the computers that
	// synchronize with devices is not extended.
	ErrInventoryNotExtended = errors.New("lifecycle: hardware inventory not extended")
	// ErrPasswordProgramPlatform: the policy-aware password program is for
	// Pocket PC 2003 only.
	ErrPasswordProgramPlatform = errors.New("lifecycle: password program is for pocket pc 2003 only")
	// ErrEnrollmentNotEnforced: a native or server authentication site
	// needs CertEnrollAction=Enroll where the deployment must enroll.
	ErrEnrollmentNotEnforced = errors.New("lifecycle: site mode requires CertEnrollAction=Enroll")
)

// prerequisite indexes the sentinels above, in the order they are checked
// and reported; bit i of a missing set is prerequisite i.
type prerequisite uint8

const (
	noClientAgent prerequisite = iota
	folderIncomplete
	invalidSettings
	connection
	notManaged
	noManagementPoint
	noDistributionPoint
	inventoryNotExtended
	passwordProgramPlatform
	enrollmentNotEnforced
)

// prerequisites is the number of prerequisites.
const prerequisites = enrollmentNotEnforced + 1

// namedError is a sentinel error and its name in an outcome's JSON (see
// [Outcome.Err]).
type namedError struct {
	err  error
	name string
}

// prerequisiteErrors are the prerequisites' sentinels and names: entry p
// is prerequisite p's. A lookup table, never written: a function that
// built it would build it at every errors.Is of a prerequisite error.
var prerequisiteErrors = [prerequisites]namedError{
	noClientAgent:           {ErrNoClientAgent, "client agent"},
	folderIncomplete:        {ErrFolderIncomplete, "deployment folder"},
	invalidSettings:         {ErrInvalidSettings, "settings"},
	connection:              {ErrConnection, "connection"},
	notManaged:              {ErrNotManaged, "managed device"},
	noManagementPoint:       {ErrNoManagementPoint, "management point"},
	noDistributionPoint:     {ErrNoDistributionPoint, "distribution point"},
	inventoryNotExtended:    {ErrInventoryNotExtended, "inventory extension"},
	passwordProgramPlatform: {ErrPasswordProgramPlatform, "password program platform"},
	enrollmentNotEnforced:   {ErrEnrollmentNotEnforced, "certificate enrollment"},
}

// sentinel returns the sentinel error of p.
func (p prerequisite) sentinel() error { return prerequisiteErrors[p].err }

// prerequisiteError reports every prerequisite a deployment misses. It
// matches each missing prerequisite's sentinel with errors.Is, and writes
// its message only when asked. It is 4 bytes without pointers: the
// missing prerequisites (bit i: prerequisite i) and, four bits each, the
// facts the message is written from: the platform, the method, the
// connection, the site mode and the files the folder lacks; and a bit,
// [renewing], for a device that holds a certificate. As an error
// it is one allocation from Go's tiny allocator, which packs four into 16
// bytes that the garbage collector does not scan. A deployment whose
// Installer names another platform's installer gets an [installerError],
// which also holds the name.
type prerequisiteError uint32

// The positions of the facts in a [prerequisiteError].
const (
	platformShift   = int(prerequisites)
	methodShift     = platformShift + 4
	connectionShift = methodShift + 4
	modeShift       = connectionShift + 4
	lacksShift      = modeShift + 4
	// renewing is set when the device holds a certificate, so that
	// [ErrEnrollmentNotEnforced] is missing because the deployment renews
	// it.
	renewing prerequisiteError = 1 << (lacksShift + 4)
)

func newPrerequisiteError(missing uint16, p certs.Platform, m Method, c Connection, mode certs.SiteMode, l lack) prerequisiteError {
	return prerequisiteError(uint32(missing) | uint32(p&0xf)<<platformShift | uint32(m&0xf)<<methodShift |
		uint32(c&0xf)<<connectionShift | uint32(mode&0xf)<<modeShift | uint32(l&0xf)<<lacksShift)
}

func (e prerequisiteError) missing() uint16          { return uint16(e & (1<<prerequisites - 1)) }
func (e prerequisiteError) fact(shift int) uint8     { return uint8(e>>shift) & 0xf }
func (e prerequisiteError) platform() certs.Platform { return certs.Platform(e.fact(platformShift)) }
func (e prerequisiteError) method() Method           { return Method(e.fact(methodShift)) }
func (e prerequisiteError) connection() Connection   { return Connection(e.fact(connectionShift)) }
func (e prerequisiteError) mode() certs.SiteMode     { return certs.SiteMode(e.fact(modeShift)) }
func (e prerequisiteError) lacks() lack              { return lack(e.fact(lacksShift)) }

// installerError is a [prerequisiteError] with [ErrInvalidSettings]
// among the missing: its message names the installer.
type installerError struct {
	prerequisiteError
	installer string
}

// Error returns the message of [prerequisiteError.Error], naming the
// installer.
func (e *installerError) Error() string { return e.message(e.installer) }

// Error returns each missing prerequisite's message; see [prerequisiteError.message].
func (e prerequisiteError) Error() string { return e.message("") }

// Is reports whether target is the sentinel of a missing prerequisite.
func (e prerequisiteError) Is(target error) bool {
	for m := e.missing(); m != 0; m &= m - 1 {
		if prerequisite(bits.TrailingZeros16(m)).sentinel() == target {
			return true
		}
	}
	return false
}

// message returns each missing prerequisite's message with what exactly is
// missing, such as "lifecycle: deployment folder incomplete: missing
// DMInstaller_WM6Pro.exe for Windows Mobile 6 Professional", joined by
// "; ". installer is the package's Installer setting.
func (e prerequisiteError) message(installer string) string {
	var b strings.Builder
	for m := e.missing(); m != 0; m &= m - 1 {
		p := prerequisite(bits.TrailingZeros16(m))
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.sentinel().Error())
		if d := e.detail(p, installer); d != "" {
			b.WriteString(": ")
			b.WriteString(d)
		}
	}
	return b.String()
}

func (e prerequisiteError) detail(p prerequisite, installer string) string {
	switch p {
	case folderIncomplete:
		return "missing " + e.lacks().names(e.platform()) + " for " + e.platform().String()
	case invalidSettings:
		return "Installer=" + quote.Short(installer) + " is not the installer for " + e.platform().String()
	case connection:
		return e.method().String() + " cannot reach a device connected " + e.connection().String()
	case notManaged:
		return e.method().String() + " needs a device with a client"
	case passwordProgramPlatform:
		return "device is " + e.platform().String()
	case enrollmentNotEnforced:
		if e&renewing != 0 {
			return e.mode().String() + " mode, and the deployment renews the device's certificate"
		}
		return e.mode().String() + " mode, and the device holds no valid certificate"
	}
	return ""
}

// methodRule is what a deployment method needs beyond the prerequisites
// every method has. The product page's rules:
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
// device itself, so it also needs the management point and the
// distribution point enabled for mobile devices, but not the inventory
// extension, which only targets computers that synchronize with devices.
type methodRule struct {
	connections                                            uint8 // bit c set: reaches Connection c
	managed, managementPoint, distributionPoint, inventory bool
}

func (r methodRule) reaches(c Connection) bool { return c.valid() && r.connections&(1<<c) != 0 }

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

// validate reports every field of sc that holds no valid value, each as
// an [*InputError], joined with errors.Join.
func validate(sc *Scenario) error {
	dev, dep := &sc.Device, &sc.Deployment
	u := dep.Package.Settings.Unknown
	fit := settingsFit(len(u), func(i int) (string, string) { return u[i].Key, u[i].Value })
	if dev.Platform.IsValid() && dev.Connection.valid() && dep.Component.valid() && dep.Method.valid() &&
		dep.Site.Mode.IsValid() && dep.Package.Version.IsValid() && dep.Package.Settings.ClientInstallAction.IsValid() &&
		fit == nil {
		return nil
	}
	var errs []error
	bad := func(ok bool, field string, value interface{ MarshalText() ([]byte, error) }) {
		if !ok {
			_, err := value.MarshalText()
			errs = append(errs, &InputError{Field: field, Err: err})
		}
	}
	bad(dev.Platform.IsValid(), "device.platform", dev.Platform)
	bad(dev.Connection.valid(), "device.connection", dev.Connection)
	bad(dep.Component.valid(), "deployment.component", dep.Component)
	bad(dep.Method.valid(), "deployment.method", dep.Method)
	bad(dep.Site.Mode.IsValid(), "deployment.site.mode", dep.Site.Mode)
	if !dep.Package.Version.IsValid() {
		errs = append(errs, inputError("deployment.package.version", "a package needs a version"))
	}
	bad(dep.Package.Settings.ClientInstallAction.IsValid(), "deployment.package.settings.clientInstallAction",
		dep.Package.Settings.ClientInstallAction)
	if fit != nil {
		// Modelling choice: the package's client settings go to the
		// device, whose stored form holds only so many.
		errs = append(errs, &InputError{Field: "deployment.package.settings",
			Err: errors.New("its client settings would not fit a device: " + fit.Error())})
	}
	return errors.Join(errs...)
}

// CheckPrerequisites reports every prerequisite sc misses (nil when none
// is), before anything runs, as one error that errors.Is matches with the
// sentinel of each:
//
//   - every method: a configured Mobile Device Client Agent
//     ([ErrNoClientAgent]); a deployment folder holding the device
//     platform's DMInstaller_<token>.exe and DMClientSetup_<token>.exe and
//     a DMCommonInstaller.ini or ClientSettings.ini ([ErrFolderIncomplete]);
//     settings whose Installer, when set, names the device platform's
//     installer ([ErrInvalidSettings]);
//   - what the method needs: a connection it can reach ([ErrConnection]),
//     an already managed device, one with a client ([ErrNotManaged]), the
//     site's management point ([ErrNoManagementPoint]), distribution point
//     ([ErrNoDistributionPoint]) and inventory extension
//     ([ErrInventoryNotExtended]);
//   - the password program only on Pocket PC 2003
//     ([ErrPasswordProgramPlatform]);
//   - CertEnrollAction=Enroll on a native or server authentication site
//     where the deployment needs a certificate, one the device does not
//     hold or one it renews ([Deployment].RenewCertificate): a client
//     deployment that leaves a client installed
//     ([ErrEnrollmentNotEnforced]). Modelling choice: an uninstall, a
//     deployment that decides no action, and the password program never
//     enroll, so they do not need it.
//
// Folder completeness is worked out when the [Folder] is made: checking it
// costs a bit test, however many files the folder holds.
//
// A scenario with fields outside their valid values returns an
// [*InputError] for each (errors.Is [ErrInvalidInput]), joined, instead.
func CheckPrerequisites(sc Scenario) error {
	if err := validate(&sc); err != nil {
		return err
	}
	return missingPrerequisites(&sc)
}

// missingPrerequisites is [CheckPrerequisites] of a valid scenario.
func missingPrerequisites(sc *Scenario) error {
	var missing uint16
	need := func(p prerequisite, ok bool) {
		if !ok {
			missing |= 1 << p
		}
	}
	dev, dep := &sc.Device, &sc.Deployment
	site := &dep.Site
	need(noClientAgent, site.ClientAgent)
	lacks := dep.Package.Folder.lacks(dev.Platform)
	need(folderIncomplete, lacks == 0)
	inst := dep.Package.Settings.Installer
	need(invalidSettings, inst == "" || dev.Platform.IsInstallerName(inst))
	req := dep.Method.rule()
	need(connection, req.reaches(dev.Connection))
	need(notManaged, !req.managed || dev.Client.IsValid())
	need(noManagementPoint, !req.managementPoint || site.ManagementPoint)
	need(noDistributionPoint, !req.distributionPoint || site.DistributionPoint)
	need(inventoryNotExtended, !req.inventory || site.InventoryExtended)
	need(passwordProgramPlatform, dep.Component != PasswordProgram || dev.Platform == certs.PocketPC2003)
	need(enrollmentNotEnforced, !site.Mode.RequiresEnrollment() || !needsCertificate(sc, sc.Event()) || dep.Package.Settings.Enroll())
	if missing == 0 {
		return nil
	}
	e := newPrerequisiteError(missing, dev.Platform, dep.Method, dev.Connection, site.Mode, lacks)
	if dev.Certificate {
		e |= renewing
	}
	if missing&(1<<invalidSettings) != 0 {
		return &installerError{e, inst}
	}
	return e
}

// leavesClient reports whether event ev leaves the component installed.
func leavesClient(ev Event) bool { return ev != NoAction && ev != Uninstall }

// needsCertificate reports whether the deployment, deciding event ev,
// leaves a client that needs a certificate the device does not hold (or
// renews the one it holds).
func needsCertificate(sc *Scenario, ev Event) bool {
	return sc.Deployment.Component == Client && leavesClient(ev) &&
		(!sc.Device.Certificate || sc.Deployment.RenewCertificate)
}
