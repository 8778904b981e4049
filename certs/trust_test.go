package certs_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"pgregory.net/rapid"
)

// pageTrust states the product page's rules for the trust step directly, in
// terms of the platforms the page names, as the oracle for EstablishTrust.
func pageTrust(p certs.Platform, s certs.Security) (want certs.TrustResult, denied, untrusted bool) {
	// "Signing does not apply to Windows Mobile Pocket PC 2003 or Windows CE devices."
	if p == certs.PocketPC2003 || p == certs.WindowsCE {
		return certs.TrustResult{Exempt: true, InstallerRan: true, SetupMayRun: true}, false, false
	}
	// "If the mobile operator or mobile device vendor has not restricted
	// privileges ... and the Mobile2Market unprivileged certificate is
	// trusted ... the device is assumed to be unlocked": the Authenticode
	// certificate is installed in the privileged execution store and the
	// SPC store, and DMInstaller calls DMClientSetup.
	if s.TrustsMobile2Market && !s.PrivilegesRestricted {
		return certs.TrustResult{
			InstallerRan: true,
			Installed:    []certs.Store{certs.PrivilegedExecution, certs.SPC},
			SetupMayRun:  true,
		}, false, false
	}
	// Otherwise the installation fails: no setup, "Access Denied" in DMInstaller.log.
	want = certs.TrustResult{InstallerRan: s.TrustsMobile2Market, LogLine: "Access Denied (0x80070005)."}
	return want, true, !s.TrustsMobile2Market
}

// TestEstablishTrustExhaustive checks every platform x security x site mode x
// enrollment conditions combination against the rules as the product page
// states them.
func TestEstablishTrustExhaustive(t *testing.T) {
	n := 0
	for _, p := range certs.Platforms() {
		for _, s := range certs.Securities() {
			for _, m := range certs.SiteModes() {
				for _, c := range certs.EnrollmentConditionsAll() {
					n++
					name := fmt.Sprintf("%v/%v/%v/%+v", p, s, m, c)
					got, err := certs.EstablishTrust(p, s)
					want, denied, untrusted := pageTrust(p, s)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s: EstablishTrust mismatch (-want +got):\n%s", name, diff)
					}
					checkTrustError(t, name, p, err, denied, untrusted)

					// The site mode decides whether enrollment is required:
					// "native mode or server authentication mode".
					wantEnroll := m == certs.Native || m == certs.ServerAuthentication
					if got := m.RequiresEnrollment(); got != wantEnroll {
						t.Errorf("%s: RequiresEnrollment = %v, want %v", name, got, wantEnroll)
					}

					// A client is installed and ready when setup ran and, where
					// the site requires it, enrollment succeeded.
					r, eerr := certs.Enroll(c)
					ready := got.SetupMayRun && (!m.RequiresEnrollment() || eerr == nil)
					wantReady := !denied && (!wantEnroll || (c.CAReachable && c.AuthenticationSucceeds))
					if ready != wantReady {
						t.Errorf("%s: ready = %v (enrollment %v), want %v", name, ready, r, wantReady)
					}
				}
			}
		}
	}
	if want := 7 * 4 * 3 * 4; n != want {
		t.Errorf("checked %d combinations, want %d", n, want)
	}
}

func checkTrustError(t *testing.T, name string, p certs.Platform, err error, denied, untrusted bool) {
	t.Helper()
	if !denied {
		if err != nil {
			t.Errorf("%s: EstablishTrust error = %v, want nil", name, err)
		}
		return
	}
	if !errors.Is(err, certs.ErrAccessDenied) {
		t.Errorf("%s: error %v is not ErrAccessDenied", name, err)
	}
	if got := errors.Is(err, certs.ErrUntrustedInstaller); got != untrusted {
		t.Errorf("%s: errors.Is(err, ErrUntrustedInstaller) = %v, want %v", name, got, untrusted)
	}
	if err == nil {
		return
	}
	if !strings.HasPrefix(err.Error(), "certs: ") || !strings.Contains(err.Error(), "0x80070005") ||
		!strings.Contains(err.Error(), p.InstallerName()) {
		t.Errorf("%s: error message %q lacks the package prefix, the HRESULT or the installer name", name, err)
	}
	wantMsg := "certs: " + p.InstallerName() + " could not install the Microsoft Authenticode certificate in the " +
		"Privileged Execution Trust Authorities store: access denied (0x80070005)"
	if untrusted {
		wantMsg = "certs: " + p.InstallerName() +
			" cannot run: the device does not trust the Mobile2Market certificate it is signed with: access denied (0x80070005)"
	}
	if err.Error() != wantMsg {
		t.Errorf("%s: error %q, want %q", name, err, wantMsg)
	}
	if errors.Is(err, certs.ErrInvalidInput) || errors.Is(err, certs.ErrCAUnreachable) {
		t.Errorf("%s: error %v is another failure too", name, err)
	}
}

