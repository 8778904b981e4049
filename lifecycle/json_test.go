package lifecycle_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"pgregory.net/rapid"
)

// TestDeviceJSONStrict: a device block decodes strictly, and every error
// names the member at fault.
func TestDeviceJSONStrict(t *testing.T) {
	for _, tc := range []struct{ in, field, reason string }{
		{`{"id": "a", "installed": "none"}`, "device.installed", "unknown member"},
		{`{"id": "a", "id": "b"}`, "device.id", "member given twice"},
		{`{"id": "` + strings.Repeat("x", 257) + `"}`, "device.id", "longer than 256 bytes"},
		{"{\"id\": \"a\xff\"}", "device", "invalid UTF-8"},
		{`{"platform": "Palm"}`, "device.platform", `unknown Platform "Palm"`},
		{`{"client": "4.0.x"}`, "device.client", "version"},
		{`{"security": "Locked"}`, "device.security", "Configuration"},
		{`{"security": {"trusts": true}}`, "device.security.trusts", "unknown member"},
		{`{"enrollment": {"caReachable": "yes"}}`, "device.enrollment.caReachable", "true or false"},
		{`{"settings": [{"key": "a", "value": "b", "x": 1}]}`, "device.settings[0].x", "unknown member"},
		{`{"` + strings.Repeat("x", 3000) + `": 1}`, `device."` + strings.Repeat("x", 100) + `"...`, "unknown member"},
		{`{"security": {"\u001b[2J": 1}}`, `device.security."\x1b[2J"`, "unknown member"},
		{`[]`, "device", "expected a JSON object"},
		{`1e1` + strings.Repeat("0", 3000), "device", "expected a JSON object"},
		{`{"id": "a"} {}`, "device", "data after"},
		{`{"id": `, "device.id", "unexpected end"},
	} {
		var d lifecycle.Device
		err := d.UnmarshalJSON([]byte(tc.in))
		var ie *lifecycle.InputError
		if !errors.As(err, &ie) || !errors.Is(err, lifecycle.ErrInvalidInput) || ie.Field != tc.field || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%.40s: %v (field %q)", tc.in, err, fieldOf(err))
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("%.40s: error of %d bytes", tc.in, len(err.Error()))
		}
	}
}

func fieldOf(err error) string {
	var ie *lifecycle.InputError
	if errors.As(err, &ie) {
		return ie.Field
	}
	return ""
}

// TestScenarioJSONStrict: a scenario is {"device", "deployment"}; a device
// block copied from a fleet file decodes there.
func TestScenarioJSONStrict(t *testing.T) {
	const dev = `{"id": "ppc03-01", "platform": "Pocket PC 2003", "client": "none", "security": "Restricted",
	  "connection": "managed computer", "computer": "DESKTOP-01"}`
	var sc lifecycle.Scenario
	err := json.Unmarshal([]byte(`{"device": `+dev+`, "deployment": {"method": "manual sync",
	  "package": {"version": "4.00.6487.2000"}, "site": {"mode": "mixed", "clientAgent": true}}}`), &sc)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Device.Platform != certs.PocketPC2003 || sc.Deployment.Component != lifecycle.Client ||
		!sc.Deployment.Package.Folder.Equal(lifecycle.CompleteFolder(certs.Platforms()...)) {
		t.Errorf("decoded %+v", sc)
	}
	for _, tc := range []struct{ in, field string }{
		{`{"device": {}, "deployments": {}}`, "scenario.deployments"},
		{`{"deployment": {"site": {"mode": "mixed", "extra": true}}}`, "deployment.site.extra"},
		{`{"deployment": {"package": {"version": "1.0", "ini": "x", "settings": {}}}}`, "deployment.package"},
		{`{"deployment": {"package": {"folder": []}}}`, "deployment.package.version"},
		{`{"deployment": {"package": {"version": "1.0", "ini": "[S]\nCertEnrollAction=Enrol\n"}}}`, "deployment.package.ini"},
		{`{"deployment": {"method": "carrier pigeon"}}`, "deployment.method"},
		{`{"deployment": {"package": {"version": "1.0", "settings": {"clientInstalAction": "uninstall"}}}}`, "deployment.package.settings"},
		{`{"deployment": {"package": {"version": "1.0", "settings": {"known": [{"key": "k", "colour": 1}]}}}}`, "deployment.package.settings"},
		// encoding/json quotes a number it cannot store whole: the
		// message is cut.
		{`{"deployment": {"package": {"version": "1.0", "settings": {"known": [{"line": 1` + strings.Repeat("0", 3000) + `}]}}}}`,
			"deployment.package.settings"},
		// A settings error of the .ini text names its first problem
		// and how many more there are (here a bare CR on every line).
		{`{"deployment": {"package": {"version": "1.0", "ini": "` + strings.Repeat(`a\rb\n`, 200) + `"}}}`,
			"deployment.package.ini"},
	} {
		err := json.Unmarshal([]byte(tc.in), &sc)
		if got := fieldOf(err); got != tc.field {
			t.Errorf("%.60s: %v (field %q, want %q)", tc.in, err, got, tc.field)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("%.60s: error of %d bytes", tc.in, len(err.Error()))
		}
	}
}

