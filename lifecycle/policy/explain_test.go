package policy_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/golden"
	"github.com/mobiledm/dmclient/internal/roundtrip"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/lifecycle/policy"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// tb is what the checks need of a test: testing.TB or *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// prerequisiteRules maps each prerequisite's Rule to the sentinel it
// names: an Explanation's prerequisites must name exactly these, in
// lifecycle.CheckPrerequisites' order.
var prerequisiteRules = []struct {
	rule string
	err  error
}{
	{"lifecycle.ErrNoClientAgent", lifecycle.ErrNoClientAgent},
	{"lifecycle.ErrFolderIncomplete", lifecycle.ErrFolderIncomplete},
	{"lifecycle.ErrInvalidSettings", lifecycle.ErrInvalidSettings},
	{"lifecycle.ErrConnection", lifecycle.ErrConnection},
	{"lifecycle.ErrNotManaged", lifecycle.ErrNotManaged},
	{"lifecycle.ErrNoManagementPoint", lifecycle.ErrNoManagementPoint},
	{"lifecycle.ErrNoDistributionPoint", lifecycle.ErrNoDistributionPoint},
	{"lifecycle.ErrInventoryNotExtended", lifecycle.ErrInventoryNotExtended},
	{"lifecycle.ErrPasswordProgramPlatform", lifecycle.ErrPasswordProgramPlatform},
	{"lifecycle.ErrEnrollmentNotEnforced", lifecycle.ErrEnrollmentNotEnforced},
}

