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
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
)

// wm6StandardUpgrades is a policy that a slice of the space breaks: no
// Windows Mobile 6 Standard device is upgraded.
func wm6StandardUpgrades(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
	return !(sc.Device.Platform == certs.WM6Standard && out.Event == lifecycle.Upgrade && out.Transitioned())
}

// TestCheckAgainstReference: Check finds what a plain loop over the space
// finds: the same number of scenarios and violations, and the same simplest
// counterexamples (fewest changed inputs, then space order) with the paths
// their runs took, whatever the number of workers; MaxCounterexamples(0)
// keeps none.
func TestCheckAgainstReference(t *testing.T) {
	if raceEnabled {
		t.Skip("runs the whole space three times: the plain run covers it; TestCheckRace runs Check under the race detector")
	}
	const keep = 5
	r := newRunner(t)
	var ref []policy.Counterexample
	n := 0
	for sc := range policy.Scenarios() {
		out := r.run(t, sc)
		if !wm6StandardUpgrades(sc, out) {
			ref = append(ref, policy.Counterexample{Index: n, Scenario: sc, Outcome: out, Distance: policy.Distance(sc)})
		}
		n++
	}
	slices.SortStableFunc(ref, func(a, b policy.Counterexample) int { return a.Distance - b.Distance })
	if len(ref) <= keep {
		t.Fatalf("the reference policy has only %d violations", len(ref))
	}

	res, err := policy.Check(context.Background(), wm6StandardUpgrades, policy.MaxCounterexamples(keep))
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked != n || res.Violations != len(ref) || res.Holds() {
		t.Errorf("Check: %d checked, %d violations; the loop: %d, %d", res.Checked, res.Violations, n, len(ref))
	}
	if len(res.Counterexamples) != keep {
		t.Fatalf("kept %d counterexamples, want %d", len(res.Counterexamples), keep)
	}
	for i, ce := range res.Counterexamples {
		want := ref[i]
		if ce.Index != want.Index || ce.Distance != want.Distance {
			t.Errorf("counterexample %d: index %d distance %d, want %d, %d", i, ce.Index, ce.Distance, want.Index, want.Distance)
			continue
		}
		if diff := cmp.Diff(want.Scenario, ce.Scenario); diff != "" {
			t.Errorf("counterexample %d: scenario mismatch (-want +got):\n%s", i, diff)
		}
		if !sameOutcome(want.Outcome, ce.Outcome) {
			t.Errorf("counterexample %d: outcome mismatch (-want +got):\n%s", i, cmp.Diff(want.Outcome, ce.Outcome, equateErrors))
		}
		checkPaths(t, ce)
	}

	count, err := policy.Check(context.Background(), wm6StandardUpgrades, policy.MaxCounterexamples(0), policy.Workers(1))
	if err != nil || count.Checked != n || count.Violations != len(ref) || count.Counterexamples != nil {
		t.Errorf("MaxCounterexamples(0), one worker: %d checked, %d violations, %d kept, %v", count.Checked, count.Violations, len(count.Counterexamples), err)
	}
}

// checkPaths: a counterexample's paths are the declared transitions its run
// took, step by step.
func checkPaths(t *testing.T, ce policy.Counterexample) {
	t.Helper()
	out := ce.Outcome
	if len(ce.ChainPath) != max(len(out.Steps)-1, 0) {
		t.Errorf("chain path %v for steps %v", ce.ChainPath, out.Steps)
	}
	for i, tr := range ce.ChainPath {
		if tr.From != out.Steps[i] || tr.To != out.Steps[i+1] || !slices.Contains(lifecycle.ChainTransitions(), tr) {
			t.Errorf("chain path %v for steps %v", ce.ChainPath, out.Steps)
		}
	}
	fired := out.Event != lifecycle.NoAction && len(out.Steps) > 0
	if fired != (len(ce.ClientPath) == 1) {
		t.Errorf("client path %v for event %v and steps %v", ce.ClientPath, out.Event, out.Steps)
	}
	for _, tr := range ce.ClientPath {
		if tr.Event != out.Event || tr.From != out.From || !slices.Contains(lifecycle.ClientTransitions(), tr) {
			t.Errorf("client path %v for %v from %v", ce.ClientPath, out.Event, out.From)
		}
	}
}

// TestCheckRace runs Check on every worker until a few thousand scenarios
// are judged, for the race detector; every counterexample it keeps is a
// real one.
func TestCheckRace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int64
	res, err := policy.Check(ctx, func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
		if calls.Add(1) == 20_000 {
			cancel()
		}
		return !slices.Contains(out.Steps, lifecycle.Denied)
	}, policy.MaxCounterexamples(3))
	if !errors.Is(err, context.Canceled) || res.Checked < 20_000 || res.Checked >= spaceSize {
		t.Fatalf("Check stopped after %d scenarios with %v", res.Checked, err)
	}
	r := newRunner(t)
	for _, ce := range res.Counterexamples {
		if out := r.run(t, ce.Scenario); !slices.Contains(out.Steps, lifecycle.Denied) || !sameOutcome(out, ce.Outcome) {
			t.Errorf("counterexample %d does not replay: %v", ce.Index, out.Steps)
		}
		checkPaths(t, ce)
	}
}