// TestScenarioJSONIniProblems: the error of .ini text with many problems
// names the first and counts the others, and still holds them all.
func TestScenarioJSONIniProblems(t *testing.T) {
	var sc lifecycle.Scenario
	err := json.Unmarshal([]byte(`{"deployment": {"package": {"version": "1.0", "ini": "`+strings.Repeat(`a\rb\n`, 200)+`"}}}`), &sc)
	var list ini.ErrorList
	if !errors.As(err, &list) || len(list) != 200 || !strings.HasSuffix(err.Error(), "(and 199 more)") ||
		strings.Count(err.Error(), "bare CR") != 1 {
		t.Errorf("%v (%d problems)", err, len(list))
	}
	// A conflict quotes two values and a section, here of 150 control
	// characters: 641 bytes, cut to 600.
	x, p := strings.Repeat(`\u0001`, 150), strings.Repeat("P", 60)
	err = json.Unmarshal([]byte(`{"deployment": {"package": {"version": "1.0", "ini": "[`+x+`]\nInstaller=DMInstaller_`+p+`.exe\n[S]\nInstaller=DMInstaller_`+p+`Q.exe\n"}}}`), &sc)
	if !errors.As(err, &list) || len(list) != 1 || !strings.Contains(err.Error(), "conflicting values") ||
		!strings.HasSuffix(err.Error(), "...") || len(err.Error()) > 700 {
		t.Errorf("%d bytes: %.700v", len(err.Error()), err)
	}
}

// TestDeviceJSONNoSettings: "settings": [] and null decode as no member
// does, to nil, which MarshalJSON leaves out: the device reads back equal.
func TestDeviceJSONNoSettings(t *testing.T) {
	for _, settings := range []string{``, `, "settings": []`, `, "settings": null`} {
		var d lifecycle.Device
		if err := json.Unmarshal([]byte(`{"platform": "CE", "connection": "direct"`+settings+`}`), &d); err != nil || d.Settings != nil {
			t.Errorf("%q: settings %#v, %v", settings, d.Settings, err)
		}
	}
}

// TestDeviceJSONRoundTrip: what a machine stores reads back equal.
func TestDeviceJSONRoundTrip(tt *testing.T) {
	rapid.Check(tt, func(t *rapid.T) {
		dev := genScenario(tt).Draw(t, "scenario").Device
		if diff := cmp.Diff(dev, roundTrip(t, dev)); diff != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
		}
	})
}

// FuzzDeviceJSON: decoding never panics, errors stay short, and what
// decodes re-encodes to a device that decodes equal.
func FuzzDeviceJSON(f *testing.F) {
	f.Add([]byte(`{"id": "ppc03-01", "platform": "Pocket PC 2003", "client": "none", "security": "Restricted", "connection": "direct"}`))
	f.Add([]byte(`{"settings": [{"key": "k", "value": "v", "userChanged": true}], "security": {"trustsMobile2Market": true}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d lifecycle.Device
		if err := json.Unmarshal(data, &d); err != nil {
			if len(err.Error()) > 1024 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if d.Platform == 0 || d.Connection == 0 {
			return // the zero values do not encode
		}
		if diff := cmp.Diff(d, roundTrip(t, d)); diff != "" {
			t.Fatalf("%s: round trip mismatch (-want +got):\n%s", data, diff)
		}
	})
}

// FuzzScenarioJSON: decoding a scenario never panics and errors stay
// short.
func FuzzScenarioJSON(f *testing.F) {
	f.Add([]byte(`{"device": {"platform": "WM6Pro", "connection": "direct"}, "deployment": {"method": "manual transfer", "package": {"version": "1.0", "ini": "[S]\nClientInstallAction=Uninstall\n"}, "site": {"mode": "native"}}}`))
	f.Add([]byte(`{"deployment": {"package": {"version": "1.0", "settings": {"clientInstallAction": "Install", "known": [{"section": "S", "key": "k", "value": "v", "line": 2}]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var sc lifecycle.Scenario
		if err := json.Unmarshal(data, &sc); err != nil && len(err.Error()) > 1024 {
			t.Fatalf("error of %d bytes", len(err.Error()))
		}
	})
}
