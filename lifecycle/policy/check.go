package policy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mobiledm/dmclient/lifecycle"
)

// Func is a policy: a rule a user holds the model to, such as "a locked
// Smartphone never gets the client". It reports whether the outcome of a
// scenario is acceptable. [Check] calls it from several goroutines at once,
// so it must be safe for concurrent use; it should be a quick, pure
// predicate.
type Func func(sc lifecycle.Scenario, out lifecycle.Outcome) bool

// Counterexample is a scenario whose outcome a policy rejected.
type Counterexample struct {
	// Index is the scenario's position in [Scenarios].
	Index    int                `json:"index"`
	Scenario lifecycle.Scenario `json:"scenario"`
	Outcome  lifecycle.Outcome  `json:"outcome"`
	// Distance is [Distance] of the scenario: how many inputs it changes
	// from [DefaultScenario].
	Distance int `json:"distance"`
	// ClientPath is the client machine's transition the run took, as
	// [lifecycle.ClientTransitions] declares it: none when nothing fired
	// (no action, or the run stopped before the installer chain), one when
	// the event fired, whether the chain then completed it or a failed
	// trust step canceled it.
	ClientPath []lifecycle.Transition[lifecycle.State, lifecycle.Event] `json:"clientPath,omitempty"`
	// ChainPath is the installer chain's transitions the run took, in
	// order, as [lifecycle.ChainTransitions] declares them.
	ChainPath []lifecycle.Transition[lifecycle.Step, string] `json:"chainPath,omitempty"`
}

// Result is what [Check] found.
type Result struct {
	// Checked is the number of scenarios run and judged by the policy.
	Checked int `json:"checked"`
	// Violations is the number of scenarios the policy rejected.
	Violations int `json:"violations"`
	// Counterexamples are the simplest violations, fewest changed inputs
	// first, then in [Scenarios] order; at most the number asked for with
	// [MaxCounterexamples].
	Counterexamples []Counterexample `json:"counterexamples,omitempty"`
}

// Holds reports whether the policy held on every scenario checked.
func (r Result) Holds() bool { return r.Violations == 0 }

// Option configures [Check], [Explore] and [Histories].
type Option func(*config)

type config struct {
	keep    int
	workers int
	seq     sequenceConfig // the options of Explore and Histories (sequence.go)
}

// MaxCounterexamples keeps at most n counterexamples, the simplest; the
// default is 100. With n = 0 (or less) Check keeps none and only counts
// violations: the cheapest way to ask whether a policy holds. Keeping the
// simplest n costs O(log n) per violation and memory for n counterexamples
// per worker.
func MaxCounterexamples(n int) Option { return func(c *config) { c.keep = max(n, 0) } }

// Workers runs the check on n goroutines. The default, and the most, is
// runtime.GOMAXPROCS(0): the check is CPU-bound, and more goroutines than
// processors only add scheduling. n < 1 means 1.
func Workers(n int) Option { return func(c *config) { c.workers = n } }

// chunk is the number of consecutive scenarios a worker takes at a time.
const chunk = 1024

