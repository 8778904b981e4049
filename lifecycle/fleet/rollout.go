package fleet

import (
	"cmp"
	"context"
	"errors"
	"iter"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/lifecycle"
)

// PlanOptions configure [Plan.Run]; the zero PlanOptions are the
// defaults.
type PlanOptions struct {
	// Workers is how many devices go through the plan at a time, each
	// worker with a [lifecycle.Machine] of its own; 0 or less means
	// runtime.GOMAXPROCS(0), and more than [MaxWorkers] means MaxWorkers.
	// One worker runs on the goroutine that called Run.
	Workers int
	// Report configures each wave's report and [PlanReport].FailedBy.
	// Leave Details off for large fleets: memory then does not grow with
	// the fleet.
	Report ReportOptions
	// Machine are the options of every worker's machine. Its observer
	// functions run on the worker's goroutine, and should honour ctx. Its Clock is read
	// once, when Run starts, for the rollout's start (time.Now when it is
	// nil); each wave's logs are stamped at the start plus the After of
	// every wave up to it.
	Machine lifecycle.Options
	// Decoder, if not nil, is the decoder of the fleet file the devices
	// come from: the waves may name its sites and packages. Run looks them
	// up when the first device arrives, once the decoder has read them.
	Decoder *Decoder
	// OnHistory, if not nil, is called with every device's history, in
	// fleet order, on the goroutine that called Run, once the device has
	// been through every wave. It may keep it.
	OnHistory func(h History)
}

// History is one device's way through a plan.
type History struct {
	// Index is the device's position in the fleet, from 0.
	Index int
	// Entry is the device as the fleet gave it, before the first wave,
	// and its own deployment.
	Entry Entry
	// Err is why the device could not go through the plan: the error the
	// fleet yielded it with, or the error of [lifecycle.Machine.Restore].
	// No wave runs on such a device.
	Err error
	// Visits are the waves that targeted the device, in order.
	Visits []Visit
	// Device is the device as the last wave left it.
	Device lifecycle.Device
}

// Visit is what one wave did to one device it targeted.
type Visit struct {
	// Wave is the wave's position in the plan, from 0.
	Wave int
	// Ran reports that the wave's deployment ran on the device. It did
	// not when the device could not be read ([History].Err) or the context
	// ended before the deployment started: Outcome.Err says why.
	Ran bool
	// Time is the wave's time, which stamps its logs.
	Time time.Time
	// Deployment is what the wave sent, and Package and Site name its
	// package and site.
	Deployment    lifecycle.Deployment
	Package, Site string
	// Outcome is the deployment's outcome.
	Outcome lifecycle.Outcome
}

// PlanReport is the result of a rollout: every wave's reports, and the
// devices grouped by the waves that failed them.
type PlanReport struct {
	// Devices is the number of devices taken from the fleet.
	Devices int `json:"devices"`
	// Waves are the plan's waves, in order.
	Waves []WaveReport `json:"waves"`
	// FailedBy groups the devices that at least one wave failed by the
	// waves that failed them, in the order of those waves' positions.
	FailedBy []FailedBy `json:"failedBy,omitempty"`
}

// WaveReport is what one wave of a rollout did. Every device of the
// fleet is counted once, in Ran, NotRun or NotTargeted.
type WaveReport struct {
	Name string    `json:"name"`
	Time time.Time `json:"time"`
	// Ran counts the devices the wave deployed to, NotRun those it
	// targeted and did not (see [Visit].Ran), NotTargeted the others.
	Ran         int `json:"ran"`
	NotRun      int `json:"notRun"`
	NotTargeted int `json:"notTargeted"`
	// Changed counts the devices whose component changed state
	// ([lifecycle.Outcome] From and To differ): installs, upgrades,
	// uninstalls, and repairs of an older or newer component. Modelling
	// choice: a reconfiguration, even one that enrolled a certificate,
	// leaves the state as it was.
	Changed int `json:"changed"`
	// Report is the product page's reports over the devices the wave
	// targeted (Ran and NotRun), as [Run] reports one deployment.
	// Modelling choice: a device the wave did not target is in none of
	// its reports, as a device not in an advertisement's collection is in
	// none of its status messages.
	Report Report `json:"report"`
}

