package ini_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/ini"
)

func TestSettingsDecode(t *testing.T) {
	f := mustParse(t, `C:\Deploy\ClientSettings.ini`, "; c\r\n[ClientSettings]\r\nclientinstallaction = none\r\nCertEnrollAction=enroll\r\nInstaller=dminstaller_WM6.EXE\r\nSiteCode=ABC\r\n[Env]\r\nMP=mp.contoso.com\r\nSiteCode=XYZ\r\n")
	s, err := f.Settings()
	if err != nil {
		t.Fatal(err)
	}
	want := ini.Settings{
		ClientInstallAction: ini.ActionNone,
		CertEnrollAction:    ini.CertEnroll,
		Installer:           "dminstaller_WM6.EXE",
		Known: []ini.Entry{
			{"ClientSettings", "clientinstallaction", "none", 3},
			{"ClientSettings", "CertEnrollAction", "enroll", 4},
			{"ClientSettings", "Installer", "dminstaller_WM6.EXE", 5},
		},
		Unknown: []ini.Entry{
			{"ClientSettings", "SiteCode", "ABC", 6},
			{"Env", "MP", "mp.contoso.com", 8},
			{"Env", "SiteCode", "XYZ", 9},
		},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Settings mismatch (-want +got):\n%s", diff)
	}
	if !s.Enroll() || s.Platform() != "WM6" {
		t.Errorf("Enroll() = %v, Platform() = %q", s.Enroll(), s.Platform())
	}
	wantPairs := []ini.Pair{
		{"ClientSettings", "clientinstallaction", "None"},
		{"ClientSettings", "CertEnrollAction", "Enroll"},
		{"ClientSettings", "Installer", "dminstaller_WM6.EXE"},
		{"ClientSettings", "SiteCode", "ABC"},
		{"Env", "MP", "mp.contoso.com"},
		{"Env", "SiteCode", "XYZ"},
	}
	if diff := cmp.Diff(wantPairs, s.Pairs()); diff != "" {
		t.Errorf("Pairs mismatch (-want +got):\n%s", diff)
	}
}

// TestMissingActionDefaultsToInstall pins the modelling choice: no
// ClientInstallAction means Install, and the defaulting is recorded.
func TestMissingActionDefaultsToInstall(t *testing.T) {
	for _, doc := range []string{"", "[S]\nCertEnrollAction=Enroll\n", "ClientInstallAction=None\n[S]\n", "[S]\n;ClientInstallAction=None\n"} {
		s, err := mustParse(t, "x.ini", doc).Settings()
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if s.ClientInstallAction != ini.ActionInstall || !s.ActionDefaulted {
			t.Errorf("%q: action %v defaulted %v, want Install defaulted", doc, s.ClientInstallAction, s.ActionDefaulted)
		}
		for _, p := range s.Pairs() {
			if p.Key == ini.KeyClientInstallAction {
				t.Errorf("%q: a defaulted action appears in Pairs: %v", doc, p)
			}
		}
	}
	for _, a := range ini.Actions() {
		s, err := mustParse(t, "x.ini", "[S]\nClientInstallAction="+strings.ToUpper(a.String())+"\n").Settings()
		if err != nil || s.ClientInstallAction != a || s.ActionDefaulted {
			t.Errorf("%v: got %v defaulted %v, %v", a, s.ClientInstallAction, s.ActionDefaulted, err)
		}
	}
}