// checkExplanation fails t unless every reason of e agrees with outcome
// out of scenario sc.
func checkExplanation(t tb, sc lifecycle.Scenario, out lifecycle.Outcome, e policy.Explanation) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%+v\noutcome %+v\n%s\n"+format, append([]any{sc, out, e}, args...)...)
	}
	d := e.Decision
	if e.Device != sc.Device.ID || e.Component != out.Component || e.Method != out.Method || e.Platform != out.Platform {
		fail("device, component, method or platform differ from the outcome's")
	}
	// The decision: the state and event the outcome records.
	if d.State != out.From || d.Event != out.Event || d.From != out.From || d.To != out.To {
		fail("decision %v/%v, outcome %v/%v", d.State, d.Event, out.From, out.Event)
	}
	if d.Event != lifecycle.Decide(d.State, d.Action) && !d.Repair {
		fail("event %v is not Decide(%v, %v)", d.Event, d.State, d.Action)
	}
	if d.Transitioned != out.Transitioned() || d.Transitioned && !d.Permitted {
		fail("transitioned %v (permitted %v), outcome %v", d.Transitioned, d.Permitted, out.Transitioned())
	}
	if !d.Permitted && d.Event != lifecycle.NoAction && !errors.Is(out.Err, lifecycle.ErrInvalidTransition) && allMet(e) {
		fail("an event not permitted ran without ErrInvalidTransition")
	}
	// Each prerequisite: missing exactly when the outcome's error is its
	// sentinel; a missing one stops the run before anything runs.
	if len(e.Prerequisites) != len(prerequisiteRules) {
		fail("%d prerequisites, want %d", len(e.Prerequisites), len(prerequisiteRules))
	}
	for i, p := range e.Prerequisites {
		r := prerequisiteRules[i]
		if p.Rule != r.rule {
			fail("prerequisite %d is %s, want %s", i, p.Rule, r.rule)
		}
		if p.Met == errors.Is(out.Err, r.err) {
			fail("prerequisite %s met %v, outcome error %v", p.Rule, p.Met, out.Err)
		}
		if !p.Met && (len(out.Steps) > 0 || d.Transitioned) {
			fail("prerequisite %s missing, yet the chain ran %v", p.Rule, out.Steps)
		}
	}
	// The trust step: it ran exactly when the chain went past Staged;
	// then it was denied exactly when the chain ends Denied, with
	// certs.ErrAccessDenied.
	t1 := e.Trust
	if t1.Ran != (slices.Contains(out.Steps, lifecycle.DMInstaller) || slices.Contains(out.Steps, lifecycle.Denied)) {
		fail("trust ran %v, steps %v", t1.Ran, out.Steps)
	}
	if t1.Ran && t1.Denied != slices.Contains(out.Steps, lifecycle.Denied) {
		fail("trust denied %v, steps %v", t1.Denied, out.Steps)
	}
	if t1.Ran && t1.Denied && !errors.Is(out.Err, certs.ErrAccessDenied) {
		fail("denied, yet the error is %v", out.Err)
	}
	if t1.Ran && !t1.Denied && !slices.Equal(t1.Result.Installed, out.Authenticode) {
		fail("trust installed %v, outcome %v", t1.Result.Installed, out.Authenticode)
	}
	if t1.Denied && (!t1.SigningApplies || t1.Unlocked) {
		// "Signing does not apply to Windows Mobile Pocket PC 2003 or
		// Windows CE devices"; an unlocked device "is assumed to be
		// unlocked and available to be managed".
		fail("denied on an exempt platform or an unlocked device")
	}
	if t1.Unlocked != (t1.TrustsMobile2Market && !t1.PrivilegesRestricted) {
		fail("unlocked %v with trusts %v restricted %v", t1.Unlocked, t1.TrustsMobile2Market, t1.PrivilegesRestricted)
	}
	// Enrollment: it ran exactly when the outcome has a result, then with
	// CertEnrollAction=Enroll and a certificate to get, and ended as
	// certs.Enroll says.
	n := e.Enrollment
	if n.Ran != out.Enrollment.IsValid() {
		fail("enrollment ran %v, outcome %v", n.Ran, out.Enrollment)
	}
	if n.Ran && (n.Result != out.Enrollment || !n.Enforced || n.Certificate && !n.Renew || !d.Transitioned) {
		fail("enrollment ran: result %v (outcome %v), enforced %v, certificate %v, renew %v", n.Result, out.Enrollment, n.Enforced, n.Certificate, n.Renew)
	}
	if n.Ran && n.Result.Err() != nil && !errors.Is(out.Err, n.Result.Err()) {
		fail("enrollment ended %v, yet the error is %v", n.Result, out.Err)
	}
	if n.Required != (n.Mode == certs.Native || n.Mode == certs.ServerAuthentication) {
		// "If your environment is configured for native mode or server
		// authentication mode, certificate enrollment will be required."
		fail("mode %v required %v", n.Mode, n.Required)
	}
	// The evidence is the outcome's, and Verify's reading of its logs.
	v := e.Evidence
	if !slices.Equal(v.Steps, out.Steps) || v.Status != out.Status || len(v.Logs) != len(out.Logs) || len(v.Overwritten) != len(out.Overwritten) {
		fail("evidence differs from the outcome")
	}
	if v.Status != nil && !(t1.Ran && t1.Denied) {
		fail("a status message without a denied trust step")
	}
	if diff := cmp.Diff(lifecycle.Verify(out.Logs), v.Verification); diff != "" {
		fail("verification mismatch (-want +got):\n%s", diff)
	}
	if (e.Error == "") != (out.Err == nil) || out.Err != nil && e.Error != out.Err.Error() {
		fail("error %q, outcome %v", e.Error, out.Err)
	}
}

func allMet(e policy.Explanation) bool {
	for _, p := range e.Prerequisites {
		if !p.Met {
			return false
		}
	}
	return true
}

// TestExplainAgrees: the explanation's reasons agree with the outcome for
// every scenario of a stride of the space, and its text and JSON forms
// hold for each.
func TestExplainAgrees(t *testing.T) {
	r := newRunner(t)
	every := stride(31)
	i := 0
	for sc := range policy.Scenarios() {
		if i%every == 0 {
			out := r.run(t, sc)
			e := policy.Explain(sc, out)
			checkExplanation(t, sc, out, e)
			if i%(every*23) == 0 {
				checkForms(t, e)
			}
		}
		i++
	}
}

