package fleet

import (
	"cmp"
	"context"
	"errors"
	"iter"
	"maps"
	"slices"
	"strings"
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
	// not when the device could not go through the plan ([History].Err:
	// it could not be read, or Restore refused it) or the context
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

// PlanReport is the result of a rollout: every wave's reports, the
// devices grouped by the waves that failed them, and those that could not
// go through the plan.
type PlanReport struct {
	// Devices is the number of devices taken from the fleet.
	Devices int `json:"devices"`
	// Waves are the plan's waves, in order.
	Waves []WaveReport `json:"waves"`
	// FailedBy groups the devices that at least one wave failed by the
	// waves that failed them, in the order of those waves' positions.
	FailedBy []FailedBy `json:"failedBy,omitempty"`
	// Unread groups by [Failure] the devices that could not go through
	// the plan ([History].Err), only the groups with devices: those the
	// fleet yielded with an error, and those [lifecycle.Machine.Restore]
	// refused; with [ReportOptions.Details], each device with its error,
	// in fleet order. Every wave counts such a device too, as not run when
	// it targets it and as not targeted otherwise: one that no wave
	// targets is in no wave's report, and is here.
	Unread []FailureGroup `json:"unread,omitempty"`
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
// that targets it counts it as not run, failed with that error, and
// [PlanReport].Unread counts it. It streams as the fleet runner [Run]
// does: the devices are pulled on the calling goroutine and handed to the
// workers in batches, a device's waves run one after the other on one
// worker, and each worker counts into aggregators of its own, one per
// wave, merged at the end; memory does not grow with the fleet (with
// [ReportOptions.Details] off, and unless OnHistory keeps the histories).
//
// The plan is checked before anything runs, and its names are looked up
// when the first device arrives: an error in the plan (an [*Error] naming
// the wave and the member, at Offset 0 for a plan made in code) is
// returned with an empty report, and no device has run.
//
// Every device pulled is counted exactly once in every wave. When ctx
// ends, Run stops pulling fleet, between two devices; the waves not yet
// run on the devices pulled count as not run, and a deployment in
// progress stops at its next chain step. Run then returns the report of
// the devices pulled and ctx's error; the error is nil when fleet ended and every
// wave's deployment ran to its end (ctx stopped none), even if ctx ended
// afterwards.
//
// A panic in a callback reaches the caller of Run: OnHistory's, fleet's
// and the Clock's (read on the calling goroutine) as they are, one of an
// observer function's as a [*PanicError]; Run stops its workers first and
// leaves no goroutine behind.
func (p *Plan) Run(ctx context.Context, fleet iter.Seq2[Entry, error], opts PlanOptions) (PlanReport, error) {
	if err := p.check(); err != nil {
		return PlanReport{}, err
	}
	start := time.Now()
	if opts.Machine.Clock != nil {
		start = opts.Machine.Clock()
	}
	start = start.Round(0) // no monotonic reading: wave times are dates
	waves := p.compile(start)
	resolved := false // the waves' names are looked up
	ready := func() error {
		if resolved {
			return nil
		}
		if err := p.resolve(waves, opts.Decoder); err != nil {
			return err
		}
		resolved = true
		return nil
	}
	var rollers []*roller
	j := job[History]{budget: batchBudget / len(p.Waves), keep: opts.OnHistory != nil,
		prepare: func(*item, *History) error { return ready() },
		worker: func(ctx context.Context) func(int, *item, *History) {
			w := newRoller(ctx, &opts, waves)
			rollers = append(rollers, w)
			return w.device
		}}
	if opts.OnHistory != nil {
		j.emit = func(_ int, _ *item, h *History) { opts.OnHistory(*h) }
	}
	devices, stopped, err := runPool(ctx, opts.Workers, fleet, j)
	if err == nil && !resolved {
		err = ready()
		if d := opts.Decoder; err != nil && (stopped || d != nil && d.Err() != nil) {
			// Nothing could run, and the plan may name what the fleet file
			// was not read far enough for.
			err = nil
		}
	}
	if err != nil {
		return PlanReport{}, err
	}
	all := newRoller(ctx, &opts, waves)
	for _, w := range rollers {
		all.merge(w)
	}
	report := all.report(devices)
	if err := ctx.Err(); err != nil && (stopped || all.canceled) {
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
	details  bool // opts.Report.Details: list the devices of FailedBy
	waves    []wave
	m        *lifecycle.Machine
	mopts    lifecycle.Options // m's: the plan's observer functions, the clock below
	now      time.Time         // the time the machine's clock reads
	aggs     []*Aggregator
	counts   []WaveReport // Ran, NotRun, Changed
	failed   map[uint64]*FailedBy
	unread   failures
	canceled bool // a wave did not run, or not to its end, because ctx ended
}

func newRoller(ctx context.Context, opts *PlanOptions, waves []wave) *roller {
	w := &roller{ctx: ctx, details: opts.Report.Details, waves: waves, aggs: make([]*Aggregator, len(waves)),
		counts: make([]WaveReport, len(waves)), failed: map[uint64]*FailedBy{}}
	w.mopts = opts.Machine
	w.mopts.Clock = w.clock
	for i := range w.aggs {
		w.aggs[i] = NewAggregator(opts.Report)
	}
	return w
}

func (w *roller) clock() time.Time { return w.now }

// device takes the device of it, at position index of the fleet, through
// every wave that targets it, and fills h if not nil.
func (w *roller) device(index int, it *item, h *History) {
	e, ferr := &it.e, it.err
	if ferr == nil {
		ferr = restore(&w.m, e.Device, &w.mopts)
	}
	if h != nil {
		*h = History{Index: index, Entry: *e, Err: ferr}
	}
	if ferr != nil {
		d := FailedDevice{Index: index, ID: e.Device.ID}
		if w.details {
			d.Error = ferr.Error()
		}
		w.unread.add(failureOfErr(ferr), w.details, d)
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
		}
		// A deployment that ctx stopped, before it started or during it.
		w.canceled = w.canceled || ferr == nil && failureOf(&o) == FailureCanceled
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
		if w.details {
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
	w.unread.merge(&o.unread, w.details)
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
	r.Unread = w.unread.groups()
	return r
}