func TestSettingsErrors(t *testing.T) {
	doc := "[A]\nClientInstallAction=\nCertEnrollAction=No\nInstaller=DMInstaller_..\\x.exe\n[B]\nCertEnrollAction=enroll\nInstaller=DMInstaller_PPC.exe\nOther=1\n"
	f := mustParse(t, "ClientSettings.ini", doc)
	s, err := f.Settings()
	var list ini.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v is not an ErrorList", err)
	}
	type problem struct {
		Line int
		Key  string
		Err  error
	}
	var got []problem
	for _, e := range list {
		if e.File != "ClientSettings.ini" || !strings.HasPrefix(e.Error(), "ClientSettings.ini:") {
			t.Errorf("error %q lacks the file name", e)
		}
		for _, sentinel := range []error{ini.ErrInvalidAction, ini.ErrInvalidCertEnrollAction, ini.ErrInvalidInstaller, ini.ErrConflict} {
			if errors.Is(e, sentinel) {
				got = append(got, problem{e.Line, e.Key, sentinel})
			}
		}
	}
	want := []problem{
		{2, "ClientInstallAction", ini.ErrInvalidAction},
		{3, "CertEnrollAction", ini.ErrInvalidCertEnrollAction},
		{4, "Installer", ini.ErrInvalidInstaller},
		{6, "CertEnrollAction", ini.ErrConflict},
		{7, "Installer", ini.ErrConflict},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	for _, sentinel := range []error{ini.ErrInvalidAction, ini.ErrConflict} {
		if !errors.Is(err, sentinel) {
			t.Errorf("errors.Is(list, %v) = false", sentinel)
		}
	}
	var one *ini.Error
	if !errors.As(err, &one) || one.Line != 2 {
		t.Errorf("errors.As(*Error) = %v", one)
	}
	// What decoded is still returned; bad values are left at zero.
	if s.ClientInstallAction != 0 || s.ActionDefaulted || s.CertEnrollAction != "" || s.Installer != "" {
		t.Errorf("bad values decoded to %+v", s)
	}
	if len(s.Unknown) != 1 || s.Unknown[0].Key != "Other" {
		t.Errorf("Unknown = %v", s.Unknown)
	}
	// Same value in two sections is no conflict.
	if _, err := mustParse(t, "x.ini", "[A]\nCertEnrollAction=Enroll\n[B]\ncertenrollaction=ENROLL\n").Settings(); err != nil {
		t.Errorf("equal values in two sections: %v", err)
	}
}

func TestInstallerPlatform(t *testing.T) {
	valid := map[string]string{
		"DMInstaller_PPC2003.exe":      "PPC2003",
		"dminstaller_wm5.EXE":          "wm5",
		"DMInstaller_CE5.0_ARMV4I.exe": "CE5.0_ARMV4I",
		"DMInstaller_x-y.exe":          "x-y",
	}
	for name, want := range valid {
		got, err := ini.InstallerPlatform(name)
		if err != nil || got != want {
			t.Errorf("InstallerPlatform(%q) = %q, %v; want %q", name, got, err, want)
		}
		if n, err := ini.InstallerName(got); err != nil || !strings.EqualFold(n, name) {
			t.Errorf("InstallerName(%q) = %q, %v", got, n, err)
		}
	}
	invalid := []string{
		"", "DMInstaller_.exe", "DMInstaller_PPC.cab", "Setup_PPC.exe", `..\DMInstaller_PPC.exe`,
		"DMInstaller_../x.exe", `DMInstaller_a\b.exe`, "DMInstaller_a/b.exe", "DMInstaller_a..b.exe",
		"DMInstaller_.a.exe", "DMInstaller_a..exe", "DMInstaller_a:b.exe", "DMInstaller_a b.exe",
		"DMInstaller_" + strings.Repeat("p", 65) + ".exe", "DMInstaller_ü.exe", "C:DMInstaller_a.exe",
		"DMInstaller_a.exe ", "DMInstaller.exe",
	}
	for _, name := range invalid {
		if p, err := ini.InstallerPlatform(name); !errors.Is(err, ini.ErrInvalidInstaller) {
			t.Errorf("InstallerPlatform(%q) = %q, %v; want ErrInvalidInstaller", name, p, err)
		}
	}
	if _, err := ini.InstallerName("../x"); !errors.Is(err, ini.ErrInvalidInstaller) {
		t.Errorf("InstallerName(../x) = %v", err)
	}
}

func TestSetSettingsChangesOnlyWhatChanged(t *testing.T) {
	const doc = "; keep me\r\n[ClientSettings]\r\nClientInstallAction = install \r\nCertEnrollAction=Enroll\r\nSiteCode=ABC\r\n"
	f := mustParse(t, "ClientSettings.ini", doc)
	s, err := f.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if w, err := f.SetSettings(s); err != nil || len(w) != 0 || string(f.Bytes()) != doc {
		t.Fatalf("writing back unchanged settings: %v %v %q", w, err, f.Bytes())
	}
	s.ClientInstallAction = ini.ActionUninstall
	s.CertEnrollAction = ""
	s.Installer = "DMInstaller_WM6.exe"
	s.Unknown[0].Value = "XYZ"
	s.Unknown = append(s.Unknown, ini.Entry{Section: "Env", Key: "MP", Value: "mp"})
	w, err := f.SetSettings(s)
	if err != nil || len(w) != 0 {
		t.Fatalf("SetSettings: %v %v", w, err)
	}
	want := "; keep me\r\n[ClientSettings]\r\nClientInstallAction = Uninstall \r\nSiteCode=XYZ\r\nInstaller=DMInstaller_WM6.exe\r\n[Env]\r\nMP=mp\r\n"
	if diff := cmp.Diff(want, string(f.Bytes())); diff != "" {
		t.Errorf("Bytes() mismatch (-want +got):\n%s", diff)
	}
	// Back to a defaulted action removes the key.
	s.ActionDefaulted = true
	if _, err := f.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Get("ClientSettings", "ClientInstallAction"); ok {
		t.Errorf("defaulted action still written: %q", f.Bytes())
	}
	got, err := f.Settings()
	if err != nil || got.ClientInstallAction != ini.ActionInstall || !got.ActionDefaulted {
		t.Errorf("read back %+v, %v", got, err)
	}
}

