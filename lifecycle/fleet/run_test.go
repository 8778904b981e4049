package fleet_test

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
	"pgregory.net/rapid"
)

// deployOne deploys e as Run must: on a machine of its own in the entry's
// device state, or not at all when it was yielded with an error.
func deployOne(e fleet.Entry, err error) lifecycle.Outcome {
	if err != nil {
		o := lifecycle.Outcome{Device: e.Device.ID, Component: e.Deployment.Component, Method: e.Deployment.Method, Err: err}
		if e.Device.Platform.IsValid() {
			o.Platform = e.Device.Platform
		}
		return o
	}
	o, _ := lifecycle.Run(context.Background(), lifecycle.Scenario{Device: e.Device, Deployment: e.Deployment}, fleetOptions)
	return o
}

// sequentialReport deploys every device of fleet one after the other, each
// on a new machine, and aggregates the outcomes: what Run must give.
func sequentialReport(t *testing.T, entries iter.Seq2[fleet.Entry, error], details bool) (fleet.Report, []fleet.Entry, []lifecycle.Outcome) {
	t.Helper()
	agg := fleet.NewAggregator(fleet.ReportOptions{Details: details})
	var es []fleet.Entry
	var outs []lifecycle.Outcome
	i := 0
	for e, err := range entries {
		o := deployOne(e, err)
		agg.Add(i, e, o)
		es = append(es, e)
		outs = append(outs, o)
		i++
	}
	return agg.Report(), es, outs
}

func TestRunMatchesSequential(t *testing.T) {
	n := 3000
	if raceEnabled {
		n = 700
	}
	entries := withBadDevices(generatedFleet(n), 97)
	want, es, outs := sequentialReport(t, entries, true)
	checkReport(t, want, es, outs)
	for _, workers := range []int{0, 1, 2, 3, 8} {
		for _, ordered := range []bool{false, true} {
			opts := fleet.Options{Workers: workers, Report: fleet.ReportOptions{Details: true}, Machine: fleetOptions}
			next := 0
			if ordered {
				opts.OnOutcome = func(i int, e fleet.Entry, o lifecycle.Outcome) {
					if i != next || o.Device != e.Device.ID || !cmp.Equal(outs[i], o, cmp.Comparer(sameError)) {
						t.Fatalf("OnOutcome(%d, %q, %+v), want index %d, outcome %+v", i, e.Device.ID, o, next, outs[i])
					}
					next++
				}
			}
			got, err := fleet.Run(context.Background(), entries, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("workers %d, ordered %v: report mismatch (-want +got):\n%s", workers, ordered, diff)
			}
			if ordered && next != n {
				t.Fatalf("OnOutcome called %d times, want %d", next, n)
			}
		}
	}
}

