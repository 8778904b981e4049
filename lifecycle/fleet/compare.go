package fleet

import (
	"cmp"
	"context"
	"iter"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mobiledm/dmclient/lifecycle"
)

// Result is what one deployment did to one device, as [Compare] tells two
// deployments apart: the decision (the state the device was in and the
// event the decision table chose), whether the event was carried out
// ([lifecycle.Outcome.Transitioned]), the state it left, and the device's
// [Failure] and [Health]. Results are comparable with ==.
//
// Modelling choice: the versions are not part of a Result, so that devices
// group by what happened to them rather than by the versions they hold: a
// package of another version changes a device's Result only where it
// changes the decision (the device's state against the package), the
// outcome or the health.
type Result struct {
	From    lifecycle.State `json:"from"`
	Event   lifecycle.Event `json:"event"`
	Carried bool            `json:"carried"`
	To      lifecycle.State `json:"to"`
	Failure Failure         `json:"failure"`
	Health  Health          `json:"health"`
}

// ResultOf returns the Result of outcome o. Like [HealthOf], it reads only
// what an outcome's JSON keeps.
func ResultOf(o lifecycle.Outcome) Result {
	f := FailureOf(o)
	return resultOf(&o, f, health(&o, f))
}

func resultOf(o *lifecycle.Outcome, f Failure, h Health) Result {
	return Result{From: o.From, Event: o.Event, Carried: o.Transitioned(), To: o.To, Failure: f, Health: h}
}

// String returns the result in a few words: the state, the event and,
// when it was carried out, the state it left, or "not carried out"; the
// failure if any; and the health, as in
// "older: upgrade -> same; healthy",
// "none: install not carried out, access denied; certificate issues" or
// "newer: no action; healthy".
func (r Result) String() string {
	var b strings.Builder
	b.WriteString(r.From.String())
	b.WriteString(": ")
	b.WriteString(r.Event.String())
	switch {
	case r.Carried:
		b.WriteString(" -> ")
		b.WriteString(r.To.String())
	case r.Event != lifecycle.NoAction:
		b.WriteString(" not carried out")
	}
	if r.Failure != NoFailure {
		b.WriteString(", ")
		b.WriteString(r.Failure.String())
	}
	b.WriteString("; ")
	b.WriteString(r.Health.String())
	return b.String()
}

// compare orders results field by field, in the order of the fields and
// of each type's values.
func (r Result) compare(s Result) int {
	return cmp.Or(cmp.Compare(r.From, s.From), cmp.Compare(r.Event, s.Event), compareBool(r.Carried, s.Carried),
		cmp.Compare(r.To, s.To), cmp.Compare(r.Failure, s.Failure), cmp.Compare(r.Health, s.Health))
}

// Change is one group of a [Comparison]'s changes: the devices whose
// Result was Before under the fleet's deployments and is After under the
// changed ones.
type Change struct {
	Before Result `json:"before"`
	After  Result `json:"after"`
	Count  int    `json:"count"`
	// Devices lists them in fleet order, with [ReportOptions.Details].
	Devices []DeviceRef `json:"devices,omitempty"`
}

// Side is a fleet under one of the two deployments of a [Comparison]: the
// reports, and the settings changed by the devices' users that the
// deployment overwrites ([lifecycle.Overwrite].UserChanged).
type Side struct {
	Report Report `json:"report"`
	// UserSettings counts the user-changed settings overwritten, over
	// every device.
	UserSettings int `json:"userSettingsOverwritten"`
	// UserDevices are the devices with at least one user-changed setting
	// overwritten; with [ReportOptions.Details], which, in fleet order.
	UserDevices DeviceList `json:"userSettingsOverwrittenOn"`
}

// Comparison is how a fleet fares under two deployments: the fleet's own
// (Before) and the changed ones (After). It is plain data, deterministic
// and encodable as JSON.
type Comparison struct {
	// Devices is the number of devices compared; each ran under both.
	Devices int  `json:"devices"`
	Before  Side `json:"before"`
	After   Side `json:"after"`
	// Changed counts the devices whose [Result] differs.
	Changed int `json:"changed"`
	// Changes groups those devices by their two Results: the largest
	// group first, then in the order of the Results' fields.
	Changes []Change `json:"changes,omitempty"`
}

