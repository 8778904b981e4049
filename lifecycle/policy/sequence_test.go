package policy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/roundtrip"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/lifecycle/policy"
	"github.com/mobiledm/dmclient/version"
)

// The package versions of the default deployments, oldest first.
var (
	v1 = version.New(4, 0, 6221, 1000)
	v2 = version.New(4, 0, 6487, 2000)
	v3 = version.New(4, 0, 6487, 2157)
)

// The default graph's size, documented in Explore and the package
// documentation.
const (
	defaultStates = 5134
	defaultEdges  = 533230
	defaultDepth  = 2
)

// bare returns the default device without a client: where the shortest
// sequences are counted from.
func bare() lifecycle.Device { return policy.DefaultScenario().Device }

// replayTrace replays tr step by step on a new machine with the fixed clock
// and reports every step whose outcome or device differs from the trace.
func replayTrace(t *testing.T, tr policy.Trace) {
	t.Helper()
	m, err := lifecycle.NewMachine(tr.Start, lifecycle.Options{Clock: fixedClock})
	if err != nil {
		t.Fatalf("trace start: %v", err)
	}
	for i, s := range tr.Steps {
		out, _ := m.Deploy(context.Background(), s.Deployment)
		if !sameOutcome(s.Outcome, out) {
			t.Errorf("step %d does not replay: outcome mismatch (-trace +replay):\n%s", i, cmp.Diff(s.Outcome, out, equateErrors))
		}
		if diff := cmp.Diff(s.Device, m.Device()); diff != "" {
			t.Errorf("step %d does not replay: device mismatch (-trace +replay):\n%s", i, diff)
		}
	}
}

// explore runs Explore and fails t on an error.
func explore(t *testing.T, p policy.Property, opts ...policy.Option) policy.Exploration {
	t.Helper()
	res, err := policy.Explore(context.Background(), p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Counterexamples {
		replayTrace(t, tr)
	}
	return res
}

// TestExploreDefaultGraph proves, over every sequence from every device of
// the space, every invariant lifecycletest.Check restates, on every edge
// of the default graph, and that no deployment is sent to a device that
// its platform or connection rules out; and pins the graph's size.
func TestExploreDefaultGraph(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("explores the whole default graph: the plain run does it")
	}
	var states atomic.Int64
	res := explore(t, policy.Property{
		Step: func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
			if errors.Is(out.Err, lifecycle.ErrConnection) || errors.Is(out.Err, lifecycle.ErrPasswordProgramPlatform) {
				return false
			}
			return lifecycletest.Check(sc, out) == nil
		},
		State: func(lifecycle.Device) bool { states.Add(1); return true },
	})
	for _, tr := range res.Counterexamples[:min(3, len(res.Counterexamples))] {
		last := tr.Steps[len(tr.Steps)-1]
		t.Errorf("violation after %d steps: %v", len(tr.Steps), lifecycletest.Check(lifecycle.Scenario{Device: tr.Steps[0].Device, Deployment: last.Deployment}, last.Outcome))
	}
	if res.States != defaultStates || res.Edges != defaultEdges || res.Depth != defaultDepth || !res.Holds() {
		t.Errorf("default graph: %d states, %d edges, depth %d, %d violations; want %d, %d, %d, 0",
			res.States, res.Edges, res.Depth, res.Violations, defaultStates, defaultEdges, defaultDepth)
	}
	if n := states.Load(); n != int64(res.States) {
		t.Errorf("State judged %d times for %d states", n, res.States)
	}
}

