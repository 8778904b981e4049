package ini_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/quote"
	"pgregory.net/rapid"
)

func TestSettingsDecode(t *testing.T) {
	f := mustParse(t, `C:\Deploy\ClientSettings.ini`, "; c\r\n[ClientSettings]\r\nclientinstallaction = none\r\nCertEnrollAction=enroll\r\nInstaller=dminstaller_WM6.EXE\r\nSiteCode=ABC\r\n[Env]\r\nMP=mp.contoso.com\r\nSiteCode=XYZ\r\n")
	s, err := f.Settings()
	if err != nil {
		t.Fatal(err)
	}
	want := ini.Settings{
		File:                `C:\Deploy\ClientSettings.ini`,
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
	var got []ini.Error
	for _, e := range list {
		got = append(got, ini.Error{File: e.File, Line: e.Line, Key: e.Key, Err: errors.New(e.Error())})
	}
	want := []ini.Error{
		{"ClientSettings.ini", 2, "ClientInstallAction", errors.New(`ini: ClientSettings.ini:2: ClientInstallAction: unknown Action "" (accepted: None, Install, Uninstall)`)},
		{"ClientSettings.ini", 3, "CertEnrollAction", errors.New(`ini: ClientSettings.ini:3: CertEnrollAction: unknown CertEnrollAction "No" (accepted: Enroll, or an empty value)`)},
		{"ClientSettings.ini", 4, "Installer", errors.New(`ini: ClientSettings.ini:4: Installer: invalid installer file name "DMInstaller_..\\x.exe": the platform has a leading, trailing or double '.'`)},
		{"ClientSettings.ini", 6, "CertEnrollAction", errors.New(`ini: ClientSettings.ini:6: CertEnrollAction: conflicting values: "enroll" here, "No" in [A] at line 3`)},
		{"ClientSettings.ini", 7, "Installer", errors.New(`ini: ClientSettings.ini:7: Installer: conflicting values: "DMInstaller_PPC.exe" here, "DMInstaller_..\\x.exe" in [A] at line 4`)},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a.Error() == b.Error() })); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
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

// TestSettingsErrorFields: every invalid value of a known key is an *Error
// that carries the file name, the line and the key as the file writes them,
// so that another package can report the configuration error from its
// fields.
func TestSettingsErrorFields(t *testing.T) {
	tests := []struct {
		doc       string
		line      int
		key, want string // want: the cause, in the message
	}{
		{"[S]\r\nClientInstallAction=Reinstall\r\n", 2, "ClientInstallAction", `unknown Action "Reinstall" (accepted: None, Install, Uninstall)`},
		{"[S]\nclientinstallaction= install\x00\n", 2, "clientinstallaction", `unknown Action "install\x00"`},
		{"; c\n[S]\nCertEnrollAction=Enrol\n", 3, "CertEnrollAction", `unknown CertEnrollAction "Enrol" (accepted: Enroll, or an empty value)`},
		{"[S]\n\n[T]\nINSTALLER=..\\cmd.exe\n", 4, "INSTALLER", `invalid installer file name "..\\cmd.exe": not DMInstaller_<platform>.exe`},
		{"[S]\nInstaller=DMInstaller_" + strings.Repeat("p", 500) + ".exe\n", 2, "Installer", `invalid installer file name "DMInstaller_` + strings.Repeat("p", 88) + `"...: `},
	}
	for _, tt := range tests {
		f := mustParse(t, `C:\Deploy\ClientSettings.ini`, tt.doc)
		_, err := f.Settings()
		var e *ini.Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v is not an *ini.Error", tt.doc, err)
			continue
		}
		if e.File != `C:\Deploy\ClientSettings.ini` || e.Line != tt.line || e.Key != tt.key || !strings.Contains(e.Error(), tt.want) {
			t.Errorf("%q: got %+v %q; want line %d key %s cause %s", tt.doc, *e, e, tt.line, tt.key, tt.want)
		}
		if len(e.Error()) > 300 {
			t.Errorf("%q: message of %d bytes", tt.doc, len(e.Error()))
		}
	}
}