func TestEstablishTrustInvalidPlatform(t *testing.T) {
	for v := 0; v <= 255; v++ {
		p := certs.Platform(v)
		if slices.Contains(certs.Platforms(), p) {
			continue
		}
		for _, s := range certs.Securities() {
			got, err := certs.EstablishTrust(p, s)
			if !errors.Is(err, certs.ErrInvalidInput) || err.Error() != "certs: invalid platform "+p.String() {
				t.Errorf("EstablishTrust(%d, %v) error = %v, want an error wrapping ErrInvalidInput", v, s, err)
			}
			if errors.Is(err, certs.ErrAccessDenied) {
				t.Errorf("EstablishTrust(%d, %v) error %v is ErrAccessDenied", v, s, err)
			}
			if diff := cmp.Diff(certs.TrustResult{}, got); diff != "" {
				t.Errorf("EstablishTrust(%d, %v) mismatch (-want +got):\n%s", v, s, diff)
			}
		}
	}
}

// TestTrustErrorsWrapped checks that errors.Is and errors.As see through
// further wrapping, as the lifecycle package's cancellations do.
func TestTrustErrorsWrapped(t *testing.T) {
	for _, s := range []certs.Security{
		{TrustsMobile2Market: true, PrivilegesRestricted: true},
		{TrustsMobile2Market: false, PrivilegesRestricted: false},
	} {
		_, err := certs.EstablishTrust(certs.WM6Standard, s)
		wrapped := fmt.Errorf("lifecycle: install: %w", err)
		if !errors.Is(wrapped, certs.ErrAccessDenied) {
			t.Errorf("%v: wrapped %v is not ErrAccessDenied", s, wrapped)
		}
		if got, want := errors.Is(wrapped, certs.ErrUntrustedInstaller), !s.TrustsMobile2Market; got != want {
			t.Errorf("%v: wrapped is ErrUntrustedInstaller = %v, want %v", s, got, want)
		}
	}
}

// A denial's message names the platform's installer, says what was
// denied and ends with EAccessDenied; writing it allocates nothing.
func TestTrustErrorMessage(t *testing.T) {
	for _, p := range certs.Platforms() {
		if !p.SigningApplies() {
			continue
		}
		for _, s := range []certs.Security{{TrustsMobile2Market: true, PrivilegesRestricted: true}, {}} {
			_, err := certs.EstablishTrust(p, s)
			msg := err.Error()
			if !strings.HasPrefix(msg, "certs: "+p.InstallerName()+" ") {
				t.Errorf("%v %+v: %q does not name %s", p, s, msg, p.InstallerName())
			}
			if want := "access denied (" + certs.EAccessDenied.String() + ")"; !strings.HasSuffix(msg, want) {
				t.Errorf("%v %+v: %q does not end with %q", p, s, msg, want)
			}
			if !s.TrustsMobile2Market && !strings.Contains(msg, "does not trust the Mobile2Market certificate") ||
				s.TrustsMobile2Market && !strings.Contains(msg, " in the "+certs.PrivilegedExecution.String()+" store: ") {
				t.Errorf("%v %+v: %q does not say what was denied", p, s, msg)
			}
			if n := testing.AllocsPerRun(100, func() { _, _ = certs.EstablishTrust(p, s) }); n != 0 {
				t.Errorf("%v %+v: EstablishTrust allocates %v times, want none", p, s, n)
			}
			if n := testing.AllocsPerRun(100, func() { _ = err.Error() }); n != 0 {
				t.Errorf("%v %+v: Error allocates %v times, want none", p, s, n)
			}
		}
	}
	if want := "certs: access denied (" + certs.EAccessDenied.String() + ")"; certs.ErrAccessDenied.Error() != want {
		t.Errorf("ErrAccessDenied = %q, want %q", certs.ErrAccessDenied, want)
	}
}

func genPlatform() *rapid.Generator[certs.Platform] { return rapid.SampledFrom(certs.Platforms()) }

func genSecurity() *rapid.Generator[certs.Security] {
	return rapid.Custom(func(t *rapid.T) certs.Security {
		return certs.Security{
			TrustsMobile2Market:  rapid.Bool().Draw(t, "trustsMobile2Market"),
			PrivilegesRestricted: rapid.Bool().Draw(t, "privilegesRestricted"),
		}
	})
}

// Setup may run only on an exempt platform or an unlocked device.
func TestPropSetupImpliesExemptOrUnlocked(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p, s := genPlatform().Draw(t, "platform"), genSecurity().Draw(t, "security")
		r, err := certs.EstablishTrust(p, s)
		if r.SetupMayRun && p.SigningApplies() && !s.Unlocked() {
			t.Fatalf("setup may run on %v with locked device %v", p, s)
		}
		if r.SetupMayRun != (err == nil) {
			t.Fatalf("SetupMayRun = %v with error %v", r.SetupMayRun, err)
		}
		if r.Exempt != !p.SigningApplies() {
			t.Fatalf("Exempt = %v on %v", r.Exempt, p)
		}
	})
}

