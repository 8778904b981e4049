package lifecycle

import (
	"context"
	"iter"
	"runtime"
	"sync"
)

// FleetOptions configures [RunFleet].
type FleetOptions struct {
	// Workers is the number of goroutines that run deployments, each with
	// its own [Machine]; 0 or less means runtime.GOMAXPROCS(0).
	Workers int
	// Report configures the report RunFleet returns. Leave Details off for
	// large fleets: memory then does not grow with the fleet.
	Report ReportOptions
	// Machine are the options of every worker's [Machine], such as
	// [WithClock].
	Machine []Option
	// OnOutcome, if not nil, is called with every device's outcome, in
	// fleet order (index from 0), from one goroutine at a time, before the
	// outcome is counted. It may keep the outcome.
	OnOutcome func(index int, o Outcome)
}

// fleetBatch is the unit of work: batchLen consecutive devices of the fleet.
const fleetBatch = 256

type fleetItem struct {
	sc  Scenario
	err error
}

type batch struct {
	seq   int // batch number, from 0
	first int // index of items[0] in the fleet
	items []fleetItem
	outs  []Outcome // with OnOutcome only
}

// RunFleet runs the deployment of every device of fleet and returns the
// reports over their outcomes. fleet yields one scenario per device, in
// fleet order; a device whose description could not be read is yielded
// with a non-nil error (such as a [*DeviceError] from [FleetDecoder]) and
// is counted as failed with [FailureInput] and that error, without running.
// One device never stops the others.
//
// RunFleet uses opts.Workers goroutines (every core by default), each
// deploying with its own reused [Machine] and counting into its own
// [Aggregator]; the aggregators are merged at the end. It streams: fleet is
// pulled from the calling goroutine only as fast as the workers run, and no
// outcome outlives its counting unless opts.OnOutcome keeps it, so memory
// does not grow with the fleet (with [ReportOptions.Details] off).
//
// Every device yielded ends in the report exactly once. When ctx ends,
// RunFleet stops running deployments but keeps pulling fleet to the end,
// counting every device it did not run as [NotRun] ([FailureCanceled]);
// a deployment in progress is canceled at its next chain step and also
// counts as not run. It then returns the report and ctx's error. A fleet
// that never ends must stop by itself once ctx is done. The error is nil
// when every device ran (even if ctx ended afterwards).
func RunFleet(ctx context.Context, fleet iter.Seq2[Scenario, error], opts FleetOptions) (Report, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ordered := opts.OnOutcome != nil
	inFlight := 4 * workers
	work := make(chan *batch, inFlight)
	free := make(chan *batch, inFlight+workers+2)
	var window chan struct{} // bounds the reorder buffer
	var results chan *batch
	if ordered {
		window = make(chan struct{}, inFlight)
		results = make(chan *batch, inFlight)
	}
	aggs := make([]*Aggregator, workers)
	var wg sync.WaitGroup
	for w := range aggs {
		aggs[w] = NewAggregator(opts.Report)
		m, err := NewMachine(None, opts.Machine...)
		if err != nil {
			return Report{}, err
		}
		wg.Add(1)
		go func(agg *Aggregator) {
			defer wg.Done()
			for b := range work {
				for j := range b.items {
					o := deployItem(ctx, m, b.items[j])
					if ordered {
						b.outs[j] = o
					} else {
						agg.Add(b.first+j, o)
					}
				}
				if ordered {
					results <- b
				} else {
					recycle(free, b)
				}
			}
		}(aggs[w])
	}
	collected := NewAggregator(opts.Report)
	done := make(chan struct{})
	if ordered {
		go func() {
			defer close(done)
			collect(results, window, free, collected, opts.OnOutcome)
		}()
	} else {
		close(done)
	}

	func() {
		// Also when fleet panics: leave no goroutine behind.
		defer func() {
			wg.Wait()
			if ordered {
				close(results)
			}
			<-done
		}()
		produce(fleet, work, window, free, ordered)
	}()
	for _, agg := range aggs {
		collected.Merge(agg)
	}
	r := collected.Report()
	if r.Health.NotRun > 0 {
		return r, ctx.Err()
	}
	return r, nil
}

// produce pulls fleet into batches and sends them to work, then closes
// work, also when fleet panics (so that no worker is left waiting).
func produce(fleet iter.Seq2[Scenario, error], work chan<- *batch, window chan struct{}, free chan *batch, ordered bool) {
	defer close(work)
	seq, index := 0, 0
	b := newBatch(free, seq, index, ordered)
	send := func() {
		if ordered {
			window <- struct{}{}
			b.outs = b.outs[:len(b.items)]
		}
		work <- b
	}
	for sc, err := range fleet {
		b.items = append(b.items, fleetItem{sc: sc, err: err})
		index++
		if len(b.items) == fleetBatch {
			send()
			seq++
			b = newBatch(free, seq, index, ordered)
		}
	}
	if len(b.items) > 0 {
		send()
	}
}

// deployItem runs one device, or says why it did not run.
func deployItem(ctx context.Context, m *Machine, it fleetItem) Outcome {
	sc := it.sc
	if it.err != nil {
		return Outcome{Device: sc.Device.ID, Component: sc.Component, Method: sc.Method,
			Platform: sc.Device.Platform, Failure: FailureInput, Err: it.err}
	}
	if err := ctx.Err(); err != nil {
		s := sc.State()
		o := newOutcome(sc, s)
		o.fail(canceled(err))
		return o
	}
	o, _ := m.Deploy(ctx, sc)
	return o
}

// collect hands the batches to onOutcome in fleet order, counting them.
func collect(results <-chan *batch, window chan struct{}, free chan *batch, agg *Aggregator, onOutcome func(int, Outcome)) {
	pending := map[int]*batch{}
	next := 0
	for b := range results {
		pending[b.seq] = b
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			for j, o := range p.outs {
				onOutcome(p.first+j, o)
				agg.Add(p.first+j, o)
			}
			next++
			<-window
			recycle(free, p)
		}
	}
}

func newBatch(free chan *batch, seq, first int, ordered bool) *batch {
	var b *batch
	select {
	case b = <-free:
	default:
		b = &batch{items: make([]fleetItem, 0, fleetBatch)}
	}
	b.seq, b.first = seq, first
	if ordered && b.outs == nil {
		b.outs = make([]Outcome, fleetBatch)
	}
	return b
}

// recycle clears b (so that it keeps no scenario or outcome alive) and
// returns it to the free list, or drops it when the list is full.
func recycle(free chan *batch, b *batch) {
	clear(b.items)
	b.items = b.items[:0]
	clear(b.outs)
	select {
	case free <- b:
	default:
	}
}