// TestExploreShortestStep seeds a step violation whose shortest sequence
// is known: "a client is never upgraded from the first version to the
// third". A device without a client needs two deployments (install the
// first, upgrade to the third: one deployment changes one component's
// version once); a device of the space that holds the first version needs
// one. Histories, which walks sequences rather than the graph, agrees: it
// finds nothing to depth 1 from the bare device, and the same length at
// depth 2.
func TestExploreShortestStep(t *testing.T) {
	v1to3 := func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		return !(out.Component == lifecycle.Client && out.Before == v1 && out.After == v3)
	}
	res := explore(t, policy.Property{Step: v1to3}, policy.Starting(bare()), policy.MaxCounterexamples(3))
	if res.Holds() || len(res.Counterexamples) != 3 {
		t.Fatalf("the seeded violation was not found: %+v", res)
	}
	for _, tr := range res.Counterexamples {
		if len(tr.Steps) != 2 {
			t.Errorf("trace of %d steps, want 2", len(tr.Steps))
		}
		last := tr.Steps[len(tr.Steps)-1]
		// An upgrade, or the repair of the older client.
		if ev := last.Outcome.Event; v1to3(lifecycle.Scenario{}, last.Outcome) || (ev != lifecycle.Upgrade && ev != lifecycle.Repair) {
			t.Errorf("trace does not end in an upgrade or repair from v1 to v3: %+v", last.Outcome)
		}
	}
	// The JSON form of the result holds traces that replay too.
	back, _ := roundtrip.JSON(t, res)
	if len(back.Counterexamples) != 3 {
		t.Fatalf("JSON round trip: %+v", back)
	}
	for _, tr := range back.Counterexamples {
		replayTrace(t, tr)
	}

	withV1 := bare()
	withV1.Client = v1
	fromV1 := explore(t, policy.Property{Step: v1to3}, policy.Starting(withV1), policy.MaxCounterexamples(1))
	if n := len(fromV1.Counterexamples[0].Steps); n != 1 {
		t.Errorf("from a device holding the first version: shortest trace of %d steps, want 1", n)
	}

	last := func(tr policy.Trace) bool {
		return v1to3(lifecycle.Scenario{}, tr.Steps[len(tr.Steps)-1].Outcome)
	}
	if h, err := policy.Histories(context.Background(), 1, last, policy.Starting(bare())); err != nil || !h.Holds() {
		t.Errorf("Histories to depth 1: %d violations, %v; want none", h.Violations, err)
	}
	h, err := policy.Histories(context.Background(), 2, last, policy.Starting(bare()), policy.MaxCounterexamples(1))
	if err != nil || h.Holds() {
		t.Fatalf("Histories to depth 2: %+v, %v", h, err)
	}
	if n := len(h.Counterexamples[0].Steps); n != 2 {
		t.Errorf("Histories: shortest trace of %d steps, want 2", n)
	}
	replayTrace(t, h.Counterexamples[0])
}

// TestExploreShortestState seeds a state violation three deployments away
// from a bare Pocket PC 2003 device: no client, yet a certificate, beside
// the password program of the first version. Only a client deployment
// enrolls, and it leaves a client; the uninstall that removes it keeps the
// certificate; the password program is a third deployment.
func TestExploreShortestState(t *testing.T) {
	start := bare()
	start.Platform = certs.PocketPC2003
	start.Enrollment = certs.EnrollmentConditions{CAReachable: true, AuthenticationSucceeds: true}
	target := func(d lifecycle.Device) bool {
		return !(!d.Client.IsValid() && d.Certificate && d.PasswordProgram == v1)
	}
	res := explore(t, policy.Property{State: target}, policy.Starting(start), policy.MaxCounterexamples(1))
	if res.Holds() {
		t.Fatalf("the seeded violation was not found: %+v", res)
	}
	tr := res.Counterexamples[0]
	if len(tr.Steps) != 3 || target(tr.Last()) {
		t.Errorf("trace of %d steps ending in %+v, want 3 steps to the target", len(tr.Steps), tr.Last())
	}
	if !raceEnabled {
		ok := func(tr policy.Trace) bool { return target(tr.Last()) }
		if h, err := policy.Histories(context.Background(), 2, ok, policy.Starting(start)); err != nil || !h.Holds() {
			t.Errorf("Histories to depth 2: %d violations, %v; want none", h.Violations, err)
		}
	}
}

// TestExploreStartViolation: a starting device the State rejects is a
// trace without steps.
func TestExploreStartViolation(t *testing.T) {
	res := explore(t, policy.Property{State: func(d lifecycle.Device) bool { return d.Client.IsValid() }},
		policy.Starting(bare()), policy.MaxCounterexamples(1))
	if res.Holds() || len(res.Counterexamples[0].Steps) != 0 || res.Counterexamples[0].Last().ID != bare().ID {
		t.Fatalf("Explore = %+v", res)
	}
}

