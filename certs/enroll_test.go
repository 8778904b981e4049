package certs_test

import (
	"errors"
	"testing"

	"github.com/mobiledm/dmclient/certs"
	"pgregory.net/rapid"
)

// TestEnrollExhaustive checks every enrollment condition: the user must
// authenticate to a CA the device can reach.
func TestEnrollExhaustive(t *testing.T) {
	all := certs.EnrollmentConditionsAll()
	seen := map[certs.EnrollmentConditions]bool{}
	results := map[certs.EnrollmentResult]bool{}
	for _, c := range all {
		seen[c] = true
		r, err := certs.Enroll(c)
		results[r] = true
		var want certs.EnrollmentResult
		var wantErr error
		switch {
		case !c.CAReachable:
			want, wantErr = certs.CAUnreachable, certs.ErrCAUnreachable
		case !c.AuthenticationSucceeds:
			want, wantErr = certs.AuthenticationFailed, certs.ErrAuthenticationFailed
		default:
			want = certs.Enrolled
		}
		if r != want || !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
			t.Errorf("Enroll(%+v) = %v, %v; want %v, %v", c, r, err, want, wantErr)
		}
		if !r.WritesLog() {
			t.Errorf("Enroll(%+v) = %v writes no DMCertEnroll log", c, r)
		}
	}
	if len(all) != 4 || len(seen) != 4 {
		t.Errorf("EnrollmentConditionsAll() = %v, want the 4 distinct combinations", all)
	}
	for _, r := range validValues[certs.EnrollmentResult]() {
		if !results[r] {
			t.Errorf("no condition yields %v", r)
		}
	}
	// Invalid results, the zero one (enrollment did not run) included, write
	// no log and have no error.
	for i := 0; i <= 255; i++ {
		r := certs.EnrollmentResult(i)
		if !r.IsValid() && (r.WritesLog() || r.Err() != nil) {
			t.Errorf("invalid EnrollmentResult %d: WritesLog %v, Err %v", i, r.WritesLog(), r.Err())
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, c := range all {
			_, _ = certs.Enroll(c)
		}
	}); n != 0 {
		t.Errorf("Enroll allocates %v times", n)
	}
}

// TestEnrollPure: Enroll depends only on its conditions, so a caller may
// skip it (for a device that already holds a valid enrolled certificate)
// or run it again and get the same answer.
func TestEnrollPure(t *testing.T) {
	for _, c := range certs.EnrollmentConditionsAll() {
		r1, err1 := certs.Enroll(c)
		for range 3 {
			r2, err2 := certs.Enroll(c)
			if r1 != r2 || err1 != err2 {
				t.Errorf("Enroll(%+v) = %v, %v then %v, %v", c, r1, err1, r2, err2)
			}
		}
	}
}

func TestSiteModes(t *testing.T) {
	for _, m := range certs.SiteModes() {
		if got, want := m.RequiresEnrollment(), m != certs.Mixed; got != want {
			t.Errorf("%v.RequiresEnrollment() = %v, want %v", m, got, want)
		}
	}
	for i := 0; i <= 255; i++ {
		if m := certs.SiteMode(i); !m.IsValid() && m.RequiresEnrollment() {
			t.Errorf("invalid site mode %d requires enrollment", i)
		}
	}
}

func TestPropEnroll(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := certs.EnrollmentConditions{
			CAReachable:            rapid.Bool().Draw(t, "reachable"),
			AuthenticationSucceeds: rapid.Bool().Draw(t, "auth"),
		}
		r, err := certs.Enroll(c)
		if (err == nil) != (r == certs.Enrolled) || err != r.Err() {
			t.Fatalf("Enroll(%+v) = %v, %v", c, r, err)
		}
		if r == certs.Enrolled && !(c.CAReachable && c.AuthenticationSucceeds) {
			t.Fatalf("enrolled without reaching the CA and authenticating: %+v", c)
		}
		if !c.CAReachable && !errors.Is(err, certs.ErrCAUnreachable) {
			t.Fatalf("unreachable CA: %v", err)
		}
		if !r.IsValid() || !r.WritesLog() {
			t.Fatalf("result %v", r)
		}
	})
}
