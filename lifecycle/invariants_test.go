package lifecycle_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"pgregory.net/rapid"
)

// TestInvariantsExhaustive is invariant 9: every invariant of
// lifecycletest.Check holds on every scenario of the finite input space,
// run through the real looplab-backed machine.
func TestInvariantsExhaustive(t *testing.T) {
	if raceEnabled {
		testInvariantsStride(t, 97)
		return
	}
	res, err := lifecycle.CheckPolicy(context.Background(), func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		return lifecycletest.Check(sc, out) == nil
	}, lifecycle.MaxCounterexamples(5))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range lifecycle.Scenarios() {
		n++
	}
	if res.Checked != n {
		t.Errorf("checked %d scenarios, the space has %d", res.Checked, n)
	}
	for _, ce := range res.Counterexamples {
		t.Errorf("scenario %d (distance %d): %v", ce.Index, ce.Distance, lifecycletest.Check(ce.Scenario, ce.Outcome))
	}
}

// testInvariantsStride checks every stride-th scenario, for the race run.
func testInvariantsStride(t *testing.T, stride int) {
	m, _ := lifecycle.NewMachine(lifecycle.None)
	i := 0
	for sc := range lifecycle.Scenarios() {
		i++
		if i%stride != 0 {
			continue
		}
		out, _ := m.Deploy(context.Background(), sc)
		if err := lifecycletest.Check(sc, out); err != nil {
			t.Fatalf("scenario %d: %v", i, err)
		}
	}
}

// TestInvariantsRapid samples far beyond the finite space: free versions,
// any settings, any site and any connection.
func TestInvariantsRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := lifecycletest.Scenario().Draw(t, "scenario")
		initial := rapid.SampledFrom(lifecycle.States()).Draw(t, "initial")
		m, err := lifecycle.NewMachine(initial)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Deploy(context.Background(), sc)
		if !errors.Is(err, out.Err) || (err == nil) != (out.Err == nil) {
			t.Fatalf("Deploy returned %v, outcome holds %v", err, out.Err)
		}
		lifecycletest.Assert(t, sc, out)
		if m.State() != out.To {
			t.Fatalf("machine in %v, outcome says %v", m.State(), out.To)
		}
	})
}

// TestCheckCatchesViolations makes sure Check is not vacuous: doctored
// outcomes of real runs are reported under the right invariant.
func TestCheckCatchesViolations(t *testing.T) {
	ctx := context.Background()
	base := lifecycle.DefaultScenario()
	m, _ := lifecycle.NewMachine(lifecycle.None)
	good, err := m.Deploy(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := lifecycletest.Check(base, good); err != nil {
		t.Fatalf("default scenario violates: %v", err)
	}
	locked := base
	locked.Device.Security.PrivilegesRestricted = true
	denied, _ := m.Deploy(ctx, locked)

	tests := []struct {
		name      string
		sc        lifecycle.Scenario
		doctor    func(o *lifecycle.Outcome)
		invariant int
	}{
		{"wrong event", base, func(o *lifecycle.Outcome) { o.Event = lifecycle.Upgrade }, 1},
		{"wrong from-state", base, func(o *lifecycle.Outcome) { o.From = lifecycle.Older }, 2},
		{"install not ending in same", base, func(o *lifecycle.Outcome) { o.To = lifecycle.Older }, 3},
		{"downgrade flag", base, func(o *lifecycle.Outcome) { o.Downgrade = true }, 3},
		{"missing DMSvc log", base, func(o *lifecycle.Outcome) { o.Logs = o.Logs[:2] }, 3},
		{"setup on a locked device", locked, func(o *lifecycle.Outcome) {
			o.Steps = []lifecycle.Step{lifecycle.Staged, lifecycle.Installer, lifecycle.Setup, lifecycle.Done}
			o.Err, o.Failure = nil, lifecycle.NoFailure
		}, 4},
		{"denial without status message", locked, func(o *lifecycle.Outcome) { o.Status = nil }, 5},
		{"denial without Access Denied line", locked, func(o *lifecycle.Outcome) { o.Logs = nil }, 5},
		{"enroll log without enrollment", base, func(o *lifecycle.Outcome) {
			o.Logs = append(o.Logs, lifecycle.LogFile{Kind: lifecycle.DMCertEnrollLog})
		}, 6},
	}
	for _, tt := range tests {
		out := good
		if tt.sc.Device.Security != base.Device.Security {
			out = denied
		}
		out.Logs = append([]lifecycle.LogFile(nil), out.Logs...)
		tt.doctor(&out)
		err := lifecycletest.Check(tt.sc, out)
		var v *lifecycletest.Violation
		if !errors.As(err, &v) {
			t.Errorf("%s: Check = %v, want a violation", tt.name, err)
			continue
		}
		found := false
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			if errors.As(e, &v) && v.Invariant == tt.invariant {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: Check = %v, want invariant %d", tt.name, err, tt.invariant)
		}
	}
}