// Compare runs every entry of fleet under two deployments, the entry as
// fleet yields it and the entry as change returns it, and returns how they
// differ: the devices whose decision, outcome or health changes, grouped by
// before and after ([Change]), the reports of both ([Side]), and how many
// settings changed by the devices' users each overwrites. change may
// change anything of an entry, the device included: to compare two
// ClientSettings.ini files, two packages, two sites, or two methods. It
// runs on the goroutine that called Compare, once per device, in fleet
// order; a nil change compares the fleet with itself. It gets a copy of the
// entry, which shares the entry's slices (the device's settings, the
// package's folder): it must replace them, not write into them.
//
// Compare makes one pass over fleet: each entry is pulled once, changed
// once, and both runs of a device are made back to back by one worker,
// on two machines of its own reused from device to device
// ([lifecycle.Machine.Restore], then [lifecycle.Machine.Deploy]). Every
// worker counts into reports and changes of its own, merged at the end, so
// that memory does not grow with the fleet (with [ReportOptions.Details]
// off, and a bounded number of sites and computers).
//
// An entry yielded with an error is not run: it counts as failed with that
// error under both deployments. opts mean what they mean for [Run]: the
// workers, the reports' options (for both sides and the changes' device
// lists), the machines' options, and OnOutcome, which sees both outcomes
// of every device in fleet order: the entry and its outcome, then the
// changed entry and its outcome, both with the device's index. Cancellation
// and panics are as for Run: when ctx ends, Compare stops pulling fleet,
// the runs not made yet are canceled (both of a device, or only its
// second), and it returns the comparison of the devices pulled with ctx's
// error; a panic in change, OnOutcome or fleet reaches the caller as it
// is, and one of a function of Options.Machine as a [*PanicError].
func Compare(ctx context.Context, fleet iter.Seq2[Entry, error], change func(Entry) Entry, opts Options) (Comparison, error) {
	c := newComparer(ctx, change, opts)
	defer c.close()
	var stopped bool
	if c.workers == 1 {
		stopped = c.inline(ctx, fleet)
	} else {
		stopped = c.pull(ctx, fleet)
	}
	res := c.finish()
	if c.panicked != nil {
		panic(c.panicked)
	}
	canceled := res.Before.Report.failure(FailureCanceled) + res.After.Report.failure(FailureCanceled)
	if err := ctx.Err(); err != nil && (stopped || canceled > 0) {
		return res, err
	}
	return res, nil
}

// tally counts one worker's devices under both deployments.
type tally struct {
	details bool
	sides   [2]*Aggregator
	users   [2]Side // UserSettings and UserDevices only
	changed int
	changes map[[2]Result]*Change
}

func newTally(opts ReportOptions) *tally {
	return &tally{details: opts.Details, sides: [2]*Aggregator{NewAggregator(opts), NewAggregator(opts)},
		changes: map[[2]Result]*Change{}}
}

// add counts device index: the two entries and their outcomes.
func (t *tally) add(index int, es *[2]Entry, outs *[2]lifecycle.Outcome) {
	var rs [2]Result
	for s := range 2 {
		o := &outs[s]
		f := FailureOf(*o)
		h := health(o, f)
		t.sides[s].add(index, es[s], *o, f, h)
		rs[s] = resultOf(o, f, h)
		n := 0
		for _, w := range o.Overwritten {
			if w.UserChanged {
				n++
			}
		}
		if n > 0 {
			t.users[s].UserSettings += n
			t.users[s].UserDevices.add(t.details, DeviceRef{Index: index, ID: o.Device})
		}
	}
	if rs[0] == rs[1] {
		return
	}
	t.changed++
	g := t.changes[rs]
	if g == nil {
		g = &Change{Before: rs[0], After: rs[1]}
		t.changes[rs] = g
	}
	g.Count++
	if t.details {
		g.Devices = append(g.Devices, DeviceRef{Index: index, ID: outs[0].Device})
	}
}

// merge adds everything u counted to t.
func (t *tally) merge(u *tally) {
	for s := range 2 {
		t.sides[s].Merge(u.sides[s])
		t.users[s].UserSettings += u.users[s].UserSettings
		t.users[s].UserDevices.merge(u.users[s].UserDevices)
	}
	t.changed += u.changed
	for k, h := range u.changes {
		g := t.changes[k]
		if g == nil {
			g = &Change{Before: h.Before, After: h.After}
			t.changes[k] = g
		}
		g.Count += h.Count
		g.Devices = append(g.Devices, h.Devices...)
	}
}

func (t *tally) comparison() Comparison {
	c := Comparison{Changed: t.changed}
	for s, side := range []*Side{&c.Before, &c.After} {
		side.Report = t.sides[s].Report()
		side.UserSettings = t.users[s].UserSettings
		side.UserDevices = t.users[s].UserDevices.sorted()
	}
	c.Devices = c.Before.Report.Devices
	for _, g := range t.changes {
		h := *g
		h.Devices = slices.Clone(h.Devices)
		slices.SortFunc(h.Devices, func(x, y DeviceRef) int { return cmp.Compare(x.Index, y.Index) })
		c.Changes = append(c.Changes, h)
	}
	slices.SortFunc(c.Changes, func(x, y Change) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), x.Before.compare(y.Before), x.After.compare(y.After))
	})
	return c
}

