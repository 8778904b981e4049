package lifecycletest

import (
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// Version draws a valid version, mostly near the ConfigMgr 2007 releases so
// that installed and deployed versions often compare equal.
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

// Installed draws an installed version: none (the zero Version) or one of
// [Version].
func Installed() *rapid.Generator[version.Version] {
	return rapid.OneOf(rapid.Just(version.Version{}), Version())
}

// Device draws a device of any platform, security, installed client,
// connection, enrollment conditions and settings.
func Device() *rapid.Generator[lifecycle.Device] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Device {
		d := lifecycle.Device{
			ID:         rapid.StringMatching(`[a-z]{2,5}-[0-9]{1,3}`).Draw(t, "id"),
			Platform:   rapid.SampledFrom(certs.Platforms()).Draw(t, "platform"),
			Installed:  Installed().Draw(t, "installed"),
			Security:   rapid.SampledFrom(certs.Securities()).Draw(t, "security"),
			Connection: rapid.SampledFrom(lifecycle.Connections()).Draw(t, "connection"),
			Enrollment: rapid.SampledFrom(certs.EnrollmentConditionsAll()).Draw(t, "enrollment"),
		}
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

// Settings draws decoded .ini settings: any ClientInstallAction (or none,
// which means Install), CertEnrollAction=Enroll or not, an Installer key or
// not, and client settings.
func Settings(platform certs.Platform) *rapid.Generator[ini.Settings] {
	return rapid.Custom(func(t *rapid.T) ini.Settings {
		text := "[ClientSettings]\r\n"
		if a := rapid.SampledFrom(append([]ini.Action{0}, ini.Actions()...)).Draw(t, "action"); a.IsValid() {
			text += "ClientInstallAction=" + a.String() + "\r\n"
		}
		if rapid.Bool().Draw(t, "enroll") {
			text += "CertEnrollAction=Enroll\r\n"
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
		f, err := ini.Parse("ClientSettings.ini", []byte(text))
		if err != nil {
			t.Fatalf("generated .ini does not parse: %v", err)
		}
		s, err := f.Settings()
		if err != nil {
			t.Fatalf("generated .ini settings: %v", err)
		}
		return s
	})
}

// Package draws a deployment package for a device of the given platform:
// any version, a complete folder or one lacking a file, and [Settings].
func Package(platform certs.Platform) *rapid.Generator[lifecycle.Package] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Package {
		folder := lifecycle.CompleteFolder(platform)
		if drop := rapid.IntRange(-1, len(folder)-1).Draw(t, "drop"); drop >= 0 {
			folder = append(folder[:drop:drop], folder[drop+1:]...)
		}
		return lifecycle.Package{
			Version:  Version().Draw(t, "version"),
			Folder:   folder,
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

// Scenario draws a whole deployment: component, method, device, package
// for the device's platform, site and repair request. The installed client
// is drawn relative to the deployed one, so that every [lifecycle.State]
// comes up often: none, older, same, newer, or a free version.
func Scenario() *rapid.Generator[lifecycle.Scenario] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Scenario {
		d := Device().Draw(t, "device")
		p := Package(d.Platform).Draw(t, "package")
		deployed := p.Version.Uint64()
		switch rapid.SampledFrom([]string{"none", "older", "same", "newer", "free"}).Draw(t, "relation") {
		case "none":
			d.Installed = version.Version{}
		case "older":
			if deployed > 0 {
				d.Installed = version.FromUint64(deployed - rapid.Uint64Range(1, min(deployed, 1<<20)).Draw(t, "below"))
			}
		case "same":
			d.Installed = p.Version
		case "newer":
			if deployed < ^uint64(0) {
				d.Installed = version.FromUint64(deployed + rapid.Uint64Range(1, min(^uint64(0)-deployed, 1<<20)).Draw(t, "above"))
			}
		}
		return lifecycle.Scenario{
			Component: rapid.SampledFrom(lifecycle.Components()).Draw(t, "component"),
			Method:    rapid.SampledFrom(lifecycle.Methods()).Draw(t, "method"),
			Device:    d,
			Package:   p,
			Site:      Site().Draw(t, "site"),
			Repair:    rapid.Bool().Draw(t, "repair"),
		}
	})
}