// checkForms checks the text and the JSON of an explanation: the text
// names every rule it reports; the JSON decodes back to e, and names the
// missing prerequisites as the outcome's JSON does in "is".
func checkForms(t tb, e policy.Explanation) {
	t.Helper()
	s := e.String()
	for _, rule := range []string{e.Decision.Rule, e.Trust.Rule, e.Enrollment.Rule, e.Evidence.Rule} {
		if !strings.Contains(s, "["+rule+"]") {
			t.Fatalf("text lacks [%s]:\n%s", rule, s)
		}
	}
	if strings.Count(s, "\n") > 12 {
		t.Fatalf("text is more than a few lines:\n%s", s)
	}
	back, _ := roundtrip.JSON(t, e)
	if diff := cmp.Diff(e, back); diff != "" {
		t.Fatalf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
}

// TestExplainPrerequisiteNames: the prerequisites' names are those the
// outcome's JSON gives their sentinels in "is".
func TestExplainPrerequisiteNames(t *testing.T) {
	sc := policy.DefaultScenario()
	sc.Deployment.Site = lifecycle.Site{Mode: certs.Native}
	sc.Deployment.Component = lifecycle.PasswordProgram
	sc.Deployment.Package.Folder = lifecycle.Folder{}
	sc.Deployment.Package.Settings.Installer = certs.WM5Smartphone.InstallerName()
	sc.Device.Connection = lifecycle.ViaAir
	out, _ := lifecycle.Run(context.Background(), sc, lifecycle.Options{Clock: fixedClock})
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var wire struct{ Is []string }
	if err := json.Unmarshal(data, &wire); err != nil {
		t.Fatal(err)
	}
	e := policy.Explain(sc, out)
	var missing []string
	for _, p := range e.Prerequisites {
		if !p.Met {
			missing = append(missing, p.Name)
		}
	}
	if len(missing) < 5 {
		t.Fatalf("only %v missing: the test means to miss most", missing)
	}
	for _, name := range missing {
		if !slices.Contains(wire.Is, name) {
			t.Errorf("missing %q, which the outcome's \"is\" %v lacks", name, wire.Is)
		}
	}
	checkExplanation(t, sc, out, e)
}

// explainCases are the scenarios of the golden file: one per kind of
// reason.
func explainCases() []struct {
	name string
	sc   lifecycle.Scenario
} {
	var cases []struct {
		name string
		sc   lifecycle.Scenario
	}
	add := func(name string, edit func(sc *lifecycle.Scenario)) {
		sc := policy.DefaultScenario()
		edit(&sc)
		cases = append(cases, struct {
			name string
			sc   lifecycle.Scenario
		}{name, sc})
	}
	add("installs", func(*lifecycle.Scenario) {})
	add("privileges restricted", func(sc *lifecycle.Scenario) { sc.Device.Security.PrivilegesRestricted = true })
	add("untrusted, unmanaged computer", func(sc *lifecycle.Scenario) {
		sc.Device.Security.TrustsMobile2Market = false
		sc.Device.Connection = lifecycle.ViaUnmanagedComputer
		sc.Deployment.Method = lifecycle.ManualSync
	})
	add("no management point", func(sc *lifecycle.Scenario) { sc.Deployment.Site.ManagementPoint = false })
	add("native, CA unreachable", func(sc *lifecycle.Scenario) {
		sc.Deployment.Site.Mode = certs.Native
		sc.Deployment.Package.Settings.CertEnrollAction = ini.CertEnroll
		sc.Device.Enrollment.CAReachable = false
	})
	add("repair of nothing", func(sc *lifecycle.Scenario) {
		sc.Device.Platform = certs.PocketPC2003
		sc.Deployment.Package.Folder = lifecycle.CompleteFolder(certs.PocketPC2003)
		sc.Deployment.Repair = true
	})
	add("newer client", func(sc *lifecycle.Scenario) { sc.Device.Client = version.New(4, 0, 6487, 2157) })
	add("reconfigure overwrites a user change", func(sc *lifecycle.Scenario) {
		sc.Device.Client = sc.Deployment.Package.Version
		sc.Device.Settings = []lifecycle.Setting{{Key: "PollingInterval", Value: "15", UserChanged: true}}
	})
	add("invalid platform", func(sc *lifecycle.Scenario) { sc.Device.Platform = 0 })
	return cases
}

// TestExplainGolden: the text and JSON forms of the cases, byte for byte
// (go test -run TestExplainGolden -update rewrites them).
func TestExplainGolden(t *testing.T) {
	var b strings.Builder
	for _, c := range explainCases() {
		out, _ := lifecycle.Run(context.Background(), c.sc, lifecycle.Options{Clock: fixedClock})
		e := policy.Explain(c.sc, out)
		if c.sc.Device.Platform.IsValid() {
			checkExplanation(t, c.sc, out, e)
			checkForms(t, e)
		}
		data, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b.WriteString("== " + c.name + "\n" + e.String() + string(data) + "\n")
	}
	golden.Check(t, filepath.Join("testdata", "explain.golden"), b.String(), *update)
}

// TestChangesDistance: the library's distance between two scenarios,
// len(Changes), is Distance from the default, for every scenario of a
// stride of the space; no scenario differs from itself, and two
// scenarios differ in the same inputs either way round.
func TestChangesDistance(t *testing.T) {
	def := policy.DefaultScenario()
	every := stride(31)
	i := 0
	var prev lifecycle.Scenario
	for sc := range policy.Scenarios() {
		if i%every == 0 {
			if got, want := len(policy.Changes(def, sc)), policy.Distance(sc); got != want {
				t.Fatalf("scenario %d: %d changes from the default, Distance %d: %v", i, got, want, policy.Changes(def, sc))
			}
			if cs := policy.Changes(sc, sc); cs != nil {
				t.Fatalf("scenario %d differs from itself: %v", i, cs)
			}
			if i%(every*7) == 0 {
				ab, ba := policy.Changes(prev, sc), policy.Changes(sc, prev)
				if len(ab) != len(ba) {
					t.Fatalf("scenario %d: %v one way, %v the other", i, ab, ba)
				}
				for k := range ab {
					if ab[k].Input != ba[k].Input || ab[k].From != ba[k].To || ab[k].To != ba[k].From {
						t.Fatalf("scenario %d: %v one way, %v the other", i, ab[k], ba[k])
					}
				}
				prev = sc
			}
		}
		i++
	}
}

// TestChangesEveryInput: a scenario that differs from the default in
// everything differs in every input, each named by its path in the
// scenario's JSON and worded as a condition.
func TestChangesEveryInput(t *testing.T) {
	def := policy.DefaultScenario()
	far := def
	dev, dep := &far.Device, &far.Deployment
	dep.Component = lifecycle.PasswordProgram
	dep.Method = lifecycle.ManualSync
	dev.Platform = certs.PocketPC2003
	dev.Security = certs.Security{PrivilegesRestricted: true}
	dev.Client = version.New(4, 0, 6221, 1000)
	dev.PasswordProgram = version.New(1, 0, 0, 0)
	dev.Connection = lifecycle.ViaUnmanagedComputer
	dev.Computer = "LAPTOP-9"
	dev.Enrollment = certs.EnrollmentConditions{}
	dev.Certificate = true
	dev.Settings = []lifecycle.Setting{{Key: "PollingInterval", Value: "15", UserChanged: true}}
	dep.Repair, dep.RenewCertificate = true, true
	dep.Package.Version = version.New(4, 0, 6487, 2157)
	dep.Package.Folder = lifecycle.Folder{}
	dep.Package.Settings = readSettings(t, "[ClientSettings]\r\nClientInstallAction=Uninstall\r\nCertEnrollAction=Enroll\r\nInstaller=DMInstaller_WM6Std.exe\r\n")
	dep.Site = lifecycle.Site{Mode: certs.Native}
	cs := policy.Changes(def, far)
	if len(cs) != 25 {
		t.Fatalf("%d changes, want 25: %v", len(cs), cs)
	}
	data, err := json.Marshal(far)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		var node any = doc
		for _, member := range strings.Split(c.Input, ".") {
			obj, ok := node.(map[string]any)
			if !ok {
				t.Fatalf("%s: %q is not in the scenario's JSON %s", c.Input, member, data)
			}
			if node, ok = obj[member]; !ok {
				t.Fatalf("%s: %q is not in the scenario's JSON %s", c.Input, member, data)
			}
		}
		if c.From == c.To || c.Text == "" || c.String() != c.Text {
			t.Errorf("change %+v", c)
		}
	}
}

