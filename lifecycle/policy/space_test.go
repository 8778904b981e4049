package policy_test

import (
	"context"
	"errors"
	"hash/maphash"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
	"github.com/mobiledm/dmclient/version"
)

// spaceSize is the number of scenarios Scenarios documents.
const spaceSize = 1_625_472

// stride is how far apart the scenarios are that the per-scenario tests
// run: all of them in the plain run, a fixed stride under the race
// detector.
func stride(plain int) int {
	if raceEnabled {
		return plain * 17
	}
	return plain
}

// runner runs scenarios on one reused machine.
type runner struct{ m *lifecycle.Machine }

func newRunner(t testing.TB) *runner {
	m, err := lifecycle.NewMachine(policy.DefaultScenario().Device, lifecycle.Options{Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	return &runner{m: m}
}

func (r *runner) run(t testing.TB, sc lifecycle.Scenario) lifecycle.Outcome {
	t.Helper()
	if err := r.m.Restore(sc.Device); err != nil {
		t.Fatalf("restore %+v: %v", sc.Device, err)
	}
	out, _ := r.m.Deploy(context.Background(), sc.Deployment)
	return out
}

// sameOutcome reports whether two outcomes are equal, errors compared by
// message: cmp.Diff with equateErrors says the same, slowly.
func sameOutcome(a, b lifecycle.Outcome) bool {
	if (a.Err == nil) != (b.Err == nil) || (a.Err != nil && a.Err.Error() != b.Err.Error()) {
		return false
	}
	a.Err, b.Err = nil, nil
	return reflect.DeepEqual(a, b)
}

// equateErrors compares errors by message: outcomes of two runs are equal
// when they failed the same way.
var equateErrors = cmp.Comparer(func(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Error() == b.Error()
})

func TestDefaultScenario(t *testing.T) {
	sc := policy.DefaultScenario()
	out, err := lifecycle.Run(context.Background(), sc, lifecycle.Options{Clock: fixedClock})
	if err != nil {
		t.Fatalf("the default scenario fails: %v", err)
	}
	want := []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Done}
	if out.From != lifecycle.None || out.To != lifecycle.Same || out.Event != lifecycle.Install || !slices.Equal(out.Steps, want) {
		t.Errorf("default scenario: %v -> %v by %v, steps %v; want none -> same by install, %v", out.From, out.To, out.Event, out.Steps, want)
	}
	if v := lifecycle.Verify(out.Logs); !v.Installed {
		t.Errorf("the default scenario's logs do not verify: %+v", v)
	}
	if d := policy.Distance(sc); d != 0 {
		t.Errorf("Distance(DefaultScenario()) = %d", d)
	}
	// The folder is a value (Names returns a copy): only the settings
	// could be shared.
	sc.Deployment.Package.Settings.Known[0].Value = "changed by a caller"
	if again := policy.DefaultScenario(); again.Deployment.Package.Settings.Known[0].Value == "changed by a caller" {
		t.Error("DefaultScenario shares its slices between calls")
	}
}

// TestDistance: each input changed alone is one away from the default; the
// device's ID is not an input that counts.
func TestDistance(t *testing.T) {
	enroll, err := lifecycle.ReadSettings("ClientSettings.ini", []byte("[ClientSettings]\r\nClientInstallAction=Install\r\nCertEnrollAction=Enroll\r\nPollingInterval=60\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	uninstall, err := lifecycle.ReadSettings("ClientSettings.ini", []byte("[ClientSettings]\r\nClientInstallAction=Uninstall\r\nPollingInterval=60\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	installer, err := lifecycle.ReadSettings("ClientSettings.ini", []byte("[ClientSettings]\r\nClientInstallAction=Install\r\nInstaller=DMInstaller_WM6Pro.exe\r\nPollingInterval=60\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	one := map[string]func(sc *lifecycle.Scenario){
		"component": func(sc *lifecycle.Scenario) { sc.Deployment.Component = lifecycle.PasswordProgram },
		"method":    func(sc *lifecycle.Scenario) { sc.Deployment.Method = lifecycle.ManualSync },
		"platform": func(sc *lifecycle.Scenario) {
			sc.Device.Platform = certs.WM6Standard
			sc.Deployment.Package.Folder = lifecycle.CompleteFolder(certs.WM6Standard)
		},
		"trust":            func(sc *lifecycle.Scenario) { sc.Device.Security.TrustsMobile2Market = false },
		"privileges":       func(sc *lifecycle.Scenario) { sc.Device.Security.PrivilegesRestricted = true },
		"client":           func(sc *lifecycle.Scenario) { sc.Device.Client = version.MustParse("4.00.6221.1000") },
		"password program": func(sc *lifecycle.Scenario) { sc.Device.PasswordProgram = version.MustParse("1.0.0.0") },
		"connection":       func(sc *lifecycle.Scenario) { sc.Device.Connection = lifecycle.Direct; sc.Device.Computer = "" },
		"computer":         func(sc *lifecycle.Scenario) { sc.Device.Computer = "LAPTOP-7" },
		"CA":               func(sc *lifecycle.Scenario) { sc.Device.Enrollment.CAReachable = false },
		"authentication":   func(sc *lifecycle.Scenario) { sc.Device.Enrollment.AuthenticationSucceeds = false },
		"certificate":      func(sc *lifecycle.Scenario) { sc.Device.Certificate = true },
		"settings": func(sc *lifecycle.Scenario) {
			sc.Device.Settings = []lifecycle.Setting{{Key: "PollingInterval", Value: "15"}}
		},
		"repair":  func(sc *lifecycle.Scenario) { sc.Deployment.Repair = true },
		"renewal": func(sc *lifecycle.Scenario) { sc.Deployment.RenewCertificate = true },
		"version": func(sc *lifecycle.Scenario) { sc.Deployment.Package.Version = version.MustParse("4.00.6487.2157") },
		"folder": func(sc *lifecycle.Scenario) {
			sc.Deployment.Package.Folder = lifecycle.NewFolder(sc.Deployment.Package.Folder.Names()[1:]...)
		},
		"action":             func(sc *lifecycle.Scenario) { sc.Deployment.Package.Settings = uninstall },
		"enroll":             func(sc *lifecycle.Scenario) { sc.Deployment.Package.Settings = enroll },
		"installer":          func(sc *lifecycle.Scenario) { sc.Deployment.Package.Settings = installer },
		"mode":               func(sc *lifecycle.Scenario) { sc.Deployment.Site.Mode = certs.Native },
		"client agent":       func(sc *lifecycle.Scenario) { sc.Deployment.Site.ClientAgent = false },
		"management point":   func(sc *lifecycle.Scenario) { sc.Deployment.Site.ManagementPoint = false },
		"distribution point": func(sc *lifecycle.Scenario) { sc.Deployment.Site.DistributionPoint = false },
		"inventory":          func(sc *lifecycle.Scenario) { sc.Deployment.Site.InventoryExtended = false },
	}
	for name, edit := range one {
		sc := policy.DefaultScenario()
		edit(&sc)
		if d := policy.Distance(sc); d != 1 {
			t.Errorf("%s changed: Distance = %d, want 1", name, d)
		}
	}
	sc := policy.DefaultScenario()
	sc.Device.ID = "another-device"
	if d := policy.Distance(sc); d != 0 {
		t.Errorf("another ID: Distance = %d, want 0", d)
	}
	one["repair"](&sc)
	one["mode"](&sc)
	if d := policy.Distance(sc); d != 2 {
		t.Errorf("two inputs changed: Distance = %d, want 2", d)
	}
}

// TestScenariosSpace: the space holds as many scenarios as documented, every
// one valid and none twice, and the iterator stops when asked.
func TestScenariosSpace(t *testing.T) {
	var hashes []uint64
	seed := maphash.MakeSeed()
	n := 0
	for sc := range policy.Scenarios() {
		if n%stride(1) == 0 {
			if err := lifecycle.CheckPrerequisites(sc); errors.Is(err, lifecycle.ErrInvalidInput) {
				t.Fatalf("scenario %d is invalid: %v", n, err)
			}
			hashes = append(hashes, hashScenario(seed, &sc))
		}
		n++
	}
	if n != spaceSize {
		t.Errorf("the space has %d scenarios, Scenarios documents %d", n, spaceSize)
	}
	slices.Sort(hashes)
	for i := 1; i < len(hashes); i++ {
		if hashes[i] == hashes[i-1] {
			t.Fatalf("two scenarios of the space are the same (hash %x)", hashes[i])
		}
	}
	for range policy.Scenarios() {
		break // the iterator must not panic when the loop stops
	}
}

// hashScenario hashes every input of sc that the space varies.
func hashScenario(seed maphash.Seed, sc *lifecycle.Scenario) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	d, dep := &sc.Device, &sc.Deployment
	b := func(v bool) byte {
		if v {
			return 1
		}
		return 0
	}
	h.Write([]byte{byte(dep.Component), byte(dep.Method), byte(d.Platform), b(d.Security.TrustsMobile2Market),
		b(d.Security.PrivilegesRestricted), byte(d.Connection), b(d.Enrollment.CAReachable),
		b(d.Enrollment.AuthenticationSucceeds), b(d.Certificate), byte(len(d.Settings)), b(dep.Repair),
		b(dep.RenewCertificate), byte(len(dep.Package.Folder.Names())), byte(dep.Package.Settings.ClientInstallAction),
		b(dep.Package.Settings.Enroll()), byte(dep.Site.Mode), b(dep.Site.ClientAgent), b(dep.Site.ManagementPoint),
		b(dep.Site.DistributionPoint), b(dep.Site.InventoryExtended)})
	h.WriteString(d.Client.String())
	h.WriteString(d.PasswordProgram.String())
	h.WriteString(d.Computer)
	return h.Sum64()
}

// TestScenariosConnections: the space holds each method with exactly the
// connections CheckPrerequisites lets it reach, which are the product
// page's: software distribution "to an ActiveSync-connected or a Mobile
// Device Manager-connected client computer" (a managed one), a manual
// install "via an ActiveSync-connected or a Mobile Device Center-connected
// client computer", a manual transfer "using a memory card or transferring
// files from a shared directory" (whatever else the device is connected
// to), and "over-the-air" an already managed device.
func TestScenariosConnections(t *testing.T) {
	want := map[lifecycle.Method][]lifecycle.Connection{
		lifecycle.SoftwareDistribution: {lifecycle.ViaManagedComputer},
		lifecycle.ManualSync:           {lifecycle.ViaManagedComputer, lifecycle.ViaUnmanagedComputer},
		lifecycle.ManualTransfer:       {lifecycle.ViaManagedComputer, lifecycle.ViaUnmanagedComputer, lifecycle.Direct, lifecycle.ViaAir},
		lifecycle.OverTheAir:           {lifecycle.ViaAir},
	}
	got := map[lifecycle.Method][]lifecycle.Connection{}
	computers := map[lifecycle.Connection]map[string]bool{}
	for sc := range policy.Scenarios() {
		m, c := sc.Deployment.Method, sc.Device.Connection
		if !slices.Contains(got[m], c) {
			got[m] = append(got[m], c)
		}
		if computers[c] == nil {
			computers[c] = map[string]bool{}
		}
		computers[c][sc.Device.Computer] = true
	}
	for m := range got {
		slices.Sort(got[m])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connections per method mismatch (-want +got):\n%s", diff)
	}
	def := policy.DefaultScenario()
	for _, m := range lifecycle.Methods() {
		for _, c := range lifecycle.Connections() {
			sc := def
			sc.Deployment.Method, sc.Device.Connection = m, c
			reaches := !errors.Is(lifecycle.CheckPrerequisites(sc), lifecycle.ErrConnection)
			if reaches != slices.Contains(want[m], c) {
				t.Errorf("CheckPrerequisites: %v reaches %v = %v", m, c, reaches)
			}
		}
	}
	wantComputers := map[lifecycle.Connection]map[string]bool{
		lifecycle.ViaManagedComputer:   {def.Device.Computer: true},
		lifecycle.ViaUnmanagedComputer: {def.Device.Computer: true},
		lifecycle.Direct:               {"": true},
		lifecycle.ViaAir:               {"": true},
	}
	if diff := cmp.Diff(wantComputers, computers); diff != "" {
		t.Errorf("computers per connection mismatch (-want +got):\n%s", diff)
	}
}

// TestScenariosReachEverything: running the space reaches every platform,
// component state, event, installer chain path, enrollment result and
// failure the model has, so a policy proved over it is not blind to a part
// of the model.
func TestScenariosReachEverything(t *testing.T) {
	if raceEnabled {
		t.Skip("runs every scenario of the space: the plain run covers it")
	}
	r := newRunner(t)
	type seen struct {
		platforms   map[certs.Platform]bool
		states      map[[2]int]bool // component, from-state
		events      map[lifecycle.Event]bool
		chains      map[uint64]bool
		enrollments map[certs.EnrollmentResult]bool
	}
	s := seen{map[certs.Platform]bool{}, map[[2]int]bool{}, map[lifecycle.Event]bool{}, map[uint64]bool{},
		map[certs.EnrollmentResult]bool{}}
	// Not ErrConnection: the space holds only connections a method reaches.
	sentinels := []error{nil, lifecycle.ErrNoClientAgent, lifecycle.ErrFolderIncomplete, lifecycle.ErrNotManaged, lifecycle.ErrNoManagementPoint, lifecycle.ErrNoDistributionPoint,
		lifecycle.ErrInventoryNotExtended, lifecycle.ErrPasswordProgramPlatform, lifecycle.ErrEnrollmentNotEnforced,
		lifecycle.ErrInvalidTransition, certs.ErrAccessDenied, certs.ErrUntrustedInstaller, certs.ErrCAUnreachable,
		certs.ErrAuthenticationFailed}
	reached := make([]bool, len(sentinels))
	for sc := range policy.Scenarios() {
		out := r.run(t, sc)
		s.platforms[sc.Device.Platform] = true
		s.states[[2]int{int(sc.Deployment.Component), int(out.From)}] = true
		s.events[out.Event] = true
		s.chains[stepsKey(out.Steps)] = true
		s.enrollments[out.Enrollment] = true
		for i, e := range sentinels {
			if !reached[i] && ((e == nil && out.Err == nil) || (e != nil && errors.Is(out.Err, e))) {
				reached[i] = true
			}
		}
	}
	if len(s.platforms) != len(certs.Platforms()) || len(s.states) != 2*len(lifecycle.States()) || len(s.events) != 6 /* the events, no action included */ {
		t.Errorf("reached platforms %v, component states %v, events %v", s.platforms, s.states, s.events)
	}
	for i, e := range sentinels {
		if !reached[i] {
			t.Errorf("no scenario fails with %v", e)
		}
	}
	if len(s.enrollments) != 4 { // none, enrolled, CA unreachable, authentication failed
		t.Errorf("enrollment results reached: %v", s.enrollments)
	}
	wantChains := map[string]bool{
		"":                                      true, // nothing ran
		"staged denied":                         true,
		"staged dminstaller denied":             true,
		"staged dminstaller dmclientsetup done": true,
		"staged dminstaller dmclientsetup enrollment done": true,
	}
	chains := map[string]bool{}
	for k := range s.chains {
		chains[stepsString(stepsOfKey(k))] = true
	}
	if diff := cmp.Diff(wantChains, chains); diff != "" {
		t.Errorf("installer chain runs mismatch (-want +got):\n%s", diff)
	}
}

// stepsKey packs a run's steps (at most eight) into a number.
func stepsKey(steps []lifecycle.Step) uint64 {
	var k uint64
	for _, s := range steps {
		k = k<<8 | uint64(s)
	}
	return k
}

func stepsOfKey(k uint64) []lifecycle.Step {
	var steps []lifecycle.Step
	for ; k != 0; k >>= 8 {
		steps = append([]lifecycle.Step{lifecycle.Step(k & 0xff)}, steps...)
	}
	return steps
}

func stepsString(steps []lifecycle.Step) string {
	var b []byte
	for i, s := range steps {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, s.String()...)
	}
	return string(b)
}

// TestHeldInputsCannotMatter: where the space holds an input at one value,
// no other value of it changes the outcome. Over a stride of the space,
// each such input is set to every value it can take and the outcome
// compared; the rules restated here are the library's documented ones.
func TestHeldInputsCannotMatter(t *testing.T) {
	r := newRunner(t)
	older, deployed, newer := version.MustParse("4.00.6221.1000"), version.MustParse("4.00.6487.2000"), version.MustParse("4.00.6487.2157")
	i := -1
	for sc := range policy.Scenarios() {
		if i++; i%stride(211) != 0 {
			continue
		}
		out := r.run(t, sc)
		same := func(what string, edit func(alt *lifecycle.Scenario)) {
			t.Helper()
			alt := sc
			edit(&alt)
			if got := r.run(t, alt); !sameOutcome(out, got) {
				diff := cmp.Diff(out, got, equateErrors)
				t.Fatalf("scenario %d: %s changes the outcome (-space +changed):\n%s\nscenario: %+v", i, what, diff, sc)
			}
		}
		dev, dep := &sc.Device, &sc.Deployment
		// Security: only the trust step reads it ([certs.EstablishTrust]);
		// securities it does not tell apart give the same outcome.
		trust := trustResult(dev.Platform, dev.Security)
		for _, s := range certs.Securities() {
			if trustResult(dev.Platform, s) == trust {
				same("security "+s.String(), func(alt *lifecycle.Scenario) { alt.Device.Security = s })
			}
		}
		// Enrollment conditions: read only by an enrollment, which runs
		// for the client, with CertEnrollAction=Enroll, on a device without
		// a certificate or asked to renew it; and then only through the
		// result of [certs.Enroll].
		mayEnroll := dep.Component == lifecycle.Client && dep.Package.Settings.Enroll() && (!dev.Certificate || dep.RenewCertificate)
		result := enrollResult(dev.Enrollment)
		for _, c := range certs.EnrollmentConditionsAll() {
			if !mayEnroll || enrollResult(c) == result {
				same("enrollment conditions", func(alt *lifecycle.Scenario) { alt.Device.Enrollment = c })
			}
		}
		// Certificate and renewal: read only where the deployment leaves
		// a client that needs a certificate; renewal only where the device
		// holds one.
		leaves := dep.Component == lifecycle.Client && sc.Event() != lifecycle.NoAction && sc.Event() != lifecycle.Uninstall
		for _, cert := range []bool{false, true} {
			for _, renew := range []bool{false, true} {
				if !leaves || (!cert && !dev.Certificate && (!renew || !dep.RenewCertificate)) {
					same("certificate", func(alt *lifecycle.Scenario) { alt.Device.Certificate, alt.Deployment.RenewCertificate = cert, renew })
				}
			}
		}
		// The other component's version: read only where the method needs
		// a managed device (one with a client), and then only whether the
		// client is installed.
		for _, v := range []version.Version{{}, older, deployed, newer} {
			switch dep.Component {
			case lifecycle.Client:
				same("password program "+v.String(), func(alt *lifecycle.Scenario) { alt.Device.PasswordProgram = v })
			case lifecycle.PasswordProgram:
				if dep.Method != lifecycle.OverTheAir || v.IsValid() == dev.Client.IsValid() {
					same("client "+v.String(), func(alt *lifecycle.Scenario) { alt.Device.Client = v })
				}
			}
		}
		// Site facts a method does not need: software distribution needs
		// all three, over the air the management and distribution points
		// (a documented modelling choice), the manual methods none.
		needs := map[lifecycle.Method][3]bool{lifecycle.SoftwareDistribution: {true, true, true}, lifecycle.OverTheAir: {true, true, false}}[dep.Method]
		if !needs[0] {
			same("management point", func(alt *lifecycle.Scenario) { alt.Deployment.Site.ManagementPoint = false })
		}
		if !needs[1] {
			same("distribution point", func(alt *lifecycle.Scenario) { alt.Deployment.Site.DistributionPoint = false })
		}
		if !needs[2] {
			same("inventory", func(alt *lifecycle.Scenario) { alt.Deployment.Site.InventoryExtended = false })
		}
		// The computer's name: no rule reads it.
		same("computer", func(alt *lifecycle.Scenario) { alt.Device.Computer = "LAPTOP-7" })
	}
}

type trust struct {
	ran, exempt, setup bool
	err                string
}

func trustResult(p certs.Platform, s certs.Security) trust {
	r, err := certs.EstablishTrust(p, s)
	t := trust{ran: r.InstallerRan, exempt: r.Exempt, setup: r.SetupMayRun}
	if err != nil {
		t.err = err.Error()
	}
	return t
}

func enrollResult(c certs.EnrollmentConditions) certs.EnrollmentResult {
	r, _ := certs.Enroll(c)
	return r
}