// TestRunReuseProperty: the outcome of a device does not depend on the
// devices before it on the same worker's machine.
func TestRunReuseProperty(t *testing.T) {
	all := collect(generatedFleet(fleetCombinations / stride()))
	rapid.Check(t, func(t *rapid.T) {
		picks := rapid.SliceOfN(rapid.IntRange(0, len(all)-1), 1, 50).Draw(t, "devices")
		entries := func(yield func(fleet.Entry, error) bool) {
			for _, p := range picks {
				if !yield(all[p], nil) {
					return
				}
			}
		}
		var got []lifecycle.Outcome
		_, err := fleet.Run(context.Background(), entries, fleet.Options{Workers: 1, Machine: fleetOptions,
			OnOutcome: func(_ int, _ fleet.Entry, o lifecycle.Outcome) { got = append(got, o) }})
		if err != nil {
			t.Fatal(err)
		}
		for k, p := range picks {
			want := deployOne(all[p], nil)
			if diff := cmp.Diff(want, got[k], cmp.Comparer(sameError)); diff != "" {
				t.Fatalf("device %d (%d of the run) mismatch (-want +got):\n%s", p, k, diff)
			}
		}
	})
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

func collect(entries iter.Seq2[fleet.Entry, error]) []fleet.Entry {
	var all []fleet.Entry
	for e := range entries {
		all = append(all, e)
	}
	return all
}

// TestRunCanceled: once ctx ends, Run stops pulling the fleet; every
// device pulled is counted exactly once, those not run as canceled, and
// the bad ones as invalid input even so. Several workers have devices
// pulled but not run when ctx ends; one worker (on the calling goroutine,
// as by default with GOMAXPROCS 1) has run every device but the one pulled
// as ctx ends, which is not run unless it is a bad one (every 100th).
func TestRunCanceled(t *testing.T) {
	n := int64(20_000)
	if raceEnabled {
		n = 4000
	}
	for _, workers := range []int{1, 2} {
		for _, cancelAt := range []int64{1, 700, n / 4, n} {
			for _, ordered := range []bool{false, true} {
				checkRunCanceled(t, workers, n, cancelAt, ordered)
			}
		}
	}
}

// checkRunCanceled runs a fleet of n devices with workers workers, ctx
// canceled as device cancelAt is pulled, for [TestRunCanceled].
func checkRunCanceled(t *testing.T, workers int, n, cancelAt int64, ordered bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var pulled atomic.Int64
	entries := countingFleet(withBadDevices(generatedFleet(int(n)), 100), &pulled, func(k int64) {
		if k == cancelAt {
			cancel()
		}
	})
	opts := fleet.Options{Workers: workers, Machine: fleetOptions, Report: fleet.ReportOptions{Details: true}}
	seen := make([]int, n)
	if ordered {
		opts.OnOutcome = func(i int, _ fleet.Entry, _ lifecycle.Outcome) { seen[i]++ }
	}
	r, err := fleet.Run(ctx, entries, opts)
	cancel()
	if int64(r.Devices) != pulled.Load() || pulled.Load() != cancelAt {
		t.Fatalf("cancel at %d: %d devices counted, %d pulled", cancelAt, r.Devices, pulled.Load())
	}
	if workers == 1 {
		if want := int(min(1, cancelAt%100)); r.Health.NotRun != want {
			t.Fatalf("one worker, cancel at %d: %d devices counted as not run, want %d", cancelAt, r.Health.NotRun, want)
		}
	} else if r.Health.NotRun == 0 && cancelAt < n {
		t.Fatalf("%d workers, cancel at %d: no device counted as not run", workers, cancelAt)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel at %d: %d not run, error %v", cancelAt, r.Health.NotRun, err)
	}
	counted := make([]int, r.Devices)
	for _, d := range r.StatusDetails {
		counted[d.Index]++
		if d.Health == fleet.NotRun && d.Failure != fleet.FailureCanceled {
			t.Fatalf("not run with failure %v", d.Failure)
		}
	}
	for i := range counted {
		if counted[i] != 1 || ordered && seen[i] != 1 {
			t.Fatalf("cancel at %d: device %d counted %d times, seen %d times", cancelAt, i, counted[i], seen[i])
		}
	}
	if inputs := failedWith(r, fleet.FailureInput); inputs != int(cancelAt)/100 {
		t.Fatalf("cancel at %d: %d invalid input, want %d (bad devices are reported even when not run)", cancelAt, inputs, cancelAt/100)
	}
}

// TestRunCanceledAfterFleet: a context that ends after every device ran
// is no error when the fleet ended before it: several workers pull the
// whole fleet before the last outcome. One worker (on the calling
// goroutine, as by default with GOMAXPROCS 1) stops between devices
// without pulling another (see [TestRolloutCounts]): it cannot know that
// the fleet has ended, and returns ctx's error, every device counted.
func TestRunCanceledAfterFleet(t *testing.T) {
	for _, workers := range []int{1, 2} {
		ctx, cancel := context.WithCancel(context.Background())
		r, err := fleet.Run(ctx, generatedFleet(100), fleet.Options{Workers: workers, Machine: fleetOptions,
			OnOutcome: func(i int, _ fleet.Entry, _ lifecycle.Outcome) {
				if i == 99 {
					cancel()
				}
			}})
		var want error
		if workers == 1 {
			want = context.Canceled
		}
		if !errors.Is(err, want) || r.Devices != 100 || r.Health.NotRun != 0 {
			t.Fatalf("%d workers: %d devices, %d not run, %v; want error %v", workers, r.Devices, r.Health.NotRun, err, want)
		}
	}
}

func TestRunAlreadyCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var pulled atomic.Int64
	r, err := fleet.Run(ctx, countingFleet(generatedFleet(1000), &pulled, nil), fleet.Options{})
	if !errors.Is(err, context.Canceled) || r.Devices != 0 || pulled.Load() != 0 {
		t.Fatalf("Run with a canceled context: %d devices, %d pulled, %v", r.Devices, pulled.Load(), err)
	}
}

func TestRunEmpty(t *testing.T) {
	r, err := fleet.Run(context.Background(), func(func(fleet.Entry, error) bool) {}, fleet.Options{})
	if err != nil || r.Devices != 0 {
		t.Fatalf("empty fleet: %+v, %v", r, err)
	}
}

// panicCases are the callbacks that panic in TestRunCallbackPanics, each
// run in a child process, where an unrecovered panic kills the process.
var panicCases = map[string]func() fleet.Options{
	"OnOutcome": func() fleet.Options {
		return fleet.Options{OnOutcome: func(i int, _ fleet.Entry, _ lifecycle.Outcome) {
			if i == 600 {
				panic(errBoom)
			}
		}}
	},
	"OnStep": func() fleet.Options {
		return fleet.Options{Workers: 2, Machine: lifecycle.Options{
			OnStep: func(_ context.Context, from, to lifecycle.Step) {
				if to == lifecycle.Done {
					panic(errBoom)
				}
			}}}
	},
	"OnTransition": func() fleet.Options {
		var n atomic.Int64
		return fleet.Options{Workers: 3, Machine: lifecycle.Options{
			OnTransition: func(context.Context, lifecycle.State, lifecycle.State, lifecycle.Event) {
				if n.Add(1) == 50 {
					panic(errBoom)
				}
			}}}
	},
	"Clock": func() fleet.Options {
		return fleet.Options{Machine: lifecycle.Options{Clock: func() time.Time { panic(errBoom) }}}
	},
	"one worker": func() fleet.Options {
		return fleet.Options{Workers: 1, Machine: lifecycle.Options{Clock: func() time.Time { panic(errBoom) }}}
	},
	"Goexit": func() fleet.Options {
		return fleet.Options{Workers: 2, Machine: lifecycle.Options{Clock: func() time.Time { runtime.Goexit(); return time.Time{} }}}
	},
}