// wants are conditions a counterfactual search looks for.
var wants = []struct {
	name string
	want policy.Func
}{
	{"the client ends in same", func(_ lifecycle.Scenario, out lifecycle.Outcome) bool {
		return out.Err == nil && out.Component == lifecycle.Client && out.To == lifecycle.Same
	}},
	{"a certificate enrolled", func(_ lifecycle.Scenario, out lifecycle.Outcome) bool {
		return out.Enrollment == certs.Enrolled
	}},
	{"a status message", func(_ lifecycle.Scenario, out lifecycle.Outcome) bool { return out.Status != nil }},
	{"a user change overwritten", func(_ lifecycle.Scenario, out lifecycle.Outcome) bool {
		return slices.ContainsFunc(out.Overwritten, func(o lifecycle.Overwrite) bool { return o.UserChanged })
	}},
	{"a downgrade", func(_ lifecycle.Scenario, out lifecycle.Outcome) bool { return out.Downgrade }},
}

// maxChanges is how far the acceptance test searches.
const maxChanges = 3

// TestCounterfactualsNearest is the acceptance test of the search: for
// scenarios of a stride of the space and several wanted conditions, each
// counterfactual, run again, gives the wanted condition and changes what
// it says; and no scenario of the whole space nearer by the library's
// distance (len(Changes)) does, nor any within maxChanges inputs when the
// search found none.
func TestCounterfactualsNearest(t *testing.T) {
	ctx := context.Background()
	bases := sample(ifElse(raceEnabled, 600_007, 100_003))
	nearest := make([][]int, len(bases)) // [base][want]: the distance found, -1 for none
	for bi, sc := range bases {
		nearest[bi] = make([]int, len(wants))
		for wi, w := range wants {
			cfs, err := policy.Counterfactuals(ctx, sc, w.want, maxChanges)
			if err != nil {
				t.Fatal(err)
			}
			nearest[bi][wi] = -1
			if len(cfs) > 0 {
				nearest[bi][wi] = len(cfs[0].Changes)
			}
			for _, cf := range cfs {
				checkCounterfactual(t, sc, w.want, cf, nearest[bi][wi])
			}
		}
	}
	// One walk of the space for every base: each scenario within
	// maxChanges inputs of a base runs once.
	r := newRunner(t)
	views := make([]lowerBound, len(bases))
	for bi := range bases {
		views[bi] = newLowerBound(&bases[bi])
	}
	every := stride(1)
	i := 0
	for x := range policy.Scenarios() {
		i++
		if (i-1)%every != 0 {
			continue
		}
		var out *lifecycle.Outcome
		for bi := range bases {
			if views[bi].below(&x) > maxChanges {
				continue
			}
			d := len(policy.Changes(bases[bi], x))
			if d > maxChanges {
				continue
			}
			if out == nil {
				o := r.run(t, x)
				out = &o
			}
			for wi, w := range wants {
				if k := nearest[bi][wi]; (k < 0 || d < k) && w.want(x, *out) {
					t.Fatalf("want %q from %+v: the search found distance %d, yet %+v is %d away: %v",
						w.name, bases[bi], k, x, d, policy.Changes(bases[bi], x))
				}
			}
		}
	}
}