// FailedBy is the devices that exactly the waves Waves failed ([FailureOf]
// is not [NoFailure]: the outcome has an error), among those that
// targeted them.
type FailedBy struct {
	// Waves are the waves' positions in the plan, in order.
	Waves []int `json:"waves"`
	Count int   `json:"count"`
	// Devices lists them in fleet order, with [ReportOptions.Details].
	Devices []DeviceRef `json:"devices,omitempty"`
}

// Run sends the plan's waves to every device of fleet and returns each
// wave's reports. fleet yields one entry per device, in fleet order, such
// as [Decoder.Devices]; each entry is the device before the first wave and
// its own deployment, which a wave's deployment starts from (see [Wave]).
//
// Each device goes through the waves in order, with its state carried
// forward: [lifecycle.Machine.Restore] of the device once, then
// [lifecycle.Machine.Deploy] of every wave that targets it, on one
// machine, so that what one wave installed the next one finds. A device
// yielded with an error, or one Restore rejects, runs no wave: every wave
// that targets it counts it as not run, failed with that error. It streams
// as the fleet runner [Run] does: the devices are pulled on the calling goroutine and
// handed to the workers in batches, a device's waves run one after the
// other on one worker, and each worker counts into aggregators of its own,
// one per wave, merged at the end; memory does not grow with the fleet
// (with [ReportOptions.Details] off, and unless OnHistory keeps the
// histories).
//
// The plan is checked before anything runs, and its names are looked up
// when the first device arrives: an error in the plan (an [*Error] naming
// the wave and the member, at Offset 0 for a plan made in code) is
// returned with an empty report, and no device has run.
//
// Every device pulled is counted exactly once in every wave. When ctx
// ends, Run stops pulling fleet, between two devices; the waves not yet run
// on the devices pulled count as not run, and a deployment in progress stops
// at its next chain step. Run then returns the report of the devices
// pulled and ctx's error; the error is nil when fleet ended and every
// wave ran, even if ctx ended afterwards.
//
// A panic in a callback reaches the caller of Run: OnHistory's, fleet's
// and the Clock's (read on the calling goroutine) as they are, one of an
// observer function's as a [*PanicError]; Run stops its workers first and leaves no
// goroutine behind.
func (p *Plan) Run(ctx context.Context, fleet iter.Seq2[Entry, error], opts PlanOptions) (PlanReport, error) {
	if err := p.check(); err != nil {
		return PlanReport{}, err
	}
	start := time.Now()
	if opts.Machine.Clock != nil {
		start = opts.Machine.Clock()
	}
	start = start.Round(0) // no monotonic reading: wave times are dates
	r := newRollout(ctx, p, opts, start)
	defer r.close()
	stopped, err := r.pull(ctx, fleet)
	if err != nil {
		return PlanReport{}, err
	}
	report := r.finish()
	if r.panicked != nil {
		panic(r.panicked)
	}
	if err := ctx.Err(); err != nil && (stopped || r.local.canceled) {
		return report, err
	}
	return report, nil
}

// wave is a wave of a plan ready to run: its names looked up, its time
// set, its target compiled.
type wave struct {
	w                *Wave
	at               time.Time
	pkg              *named[lifecycle.Package] // nil: each device's own
	site             *named[lifecycle.Site]
	ids              map[string]bool
	from, to         int    // the share, in hundredths; to < 0: none
	platforms, conns uint64 // bit v: value v
	computers        []string
}

// compile returns the plan's waves with their times and targets, their
// names not looked up yet.
func (p *Plan) compile(start time.Time) []wave {
	waves := make([]wave, len(p.Waves))
	at := start
	for i := range p.Waves {
		w := &p.Waves[i]
		after := w.After
		if after == 0 && i > 0 {
			after = defaultAfter
		}
		at = at.Add(after)
		c := wave{w: w, at: at, to: -1}
		t := &w.Target
		if len(t.IDs) > 0 {
			c.ids = make(map[string]bool, len(t.IDs))
			for _, id := range t.IDs {
				c.ids[id] = true
			}
		}
		if t.Share != nil {
			c.from, c.to = hundredths(t.Share.From), hundredths(t.Share.To)
		}
		for _, pl := range t.Platforms {
			c.platforms |= 1 << pl
		}
		for _, cn := range t.Connections {
			c.conns |= 1 << cn
		}
		for _, name := range t.Computers {
			c.computers = append(c.computers, strings.ToLower(name))
		}
		waves[i] = c
	}
	return waves
}