// checkClock stamps the logs of runs under Check, so that outcomes do not
// depend on when the check ran.
func checkClock() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// Check runs every scenario of the finite input space ([Scenarios]) through
// a [lifecycle.Machine] and holds policy p to each outcome. Where sampling
// (rapid, fuzzing) finds a counterexample if it is lucky, Check is a proof
// over everything the model can express: the policy holds if and only if
// the result has no violations.
//
// The counterexamples come simplest first, each with its path through both
// machines. Logs are stamped with a fixed time (2026-01-01 00:00:00 UTC).
//
// The workers take consecutive ranges of the space in turn, so none walks
// another's share. When ctx ends, each worker stops after the scenario it
// is running (one deployment and one call of p), and Check returns what it
// found so far with the context's error.
//
// A check allocates about 36 bytes a scenario, 59 MB in all (the
// outcomes' steps and logs, and looplab/fsm's five allocations an event),
// and holds about 0.3 MB of its own. How often the garbage collector runs
// during a check depends on the live heap of the program running it:
// under the default GOGC a cycle starts when the heap has grown to twice
// its live size, but never below 4 MB, so a program holding 2 MB sees
// about 30 cycles a check, one holding 16 MB about 4. On few cores each
// cycle takes a share of the workers' time: a program that runs large
// checks in a small heap may raise GOGC (or set GOMEMLIMIT), which are
// the program's to set, not the library's.
//
// A panic in p stops the check and is raised again in the caller's
// goroutine, once every worker has stopped: the value raised is an error
// whose message holds the original value and the stack of the goroutine
// that panicked, and which wraps the original value when that is an error
// (errors.Is and errors.As reach it). A p that calls runtime.Goexit (as
// testing.T.FailNow does) stops the check, and Check calls runtime.Goexit
// in the caller's goroutine.
func Check(ctx context.Context, p Func, opts ...Option) (Result, error) {
	cfg := config{keep: 100, workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(&cfg)
	}
	sp := newSpace()
	workers := min(max(cfg.workers, 1), runtime.GOMAXPROCS(0), (sp.total+chunk-1)/chunk)
	def := DefaultScenario()
	run, stop := context.WithCancel(ctx)
	defer stop()
	var next atomic.Int64
	ws := make([]worker, max(workers, 1))
	var wg sync.WaitGroup
	for i := range workers {
		w := &ws[i]
		w.keep = cfg.keep
		w.yield = workers == runtime.GOMAXPROCS(0)
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(run, stop, p, sp, &def, &next)
		}()
	}
	wg.Wait()
	var res Result
	var kept []Counterexample
	for i := range ws {
		w := &ws[i]
		if w.panicked != nil {
			panic(w.panicked)
		}
		if w.exited {
			runtime.Goexit()
		}
		res.Checked += w.checked
		res.Violations += w.violations
		kept = append(kept, w.kept.items...)
	}
	slices.SortFunc(kept, compareCounterexamples)
	if len(kept) > cfg.keep {
		kept = kept[:cfg.keep]
	}
	for i := range kept {
		kept[i].ClientPath, kept[i].ChainPath = pathsOf(kept[i].Outcome)
	}
	res.Counterexamples = kept
	return res, ctx.Err()
}

// worker is one goroutine of [Check] and what it found.
type worker struct {
	keep                int
	yield               bool // between chunks: see worker.check
	checked, violations int
	kept                heap
	panicked            *panicError
	exited              bool // p called runtime.Goexit
}

// run checks ranges of the space until it is done or ctx ends; a panic or
// runtime.Goexit in p is recorded and stops the other workers.
func (w *worker) run(ctx context.Context, stop context.CancelFunc, p Func, sp *space, def *lifecycle.Scenario, next *atomic.Int64) {
	finished := false
	defer func() {
		if finished {
			return
		}
		if v := recover(); v != nil {
			w.panicked = &panicError{value: v, stack: debug.Stack()}
		} else {
			w.exited = true
		}
		stop()
	}()
	w.check(ctx, p, sp, def, next)
	finished = true
}

