package lifecycle_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/roundtrip"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"pgregory.net/rapid"
)

// genFolderName draws a name a deployment folder may hold: a platform's
// installer or setup program or an .ini file, in any case, maybe with a
// path, or something else.
func genFolderName() *rapid.Generator[string] {
	var names []string
	for _, p := range certs.Platforms() {
		names = append(names, p.InstallerName(), p.SetupName())
	}
	names = append(names, "ClientSettings.ini", "DMCommonInstaller.ini", "Other.ini", "readme.txt", "DMInstaller_.exe", "")
	return rapid.Custom(func(t *rapid.T) string {
		name := rapid.SampledFrom(names).Draw(t, "name")
		if rapid.Bool().Draw(t, "upper") {
			name = strings.ToUpper(name)
		}
		return rapid.SampledFrom([]string{"", `sub\`, "sub/", "C:", `..\`, ".."}).Draw(t, "path") + name
	})
}

// TestFolderCompleteness: what a Folder works out when it is made is what
// the folder's names say, for every platform, and the prerequisite error
// names exactly the files lacking.
func TestFolderCompleteness(tt *testing.T) {
	base := scenario(tt)
	base.Deployment.Package.Settings.Installer = ""
	rapid.Check(tt, func(t *rapid.T) {
		names := rapid.SliceOfN(genFolderName(), 0, 20).Draw(t, "names")
		p := rapid.SampledFrom(certs.Platforms()).Draw(t, "platform")
		sc := base
		sc.Device.Platform = p
		sc.Deployment.Package.Folder = lifecycle.NewFolder(names...)
		err := lifecycle.CheckPrerequisites(sc)
		lacks := lifecycletest.FolderLacks(sc.Deployment.Package.Folder, p)
		if got := errors.Is(err, lifecycle.ErrFolderIncomplete); got != (len(lacks) > 0) {
			t.Fatalf("folder %q on %v: incomplete %v, want lacking %q (%v)", names, p, got, lacks, err)
		}
		if len(lacks) > 0 {
			want := "missing " + strings.Join(lacks, ", ") + " for " + p.String()
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("folder %q on %v: %q does not say %q", names, p, err, want)
			}
		}
	})
}

// TestFolderIsAValue: a Folder copies what it is made from and gives out
// copies, compares by its names, and encodes as the list of its names.
func TestFolderIsAValue(t *testing.T) {
	names := []string{"DMInstaller_WM6Pro.exe", "DMClientSetup_WM6Pro.exe", "ClientSettings.ini"}
	f := lifecycle.NewFolder(names...)
	names[0] = "changed by the caller"
	f.Names()[1] = "changed by the caller"
	if !f.Equal(lifecycle.CompleteFolder(certs.WM6Professional)) {
		t.Errorf("NewFolder = %q, want the complete WM6Pro folder", f.Names())
	}
	sc := scenario(t)
	sc.Deployment.Package.Folder = f
	if err := lifecycle.CheckPrerequisites(sc); errors.Is(err, lifecycle.ErrFolderIncomplete) {
		t.Errorf("a caller's change reached the folder: %v", err)
	}
	for _, empty := range []lifecycle.Folder{{}, lifecycle.NewFolder(), lifecycle.NewFolder([]string{}...)} {
		if !empty.Equal(lifecycle.Folder{}) || len(empty.Names()) != 0 {
			t.Errorf("empty folder %q", empty.Names())
		}
		if b, err := json.Marshal(empty); err != nil || string(b) != "[]" {
			t.Errorf("json.Marshal(empty folder) = %s, %v", b, err)
		}
	}
	if f.Equal(lifecycle.NewFolder("DMClientSetup_WM6Pro.exe", "DMInstaller_WM6Pro.exe", "ClientSettings.ini")) {
		t.Error("Equal ignores the order of the names")
	}
	pkg := lifecycle.Package{Version: sp2, Folder: lifecycle.NewFolder("a.exe", `sub\b.ini`)}
	back, b := roundtrip.JSON(t, pkg)
	if diff := cmp.Diff(pkg, back); diff != "" || !strings.Contains(string(b), `"folder":["a.exe","sub\\b.ini"]`) {
		t.Errorf("%s: round trip (-want +got):\n%s", b, diff)
	}
}