func TestSetSettingsResolvesConflicts(t *testing.T) {
	f := mustParse(t, "x.ini", "[A]\nClientInstallAction=None\n[B]\nClientInstallAction=Install\n")
	s, err := f.Settings()
	if !errors.Is(err, ini.ErrConflict) {
		t.Fatalf("want a conflict, got %v", err)
	}
	if _, err := f.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	if got := string(f.Bytes()); got != "[A]\nClientInstallAction=None\n[B]\nClientInstallAction=None\n" {
		t.Errorf("got %q", got)
	}
	s.ActionDefaulted = true
	if _, err := f.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	if got := string(f.Bytes()); got != "[A]\n[B]\n" {
		t.Errorf("defaulting the action left %q", got)
	}
}

func TestSetSettingsNewKeySection(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"", "[ClientSettings]\r\nCertEnrollAction=Enroll\r\n"},
		{"[First]\n[Second]\n", "[First]\nCertEnrollAction=Enroll\n[Second]\n"},
		{"[First]\n[Second]\nInstaller=DMInstaller_A.exe\n", "[First]\n[Second]\nInstaller=DMInstaller_A.exe\nCertEnrollAction=Enroll\n"},
	}
	for _, tt := range tests {
		f := mustParse(t, "x.ini", tt.doc)
		s, _ := f.Settings()
		s.CertEnrollAction = ini.CertEnroll
		if _, err := f.SetSettings(s); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, string(f.Bytes())); diff != "" {
			t.Errorf("%q: mismatch (-want +got):\n%s", tt.doc, diff)
		}
	}
}

func TestSetSettingsWarnsOnDoNotModify(t *testing.T) {
	for _, name := range []string{"DMCommonInstaller.ini", "ClientSettings.ini"} {
		f := mustParse(t, name, "[Installer]\nInstaller=DMInstaller_WM5.exe\n[Settings]\nClientInstallAction=Install\n")
		s, _ := f.Settings()
		s.ClientInstallAction = ini.ActionNone
		w, err := f.SetSettings(s)
		if err != nil || len(w) != 0 {
			t.Fatalf("%s: changing the action: %v %v", name, w, err)
		}
		s.Installer = "DMInstaller_WM6.exe"
		w, err = f.SetSettings(s)
		if err != nil {
			t.Fatal(err)
		}
		var want []ini.Warning
		if f.Kind() == ini.KindDMCommonInstaller {
			want = []ini.Warning{{File: name, Line: 2, Section: "Installer", Key: "Installer", Err: ini.ErrDoNotModify}}
		}
		if diff := cmp.Diff(want, w, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
			t.Errorf("%s: warnings mismatch (-want +got):\n%s", name, diff)
		}
		if ini.DoNotModify(f.Kind(), "INSTALLER") != (len(want) > 0) {
			t.Errorf("%s: DoNotModify disagrees with the warnings", name)
		}
		if len(w) > 0 && !strings.HasPrefix(w[0].String(), "DMCommonInstaller.ini:2: [Installer] Installer: ") {
			t.Errorf("warning text %q", w[0])
		}
	}
}

func TestSetSettingsRejectsInvalid(t *testing.T) {
	const doc = "[S]\nClientInstallAction=Install\n"
	bad := []ini.Settings{
		{ClientInstallAction: 0},
		{ClientInstallAction: 9},
		{ClientInstallAction: ini.ActionInstall, CertEnrollAction: "Yes"},
		{ClientInstallAction: ini.ActionInstall, Installer: `..\evil.exe`},
		{ClientInstallAction: ini.ActionInstall, Unknown: []ini.Entry{{Section: "S", Key: "installer", Value: "x"}}},
		{ClientInstallAction: ini.ActionInstall, Unknown: []ini.Entry{{Section: "S", Key: "a=b", Value: "x"}}},
	}
	for _, s := range bad {
		f := mustParse(t, "x.ini", doc)
		if _, err := f.SetSettings(s); err == nil {
			t.Errorf("SetSettings(%+v) succeeded", s)
		}
		if string(f.Bytes()) != doc {
			t.Errorf("SetSettings(%+v) changed the file to %q", s, f.Bytes())
		}
	}
}

