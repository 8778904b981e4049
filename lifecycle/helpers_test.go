package lifecycle_test

import (
	"testing"
	"time"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/roundtrip"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// The versions the tests deploy: ConfigMgr 2007 SP1, SP2 and R3.
var (
	sp1 = version.MustParse("4.00.6221.1000")
	sp2 = version.MustParse("4.00.6487.2000")
	r3  = version.MustParse("4.00.6487.2157")
)

// clock is the fixed time the tests' machines stamp their logs with.
func clock() time.Time { return time.Date(2026, 11, 26, 9, 43, 0, 0, time.UTC) }

var opts = lifecycle.Options{Clock: clock}

// settings decodes a ClientSettings.ini text, failing the test on error.
func settings(t testing.TB, text string) ini.Settings {
	t.Helper()
	s, err := lifecycle.ReadSettings("ClientSettings.ini", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// device is an unlocked Windows Mobile 6 Professional device with no
// client, synchronising through a managed client computer.
func device() lifecycle.Device {
	return lifecycle.Device{
		ID: "wm6pro-01", Platform: certs.WM6Professional,
		Security:   certs.Security{TrustsMobile2Market: true},
		Connection: lifecycle.ViaManagedComputer, Computer: "DESKTOP-01",
		Enrollment: certs.EnrollmentConditions{CAReachable: true, AuthenticationSucceeds: true},
	}
}

// deployment distributes package version v with ClientInstallAction=Install
// by software distribution from a mixed-mode site that has every
// prerequisite.
func deployment(t testing.TB, v version.Version) lifecycle.Deployment {
	return lifecycle.Deployment{
		Component: lifecycle.Client, Method: lifecycle.SoftwareDistribution,
		Package: lifecycle.Package{Version: v, Folder: lifecycle.CompleteFolder(certs.Platforms()...),
			Settings: settings(t, "[ClientSettings]\r\nClientInstallAction=Install\r\n")},
		Site: lifecycle.Site{Mode: certs.Mixed, ClientAgent: true, ManagementPoint: true,
			DistributionPoint: true, InventoryExtended: true},
	}
}

// scenario is device() under deployment(sp2).
func scenario(t testing.TB) lifecycle.Scenario {
	return lifecycle.Scenario{Device: device(), Deployment: deployment(t, sp2)}
}

// roundTrip returns v encoded as JSON and decoded again.
func roundTrip[T any](t roundtrip.TB, v T) T {
	t.Helper()
	back, _ := roundtrip.JSON(t, v)
	return back
}

// newMachine returns a machine of dev with opts and, unless opts has a
// clock, the fixed clock.
func newMachine(t testing.TB, dev lifecycle.Device, opts lifecycle.Options) *lifecycle.Machine {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = clock
	}
	m, err := lifecycle.NewMachine(dev, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// genScenario draws scenarios from every dimension the model reads, with
// the installed versions drawn around the deployed one so that every state
// comes up.
func genScenario(t testing.TB) *rapid.Generator[lifecycle.Scenario] {
	versions := []version.Version{{}, sp1, sp2, r3}
	inis := []ini.Settings{
		settings(t, "[ClientSettings]\nClientInstallAction=Install\n"),
		settings(t, "[ClientSettings]\nClientInstallAction=None\n"),
		settings(t, "[ClientSettings]\nClientInstallAction=Uninstall\n"),
		settings(t, "[ClientSettings]\nClientInstallAction=Install\nCertEnrollAction=Enroll\n"),
		settings(t, "[ClientSettings]\nCertEnrollAction=Enroll\nPollingInterval=60\n"),
	}
	return rapid.Custom(func(t *rapid.T) lifecycle.Scenario {
		p := rapid.SampledFrom(certs.Platforms()).Draw(t, "platform")
		dev := lifecycle.Device{
			ID:              rapid.StringMatching(`[a-z0-9-]{0,12}`).Draw(t, "id"),
			Platform:        p,
			Client:          rapid.SampledFrom(versions).Draw(t, "client"),
			PasswordProgram: rapid.SampledFrom(versions).Draw(t, "passwordProgram"),
			Security:        rapid.SampledFrom(certs.Securities()).Draw(t, "security"),
			Connection:      rapid.SampledFrom(lifecycle.Connections()).Draw(t, "connection"),
			Enrollment:      rapid.SampledFrom(certs.EnrollmentConditionsAll()).Draw(t, "enrollment"),
			Certificate:     rapid.Bool().Draw(t, "certificate"),
		}
		if rapid.Bool().Draw(t, "settings") {
			dev.Settings = []lifecycle.Setting{{Key: "PollingInterval", Value: "15", UserChanged: true}}
		}
		folder := lifecycle.CompleteFolder(p)
		if rapid.IntRange(0, 9).Draw(t, "folder") == 0 {
			folder = lifecycle.NewFolder(folder.Names()[1:]...)
		}
		dep := lifecycle.Deployment{
			Component: rapid.SampledFrom(components).Draw(t, "component"),
			Method:    rapid.SampledFrom(lifecycle.Methods()).Draw(t, "method"),
			Package: lifecycle.Package{Version: rapid.SampledFrom(versions[1:]).Draw(t, "deployed"), Folder: folder,
				Settings: rapid.SampledFrom(inis).Draw(t, "ini")},
			Site: lifecycle.Site{Mode: rapid.SampledFrom(certs.SiteModes()).Draw(t, "mode"),
				ClientAgent: rapid.IntRange(0, 9).Draw(t, "agent") > 0, ManagementPoint: rapid.Bool().Draw(t, "mp"),
				DistributionPoint: rapid.Bool().Draw(t, "dp"), InventoryExtended: rapid.Bool().Draw(t, "inventory")},
			Repair:           rapid.IntRange(0, 5).Draw(t, "repair") == 0,
			RenewCertificate: rapid.Bool().Draw(t, "renew"),
		}
		return lifecycle.Scenario{Device: dev, Deployment: dep}
	})
}

// The components and the events, every valid value of each.
var (
	components = []lifecycle.Component{lifecycle.Client, lifecycle.PasswordProgram}
	events     = []lifecycle.Event{lifecycle.NoAction, lifecycle.Install, lifecycle.Upgrade, lifecycle.Reconfigure, lifecycle.Uninstall, lifecycle.Repair}
)
