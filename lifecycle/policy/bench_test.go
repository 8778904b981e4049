package policy_test

import (
	"context"
	"fmt"
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
// BenchmarkDeploy's ns/op, and the two wall times give the speed-up.
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

// BenchmarkScaling is the control for BenchmarkCheck's speed-up: the same
// number of goroutines running pure computation (no memory, no garbage),
// so that one run shows what the machine gives two workers at that moment
// (2x on two free cores; less when the host is busy).
func BenchmarkScaling(b *testing.B) {
	const work = 1 << 24
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			sink := make([]uint64, workers*8) // a cache line apart
			for b.Loop() {
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
		})
	}
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