func (w *worker) check(ctx context.Context, p Func, sp *space, def *lifecycle.Scenario, next *atomic.Int64) {
	m, err := lifecycle.NewMachine(def.Device, lifecycle.Options{Clock: checkClock})
	if err != nil {
		panic("policy: the default device is invalid: " + err.Error()) // a bug in this package
	}
	done := ctx.Done()
	bg := context.Background()
	// The counts stay in locals until the worker returns: the workers sit
	// side by side in one slice, and a count written per scenario would
	// make their cache line bounce between the cores.
	checked, violations := 0, 0
	defer func() { w.checked, w.violations = checked, violations }()
	for {
		lo := int(next.Add(chunk)) - chunk
		if lo >= sp.total {
			return
		}
		hi := min(lo+chunk, sp.total)
		// When the workers take every processor, each yields between
		// chunks (every 0.2-0.3 ms) so that the collector's mark worker
		// gets one: a worker that never enters the scheduler leaves the
		// mark phase to wait for the scheduler's 10-ms preemption, and
		// for those milliseconds every worker pays the write barrier and
		// mark assists. On two processors the yield brought the CPU two
		// workers spend a scenario from 15-20% over one worker's to
		// 5-15%. With a processor to spare the collector marks there,
		// and a yield would only wake it to spin (12-14% more CPU a
		// scenario with one worker).
		if w.yield {
			runtime.Gosched()
		}
		c := sp.cursor(lo)
		for i := lo; i < hi; i++ {
			select {
			case <-done:
				return
			default:
			}
			sc := &c.sc
			// Runs use a context of their own: a run that ctx cut short would
			// show the policy an outcome the model never produces otherwise.
			_ = m.Restore(sc.Device)
			out, _ := m.Deploy(bg, sc.Deployment)
			ok := p(*sc, out)
			checked++
			if !ok {
				violations++
				if w.keep > 0 {
					d := distance(sc, def, errors.Is(out.Err, lifecycle.ErrFolderIncomplete))
					w.kept.offer(w.keep, i, d, func() Counterexample {
						return Counterexample{Index: i, Scenario: *sc, Outcome: out, Distance: d}
					})
				}
			}
			c.next()
		}
	}
}

func compareCounterexamples(a, b Counterexample) int {
	return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.Index, b.Index))
}

// heap keeps the simplest counterexamples offered: a max-heap by (distance,
// index), so that the worst kept one is at the root and is the one
// replaced.
type heap struct{ items []Counterexample }

// offer keeps the counterexample (index i, distance d) that build makes if
// it is among the simplest k offered so far, in O(log k).
func (h *heap) offer(k, i, d int, build func() Counterexample) {
	if len(h.items) < k {
		h.items = append(h.items, build())
		h.up(len(h.items) - 1)
		return
	}
	root := &h.items[0]
	if cmp.Or(cmp.Compare(d, root.Distance), cmp.Compare(i, root.Index)) >= 0 {
		return
	}
	*root = build()
	h.down(0)
}

// worse reports whether item a sorts after item b.
func (h *heap) worse(a, b int) bool { return compareCounterexamples(h.items[a], h.items[b]) > 0 }

func (h *heap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.worse(i, parent) {
			return
		}
		h.items[i], h.items[parent] = h.items[parent], h.items[i]
		i = parent
	}
}

func (h *heap) down(i int) {
	n := len(h.items)
	for {
		worst := i
		for _, child := range [2]int{2*i + 1, 2*i + 2} {
			if child < n && h.worse(child, worst) {
				worst = child
			}
		}
		if worst == i {
			return
		}
		h.items[i], h.items[worst] = h.items[worst], h.items[i]
		i = worst
	}
}

// panicError is a panic in a policy, raised again in the caller's
// goroutine.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("policy: the policy panicked: %v\n\ngoroutine of the panic:\n%s", e.value, e.stack)
}

// Unwrap returns the original value when it is an error.
func (e *panicError) Unwrap() error {
	err, _ := e.value.(error)
	return err
}

// pathsOf returns the transitions of both machines that out took, with the
// guards of the declared tables.
func pathsOf(out lifecycle.Outcome) ([]lifecycle.Transition[lifecycle.State, lifecycle.Event], []lifecycle.Transition[lifecycle.Step, string]) {
	var client []lifecycle.Transition[lifecycle.State, lifecycle.Event]
	if out.Event != lifecycle.NoAction && len(out.Steps) > 0 {
		for _, t := range lifecycle.ClientTransitions() {
			if t.Event == out.Event && t.From == out.From {
				client = append(client, t)
			}
		}
	}
	var chain []lifecycle.Transition[lifecycle.Step, string]
	table := lifecycle.ChainTransitions()
	for i := 1; i < len(out.Steps); i++ {
		for _, t := range table {
			if t.From == out.Steps[i-1] && t.To == out.Steps[i] {
				chain = append(chain, t)
			}
		}
	}
	return client, chain
}