func TestKindOf(t *testing.T) {
	tests := map[string]ini.Kind{
		"DMCommonInstaller.ini":           ini.KindDMCommonInstaller,
		`C:\Deploy\dmcommoninstaller.INI`: ini.KindDMCommonInstaller,
		"/mnt/share/ClientSettings.ini":   ini.KindClientSettings,
		"CLIENTSETTINGS.INI":              ini.KindClientSettings,
		"ClientSettings.ini.bak":          ini.KindUnknown,
		"":                                ini.KindUnknown,
		`ClientSettings.ini\`:             ini.KindUnknown,
		"MyClientSettings.ini":            ini.KindUnknown,
	}
	for name, want := range tests {
		if got := ini.KindOf(name); got != want {
			t.Errorf("KindOf(%q) = %v, want %v", name, got, want)
		}
		if got := mustParse(t, name, "").Kind(); got != want {
			t.Errorf("Parse(%q).Kind() = %v, want %v", name, got, want)
		}
	}
}

// enum is what every enum of the package provides.
type enum interface {
	~uint8
	String() string
	MarshalText() ([]byte, error)
}

// checkEnum checks an enum over its whole input space.
func checkEnum[T enum](t *testing.T, all []T, parse func(string) (T, error), unmarshal func(*T, []byte) error, invalid error) {
	t.Helper()
	for i, v := range all {
		if int(v) != i+1 {
			t.Errorf("values out of order: %v at %d", v, i)
		}
		for _, s := range []string{v.String(), strings.ToLower(v.String()), strings.ToUpper(v.String())} {
			if got, err := parse(s); err != nil || got != v {
				t.Errorf("Parse(%q) = %v, %v", s, got, err)
			}
		}
		text, err := v.MarshalText()
		var back T
		if err != nil || unmarshal(&back, text) != nil || back != v {
			t.Errorf("%v: text round trip %q %v -> %v", v, text, err, back)
		}
	}
	for n := len(all) + 1; n < 256; n++ {
		v := T(n)
		if _, err := v.MarshalText(); !errors.Is(err, invalid) {
			t.Errorf("MarshalText(%d) = %v", n, err)
		}
		if !strings.Contains(v.String(), "(") {
			t.Errorf("String(%d) = %q", n, v.String())
		}
	}
	for _, s := range []string{"", "x", " " + all[0].String()} {
		if _, err := parse(s); !errors.Is(err, invalid) {
			t.Errorf("Parse(%q) = %v, want %v", s, err, invalid)
		}
	}
	var zero T
	if text, err := zero.MarshalText(); err != nil || len(text) != 0 {
		t.Errorf("zero MarshalText = %q, %v", text, err)
	}
	if err := unmarshal(&zero, []byte("nonsense")); !errors.Is(err, invalid) {
		t.Errorf("UnmarshalText(nonsense) = %v", err)
	}
}

func TestEnums(t *testing.T) {
	checkEnum(t, ini.Actions(), ini.ParseAction, (*ini.Action).UnmarshalText, ini.ErrInvalidAction)
	checkEnum(t, ini.Kinds(), ini.ParseKind, (*ini.Kind).UnmarshalText, ini.ErrInvalidKind)
	checkEnum(t, ini.Encodings(), ini.ParseEncoding, (*ini.Encoding).UnmarshalText, ini.ErrInvalidEncoding)
	if got := []string{ini.Action(0).String(), ini.ActionNone.String(), ini.ActionInstall.String(), ini.ActionUninstall.String()}; !cmp.Equal(got, []string{"unset", "None", "Install", "Uninstall"}) {
		t.Errorf("Action strings %q", got)
	}
	if ini.Action(0).IsValid() || !ini.ActionUninstall.IsValid() || ini.Action(4).IsValid() {
		t.Errorf("IsValid wrong")
	}
	b, err := json.Marshal(struct{ A ini.Action }{ini.ActionNone})
	if err != nil || string(b) != `{"A":"None"}` {
		t.Errorf("JSON %s %v", b, err)
	}
}
