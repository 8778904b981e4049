package fleet

import (
	"context"
	"fmt"
	"iter"

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

// PanicError is what [Run], [Compare] and [Plan.Run] panic with, on the
// goroutine that called them, when a function of their machine options (an
// observer function or the Clock) panicked while a worker ran it: Value is
// what the callback panicked with, and Stack the worker's stack where it
// did. On a worker goroutine, a
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
	var aggs []*Aggregator
	newRunner := func(ctx context.Context) *runner {
		r := &runner{ctx: ctx, opts: &opts.Machine, agg: NewAggregator(opts.Report)}
		aggs = append(aggs, r.agg)
		return r
	}
	j := job[lifecycle.Outcome]{budget: batchBudget, keep: opts.OnOutcome != nil,
		worker: func(ctx context.Context) func(int, *item, *lifecycle.Outcome) { return newRunner(ctx).run }}
	agg := NewAggregator(opts.Report) // in fleet order, with OnOutcome
	if opts.OnOutcome != nil {
		j.emit = func(index int, it *item, o *lifecycle.Outcome) {
			opts.OnOutcome(index, it.e, *o)
			agg.Add(index, it.e, *o)
		}
	}
	var stopped bool
	if onStack(&opts) {
		// The pool's inline path, without its heap copy of each entry.
		r := newRunner(ctx)
		stopped, _ = inlineEach(ctx, fleet, func(index int, e Entry, err error) error {
			out := r.caught(&e, err)
			r.agg.count(index, &e, &out)
			return nil
		})
	} else {
		_, stopped, _ = runPool(ctx, opts.Workers, fleet, j)
	}
	for _, a := range aggs {
		agg.Merge(a)
	}
	report := agg.Report()
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

// runner is a worker of Run: its machine, built for its first device, and
// its aggregator.
type runner struct {
	ctx  context.Context
	opts *lifecycle.Options
	m    *lifecycle.Machine
	agg  *Aggregator
}

// run deploys device index, and counts its outcome unless o is not nil:
// then the outcome goes to o, for OnOutcome.
func (r *runner) run(index int, it *item, o *lifecycle.Outcome) {
	if o != nil {
		*o = r.deploy(&it.e, it.err)
		return
	}
	out := r.deploy(&it.e, it.err)
	r.agg.count(index, &it.e, &out)
}

// caught is deploy on the calling goroutine: a panic leaves it as a
// [*PanicError], as from a worker.
func (r *runner) caught(e *Entry, err error) lifecycle.Outcome {
	defer asWorkerPanic()
	return r.deploy(e, err)
}

// deploy runs e, yielded with err, on r's machine, or says why it did not
// run.
func (r *runner) deploy(e *Entry, err error) lifecycle.Outcome {
	if err == nil {
		err = restore(&r.m, e.Device, r.opts)
	}
	if err != nil {
		return notRun(e, err)
	}
	o, _ := r.m.Deploy(r.ctx, e.Deployment)
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