// smallStarts are a few devices of the space, for the tests that explore
// often: one per platform.
func smallStarts() []lifecycle.Device {
	var devs []lifecycle.Device
	seen := map[certs.Platform]bool{}
	for _, d := range policy.Devices() {
		if !seen[d.Platform] {
			seen[d.Platform] = true
			devs = append(devs, d)
		}
	}
	return devs
}

// TestExploreDeterministic: the result, counterexamples included, does
// not depend on the number of workers.
func TestExploreDeterministic(t *testing.T) {
	p := policy.Property{
		Step:  func(sc lifecycle.Scenario, out lifecycle.Outcome) bool { return out.Event != lifecycle.Uninstall },
		State: func(d lifecycle.Device) bool { return !d.Certificate },
	}
	one := explore(t, p, policy.Starting(smallStarts()...), policy.Workers(1), policy.MaxCounterexamples(20))
	all := explore(t, p, policy.Starting(smallStarts()...), policy.Workers(64), policy.MaxCounterexamples(20))
	if diff := cmp.Diff(one, all, equateErrors); diff != "" {
		t.Errorf("one worker and many differ (-one +many):\n%s", diff)
	}
	if len(one.Counterexamples) != 20 {
		t.Fatalf("%d counterexamples", len(one.Counterexamples))
	}
	for i := 1; i < len(one.Counterexamples); i++ {
		if len(one.Counterexamples[i].Steps) < len(one.Counterexamples[i-1].Steps) {
			t.Errorf("counterexample %d is shorter than the one before", i)
		}
	}
	none := explore(t, p, policy.Starting(smallStarts()...), policy.MaxCounterexamples(0))
	if none.Violations != one.Violations || none.Counterexamples != nil {
		t.Errorf("MaxCounterexamples(0): %d violations, %d kept; want %d, 0", none.Violations, len(none.Counterexamples), one.Violations)
	}
}

// TestExploreIDs: devices equal but for their ID are one state, run under
// the ID of the first start; each trace replays under its start's ID.
func TestExploreIDs(t *testing.T) {
	a, b := bare(), bare()
	a.ID, b.ID = "first", "second"
	var mu sync.Mutex
	ids := map[string]bool{}
	res := explore(t, policy.Property{Step: func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		mu.Lock()
		defer mu.Unlock()
		ids[sc.Device.ID], ids[out.Device] = true, true
		return out.Event != lifecycle.Upgrade
	}}, policy.Starting(a, b), policy.MaxCounterexamples(1))
	if len(ids) != 1 || !ids["first"] {
		t.Errorf("IDs seen: %v, want only the first start's", ids)
	}
	if res.Counterexamples[0].Start.ID != "first" {
		t.Errorf("trace starts at %q", res.Counterexamples[0].Start.ID)
	}
	single := explore(t, policy.Property{}, policy.Starting(a))
	if res.States != single.States || res.Edges != single.Edges {
		t.Errorf("two starts equal but for the ID: %d states, %d edges; one start: %d, %d", res.States, res.Edges, single.States, single.Edges)
	}
}