func ifElse[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

// checkCounterfactual checks one counterfactual of sc: it changes k
// inputs, exactly those Changes lists, and run again on a machine of its
// own it gives the wanted condition and the same outcome.
func checkCounterfactual(t tb, sc lifecycle.Scenario, want policy.Func, cf policy.Counterfactual, k int) {
	t.Helper()
	if len(cf.Changes) != k {
		t.Fatalf("counterfactual %v changes %d inputs, the nearest %d", cf, len(cf.Changes), k)
	}
	if diff := cmp.Diff(policy.Changes(sc, cf.Scenario), cf.Changes); diff != "" {
		t.Fatalf("changes mismatch (-Changes +counterfactual):\n%s", diff)
	}
	out, _ := lifecycle.Run(context.Background(), cf.Scenario, lifecycle.Options{Clock: fixedClock})
	if !want(cf.Scenario, out) {
		t.Fatalf("counterfactual %v, run again, does not give the wanted condition: %+v", cf, out)
	}
	if diff := cmp.Diff(out, cf.Outcome, equateErrors); diff != "" {
		t.Fatalf("outcome of %v mismatch (-run again +counterfactual):\n%s", cf, diff)
	}
}

// lowerBound counts, cheaply, the inputs in which a scenario differs from
// a base among those Changes compares field by field: never more than
// len(Changes), so a scenario it puts beyond maxChanges is.
type lowerBound struct{ sc *lifecycle.Scenario }

func newLowerBound(sc *lifecycle.Scenario) lowerBound { return lowerBound{sc} }

func (l lowerBound) below(x *lifecycle.Scenario) int {
	a, b := l.sc, x
	n := 0
	for _, differs := range [...]bool{
		a.Deployment.Component != b.Deployment.Component,
		a.Deployment.Method != b.Deployment.Method,
		a.Device.Platform != b.Device.Platform,
		a.Device.Security.TrustsMobile2Market != b.Device.Security.TrustsMobile2Market,
		a.Device.Security.PrivilegesRestricted != b.Device.Security.PrivilegesRestricted,
		a.Device.Client != b.Device.Client,
		a.Device.PasswordProgram != b.Device.PasswordProgram,
		a.Device.Connection != b.Device.Connection,
		a.Device.Enrollment.CAReachable != b.Device.Enrollment.CAReachable,
		a.Device.Enrollment.AuthenticationSucceeds != b.Device.Enrollment.AuthenticationSucceeds,
		a.Device.Certificate != b.Device.Certificate,
		a.Deployment.Repair != b.Deployment.Repair,
		a.Deployment.RenewCertificate != b.Deployment.RenewCertificate,
		a.Deployment.Package.Settings.ClientInstallAction != b.Deployment.Package.Settings.ClientInstallAction,
		a.Deployment.Package.Settings.Enroll() != b.Deployment.Package.Settings.Enroll(),
		a.Deployment.Site.Mode != b.Deployment.Site.Mode,
		a.Deployment.Site.ClientAgent != b.Deployment.Site.ClientAgent,
		a.Deployment.Site.ManagementPoint != b.Deployment.Site.ManagementPoint,
		a.Deployment.Site.DistributionPoint != b.Deployment.Site.DistributionPoint,
		a.Deployment.Site.InventoryExtended != b.Deployment.Site.InventoryExtended,
	} {
		if differs {
			n++
		}
	}
	return n
}

// TestCounterfactualsProperty: beyond the space (versions, computers and
// settings drawn freely), every counterfactual gives the wanted
// condition run again and changes as many inputs as the others; a
// scenario that already gives it is its own answer; and the search
// leaves the scenario as it was.
func TestCounterfactualsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := lifecycletest.Scenario().Draw(t, "scenario")
		w := rapid.SampledFrom(wants).Draw(t, "want")
		before, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		cfs, err := policy.Counterfactuals(context.Background(), sc, w.want, 2)
		if err != nil {
			if errors.Is(err, lifecycle.ErrInvalidInput) {
				return
			}
			t.Fatal(err)
		}
		after, _ := json.Marshal(sc)
		if string(before) != string(after) {
			t.Fatalf("the search changed the scenario:\n%s\n%s", before, after)
		}
		out, _ := lifecycle.Run(context.Background(), sc, lifecycle.Options{Clock: fixedClock})
		if w.want(sc, out) && (len(cfs) != 1 || len(cfs[0].Changes) != 0) {
			t.Fatalf("the scenario gives %q itself, yet the search returned %v", w.name, cfs)
		}
		for _, cf := range cfs {
			checkCounterfactual(t, sc, w.want, cf, len(cfs[0].Changes))
		}
	})
}

