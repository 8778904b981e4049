package fleet

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/mobiledm/dmclient/lifecycle"
)

// Entry is one device of a fleet and the deployment it gets.
type Entry struct {
	Device     lifecycle.Device
	Deployment lifecycle.Deployment
	// Package and Site name the deployment's package and site, as the
	// fleet file's "packages" and "sites" spell them ("" when the entry
	// does not come from a file). The reports group by Site.
	Package, Site string
}

// Options configure [Run]; the zero Options are the defaults.
type Options struct {
	// Workers is how many deployments run at a time, each worker with a
	// [lifecycle.Machine] of its own; 0 or less means
	// runtime.GOMAXPROCS(0), and more than [MaxWorkers] means MaxWorkers.
	// Run starts a worker, and builds its machine, only when it has a batch
	// of devices for it, so a small fleet uses fewer. One worker runs on
	// the goroutine that called Run.
	Workers int
	// Report configures the report Run returns. Leave Details off for
	// large fleets: memory then does not grow with the fleet.
	Report ReportOptions
	// Machine are the options of every worker's machine: its observer
	// functions and Clock run on the worker's goroutine, and should honour
	// ctx.
	Machine lifecycle.Options
	// OnOutcome, if not nil, is called with every device's entry and
	// outcome, in fleet order (index from 0), on the goroutine that called
	// Run, before the outcome is counted. It may keep both.
	OnOutcome func(index int, e Entry, o lifecycle.Outcome)
}

// MaxWorkers is the most workers [Run] starts: more would only add
// machines and memory, since a deployment is CPU work.
const MaxWorkers = 256

// PanicError is what [Run] panics with, on the goroutine that called it,
// when a function of Options.Machine (an observer function or the Clock)
// panicked while a worker ran it: Value is what the callback panicked with,
// and Stack the worker's stack where it did. On a worker goroutine, a
// callback that called runtime.Goexit is reported as a panic too, since the
// worker could not finish its devices; with one worker, which runs on the
// caller's goroutine, runtime.Goexit ends the caller's goroutine as it
// would anywhere.
type PanicError struct {
	Value any
	Stack []byte
}

// Error returns the panic value and the worker's stack.
func (p *PanicError) Error() string {
	return fmt.Sprintf("fleet: a callback panicked on a worker: %v\n\nworker %s", p.Value, p.Stack)
}

// Unwrap returns Value when it is an error.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

var errGoexit = errors.New("fleet: runtime.Goexit called in a callback")

// Run deploys every entry of fleet and returns the reports over their
// outcomes. fleet yields one entry per device, in fleet order; an entry
// yielded with a non-nil error (such as a per-device [*Error] from
// [Decoder.Devices]) is not run and counts as failed with that error
// ([FailureInput] for a decoding error). One device never stops the
// others.
//
// Each device is deployed as [lifecycle.Machine.Restore] of e.Device
// followed by [lifecycle.Machine.Deploy] of e.Deployment, on its worker's
// machine: an outcome depends on its entry only, whatever the machine ran
// before. Run pulls fleet on the calling goroutine, hands the entries to
// the workers in batches (each entry copied once, into its batch), and
// counts each worker's outcomes into an [Aggregator] of its own, merged at
// the end; with one worker, it deploys on the calling goroutine, without
// batches. It streams: fleet is pulled only as fast as the workers run, and
// no more than a few batches of entries and outcomes are held at once
// unless OnOutcome keeps them, so memory does not grow with the fleet (with
// [ReportOptions.Details] off).
//
// Every entry pulled ends in the report exactly once. When ctx ends, Run
// stops pulling fleet; the entries pulled and not yet run are canceled at
// once, and a deployment in progress stops at its next chain step
// ([lifecycle.Machine.Deploy]); they count as [FailureCanceled]. Run then
// returns the report of the entries pulled and ctx's error; the error is
// nil when fleet ended and every entry ran, even if ctx ended afterwards.
//
// Callbacks must honour ctx: when those of Options.Machine return promptly
// once ctx is done, Run returns within one deployment per worker after
// ctx ends. A callback that blocks regardless keeps Run waiting for it.
// A panic in a callback reaches the caller of Run: OnOutcome's and fleet's
// as they are (they run on the caller's goroutine), one of Options.Machine
// as a [*PanicError]; Run stops its workers first and leaves no goroutine
// behind.
func Run(ctx context.Context, fleet iter.Seq2[Entry, error], opts Options) (Report, error) {
	r := newRunner(ctx, opts)
	defer r.close()
	var stopped bool
	if r.workers == 1 {
		stopped = r.inline(ctx, fleet)
	} else {
		stopped = r.pull(ctx, fleet)
	}
	report := r.finish()
	if r.panicked != nil {
		panic(r.panicked)
	}
	if err := ctx.Err(); err != nil && (stopped || report.failure(FailureCanceled) > 0) {
		return report, err
	}
	return report, nil
}