// A locked device on a signing platform always gets access denied and never
// an Authenticode certificate in the privileged store.
func TestPropLockedDeviceDenied(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(slices.DeleteFunc(certs.Platforms(), func(p certs.Platform) bool { return !p.SigningApplies() })).Draw(t, "platform")
		s := genSecurity().Filter(func(s certs.Security) bool { return !s.Unlocked() }).Draw(t, "security")
		r, err := certs.EstablishTrust(p, s)
		if !errors.Is(err, certs.ErrAccessDenied) {
			t.Fatalf("locked %v on %v: error %v is not ErrAccessDenied", s, p, err)
		}
		if r.InstalledIn(certs.PrivilegedExecution) || len(r.Installed) != 0 {
			t.Fatalf("locked %v on %v: Authenticode certificate installed in %v", s, p, r.Installed)
		}
		if r.SetupMayRun || r.LogLine != certs.AccessDeniedLogLine {
			t.Fatalf("locked %v on %v: %+v", s, p, r)
		}
	})
}

// The certificate lands in both the privileged execution and SPC stores or
// in neither, and Installed is sorted in Stores order.
func TestPropInstalledAllOrNothing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p, s := genPlatform().Draw(t, "platform"), genSecurity().Draw(t, "security")
		r, _ := certs.EstablishTrust(p, s)
		if r.InstalledIn(certs.PrivilegedExecution) != r.InstalledIn(certs.SPC) {
			t.Fatalf("installed in %v: privileged execution and SPC disagree", r.Installed)
		}
		if !slices.IsSorted(r.Installed) {
			t.Fatalf("Installed %v not sorted", r.Installed)
		}
		for _, st := range validValues[certs.Store]() {
			if st != certs.PrivilegedExecution && st != certs.SPC && r.InstalledIn(st) {
				t.Fatalf("installed in %v", st)
			}
		}
		if len(r.Installed) > 0 != (p.SigningApplies() && s.Unlocked()) {
			t.Fatalf("%v on %v: Installed %v", s, p, r.Installed)
		}
		if !r.InstallerRan && (r.SetupMayRun || len(r.Installed) > 0) {
			t.Fatalf("installer did not run but %+v", r)
		}
	})
}

// An exempt platform ignores the device's security.
func TestPropExemptIgnoresSecurity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom([]certs.Platform{certs.PocketPC2003, certs.WindowsCE}).Draw(t, "platform")
		a, erra := certs.EstablishTrust(p, genSecurity().Draw(t, "a"))
		b, errb := certs.EstablishTrust(p, genSecurity().Draw(t, "b"))
		if erra != nil || errb != nil {
			t.Fatalf("exempt %v: errors %v, %v", p, erra, errb)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("exempt %v depends on security (-a +b):\n%s", p, diff)
		}
	})
}

// Any platform value, valid or not, gets an answer and no panic.
func TestPropAnyPlatformValue(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := certs.Platform(rapid.Uint8().Draw(t, "platform"))
		_, err := certs.EstablishTrust(p, genSecurity().Draw(t, "security"))
		if got := errors.Is(err, certs.ErrInvalidInput); got == p.IsValid() {
			t.Fatalf("platform %d (valid %v): error %v", uint8(p), p.IsValid(), err)
		}
	})
}

// TestPropTrustProperties checks, for any platform value and security, what
// every call of EstablishTrust promises; FuzzTrustProperties runs the same
// check as a fuzz target.
func TestPropTrustProperties(t *testing.T) { rapid.Check(t, checkTrustProperties) }

func checkTrustProperties(t *rapid.T) {
	p := certs.Platform(rapid.Uint8Range(0, 9).Draw(t, "platform"))
	s := genSecurity().Draw(t, "security")
	r, err := certs.EstablishTrust(p, s)
	switch {
	case !p.IsValid():
		if !errors.Is(err, certs.ErrInvalidInput) || !cmp.Equal(r, certs.TrustResult{}) {
			t.Fatalf("invalid %v: %+v, %v", p, r, err)
		}
		return
	case r.SetupMayRun != (err == nil):
		t.Fatalf("%v, %v: SetupMayRun = %v with error %v", p, s, r.SetupMayRun, err)
	case r.SetupMayRun && p.SigningApplies() && !s.Unlocked():
		t.Fatalf("setup may run on %v with locked device %v", p, s)
	case err != nil && (!errors.Is(err, certs.ErrAccessDenied) || r.LogLine != certs.AccessDeniedLogLine):
		t.Fatalf("%v, %v: error %v, log line %q", p, s, err, r.LogLine)
	case errors.Is(err, certs.ErrUntrustedInstaller) != (err != nil && !r.InstallerRan):
		t.Fatalf("%v, %v: untrusted %v but InstallerRan %v", p, s, errors.Is(err, certs.ErrUntrustedInstaller), r.InstallerRan)
	case r.InstalledIn(certs.PrivilegedExecution) != r.InstalledIn(certs.SPC) || !slices.IsSorted(r.Installed):
		t.Fatalf("%v, %v: Installed %v", p, s, r.Installed)
	}
}