// resolve looks the names of waves up in the plan and in d, if not nil.
func (p *Plan) resolve(waves []wave, d *Decoder) error {
	sites, packages := lower(p.Sites), lower(p.Packages)
	var fileSites map[string]named[lifecycle.Site]
	var filePackages map[string]named[lifecycle.Package]
	if d != nil {
		fileSites, filePackages = d.sites, d.packages
		if err := clash(sites, fileSites, "sites", "site"); err != nil {
			return err
		}
		if err := clash(packages, filePackages, "packages", "package"); err != nil {
			return err
		}
	}
	for i := range waves {
		c := &waves[i]
		fail := func(field string, err error) error {
			return &Error{Index: -1, Field: waveField(i, c.w.Name) + "." + field, Offset: c.w.offset, Err: err}
		}
		var err error
		if c.pkg, err = find(packages, filePackages, d != nil, c.w.Package, "package"); err != nil {
			return fail("deployment.package", err)
		}
		if c.site, err = find(sites, fileSites, d != nil, c.w.Site, "site"); err != nil {
			return fail("deployment.site", err)
		}
	}
	return nil
}

// lower returns m by lower-case name.
func lower[T any](m map[string]T) map[string]named[T] {
	out := make(map[string]named[T], len(m))
	for name, v := range m {
		out[strings.ToLower(name)] = named[T]{name, v}
	}
	return out
}

// clash reports a name of the plan's that the fleet file has too.
func clash[T any](plan, file map[string]named[T], section, what string) error {
	for _, k := range slices.Sorted(maps.Keys(plan)) {
		if _, ok := file[k]; ok {
			return &Error{Index: -1, Field: section + "[" + quote.Short(plan[k].name) + "]",
				Err: errors.New("the fleet file has a " + what + " of that name too")}
		}
	}
	return nil
}

// find returns the site or package name among the plan's and, when
// there is a fleet file, the file's; nil for the name "".
func find[T any](plan, file map[string]named[T], isFile bool, name, what string) (*named[T], error) {
	if name == "" {
		return nil, nil
	}
	k := strings.ToLower(name)
	if v, ok := plan[k]; ok {
		return &v, nil
	}
	if v, ok := file[k]; ok {
		return &v, nil
	}
	if isFile {
		return nil, errors.New("no " + what + " " + quote.Short(name) + " in the plan or the fleet file")
	}
	return nil, errors.New("no " + what + " " + quote.Short(name) + " in the plan, and no fleet file")
}

// targets reports whether the wave targets the device of e; *at caches
// the device's place in a share (-1: not computed yet).
func (c *wave) targets(e *Entry, at *int) bool {
	if c.w.Target.All {
		return true
	}
	d := &e.Device
	if c.ids != nil && !c.ids[d.ID] {
		return false
	}
	if c.platforms != 0 && (d.Platform >= 64 || c.platforms&(1<<d.Platform) == 0) {
		return false
	}
	if c.conns != 0 && (d.Connection >= 64 || c.conns&(1<<d.Connection) == 0) {
		return false
	}
	if c.computers != nil && !slices.ContainsFunc(c.computers, func(n string) bool { return strings.EqualFold(n, d.Computer) }) {
		return false
	}
	if c.to >= 0 {
		if *at < 0 {
			*at = place(d.ID)
		}
		return c.from <= *at && *at < c.to
	}
	return true
}

// deployment returns the entry the wave sends to the device of e: its own
// deployment, with what the wave gives.
func (c *wave) deployment(e *Entry) Entry {
	out := *e
	w := c.w
	if c.pkg != nil {
		out.Deployment.Package, out.Package = c.pkg.v, c.pkg.name
	}
	if c.site != nil {
		out.Deployment.Site, out.Site = c.site.v, c.site.name
	}
	if w.Method != 0 {
		out.Deployment.Method = w.Method
	}
	if w.Component != 0 {
		out.Deployment.Component = w.Component
	}
	out.Deployment.Repair, out.Deployment.RenewCertificate = w.Repair, w.RenewCertificate
	return out
}

