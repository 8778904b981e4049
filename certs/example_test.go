package certs_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mobiledm/dmclient/certs"
)

func ExamplePlatforms() {
	for _, p := range certs.Platforms() {
		fmt.Printf("%-30s %-11s signing=%-5v two-tier=%v\n", p, p.Token(), p.SigningApplies(), p.TwoTier())
	}
	// Output:
	// Pocket PC 2003                 PPC2003     signing=false two-tier=false
	// Windows CE                     CE          signing=false two-tier=false
	// Windows Mobile 5.0 Pocket PC   WM5PPC      signing=true  two-tier=false
	// Windows Mobile 5.0 Smartphone  WM5SP       signing=true  two-tier=true
	// Windows Mobile 6 Classic       WM6Classic  signing=true  two-tier=false
	// Windows Mobile 6 Professional  WM6Pro      signing=true  two-tier=false
	// Windows Mobile 6 Standard      WM6Std      signing=true  two-tier=true
}

func ExampleParsePlatform() {
	p, err := certs.ParsePlatform("wm6std")
	fmt.Println(p, err)
	p, err = certs.ParsePlatform("windows mobile 5.0 pocket pc")
	fmt.Println(p, p.Token(), err)
	_, err = certs.ParsePlatform("Windows Phone 7")
	fmt.Println(errors.Is(err, certs.ErrInvalidInput))
	fmt.Println(err)
	// Output:
	// Windows Mobile 6 Standard <nil>
	// Windows Mobile 5.0 Pocket PC WM5PPC <nil>
	// true
	// certs: unknown Platform "Windows Phone 7" (accepted: Pocket PC 2003, Windows CE, Windows Mobile 5.0 Pocket PC, Windows Mobile 5.0 Smartphone, Windows Mobile 6 Classic, Windows Mobile 6 Professional, Windows Mobile 6 Standard)
}

func ExamplePlatform_InstallerName() {
	p := certs.WM6Professional
	fmt.Println(p.InstallerName())
	fmt.Println(p.SetupName())
	// Output:
	// DMInstaller_WM6Pro.exe
	// DMClientSetup_WM6Pro.exe
}

func ExampleSecurities() {
	for _, s := range certs.Securities() {
		fmt.Printf("%-50s unlocked=%v\n", s, s.Unlocked())
	}
	// Output:
	// does not trust Mobile2Market, privileges not restricted unlocked=false
	// does not trust Mobile2Market, privileges restricted unlocked=false
	// trusts Mobile2Market, privileges not restricted    unlocked=true
	// trusts Mobile2Market, privileges restricted        unlocked=false
}

func ExampleConfiguration() {
	for _, c := range []certs.Configuration{certs.Restricted, certs.Standard, certs.Unrestricted, certs.Mobile2MarketLocked} {
		p := c.Policies()
		fmt.Printf("%-20s two-tier=%-5v unsigned=%-5v prompt=%-5v unlocked=%v\n",
			c, p.TwoTier, p.UnsignedApplications, p.UnsignedPrompt, c.Security().Unlocked())
	}
	// Output:
	// Restricted           two-tier=true  unsigned=false prompt=false unlocked=false
	// Standard             two-tier=true  unsigned=true  prompt=true  unlocked=false
	// Unrestricted         two-tier=false unsigned=true  prompt=true  unlocked=true
	// Mobile2Market locked two-tier=false unsigned=false prompt=false unlocked=true
}

func ExampleParseConfiguration() {
	c, err := certs.ParseConfiguration("mobile2market-locked")
	fmt.Println(c, err)
	// Output: Mobile2Market locked <nil>
}

func ExamplePolicies_Security() {
	// A Smartphone whose operator removed the Mobile2Market root, running
	// the one-tier model.
	p := certs.Policies{TwoTier: false, UnsignedApplications: true, UnsignedPrompt: true}
	s := p.Security(false)
	fmt.Println(s, p.SupportedBy(certs.WM6Standard))
	// Output: does not trust Mobile2Market, privileges not restricted true
}

func ExamplePolicies_SupportedBy() {
	twoTier := certs.Standard.Policies()
	fmt.Println(twoTier.SupportedBy(certs.WM6Standard), twoTier.SupportedBy(certs.WM6Professional))
	// Output: true false
}

func ExampleStore() {
	var r certs.TrustResult
	err := json.Unmarshal([]byte(`{"installed": ["privileged execution", "SPC"]}`), &r)
	fmt.Println(r.Installed, r.InstalledIn(certs.SPC), err)
	// Output: [Privileged Execution Trust Authorities SPC] true <nil>
}

func ExampleEstablishTrust() {
	r, err := certs.EstablishTrust(certs.WM6Professional, certs.Unrestricted.Security())
	fmt.Printf("ran=%v installed=%v setup=%v err=%v\n", r.InstallerRan, r.Installed, r.SetupMayRun, err)
	// Output: ran=true installed=[Privileged Execution Trust Authorities SPC] setup=true err=<nil>
}

