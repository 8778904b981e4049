package lifecycletest

import (
	"slices"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// Version draws a valid version: about half the time one of the ConfigMgr
// 2007 releases (RTM, SP1, SP2, R3), so that two drawn versions often
// compare equal, and otherwise any four-part version.
func Version() *rapid.Generator[version.Version] {
	return rapid.OneOf(
		rapid.SampledFrom([]version.Version{
			version.MustParse("4.00.5931.0000"), // RTM
			version.MustParse("4.00.6221.1000"), // SP1
			version.MustParse("4.00.6487.2000"), // SP2
			version.MustParse("4.00.6487.2157"), // R3
		}),
		rapid.Custom(func(t *rapid.T) version.Version {
			return version.New(rapid.Uint16().Draw(t, "major"), rapid.Uint16().Draw(t, "minor"),
				rapid.Uint16().Draw(t, "build"), rapid.Uint16().Draw(t, "revision"))
		}),
	)
}

// installed draws an installed version: none (the zero Version) or one of
// [Version].
func installed() *rapid.Generator[version.Version] {
	return rapid.OneOf(rapid.Just(version.Version{}), Version())
}

// Device draws a device of any platform, installed client and password
// program, security, connection, computer name (none or one, whatever the
// connection, so that a device connected through a computer sometimes
// names none), enrollment conditions, certificate and settings.
func Device() *rapid.Generator[lifecycle.Device] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Device {
		d := lifecycle.Device{
			ID:              rapid.StringMatching(`[a-z]{2,5}-[0-9]{1,3}`).Draw(t, "id"),
			Platform:        rapid.SampledFrom(certs.Platforms()).Draw(t, "platform"),
			Client:          installed().Draw(t, "client"),
			PasswordProgram: installed().Draw(t, "passwordProgram"),
			Security:        rapid.SampledFrom(certs.Securities()).Draw(t, "security"),
			Connection:      rapid.SampledFrom(lifecycle.Connections()).Draw(t, "connection"),
			Enrollment:      rapid.SampledFrom(certs.EnrollmentConditionsAll()).Draw(t, "enrollment"),
			Certificate:     rapid.Bool().Draw(t, "certificate"),
		}
		d.Computer = rapid.SampledFrom([]string{"", "DESKTOP-01", "LAPTOP-7"}).Draw(t, "computer")
		d.Settings = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) lifecycle.Setting {
			return lifecycle.Setting{
				Key:         rapid.SampledFrom(settingKeys()).Draw(t, "key"),
				Value:       rapid.SampledFrom([]string{"15", "60", "mp.contoso.com", ""}).Draw(t, "value"),
				UserChanged: rapid.Bool().Draw(t, "userChanged"),
			}
		}), 0, 3).Draw(t, "settings")
		return d
	})
}

// settingKeys returns the client settings the generated packages configure.
func settingKeys() []string { return []string{"PollingInterval", "ManagementPoint", "LogLevel"} }

// Settings draws decoded .ini settings for a package deployed to the given
// platform: any ClientInstallAction (or none, which means Install),
// CertEnrollAction=Enroll or not, an Installer for the platform, for
// another platform or none, and client settings. Every draw reads without
// error ([lifecycle.ReadSettings]).
func Settings(platform certs.Platform) *rapid.Generator[ini.Settings] {
	return rapid.Custom(func(t *rapid.T) ini.Settings {
		text := "[ClientSettings]\r\n"
		if a := rapid.SampledFrom(append([]ini.Action{0}, ini.Actions()...)).Draw(t, "action"); a.IsValid() {
			text += ini.KeyClientInstallAction + "=" + a.String() + "\r\n"
		}
		if rapid.Bool().Draw(t, "enroll") {
			text += "CertEnrollAction=" + ini.CertEnroll + "\r\n"
		}
		if rapid.Bool().Draw(t, "installer") {
			p := rapid.SampledFrom([]certs.Platform{platform, rapid.SampledFrom(certs.Platforms()).Draw(t, "other")}).Draw(t, "installerPlatform")
			text += "Installer=" + p.InstallerName() + "\r\n"
		}
		for _, k := range settingKeys() {
			if rapid.Bool().Draw(t, "has"+k) {
				text += k + "=" + rapid.SampledFrom([]string{"15", "60", "mp.contoso.com"}).Draw(t, k) + "\r\n"
			}
		}
		s, err := lifecycle.ReadSettings("ClientSettings.ini", []byte(text))
		if err != nil {
			t.Fatalf("generated .ini does not read: %v\n%s", err, text)
		}
		return s
	})
}

