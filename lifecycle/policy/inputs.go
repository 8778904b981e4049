package policy

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
)

// Change is one input that differs between two scenarios (see [Changes]):
// the input, its value in each, and the condition it makes in words.
type Change struct {
	// Input names the input by its path in the scenario's JSON, such as
	// "device.security.privilegesRestricted" or
	// "deployment.site.managementPoint".
	Input string `json:"input"`
	// From and To are the input's values in the first and the second
	// scenario, as text ("true", "native", "none", "4.0.6221.1000",
	// "incomplete").
	From string `json:"from"`
	To   string `json:"to"`
	// Text is the second scenario's value as a condition, in the
	// subjunctive of "would succeed if ...", such as "the device's
	// privileges were not restricted" or "the site had a management point
	// enabled for mobile devices".
	Text string `json:"text"`
}

// String returns c.Text.
func (c Change) String() string { return c.Text }

// Changes returns the inputs in which to differs from from, in the order
// [Distance] lists them: the inputs of the space ([Scenarios]) and the
// few it holds fixed. Two scenarios are as far apart as the number of
// changes: len(Changes([DefaultScenario](), sc)) is [Distance](sc).
//
// Each input is compared as [Distance] compares it: the security facts,
// enrollment conditions, site facts and other flags one by one, installed
// and deployed versions as versions, the device settings as a whole, the
// deployment folder by whether it is complete for the device's platform
// (whether [lifecycle.CheckPrerequisites] reports
// [lifecycle.ErrFolderIncomplete]), the .ini settings by
// ClientInstallAction, CertEnrollAction=Enroll and Installer, and the
// computer only where both scenarios synchronise through one. The IDs do
// not count.
func Changes(from, to lifecycle.Scenario) []Change {
	return changes(newView(&from), newView(&to))
}

// view is a scenario with what comparing its inputs needs worked out
// once.
type view struct {
	sc         *lifecycle.Scenario
	incomplete bool // the folder is incomplete for the platform
}

func newView(sc *lifecycle.Scenario) *view {
	return &view{sc: sc, incomplete: folderIncomplete(sc)}
}

// folderIncomplete reports whether lifecycle.CheckPrerequisites finds the
// deployment folder of sc incomplete for its platform.
func folderIncomplete(sc *lifecycle.Scenario) bool {
	return errors.Is(lifecycle.CheckPrerequisites(*sc), lifecycle.ErrFolderIncomplete)
}

// input is one input of a scenario, as [Distance] counts it and the
// counterfactual search varies it.
type input struct {
	name   string
	differ func(a, b *view) bool
	value  func(v *view) string
	phrase func(v *view) string
	// alternatives returns the edits that give the input each of its other
	// values in the search, nil where the search holds it fixed.
	alternatives func(b *base) []edit
}

// edit sets one input of a scenario to one value.
type edit func(sc *lifecycle.Scenario)

