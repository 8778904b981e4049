package policy_test

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
)

// sample returns every stride-th scenario of the space: the same mix as the
// whole space, small enough to hold.
func sample(stride int) []lifecycle.Scenario {
	var scs []lifecycle.Scenario
	i := 0
	for sc := range policy.Scenarios() {
		if i%stride == 0 {
			scs = append(scs, sc)
		}
		i++
	}
	return scs
}

// BenchmarkDeploy is the floor the policy check is measured against: one
// reused machine (Restore, then Deploy) running the space's scenarios.
// "space" walks the whole space once per op, as Check does, and reports
// ns/scenario; "sample" runs one deployment per op, cycling through every
// 97th scenario held in memory.
func BenchmarkDeploy(b *testing.B) {
	b.Run("space", benchmarkDeploySpace)
	b.Run("sample", benchmarkDeploySample)
}

func benchmarkDeploySpace(b *testing.B) {
	m, err := lifecycle.NewMachine(policy.DefaultScenario().Device, lifecycle.Options{Clock: fixedClock})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	scenarios := 0
	cpu0, gc0 := cpuTime(), gcShare()
	start := time.Now()
	for b.Loop() {
		for sc := range policy.Scenarios() {
			if err := m.Restore(sc.Device); err != nil {
				b.Fatal(err)
			}
			m.Deploy(ctx, sc.Deployment)
			scenarios++
		}
	}
	reportPerScenario(b, scenarios, time.Since(start), cpuTime()-cpu0, gc0)
}

// reportPerScenario reports the wall and CPU time per scenario, and the
// share of the process's CPU time that the garbage collector and the
// scavenger took since gc0 (see gcShare): on an idle machine, one worker
// leaves the collector the other processor, and all workers share them
// with it.
func reportPerScenario(b *testing.B, scenarios int, wall, cpu time.Duration, gc0 [2]float64) {
	b.ReportMetric(float64(wall.Nanoseconds())/float64(scenarios), "ns/scenario")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(scenarios), "cpu-ns/scenario")
	}
	gc1 := gcShare()
	if total := gc1[1] - gc0[1]; total > 0 {
		b.ReportMetric(100*(gc1[0]-gc0[0])/total, "gc-cpu-%")
	}
}

// gcShare returns the CPU seconds the runtime estimates the garbage
// collector and the scavenger used, and all CPU seconds it accounts.
func gcShare() [2]float64 {
	samples := []metrics.Sample{
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/cpu/classes/scavenge/total:cpu-seconds"},
		{Name: "/cpu/classes/total:cpu-seconds"},
		{Name: "/cpu/classes/idle:cpu-seconds"},
	}
	metrics.Read(samples)
	v := func(i int) float64 {
		if samples[i].Value.Kind() != metrics.KindFloat64 {
			return 0
		}
		return samples[i].Value.Float64()
	}
	return [2]float64{v(0) + v(1), v(2) - v(3)}
}

func benchmarkDeploySample(b *testing.B) {
	scs := sample(97)
	m, err := lifecycle.NewMachine(policy.DefaultScenario().Device, lifecycle.Options{Clock: fixedClock})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		sc := &scs[i]
		if err := m.Restore(sc.Device); err != nil {
			b.Fatal(err)
		}
		m.Deploy(ctx, sc.Deployment)
		if i++; i == len(scs) {
			i = 0
		}
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func fixedClock() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// BenchmarkCheck runs the whole-space check, once per op, with one worker
// and with one per processor; ns/scenario and cpu-ns/scenario compare with
// BenchmarkDeploy's ns/op; BenchmarkSpeedup measures the speed-up.
func BenchmarkCheck(b *testing.B) {
	holds := func(lifecycle.Scenario, lifecycle.Outcome) bool { return true }
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			scenarios := 0
			cpu0, gc0 := cpuTime(), gcShare()
			start := time.Now()
			for b.Loop() {
				res, err := policy.Check(context.Background(), holds, policy.Workers(workers))
				if err != nil || !res.Holds() {
					b.Fatal(res, err)
				}
				scenarios += res.Checked
			}
			reportPerScenario(b, scenarios, time.Since(start), cpuTime()-cpu0, gc0)
		})
	}
}

// spin shares a fixed amount of pure computation (xorshift steps, no
// memory, no garbage) among workers goroutines and returns when all are
// done.
func spin(workers int) {
	const work = 1 << 24
	sink := make([]uint64, workers*8) // a cache line apart
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := uint64(w + 1)
			for range work / workers {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
			}
			sink[w*8] = x
		}()
	}
	wg.Wait()
}

