package fleet

import (
	"cmp"
	"context"
	"iter"
	"slices"
	"strings"

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
	var tallies []*tally
	newComparer := func(ctx context.Context) *comparer {
		c := &comparer{t: newTally(opts.Report), ordered: opts.OnOutcome != nil}
		for s := range c.sides {
			c.sides[s] = runner{ctx: ctx, opts: &opts.Machine}
		}
		tallies = append(tallies, c.t)
		return c
	}
	j := job[compared]{budget: pairBudget, keep: true,
		prepare: func(it *item, x *compared) error {
			x.changed = changed(change, &it.e, it.err)
			return nil
		},
		worker: func(ctx context.Context) func(int, *item, *compared) { return newComparer(ctx).run }}
	if opts.OnOutcome != nil {
		j.emit = func(index int, it *item, x *compared) {
			opts.OnOutcome(index, it.e, x.outs[0])
			opts.OnOutcome(index, x.changed, x.outs[1])
		}
	}
	var stopped bool
	if onStack(&opts) {
		// The pool's inline path, without its heap copies of each entry
		// and its changed entry.
		c := newComparer(ctx)
		stopped, _ = inlineEach(ctx, fleet, func(index int, e Entry, err error) error {
			after := changed(change, &e, err)
			var outs [2]lifecycle.Outcome
			c.caught(index, &e, &after, err, &outs)
			return nil
		})
	} else {
		_, stopped, _ = runPool(ctx, opts.Workers, fleet, j)
	}
	t := newTally(opts.Report)
	for _, u := range tallies {
		t.merge(u)
	}
	res := t.comparison()
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
func (t *tally) add(index int, es [2]*Entry, outs *[2]lifecycle.Outcome) {
	var rs [2]Result
	for s := range 2 {
		o := &outs[s]
		f := failureOf(o)
		h := health(o, f)
		t.sides[s].add(index, es[s], o, f, h)
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
		t.users[s].UserDevices.merge(u.users[s].UserDevices, t.details)
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

// compared is what Compare keeps of a device beside its entry: the entry
// as changed, and the outcomes of both.
type compared struct {
	changed Entry
	outs    [2]lifecycle.Outcome
}

// pairBudget bounds the devices out at once, whatever the worker count:
// each holds two entries.
const pairBudget = 4096

// comparer is a worker of Compare: a machine for each deployment, and its
// counts.
type comparer struct {
	sides   [2]runner
	t       *tally
	ordered bool // the outcomes go to OnOutcome
}

// run deploys device index under both deployments, each on its side's
// machine, and counts it. The outcomes go to x for OnOutcome only: written
// into x (on the heap), they cost the garbage collector's write barriers
// and stay alive with the batch.
func (c *comparer) run(index int, it *item, x *compared) {
	var outs [2]lifecycle.Outcome
	c.pair(index, &it.e, &x.changed, it.err, &outs)
	if c.ordered {
		x.outs = outs
	}
}

// pair deploys device index, e and its changed entry, yielded with err,
// each on its side's machine, into outs, and counts it.
func (c *comparer) pair(index int, e, changed *Entry, err error, outs *[2]lifecycle.Outcome) {
	outs[0] = c.sides[0].deploy(e, err)
	outs[1] = c.sides[1].deploy(changed, err)
	c.t.add(index, [2]*Entry{e, changed}, outs)
}

// caught is pair on the calling goroutine: a panic leaves it as a
// [*PanicError], as from a worker.
func (c *comparer) caught(index int, e, changed *Entry, err error, outs *[2]lifecycle.Outcome) {
	defer asWorkerPanic()
	c.pair(index, e, changed, err, outs)
}

// changed returns e as change changes it: e itself when it was yielded
// with an error or change is nil.
func changed(change func(Entry) Entry, e *Entry, err error) Entry {
	if err != nil || change == nil {
		return *e
	}
	return change(*e)
}