// roller is what one worker keeps: its machine and its counts.
type roller struct {
	ctx      context.Context
	opts     *PlanOptions
	waves    []wave
	m        *lifecycle.Machine
	now      time.Time // the time the machine's clock reads
	aggs     []*Aggregator
	counts   []WaveReport // Ran, NotRun, Changed
	failed   map[uint64]*FailedBy
	canceled bool // a wave did not run because ctx ended
}

func newRoller(ctx context.Context, opts *PlanOptions, waves []wave) *roller {
	w := &roller{ctx: ctx, opts: opts, waves: waves, aggs: make([]*Aggregator, len(waves)),
		counts: make([]WaveReport, len(waves)), failed: map[uint64]*FailedBy{}}
	for i := range w.aggs {
		w.aggs[i] = NewAggregator(opts.Report)
	}
	return w
}

func (w *roller) clock() time.Time { return w.now }

// device takes the device of e, yielded with ferr, at position index of
// the fleet, through every wave that targets it, and fills h if not nil.
func (w *roller) device(index int, e *Entry, ferr error, h *History) {
	if ferr == nil {
		if w.m == nil {
			mo := w.opts.Machine
			mo.Clock = w.clock
			w.m, ferr = lifecycle.NewMachine(e.Device, mo)
		} else {
			ferr = w.m.Restore(e.Device)
		}
	}
	if h != nil {
		*h = History{Index: index, Entry: *e, Err: ferr}
	}
	place := -1
	var failed uint64
	for i := range w.waves {
		c := &w.waves[i]
		if !c.targets(e, &place) {
			continue
		}
		we := c.deployment(e)
		var o lifecycle.Outcome
		ran := false
		switch {
		case ferr != nil:
			o = notRun(&we, ferr)
		case w.ctx.Err() != nil:
			o = notRun(&we, w.ctx.Err())
		default:
			w.now = c.at
			o, _ = w.m.Deploy(w.ctx, we.Deployment)
			// Not run: the context ended before the deployment started.
			ran = o.Err == nil || len(o.Steps) > 0 ||
				!errors.Is(o.Err, context.Canceled) && !errors.Is(o.Err, context.DeadlineExceeded)
		}
		n := &w.counts[i]
		if ran {
			n.Ran++
			if o.From != o.To {
				n.Changed++
			}
		} else {
			n.NotRun++
			w.canceled = w.canceled || ferr == nil
		}
		if o.Err != nil { // FailureOf(o) != NoFailure
			failed |= 1 << i
		}
		w.aggs[i].Add(index, we, o)
		if h != nil {
			h.Visits = append(h.Visits, Visit{Wave: i, Ran: ran, Time: c.at, Deployment: we.Deployment,
				Package: we.Package, Site: we.Site, Outcome: o})
		}
	}
	if failed != 0 {
		f := w.failed[failed]
		if f == nil {
			f = &FailedBy{}
			w.failed[failed] = f
		}
		f.Count++
		if w.opts.Report.Details {
			f.Devices = append(f.Devices, DeviceRef{Index: index, ID: e.Device.ID})
		}
	}
	if h != nil {
		h.Device = e.Device
		if ferr == nil {
			h.Device = w.m.Device()
		}
	}
}

// merge adds what o counted to w.
func (w *roller) merge(o *roller) {
	for i := range w.aggs {
		w.aggs[i].Merge(o.aggs[i])
		w.counts[i].Ran += o.counts[i].Ran
		w.counts[i].NotRun += o.counts[i].NotRun
		w.counts[i].Changed += o.counts[i].Changed
	}
	for k, f := range o.failed {
		g := w.failed[k]
		if g == nil {
			g = &FailedBy{}
			w.failed[k] = g
		}
		g.Count += f.Count
		g.Devices = append(g.Devices, f.Devices...)
	}
	w.canceled = w.canceled || o.canceled
}

