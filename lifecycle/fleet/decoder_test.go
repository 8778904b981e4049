package fleet_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
	"github.com/mobiledm/dmclient/version"
)

const fleetJSON = `{
  "sites": {"central": {"mode": "mixed", "clientAgent": true, "managementPoint": true, "distributionPoint": true, "inventoryExtended": true}},
  "packages": {
    "sp2": {"version": "4.00.6487.2000"},
    "Retire": {"version": "4.00.6487.2000", "folder": ["DMInstaller_WM6Pro.exe", "DMClientSetup_WM6Pro.exe", "ClientSettings.ini"],
               "ini": "[ClientSettings]\r\nClientInstallAction=Uninstall\r\n"}
  },
  "devices": [
    {"device": {"id": "a", "platform": "WM6Pro", "client": "4.00.6221.1000", "security": "Unrestricted",
                "connection": "managed computer", "computer": "PC-01"},
     "deployment": {"method": "software distribution", "package": "sp2"}},
    {"device": {"id": "b", "platform": "Windows Mobile 6 Professional", "client": "none",
                "security": {"trustsMobile2Market": true, "privilegesRestricted": true}, "connection": "direct",
                "enrollment": {"authenticationSucceeds": true}, "certificate": true,
                "settings": [{"key": "K", "value": "v", "userChanged": true}]},
     "deployment": {"method": "Manual Transfer", "package": "retire", "component": "client", "repair": true, "renewCertificate": true, "site": "CENTRAL"}}
  ]
}`

// decodeAll reads every device of text.
func decodeAll(t *testing.T, r io.Reader, settings ini.Settings) ([]fleet.Entry, []error, error) {
	t.Helper()
	dec := fleet.NewDecoder(r, settings)
	var es []fleet.Entry
	var errs []error
	for e, err := range dec.Devices() {
		es = append(es, e)
		errs = append(errs, err)
	}
	return es, errs, dec.Err()
}

// devicesFirst moves the "devices" member of a fleet file before the
// sections.
func devicesFirst(text string) string {
	i := strings.Index(text, `  "devices"`)
	j := strings.LastIndex(text, "]")
	return "{" + text[i:j+1] + ",\n" + text[1:i-2] + "\n}"
}

// noSeek hides a reader's Seek.
type noSeek struct{ io.Reader }

func TestDecoder(t *testing.T) {
	settings := ini.Settings{ClientInstallAction: ini.ActionInstall, CertEnrollAction: ini.CertEnroll}
	site := lifecycle.Site{Mode: certs.Mixed, ClientAgent: true, ManagementPoint: true, DistributionPoint: true, InventoryExtended: true}
	want := []fleet.Entry{{
		Device: lifecycle.Device{ID: "a", Platform: certs.WM6Professional, Client: version.MustParse("4.00.6221.1000"),
			Security: certs.Unrestricted.Security(), Connection: lifecycle.ViaManagedComputer, Computer: "PC-01"},
		Deployment: lifecycle.Deployment{Component: lifecycle.Client, Method: lifecycle.SoftwareDistribution,
			Package: lifecycle.Package{Version: version.MustParse("4.00.6487.2000"), Folder: lifecycle.CompleteFolder(certs.Platforms()...), Settings: settings},
			Site:    site},
		Package: "sp2", Site: "central",
	}, {
		Device: lifecycle.Device{ID: "b", Platform: certs.WM6Professional,
			Security: certs.Security{TrustsMobile2Market: true, PrivilegesRestricted: true}, Connection: lifecycle.Direct,
			Enrollment: certs.EnrollmentConditions{CAReachable: false, AuthenticationSucceeds: true}, Certificate: true,
			Settings: []lifecycle.Setting{{Key: "K", Value: "v", UserChanged: true}}},
		Deployment: lifecycle.Deployment{Component: lifecycle.Client, Method: lifecycle.ManualTransfer, Repair: true, RenewCertificate: true,
			Package: lifecycle.Package{Version: version.MustParse("4.00.6487.2000"),
				Folder: lifecycle.NewFolder("DMInstaller_WM6Pro.exe", "DMClientSetup_WM6Pro.exe", "ClientSettings.ini")},
			Site: site},
		Package: "Retire", Site: "central",
	}}
	for name, r := range map[string]func() io.Reader{
		"devices last":                    func() io.Reader { return strings.NewReader(fleetJSON) },
		"devices first, seeking":          func() io.Reader { return strings.NewReader(devicesFirst(fleetJSON)) },
		"devices first, holding":          func() io.Reader { return noSeek{strings.NewReader(devicesFirst(fleetJSON))} },
		"byte-order mark":                 func() io.Reader { return strings.NewReader("\uFEFF" + fleetJSON) },
		"byte-order mark, devices first":  func() io.Reader { return strings.NewReader("\uFEFF" + devicesFirst(fleetJSON)) },
		"byte-order mark, one byte reads": func() io.Reader { return noSeek{iotestOneByte(strings.NewReader("\uFEFF" + fleetJSON))} },
	} {
		got, errs, err := decodeAll(t, r(), settings)
		if err != nil || len(errs) != 2 || errs[0] != nil || errs[1] != nil {
			t.Fatalf("%s: errors %v, file error %v", name, errs, err)
		}
		if got[1].Deployment.Package.Settings.ClientInstallAction != ini.ActionUninstall {
			t.Errorf("%s: package retire has action %v", name, got[1].Deployment.Package.Settings.ClientInstallAction)
		}
		got[1].Deployment.Package.Settings = ini.Settings{}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: entries mismatch (-want +got):\n%s", name, diff)
		}
	}
}