// TestExploreInputs: bad inputs are errors before anything runs; a graph
// past MaxStates stops with ErrTooManyStates.
func TestExploreInputs(t *testing.T) {
	never := policy.Property{Step: func(lifecycle.Scenario, lifecycle.Outcome) bool {
		t.Error("a property was called")
		return true
	}}
	badDevice := bare()
	badDevice.Platform = 0
	badDep := policy.DefaultScenario().Deployment
	badDep.Method = 9
	ctx := context.Background()
	for name, opts := range map[string][]policy.Option{
		"no start":          {policy.Starting()},
		"no deployment":     {policy.Deploying()},
		"invalid start":     {policy.Starting(bare(), badDevice)},
		"invalid deploy":    {policy.Deploying(policy.DefaultScenario().Deployment, badDep)},
		"too many starts":   {policy.MaxStates(2), policy.Starting(smallStarts()...)},
		"no valid versions": {policy.Deploying(policy.Deployments(version.Version{})...)},
	} {
		if _, err := policy.Explore(ctx, never, opts...); err == nil {
			t.Errorf("%s: Explore accepted it", name)
		}
		if _, err := policy.Histories(ctx, 1, func(policy.Trace) bool { return true }, opts...); err == nil {
			t.Errorf("%s: Histories accepted it", name)
		}
	}
	_, err := policy.Explore(ctx, never, policy.Deploying(badDep))
	if !errors.Is(err, lifecycle.ErrInvalidInput) || !strings.Contains(err.Error(), "deployment 0") {
		t.Errorf("invalid deployment: %v", err)
	}
	_, err = policy.Explore(ctx, never, policy.Starting(bare(), badDevice))
	if !errors.Is(err, lifecycle.ErrInvalidInput) || !strings.Contains(err.Error(), "starting device 1") {
		t.Errorf("invalid start: %v", err)
	}
	for _, depth := range []int{-1, 0, 1025} {
		if _, err := policy.Histories(ctx, depth, func(policy.Trace) bool { return true }); err == nil {
			t.Errorf("Histories accepted depth %d", depth)
		}
	}

	res, err := policy.Explore(ctx, policy.Property{}, policy.Starting(bare()), policy.MaxStates(5))
	if !errors.Is(err, policy.ErrTooManyStates) || res.States != 5 {
		t.Errorf("MaxStates(5): %d states, %v", res.States, err)
	}
}

// TestExploreCancel: once ctx ends, each worker finishes the deployment it
// is running and stops, and Explore returns what it found with the
// context's error; a context done before it starts runs nothing.
func TestExploreCancel(t *testing.T) {
	const n = 500
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls, atCancel atomic.Int64
	res, err := policy.Explore(ctx, policy.Property{Step: func(lifecycle.Scenario, lifecycle.Outcome) bool {
		if calls.Add(1) == n {
			cancel()
			atCancel.Store(calls.Load())
		}
		return true
	}}, policy.Starting(bare()))
	limit := int(atCancel.Load()) + runtime.GOMAXPROCS(0) - 1
	if !errors.Is(err, context.Canceled) || res.Edges < n || res.Edges > limit || int64(res.Edges) != calls.Load() {
		t.Errorf("Explore stopped after %d edges (%d calls) with %v; want %d to %d edges", res.Edges, calls.Load(), err, n, limit)
	}

	done, stop := context.WithCancel(context.Background())
	stop()
	never := func(lifecycle.Scenario, lifecycle.Outcome) bool { t.Error("property called"); return true }
	if res, err := policy.Explore(done, policy.Property{Step: never}, policy.Starting(bare())); !errors.Is(err, context.Canceled) || res.Edges != 0 {
		t.Errorf("done context: %+v, %v", res, err)
	}
	if res, err := policy.Histories(done, 2, func(policy.Trace) bool { t.Error("called"); return true }, policy.Starting(bare())); !errors.Is(err, context.Canceled) || res.Edges != 0 {
		t.Errorf("done context, Histories: %+v, %v", res, err)
	}

	hctx, hcancel := context.WithCancel(context.Background())
	defer hcancel()
	calls.Store(0)
	h, err := policy.Histories(hctx, 3, func(policy.Trace) bool {
		if calls.Add(1) == n {
			hcancel()
			atCancel.Store(calls.Load())
		}
		return true
	}, policy.Starting(bare()))
	limit = int(atCancel.Load()) + runtime.GOMAXPROCS(0) - 1
	if !errors.Is(err, context.Canceled) || h.Edges < n || h.Edges > limit || int64(h.Edges) != calls.Load() {
		t.Errorf("Histories stopped after %d histories (%d calls) with %v; want %d to %d", h.Edges, calls.Load(), err, n, limit)
	}
}

