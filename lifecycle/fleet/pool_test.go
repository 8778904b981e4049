package fleet_test

// The tests of what Run, Compare and Plan.Run have from their worker pool
// alike: they stream, hold no more than a few batches, and let a panic in
// the fleet through.

import (
	"context"
	"fmt"
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

// TestRunFleetSourcePanics: a panic in the fleet reaches the caller as it is, and
// no goroutine is left behind, with one worker and with several.
func TestRunFleetSourcePanics(t *testing.T) {
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

// TestNothingRetained: the pool hands each worker a pointer to the entry
// in its batch, or with one worker to the one entry it reuses, which the
// next device overwrites. Every device here has an id, a site and a
// computer of its own, in more devices than the batches out at once hold:
// a report, an OnOutcome entry or a history that kept such a pointer
// instead of what it pointed to would show a later device's site or
// computer, or lose a device.
func TestNothingRetained(t *testing.T) {
	const n = 1500 // more than the 4 batches of 256 out with 2 workers
	var yielded []fleet.Entry
	i := 0
	for e, err := range generatedFleet(n) {
		if err != nil {
			t.Fatal(err)
		}
		e.Device.ID = fmt.Sprintf("d-%04d", i)
		e.Site = fmt.Sprintf("site-%04d", i)
		e.Device.Computer = fmt.Sprintf("PC-%04d", i)
		e.Device.Connection = lifecycle.ViaManagedComputer
		e.Deployment.Method = lifecycle.SoftwareDistribution
		yielded = append(yielded, e)
		i++
	}
	entries := func(yield func(fleet.Entry, error) bool) {
		for _, e := range yielded {
			if !yield(e, nil) {
				return
			}
		}
	}
	// check checks a report over every device, each once.
	check := func(what string, r fleet.Report) {
		t.Helper()
		if r.Devices != n || len(r.SoftwareDistribution) != n || len(r.Computers) != n || len(r.StatusDetails) != n {
			t.Fatalf("%s: %d devices, %d programs, %d computers, %d details", what, r.Devices, len(r.SoftwareDistribution),
				len(r.Computers), len(r.StatusDetails))
		}
		for k, e := range yielded {
			p, c, d := r.SoftwareDistribution[k], r.Computers[k], r.StatusDetails[k]
			if p.Site != e.Site || p.Targeted != 1 || c.Name != e.Device.Computer || c.Devices.Count != 1 ||
				c.Devices.Devices[0] != (fleet.DeviceRef{Index: k, ID: e.Device.ID}) || d.Index != k || d.ID != e.Device.ID {
				t.Fatalf("%s: device %d (%s, %s, %s): program %+v, computer %+v, detail %+v", what, k, e.Device.ID, e.Site,
					e.Device.Computer, p, c, d)
			}
		}
	}
	same := func(what string, k int, got fleet.Entry) {
		t.Helper()
		e := yielded[k]
		if got.Device.ID != e.Device.ID || got.Site != e.Site || got.Device.Computer != e.Device.Computer {
			t.Fatalf("%s: device %d is %s, %s, %s, want %s, %s, %s", what, k, got.Device.ID, got.Site, got.Device.Computer,
				e.Device.ID, e.Site, e.Device.Computer)
		}
	}
	details := fleet.ReportOptions{Details: true}
	for _, workers := range []int{1, 2} {
		var kept []fleet.Entry
		r, err := fleet.Run(context.Background(), entries, fleet.Options{Workers: workers, Report: details, Machine: fleetOptions,
			OnOutcome: func(_ int, e fleet.Entry, _ lifecycle.Outcome) { kept = append(kept, e) }})
		if err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("Run, %d workers", workers)
		check(what, r)
		for k, e := range kept {
			same(what+", OnOutcome", k, e)
		}
		r, _ = fleet.Run(context.Background(), entries, fleet.Options{Workers: workers, Report: details, Machine: fleetOptions})
		check(what+", no OnOutcome", r)

		kept = kept[:0]
		c, err := fleet.Compare(context.Background(), entries, func(e fleet.Entry) fleet.Entry { return e },
			fleet.Options{Workers: workers, Report: details, Machine: fleetOptions,
				OnOutcome: func(_ int, e fleet.Entry, _ lifecycle.Outcome) { kept = append(kept, e) }})
		if err != nil {
			t.Fatal(err)
		}
		what = fmt.Sprintf("Compare, %d workers", workers)
		check(what+", before", c.Before.Report)
		check(what+", after", c.After.Report)
		for k, e := range kept {
			same(what+", OnOutcome", k/2, e)
		}

		var histories []fleet.History
		plan := &fleet.Plan{Waves: []fleet.Wave{{Name: "own", Target: fleet.Target{All: true}}}}
		pr, err := plan.Run(context.Background(), entries, fleet.PlanOptions{Workers: workers, Report: details,
			OnHistory: func(h fleet.History) { histories = append(histories, h) }})
		if err != nil {
			t.Fatal(err)
		}
		what = fmt.Sprintf("Plan.Run, %d workers", workers)
		check(what, pr.Waves[0].Report)
		if len(histories) != n {
			t.Fatalf("%s: %d histories", what, len(histories))
		}
		for k, h := range histories {
			same(what+", OnHistory", k, h.Entry)
			if h.Index != k || len(h.Visits) != 1 || h.Visits[0].Site != yielded[k].Site || h.Device.Computer != yielded[k].Device.Computer {
				t.Fatalf("%s: history %d: %+v", what, k, h)
			}
		}
	}
}