// oneByte reads one byte at a time, as a slow pipe may.
type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func iotestOneByte(r io.Reader) io.Reader { return oneByte{r} }

// TestDeviceBlockCopies: a device block copied from a fleet file decodes
// as a lifecycle.Device, and in a lifecycle.Scenario, to the same device.
func TestDeviceBlockCopies(t *testing.T) {
	var file struct {
		Devices []struct {
			Device json.RawMessage `json:"device"`
		} `json:"devices"`
	}
	if err := json.Unmarshal([]byte(fleetJSON), &file); err != nil {
		t.Fatal(err)
	}
	es, _, err := decodeAll(t, strings.NewReader(fleetJSON), ini.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range file.Devices {
		var dev lifecycle.Device
		if err := json.Unmarshal(d.Device, &dev); err != nil {
			t.Fatal(err)
		}
		var sc lifecycle.Scenario
		text := `{"device": ` + string(d.Device) + `, "deployment": {"method": "manual sync", "package": {"version": "4.0.1.2"}, "site": {"mode": "mixed"}}}`
		if err := json.Unmarshal([]byte(text), &sc); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(es[i].Device, dev); diff != "" {
			t.Errorf("device %d: Device JSON mismatch (-fleet +device):\n%s", i, diff)
		}
		if diff := cmp.Diff(es[i].Device, sc.Device); diff != "" {
			t.Errorf("device %d: Scenario JSON mismatch (-fleet +scenario):\n%s", i, diff)
		}
	}
}

// TestDecoderDefaultSettings: a package with neither "ini" nor
// "settings" takes the settings given to NewDecoder, when set, and those
// of an empty ClientSettings.ini otherwise.
func TestDecoderDefaultSettings(t *testing.T) {
	uninstall := ini.Settings{ClientInstallAction: ini.ActionUninstall}
	es, _, _ := decodeAll(t, strings.NewReader(fleetJSON), uninstall)
	if got := es[0].Deployment.Package.Settings.ClientInstallAction; got != ini.ActionUninstall {
		t.Errorf("with settings: %v", got)
	}
	es, _, _ = decodeAll(t, strings.NewReader(fleetJSON), ini.Settings{})
	empty, err := lifecycle.ReadSettings("ClientSettings.ini", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(empty, es[0].Deployment.Package.Settings); diff != "" {
		t.Errorf("without settings (-empty ini +got):\n%s", diff)
	}
	// A package's own settings win.
	if got := es[1].Deployment.Package.Settings.ClientInstallAction; got != ini.ActionUninstall {
		t.Errorf("retire: %v", got)
	}
}

const head = `{"sites": {"s": {"mode": "native"}}, "packages": {"p": {"version": "4.0.1.2"}, "q": {"version": "4.0.1.3"}}, "devices": [`
const good = `{"device": {"id": "ok%", "platform": "CE", "security": "Standard", "connection": "direct"}, "deployment": {"method": "manual transfer", "package": "p"}}`

// device returns a device entry with the given device and deployment
// members (JSON object bodies).
func device(dev, dep string) string {
	return `{"device": {` + dev + `}, "deployment": {` + dep + `}}`
}

const okDev = `"id": "x", "platform": "CE", "security": "Standard", "connection": "direct"`
const okDep = `"method": "manual transfer", "package": "p"`

func TestDecoderDeviceErrors(t *testing.T) {
	for _, tc := range []struct {
		entry, field, id string
		target           error
		msg              string
	}{
		{device(`"id": "x", "platform": "Foo", "security": "Standard", "connection": "direct"`, okDep),
			"device.platform", "x", certs.ErrInvalidInput, `fleet: device 1 "x" at offset 274: device.platform: certs: unknown Platform "Foo" (accepted: Pocket PC 2003, Windows CE, Windows Mobile 5.0 Pocket PC, Windows Mobile 5.0 Smartphone, Windows Mobile 6 Classic, Windows Mobile 6 Professional, Windows Mobile 6 Standard)`},
		{device(okDev+`, "client": "4.0.x"`, okDep), "device.client", "x", version.ErrSyntax, ""},
		{device(okDev+`, "client": "4.0.70000"`, okDep), "device.client", "x", version.ErrRange, ""},
		{device(`"platform": "CE", "security": "Standard", "connection": "direct"`, okDep),
			"device.id", "", nil, `fleet: device 1 at offset 274: device.id: missing or empty`},
		{device(`"id": "x", "security": "Standard", "connection": "direct"`, okDep), "device.platform", "x", nil, ""},
		{device(`"id": "x", "platform": "CE", "connection": "direct"`, okDep), "device.security", "x", nil, ""},
		{device(`"id": "x", "platform": "CE", "security": "Standard"`, okDep), "device.connection", "x", nil, ""},
		{device(`"id": "x", "platform": "CE", "security": "Lax", "connection": "direct"`, okDep), "device.security", "x", certs.ErrInvalidInput, ""},
		{device(`"id": "x", "platform": "CE", "security": {"trusts": true}, "connection": "direct"`, okDep), "device.security.trusts", "x", nil, ""},
		{device(`"id": "x", "platform": "CE", "security": "Standard", "connection": "wifi"`, okDep), "device.connection", "x", lifecycle.ErrInvalidInput, ""},
		{device(okDev, `"package": "p"`), "deployment.method", "x", nil, ""},
		{device(okDev, `"method": "manual transfer"`), "deployment.package", "x", nil,
			`fleet: device 1 "x" at offset 274: deployment.package: missing, and the file has 2 packages`},
		{device(okDev, `"method": "manual transfer", "package": "r"`), "deployment.package", "x", nil,
			`fleet: device 1 "x" at offset 274: deployment.package: no package "r" in the fleet file`},
		{device(okDev, `"method": "manual transfer", "package": "p", "site": "t"`), "deployment.site", "x", nil, ""},
		{device(okDev, okDep+`, "component": "tool"`), "deployment.component", "x", lifecycle.ErrInvalidInput, ""},
		{device(okDev, okDep+`, "repair": "yes"`), "deployment.repair", "x", nil, ""},
		{device(okDev, okDep+`, "package": "q"`), "deployment.package", "x", nil, ""},
		{device(okDev, okDep+`, "colour": "red"`), "deployment.colour", "x", nil,
			`fleet: device 1 "x" at offset 274: deployment.colour: unknown member`},
		{device(`"id": "x", "platform": 7, "security": "Standard", "connection": "direct"`, okDep), "device.platform", "x", nil, ""},
		{device(okDev+`, "id": "y"`, okDep), "device.id", "x", nil, ""},
		{device(okDev, okDep) + `, "device": {}}`, "", "", nil, ""}, // not JSON as an entry: see TestDecoderFileErrors
		{`{"device": {` + okDev + `}, "deployment": {` + okDep + `}, "device": {` + okDev + `}}`, "device", "x", nil,
			`fleet: device 1 "x" at offset 274: device: member given twice`},
		{`{"device": {` + okDev + `}, "deployment": {` + okDep + `}, "site": "s"}`, "site", "x", nil, ""},
		{`{"device": {` + okDev + `}}`, "deployment", "x", nil, ""},
		{`{"deployment": {` + okDep + `}}`, "device", "", nil, ""},
		{`["not", "an", "object"]`, "", "", nil, ""},
		{`1e1` + strings.Repeat("0", 3000), "", "", nil, `fleet: device 1 at offset 274: expected a JSON object`},
		{device(`"id": "ok0", "platform": "CE", "security": "Standard", "connection": "direct"`, okDep), "device.id", "ok0", nil,
			`fleet: device 1 "ok0" at offset 274: device.id: the id of an earlier device too`},
	} {
		if tc.field == "" && tc.id == "" && strings.HasSuffix(tc.entry, `"device": {}}`) {
			continue
		}
		text := head + strings.Replace(good, "%", "0", 1) + "," + tc.entry + "," + strings.Replace(good, "%", "2", 1) + "]}"
		_, errs, err := decodeAll(t, strings.NewReader(text), ini.Settings{})
		if err != nil || len(errs) != 3 || errs[0] != nil || errs[2] != nil {
			t.Errorf("%s: errors %v, file error %v; want 3 devices, the middle one bad", tc.entry, errs, err)
			continue
		}
		var fe *fleet.Error
		if !errors.As(errs[1], &fe) || fe.Index != 1 || fe.ID != tc.id || fe.Field != tc.field || fe.Offset != int64(len(head)+len(good)+1) {
			t.Errorf("%s: error %#v, want device %q (index 1) field %q offset %d", tc.entry, errs[1], tc.id, tc.field, len(head)+len(good)+1)
			continue
		}
		if !errors.Is(errs[1], lifecycle.ErrInvalidInput) || tc.target != nil && !errors.Is(errs[1], tc.target) {
			t.Errorf("%s: error %v is not ErrInvalidInput and %v", tc.entry, errs[1], tc.target)
		}
		if tc.msg != "" && errs[1].Error() != tc.msg {
			t.Errorf("error message\n%s\nwant\n%s", errs[1], tc.msg)
		}
		if f := fleet.FailureOf(lifecycle.Outcome{Err: errs[1]}); f != fleet.FailureInput {
			t.Errorf("%s: classified %v", tc.entry, f)
		}
	}
}

// TestDecoderDuplicates: a device id given twice, and a member given twice
// at every level of an entry, are per-device errors naming the field.
func TestDecoderDuplicates(t *testing.T) {
	for _, tc := range []struct{ second, field string }{
		{device(`"id": "ok0", "platform": "CE", "security": "Standard", "connection": "direct"`, okDep), "device.id"},
		{device(okDev+`, "platform": "CE"`, okDep), "device.platform"},
		{device(okDev, okDep+`, "method": "manual sync"`), "deployment.method"},
		{device(okDev, okDep+`, "package": "p"`), "deployment.package"},
		{`{"deployment": {` + okDep + `}, "device": {` + okDev + `}, "deployment": {` + okDep + `}}`, "deployment"},
	} {
		text := head + strings.Replace(good, "%", "0", 1) + "," + tc.second + "]}"
		_, errs, err := decodeAll(t, strings.NewReader(text), ini.Settings{})
		var fe *fleet.Error
		if err != nil || len(errs) != 2 || errs[0] != nil || !errors.As(errs[1], &fe) || fe.Field != tc.field {
			t.Errorf("%s: errors %v, file error %v; want the second device's error at %s", tc.second, errs, err, tc.field)
		}
	}
}

// TestDecoderManyIDs: ids are told apart across the growth of the set
// that holds them, and a repeat is found wherever it is.
func TestDecoderManyIDs(t *testing.T) {
	const n = 5000
	var b strings.Builder
	b.WriteString(head)
	for i := range n {
		b.WriteString(strings.Replace(good, "%", strconv.Itoa(i), 1) + ",")
	}
	b.WriteString(strings.Replace(good, "%", "0", 1) + "," + strings.Replace(good, "%", "4321", 1) + "]}")
	_, errs, err := decodeAll(t, strings.NewReader(b.String()), ini.Settings{})
	if err != nil || len(errs) != n+2 {
		t.Fatalf("%d devices, %v", len(errs), err)
	}
	for i, err := range errs {
		var fe *fleet.Error
		if (i >= n) != (err != nil) || err != nil && (!errors.As(err, &fe) || fe.Field != "device.id") {
			t.Fatalf("device %d: %v", i, err)
		}
	}
}

// TestDecoderInvalidUTF8: invalid UTF-8 in a device entry is an error of
// that device, naming the member that holds it, never a silent U+FFFD.
func TestDecoderInvalidUTF8(t *testing.T) {
	for _, tc := range []struct{ entry, field string }{
		{device("\"id\": \"x\xff\", \"platform\": \"CE\", \"security\": \"Standard\", \"connection\": \"direct\"", okDep), "device"},
		{device(okDev+", \"computer\": \"PC-\xc3\"", okDep), "device"},
		{device(okDev, "\"method\": \"manual transfer\", \"package\": \"p\xfe\""), "deployment"},
		{"{\"device\": {" + okDev + "}, \"deployment\": {" + okDep + "}, \"\xff\": 1}", ""},
	} {
		text := head + tc.entry + "," + strings.Replace(good, "%", "1", 1) + "]}"
		es, errs, err := decodeAll(t, strings.NewReader(text), ini.Settings{})
		var fe *fleet.Error
		if err != nil || len(errs) != 2 || errs[1] != nil || !errors.As(errs[0], &fe) || fe.Field != tc.field ||
			!strings.Contains(fe.Error(), "invalid UTF-8") {
			t.Errorf("%q: errors %v, file error %v; want the first device's error at %q", tc.entry, errs, err, tc.field)
		}
		if strings.ContainsRune(es[0].Device.ID+es[0].Device.Computer+es[0].Package, '\uFFFD') {
			t.Errorf("%q: a replacement character was decoded: %+v", tc.entry, es[0])
		}
	}
	// In a section, invalid UTF-8 is an error of the file.
	_, _, err := decodeAll(t, strings.NewReader("{\"sites\": {\"s\xff\": {\"mode\": \"mixed\"}}}"), ini.Settings{})
	var fe *fleet.Error
	if !errors.As(err, &fe) || fe.Field != "sites" || fe.Index != -1 {
		t.Errorf("invalid UTF-8 in a site name: %v", err)
	}
}

// TestDecoderSecondRange: ranging Devices again yields nothing and leaves
// Err as the first range left it.
func TestDecoderSecondRange(t *testing.T) {
	for _, text := range []string{fleetJSON, head + good + ", {]}"} {
		dec := fleet.NewDecoder(strings.NewReader(text), ini.Settings{})
		n := 0
		for range dec.Devices() {
			n++
		}
		first := dec.Err()
		for range dec.Devices() {
			t.Errorf("a second range yielded a device")
		}
		if n == 0 || dec.Err() != first {
			t.Errorf("%d devices; Err after the second range %v, after the first %v", n, dec.Err(), first)
		}
	}
}

// TestErrorFieldNamesOnce: a long or non-printable name from a fleet or
// plan file is quoted once in an error's Field, and the message shows the
// Field as it is, with the path after the name: the path is not quoted
// (and cut) again as a whole.
func TestErrorFieldNamesOnce(t *testing.T) {
	long, esc := strings.Repeat("x", 150), strings.Repeat(`\u0001`, 20)
	// The names as a field path spells them: 100 bytes quoted, "..."
	// after a cut, control characters escaped.
	qLong, qEsc := `"`+strings.Repeat("x", 100)+`"...`, `"`+strings.Repeat(`\x01`, 20)+`"`
	read := func(text string) error {
		if strings.HasPrefix(text, `{"waves"`) {
			_, err := fleet.ReadPlan(strings.NewReader(text), ini.Settings{})
			return err
		}
		_, errs, err := decodeAll(t, strings.NewReader(text), ini.Settings{})
		return errors.Join(append(errs, err)...)
	}
	for _, tc := range []struct{ text, field string }{
		{`{"` + long + `": 1}`, qLong},
		{`{"` + esc + `": 1}`, qEsc},
		{head + device(okDev+`, "`+long+`": 1`, okDep) + "]}", "device." + qLong},
		{head + device(okDev+`, "`+esc+`": 1`, okDep) + "]}", "device." + qEsc},
		{head + device(okDev, okDep+`, "`+long+`": 1`) + "]}", "deployment." + qLong},
		{head + device(okDev, okDep+`, "`+esc+`": 1`) + "]}", "deployment." + qEsc},
		{`{"packages": {"` + long + `": {"version": "4"}}}`, "packages[" + qLong + "].version"},
		{`{"packages": {"` + esc + `": {"version": "4"}}}`, "packages[" + qEsc + "].version"},
		{`{"sites": {"s": {"mode": "mixed", "` + long + `": true}}}`, `sites["s"].` + qLong},
		{`{"sites": {"s": {"mode": "mixed", "` + esc + `": true}}}`, `sites["s"].` + qEsc},
		{`{"waves": [{"name": "` + long + `", "target": {"al": true}}]}`, "waves[" + qLong + "].target.al"},
		{`{"waves": [{"name": "` + esc + `", "target": {"al": true}}]}`, "waves[" + qEsc + "].target.al"},
		{`{"waves": [{"name": "a", "target": {"` + long + `": true}}]}`, `waves["a"].target.` + qLong},
		{`{"waves": [{"name": "a", "target": {"` + esc + `": true}}]}`, `waves["a"].target.` + qEsc},
		{`{"waves": [], "` + esc + `": 1}`, qEsc},
	} {
		err := read(tc.text)
		var fe *fleet.Error
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), ": "+tc.field+": ") {
			t.Errorf("%.60s: field %q, error\n%v\nwant field\n%s", tc.text, fieldOf(fe), err, tc.field)
		}
	}
}

