package lifecycle_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
)

var prerequisiteSentinels = []error{
	lifecycle.ErrNoClientAgent, lifecycle.ErrFolderIncomplete, lifecycle.ErrInvalidSettings,
	lifecycle.ErrConnection, lifecycle.ErrNotManaged, lifecycle.ErrNoManagementPoint,
	lifecycle.ErrNoDistributionPoint, lifecycle.ErrInventoryNotExtended,
	lifecycle.ErrPasswordProgramPlatform, lifecycle.ErrEnrollmentNotEnforced,
}

// TestPrerequisitesExhaustive checks CheckPrerequisites over every
// combination of the inputs it reads, against the product page's list
// restated here: every missing prerequisite is reported, at once, and
// nothing else.
func TestPrerequisitesExhaustive(t *testing.T) {
	inis := map[[2]string]ini.Settings{}
	iniText := func(enroll bool, installer string) ini.Settings {
		text := "[ClientSettings]\nClientInstallAction=Install\n"
		if enroll {
			text += "CertEnrollAction=Enroll\n"
		}
		key := [2]string{text, installer}
		if s, ok := inis[key]; ok {
			return s
		}
		inis[key] = settings(t, text+"Installer="+installer+"\n")
		return inis[key]
	}
	n := 0
	base := deployment(t, sp2)
	for _, comp := range components {
		for _, method := range lifecycle.Methods() {
			for _, conn := range lifecycle.Connections() {
				for _, p := range certs.Platforms() {
					for site := range 16 {
						for flags := range 32 {
							folderOK, installerOK, enroll := flags&1 != 0, flags&2 != 0, flags&4 != 0
							managed, certificate := flags&8 != 0, flags&16 != 0
							for _, mode := range certs.SiteModes() {
								dep := base
								dep.Component, dep.Method = comp, method
								dev := lifecycle.Device{Platform: p, Connection: conn, Certificate: certificate}
								if managed {
									dev.Client = sp1
								}
								dep.Package.Folder = lifecycle.CompleteFolder(p)
								if !folderOK {
									dep.Package.Folder = lifecycle.NewFolder(dep.Package.Folder.Names()[1:]...)
								}
								installer := p.InstallerName()
								if !installerOK {
									installer = certs.Platforms()[(int(p) % 7)].InstallerName() // another platform's
								}
								dep.Package.Settings = iniText(enroll, installer)
								dep.Site = lifecycle.Site{Mode: mode, ClientAgent: site&1 != 0, ManagementPoint: site&2 != 0,
									DistributionPoint: site&4 != 0, InventoryExtended: site&8 != 0}

								var want []error
								miss := func(cond bool, err error) {
									if cond {
										want = append(want, err)
									}
								}
								miss(!dep.Site.ClientAgent, lifecycle.ErrNoClientAgent)
								miss(!folderOK, lifecycle.ErrFolderIncomplete)
								miss(!installerOK, lifecycle.ErrInvalidSettings)
								switch method {
								case lifecycle.SoftwareDistribution:
									miss(conn != lifecycle.ViaManagedComputer, lifecycle.ErrConnection)
									miss(!dep.Site.ManagementPoint, lifecycle.ErrNoManagementPoint)
									miss(!dep.Site.DistributionPoint, lifecycle.ErrNoDistributionPoint)
									miss(!dep.Site.InventoryExtended, lifecycle.ErrInventoryNotExtended)
								case lifecycle.ManualSync:
									miss(conn != lifecycle.ViaManagedComputer && conn != lifecycle.ViaUnmanagedComputer, lifecycle.ErrConnection)
								case lifecycle.OverTheAir:
									miss(conn != lifecycle.ViaAir, lifecycle.ErrConnection)
									// "Upgrade an already managed mobile device over-the-air":
									// managed means a client is installed, whatever the component.
									miss(!managed, lifecycle.ErrNotManaged)
									miss(!dep.Site.ManagementPoint, lifecycle.ErrNoManagementPoint)
									miss(!dep.Site.DistributionPoint, lifecycle.ErrNoDistributionPoint)
								}
								miss(comp == lifecycle.PasswordProgram && p != certs.PocketPC2003, lifecycle.ErrPasswordProgramPlatform)
								// Install (none) and upgrade (older) both leave a client that
								// needs a certificate, which enrollment gives only with Enroll.
								miss(comp == lifecycle.Client && mode != certs.Mixed && !enroll && !certificate, lifecycle.ErrEnrollmentNotEnforced)

								err := lifecycle.CheckPrerequisites(lifecycle.Scenario{Device: dev, Deployment: dep})
								var got []error
								for _, s := range prerequisiteSentinels {
									if errors.Is(err, s) {
										got = append(got, s)
									}
								}
								if !slices.Equal(want, got) {
									t.Fatalf("%v by %v via %v on %v, site %04b, flags %05b, %v:\n got %v\nwant %v",
										comp, method, conn, p, site, flags, mode, err, want)
								}
								if err != nil && (!strings.HasPrefix(err.Error(), "lifecycle: ") || strings.Count(err.Error(), "; ") != len(want)-1) {
									t.Fatalf("message %q for %d missing", err, len(want))
								}
								n++
							}
						}
					}
				}
			}
		}
	}
	if n != 2*4*4*7*16*32*3 {
		t.Errorf("checked %d combinations", n)
	}
}