// TestCounterfactualsComputerless: a device connected through a computer
// that names none keeps no name when a counterfactual changes its
// connection to another computer's, so that the change is one input, as
// far as the search counted it; one connected directly gets the space's
// computer, which is no change of its own (rapid found the first case:
// three changes counted as two).
func TestCounterfactualsComputerless(t *testing.T) {
	for _, from := range []lifecycle.Connection{lifecycle.ViaUnmanagedComputer, lifecycle.Direct} {
		sc := policy.DefaultScenario()
		sc.Device.Connection, sc.Device.Computer = from, ""
		for _, w := range wants {
			cfs, err := policy.Counterfactuals(context.Background(), sc, w.want, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, cf := range cfs {
				checkCounterfactual(t, sc, w.want, cf, len(cfs[0].Changes))
				if d := cf.Scenario.Device; d.Connection != from && from != lifecycle.Direct && d.Computer != "" {
					t.Errorf("from %v, %q: %v names computer %q", from, w.name, cf, d.Computer)
				}
			}
		}
	}
}

// TestCounterfactualsEdges: a condition nothing gives is an empty result,
// not an error; an invalid scenario and an ended context are errors; a
// panic in the condition reaches the caller.
func TestCounterfactualsEdges(t *testing.T) {
	ctx := context.Background()
	sc := policy.DefaultScenario()
	never := func(lifecycle.Scenario, lifecycle.Outcome) bool { return false }
	cfs, err := policy.Counterfactuals(ctx, sc, never, 2)
	if cfs != nil || err != nil {
		t.Errorf("never: %v, %v; want nil, nil", cfs, err)
	}
	cfs, err = policy.Counterfactuals(ctx, sc, never, -1)
	if cfs != nil || err != nil {
		t.Errorf("never within -1 changes: %v, %v; want nil, nil", cfs, err)
	}

	bad := sc
	bad.Deployment.Method = 0
	if _, err := policy.Counterfactuals(ctx, bad, never, 1); !errors.Is(err, lifecycle.ErrInvalidInput) {
		t.Errorf("invalid method: %v, want ErrInvalidInput", err)
	}
	bad = sc
	bad.Device.Platform = 99
	if _, err := policy.Counterfactuals(ctx, bad, never, 1); !errors.Is(err, lifecycle.ErrInvalidInput) {
		t.Errorf("invalid platform: %v, want ErrInvalidInput", err)
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := policy.Counterfactuals(canceled, sc, never, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
	// A context that ends during the search stops it.
	ending, stop := context.WithCancel(ctx)
	calls := 0
	_, err = policy.Counterfactuals(ending, sc, func(lifecycle.Scenario, lifecycle.Outcome) bool {
		if calls++; calls == 10 {
			stop()
		}
		return false
	}, 3)
	if !errors.Is(err, context.Canceled) || calls > 11 {
		t.Errorf("context ended after 10 runs: %v after %d runs", err, calls)
	}

	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want the condition's panic", v)
			}
		}()
		policy.Counterfactuals(ctx, sc, func(lifecycle.Scenario, lifecycle.Outcome) bool { panic("boom") }, 1)
	}()
}

