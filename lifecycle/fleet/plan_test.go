package fleet_test

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// samplePlan is the plan of ReadPlan's documentation.
const samplePlan = `{
  "packages": {
    "r3": {"version": "4.00.6487.2157"}
  },
  "waves": [
    {"name": "pilot", "target": {"share": 10}},
    {"name": "the rest", "target": {"share": {"from": 10, "to": 100}}},
    {"name": "R3", "after": "30d", "target": {"all": true},
     "deployment": {"package": "r3"}},
    {"name": "retire WM5", "target": {"platform": ["WM5PPC", "WM5SP"]},
     "deployment": {"package": "retire", "method": "manual sync"}},
    {"name": "repair", "target": {"ids": ["wm6pro-07", "ppc03-12"]},
     "deployment": {"package": "r3", "repair": true}}
  ]
}`

func readPlan(t testing.TB, text string) *fleet.Plan {
	t.Helper()
	p, err := fleet.ReadPlan(strings.NewReader(text), ini.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadPlan(t *testing.T) {
	got := readPlan(t, samplePlan)
	empty, err := lifecycle.ReadSettings("ClientSettings.ini", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &fleet.Plan{
		Packages: map[string]lifecycle.Package{"r3": {Version: version.MustParse("4.00.6487.2157"),
			Folder: lifecycle.CompleteFolder(certs.Platforms()...), Settings: empty}},
		Waves: []fleet.Wave{
			{Name: "pilot", Target: fleet.Target{Share: &fleet.Share{To: 10}}},
			{Name: "the rest", Target: fleet.Target{Share: &fleet.Share{From: 10, To: 100}}},
			{Name: "R3", After: 30 * 24 * time.Hour, Package: "r3", Target: fleet.Target{All: true}},
			{Name: "retire WM5", Package: "retire", Method: lifecycle.ManualSync,
				Target: fleet.Target{Platforms: []certs.Platform{certs.WM5PocketPC, certs.WM5Smartphone}}},
			{Name: "repair", Package: "r3", Repair: true, Target: fleet.Target{IDs: []string{"wm6pro-07", "ppc03-12"}}},
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(fleet.Wave{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	// Every member of a target, and one of each kind as a single name.
	p := readPlan(t, `{"sites": {"Far": {"mode": "native", "clientAgent": true}}, "waves": [{"name": "w", "after": "90m",
		"target": {"ids": ["a"], "share": 0.25, "platform": "wm6pro", "connection": ["direct", "over the air"], "computer": "PC-1"},
		"deployment": {"site": "far", "component": "password program", "renewCertificate": true}}]}`)
	w := p.Waves[0]
	if w.After != 90*time.Minute || w.Site != "far" || w.Component != lifecycle.PasswordProgram || !w.RenewCertificate ||
		w.Target.Share.To != 0.25 || len(w.Target.Platforms) != 1 || len(w.Target.Connections) != 2 ||
		w.Target.Computers[0] != "PC-1" || p.Sites["Far"].Mode != certs.Native {
		t.Errorf("%+v %+v", w, p.Sites)
	}
}

// TestReadPlanSettings: a plan package without an .ini of its own gets the
// settings given, as a fleet file's does.
func TestReadPlanSettings(t *testing.T) {
	s := ini.Settings{ClientInstallAction: ini.ActionUninstall}
	p, err := fleet.ReadPlan(strings.NewReader(`{"packages": {"a": {"version": "1.0.0.0"},
		"b": {"version": "1.0.0.0", "ini": "[ClientSettings]\nClientInstallAction=None\n"}},
		"waves": [{"name": "w", "target": {"all": true}}]}`), s)
	if err != nil {
		t.Fatal(err)
	}
	if p.Packages["a"].Settings.ClientInstallAction != ini.ActionUninstall || p.Packages["b"].Settings.ClientInstallAction != ini.ActionNone {
		t.Errorf("%+v", p.Packages)
	}
}

// TestReadPlanErrors: a plan that cannot run is an *fleet.Error naming the
// wave and the member, before anything runs.
func TestReadPlanErrors(t *testing.T) {
	wave := func(members string) string {
		return `{"waves": [{"name": "w1", "target": {"all": true}}, {"name": "w2", ` + members + `}]}`
	}
	many := make([]string, fleet.MaxWaves+1)
	for i := range many {
		many[i] = fmt.Sprintf(`{"name": "w%d", "target": {"all": true}}`, i)
	}
	for _, tc := range []struct{ name, text, field, want string }{
		{"empty plan", `{"waves": []}`, "waves", "an empty plan"},
		{"no waves", `{"packages": {}}`, "waves", "missing"},
		{"not JSON", `waves`, "", "invalid character"},
		{"not an object", `[]`, "", `expected '{'`},
		{"unknown member", `{"wave": []}`, "wave", "unknown member"},
		{"member twice", `{"waves": [], "waves": []}`, "waves", "given twice"},
		{"data after", `{"waves": [{"name": "w", "target": {"all": true}}]} {}`, "", "data after the plan object"},
		{"too many waves", `{"waves": [` + strings.Join(many, ",") + `]}`, "waves", "more than 64 waves"},
		{"wave not an object", `{"waves": [3]}`, "waves[0]", "expected a JSON object"},
		{"wave a huge number", `{"waves": [1e1` + strings.Repeat("0", 3000) + `]}`, "waves[0]", "expected a JSON object"},
		{"waves a huge number", `{"waves": 1e1` + strings.Repeat("0", 3000) + `}`, "waves", "expected '['"},
		{"unknown wave member", wave(`"target": {"all": true}, "when": "now"`), `waves["w2"].when`, "unknown member"},
		{"wave member twice", wave(`"target": {"all": true}, "target": {"all": true}`), `waves["w2"].target`, "given twice"},
		{"no name", `{"waves": [{"target": {"all": true}}]}`, "waves[0].name", "missing"},
		{"empty name", `{"waves": [{"name": "", "target": {"all": true}}]}`, "waves[0].name", "missing or empty"},
		{"names twice", `{"waves": [{"name": "w1", "target": {"all": true}}, {"name": "W1", "target": {"all": true}}]}`,
			`waves["W1"].name`, `the name of "w1" too`},
		{"no target", wave(`"after": "1d"`), `waves["w2"].target`, "missing"},
		{"empty target", wave(`"target": {}`), `waves["w2"].target`, `empty: give "all": true`},
		{"all false", wave(`"target": {"all": false}`), `waves["w2"].target.all`, "only true"},
		{"all and more", wave(`"target": {"all": true, "ids": ["a"]}`), `waves["w2"].target.all`, "goes alone"},
		{"unknown target member", wave(`"target": {"site": "x"}`), `waves["w2"].target.site`, "unknown member"},
		{"share over 100", wave(`"target": {"share": 120}`), `waves["w2"].target.share`, "a share outside 0-100%: to 120%"},
		{"share under 0", wave(`"target": {"share": {"from": -5, "to": 10}}`), `waves["w2"].target.share`, "a share outside 0-100%: from -5%"},
		{"share reversed", wave(`"target": {"share": {"from": 50, "to": 10}}`), `waves["w2"].target.share`, "from 50% is after to 10%"},
		{"share too fine", wave(`"target": {"share": 0.125}`), `waves["w2"].target.share`, "steps of 0.01%"},
		{"share half given", wave(`"target": {"share": {"from": 5}}`), `waves["w2"].target.share`, `both "from" and "to"`},
		{"share not a number", wave(`"target": {"share": "10%"}`), `waves["w2"].target.share`, "expected a number or"},
		{"share member", wave(`"target": {"share": {"from": 5, "until": 9}}`), `waves["w2"].target.share.until`, "unknown member"},
		{"share member type", wave(`"target": {"share": {"from": 5, "to": "9"}}`), `waves["w2"].target.share.to`, "expected a number"},
		{"empty ids", wave(`"target": {"ids": []}`), `waves["w2"].target.ids`, "an empty list"},
		{"ids not strings", wave(`"target": {"ids": [1]}`), `waves["w2"].target.ids`, "item 0: expected a JSON string"},
		{"unknown platform", wave(`"target": {"platform": ["WM6Pro", "WP7"]}`), `waves["w2"].target.platform`, `unknown Platform "WP7"`},
		{"unknown connection", wave(`"target": {"connection": "bluetooth"}`), `waves["w2"].target.connection`, `"bluetooth"`},
		{"empty platforms", wave(`"target": {"platform": []}`), `waves["w2"].target.platform`, "an empty list"},
		{"empty connections", wave(`"target": {"share": 10, "connection": []}`), `waves["w2"].target.connection`, "an empty list"},
		{"empty computers", wave(`"target": {"share": 10, "computer": []}`), `waves["w2"].target.computer`, "an empty list"},
		{"computer not a string", wave(`"target": {"computer": 7}`), `waves["w2"].target.computer`, "a string or a list of strings"},
		{"unknown method", wave(`"target": {"all": true}, "deployment": {"method": "pigeon"}`), `waves["w2"].deployment.method`, `"pigeon"`},
		{"unknown component", wave(`"target": {"all": true}, "deployment": {"component": "x"}`), `waves["w2"].deployment.component`, `"x"`},
		{"unknown deployment member", wave(`"target": {"all": true}, "deployment": {"version": "1"}`), `waves["w2"].deployment.version`, "unknown member"},
		{"empty package", wave(`"target": {"all": true}, "deployment": {"package": ""}`), `waves["w2"].deployment.package`, "empty"},
		{"repair not bool", wave(`"target": {"all": true}, "deployment": {"repair": "yes"}`), `waves["w2"].deployment.repair`, "true or false"},
		{"bad after", wave(`"target": {"all": true}, "after": "a month"`), `waves["w2"].after`, `"a month"`},
		{"bad days", wave(`"target": {"all": true}, "after": "-3d"`), `waves["w2"].after`, "days"},
		{"negative after", wave(`"target": {"all": true}, "after": "-1h"`), `waves["w2"].after`, "not from 0"},
		{"after under a second", wave(`"target": {"all": true}, "after": "10ms"`), `waves["w2"].after`, "less than a second"},
		{"after zero", wave(`"target": {"all": true}, "after": "0s"`), `waves["w2"].after`, "less than a second"},
		{"after zero days", wave(`"target": {"all": true}, "after": "0d"`), `waves["w2"].after`, "less than a second"},
		{"bad site", `{"sites": {"s": {"mode": "cloud"}}, "waves": []}`, `sites["s"].mode`, `unknown SiteMode "cloud"`},
		{"bad package ini", `{"packages": {"p": {"version": "1.0.0.0", "ini": "[S]\nCertEnrollAction=Enrol\n"}}, "waves": []}`,
			`packages["p"].ini`, "ClientSettings.ini:2"},
		{"package names twice", `{"packages": {"p": {"version": "1.0.0.0"}, "P": {"version": "1.0.0.0"}}, "waves": []}`,
			`packages["P"]`, `the name of "p" too`},
		{"invalid UTF-8", "{\"waves\": [{\"name\": \"\xff\"}]}", "", "invalid UTF-8"},
	} {
		_, err := fleet.ReadPlan(strings.NewReader(tc.text), ini.Settings{})
		var fe *fleet.Error
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.want) || fe.Index != -1 ||
			!errors.Is(err, lifecycle.ErrInvalidInput) {
			t.Errorf("%s: error %v (field %q), want field %q and %q", tc.name, err, field(fe), tc.field, tc.want)
		}
	}
}

func field(e *fleet.Error) string {
	if e == nil {
		return "(no *fleet.Error)"
	}
	return e.Field
}

// TestReadPlanOffsets: an error inside a wave is at the wave's offset.
func TestReadPlanOffsets(t *testing.T) {
	head := `{"waves": [{"name": "a", "target": {"all": true}}, `
	_, err := fleet.ReadPlan(strings.NewReader(head+`{"name": "b", "target": {"share": 101}}]}`), ini.Settings{})
	var fe *fleet.Error
	if !errors.As(err, &fe) || fe.Offset != int64(len(head)) ||
		!strings.HasPrefix(err.Error(), fmt.Sprintf(`fleet: at offset %d: waves["b"].target.share: `, len(head))) {
		t.Fatalf("%v", err)
	}
}

// TestReadPlanCaps: a plan over 8 MiB stops at the cap; a read error is
// reported as it is.
func TestReadPlanCaps(t *testing.T) {
	huge := `{"waves": [{"name": "` + strings.Repeat("x", 8<<20) + `"}]}`
	if _, err := fleet.ReadPlan(strings.NewReader(huge), ini.Settings{}); err == nil || !strings.Contains(err.Error(), "MiB") {
		t.Errorf("%v", err)
	}
	name := strings.Repeat("n", 300)
	if _, err := fleet.ReadPlan(strings.NewReader(`{"waves": [{"name": "`+name+`", "target": {"all": true}}]}`), ini.Settings{}); err == nil ||
		!strings.Contains(err.Error(), "longer than 256 bytes") {
		t.Errorf("%v", err)
	}
	broken := errors.New("disk on fire")
	if _, err := fleet.ReadPlan(errReader{broken}, ini.Settings{}); !errors.Is(err, broken) || errors.Is(err, lifecycle.ErrInvalidInput) {
		t.Errorf("%v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestPlanCheck: a plan made in code is checked as a plan file is, when it
// runs.
func TestPlanCheck(t *testing.T) {
	ok := fleet.Wave{Name: "w", Target: fleet.Target{All: true}}
	for _, tc := range []struct {
		name  string
		plan  fleet.Plan
		field string
	}{
		{"empty", fleet.Plan{}, "waves"},
		{"no name", fleet.Plan{Waves: []fleet.Wave{{Target: fleet.Target{All: true}}}}, "waves[0].name"},
		{"share", fleet.Plan{Waves: []fleet.Wave{{Name: "s", Target: fleet.Target{Share: &fleet.Share{To: math.NaN()}}}}}, `waves["s"].target.share`},
		{"method", fleet.Plan{Waves: []fleet.Wave{ok, {Name: "m", Method: 9, Target: fleet.Target{All: true}}}}, `waves["m"].deployment.method`},
		{"component", fleet.Plan{Waves: []fleet.Wave{{Name: "c", Component: 9, Target: fleet.Target{All: true}}}}, `waves["c"].deployment.component`},
		{"platform", fleet.Plan{Waves: []fleet.Wave{{Name: "p", Target: fleet.Target{Platforms: []certs.Platform{0}}}}}, `waves["p"].target.platform`},
		{"connection", fleet.Plan{Waves: []fleet.Wave{{Name: "c", Target: fleet.Target{Connections: []lifecycle.Connection{0}}}}}, `waves["c"].target.connection`},
		{"id", fleet.Plan{Waves: []fleet.Wave{{Name: "i", Target: fleet.Target{IDs: []string{strings.Repeat("i", 257)}}}}}, `waves["i"].target.ids`},
		{"after", fleet.Plan{Waves: []fleet.Wave{{Name: "a", After: -time.Hour, Target: fleet.Target{All: true}}}}, `waves["a"].after`},
		{"sites", fleet.Plan{Sites: map[string]lifecycle.Site{"a": {}, "A": {}}, Waves: []fleet.Wave{ok}}, `sites["a"]`},
	} {
		ran := false
		_, err := tc.plan.Run(t.Context(), func(func(fleet.Entry, error) bool) { ran = true }, fleet.PlanOptions{})
		var fe *fleet.Error
		if !errors.As(err, &fe) || fe.Field != tc.field || ran {
			t.Errorf("%s: %v (field %q), want field %q; fleet pulled: %v", tc.name, err, field(fe), tc.field, ran)
		}
	}
}

// refPlace restates the documented place of a device in a share: the
// first 8 bytes of SHA-256 of the id, big-endian, modulo 10,000.
func refPlace(id string) int {
	sum := sha256.Sum256([]byte(id))
	return int(binary.BigEndian.Uint64(sum[:8]) % 10000)
}

// TestShare: a share holds the devices whose place falls in it, as
// documented; shares that meet split the fleet without overlap; a share of
// a large fleet holds about that share of it.
func TestShare(t *testing.T) {
	// Known places, computed with `printf %s ID | sha256sum`.
	for id, want := range map[string]int{"": 1652} {
		if got := refPlace(id); got != want {
			t.Errorf("place of %q: %d, want %d", id, got, want)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		id := rapid.String().Draw(t, "id")
		a := rapid.IntRange(0, 10000).Draw(t, "a")
		b := rapid.IntRange(a, 10000).Draw(t, "b")
		s := fleet.Share{From: float64(a) / 100, To: float64(b) / 100}
		p := refPlace(id)
		if got := s.Contains(id); got != (a <= p && p < b) {
			t.Fatalf("%+v contains %q (place %d): %v", s, id, p, got)
		}
		lo, hi := fleet.Share{To: s.From}, fleet.Share{From: s.From, To: 100}
		if lo.Contains(id) == hi.Contains(id) {
			t.Fatalf("%q in both or neither of %+v and %+v", id, lo, hi)
		}
	})
	const n = 100_000
	in := 0
	for i := range n {
		if (fleet.Share{To: 10}).Contains(fmt.Sprintf("device-%06d", i)) {
			in++
		}
	}
	if math.Abs(float64(in)/n-0.10) > 0.005 {
		t.Errorf("a 10%% share holds %d of %d devices", in, n)
	}
}

// FuzzReadPlan: ReadPlan never panics, its errors are short, and a plan
// it accepts runs.
func FuzzReadPlan(f *testing.F) {
	f.Add(samplePlan)
	f.Add(`{"waves": [{"name": "w", "target": {"share": {"from": 1.5, "to": 2}}, "after": "3d"}]}`)
	f.Add(`{"sites": {"s": {"mode": "mixed"}}, "waves": [{"name": "w", "target": {"computer": ["a", "b"]}, "deployment": {"site": "S"}}]}`)
	f.Fuzz(func(t *testing.T, text string) {
		p, err := fleet.ReadPlan(strings.NewReader(text), ini.Settings{})
		if err != nil {
			var fe *fleet.Error
			if !errors.As(err, &fe) || len(err.Error()) > 1200 {
				t.Fatalf("%T %.2000v", err, err)
			}
			return
		}
		if len(p.Waves) == 0 || len(p.Waves) > fleet.MaxWaves {
			t.Fatalf("%d waves", len(p.Waves))
		}
		r, err := p.Run(t.Context(), func(func(fleet.Entry, error) bool) {}, fleet.PlanOptions{})
		var fe *fleet.Error
		if err != nil && !errors.As(err, &fe) || err == nil && len(r.Waves) != len(p.Waves) {
			t.Fatalf("%v %+v", err, r)
		}
	})
}