// TestCheckCancelStopsEachWorker: once ctx ends, each worker finishes the
// scenario it is running and stops; Check returns what it found and the
// context's error. With the policy canceling at its nth call, at most one
// more call per other worker starts once cancel has returned. Asking for
// many workers is safe: Check caps them.
func TestCheckCancelStopsEachWorker(t *testing.T) {
	const n = 1000
	for _, workers := range []int{-3, 1, 2, 64, 1 << 30} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var calls, atCancel, inFlight, maxInFlight atomic.Int64
			res, err := policy.Check(ctx, func(lifecycle.Scenario, lifecycle.Outcome) bool {
				now := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := maxInFlight.Load(); now > m && !maxInFlight.CompareAndSwap(m, now); m = maxInFlight.Load() {
				}
				if calls.Add(1) == n {
					cancel()
					atCancel.Store(calls.Load())
				}
				return true
			}, policy.Workers(workers))
			effective := min(max(workers, 1), runtime.GOMAXPROCS(0))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
			limit := int(atCancel.Load()) + effective - 1
			if res.Checked < n || res.Checked > limit || int64(res.Checked) != calls.Load() {
				t.Errorf("%d checked, %d policy calls; want between %d and %d", res.Checked, calls.Load(), n, limit)
			}
			if m := maxInFlight.Load(); m > int64(effective) {
				t.Errorf("%d policy calls at once with %d workers", m, effective)
			}
		})
	}
}

// TestCheckCanceledContext: a context done before the check runs nothing.
func TestCheckCanceledContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	res, err := policy.Check(ctx, func(lifecycle.Scenario, lifecycle.Outcome) bool {
		t.Error("policy called after the deadline")
		return true
	})
	if !errors.Is(err, context.DeadlineExceeded) || res.Checked != 0 {
		t.Errorf("Check = %+v, %v", res, err)
	}
}

// TestCheckReturnsOnCancel: canceled from outside while a slow policy runs
// on every worker, Check returns; the test waits for it with a generous
// deadline and asserts no timing.
func TestCheckReturnsOnCancel(t *testing.T) {
	for _, workers := range []int{1, 2048} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			started := make(chan struct{})
			var once atomic.Bool
			type result struct {
				res policy.Result
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := policy.Check(ctx, func(lifecycle.Scenario, lifecycle.Outcome) bool {
					if once.CompareAndSwap(false, true) {
						close(started)
					}
					time.Sleep(200 * time.Microsecond)
					return true
				}, policy.Workers(workers))
				done <- result{res, err}
			}()
			<-started
			cancel()
			select {
			case r := <-done:
				if !errors.Is(r.err, context.Canceled) || r.res.Checked >= spaceSize {
					t.Errorf("Check = %d checked, %v", r.res.Checked, r.err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Check did not return within 10 s of its context's end")
			}
		})
	}
}

// TestCheckPanic: a panic in the policy reaches the caller of Check, which
// can recover it, with the original value (wrapped when it is an error) and
// the stack of the goroutine that panicked in the message, and no worker is
// left running; a policy that calls runtime.Goexit (t.FailNow) ends the
// caller's goroutine. Each case runs in a child process, so that a panic on
// a worker goroutine, which no recover can catch, fails the test instead of
// killing the test binary.
func TestCheckPanic(t *testing.T) {
	if c := os.Getenv("DMCLIENT_POLICY_PANIC_CASE"); c != "" {
		panicChild(c)
		return
	}
	if testing.Short() {
		t.Skip("-short: runs child processes")
	}
	want := map[string][]string{
		"value":  {"recovered: error", "message has value: true", "message has stack: true", "goroutines back: true"},
		"error":  {"recovered: error", "errors.Is: true", "message has stack: true", "goroutines back: true"},
		"goexit": {"caller goroutine exited: true", "goroutines back: true"},
	}
	for c, lines := range want {
		t.Run(c, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCheckPanic$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "DMCLIENT_POLICY_PANIC_CASE="+c)
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

var errPolicyBroke = errors.New("policy broke")

// panicChild runs one case of TestCheckPanic and prints what it saw.
func panicChild(c string) {
	before := runtime.NumGoroutine()
	var calls atomic.Int64
	brokenPolicy := func(lifecycle.Scenario, lifecycle.Outcome) bool {
		if calls.Add(1) == 100 {
			switch c {
			case "value":
				panic("boom at call 100")
			case "error":
				panic(fmt.Errorf("wrapped: %w", errPolicyBroke))
			case "goexit":
				runtime.Goexit()
			}
		}
		return true
	}
	func() {
		if c == "goexit" {
			exited := make(chan bool)
			go func() {
				returned := false
				defer func() { exited <- !returned }()
				policy.Check(context.Background(), brokenPolicy)
				returned = true
			}()
			fmt.Printf("\ncaller goroutine exited: %v\n", <-exited)
			return
		}
		defer func() {
			v := recover()
			err, ok := v.(error)
			if !ok {
				fmt.Printf("\nrecovered: %T %v\n", v, v)
				return
			}
			fmt.Printf("\nrecovered: error\n")
			fmt.Printf("message has value: %v\n", strings.Contains(err.Error(), "boom at call 100"))
			fmt.Printf("errors.Is: %v\n", errors.Is(err, errPolicyBroke))
			fmt.Printf("message has stack: %v\n", strings.Contains(err.Error(), "panicChild.func1"))
		}()
		policy.Check(context.Background(), brokenPolicy)
		fmt.Println("Check returned")
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	fmt.Printf("goroutines back: %v\n", runtime.NumGoroutine() <= before)
}
