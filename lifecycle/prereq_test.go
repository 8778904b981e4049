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
	"github.com/mobiledm/dmclient/version"
)

// TestPrerequisitesExhaustive checks CheckPrerequisites over every
// combination of the inputs it reads, against the product page's list
// restated here: every missing prerequisite is reported, at once, and
// nothing else.
func TestPrerequisitesExhaustive(t *testing.T) {
	sentinels := []error{
		lifecycle.ErrNoClientAgent, lifecycle.ErrFolderIncomplete, lifecycle.ErrInvalidSettings,
		lifecycle.ErrNoManagementPoint, lifecycle.ErrNoDistributionPoint, lifecycle.ErrInventoryNotExtended,
		lifecycle.ErrNotManaged, lifecycle.ErrConnection, lifecycle.ErrPasswordProgramPlatform,
		lifecycle.ErrEnrollmentNotEnforced,
	}
	settings := func(enroll bool, installer string) ini.Settings {
		text := "[ClientSettings]\nClientInstallAction=Install\n"
		if enroll {
			text += "CertEnrollAction=Enroll\n"
		}
		if installer != "" {
			text += "Installer=" + installer + "\n"
		}
		f, err := ini.Parse("ClientSettings.ini", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.Settings()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	bools := []bool{false, true}
	n := 0
	for _, comp := range lifecycle.Components() {
		for _, method := range lifecycle.Methods() {
			for _, conn := range lifecycle.Connections() {
				for _, p := range certs.Platforms() {
					for site := range 16 {
						for _, folderOK := range bools {
							for _, installerOK := range bools {
								for _, enroll := range bools {
									for _, mode := range certs.SiteModes() {
										for _, managed := range bools {
											sc := lifecycle.Scenario{Component: comp, Method: method}
											sc.Device = lifecycle.Device{Platform: p, Connection: conn}
											if managed {
												sc.Device.Installed = version.MustParse("4.0.6221.1000")
											}
											sc.Package.Version = version.MustParse("4.0.6487.2000")
											sc.Package.Folder = lifecycle.CompleteFolder(p)
											if !folderOK {
												sc.Package.Folder = sc.Package.Folder[1:]
											}
											installer := p.InstallerName()
											if !installerOK {
												installer = certs.Platforms()[(int(p) % 7)].InstallerName() // another platform's
											}
											sc.Package.Settings = settings(enroll, installer)
											sc.Site = lifecycle.Site{Mode: mode, ClientAgent: site&1 != 0, ManagementPoint: site&2 != 0,
												DistributionPoint: site&4 != 0, InventoryExtended: site&8 != 0}

											var want []error
											miss := func(cond bool, err error) {
												if cond {
													want = append(want, err)
												}
											}
											miss(!sc.Site.ClientAgent, lifecycle.ErrNoClientAgent)
											miss(!folderOK, lifecycle.ErrFolderIncomplete)
											miss(!installerOK, lifecycle.ErrInvalidSettings)
											switch method {
											case lifecycle.SoftwareDistribution:
												miss(conn != lifecycle.ViaManagedComputer, lifecycle.ErrConnection)
												miss(!sc.Site.ManagementPoint, lifecycle.ErrNoManagementPoint)
												miss(!sc.Site.DistributionPoint, lifecycle.ErrNoDistributionPoint)
												miss(!sc.Site.InventoryExtended, lifecycle.ErrInventoryNotExtended)
											case lifecycle.ManualSync:
												miss(conn != lifecycle.ViaManagedComputer && conn != lifecycle.ViaUnmanagedComputer, lifecycle.ErrConnection)
											case lifecycle.OverTheAir:
												miss(conn != lifecycle.ViaAir, lifecycle.ErrConnection)
												miss(!managed, lifecycle.ErrNotManaged)
												miss(!sc.Site.ManagementPoint, lifecycle.ErrNoManagementPoint)
												miss(!sc.Site.DistributionPoint, lifecycle.ErrNoDistributionPoint)
											}
											miss(comp == lifecycle.PasswordProgram && p != certs.PocketPC2003, lifecycle.ErrPasswordProgramPlatform)
											miss(comp == lifecycle.Client && mode != certs.Mixed && !enroll, lifecycle.ErrEnrollmentNotEnforced)

											err := lifecycle.CheckPrerequisites(sc)
											var got []error
											for _, s := range sentinels {
												if errors.Is(err, s) {
													got = append(got, s)
												}
											}
											if !slices.Equal(want, orderLike(got, want)) || len(got) != len(want) {
												t.Fatalf("%v by %v via %v on %v, site %04b, folder %v, installer %v, enroll %v, %v, managed %v:\n got %v\nwant %v",
													comp, method, conn, p, site, folderOK, installerOK, enroll, mode, managed, err, want)
											}
											if err != nil {
												var pe *lifecycle.PrerequisiteError
												if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "lifecycle: ") {
													t.Fatalf("error %v is not a PrerequisiteError", err)
												}
											}
											n++
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
	if n != 2*4*4*7*16*2*2*2*3*2 {
		t.Errorf("checked %d combinations", n)
	}
}

// orderLike returns got sorted in the order of want, so that the
// comparison ignores order but not content.
func orderLike(got, want []error) []error {
	out := slices.Clone(got)
	slices.SortFunc(out, func(a, b error) int { return slices.Index(want, a) - slices.Index(want, b) })
	return out
}

func TestPrerequisitesInvalidInput(t *testing.T) {
	sc := lifecycle.DefaultScenario()
	sc.Component = 0
	sc.Device.Platform = 99
	sc.Site.Mode = 0
	err := lifecycle.CheckPrerequisites(sc)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ie *lifecycle.InputError
		if !errors.As(e, &ie) || !errors.Is(e, lifecycle.ErrInvalidInput) {
			t.Fatalf("%v is not an InputError", e)
		}
		fields = append(fields, ie.Field)
	}
	if diff := cmp.Diff([]string{"Component", "Device.Platform", "Site.Mode"}, fields); diff != "" {
		t.Errorf("fields mismatch (-want +got):\n%s", diff)
	}
	if err := lifecycle.CheckPrerequisites(lifecycle.DefaultScenario()); err != nil {
		t.Errorf("default scenario misses %v", err)
	}
}

func TestRequiredFiles(t *testing.T) {
	if diff := cmp.Diff([]string{"DMInstaller_WM6Pro.exe", "DMClientSetup_WM6Pro.exe"}, lifecycle.RequiredFiles(certs.WM6Professional)); diff != "" {
		t.Errorf("RequiredFiles mismatch (-want +got):\n%s", diff)
	}
}