func (r Report) failure(f Failure) int {
	for _, g := range r.Failure {
		if g.Failure == f {
			return g.Count
		}
	}
	return 0
}

// item is one entry of a batch, as the fleet yielded it.
type item struct {
	e   Entry
	err error
}

// batch is the unit of work: consecutive entries of the fleet.
type batch struct {
	seq   int // batch number, from 0
	first int // index of items[0] in the fleet
	items []item
	outs  []lifecycle.Outcome // with OnOutcome only
}

// result is a batch a worker is done with, or the panic that stopped it.
type result struct {
	b     *batch
	panic *PanicError
}

// runner is one Run. Everything but the channels, the wait group and abort
// belongs to the calling goroutine.
type runner struct {
	ctx     context.Context // Run's, canceled when Run leaves
	cancel  context.CancelFunc
	opts    Options
	ordered bool
	workers int // at most
	size    int // entries per batch
	window  int // batches out at most

	work    chan *batch
	results chan result // never blocks a worker: room for every batch and panic
	wg      sync.WaitGroup
	abort   atomic.Bool // workers skip what is left
	closed  bool        // work is closed

	aggs     []*Aggregator // the workers'
	agg      *Aggregator   // the caller's, in fleet order (OnOutcome)
	out      int           // batches handed out and not back
	free     []*batch
	pending  map[int]*batch // back, waiting for an earlier batch
	seq      int            // the next batch's number
	next     int            // the batch to hand to OnOutcome next
	panicked *PanicError
}

// batchBudget bounds the entries out at once, whatever the worker count.
const batchBudget = 8192

func newRunner(ctx context.Context, opts Options) *runner {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, MaxWorkers)
	window := 2 * workers
	r := &runner{
		opts:    opts,
		ordered: opts.OnOutcome != nil,
		workers: workers,
		size:    max(16, min(256, batchBudget/window)),
		window:  window,
		work:    make(chan *batch, window),
		results: make(chan result, window+workers),
		agg:     NewAggregator(opts.Report),
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	if r.ordered {
		r.pending = map[int]*batch{}
	}
	return r
}

// pull reads fleet into batches and hands them out. It reports whether it
// stopped before fleet ended because ctx ended.
func (r *runner) pull(ctx context.Context, fleet iter.Seq2[Entry, error]) (stopped bool) {
	if ctx.Err() != nil {
		return true
	}
	done := ctx.Done()
	var b *batch
	index := 0
	for e, err := range fleet {
		if b == nil {
			b = r.newBatch(index)
		}
		b.items = append(b.items, item{e: e, err: err})
		index++
		if len(b.items) == r.size {
			r.submit(b)
			b = nil
		}
		if r.panicked != nil {
			break
		}
		select {
		case <-done:
			stopped = true
		default:
		}
		if stopped {
			break
		}
	}
	if b != nil {
		r.submit(b)
	}
	return stopped
}

// inline deploys fleet on the calling goroutine, with one machine: the one
// worker, without batches. It reports whether it stopped before fleet
// ended because ctx ended.
func (r *runner) inline(ctx context.Context, fleet iter.Seq2[Entry, error]) (stopped bool) {
	if ctx.Err() != nil {
		return true
	}
	done := ctx.Done()
	var m *lifecycle.Machine
	index := 0
	for e, err := range fleet {
		it := item{e: e, err: err}
		o := r.deployInline(&m, &it)
		if r.ordered {
			r.opts.OnOutcome(index, e, o)
		}
		r.agg.Add(index, e, o)
		index++
		select {
		case <-done:
			return true
		default:
		}
	}
	return false
}

// deployInline is deploy on the calling goroutine: a callback's panic
// leaves it as a [*PanicError], as from a worker.
func (r *runner) deployInline(m **lifecycle.Machine, it *item) lifecycle.Outcome {
	defer func() {
		if v := recover(); v != nil {
			panic(&PanicError{Value: v, Stack: debug.Stack()})
		}
	}()
	return r.deploy(m, it)
}

// newBatch returns an empty batch for the entries from index on, once
// fewer than window batches are out.
func (r *runner) newBatch(index int) *batch {
	for r.out >= r.window && r.panicked == nil {
		r.receive(<-r.results)
	}
	var b *batch
	if n := len(r.free); n > 0 {
		b, r.free = r.free[n-1], r.free[:n-1]
	} else {
		b = &batch{items: make([]item, 0, r.size)}
		if r.ordered {
			b.outs = make([]lifecycle.Outcome, r.size)
		}
	}
	b.first = index
	return b
}