func ExampleEstablishTrust_denied() {
	r, err := certs.EstablishTrust(certs.WM6Standard, certs.Standard.Security())
	fmt.Printf("ran=%v installed=%v setup=%v\n", r.InstallerRan, r.Installed, r.SetupMayRun)
	fmt.Println(r.LogLine)
	fmt.Println(errors.Is(err, certs.ErrAccessDenied), err)
	// Output:
	// ran=true installed=[] setup=false
	// Access Denied (0x80070005).
	// true certs: DMInstaller_WM6Std.exe could not install the Microsoft Authenticode certificate in the Privileged Execution Trust Authorities store: access denied (0x80070005)
}

func ExampleEstablishTrust_untrusted() {
	r, err := certs.EstablishTrust(certs.WM5Smartphone, certs.Security{TrustsMobile2Market: false})
	fmt.Printf("ran=%v setup=%v log=%q\n", r.InstallerRan, r.SetupMayRun, r.LogLine)
	fmt.Println(errors.Is(err, certs.ErrUntrustedInstaller), errors.Is(err, certs.ErrAccessDenied))
	// Output:
	// ran=false setup=false log="Access Denied (0x80070005)."
	// true true
}

func ExampleEstablishTrust_exempt() {
	// Signing does not apply to Pocket PC 2003: the device's security is
	// not consulted and no Authenticode certificate is installed.
	r, err := certs.EstablishTrust(certs.PocketPC2003, certs.Security{PrivilegesRestricted: true})
	fmt.Printf("exempt=%v installed=%v setup=%v err=%v\n", r.Exempt, r.Installed, r.SetupMayRun, err)
	// Output: exempt=true installed=[] setup=true err=<nil>
}

func ExampleErrAccessDenied() {
	for _, sec := range certs.Securities() {
		r, err := certs.EstablishTrust(certs.WM5PocketPC, sec)
		fmt.Printf("%-55s denied=%-5v untrusted=%-5v ran=%-5v log=%q\n", sec,
			errors.Is(err, certs.ErrAccessDenied), errors.Is(err, certs.ErrUntrustedInstaller), r.InstallerRan, r.LogLine)
	}
	// Output:
	// does not trust Mobile2Market, privileges not restricted denied=true  untrusted=true  ran=false log="Access Denied (0x80070005)."
	// does not trust Mobile2Market, privileges restricted     denied=true  untrusted=true  ran=false log="Access Denied (0x80070005)."
	// trusts Mobile2Market, privileges not restricted         denied=false untrusted=false ran=true  log=""
	// trusts Mobile2Market, privileges restricted             denied=true  untrusted=false ran=true  log="Access Denied (0x80070005)."
}

func ExampleHRESULT() {
	data, err := json.Marshal(map[string]certs.HRESULT{"hresult": certs.EAccessDenied})
	fmt.Println(string(data), err)
	var h certs.HRESULT
	err = h.UnmarshalText([]byte("0x8007005")) // the product page's typo
	fmt.Println(errors.Is(err, certs.ErrInvalidInput))
	// Output:
	// {"hresult":"0x80070005"} <nil>
	// true
}

func ExampleSiteModes() {
	for _, m := range certs.SiteModes() {
		fmt.Printf("%s: enrollment required=%v\n", m, m.RequiresEnrollment())
	}
	// Output:
	// mixed: enrollment required=false
	// native: enrollment required=true
	// server authentication: enrollment required=true
}

func ExampleParseSiteMode() {
	m, err := certs.ParseSiteMode("Server Authentication")
	fmt.Println(m, m.RequiresEnrollment(), err)
	_, err = certs.ParseSiteMode("hybrid")
	fmt.Println(errors.Is(err, certs.ErrInvalidInput), err)
	// Output:
	// server authentication true <nil>
	// true certs: unknown SiteMode "hybrid" (accepted: mixed, native, server authentication)
}

func ExampleEnroll() {
	for _, c := range certs.EnrollmentConditionsAll() {
		r, err := certs.Enroll(c)
		fmt.Printf("reachable=%-5v auth=%-5v -> %-21v log=%v err=%v\n",
			c.CAReachable, c.AuthenticationSucceeds, r, r.WritesLog(), err)
	}
	// Output:
	// reachable=false auth=false -> CA unreachable        log=true err=certs: certification authority unreachable
	// reachable=false auth=true  -> CA unreachable        log=true err=certs: certification authority unreachable
	// reachable=true  auth=false -> authentication failed log=true err=certs: authentication to the certification authority failed
	// reachable=true  auth=true  -> enrolled              log=true err=<nil>
}