// TestExploreReturnsOnCancel: canceled from outside while a slow property
// runs on every worker, Explore and Histories return; the test waits with
// a generous deadline and asserts no timing.
func TestExploreReturnsOnCancel(t *testing.T) {
	slow := func() { time.Sleep(200 * time.Microsecond) }
	for name, run := range map[string]func(ctx context.Context, started func()) error{
		"explore": func(ctx context.Context, started func()) error {
			_, err := policy.Explore(ctx, policy.Property{Step: func(lifecycle.Scenario, lifecycle.Outcome) bool { started(); slow(); return true }},
				policy.Starting(bare()), policy.Workers(64))
			return err
		},
		"histories": func(ctx context.Context, started func()) error {
			_, err := policy.Histories(ctx, 3, func(policy.Trace) bool { started(); slow(); return true }, policy.Starting(bare()))
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			began := make(chan struct{})
			var once atomic.Bool
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, func() {
					if once.CompareAndSwap(false, true) {
						close(began)
					}
				})
			}()
			<-began
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("did not return within 10 s of its context's end")
			}
		})
	}
}

// clientDeployments returns the default deployments of the client by
// manual transfer (which reaches every connection) to a mixed-mode site
// without enrollment: the client's every version, action and repair, few
// enough for deep histories.
func clientDeployments() []lifecycle.Deployment {
	return slices.DeleteFunc(policy.Deployments(), func(d lifecycle.Deployment) bool {
		s := d.Site
		return d.Component != lifecycle.Client || d.Method != lifecycle.ManualTransfer || d.Package.Settings.Enroll() ||
			s.Mode != certs.Mixed || !s.ClientAgent || !s.ManagementPoint || !s.DistributionPoint || !s.InventoryExtended
	})
}

// TestHistories: "after an uninstall, the next install that succeeds ends
// in the deployed version" holds to depth 3 from one device of each
// platform; "no client is installed again after an uninstall" does not,
// and its shortest counterexample is two deployments from a device that
// holds a client (uninstall, install), three from one that holds none.
func TestHistories(t *testing.T) {
	ctx := context.Background()
	starts, deps := smallStarts(), clientDeployments()
	depth := 3
	if raceEnabled {
		starts, depth = starts[:2], 2
	}
	if len(deps) != 18 {
		t.Fatalf("%d client deployments, want 18 (3 versions, 3 actions, repair or not)", len(deps))
	}
	installAfterUninstall := func(tr policy.Trace) (after bool, last policy.Step) {
		last = tr.Steps[len(tr.Steps)-1]
		if last.Outcome.Event != lifecycle.Install || !last.Outcome.Transitioned() {
			return false, last
		}
		for i := len(tr.Steps) - 2; i >= 0; i-- {
			if o := tr.Steps[i].Outcome; o.Transitioned() {
				return o.Event == lifecycle.Uninstall, last
			}
		}
		return false, last
	}
	endsDeployed := func(tr policy.Trace) bool {
		after, last := installAfterUninstall(tr)
		return !after || last.Device.Client == last.Deployment.Package.Version
	}
	var judged atomic.Int64
	res, err := policy.Histories(ctx, depth, func(tr policy.Trace) bool {
		judged.Add(1)
		return endsDeployed(tr)
	}, policy.Starting(starts...), policy.Deploying(deps...))
	if err != nil || !res.Holds() || res.States != len(starts) || res.Depth != depth || int64(res.Edges) != judged.Load() {
		t.Fatalf("Histories = %+v, %v (judged %d)", res, err, judged.Load())
	}
	// Every history of 1 to depth deployments, each of the 18 going to
	// every device.
	want := 0
	for k, n := 1, 1; k <= depth; k++ {
		n *= len(deps)
		want += n
	}
	if res.Edges != want*len(starts) {
		t.Errorf("%d histories judged, want %d", res.Edges, want*len(starts))
	}

	withClient := bare()
	withClient.Client = v2
	neverAgain := func(tr policy.Trace) bool { after, _ := installAfterUninstall(tr); return !after }
	for _, c := range []struct {
		start lifecycle.Device
		steps int
	}{{withClient, 2}, {bare(), 3}} {
		res, err = policy.Histories(ctx, 3, neverAgain, policy.Starting(c.start), policy.Deploying(deps...), policy.MaxCounterexamples(5))
		if err != nil || res.Holds() || len(res.Counterexamples) != 5 {
			t.Fatalf("Histories = %+v, %v", res, err)
		}
		if n := len(res.Counterexamples[0].Steps); n != c.steps {
			t.Errorf("from client %v: shortest counterexample of %d steps, want %d", c.start.Client, n, c.steps)
		}
		for i, tr := range res.Counterexamples {
			if neverAgain(tr) {
				t.Errorf("counterexample %d is not one", i)
			}
			replayTrace(t, tr)
		}
	}
}