// submit hands b to a worker, starting one if fewer than Workers run,
// and takes back finished batches while it waits.
func (r *runner) submit(b *batch) {
	b.seq = r.seq
	r.seq++
	if r.ordered {
		b.outs = b.outs[:len(b.items)]
	}
	if len(r.aggs) < r.workers && len(r.aggs) <= r.out {
		agg := NewAggregator(r.opts.Report)
		r.aggs = append(r.aggs, agg)
		r.wg.Add(1)
		go r.worker(agg)
	}
	r.out++
	for r.panicked == nil {
		select {
		case r.work <- b:
			return
		case res := <-r.results:
			r.receive(res)
		}
	}
}

// receive takes back what a worker is done with: with OnOutcome, the
// batches that are next in fleet order are handed to it and counted.
func (r *runner) receive(res result) {
	if res.panic != nil {
		if r.panicked == nil {
			r.panicked = res.panic
		}
		return
	}
	b := res.b
	if !r.ordered {
		r.recycle(b)
		return
	}
	r.pending[b.seq] = b
	for {
		p, ok := r.pending[r.next]
		if !ok || r.panicked != nil {
			return
		}
		delete(r.pending, r.next)
		r.next++
		for j := range p.items {
			r.opts.OnOutcome(p.first+j, p.items[j].e, p.outs[j])
			r.agg.Add(p.first+j, p.items[j].e, p.outs[j])
		}
		r.recycle(p)
	}
}

// recycle keeps b for the next batch. What b holds stays alive until it
// is overwritten: at most window batches.
func (r *runner) recycle(b *batch) {
	b.items = b.items[:0]
	r.out--
	r.free = append(r.free, b)
}

// finish waits for every batch out and returns the report.
func (r *runner) finish() Report {
	r.closeWork()
	for r.out > 0 && r.panicked == nil {
		r.receive(<-r.results)
	}
	r.cancel()
	r.wg.Wait()
	for _, a := range r.aggs {
		r.agg.Merge(a)
	}
	return r.agg.Report()
}

// close stops the workers when Run leaves by a panic: from fleet, from
// OnOutcome or from a worker.
func (r *runner) close() {
	r.abort.Store(true)
	r.cancel()
	r.closeWork()
	r.wg.Wait()
}

func (r *runner) closeWork() {
	if !r.closed {
		r.closed = true
		close(r.work)
	}
}

// worker deploys the batches it is given on a machine it builds for its
// first device, counting into agg unless the outcomes go to OnOutcome. A
// panic (or runtime.Goexit) in a callback ends it and goes to the caller.
func (r *runner) worker(agg *Aggregator) {
	defer r.wg.Done()
	finished := false
	defer func() {
		if finished {
			return
		}
		v := recover()
		if v == nil {
			v = errGoexit
		}
		r.abort.Store(true)
		r.results <- result{panic: &PanicError{Value: v, Stack: debug.Stack()}}
	}()
	var m *lifecycle.Machine
	for b := range r.work {
		if r.abort.Load() {
			r.results <- result{b: b}
			continue
		}
		for j := range b.items {
			it := &b.items[j]
			o := r.deploy(&m, it)
			if r.ordered {
				b.outs[j] = o
			} else {
				agg.Add(b.first+j, it.e, o)
			}
		}
		r.results <- result{b: b}
	}
	finished = true
}

// deploy runs one entry on *m, building the machine at the first entry
// that has a device, or says why the entry did not run.
func (r *runner) deploy(m **lifecycle.Machine, it *item) lifecycle.Outcome {
	err := it.err
	if err == nil {
		if *m == nil {
			*m, err = lifecycle.NewMachine(it.e.Device, r.opts.Machine)
		} else {
			err = (*m).Restore(it.e.Device)
		}
	}
	if err != nil {
		return notRun(&it.e, err)
	}
	o, _ := (*m).Deploy(r.ctx, it.e.Deployment)
	return o
}

// notRun is the outcome of an entry that could not run: what is known of
// it, and the error.
func notRun(e *Entry, err error) lifecycle.Outcome {
	o := lifecycle.Outcome{Device: e.Device.ID, Err: err}
	if valid(e.Deployment.Component) {
		o.Component = e.Deployment.Component
	}
	if valid(e.Deployment.Method) {
		o.Method = e.Deployment.Method
	}
	if e.Device.Platform.IsValid() {
		o.Platform = e.Device.Platform
	}
	return o
}

// valid reports whether v is one of its type's values: the enumerated
// types of lifecycle fail to marshal an invalid value.
func valid(v interface{ MarshalText() ([]byte, error) }) bool {
	_, err := v.MarshalText()
	return err == nil
}
