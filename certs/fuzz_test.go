package certs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/certs"
)

func FuzzParsePlatform(f *testing.F) {
	for _, p := range certs.Platforms() {
		f.Add(p.String())
		f.Add(p.Token())
	}
	f.Add("")
	f.Add("wm6STD")
	f.Add("Windows Mobile 6")
	f.Fuzz(func(t *testing.T, in string) { checkParsedPlatform(t, in) })
}

// checkParsed checks the round trip of a single-name enumeration parser:
// accepted input is a spelling of the value's name (or one alias), and the
// name parses back to the value.
func checkParsed[E interface {
	comparable
	String() string
}](t *testing.T, in string, parse func(string) (E, error), sentinel error, alias map[string]E) {
	v, err := parse(in)
	var zero E
	if err != nil {
		if v != zero || !errors.Is(err, sentinel) {
			t.Fatalf("parse(%q) = %v, %v", in, v, err)
		}
		return
	}
	if a, ok := alias[strings.ToLower(in)]; !strings.EqualFold(in, v.String()) && (!ok || a != v) {
		t.Fatalf("parse(%q) = %v, which is not its name", in, v)
	}
	if back, err := parse(v.String()); err != nil || back != v {
		t.Fatalf("parse(%q) = %v, %v; want %v", v.String(), back, err, v)
	}
}

func FuzzParseSiteMode(f *testing.F) {
	for _, m := range certs.SiteModes() {
		f.Add(m.String())
	}
	f.Add("Server-Authentication")
	f.Add("NATIVE ")
	f.Fuzz(func(t *testing.T, in string) {
		checkParsed(t, in, certs.ParseSiteMode, certs.ErrUnknownSiteMode,
			map[string]certs.SiteMode{"server-authentication": certs.ServerAuthentication})
	})
}

func FuzzParseConfiguration(f *testing.F) {
	for _, c := range certs.Configurations() {
		f.Add(c.String())
	}
	f.Add("mobile2market-locked")
	f.Add("locked")
	f.Fuzz(func(t *testing.T, in string) {
		checkParsed(t, in, certs.ParseConfiguration, certs.ErrUnknownConfiguration,
			map[string]certs.Configuration{"mobile2market-locked": certs.Mobile2MarketLocked})
	})
}