// TestDevicesAndDeployments: the default starts are the space's distinct
// devices, each once; the default deployments are valid, each once, and
// of the versions asked for.
func TestDevicesAndDeployments(t *testing.T) {
	devs := policy.Devices()
	if len(devs) != 3366 {
		t.Errorf("%d devices, want 3366", len(devs))
	}
	if !raceEnabled {
		type key struct {
			id, computer, settings string
			platform               certs.Platform
			client, pp             version.Version
			security               certs.Security
			conn                   lifecycle.Connection
			enrollment             certs.EnrollmentConditions
			cert                   bool
		}
		keyOf := func(d lifecycle.Device) key {
			k := key{id: d.ID, computer: d.Computer, platform: d.Platform, client: d.Client, pp: d.PasswordProgram,
				security: d.Security, conn: d.Connection, enrollment: d.Enrollment, cert: d.Certificate}
			if len(d.Settings) > 0 {
				k.settings = fmt.Sprint(d.Settings)
			}
			return k
		}
		inSpace := map[key]bool{}
		for sc := range policy.Scenarios() {
			inSpace[keyOf(sc.Device)] = true
		}
		seen := map[key]bool{}
		for _, d := range devs {
			k := keyOf(d)
			if !inSpace[k] || seen[k] {
				t.Errorf("device not in the space, or repeated: %+v", d)
			}
			seen[k] = true
		}
		if len(seen) != len(inSpace) {
			t.Errorf("%d devices, the space has %d", len(seen), len(inSpace))
		}
	}

	deps := policy.Deployments()
	if len(deps) != 259 {
		t.Errorf("%d deployments, want 259", len(deps))
	}
	missing := 0 // deployments missing a site prerequisite: one version each
	for _, d := range deps {
		if s := d.Site; !s.ClientAgent || !s.ManagementPoint || !s.DistributionPoint || !s.InventoryExtended {
			missing++
		}
	}
	seen := map[string]bool{}
	versions := map[version.Version]bool{}
	for _, d := range deps {
		k := fmt.Sprintf("%+v", d)
		if seen[k] {
			t.Errorf("repeated: %s", k)
		}
		seen[k] = true
		versions[d.Package.Version] = true
		if err := lifecycle.CheckPrerequisites(lifecycle.Scenario{Device: bare(), Deployment: d}); errors.Is(err, lifecycle.ErrInvalidInput) {
			t.Errorf("invalid deployment: %v", err)
		}
	}
	if len(versions) != 3 || !versions[v1] || !versions[v2] || !versions[v3] {
		t.Errorf("versions %v", versions)
	}
	two := policy.Deployments(v3, version.Version{}, v1, v3)
	if len(two) != (len(deps)-missing)/3*2+missing || two[0].Package.Version != v1 {
		t.Errorf("Deployments(v3, invalid, v1, v3): %d deployments, first of %v", len(two), two[0].Package.Version)
	}
}

// TestExplorePanic: a panic in the property reaches the caller of Explore
// or Histories, as Check's does (see TestCheckPanic), from a step, from a
// state, and from a starting state.
func TestExplorePanic(t *testing.T) {
	if c := os.Getenv("DMCLIENT_EXPLORE_PANIC_CASE"); c != "" {
		explorePanicChild(c)
		return
	}
	if testing.Short() {
		t.Skip("-short: runs child processes")
	}
	recovered := []string{"recovered: error", "errors.Is: true", "message has stack: true", "goroutines back: true"}
	runInChildren(t, "TestExplorePanic", "DMCLIENT_EXPLORE_PANIC_CASE", map[string][]string{
		"step":      recovered,
		"state":     recovered,
		"start":     recovered,
		"histories": recovered,
		"goexit":    {"caller goroutine exited: true", "goroutines back: true"},
	})
}