// Package draws a deployment package for a device of the given platform:
// any [Version], a complete folder or one lacking a file, and [Settings].
func Package(platform certs.Platform) *rapid.Generator[lifecycle.Package] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Package {
		names := lifecycle.CompleteFolder(platform).Names()
		if drop := rapid.IntRange(-1, len(names)-1).Draw(t, "drop"); drop >= 0 {
			names = slices.Delete(names, drop, drop+1)
		}
		return lifecycle.Package{
			Version:  Version().Draw(t, "version"),
			Folder:   lifecycle.NewFolder(names...),
			Settings: Settings(platform).Draw(t, "settings"),
		}
	})
}

// Site draws a site of any mode with any of its prerequisites in place.
func Site() *rapid.Generator[lifecycle.Site] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Site {
		return lifecycle.Site{
			Mode:              rapid.SampledFrom(certs.SiteModes()).Draw(t, "mode"),
			ClientAgent:       rapid.Bool().Draw(t, "clientAgent"),
			ManagementPoint:   rapid.Bool().Draw(t, "managementPoint"),
			DistributionPoint: rapid.Bool().Draw(t, "distributionPoint"),
			InventoryExtended: rapid.Bool().Draw(t, "inventoryExtended"),
		}
	})
}

// Deployment draws a deployment to a device of the given platform: any
// component and method, a [Package] for the platform, a [Site], and a
// repair or a certificate renewal asked for or not.
func Deployment(platform certs.Platform) *rapid.Generator[lifecycle.Deployment] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Deployment {
		return lifecycle.Deployment{
			Component:        rapid.SampledFrom([]lifecycle.Component{lifecycle.Client, lifecycle.PasswordProgram}).Draw(t, "component"),
			Method:           rapid.SampledFrom(lifecycle.Methods()).Draw(t, "method"),
			Package:          Package(platform).Draw(t, "package"),
			Site:             Site().Draw(t, "site"),
			Repair:           rapid.Bool().Draw(t, "repair"),
			RenewCertificate: rapid.Bool().Draw(t, "renewCertificate"),
		}
	})
}

// Scenario draws a whole deployment: a [Device] and a [Deployment] for its
// platform. The installed client and password program are drawn relative
// to the deployed version, each none, older, the same, newer or any, so
// that every [lifecycle.State] comes up often for either component.
func Scenario() *rapid.Generator[lifecycle.Scenario] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Scenario {
		d := Device().Draw(t, "device")
		dep := Deployment(d.Platform).Draw(t, "deployment")
		d.Client = Relative(dep.Package.Version).Draw(t, "client")
		d.PasswordProgram = Relative(dep.Package.Version).Draw(t, "passwordProgram")
		return lifecycle.Scenario{Device: d, Deployment: dep}
	})
}

// Relative draws an installed version relative to deployed: none, older,
// the same, newer (each where one exists), or any [Version].
func Relative(deployed version.Version) *rapid.Generator[version.Version] {
	return rapid.Custom(func(t *rapid.T) version.Version {
		v := deployed.Uint64()
		switch rapid.SampledFrom([]string{"none", "older", "same", "newer", "any"}).Draw(t, "relation") {
		case "none":
			return version.Version{}
		case "older":
			if v > 0 {
				return version.FromUint64(v - rapid.Uint64Range(1, min(v, 1<<20)).Draw(t, "below"))
			}
		case "same":
			return deployed
		case "newer":
			if v < ^uint64(0) {
				return version.FromUint64(v + rapid.Uint64Range(1, min(^uint64(0)-v, 1<<20)).Draw(t, "above"))
			}
		}
		return Version().Draw(t, "any")
	})
}
