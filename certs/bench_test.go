package certs_test

import (
	"testing"

	"github.com/mobiledm/dmclient/certs"
)

var (
	sinkResult certs.TrustResult
	sinkErr    error
)

func BenchmarkEstablishTrustUnlocked(b *testing.B) {
	s := certs.Security{TrustsMobile2Market: true}
	for b.Loop() {
		sinkResult, sinkErr = certs.EstablishTrust(certs.WM6Professional, s)
	}
}

func BenchmarkEstablishTrustExempt(b *testing.B) {
	for b.Loop() {
		sinkResult, sinkErr = certs.EstablishTrust(certs.PocketPC2003, certs.Security{})
	}
}

func BenchmarkEstablishTrustDenied(b *testing.B) {
	s := certs.Security{TrustsMobile2Market: true, PrivilegesRestricted: true}
	for b.Loop() {
		sinkResult, sinkErr = certs.EstablishTrust(certs.WM6Standard, s)
	}
}

// BenchmarkEstablishTrustAll runs the trust step over every platform and
// security combination.
func BenchmarkEstablishTrustAll(b *testing.B) {
	ps, ss := certs.Platforms(), certs.Securities()
	for b.Loop() {
		for _, p := range ps {
			for _, s := range ss {
				sinkResult, sinkErr = certs.EstablishTrust(p, s)
			}
		}
	}
}

func BenchmarkParsePlatform(b *testing.B) {
	for b.Loop() {
		_, sinkErr = certs.ParsePlatform("wm6std")
	}
}
