package fleet_test

// The tests of what Run, Compare and Plan.Run have from their worker pool
// alike: they stream, hold no more than a few batches, and let a panic in
// the fleet through.

import (
	"context"
	"iter"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// pooled are Run, Compare and Plan.Run: each runs a fleet made by fleet
// with workers workers and returns the devices counted. With delivered not
// nil, it is called with each device's index as the device is delivered
// (OnOutcome, OnHistory).
var pooled = []struct {
	name  string
	fleet func(n int) iter.Seq2[fleet.Entry, error]
	run   func(entries iter.Seq2[fleet.Entry, error], workers int, delivered func(int)) (int, error)
}{
	{"Run", generatedFleet, func(entries iter.Seq2[fleet.Entry, error], workers int, delivered func(int)) (int, error) {
		opts := fleet.Options{Workers: workers, Machine: fleetOptions}
		if delivered != nil {
			opts.OnOutcome = func(i int, _ fleet.Entry, _ lifecycle.Outcome) { delivered(i) }
		}
		r, err := fleet.Run(context.Background(), entries, opts)
		return r.Devices, err
	}},
	{"Compare", func(n int) iter.Seq2[fleet.Entry, error] { return withUserSettings(generatedFleet(n)) },
		func(entries iter.Seq2[fleet.Entry, error], workers int, delivered func(int)) (int, error) {
			opts := fleet.Options{Workers: workers, Machine: fleetOptions}
			if delivered != nil {
				opts.OnOutcome = func(i int, _ fleet.Entry, _ lifecycle.Outcome) { delivered(i) }
			}
			c, err := fleet.Compare(context.Background(), entries, enrollEverywhere, opts)
			return c.Devices, err
		}},
	{"Plan.Run", rolloutFleet, func(entries iter.Seq2[fleet.Entry, error], workers int, delivered func(int)) (int, error) {
		opts := fleet.PlanOptions{Workers: workers, Machine: rolloutOptions}
		if delivered != nil {
			opts.OnHistory = func(h fleet.History) { delivered(h.Index) }
		}
		r, err := testPlan().Run(context.Background(), entries, opts)
		return r.Devices, err
	}},
}

// TestStreams: Run, Compare and Plan.Run never pull more than a bounded
// number of devices ahead of those they have delivered, and their heap
// stays flat while they deliver every device.
func TestStreams(t *testing.T) {
	n := 50_000
	if raceEnabled || testing.Short() {
		n = 5000
	}
	for _, tc := range pooled {
		t.Run(tc.name, func(t *testing.T) {
			// The heap read five times, in short and race runs too.
			s := streaming{every: int64(n / 5)}
			runtime.GC() // what the tests before left
			devices, err := tc.run(s.fleet(tc.fleet(n)), 2, s.delivered)
			if err != nil || devices != n {
				t.Fatalf("%d devices, %v", devices, err)
			}
			// 2 batches per worker out, the one being filled, 256 devices
			// each.
			s.checkAhead(t, (2*2+1)*256)
			s.checkHeap(t)
		})
	}
}

// TestBoundedMemory runs 200,000 devices on every core and checks that the
// heap in use stays bounded: no outcome outlives its counting.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("200,000 devices, under two deployments or a plan")
	}
	const n = 200_000
	for _, tc := range pooled {
		t.Run(tc.name, func(t *testing.T) {
			s := streaming{every: 20_000}
			runtime.GC() // what the tests before left
			devices, err := tc.run(s.fleet(tc.fleet(n)), 0, nil)
			if err != nil || devices != n {
				t.Fatalf("%d devices, %v", devices, err)
			}
			s.checkHeap(t)
		})
	}
}

// TestSourcePanics: a panic in the fleet reaches the caller as it is, and
// no goroutine is left behind, with one worker and with several.
func TestSourcePanics(t *testing.T) {
	for _, tc := range pooled {
		for _, workers := range []int{1, 2} {
			before := runtime.NumGoroutine()
			func() {
				defer func() {
					if v := recover(); v != "source broke" {
						t.Fatalf("%s, %d workers: recovered %v, want the fleet's panic", tc.name, workers, v)
					}
				}()
				tc.run(func(yield func(fleet.Entry, error) bool) {
					for e, err := range tc.fleet(1000) {
						yield(e, err)
					}
					panic("source broke")
				}, workers, func(int) {})
			}()
			if left := waitGoroutines(before, time.Second); left > 0 {
				t.Fatalf("%s, %d workers: %d goroutines left behind", tc.name, workers, left)
			}
		}
	}
}

// streaming watches a run stream: how far it pulls its fleet ahead of what
// it has delivered, and, when every is not 0, the heap in use every every
// devices pulled.
type streaming struct {
	every  int64
	pulled atomic.Int64
	ahead  int64 // the most
	peak   uint64
	ms     runtime.MemStats
}

// fleet is entries, watched.
func (s *streaming) fleet(entries iter.Seq2[fleet.Entry, error]) iter.Seq2[fleet.Entry, error] {
	return countingFleet(entries, &s.pulled, func(k int64) {
		if s.every != 0 && k%s.every == 0 {
			runtime.ReadMemStats(&s.ms)
			s.peak = max(s.peak, s.ms.HeapInuse)
		}
	})
}

// delivered is called as the device at index is delivered.
func (s *streaming) delivered(index int) {
	s.ahead = max(s.ahead, s.pulled.Load()-int64(index))
}

// checkAhead fails t if the run pulled more than limit devices ahead of
// those delivered, or delivered none.
func (s *streaming) checkAhead(t *testing.T, limit int64) {
	t.Helper()
	if s.ahead > limit || s.ahead == 0 {
		t.Fatalf("pulled up to %d devices ahead of those delivered, want at most %d", s.ahead, limit)
	}
}

// checkHeap fails t if the heap in use peaked above 32 MB: holding
// 200,000 outcomes would take well over 100 MB.
func (s *streaming) checkHeap(t *testing.T) {
	t.Helper()
	t.Logf("heap in use peaked at %.1f MB", float64(s.peak)/(1<<20))
	if s.peak > 32<<20 {
		t.Fatalf("heap in use peaked at %d MB", s.peak>>20)
	}
}