// TestRunCallbackPanics: a panic in a callback reaches the goroutine that
// called Run, where it can be recovered, with the original value; a
// worker's panic carries the worker's stack. Each case runs in a child
// process, so that a panic on a library goroutine fails the test instead
// of killing the test binary.
func TestRunCallbackPanics(t *testing.T) {
	inChildren(t, panicCases, func(name string) {
		defer recoveredInCaller(runtime.NumGoroutine(), func(v any) bool {
			switch name {
			case "OnOutcome":
				return v == errBoom
			case "Goexit":
				return workerPanic(v, "Goexit")
			}
			return workerPanic(v, "boom", "(*runner).deploy") && errors.Is(asError(v), errBoom)
		})
		fleet.Run(context.Background(), generatedFleet(1000), panicCases[name]())
	})
}

// TestRunDeadline: with callbacks that honour ctx, Run returns once ctx
// ends, after at most one deployment in progress per worker, even from a
// fleet that never ends.
//
// Every deployment that reaches DMInstaller waits there for the deadline,
// so at most one per worker reaches it: the one each worker runs when ctx
// ends (a deployment started later stops before its first step), and none
// goes past it (the chain's next step boundary sees ctx done). Whether ctx
// is done when OnStep runs says nothing more: a deployment can pass the
// boundary just before the deadline and reach OnStep just after it.
func TestRunDeadline(t *testing.T) {
	const workers = 4
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var mu sync.Mutex
	blocked, past := 0, 0
	opts := fleet.Options{Workers: workers, Machine: lifecycle.Options{
		OnStep: func(ctx context.Context, from, to lifecycle.Step) {
			mu.Lock()
			if from != lifecycle.Staged {
				past++ // a step after DMInstaller, the only way on from Staged but Denied
			}
			if to == lifecycle.DMInstaller {
				blocked++
			}
			mu.Unlock()
			if to == lifecycle.DMInstaller {
				<-ctx.Done() // a slow device: it honours ctx
			}
		}}}
	endless := func(yield func(fleet.Entry, error) bool) {
		for {
			for e, err := range generatedFleet(1000) {
				if !yield(e, err) {
					return
				}
			}
		}
	}
	done := make(chan struct{})
	var r fleet.Report
	var err error
	go func() {
		defer close(done)
		r, err = fleet.Run(ctx, endless, opts)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return 30 s after its deadline")
	}
	if !errors.Is(err, context.DeadlineExceeded) || r.Health.NotRun == 0 {
		t.Fatalf("%d devices, %d not run, error %v", r.Devices, r.Health.NotRun, err)
	}
	if blocked > workers || past > 0 {
		t.Fatalf("%d deployments reached DMInstaller (want at most %d, one per worker), %d steps past it", blocked, workers, past)
	}
}

// TestRunWorkers: Run starts no more workers than it has batches for, and
// caps the number asked for.
func TestRunWorkers(t *testing.T) {
	buf := make([]byte, 4<<20)
	workers := func() int { // the worker goroutines running now
		n := runtime.Stack(buf, true)
		return strings.Count(string(buf[:n]), "(*pool[...]).serve(")
	}
	for _, tc := range []struct {
		workers, devices, want int
	}{
		{1 << 20, 10, 1}, // one batch: one worker
		{1 << 20, 2 * fleet.MaxWorkers * 16, fleet.MaxWorkers},
		{8, 3 * 256, 3},
		{3, 10_000, 3},
	} {
		most := 0
		_, err := fleet.Run(context.Background(), generatedFleet(tc.devices), fleet.Options{Workers: tc.workers,
			OnOutcome: func(i int, _ fleet.Entry, _ lifecycle.Outcome) {
				if i%97 == 0 {
					most = max(most, workers())
				}
			}})
		if err != nil || most > tc.want {
			t.Errorf("%d workers asked for, %d devices: %d workers ran, want at most %d (%v)", tc.workers, tc.devices, most, tc.want, err)
		}
		// Workers live until the last batch is handed out: the count sees
		// them while many batches are left.
		if tc.devices >= 10_000 && most == 0 {
			t.Errorf("%d workers asked for, %d devices: no worker seen", tc.workers, tc.devices)
		}
	}
}
