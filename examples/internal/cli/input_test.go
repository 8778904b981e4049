package cli_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

var sample = fstest.MapFS{
	"sample/ClientSettings.ini": {Data: []byte("[ClientSettings]\nClientInstallAction=Uninstall\n")},
	"sample/fleet.json":         {Data: []byte(`{}`)},
}

func TestOpen(t *testing.T) {
	name, f, err := cli.Open("", sample, "sample/fleet.json")
	if err != nil || name != "sample/fleet.json" {
		t.Fatalf("the sample: %q, %v", name, err)
	}
	if data, _ := io.ReadAll(f); string(data) != `{}` {
		t.Errorf("the sample holds %q", data)
	}
	f.Close()
	path := cli.WriteTemp(t, "fleet.json", `{"devices": []}`)
	name, f, err = cli.Open(path, sample, "sample/fleet.json")
	if err != nil || name != path {
		t.Fatalf("a file: %q, %v", name, err)
	}
	if data, _ := io.ReadAll(f); string(data) != `{"devices": []}` {
		t.Errorf("the file holds %q", data)
	}
	f.Close()
	missing := filepath.Join(t.TempDir(), "none.json")
	if name, _, err := cli.Open(missing, sample, "sample/fleet.json"); name != missing || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %q, %v", name, err)
	}
}

func TestReadSettings(t *testing.T) {
	name, s, err := cli.ReadSettings("", sample, "sample/ClientSettings.ini")
	if err != nil || name != "sample/ClientSettings.ini" || s.ClientInstallAction.String() != "Uninstall" {
		t.Errorf("the sample: %q, %+v, %v", name, s, err)
	}
	path := cli.WriteTemp(t, "ClientSettings.ini", "[ClientSettings]\r\nClientInstallAction=None\r\n")
	if name, s, err = cli.ReadSettings(path, sample, "sample/ClientSettings.ini"); err != nil || name != path || s.ClientInstallAction.String() != "None" {
		t.Errorf("a file: %q, %+v, %v", name, s, err)
	}
	big := cli.WriteTemp(t, "big.ini", "; "+strings.Repeat("x", ini.MaxSize)+"\n")
	if _, _, err := cli.ReadSettings(big, sample, ""); !errors.Is(err, ini.ErrTooLarge) || !strings.HasPrefix(err.Error(), big+": ") {
		t.Errorf("a file too large: %v", err)
	}
	bad := cli.WriteTemp(t, "bad.ini", "[ClientSettings]\nClientInstallAction=Sometimes\n")
	if _, _, err := cli.ReadSettings(bad, sample, ""); err == nil || !strings.Contains(err.Error(), "ClientInstallAction") {
		t.Errorf("a bad file: %v", err)
	}
	if _, _, err := cli.ReadSettings("", sample, "sample/none.ini"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing sample: %v", err)
	}
}

// fleetText is a fleet file of n devices, "d0" to "d<n-1>"; the device
// bad, if in range, cannot be read.
func fleetText(n, bad int) string {
	var b strings.Builder
	b.WriteString(`{"sites": {"s": {"mode": "mixed", "clientAgent": true}}, "packages": {"p": {"version": "4.00.6487.2000"}}, "devices": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		platform := "CE"
		if i == bad {
			platform = "Foo"
		}
		fmt.Fprintf(&b, `{"device": {"id": "d%d", "platform": %q, "security": "Standard", "connection": "direct"}, "deployment": {"method": "manual transfer"}}`, i, platform)
	}
	b.WriteString("]}")
	return b.String()
}

// ids returns the ids that devices yields, and how many errors.
func ids(devices func(func(fleet.Entry, error) bool)) (ids []string, errs int) {
	for e, err := range devices {
		ids = append(ids, e.Device.ID)
		if err != nil {
			errs++
		}
	}
	return ids, errs
}

func TestDevices(t *testing.T) {
	dec := fleet.NewDecoder(strings.NewReader(fleetText(3, 1)), ini.Settings{})
	devices, err := cli.Devices(dec, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, errs := ids(devices); strings.Join(got, " ") != "d0 d1 d2" || errs != 1 {
		t.Errorf("the fleet's devices: %v, %d errors", got, errs)
	}

	dec = fleet.NewDecoder(strings.NewReader(fleetText(3, 1)), ini.Settings{})
	if devices, err = cli.Devices(dec, 7, nil); err != nil {
		t.Fatal(err)
	}
	got, errs := ids(devices)
	if strings.Join(got, " ") != "d0#0 d1#0 d2#0 d0#1 d1#1 d2#1 d0#2" || errs != 2 {
		t.Errorf("-generate 7: %v, %d errors", got, errs)
	}
	n := 0
	for range devices {
		if n++; n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("the generated devices do not stop when asked: %d", n)
	}

	dec = fleet.NewDecoder(strings.NewReader(fleetText(0, -1)), ini.Settings{})
	if _, err := cli.Devices(dec, 5, nil); err == nil || err.Error() != "-generate: the fleet has no devices" {
		t.Errorf("-generate of no devices: %v", err)
	}
	dec = fleet.NewDecoder(strings.NewReader(`{"devices": [`), ini.Settings{})
	if _, err := cli.Devices(dec, 5, nil); err == nil || err != dec.Err() {
		t.Errorf("-generate of a broken file: %v", err)
	}
}

// line is the progress line of the tests.
func line(n, total int) string { return fmt.Sprintf("%d/%d", n, total) }

// TestProgress: a progress line every 1% from 10,000 devices on, or every
// 10,000 devices when the total is not known, and a newline at the end;
// nothing for a fleet known to be small, or when stderr is not a
// terminal.
func TestProgress(t *testing.T) {
	var want strings.Builder
	for n := 10_000; n <= 20_000; n += 200 {
		want.WriteString("\r" + line(n, 20_000))
	}
	want.WriteString("\n")
	big := fleetText(2, -1)
	for _, tc := range []struct {
		name     string
		fleet    string
		generate int
		terminal bool
		want     string
	}{
		{"generate 20000", big, 20_000, true, want.String()},
		{"generate 20000 not on a terminal", big, 20_000, false, ""},
		{"generate 9999", big, 9_999, true, ""},
		{"generate 1000100", big, 1_000_100, true, "\r" + line(990_000, 1_000_100) + "\r" + line(1_000_000, 1_000_100) + "\n"},
		{"a fleet of 25000", fleetText(25_000, -1), 0, true, "\r10000/-1\r20000/-1\n"},
		{"a fleet of 9999", fleetText(9_999, -1), 0, true, ""},
	} {
		var b strings.Builder
		p := cli.NewProgress(&b, tc.terminal, line)
		devices, err := cli.Devices(fleet.NewDecoder(strings.NewReader(tc.fleet), ini.Settings{}), tc.generate, p)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for range devices {
			n++
		}
		p.End()
		got := b.String()
		if tc.generate == 1_000_100 { // every 10,000 devices, not every 1%: the count and the last lines
			if c := strings.Count(got, "\r"); c != 100 || !strings.HasSuffix(got, tc.want) {
				t.Errorf("%s: %d lines, ending %q", tc.name, c, got[max(0, len(got)-60):])
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s: wrote %q, want %q", tc.name, got, tc.want)
		}
	}
	var nilProgress *cli.Progress
	nilProgress.End() // does nothing
	if p := cli.NewProgress(os.Stderr, false, line); p != nil {
		t.Errorf("a progress line not on a terminal: %v", p)
	}
}