// explorePanicChild runs one case of TestExplorePanic and prints what it
// saw.
func explorePanicChild(c string) {
	var calls atomic.Int64
	at := int64(100)
	switch c {
	case "state":
		at = 2 // the start, then the first state reached
	case "start":
		at = 2 // the second start
	}
	boom := func() bool {
		if calls.Add(1) == at {
			if c == "goexit" {
				runtime.Goexit()
			}
			panic(fmt.Errorf("wrapped: %w", errPolicyBroke))
		}
		return true
	}
	withClient := bare()
	withClient.Client = v2
	starts := policy.Starting(bare(), withClient)
	reportCaller(func() {
		switch c {
		case "step", "goexit":
			policy.Explore(context.Background(), policy.Property{Step: func(lifecycle.Scenario, lifecycle.Outcome) bool { return boom() }}, starts)
		case "state":
			policy.Explore(context.Background(), policy.Property{State: func(lifecycle.Device) bool { return boom() }},
				policy.Starting(bare()))
		case "start":
			policy.Explore(context.Background(), policy.Property{State: func(lifecycle.Device) bool { return boom() }}, starts)
		case "histories":
			policy.Histories(context.Background(), 2, func(policy.Trace) bool { return boom() }, starts)
		}
	}, c == "goexit", errPolicyBroke, "explorePanicChild")
}

// runInChildren runs the test named test in a child process once per case
// of want, in parallel, with the environment variable env set to the case,
// and checks that each child passes and prints each line of its case: a
// panic on a worker goroutine, which no recover can catch, then fails the
// case instead of killing the test binary.
func runInChildren(t *testing.T, test, env string, want map[string][]string) {
	for c, lines := range want {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), env+"="+c)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child process failed (%v): a panic escaped to a worker goroutine?\n%s", err, out)
			}
			for _, l := range lines {
				if !strings.Contains(string(out), "\n"+l+"\n") {
					t.Errorf("child output lacks %q:\n%s", l, out)
				}
			}
		})
	}
}