// inputs are the inputs in the order of [Distance].
var inputs = [...]input{
	{
		name:   "deployment.component",
		differ: func(a, b *view) bool { return a.sc.Deployment.Component != b.sc.Deployment.Component },
		value:  func(v *view) string { return v.sc.Deployment.Component.String() },
		phrase: func(v *view) string { return "the deployment were of the " + v.sc.Deployment.Component.String() },
		alternatives: func(b *base) []edit {
			return others(b.sc.Deployment.Component, components(), func(sc *lifecycle.Scenario, c lifecycle.Component) { sc.Deployment.Component = c })
		},
	},
	{
		name:   "deployment.method",
		differ: func(a, b *view) bool { return a.sc.Deployment.Method != b.sc.Deployment.Method },
		value:  func(v *view) string { return v.sc.Deployment.Method.String() },
		phrase: func(v *view) string { return "the deployment method were " + v.sc.Deployment.Method.String() },
		alternatives: func(b *base) []edit {
			return others(b.sc.Deployment.Method, lifecycle.Methods(), func(sc *lifecycle.Scenario, m lifecycle.Method) { sc.Deployment.Method = m })
		},
	},
	{
		name:   "device.platform",
		differ: func(a, b *view) bool { return a.sc.Device.Platform != b.sc.Device.Platform },
		value:  func(v *view) string { return v.sc.Device.Platform.String() },
		phrase: func(v *view) string { return "the device's platform were " + v.sc.Device.Platform.String() },
		alternatives: func(b *base) []edit {
			// The folder stays as complete, or as incomplete, for the new
			// platform as it was for the old one: the folder is its own
			// input.
			return others(b.sc.Device.Platform, certs.Platforms(), func(sc *lifecycle.Scenario, p certs.Platform) {
				sc.Device.Platform = p
				sc.Deployment.Package.Folder = b.folder(p, b.incomplete)
			})
		},
	},
	{
		name: "device.security.trustsMobile2Market",
		differ: func(a, b *view) bool {
			return a.sc.Device.Security.TrustsMobile2Market != b.sc.Device.Security.TrustsMobile2Market
		},
		value: func(v *view) string { return strconv.FormatBool(v.sc.Device.Security.TrustsMobile2Market) },
		phrase: func(v *view) string {
			return ifElse(v.sc.Device.Security.TrustsMobile2Market, "the device trusted", "the device did not trust") + " the Mobile2Market certificate"
		},
		alternatives: flip(func(sc *lifecycle.Scenario) *bool { return &sc.Device.Security.TrustsMobile2Market }),
	},
	{
		name: "device.security.privilegesRestricted",
		differ: func(a, b *view) bool {
			return a.sc.Device.Security.PrivilegesRestricted != b.sc.Device.Security.PrivilegesRestricted
		},
		value: func(v *view) string { return strconv.FormatBool(v.sc.Device.Security.PrivilegesRestricted) },
		phrase: func(v *view) string {
			return "the device's privileges were " + ifElse(v.sc.Device.Security.PrivilegesRestricted, "restricted", "not restricted")
		},
		alternatives: flip(func(sc *lifecycle.Scenario) *bool { return &sc.Device.Security.PrivilegesRestricted }),
	},
	installedInput("device.client", lifecycle.Client, func(d *lifecycle.Device) *version.Version { return &d.Client }),
	installedInput("device.passwordProgram", lifecycle.PasswordProgram, func(d *lifecycle.Device) *version.Version { return &d.PasswordProgram }),
	{
		name:   "device.connection",
		differ: func(a, b *view) bool { return a.sc.Device.Connection != b.sc.Device.Connection },
		value:  func(v *view) string { return v.sc.Device.Connection.String() },
		phrase: func(v *view) string { return connectionPhrase(v.sc.Device) },
		alternatives: func(b *base) []edit {
			// A device connected through a computer keeps its computer, even
			// one it does not name: a name given here would be a change of
			// its own, beside the connection's.
			computer := b.sc.Device.Computer
			if computer == "" && !throughComputer(b.sc.Device.Connection) {
				computer = spaceComputer
			}
			return others(b.sc.Device.Connection, lifecycle.Connections(), func(sc *lifecycle.Scenario, c lifecycle.Connection) {
				sc.Device.Connection = c
				sc.Device.Computer = ifElse(throughComputer(c), computer, "")
			})
		},
	},
	{
		name: "device.computer",
		differ: func(a, b *view) bool {
			return throughComputer(a.sc.Device.Connection) && throughComputer(b.sc.Device.Connection) &&
				a.sc.Device.Computer != b.sc.Device.Computer
		},
		value: func(v *view) string { return v.sc.Device.Computer },
		phrase: func(v *view) string {
			return "the device synchronised through the computer " + quote.Short(v.sc.Device.Computer)
		},
	},
	{
		name:   "device.enrollment.caReachable",
		differ: func(a, b *view) bool { return a.sc.Device.Enrollment.CAReachable != b.sc.Device.Enrollment.CAReachable },
		value:  func(v *view) string { return strconv.FormatBool(v.sc.Device.Enrollment.CAReachable) },
		phrase: func(v *view) string {
			return "the device " + ifElse(v.sc.Device.Enrollment.CAReachable, "could", "could not") + " reach the certification authority"
		},
		alternatives: flip(func(sc *lifecycle.Scenario) *bool { return &sc.Device.Enrollment.CAReachable }),
	},
	{
		name: "device.enrollment.authenticationSucceeds",
		differ: func(a, b *view) bool {
			return a.sc.Device.Enrollment.AuthenticationSucceeds != b.sc.Device.Enrollment.AuthenticationSucceeds
		},
		value: func(v *view) string { return strconv.FormatBool(v.sc.Device.Enrollment.AuthenticationSucceeds) },
		phrase: func(v *view) string {
			return "the user's authentication to the certification authority " + ifElse(v.sc.Device.Enrollment.AuthenticationSucceeds, "succeeded", "failed")
		},
		alternatives: flip(func(sc *lifecycle.Scenario) *bool { return &sc.Device.Enrollment.AuthenticationSucceeds }),
	},
	{
		name:   "device.certificate",
		differ: func(a, b *view) bool { return a.sc.Device.Certificate != b.sc.Device.Certificate },
		value:  func(v *view) string { return strconv.FormatBool(v.sc.Device.Certificate) },
		phrase: func(v *view) string {
			return "the device " + ifElse(v.sc.Device.Certificate, "held a valid certificate", "held no valid certificate")
		},
		alternatives: flip(func(sc *lifecycle.Scenario) *bool { return &sc.Device.Certificate }),
	},
	{
		name:   "device.settings",
		differ: func(a, b *view) bool { return !slices.Equal(a.sc.Device.Settings, b.sc.Device.Settings) },
		value:  func(v *view) string { return settingsText(v.sc.Device.Settings) },
		phrase: func(v *view) string {
			if len(v.sc.Device.Settings) == 0 {
				return "the device held no client settings of its own"
			}
			return "the device's client settings were " + settingsText(v.sc.Device.Settings)
		},
		alternatives: func(b *base) []edit {
			if len(b.sc.Device.Settings) > 0 {
				return []edit{func(sc *lifecycle.Scenario) { sc.Device.Settings = nil }}
			}
			if s, ok := changedSetting(b.sc.Deployment.Package.Settings); ok {
				settings := []lifecycle.Setting{s}
				return []edit{func(sc *lifecycle.Scenario) { sc.Device.Settings = settings }}
			}
			return nil
		},
	},
	{
		name:   "deployment.repair",
		differ: func(a, b *view) bool { return a.sc.Deployment.Repair != b.sc.Deployment.Repair },
		value:  func(v *view) string { return strconv.FormatBool(v.sc.Deployment.Repair) },
		phrase: func(v *view) string {
			return ifElse(v.sc.Deployment.Repair, "a repair were asked for", "no repair were asked for")
		},
		alternatives: flip(func(sc *lifecycle.Scenario) *bool { return &sc.Deployment.Repair }),
	},
	{
		name:   "deployment.renewCertificate",
		differ: func(a, b *view) bool { return a.sc.Deployment.RenewCertificate != b.sc.Deployment.RenewCertificate },
		value:  func(v *view) string { return strconv.FormatBool(v.sc.Deployment.RenewCertificate) },
		phrase: func(v *view) string {
			return "the deployment " + ifElse(v.sc.Deployment.RenewCertificate, "renewed", "did not renew") + " the certificate"
		},
		alternatives: flip(func(sc *lifecycle.Scenario) *bool { return &sc.Deployment.RenewCertificate }),
	},
	{
		name:   "deployment.package.version",
		differ: func(a, b *view) bool { return a.sc.Deployment.Package.Version != b.sc.Deployment.Package.Version },
		value:  func(v *view) string { return versionText(v.sc.Deployment.Package.Version) },
		phrase: func(v *view) string {
			return "the deployed version were " + versionText(v.sc.Deployment.Package.Version)
		},
	},
	{
		name:   "deployment.package.folder",
		differ: func(a, b *view) bool { return a.incomplete != b.incomplete },
		value:  func(v *view) string { return ifElse(v.incomplete, "incomplete", "complete") },
		phrase: func(v *view) string {
			return "the deployment folder " + ifElse(v.incomplete, "lacked", "held") + " the platform's installation files"
		},
		alternatives: func(b *base) []edit {
			return []edit{func(sc *lifecycle.Scenario) {
				sc.Deployment.Package.Folder = b.folder(sc.Device.Platform, !b.incomplete)
			}}
		},
	},
	{
		name: "deployment.package.settings.clientInstallAction",
		differ: func(a, b *view) bool {
			return a.sc.Deployment.Package.Settings.ClientInstallAction != b.sc.Deployment.Package.Settings.ClientInstallAction
		},
		value: func(v *view) string { return v.sc.Deployment.Package.Settings.ClientInstallAction.String() },
		phrase: func(v *view) string {
			return ini.KeyClientInstallAction + " were " + v.sc.Deployment.Package.Settings.ClientInstallAction.String()
		},
		alternatives: func(b *base) []edit {
			return others(b.sc.Deployment.Package.Settings.ClientInstallAction, ini.Actions(), func(sc *lifecycle.Scenario, a ini.Action) {
				s := &sc.Deployment.Package.Settings
				s.ClientInstallAction, s.ActionDefaulted = a, false
			})
		},
	},
	{
		name: "deployment.package.settings.certEnrollAction",
		differ: func(a, b *view) bool {
			return a.sc.Deployment.Package.Settings.Enroll() != b.sc.Deployment.Package.Settings.Enroll()
		},
		value: func(v *view) string {
			return ifElse(v.sc.Deployment.Package.Settings.Enroll(), ini.CertEnroll, "not "+ini.CertEnroll)
		},
		phrase: func(v *view) string {
			return ini.KeyCertEnrollAction + " were " + ifElse(v.sc.Deployment.Package.Settings.Enroll(), "", "not ") + ini.CertEnroll
		},
		alternatives: func(b *base) []edit {
			enroll := ifElse(b.sc.Deployment.Package.Settings.Enroll(), "", ini.CertEnroll)
			return []edit{func(sc *lifecycle.Scenario) { sc.Deployment.Package.Settings.CertEnrollAction = enroll }}
		},
	},
	{
		name: "deployment.package.settings.installer",
		differ: func(a, b *view) bool {
			return a.sc.Deployment.Package.Settings.Installer != b.sc.Deployment.Package.Settings.Installer
		},
		value: func(v *view) string { return v.sc.Deployment.Package.Settings.Installer },
		phrase: func(v *view) string {
			if i := v.sc.Deployment.Package.Settings.Installer; i != "" {
				return "the .ini's " + ini.KeyInstaller + " were " + quote.Short(i)
			}
			return "the .ini named no " + ini.KeyInstaller
		},
		alternatives: func(b *base) []edit {
			if b.sc.Deployment.Package.Settings.Installer == "" {
				return nil
			}
			return []edit{func(sc *lifecycle.Scenario) { sc.Deployment.Package.Settings.Installer = "" }}
		},
	},
	{
		name:   "deployment.site.mode",
		differ: func(a, b *view) bool { return a.sc.Deployment.Site.Mode != b.sc.Deployment.Site.Mode },
		value:  func(v *view) string { return v.sc.Deployment.Site.Mode.String() },
		phrase: func(v *view) string { return "the site were in " + v.sc.Deployment.Site.Mode.String() + " mode" },
		alternatives: func(b *base) []edit {
			return others(b.sc.Deployment.Site.Mode, certs.SiteModes(), func(sc *lifecycle.Scenario, m certs.SiteMode) { sc.Deployment.Site.Mode = m })
		},
	},
	siteInput("clientAgent", func(s *lifecycle.Site) *bool { return &s.ClientAgent },
		"the site had a properly configured Mobile Device Client Agent",
		"the site's Mobile Device Client Agent were not configured"),
	siteInput("managementPoint", func(s *lifecycle.Site) *bool { return &s.ManagementPoint },
		"the site had a management point enabled for mobile devices",
		"the site had no management point enabled for mobile devices"),
	siteInput("distributionPoint", func(s *lifecycle.Site) *bool { return &s.DistributionPoint },
		"the site had a distribution point enabled for mobile devices",
		"the site had no distribution point enabled for mobile devices"),
	siteInput("inventoryExtended", func(s *lifecycle.Site) *bool { return &s.InventoryExtended },
		"the hardware inventory of the computers that synchronize with devices were extended",
		"the hardware inventory of the computers that synchronize with devices were not extended"),
}