// report returns the plan report of devices devices.
func (w *roller) report(devices int) PlanReport {
	r := PlanReport{Devices: devices, Waves: make([]WaveReport, len(w.waves))}
	for i, c := range w.waves {
		n := w.counts[i]
		r.Waves[i] = WaveReport{Name: c.w.Name, Time: c.at, Ran: n.Ran, NotRun: n.NotRun,
			NotTargeted: devices - n.Ran - n.NotRun, Changed: n.Changed, Report: w.aggs[i].Report()}
	}
	for _, k := range slices.Sorted(maps.Keys(w.failed)) {
		f := w.failed[k]
		g := FailedBy{Count: f.Count, Devices: slices.Clone(f.Devices)}
		for i := range w.waves {
			if k&(1<<i) != 0 {
				g.Waves = append(g.Waves, i)
			}
		}
		slices.SortFunc(g.Devices, func(a, b DeviceRef) int { return cmp.Compare(a.Index, b.Index) })
		r.FailedBy = append(r.FailedBy, g)
	}
	slices.SortFunc(r.FailedBy, func(a, b FailedBy) int { return slices.Compare(a.Waves, b.Waves) })
	return r
}

// rollBatch is the unit of work: consecutive devices of the fleet.
type rollBatch struct {
	first   int
	entries []Entry
	errs    []error
	hists   []History     // with OnHistory
	done    chan struct{} // a worker is done with the batch
	panic   *PanicError
}

// rollout is one Plan.Run. Everything but the channels, the wait group and
// abort belongs to the calling goroutine.
type rollout struct {
	ctx      context.Context // Run's, canceled when Run leaves
	cancel   context.CancelFunc
	plan     *Plan
	opts     PlanOptions
	start    time.Time
	waves    []wave
	resolved bool // the waves' names are looked up
	workers  int
	size     int // devices per batch
	window   int // batches out at most

	work     chan *rollBatch
	wg       sync.WaitGroup
	abort    atomic.Bool
	closed   bool
	local    *roller   // the calling goroutine's: the one worker, or the merge
	rollers  []*roller // the workers'
	out      []*rollBatch
	free     []*rollBatch
	devices  int
	panicked *PanicError
}

func newRollout(ctx context.Context, p *Plan, opts PlanOptions, start time.Time) *rollout {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, MaxWorkers)
	window := 2 * workers
	r := &rollout{plan: p, opts: opts, start: start, workers: workers, window: window,
		size: max(16, min(256, batchBudget/window/len(p.Waves))), work: make(chan *rollBatch, window)}
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.waves = p.compile(start)
	r.local = newRoller(r.ctx, &r.opts, r.waves)
	return r
}

// ready looks the plan's names up, once.
func (r *rollout) ready() error {
	if r.resolved {
		return nil
	}
	if err := r.plan.resolve(r.waves, r.opts.Decoder); err != nil {
		return err
	}
	r.resolved = true
	return nil
}

