package ini_test

import (
	"errors"
	"fmt"

	"github.com/mobiledm/dmclient/ini"
)

const sample = "; ClientSettings.ini\r\n" +
	"[ClientSettings]\r\n" +
	"ClientInstallAction = Install\r\n" +
	"CertEnrollAction=Enroll\r\n" +
	"Installer=\"DMInstaller_PPC2003.exe\"\r\n" +
	"SiteCode=ABC   ; no end-of-line comments\r\n"

func ExampleParse() {
	f, err := ini.Parse("ClientSettings.ini", []byte(sample))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Kind(), f.Encoding())
	fmt.Println(string(f.Bytes()) == sample)
	for _, e := range f.Entries() {
		fmt.Printf("%d [%s] %s=%q\n", e.Line, e.Section, e.Key, e.Value)
	}
	// Output:
	// ClientSettings.ini ANSI
	// true
	// 3 [ClientSettings] ClientInstallAction="Install"
	// 4 [ClientSettings] CertEnrollAction="Enroll"
	// 5 [ClientSettings] Installer="DMInstaller_PPC2003.exe"
	// 6 [ClientSettings] SiteCode="ABC   ; no end-of-line comments"
}

func ExampleFile_Get() {
	f, _ := ini.Parse("x.ini", []byte("[Settings]\nkey=first\nKEY=second\n"))
	v, ok := f.Get("SETTINGS", "Key")
	fmt.Println(v, ok)
	_, ok = f.Get("Settings", "missing")
	fmt.Println(ok)
	// Output:
	// first true
	// false
}

func ExampleFile_Set() {
	f, _ := ini.Parse("x.ini", []byte("; admin note\r\n[Settings]\r\nA = 1   \r\n\r\n[Other]\r\n"))
	_ = f.Set("settings", "a", "2")       // value bytes only
	_ = f.Set("Settings", "B", " x ")     // new key after the last key, quoted to keep its blanks
	_ = f.Set("New", "C", "3")            // new section at the end
	err := f.Set("Settings", "D", "a\nb") // cannot be one line
	fmt.Printf("%q\n", f.Bytes())
	fmt.Println(err)
	// Output:
	// "; admin note\r\n[Settings]\r\nA = 2   \r\nB=\" x \"\r\n\r\n[Other]\r\n[New]\r\nC=3\r\n"
	// ini: invalid value "a\nb": contains CR, LF or NUL
}

func ExampleFile_Settings() {
	f, _ := ini.Parse("ClientSettings.ini", []byte(sample))
	s, err := f.Settings()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.ClientInstallAction, s.ActionDefaulted, s.Enroll(), s.Platform())
	for _, e := range s.Unknown {
		fmt.Println("unknown:", e.Key, e.Value)
	}

	bad, _ := ini.Parse("DMCommonInstaller.ini", []byte("[S]\nClientInstallAction=Reinstall\nInstaller=..\\cmd.exe\n"))
	_, err = bad.Settings()
	var list ini.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Println(e)
		}
	}
	// Output:
	// Install false true PPC2003
	// unknown: SiteCode ABC   ; no end-of-line comments
	// ini: DMCommonInstaller.ini:2: ClientInstallAction: unknown Action "Reinstall" (accepted: None, Install, Uninstall)
	// ini: DMCommonInstaller.ini:3: Installer: invalid installer file name "..\\cmd.exe": not DMInstaller_<platform>.exe
}

func ExampleFile_SetSettings() {
	f, _ := ini.Parse("DMCommonInstaller.ini", []byte("[Installer]\r\nInstaller=DMInstaller_WM5.exe\r\n[Settings]\r\nClientInstallAction=Install\r\n"))
	s, _ := f.Settings()
	s.ClientInstallAction = ini.ActionNone
	s.Installer = "DMInstaller_WM6.exe"
	warnings, err := f.SetSettings(s)
	fmt.Println(err)
	for _, w := range warnings {
		fmt.Println(w)
	}
	fmt.Printf("%q\n", f.Bytes())
	// Output:
	// <nil>
	// DMCommonInstaller.ini:2: [Installer] Installer: DMCommonInstaller.ini installer values are marked do not modify
	// "[Installer]\r\nInstaller=DMInstaller_WM6.exe\r\n[Settings]\r\nClientInstallAction=None\r\n"
}

func ExampleFile_Delete() {
	f, _ := ini.Parse("x.ini", []byte("[S]\r\na=1\r\nk=old\r\nK=ignored duplicate\r\n; note\r\n"))
	fmt.Println(f.Delete("s", "k"))
	fmt.Printf("%q\n", f.Bytes())
	// Output:
	// true
	// "[S]\r\na=1\r\n; note\r\n"
}

// A file saved with lines ending in CR alone is one line for Windows:
// Settings reads it that way and reports the text the CR hides.
func ExampleFile_Settings_bareCR() {
	f, _ := ini.Parse("ClientSettings.ini", []byte("[ClientSettings]\rClientInstallAction=Uninstall\r"))
	s, err := f.Settings()
	fmt.Println(s.ClientInstallAction, s.ActionDefaulted)
	var e *ini.Error
	if errors.As(err, &e) {
		fmt.Println(e.File, e.Line)
		fmt.Println(e)
	}
	// Output:
	// Install true
	// ClientSettings.ini 1
	// ini: ClientSettings.ini:1: bare CR: it ends no line for Windows, which reads "ClientInstallAction=Uninstall" after it as part of this line
}

// A caller that checks a value itself places its error with Settings.File
// and Settings.Line.
func ExampleSettings_Line() {
	f, _ := ini.Parse("ClientSettings.ini", []byte("[ClientSettings]\r\nClientInstallAction=Install\r\nInstaller=DMInstaller_WM6.exe\r\n"))
	s, _ := f.Settings()
	if s.Platform() != "PPC2003" {
		err := &ini.Error{File: s.File, Line: s.Line(ini.KeyInstaller), Key: ini.KeyInstaller,
			Err: fmt.Errorf("installer for %s, device is PPC2003", s.Platform())}
		fmt.Println(err)
	}
	// Output:
	// ini: ClientSettings.ini:3: Installer: installer for WM6, device is PPC2003
}

func ExampleParseAction() {
	a, err := ini.ParseAction("uninstall")
	fmt.Println(a, err)
	_, err = ini.ParseAction("Reinstall")
	fmt.Println(err)
	fmt.Println(ini.Action(0), ini.Actions())
	// Output:
	// Uninstall <nil>
	// ini: unknown Action "Reinstall" (accepted: None, Install, Uninstall)
	// Action(0) [None Install Uninstall]
}

func ExampleKindOf() {
	fmt.Println(ini.KindOf(`\\server\share\DMCommonInstaller.ini`))
	fmt.Println(ini.KindOf("notes.ini"))
	// Output:
	// DMCommonInstaller.ini
	// unknown
}