func fieldOf(e *fleet.Error) string {
	if e == nil {
		return ""
	}
	return e.Field
}

func TestDecoderFileErrors(t *testing.T) {
	for _, tc := range []struct {
		text, field string
		index       int
		msg         string
	}{
		{``, "", -1, "fleet: at offset 0: unexpected end of JSON"},
		{`[]`, "", -1, `fleet: at offset 1: expected '{'`},
		{`{"devices": [{"id": "a"}, {"id": "b",]}`, "", 1, ""},
		{`{"devices": [{"id": "a"} {"id": "b"}]}`, "", 1, ""},
		{`{"devices": {}}`, "devices", -1, ""},
		{`{"sites": {"s": {"mode": "cloud"}}}`, `sites["s"].mode`, -1, ""},
		{`{"sites": {"s": {}}}`, `sites["s"].mode`, -1, `fleet: at offset 16: sites["s"].mode: missing`},
		{`{"sites": {"s": {"mode": "mixed", "vpn": true}}}`, `sites["s"].vpn`, -1, ""},
		{`{"sites": {"s": {"mode": "mixed", "mode": "native"}}}`, `sites["s"].mode`, -1, ""},
		{`{"sites": {"s": {"mode": "mixed"}, "s": {"mode": "mixed"}}}`, `sites["s"]`, -1, ""},
		{`{"packages": {"p": {"version": "4"}}}`, `packages["p"].version`, -1, ""},
		{`{"packages": {"p": {}}}`, `packages["p"].version`, -1, ""},
		{`{"packages": {"p": {"version": "4.0", "folder": "x"}}}`, `packages["p"].folder`, -1, ""},
		{`{"packages": {"p": {"version": "4.0", "ini": "[S]\r\nClientInstallAction=Maybe\r\n"}}}`, `packages["p"].ini`, -1, ""},
		{`{"packages": {}, "packages": {}}`, "packages", -1, ""},
		{`{"packages": {"P": {"version": "1.0"}, "p": {"version": "1.0"}}}`, `packages["p"]`, -1,
			`fleet: at offset 44: packages["p"]: the name of "P" too (names compare ignoring case)`},
		{`{"sites": {"S": {"mode": "native"}, "s": {"mode": "mixed"}}}`, `sites["s"]`, -1, ""},
		{`{"fleet": []}`, "fleet", -1, "fleet: at offset 8: fleet: unknown member"},
		{`{"devices": []} {}`, "", -1, "fleet: at offset 17: data after the fleet object"},
		{`{"devices": [`, "devices", -1, ""},
		{`{"devices": [] `, "", -1, ""},
		{`{"\u001b[2J": 1}`, `"\x1b[2J"`, -1, `fleet: at offset 12: "\x1b[2J": unknown member`},
		// encoding/json would quote a number it cannot store whole.
		{`{"sites": 1e1` + strings.Repeat("0", 3000) + `}`, "sites", -1, "fleet: at offset 10: sites: expected a JSON object"},
		{`{"packages": {"p": 1e1` + strings.Repeat("0", 3000) + `}}`, `packages["p"]`, -1,
			`fleet: at offset 19: packages["p"]: expected a JSON object`},
	} {
		_, _, err := decodeAll(t, strings.NewReader(tc.text), ini.Settings{})
		var fe *fleet.Error
		if !errors.As(err, &fe) || fe.Field != tc.field || fe.Index != tc.index || !errors.Is(err, lifecycle.ErrInvalidInput) {
			t.Errorf("%s: error %#v, want a file error at %q", tc.text, err, tc.field)
			continue
		}
		if tc.msg != "" && err.Error() != tc.msg {
			t.Errorf("%s: message\n%s\nwant\n%s", tc.text, err, tc.msg)
		}
	}
}