// pull takes the devices of fleet through the plan. It reports whether it
// stopped before fleet ended because ctx ended, or the plan's error.
func (r *rollout) pull(ctx context.Context, fleet iter.Seq2[Entry, error]) (stopped bool, err error) {
	defer func() {
		if err == nil && !r.resolved {
			err = r.ready()
			if d := r.opts.Decoder; err != nil && (stopped || d != nil && d.Err() != nil) {
				// Nothing could run, and the plan may name what the
				// fleet file was not read far enough for.
				err = nil
			}
		}
	}()
	if ctx.Err() != nil {
		return true, nil
	}
	done := ctx.Done()
	var b *rollBatch
	var h History
	for e, ferr := range fleet {
		if err := r.ready(); err != nil {
			return false, err
		}
		switch {
		case r.workers == 1:
			r.inline(&e, ferr, &h)
		default:
			if b == nil {
				b = r.newBatch()
			}
			b.entries, b.errs = append(b.entries, e), append(b.errs, ferr)
			if len(b.entries) == r.size {
				r.submit(b)
				b = nil
			}
		}
		r.devices++
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
	return stopped, nil
}

// inline takes one device through the plan on the calling goroutine: a
// callback's panic leaves as a [*PanicError], as from a worker.
func (r *rollout) inline(e *Entry, ferr error, h *History) {
	var hp *History
	if r.opts.OnHistory != nil {
		hp = h
	}
	func() {
		defer func() {
			if v := recover(); v != nil {
				panic(&PanicError{Value: v, Stack: debug.Stack()})
			}
		}()
		r.local.device(r.devices, e, ferr, hp)
	}()
	if hp != nil {
		r.opts.OnHistory(*hp)
	}
}

// newBatch returns an empty batch for the next devices, once fewer than
// window batches are out.
func (r *rollout) newBatch() *rollBatch {
	for len(r.out) >= r.window && r.panicked == nil {
		r.collect()
	}
	var b *rollBatch
	if n := len(r.free); n > 0 {
		b, r.free = r.free[n-1], r.free[:n-1]
	} else {
		b = &rollBatch{entries: make([]Entry, 0, r.size), errs: make([]error, 0, r.size), done: make(chan struct{}, 1)}
		if r.opts.OnHistory != nil {
			b.hists = make([]History, r.size)
		}
	}
	b.first = r.devices
	return b
}

// submit hands b to the workers, starting one if fewer than Workers run.
// The work channel has room for every batch out.
func (r *rollout) submit(b *rollBatch) {
	if len(r.rollers) < r.workers && len(r.rollers) <= len(r.out) {
		w := newRoller(r.ctx, &r.opts, r.waves)
		r.rollers = append(r.rollers, w)
		r.wg.Add(1)
		go r.worker(w)
	}
	r.out = append(r.out, b)
	r.work <- b
}

// collect waits for the oldest batch out and hands its histories to
// OnHistory, in fleet order.
func (r *rollout) collect() {
	b := r.out[0]
	r.out = r.out[1:]
	<-b.done
	if b.panic != nil && r.panicked == nil {
		r.panicked = b.panic
	}
	if r.opts.OnHistory != nil && r.panicked == nil {
		for j := range b.entries {
			r.opts.OnHistory(b.hists[j])
			b.hists[j] = History{}
		}
	}
	b.entries, b.errs, b.panic = b.entries[:0], b.errs[:0], nil
	clear(b.entries[:cap(b.entries)])
	clear(b.errs[:cap(b.errs)])
	r.free = append(r.free, b)
}

// finish waits for every batch out and returns the report.
func (r *rollout) finish() PlanReport {
	r.closeWork()
	for len(r.out) > 0 {
		r.collect()
	}
	r.cancel()
	r.wg.Wait()
	for _, w := range r.rollers {
		r.local.merge(w)
	}
	return r.local.report(r.devices)
}

// close stops the workers when Run leaves, by a panic too.
func (r *rollout) close() {
	r.abort.Store(true)
	r.cancel()
	r.closeWork()
	r.wg.Wait()
}

func (r *rollout) closeWork() {
	if !r.closed {
		r.closed = true
		close(r.work)
	}
}

// worker takes the batches it is given through the plan on a machine of
// its own. A panic in a callback stops the rollout and goes to the caller
// with the batch; runtime.Goexit too, after which the worker's goroutine
// only hands back the batches it is given.
func (r *rollout) worker(w *roller) {
	defer r.wg.Done()
	var cur *rollBatch
	finished := false
	defer func() {
		if finished {
			return
		}
		r.abort.Store(true)
		if cur != nil {
			cur.panic = &PanicError{Value: errGoexit, Stack: debug.Stack()}
			cur.done <- struct{}{}
		}
		for b := range r.work {
			b.done <- struct{}{}
		}
	}()
	for b := range r.work {
		cur = b
		r.process(w, b)
		cur = nil
		b.done <- struct{}{}
	}
	finished = true
}

// process takes the devices of b through the plan, unless the rollout
// was aborted; a panic stops it and aborts the rollout.
func (r *rollout) process(w *roller, b *rollBatch) {
	if r.abort.Load() {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			r.abort.Store(true)
			b.panic = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	for j := range b.entries {
		if r.abort.Load() {
			return
		}
		var h *History
		if b.hists != nil {
			h = &b.hists[j]
		}
		w.device(b.first+j, &b.entries[j], b.errs[j], h)
	}
}