// TestPrerequisitesOneAllocation: a failed check costs one allocation,
// however many prerequisites are missing.
func TestPrerequisitesOneAllocation(t *testing.T) {
	sc := scenario(t)
	sc.Deployment.Site = lifecycle.Site{Mode: certs.Native}
	sc.Deployment.Package.Folder = lifecycle.Folder{}
	if err := lifecycle.CheckPrerequisites(sc); err == nil {
		t.Fatal("no prerequisite missing")
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = lifecycle.CheckPrerequisites(sc) }); allocs > 1 {
		t.Errorf("CheckPrerequisites allocates %v times", allocs)
	}
}

// TestEnrollmentOnlyWhereItRuns: "If your environment is configured for
// native mode or server authentication mode, certificate enrollment will
// be required." Modelling choice: only a deployment that will enroll needs
// CertEnrollAction=Enroll; an uninstall, a decision of no action, the
// password program and a device that holds a valid certificate do not.
func TestEnrollmentOnlyWhereItRuns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*lifecycle.Scenario)
		refuse bool
	}{
		{"install", func(sc *lifecycle.Scenario) {}, true},
		{"uninstall", func(sc *lifecycle.Scenario) {
			sc.Device.Client = sp1
			sc.Deployment.Package.Settings = settings(t, "[S]\nClientInstallAction=Uninstall\n")
		}, false},
		{"newer client, no action", func(sc *lifecycle.Scenario) { sc.Device.Client = r3 }, false},
		{"holds a certificate", func(sc *lifecycle.Scenario) { sc.Device.Certificate = true }, false},
		{"renewal asked for", func(sc *lifecycle.Scenario) {
			sc.Device.Certificate = true
			sc.Deployment.RenewCertificate = true
		}, true},
	} {
		sc := scenario(t)
		sc.Deployment.Site.Mode = certs.Native
		tc.edit(&sc)
		err := lifecycle.CheckPrerequisites(sc)
		if got := errors.Is(err, lifecycle.ErrEnrollmentNotEnforced); got != tc.refuse {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestFolderEntriesAreBareNames: an entry with a path is not a file of the
// deployment folder.
func TestFolderEntriesAreBareNames(t *testing.T) {
	for _, ini := range []string{`..\..\..\Windows\ClientSettings.ini`, `C:ClientSettings.ini`,
		"sub/ClientSettings.ini", `..ClientSettings.ini`} {
		sc := scenario(t)
		sc.Deployment.Package.Folder = lifecycle.NewFolder(certs.WM6Professional.InstallerName(), certs.WM6Professional.SetupName(), ini)
		if err := lifecycle.CheckPrerequisites(sc); !errors.Is(err, lifecycle.ErrFolderIncomplete) {
			t.Errorf("folder with %q: %v", ini, err)
		}
	}
}

func TestPrerequisitesInvalidInput(t *testing.T) {
	sc := scenario(t)
	sc.Deployment.Component = 0
	sc.Device.Platform = 99
	sc.Deployment.Site.Mode = 0
	err := lifecycle.CheckPrerequisites(sc)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ie *lifecycle.InputError
		if !errors.As(e, &ie) || !errors.Is(e, lifecycle.ErrInvalidInput) {
			t.Fatalf("%v is not an InputError", e)
		}
		fields = append(fields, ie.Field)
	}
	if diff := cmp.Diff([]string{"device.platform", "deployment.component", "deployment.site.mode"}, fields); diff != "" {
		t.Errorf("fields mismatch (-want +got):\n%s", diff)
	}
	if err := lifecycle.CheckPrerequisites(scenario(t)); err != nil {
		t.Errorf("the test scenario misses %v", err)
	}
}

// TestEnrollmentNotEnforcedSaysWhy: the message of a missing
// CertEnrollAction=Enroll says why the deployment enrolls. It said "the
// device holds no valid certificate" also for a device that holds one
// and a deployment that asks for renewal.
func TestEnrollmentNotEnforcedSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		certificate, renew bool
		want               string
	}{
		{false, false, "native mode, and the device holds no valid certificate"},
		{false, true, "native mode, and the device holds no valid certificate"},
		{true, true, "native mode, and the deployment renews the device's certificate"},
	} {
		sc := scenario(t)
		sc.Deployment.Site.Mode = certs.Native
		sc.Device.Certificate, sc.Deployment.RenewCertificate = tc.certificate, tc.renew
		err := lifecycle.CheckPrerequisites(sc)
		if !errors.Is(err, lifecycle.ErrEnrollmentNotEnforced) || !strings.HasSuffix(err.Error(), ": "+tc.want) {
			t.Errorf("certificate %v, renew %v: %v; want it to end %q", tc.certificate, tc.renew, err, tc.want)
		}
	}
}