// TestCounterfactualsSearchSize: from the default scenario, a search
// that finds nothing within three inputs runs the scenario itself and
// 37, 637 and 6,803 scenarios one, two and three inputs away (7,478 in
// all), as Counterfactuals documents.
func TestCounterfactualsSearchSize(t *testing.T) {
	sc := policy.DefaultScenario()
	got := map[int]int{}
	_, err := policy.Counterfactuals(context.Background(), sc, func(alt lifecycle.Scenario, _ lifecycle.Outcome) bool {
		got[len(policy.Changes(sc, alt))]++
		return false
	}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int]int{0: 1, 1: 37, 2: 637, 3: 6803}; !maps.Equal(got, want) {
		t.Errorf("scenarios run by inputs changed: %v, want %v", got, want)
	}
}

// TestCounterfactualsIssueExamples: the two alternatives the issue
// names, word for word.
func TestCounterfactualsIssueExamples(t *testing.T) {
	endsInSame := wants[0].want
	for _, c := range []struct {
		edit func(sc *lifecycle.Scenario)
		want string
	}{
		{func(sc *lifecycle.Scenario) { sc.Device.Security.PrivilegesRestricted = true },
			"the device's privileges were not restricted"},
		{func(sc *lifecycle.Scenario) { sc.Deployment.Site.ManagementPoint = false },
			"the site had a management point enabled for mobile devices"},
	} {
		sc := policy.DefaultScenario()
		c.edit(&sc)
		cfs, err := policy.Counterfactuals(context.Background(), sc, endsInSame, maxChanges)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(cfs, func(cf policy.Counterfactual) bool { return cf.String() == c.want }) {
			t.Errorf("alternatives %v lack %q", cfs, c.want)
		}
		// A counterfactual is plain data: its JSON decodes back to it.
		data, err := json.Marshal(cfs)
		if err != nil {
			t.Fatal(err)
		}
		var back []policy.Counterfactual
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("unmarshal %s: %v", data, err)
		}
		if diff := cmp.Diff(cfs, back, equateErrors); diff != "" {
			t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
		}
	}
}