// TestSettingsLine: a caller that checks a value itself (lifecycle checks
// the Installer's platform) can place its own error at the entry's line.
func TestSettingsLine(t *testing.T) {
	f := mustParse(t, "ClientSettings.ini", "; c\r\n[S]\r\nX=1\r\ninstaller = DMInstaller_WM6.exe\r\n")
	s, err := f.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.File != "ClientSettings.ini" || s.Line(ini.KeyInstaller) != 4 || s.Line("INSTALLER") != 4 {
		t.Errorf("File %q, Line(Installer) %d", s.File, s.Line(ini.KeyInstaller))
	}
	if s.Line(ini.KeyClientInstallAction) != 0 || s.Line("X") != 0 {
		t.Errorf("Line of a defaulted action %d, of an unknown key %d", s.Line(ini.KeyClientInstallAction), s.Line("X"))
	}
	err = &ini.Error{File: s.File, Line: s.Line(ini.KeyInstaller), Key: ini.KeyInstaller, Err: errors.New("not for platform PPC2003")}
	if got, want := err.Error(), "ini: ClientSettings.ini:4: Installer: not for platform PPC2003"; got != want {
		t.Errorf("message %q, want %q", got, want)
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
		if p, err := ini.InstallerPlatform(name); err == nil || !strings.HasPrefix(err.Error(), "ini: invalid installer file name ") {
			t.Errorf("InstallerPlatform(%q) = %q, %v; want an invalid installer file name", name, p, err)
		}
	}
	if _, err := ini.InstallerName("../x"); err == nil {
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
	if err == nil || !strings.Contains(err.Error(), "conflicting values") {
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
			want = []ini.Warning{{File: name, Line: 2, Section: "Installer", Key: "Installer"}}
		}
		if diff := cmp.Diff(want, w); diff != "" {
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

// checkEnum checks the enum convention over the whole input space of an
// enum whose valid values are valid, in order.
func checkEnum[T enum](t *testing.T, typ string, valid []T, unmarshal func(*T, []byte) error) {
	t.Helper()
	var names []string
	for _, v := range valid {
		names = append(names, v.String())
	}
	for n := range 256 {
		v := T(n)
		i := slices.Index(valid, v)
		text, err := v.MarshalText()
		if i < 0 {
			if want := fmt.Sprintf("%s(%d)", typ, n); v.String() != want {
				t.Errorf("String(%d) = %q, want %q", n, v.String(), want)
			}
			if err == nil || !strings.HasPrefix(err.Error(), "ini: ") {
				t.Errorf("MarshalText(%d) = %q, %v; want an error", n, text, err)
			}
			continue
		}
		if err != nil || string(text) != names[i] {
			t.Errorf("MarshalText(%v) = %q, %v", v, text, err)
		}
		for _, s := range []string{v.String(), strings.ToLower(v.String()), strings.ToUpper(v.String())} {
			var back T
			if err := unmarshal(&back, []byte(s)); err != nil || back != v {
				t.Errorf("UnmarshalText(%q) = %v, %v", s, back, err)
			}
		}
	}
	for _, s := range []string{"", "x", strings.Repeat("y", 1000)} {
		back := valid[0]
		err := unmarshal(&back, []byte(s))
		want := fmt.Sprintf("ini: unknown %s %s (accepted: %s)", typ, quote.Short(s), strings.Join(names, ", "))
		if err == nil || err.Error() != want || back != valid[0] {
			t.Errorf("UnmarshalText(%.20q) = %v, %v; want %s and the value unchanged", s, back, err, want)
		}
	}
}

func TestEnums(t *testing.T) {
	checkEnum(t, "Action", ini.Actions(), (*ini.Action).UnmarshalText)
	checkEnum(t, "Kind", []ini.Kind{ini.KindUnknown, ini.KindDMCommonInstaller, ini.KindClientSettings}, (*ini.Kind).UnmarshalText)
	checkEnum(t, "Encoding", []ini.Encoding{ini.EncodingANSI, ini.EncodingUTF8BOM, ini.EncodingUTF16LE, ini.EncodingUTF16BE}, (*ini.Encoding).UnmarshalText)
	if got := []string{ini.Action(0).String(), ini.ActionNone.String(), ini.ActionInstall.String(), ini.ActionUninstall.String()}; !cmp.Equal(got, []string{"Action(0)", "None", "Install", "Uninstall"}) {
		t.Errorf("Action strings %q", got)
	}
	if got := []string{ini.KindUnknown.String(), ini.Encoding(0).String()}; !cmp.Equal(got, []string{"unknown", "Encoding(0)"}) {
		t.Errorf("zero strings %q", got)
	}
	if ini.Action(0).IsValid() || !ini.ActionUninstall.IsValid() || ini.Action(4).IsValid() {
		t.Errorf("IsValid wrong")
	}
	for _, a := range ini.Actions() {
		for _, s := range []string{a.String(), strings.ToLower(a.String()), " " + strings.ToUpper(a.String()) + "\t"} {
			if got, err := ini.ParseAction(s); err != nil || got != a {
				t.Errorf("ParseAction(%q) = %v, %v", s, got, err)
			}
		}
	}
	if _, err := ini.ParseAction("Reinstall"); err == nil || err.Error() != `ini: unknown Action "Reinstall" (accepted: None, Install, Uninstall)` {
		t.Errorf("ParseAction(Reinstall) = %v", err)
	}
	b, err := json.Marshal(struct{ A ini.Action }{ini.ActionNone})
	if err != nil || string(b) != `{"A":"None"}` {
		t.Errorf("JSON %s %v", b, err)
	}
	if _, err := json.Marshal(struct{ A ini.Action }{}); err == nil {
		t.Errorf("JSON of the zero Action succeeded")
	}
}

// TestErrorMessagesAreShort: a bad name or value, however long, is quoted
// in at most about 100 bytes, in the message and in the key it prints.
func TestErrorMessagesAreShort(t *testing.T) {
	long := strings.Repeat("k", 1<<20)
	f := mustParse(t, "x.ini", "[S]\nk=v\n")
	_, err := f.SetSettings(ini.Settings{ActionDefaulted: true, ClientInstallAction: ini.ActionInstall,
		Unknown: []ini.Entry{{Section: "S", Key: long + "=", Value: "v", Line: 7}}})
	var e *ini.Error
	if !errors.As(err, &e) || e.Line != 7 || e.Key != long+"=" || len(err.Error()) > 400 {
		t.Errorf("SetSettings of a long bad key: %d bytes: %.300s", len(err.Error()), err)
	}
	for _, err := range []error{
		f.Set("S", long+"\n", "v"), f.Set("S", "k", long+"\x00"), f.Set(long+"]", "k", "v"),
		&ini.Error{File: "x.ini", Line: 1, Key: "a\x1b[2Jb", Err: errors.New("cause")},
		&ini.Error{File: "x.ini", Line: 1, Key: "a\u009b2Jb", Err: errors.New("cause")}, // a C1 control (CSI)
		&ini.Error{File: "x.ini", Line: 1, Key: "a\u202eb", Err: errors.New("cause")},   // a bidirectional override
		conflict(t, strings.Repeat("s", 3000)), conflict(t, "a\x1b[2Jb"),                // the section of the first value of a conflict
	} {
		if err == nil || len(err.Error()) > 400 || strings.ContainsFunc(err.Error(), func(r rune) bool { return !strconv.IsPrint(r) }) {
			t.Errorf("message of %d bytes: %.300q", len(err.Error()), err)
		}
	}
}

// conflict returns the error of Settings for a ClientInstallAction given
// in the section named section, then differently in [S].
func conflict(t *testing.T, section string) error {
	t.Helper()
	_, err := mustParse(t, "x.ini", "["+section+"]\nClientInstallAction=None\n[S]\nClientInstallAction=Install\n").Settings()
	if !strings.Contains(fmt.Sprint(err), "conflicting values") {
		t.Fatalf("[%.20s]: %v, want a conflict", section, err)
	}
	return err
}

// TestManyErrors: every problem of a file with many is reported, in line
// order, each with its own line and message.
func TestManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("[S0]\nClientInstallAction=None\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "[S%d]\rhidden\nClientInstallAction=v%d\n", i, i)
	}
	f := mustParse(t, "many.ini", b.String())
	_, err := f.Settings()
	var list ini.ErrorList
	if !errors.As(err, &list) || len(list) != 40 {
		t.Fatalf("%d errors, want 40: %v", len(list), err)
	}
	for i, e := range list {
		n := i/2 + 1 // the section
		line, want := 2*n+1, fmt.Sprintf(`ini: many.ini:%d: bare CR: it ends no line for Windows, which reads "hidden" after it`, 2*n+1)
		if i%2 == 1 {
			line, want = 2*n+2, fmt.Sprintf(`ini: many.ini:%d: ClientInstallAction: conflicting values: "v%d" here, "None" in [S0] at line 2`, 2*n+2, n)
		}
		if e.Line != line || !strings.HasPrefix(e.Error(), want) {
			t.Errorf("error %d: line %d %q; want line %d %q", i, e.Line, e, line, want)
		}
	}
}

// TestValueIsFirstPair: Value(key) is the value of the first pair of Pairs
// whose key equals key ignoring case, for settings of any shape: entries
// with known and unknown names in any case, in Known or Unknown, in any
// line order, and any known fields.
func TestValueIsFirstPair(t *testing.T) {
	keys := append([]string{ini.KeyClientInstallAction, "clientinstallaction", ini.KeyCertEnrollAction, "CERTENROLLACTION",
		ini.KeyInstaller, "installer", "Other", ""}, foldNames...)
	// Most entries share a few names, so that several name the key asked
	// for, on the same line or not.
	few := rapid.SampledFrom([]string{"Other", "OTHER", "ClientInstallAction", "clientinstallaction", "k", "\u212A"})
	genEntries := func(t *rapid.T, label string) []ini.Entry {
		return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) ini.Entry {
			return ini.Entry{Section: "S", Key: rapid.OneOf(few, few, rapid.SampledFrom(keys)).Draw(t, "key"),
				Value: rapid.SampledFrom([]string{"", "v", "w", "Install", "bogus"}).Draw(t, "value"), Line: rapid.IntRange(0, 3).Draw(t, "line")}
		}), 0, 6).Draw(t, label)
	}
	rapid.Check(t, func(t *rapid.T) {
		s := ini.Settings{
			ClientInstallAction: rapid.SampledFrom(append(ini.Actions(), 0)).Draw(t, "action"),
			ActionDefaulted:     rapid.Bool().Draw(t, "defaulted"),
			CertEnrollAction:    rapid.SampledFrom([]string{"", ini.CertEnroll, "ENROLL", "x"}).Draw(t, "enroll"),
			Installer:           rapid.SampledFrom([]string{"", "DMInstaller_PPC2003.exe"}).Draw(t, "installer"),
			Known:               genEntries(t, "known"),
			Unknown:             genEntries(t, "unknown"),
		}
		key := rapid.OneOf(few, rapid.SampledFrom(keys)).Draw(t, "query")
		want, wantOK := "", false
		for _, p := range s.Pairs() {
			if strings.EqualFold(p.Key, key) {
				want, wantOK = p.Value, true
				break
			}
		}
		if got, ok := s.Value(key); got != want || ok != wantOK {
			t.Fatalf("Value(%q) = %q, %v; the first pair gives %q, %v (pairs %q)", key, got, ok, want, wantOK, s.Pairs())
		}
	})
}

func TestValueDoesNotAllocate(t *testing.T) {
	f, err := ini.Parse("ClientSettings.ini", []byte("[ClientSettings]\r\nClientInstallAction=Install\r\nPollingInterval=15\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { s.Value("pollinginterval"); s.Value("ClientInstallAction") }); n != 0 {
		t.Errorf("Value allocates %v times", n)
	}
}