// pair is one device of a batch: its entry as the fleet yielded it and as
// changed.
type pair struct {
	es  [2]Entry
	err error
}

// pairs is the unit of work: consecutive devices of the fleet.
type pairs struct {
	seq   int // batch number, from 0
	first int // index of items[0] in the fleet
	items []pair
	outs  [][2]lifecycle.Outcome // with OnOutcome only
}

// pairsDone is a batch a worker is done with, or the panic that stopped it.
type pairsDone struct {
	b     *pairs
	panic *PanicError
}

// comparer is one Compare. Everything but the channels, the wait group and
// abort belongs to the calling goroutine. It is [Run]'s runner with two
// machines per worker and pairs of entries for items.
type comparer struct {
	ctx     context.Context // Compare's, canceled when Compare leaves
	cancel  context.CancelFunc
	change  func(Entry) Entry
	opts    Options
	ordered bool
	workers int // at most
	size    int // devices per batch
	window  int // batches out at most

	work    chan *pairs
	results chan pairsDone // never blocks a worker: room for every batch and panic
	wg      sync.WaitGroup
	abort   atomic.Bool // workers skip what is left
	closed  bool        // work is closed

	tallies  []*tally // the workers'
	tally    *tally   // the caller's
	out      int      // batches handed out and not back
	free     []*pairs
	pending  map[int]*pairs // back, waiting for an earlier batch
	seq      int            // the next batch's number
	next     int            // the batch to hand to OnOutcome next
	panicked *PanicError
}

// pairBudget bounds the devices out at once, whatever the worker count:
// each holds two entries.
const pairBudget = 4096

func newComparer(ctx context.Context, change func(Entry) Entry, opts Options) *comparer {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, MaxWorkers)
	window := 2 * workers
	c := &comparer{
		change:  change,
		opts:    opts,
		ordered: opts.OnOutcome != nil,
		workers: workers,
		size:    max(16, min(256, pairBudget/window)),
		window:  window,
		work:    make(chan *pairs, window),
		results: make(chan pairsDone, window+workers),
		tally:   newTally(opts.Report),
	}
	c.ctx, c.cancel = context.WithCancel(ctx)
	if c.ordered {
		c.pending = map[int]*pairs{}
	}
	return c
}

// pair returns device e of the fleet, yielded with err, and its change.
func (c *comparer) pair(e Entry, err error) pair {
	p := pair{es: [2]Entry{e, e}, err: err}
	if err == nil && c.change != nil {
		p.es[1] = c.change(e)
	}
	return p
}

