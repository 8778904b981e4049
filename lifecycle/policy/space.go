package lifecycle

import (
	"iter"
	"slices"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/version"
)

// The versions of the scenario space: the deployed client is ConfigMgr 2007
// SP2; an older client is SP1, a newer one R3.
var (
	spaceDeployed = version.New(4, 0, 6487, 2000)
	spaceOlder    = version.New(4, 0, 6221, 1000)
	spaceNewer    = version.New(4, 0, 6487, 2157)
)

// spaceSettingKey is the client setting the space's packages configure and
// its devices may hold a user-changed value of.
const spaceSettingKey = "PollingInterval"

// spaceSettings returns the decoded ClientSettings.ini of the space for one
// ClientInstallAction, with or without CertEnrollAction=Enroll.
func spaceSettings(a ini.Action, enroll bool) ini.Settings {
	text := "[ClientSettings]\r\nClientInstallAction=" + a.String() + "\r\n"
	if enroll {
		text += "CertEnrollAction=Enroll\r\n"
	}
	text += spaceSettingKey + "=60\r\n"
	f, err := ini.Parse("ClientSettings.ini", []byte(text))
	if err != nil {
		return ini.Settings{}
	}
	s, _ := f.Settings()
	return s
}

// DefaultScenario returns the scenario the space is measured from (see
// [Distance]): the client, installed by software distribution through a
// managed ConfigMgr client computer on an unlocked Windows Mobile 6
// Professional device that has no client, from a complete deployment folder
// whose ClientSettings.ini says ClientInstallAction=Install, on a mixed-mode
// site with every prerequisite in place. It succeeds: none -> same by
// install.
func DefaultScenario() Scenario {
	return Scenario{
		Component: Client,
		Method:    SoftwareDistribution,
		Device: Device{
			Platform:   certs.WM6Professional,
			Security:   certs.Security{TrustsMobile2Market: true},
			Connection: ViaManagedComputer,
			Enrollment: certs.EnrollmentConditions{CAReachable: true, AuthenticationSucceeds: true},
		},
		Package: Package{
			Version:  spaceDeployed,
			Folder:   CompleteFolder(certs.WM6Professional),
			Settings: spaceSettings(ini.ActionInstall, false),
		},
		Site: Site{Mode: certs.Mixed, ClientAgent: true, ManagementPoint: true, DistributionPoint: true, InventoryExtended: true},
	}
}