// FuzzExplain: any scenario the JSON schema accepts explains without a
// panic, as text and as JSON, and its nearest alternatives search
// without one.
func FuzzExplain(f *testing.F) {
	for _, c := range explainCases() {
		if data, err := json.Marshal(c.sc); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var sc lifecycle.Scenario
		if err := json.Unmarshal(data, &sc); err != nil {
			return
		}
		out, _ := lifecycle.Run(context.Background(), sc, lifecycle.Options{Clock: fixedClock})
		e := policy.Explain(sc, out)
		_ = e.String()
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if _, err := policy.Counterfactuals(context.Background(), sc, wants[0].want, 1); err != nil && !errors.Is(err, lifecycle.ErrInvalidInput) {
			t.Fatal(err)
		}
	})
}

// BenchmarkExplain is one explanation with its nearest counterfactuals:
// the run, Explain, and Counterfactuals up to three changed inputs for
// "the client ends in same", from a scenario whose nearest alternatives
// change one input, from one whose nearest change two, and from one
// with none within three (the whole search: 7,478 scenarios).
func BenchmarkExplain(b *testing.B) {
	endsInSame := wants[0].want
	never := func(lifecycle.Scenario, lifecycle.Outcome) bool { return false }
	for _, c := range []struct {
		name string
		want policy.Func
		edit func(sc *lifecycle.Scenario)
	}{
		{"nearest=1", endsInSame, func(sc *lifecycle.Scenario) { sc.Device.Security.PrivilegesRestricted = true }},
		{"nearest=2", endsInSame, func(sc *lifecycle.Scenario) {
			sc.Device.Security.PrivilegesRestricted = true
			sc.Deployment.Site.ManagementPoint = false
		}},
		{"none", never, func(sc *lifecycle.Scenario) { sc.Device.Security.PrivilegesRestricted = true }},
	} {
		b.Run(c.name, func(b *testing.B) {
			sc := policy.DefaultScenario()
			c.edit(&sc)
			ctx := context.Background()
			n := 0
			cpu0 := cpuTime()
			for b.Loop() {
				out, _ := lifecycle.Run(ctx, sc, lifecycle.Options{Clock: fixedClock})
				_ = policy.Explain(sc, out).String()
				if _, err := policy.Counterfactuals(ctx, sc, c.want, maxChanges); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/op")
			}
		})
	}
}

// TestDecidedEventsPermitted: every event Decide chooses is declared from
// its state, as Explain takes for granted where no repair is asked for
// (Decision.Permitted).
func TestDecidedEventsPermitted(t *testing.T) {
	table := lifecycle.ClientTransitions()
	for _, s := range lifecycle.States() {
		for _, a := range ini.Actions() {
			ev := lifecycle.Decide(s, a)
			if ev == lifecycle.NoAction {
				continue
			}
			if !slices.ContainsFunc(table, func(tr lifecycle.Transition[lifecycle.State, lifecycle.Event]) bool {
				return tr.Event == ev && tr.From == s
			}) {
				t.Errorf("Decide(%v, %v) = %v, which the table does not declare from %v", s, a, ev, s)
			}
		}
	}
}
