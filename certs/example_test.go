package certs_test

import (
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
	fmt.Println(p, err)
	_, err = certs.ParsePlatform("Windows Phone 7")
	fmt.Println(errors.Is(err, certs.ErrUnknownPlatform), err)
	// Output:
	// Windows Mobile 6 Standard <nil>
	// Windows Mobile 5.0 Pocket PC <nil>
	// true certs: parse Platform "Windows Phone 7": unknown platform
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

func ExampleConfigurations() {
	for _, c := range certs.Configurations() {
		p := c.Policies()
		fmt.Printf("%-20s %v unsigned=%-5v prompt=%-5v unlocked=%v\n",
			c, p.PrivilegedApplications, p.UnsignedApplications, p.UnsignedPrompt, c.Security().Unlocked())
	}
	// Output:
	// Restricted           two-tier unsigned=false prompt=false unlocked=false
	// Standard             two-tier unsigned=true  prompt=true  unlocked=false
	// Unrestricted         one-tier unsigned=true  prompt=true  unlocked=true
	// Mobile2Market locked one-tier unsigned=false prompt=false unlocked=true
}

func ExampleParseConfiguration() {
	c, err := certs.ParseConfiguration("mobile2market-locked")
	fmt.Println(c, err)
	// Output: Mobile2Market locked <nil>
}

func ExamplePolicies_Security() {
	// A Smartphone whose operator removed the Mobile2Market root, running
	// the one-tier model.
	p := certs.Policies{PrivilegedApplications: certs.OneTier, UnsignedApplications: true, UnsignedPrompt: true}
	s := p.Security(false)
	fmt.Println(s, p.SupportedBy(certs.WM6Standard))
	// Output: does not trust Mobile2Market, privileges not restricted true
}

func ExamplePolicies_SupportedBy() {
	twoTier := certs.Standard.Policies()
	fmt.Println(twoTier.SupportedBy(certs.WM6Standard), twoTier.SupportedBy(certs.WM6Professional))
	// Output: true false
}

func ExampleStores() {
	for _, s := range certs.Stores() {
		fmt.Println(s)
	}
	// Output:
	// Privileged Execution Trust Authorities
	// Unprivileged Execution Trust Authorities
	// SPC
	// Root
	// CA
	// MY
}

func ExampleParseStore() {
	s, err := certs.ParseStore("privileged execution")
	fmt.Println(s, err)
	// Output: Privileged Execution Trust Authorities <nil>
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

func ExampleAccessDeniedError() {
	_, err := certs.EstablishTrust(certs.WM5PocketPC, certs.Security{TrustsMobile2Market: true, PrivilegesRestricted: true})
	var ade *certs.AccessDeniedError
	if errors.As(err, &ade) {
		fmt.Println(ade.Platform, "|", ade.Store, "|", ade.HRESULT(), "|", ade.LogLine())
	}
	// Output: Windows Mobile 5.0 Pocket PC | Privileged Execution Trust Authorities | 0x80070005 | Access Denied (0x80070005).
}

func ExampleHRESULT() {
	h := certs.EAccessDenied
	fmt.Println(h, h.Failed(), h.Facility(), h.Code())
	// Output: 0x80070005 true 7 5
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
	// Output: server authentication true <nil>
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

func ExampleParseTier() {
	t, err := certs.ParseTier("Two-Tier")
	fmt.Println(t, err)
	// Output: two-tier <nil>
}

func ExampleEnrollmentSoftwares() {
	for _, e := range certs.EnrollmentSoftwares() {
		fmt.Println(e)
	}
	// Output:
	// Configuration Manager
	// enterprise
}