// reportCaller runs run as its caller would, in a child process of
// runInChildren, and prints what the caller saw: with goexit, whether run
// ended the caller's goroutine; otherwise the panic recovered (an error?
// wrapping want? with stackMark, a function of the goroutine that
// panicked, in its message?); then whether every goroutine run started is
// gone.
func reportCaller(run func(), goexit bool, want error, stackMark string) {
	before := runtime.NumGoroutine()
	if goexit {
		exited := make(chan bool)
		go func() {
			returned := false
			defer func() { exited <- !returned }()
			run()
			returned = true
		}()
		fmt.Printf("\ncaller goroutine exited: %v\n", <-exited)
	} else {
		func() {
			defer func() {
				err, ok := recover().(error)
				if !ok {
					fmt.Println("\nrecovered: not an error")
					return
				}
				fmt.Printf("\nrecovered: error\n")
				fmt.Printf("errors.Is: %v\n", errors.Is(err, want))
				fmt.Printf("message has stack: %v\n", strings.Contains(err.Error(), stackMark))
			}()
			run()
			fmt.Println("returned")
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	fmt.Printf("goroutines back: %v\n", runtime.NumGoroutine() <= before)
}

// TestDeploymentsHeldFixed: what Deployments holds fixed cannot matter, on
// a stride of the space's devices: a variant of a deployment that the set
// leaves out has the outcome of the one it keeps (the site mode, and
// CertEnrollAction and renewal, where no certificate can be needed; the
// other mode that requires enrollment; manual sync, where manual transfer
// reaches); and a deployment that misses a site prerequisite fails the
// same way, leaving the device as it was, whatever its package.
func TestDeploymentsHeldFixed(t *testing.T) {
	stride := 29
	if raceEnabled {
		stride = 401
	}
	deps := policy.Deployments()
	kept := map[string]bool{}
	for _, d := range deps {
		kept[fmt.Sprintf("%+v", d)] = true
	}
	full := func(s lifecycle.Site) bool {
		return s.ClientAgent && s.ManagementPoint && s.DistributionPoint && s.InventoryExtended
	}
	enrolled := func(d lifecycle.Deployment, renew bool) lifecycle.Deployment {
		s, err := lifecycle.ReadSettings("ClientSettings.ini", []byte("[ClientSettings]\r\nClientInstallAction="+
			d.Package.Settings.ClientInstallAction.String()+"\r\nCertEnrollAction=Enroll\r\nPollingInterval=60\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		d.Package.Settings, d.RenewCertificate = s, renew
		return d
	}
	r := newRunner(t)
	devs := policy.Devices()
	runs := 0
	for i := 0; i < len(devs); i += stride {
		dev := devs[i]
		run := func(d lifecycle.Deployment) lifecycle.Outcome {
			runs++
			return r.run(t, lifecycle.Scenario{Device: dev, Deployment: d})
		}
		for _, d := range deps {
			base := run(d)
			var same []lifecycle.Deployment // variants that must have base's outcome
			switch {
			case !full(d.Site):
				for _, v := range []version.Version{v2, v3} {
					for _, repair := range []bool{false, true} {
						o := d
						o.Package.Version, o.Repair = v, repair
						if out := run(o); out.Err == nil || out.Err.Error() != base.Err.Error() || out.Transitioned() {
							t.Errorf("%v: %+v fails otherwise than %+v: %v, %v", dev.Platform, o, d, out.Err, base.Err)
						}
					}
				}
			case d.Site.Mode == certs.Mixed && !d.Package.Settings.Enroll():
				for _, o := range []lifecycle.Deployment{enrolled(d, false), enrolled(d, true)} {
					if !kept[fmt.Sprintf("%+v", o)] {
						same = append(same, o)
					}
				}
				native := d
				native.Site.Mode = certs.Native
				if !kept[fmt.Sprintf("%+v", native)] {
					same = append(same, native)
				}
				server := native
				server.Site.Mode = certs.ServerAuthentication
				// The same but for the mode named in the error.
				out, want := run(server), run(native)
				if out.Err != nil && want.Err != nil {
					out.Err = errors.New(strings.ReplaceAll(out.Err.Error(), certs.ServerAuthentication.String(), certs.Native.String()))
				}
				if !sameOutcome(out, want) {
					t.Errorf("server authentication mode and native differ:\n%s", cmp.Diff(want, out, equateErrors))
				}
			}
			if d.Method == lifecycle.ManualTransfer && (dev.Connection == lifecycle.ViaManagedComputer || dev.Connection == lifecycle.ViaUnmanagedComputer) {
				sync := d
				sync.Method = lifecycle.ManualSync
				same = append(same, sync)
			}
			for _, o := range same {
				out := run(o)
				out.Method = base.Method
				if !sameOutcome(base, out) {
					t.Errorf("%+v: a variant held fixed matters:\n%+v\n%s", dev, o, cmp.Diff(base, out, equateErrors))
				}
			}
		}
	}
	t.Logf("%d runs from %d devices", runs, (len(devs)+stride-1)/stride)
}

// TestExploreSends: a device is sent only the deployments its platform and
// connection do not rule out before anything runs: not a method that
// cannot reach its connection, nor the password program beyond Pocket PC
// 2003.
func TestExploreSends(t *testing.T) {
	ota := policy.DefaultScenario().Deployment
	ota.Method = lifecycle.OverTheAir
	pp := policy.DefaultScenario().Deployment
	pp.Component = lifecycle.PasswordProgram
	pp.Package.Folder = lifecycle.CompleteFolder(certs.Platforms()...)
	ppc := bare()
	ppc.Platform = certs.PocketPC2003
	air := bare()
	air.Connection, air.Computer = lifecycle.ViaAir, ""
	for _, c := range []struct {
		dev   lifecycle.Device
		dep   lifecycle.Deployment
		edges int
	}{
		{bare(), ota, 0}, // through a managed computer
		{air, ota, 1},    // not managed: fails, but is sent
		{bare(), pp, 0},  // Windows Mobile 6 Professional
		{ppc, pp, 2},     // install, then reconfigure
	} {
		res := explore(t, policy.Property{}, policy.Starting(c.dev), policy.Deploying(c.dep))
		if res.Edges != c.edges {
			t.Errorf("%v, %v: %v to %v: %d edges, want %d", c.dev.Platform, c.dev.Connection, c.dep.Component, c.dep.Method, res.Edges, c.edges)
		}
	}
}