// TestDecoderIniErrors: a settings error in a package's .ini stops the
// file before any device is yielded, as an error naming the package, the
// .ini, the line and the key, wherever the packages are in the file.
func TestDecoderIniErrors(t *testing.T) {
	bad := `{"version": "4.00.6487.2000", "ini": "[ClientSettings]\r\nClientInstallAction=Install\r\nCertEnrollAction=Enrol\r\n"}`
	text := strings.Replace(fleetJSON, `"sp2": {"version": "4.00.6487.2000"}`, `"sp2": `+bad, 1)
	for name, r := range map[string]io.Reader{
		"devices last":           strings.NewReader(text),
		"devices first, seeking": strings.NewReader(devicesFirst(text)),
		"devices first, holding": noSeek{strings.NewReader(devicesFirst(text))},
	} {
		es, _, err := decodeAll(t, r, ini.Settings{})
		var fe *fleet.Error
		if len(es) != 0 || !errors.As(err, &fe) || fe.Field != `packages["sp2"].ini` ||
			!strings.Contains(err.Error(), "ClientSettings.ini:3") || !strings.Contains(err.Error(), "CertEnrollAction") {
			t.Errorf("%s: %d devices yielded, error %v", name, len(es), err)
		}
	}
}

// TestDecoderCaps: a huge value stops the file with a short message, and
// a string over its cap is an error of its device, quoting at most about
// 100 bytes of it; the memory used stays bounded.
func TestDecoderCaps(t *testing.T) {
	size, big := 50<<20, 1<<20
	if raceEnabled {
		size, big = 9<<20, 256<<10 // still over the caps
	}
	huge := strings.Repeat("x", size)
	for _, tc := range []struct {
		name, text string
		file       bool
	}{
		{"huge id", head + device(`"id": "`+huge+`", "platform": "CE", "security": "Standard", "connection": "direct"`, okDep) + "]}", true},
		{"huge member name", `{"` + huge + `": 1}`, true},
		{"huge site", `{"sites": {"s": {"mode": "` + huge + `"}}}`, true},
		{"huge package", `{"packages": {"p": {"version": "4.0.1.2", "ini": "` + huge + `"}}}`, true},
		{"long id", head + device(`"id": "`+huge[:big]+`", "platform": "CE", "security": "Standard", "connection": "direct"`, okDep) + "]}", false},
		{"long platform", head + device(`"id": "x", "platform": "`+huge[:big]+`", "security": "Standard", "connection": "direct"`, okDep) + "]}", false},
		{"\\u0001 in client", head + device(okDev+`, "client": "`+strings.Repeat(`\u0001`, 4*big/6)+`"`, okDep) + "]}", false},
		{"long package name", head + device(okDev, `"method": "manual sync", "package": "`+huge[:big]+`"`) + "]}", false},
	} {
		if raceEnabled && strings.HasPrefix(tc.name, "huge") && tc.name != "huge id" {
			continue // each reads 8 MiB, slowly under the race detector
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, errs, err := decodeAll(t, strings.NewReader(tc.text), ini.Settings{})
		runtime.ReadMemStats(&after)
		if tc.file {
			if err == nil || len(errs) != 0 {
				t.Errorf("%s: %d devices, file error %v", tc.name, len(errs), err)
				continue
			}
		} else {
			if err != nil || len(errs) != 1 || errs[0] == nil {
				t.Errorf("%s: errors %v, file error %v", tc.name, errs, err)
				continue
			}
			err = errs[0]
		}
		if n := len(err.Error()); n > 600 {
			t.Errorf("%s: a message of %d bytes: %.300s...", tc.name, n, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
			t.Errorf("%s: allocated %d MiB", tc.name, alloc>>20)
		}
	}
}

// TestDecoderSeeks: devices before the sections are streamed in a second
// pass when the reader can seek, not held: the heap stays small while the
// held form grows with the file.
func TestDecoderSeeks(t *testing.T) {
	if raceEnabled {
		t.Skip("memory figures under the race detector")
	}
	const n = 30_000
	var b bytes.Buffer
	b.WriteString(`{"devices": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(strings.Replace(good, "%", strings.Repeat("0", 20)+strconv.Itoa(i), 1))
	}
	b.WriteString(`], "sites": {"s": {"mode": "mixed"}}, "packages": {"p": {"version": "4.0.1.2"}}}`)
	path := filepath.Join(t.TempDir(), "fleet.json")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	peak := func(r io.Reader) uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		var top uint64
		dec := fleet.NewDecoder(r, ini.Settings{})
		i := 0
		for _, err := range dec.Devices() {
			if err != nil {
				t.Fatal(err)
			}
			if i%5_000 == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				top = max(top, ms.HeapAlloc-min(base, ms.HeapAlloc))
			}
			i++
		}
		if dec.Err() != nil || i != n {
			t.Fatalf("%d devices, %v", i, dec.Err())
		}
		return top
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seeking := peak(f)
	f.Seek(0, io.SeekStart)
	holding := peak(noSeek{f})
	t.Logf("file %d MB; heap: seeking %.1f MB, holding %.1f MB", b.Len()>>20, float64(seeking)/(1<<20), float64(holding)/(1<<20))
	if seeking > 2<<20 || holding < uint64(b.Len())/2 {
		t.Errorf("heap: seeking %d bytes, holding %d bytes, for a file of %d bytes", seeking, holding, b.Len())
	}
}

// FuzzDecoder: any input yields devices with device errors or none, in
// order, and at most one file error; nothing panics, no message is long.
func FuzzDecoder(f *testing.F) {
	f.Add(fleetJSON)
	f.Add(devicesFirst(fleetJSON))
	f.Add("\uFEFF" + fleetJSON)
	f.Add(`{"devices": [{"device": {"id": "a"}}, 3, null, {"device": {"id": "b", "platform": "CE"}, "deployment": {}}]}`)
	f.Add(`{"sites": {"s": {"mode": "native"}}, "devices": [{}], "packages": {"p": {"version": "1.2"}}}`)
	f.Fuzz(func(t *testing.T, text string) {
		for _, r := range []io.Reader{strings.NewReader(text), noSeek{strings.NewReader(text)}} {
			dec := fleet.NewDecoder(r, ini.Settings{ClientInstallAction: ini.ActionInstall})
			i := 0
			ids := map[string]bool{}
			for e, err := range dec.Devices() {
				var fe *fleet.Error
				switch {
				case err != nil && (!errors.As(err, &fe) || fe.Index != i || fe.ID != e.Device.ID || !errors.Is(err, lifecycle.ErrInvalidInput)):
					t.Fatalf("device %d: error %#v", i, err)
				case err == nil && (e.Device.ID == "" || ids[e.Device.ID] || e.Deployment.Method == 0):
					t.Fatalf("device %d without id, with a duplicate id or without method, and without error: %+v", i, e)
				case err != nil && len(err.Error()) > 1200:
					t.Fatalf("device %d: a message of %d bytes", i, len(err.Error()))
				}
				ids[e.Device.ID] = true
				i++
			}
			var fe *fleet.Error
			if err := dec.Err(); err != nil && !errors.As(err, &fe) {
				t.Fatalf("file error %#v is not an *Error", err)
			} else if err != nil && len(err.Error()) > 1200 {
				t.Fatalf("a file error of %d bytes", len(err.Error()))
			}
		}
	})
}