// Scenarios returns the finite input space of the model: every combination
// of the inputs that can change an outcome, each once, in a fixed order.
// Use it for exhaustive tests; [CheckPolicy] runs a policy over all of it.
//
// The space varies, around [DefaultScenario]:
//
//   - the component ([Components]) and the platform ([certs.Platforms]);
//   - the device's security ([certs.Securities]) where code signing applies
//     ([certs.Platform.SigningApplies]); exempt platforms ignore it, so it
//     stays at the default there;
//   - the installed client: none, older (4.0.6221.1000), same
//     (4.0.6487.2000, the deployed version) or newer (4.0.6487.2157);
//   - whether a repair is asked for;
//   - for a device with a client, whether it holds a user-changed value of
//     a setting the package configures;
//   - the method ([Methods]), and the connections it can reach a device
//     through ([Method.Requirements]); a connection a method cannot use is
//     rejected by [CheckPrerequisites] and is not in the space;
//   - the site's management point, distribution point and inventory
//     extension where the method needs them (enabled elsewhere), and the
//     client agent and site mode ([certs.SiteModes]) everywhere;
//   - the ClientInstallAction ([ini.Actions]), CertEnrollAction=Enroll or
//     not, and with Enroll every enrollment condition
//     ([certs.EnrollmentConditionsAll]); without it enrollment never runs,
//     so the conditions stay at the default;
//   - a deployment folder complete for the device's platform
//     ([CompleteFolder]), or the same without the platform's installer.
//
// The space has about two million scenarios. Scenarios share their slices:
// do not modify them.
func Scenarios() iter.Seq[Scenario] {
	actions := ini.Actions()
	settings := make(map[[2]int]ini.Settings)
	for i, a := range actions {
		settings[[2]int{i, 0}] = spaceSettings(a, false)
		settings[[2]int{i, 1}] = spaceSettings(a, true)
	}
	changed := []Setting{{Key: spaceSettingKey, Value: "15", UserChanged: true}}
	complete := make(map[certs.Platform][]string)
	incomplete := make(map[certs.Platform][]string)
	for _, p := range certs.Platforms() {
		complete[p] = CompleteFolder(p)
		incomplete[p] = slices.DeleteFunc(CompleteFolder(p), func(name string) bool { return name == p.InstallerName() })
	}
	def := DefaultScenario()
	return func(yield func(Scenario) bool) {
		sc := def
		for _, comp := range Components() {
			sc.Component = comp
			for _, p := range certs.Platforms() {
				sc.Device.Platform = p
				secs := []certs.Security{def.Device.Security}
				if p.SigningApplies() {
					secs = certs.Securities()
				}
				for _, sec := range secs {
					sc.Device.Security = sec
					for _, installed := range []version.Version{{}, spaceOlder, spaceDeployed, spaceNewer} {
						sc.Device.Installed = installed
						settingVariants := [][]Setting{nil}
						if installed.IsValid() {
							settingVariants = append(settingVariants, changed)
						}
						for _, devSettings := range settingVariants {
							sc.Device.Settings = devSettings
							for _, repair := range []bool{false, true} {
								sc.Repair = repair
								for _, folder := range [][]string{complete[p], incomplete[p]} {
									sc.Package.Folder = folder
									if !scenariosMethod(&sc, def, actions, settings, yield) {
										return
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// scenariosMethod yields the method, site and package variations of sc.
func scenariosMethod(sc *Scenario, def Scenario, actions []ini.Action, settings map[[2]int]ini.Settings, yield func(Scenario) bool) bool {
	for _, m := range Methods() {
		sc.Method = m
		req := m.Requirements()
		for _, conn := range req.Connections {
			sc.Device.Connection = conn
			for _, mp := range toggles(req.ManagementPoint) {
				sc.Site.ManagementPoint = mp
				for _, dp := range toggles(req.DistributionPoint) {
					sc.Site.DistributionPoint = dp
					for _, inv := range toggles(req.InventoryExtended) {
						sc.Site.InventoryExtended = inv
						for _, agent := range []bool{true, false} {
							sc.Site.ClientAgent = agent
							for _, mode := range certs.SiteModes() {
								sc.Site.Mode = mode
								for ai := range actions {
									for ei, enroll := range []bool{false, true} {
										sc.Package.Settings = settings[[2]int{ai, ei}]
										conds := []certs.EnrollmentConditions{def.Device.Enrollment}
										if enroll {
											conds = certs.EnrollmentConditionsAll()
										}
										for _, c := range conds {
											sc.Device.Enrollment = c
											if !yield(*sc) {
												return false
											}
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return true
}

// toggles returns the values a site fact takes in the space: both when the
// method needs it, otherwise only enabled.
func toggles(needed bool) []bool {
	if needed {
		return []bool{true, false}
	}
	return []bool{true}
}

// Distance returns how many inputs of sc differ from [DefaultScenario]: the
// component, method, platform, each of the two security facts, the
// installed version, connection, each enrollment condition, device
// settings, repair, the deployed version, the deployment folder, the
// ClientInstallAction, CertEnrollAction, the site mode and each of the four
// site facts. [CheckPolicy] reports the simplest counterexamples (smallest
// distance) first.
func Distance(sc Scenario) int {
	def := DefaultScenario()
	n := 0
	diff := func(different bool) {
		if different {
			n++
		}
	}
	d, dd := sc.Device, def.Device
	diff(sc.Component != def.Component)
	diff(sc.Method != def.Method)
	diff(d.Platform != dd.Platform)
	diff(d.Security.TrustsMobile2Market != dd.Security.TrustsMobile2Market)
	diff(d.Security.PrivilegesRestricted != dd.Security.PrivilegesRestricted)
	diff(d.Installed != dd.Installed)
	diff(d.Connection != dd.Connection)
	diff(d.Enrollment.CAReachable != dd.Enrollment.CAReachable)
	diff(d.Enrollment.AuthenticationSucceeds != dd.Enrollment.AuthenticationSucceeds)
	diff(len(d.Settings) != 0)
	diff(sc.Repair)
	diff(sc.Package.Version != def.Package.Version)
	diff(!folderComplete(sc.Package.Folder, d.Platform))
	diff(sc.Package.Settings.ClientInstallAction != def.Package.Settings.ClientInstallAction)
	diff(sc.Package.Settings.Enroll() != def.Package.Settings.Enroll())
	diff(sc.Site.Mode != def.Site.Mode)
	diff(sc.Site.ClientAgent != def.Site.ClientAgent)
	diff(sc.Site.ManagementPoint != def.Site.ManagementPoint)
	diff(sc.Site.DistributionPoint != def.Site.DistributionPoint)
	diff(sc.Site.InventoryExtended != def.Site.InventoryExtended)
	return n
}