// BenchmarkSpeedup measures the check's speed-up on every processor over
// one worker as examples/compare measures ini against go-ini: each op runs
// a whole-space check with one worker and one with a worker per
// processor, back to back (taking turns at going first), so that both see
// the same host, and x-speedup is the one-worker checks' total wall time
// over the others'. (BenchmarkCheck runs all its one-worker checks before
// all the others, a second or more apart, and so reads the host's drift
// too.) x-control is the same ratio for pure computation (spin), run in
// the same ops: what the host gave two goroutines then, 2x on two free
// cores.
//
// What the checks on every processor lose to one worker is mostly the
// collector's cycles: gcs/check is how many ran during each, and stop-µs
// the mean time the runtime took to stop the world for one (two stops a
// cycle), from asking the other processors to stop to all of them having
// stopped, while no worker runs. The number of cycles depends on the live
// heap of the program running the check, not on the check alone: under
// GOGC=100 a cycle starts when the heap has grown to twice its live size,
// but never below a 4 MB floor. This test binary's own live heap during a
// check is about 1.8 MB (rapid's Unicode tables, 1 MB, the check's space,
// 0.3 MB, the runtime's and testing's), close to the floor's worst case,
// 2 MB, where only 2 MB of garbage separate two cycles. So the sub-benchmarks hold 0, 4 or 16 MB of live
// memory of their own while they run, standing for the program's own
// data.
func BenchmarkSpeedup(b *testing.B) {
	for _, mb := range []int{0, 4, 16} {
		b.Run(fmt.Sprintf("held=%dMB", mb), func(b *testing.B) {
			held := make([]byte, mb<<20)
			for i := range held {
				held[i] = byte(i) // resident, as a program's data is
			}
			benchmarkSpeedup(b)
			runtime.KeepAlive(held)
		})
	}
}

func benchmarkSpeedup(b *testing.B) {
	all := runtime.GOMAXPROCS(0)
	holds := func(lifecycle.Scenario, lifecycle.Outcome) bool { return true }
	timed := func(f func()) time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	}
	check := func(workers int) time.Duration {
		return timed(func() {
			res, err := policy.Check(context.Background(), holds, policy.Workers(workers))
			if err != nil || !res.Holds() {
				b.Fatal(res, err)
			}
		})
	}
	var one, every, spinOne, spinEvery time.Duration
	var gc gcStats
	n := 0
	for b.Loop() {
		oneFirst := n%2 == 0
		if oneFirst {
			one += check(1)
		}
		gc0 := readGCStats()
		every += check(all)
		gc.add(readGCStats(), gc0)
		if !oneFirst {
			one += check(1)
		}
		spinOne += timed(func() { spin(1) })
		spinEvery += timed(func() { spin(all) })
		n++
	}
	b.ReportMetric(float64(one)/float64(every), "x-speedup")
	b.ReportMetric(float64(spinOne)/float64(spinEvery), "x-control")
	b.ReportMetric(float64(gc.cycles)/float64(n), "gcs/check")
	if gc.stops > 0 {
		b.ReportMetric(gc.stopping.Seconds()*1e6/float64(gc.stops), "stop-µs")
	}
}

// gcStats counts the collector's cycles and its stops of the world, and
// sums the time each stop took to stop it.
type gcStats struct {
	cycles, stops int
	stopping      time.Duration
}

// add adds the difference between two readings to s.
func (s *gcStats) add(now, before gcStats) {
	s.cycles += now.cycles - before.cycles
	s.stops += now.stops - before.stops
	s.stopping += now.stopping - before.stopping
}

// readGCStats reads the runtime's counts; the time to stop is a sum of
// the histogram's buckets' midpoints.
func readGCStats() gcStats {
	samples := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/sched/pauses/stopping/gc:seconds"},
	}
	metrics.Read(samples)
	var s gcStats
	if samples[0].Value.Kind() == metrics.KindUint64 {
		s.cycles = int(samples[0].Value.Uint64())
	}
	if samples[1].Value.Kind() != metrics.KindFloat64Histogram {
		return s
	}
	h := samples[1].Value.Float64Histogram()
	sum := 0.0
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		switch {
		case math.IsInf(lo, -1):
			lo = hi
		case math.IsInf(hi, 1):
			hi = lo
		}
		s.stops += int(c)
		sum += float64(c) * (lo + hi) / 2
	}
	s.stopping = time.Duration(sum * float64(time.Second))
	return s
}

// BenchmarkCheckCancel measures how long Check takes to return once its
// context is canceled mid-check (ns/cancel), with a quick policy and with
// one that takes 200 µs a call, on one worker, on every processor, and with
// 2048 workers asked for.
// Each op starts a check, waits until the policy has been called, cancels,
// and waits for Check to return.
func BenchmarkCheckCancel(b *testing.B) {
	for _, slow := range []bool{false, true} {
		for _, workers := range []int{1, runtime.GOMAXPROCS(0), 2048} {
			b.Run(fmt.Sprintf("slow=%v/workers=%d", slow, workers), func(b *testing.B) {
				var total time.Duration
				for b.Loop() {
					ctx, cancel := context.WithCancel(context.Background())
					started := make(chan struct{})
					var once sync.Once
					done := make(chan struct{})
					go func() {
						defer close(done)
						policy.Check(ctx, func(lifecycle.Scenario, lifecycle.Outcome) bool {
							once.Do(func() { close(started) })
							if slow {
								time.Sleep(200 * time.Microsecond)
							}
							return true
						}, policy.Workers(workers))
					}()
					<-started
					t0 := time.Now()
					cancel()
					<-done
					total += time.Since(t0)
				}
				b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/cancel")
			})
		}
	}
}