// pull reads fleet into batches and hands them out. It reports whether it
// stopped before fleet ended because ctx ended.
func (c *comparer) pull(ctx context.Context, fleet iter.Seq2[Entry, error]) (stopped bool) {
	if ctx.Err() != nil {
		return true
	}
	done := ctx.Done()
	var b *pairs
	index := 0
	for e, err := range fleet {
		if b == nil {
			b = c.newBatch(index)
		}
		b.items = append(b.items, c.pair(e, err))
		index++
		if len(b.items) == c.size {
			c.submit(b)
			b = nil
		}
		if c.panicked != nil {
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
		c.submit(b)
	}
	return stopped
}

// inline runs fleet on the calling goroutine, with two machines and no
// batches. It reports whether it stopped before fleet ended because ctx
// ended.
func (c *comparer) inline(ctx context.Context, fleet iter.Seq2[Entry, error]) (stopped bool) {
	if ctx.Err() != nil {
		return true
	}
	done := ctx.Done()
	var ms [2]*lifecycle.Machine
	index := 0
	for e, err := range fleet {
		p := c.pair(e, err)
		outs := c.runInline(&ms, &p)
		if c.ordered {
			c.opts.OnOutcome(index, p.es[0], outs[0])
			c.opts.OnOutcome(index, p.es[1], outs[1])
		}
		c.tally.add(index, &p.es, &outs)
		index++
		select {
		case <-done:
			return true
		default:
		}
	}
	return false
}

// runInline is run on the calling goroutine: a callback's panic leaves it
// as a [*PanicError], as from a worker.
func (c *comparer) runInline(ms *[2]*lifecycle.Machine, p *pair) [2]lifecycle.Outcome {
	defer func() {
		if v := recover(); v != nil {
			panic(&PanicError{Value: v, Stack: debug.Stack()})
		}
	}()
	return c.run(ms, p)
}

// newBatch returns an empty batch for the devices from index on, once
// fewer than window batches are out.
func (c *comparer) newBatch(index int) *pairs {
	for c.out >= c.window && c.panicked == nil {
		c.receive(<-c.results)
	}
	var b *pairs
	if n := len(c.free); n > 0 {
		b, c.free = c.free[n-1], c.free[:n-1]
	} else {
		b = &pairs{items: make([]pair, 0, c.size)}
		if c.ordered {
			b.outs = make([][2]lifecycle.Outcome, c.size)
		}
	}
	b.first = index
	return b
}

// submit hands b to a worker, starting one if fewer than Workers run, and
// takes back finished batches while it waits.
func (c *comparer) submit(b *pairs) {
	b.seq = c.seq
	c.seq++
	if len(c.tallies) < c.workers && len(c.tallies) <= c.out {
		t := newTally(c.opts.Report)
		c.tallies = append(c.tallies, t)
		c.wg.Add(1)
		go c.worker(t)
	}
	c.out++
	for c.panicked == nil {
		select {
		case c.work <- b:
			return
		case res := <-c.results:
			c.receive(res)
		}
	}
}

// receive takes back what a worker is done with: with OnOutcome, the
// batches that are next in fleet order are handed to it.
func (c *comparer) receive(res pairsDone) {
	if res.panic != nil {
		if c.panicked == nil {
			c.panicked = res.panic
		}
		return
	}
	if !c.ordered {
		c.recycle(res.b)
		return
	}
	c.pending[res.b.seq] = res.b
	for {
		b, ok := c.pending[c.next]
		if !ok || c.panicked != nil {
			return
		}
		delete(c.pending, c.next)
		c.next++
		for j := range b.items {
			for s := range 2 {
				c.opts.OnOutcome(b.first+j, b.items[j].es[s], b.outs[j][s])
			}
		}
		c.recycle(b)
	}
}

// recycle keeps b for the next batch. What b holds stays alive until it is
// overwritten: at most window batches.
func (c *comparer) recycle(b *pairs) {
	b.items = b.items[:0]
	c.out--
	c.free = append(c.free, b)
}

// finish waits for every batch out and returns the comparison.
func (c *comparer) finish() Comparison {
	c.closeWork()
	for c.out > 0 && c.panicked == nil {
		c.receive(<-c.results)
	}
	c.cancel()
	c.wg.Wait()
	for _, t := range c.tallies {
		c.tally.merge(t)
	}
	return c.tally.comparison()
}

// close stops the workers when Compare leaves by a panic: from fleet, from
// change, from OnOutcome or from a worker.
func (c *comparer) close() {
	c.abort.Store(true)
	c.cancel()
	c.closeWork()
	c.wg.Wait()
}

func (c *comparer) closeWork() {
	if !c.closed {
		c.closed = true
		close(c.work)
	}
}

// worker runs the batches it is given on two machines it builds for its
// first device, counting into t. A panic (or runtime.Goexit) in a callback
// ends it and goes to the caller.
func (c *comparer) worker(t *tally) {
	defer c.wg.Done()
	finished := false
	defer func() {
		if finished {
			return
		}
		v := recover()
		if v == nil {
			v = errGoexit
		}
		c.abort.Store(true)
		c.results <- pairsDone{panic: &PanicError{Value: v, Stack: debug.Stack()}}
	}()
	var ms [2]*lifecycle.Machine
	for b := range c.work {
		if c.abort.Load() {
			c.results <- pairsDone{b: b}
			continue
		}
		for j := range b.items {
			p := &b.items[j]
			outs := c.run(&ms, p)
			t.add(b.first+j, &p.es, &outs)
			if c.ordered {
				b.outs[j] = outs
			}
		}
		c.results <- pairsDone{b: b}
	}
	finished = true
}

// run deploys both entries of p, each on its machine, building a machine
// at the first entry that has a device, or says why an entry did not run.
func (c *comparer) run(ms *[2]*lifecycle.Machine, p *pair) [2]lifecycle.Outcome {
	var outs [2]lifecycle.Outcome
	for s := range 2 {
		e := &p.es[s]
		m := &ms[s]
		err := p.err
		if err == nil {
			if *m == nil {
				*m, err = lifecycle.NewMachine(e.Device, c.opts.Machine)
			} else {
				err = (*m).Restore(e.Device)
			}
		}
		if err != nil {
			outs[s] = notRun(e, err)
			continue
		}
		outs[s], _ = (*m).Deploy(c.ctx, e.Deployment)
	}
	return outs
}