func ifElse[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

// others returns an edit to each value of all but cur, in the order of
// all.
func others[T comparable](cur T, all []T, set func(*lifecycle.Scenario, T)) []edit {
	var es []edit
	for _, v := range all {
		if v != cur {
			es = append(es, func(sc *lifecycle.Scenario) { set(sc, v) })
		}
	}
	return es
}

// flip returns the alternatives of a flag: its other value.
func flip(field func(*lifecycle.Scenario) *bool) func(*base) []edit {
	return func(b *base) []edit {
		v := !*field(b.sc)
		return []edit{func(sc *lifecycle.Scenario) { *field(sc) = v }}
	}
}

func siteInput(name string, field func(*lifecycle.Site) *bool, yes, no string) input {
	return input{
		name:         "deployment.site." + name,
		differ:       func(a, b *view) bool { return *field(&a.sc.Deployment.Site) != *field(&b.sc.Deployment.Site) },
		value:        func(v *view) string { return strconv.FormatBool(*field(&v.sc.Deployment.Site)) },
		phrase:       func(v *view) string { return ifElse(*field(&v.sc.Deployment.Site), yes, no) },
		alternatives: flip(func(sc *lifecycle.Scenario) *bool { return field(&sc.Deployment.Site) }),
	}
}

// versionField returns a field of a device that holds an installed version.
type versionField = func(*lifecycle.Device) *version.Version

// installedInput is the input of the device's installed version of
// component c, held in field. The search gives it one version of each
// other state the deployed version classifies it in ([lifecycle.Classify]).
func installedInput(name string, c lifecycle.Component, field versionField) input {
	return input{
		name:   name,
		differ: func(a, b *view) bool { return *field(&a.sc.Device) != *field(&b.sc.Device) },
		value:  func(v *view) string { return versionText(*field(&v.sc.Device)) },
		phrase: func(v *view) string {
			installed := *field(&v.sc.Device)
			if !installed.IsValid() {
				return "the device had no " + c.String()
			}
			s := "the device had " + c.String() + " " + installed.String()
			if v.sc.Deployment.Component == c {
				switch lifecycle.Classify(installed, v.sc.Deployment.Package.Version) {
				case lifecycle.Older:
					s += ", older than the deployed one"
				case lifecycle.Same:
					s += ", the deployed one"
				case lifecycle.Newer:
					s += ", newer than the deployed one"
				}
			}
			return s
		},
		alternatives: func(b *base) []edit {
			deployed := b.sc.Deployment.Package.Version
			cur := lifecycle.Classify(*field(&b.sc.Device), deployed)
			var es []edit
			for _, s := range lifecycle.States() {
				v, ok := representative(s, deployed)
				if !ok || s == cur {
					continue
				}
				es = append(es, func(sc *lifecycle.Scenario) { *field(&sc.Device) = v })
			}
			return es
		},
	}
}

// representative returns an installed version that classifies in state s
// against deployed: none, the space's older (4.0.6221.1000) and newer
// (4.0.6487.2157) versions where they are older or newer than deployed,
// or else the version just below or above it; the deployed version
// itself for same.
func representative(s lifecycle.State, deployed version.Version) (version.Version, bool) {
	var v version.Version
	switch s {
	case lifecycle.None:
		return version.Version{}, true
	case lifecycle.Same:
		v = deployed
	case lifecycle.Older:
		v = spaceOlder
		if lifecycle.Classify(v, deployed) != s && deployed.IsValid() && deployed.Uint64() > 0 {
			v = version.FromUint64(deployed.Uint64() - 1)
		}
	case lifecycle.Newer:
		v = spaceNewer
		if lifecycle.Classify(v, deployed) != s && deployed.Uint64() < 1<<64-1 {
			v = version.FromUint64(deployed.Uint64() + 1)
		}
	}
	return v, v.IsValid() && lifecycle.Classify(v, deployed) == s
}

func versionText(v version.Version) string {
	if !v.IsValid() {
		return "none"
	}
	return v.String()
}

func connectionPhrase(d lifecycle.Device) string {
	switch d.Connection {
	case lifecycle.ViaManagedComputer:
		return "the device were connected through a managed Configuration Manager client computer"
	case lifecycle.ViaUnmanagedComputer:
		return "the device were connected through a desktop computer that is not a managed client"
	case lifecycle.Direct:
		return "the device were reached directly (memory card or shared directory)"
	case lifecycle.ViaAir:
		return "the device were reached over the air"
	}
	return "the device's connection were " + d.Connection.String()
}

// settingsText lists settings as key=value, user changes marked, at most
// a few.
func settingsText(settings []lifecycle.Setting) string {
	if len(settings) == 0 {
		return "none"
	}
	const most = 3
	var b strings.Builder
	for i, s := range settings {
		if i == most {
			b.WriteString(" and " + strconv.Itoa(len(settings)-most) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote.Short(s.Key + "=" + s.Value))
		if s.UserChanged {
			b.WriteString(" (changed by the user)")
		}
	}
	return b.String()
}

// changedSetting returns the device setting the search gives a device
// with none: a user-changed value of the first setting the package
// configures other than the three the product page names. Modelling
// choice: the value is "15" (the space's), or "30" where the package
// configures "15".
func changedSetting(s ini.Settings) (lifecycle.Setting, bool) {
	for _, p := range s.Pairs() {
		switch {
		case strings.EqualFold(p.Key, ini.KeyClientInstallAction),
			strings.EqualFold(p.Key, ini.KeyCertEnrollAction),
			strings.EqualFold(p.Key, ini.KeyInstaller):
			continue
		}
		return lifecycle.Setting{Key: p.Key, Value: ifElse(p.Value == "15", "30", "15"), UserChanged: true}, true
	}
	return lifecycle.Setting{}, false
}
