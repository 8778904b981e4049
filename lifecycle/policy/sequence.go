package policy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/mobiledm/dmclient/lifecycle"
)

// Property is a rule over sequences of deployments, such as "a device
// that does not trust Mobile2Market never gets a client, whatever is sent
// to it and in what order". [Explore] holds it to every step of every
// sequence and to every device a sequence reaches. A nil field accepts
// everything. Both are called from several goroutines at once, so they
// must be safe for concurrent use; they should be quick, pure predicates,
// and must not modify what they are given.
type Property struct {
	// Step judges one deployment of a sequence: sc.Device is the device
	// it finds, sc.Deployment the deployment, out its outcome. It is a
	// [Func]: the policy [Check] proves over one deployment from each
	// device of the space, Explore proves over every deployment of every
	// sequence.
	Step Func
	// State judges each device reached, the starting devices included.
	State func(dev lifecycle.Device) bool
}

// Step is one deployment of a [Trace] and what it did.
type Step struct {
	Deployment lifecycle.Deployment `json:"deployment"`
	Outcome    lifecycle.Outcome    `json:"outcome"`
	// Device is the device the deployment left: what the next one finds.
	Device lifecycle.Device `json:"device"`
}

// Trace is a sequence of deployments from a starting device: a
// counterexample of [Explore] or [Histories]. It replays step by step on a
// [lifecycle.Machine]: NewMachine of Start, then Deploy of each step's
// Deployment in order, gives each step's Outcome and Device again (the
// logs' times too with a clock at 2026-01-01 00:00:00 UTC, the time
// explorations stamp logs with).
type Trace struct {
	Start lifecycle.Device `json:"start"`
	// Steps are the deployments in order. A trace that violates a property
	// ends at the violation: its last step is the one rejected, or the one
	// that reached the device rejected; a trace without steps is a
	// starting device rejected.
	Steps []Step `json:"steps,omitempty"`
}

// Last returns the device at the end of the trace: the last step's device,
// or the start when there is no step.
func (t Trace) Last() lifecycle.Device {
	if len(t.Steps) == 0 {
		return t.Start
	}
	return t.Steps[len(t.Steps)-1].Device
}

// Exploration is what [Explore] or [Histories] found.
type Exploration struct {
	// States is the number of distinct devices: every device reached by
	// Explore, the starting devices for Histories.
	States int `json:"states"`
	// Edges is the number of deployments run and judged: one per state
	// and deployment sent to it for Explore, one per history (every
	// sequence of 1 to the depth's deployments) for Histories.
	Edges int `json:"edges"`
	// Depth is, for Explore, the most deployments a state needs to be
	// reached from a start (the graph's eccentricity from its starts);
	// for Histories, the depth explored.
	Depth int `json:"depth"`
	// Violations counts the steps and states the property rejected
	// (Explore), or the histories (Histories).
	Violations int `json:"violations"`
	// Counterexamples are the shortest violations first, then in the
	// order of exploration (starting device, then deployment, in the
	// order given); at most the number asked for with [MaxCounterexamples].
	Counterexamples []Trace `json:"counterexamples,omitempty"`
}

// Holds reports whether the property held everywhere explored.
func (e Exploration) Holds() bool { return e.Violations == 0 }

// ErrTooManyStates is returned by [Explore] when the graph would grow past
// [MaxStates] states; the Exploration returned holds what was explored.
var ErrTooManyStates = errors.New("policy: the graph of reachable devices exceeds the states allowed")

// errNoInput is the error of an exploration with nothing to explore.
var errNoInput = errors.New("policy: nothing to explore: no starting device or no deployment")

// sequenceConfig holds the options of [Explore] and [Histories].
type sequenceConfig struct {
	starts    []lifecycle.Device
	startsSet bool
	deps      []lifecycle.Deployment
	depsSet   bool
	maxStates int
}

// Starting explores from devs instead of the default, [Devices]: the
// devices of the finite space. Devices equal but for their ID are one
// start, the first given; no device at all is an error. Explore and
// Histories only.
func Starting(devs ...lifecycle.Device) Option {
	return func(c *config) { c.seq.starts, c.seq.startsSet = devs, true }
}

// Deploying sends deps instead of the default, [Deployments] of three
// package versions; no deployment at all is an error. Explore and
// Histories only.
func Deploying(deps ...lifecycle.Deployment) Option {
	return func(c *config) { c.seq.deps, c.seq.depsSet = deps, true }
}

// MaxStates caps the graph of [Explore] at n states (the default is
// 131,072, about 100 MB): past it, Explore stops with [ErrTooManyStates].
// It also caps the distinct starting devices of Explore and [Histories].
// n < 1 means 1.
func MaxStates(n int) Option {
	return func(c *config) { c.seq.maxStates = min(max(n, 1), math.MaxInt32) }
}

// defaultMaxStates is the default of [MaxStates]. A state costs about 700
// bytes (measured on the default graph): the device, its key in the index,
// its place in the tree of shortest paths, and its share of the starts and
// of a level's candidates.
const defaultMaxStates = 1 << 17

// sequenceInputs are the validated inputs of an exploration.
type sequenceInputs struct {
	cfg    config
	starts []lifecycle.Device // distinct by key, in the order given
	deps   []lifecycle.Deployment
	send   *sendTable
}

func newSequenceInputs(opts []Option) (*sequenceInputs, error) {
	cfg := config{keep: 100, workers: runtime.GOMAXPROCS(0), seq: sequenceConfig{maxStates: defaultMaxStates}}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.workers = min(max(cfg.workers, 1), runtime.GOMAXPROCS(0))
	in := &sequenceInputs{cfg: cfg, send: newSendTable()}
	starts := cfg.seq.starts
	if !cfg.seq.startsSet {
		starts = Devices()
	}
	in.deps = cfg.seq.deps
	if !cfg.seq.depsSet {
		in.deps = Deployments()
	}
	if len(starts) == 0 || len(in.deps) == 0 {
		return nil, errNoInput
	}
	seen := make(map[stateKey]struct{}, len(starts))
	var kr keyer
	for i, d := range starts {
		if _, err := lifecycle.NewMachine(d, lifecycle.Options{}); err != nil {
			return nil, fmt.Errorf("policy: starting device %d: %w", i, err)
		}
		k := kr.key(&d)
		if _, ok := seen[k]; ok {
			continue
		}
		if len(in.starts) == cfg.seq.maxStates {
			return nil, fmt.Errorf("%w: more than %d distinct starting devices", ErrTooManyStates, cfg.seq.maxStates)
		}
		seen[k] = struct{}{}
		in.starts = append(in.starts, d)
	}
	for i := range in.deps {
		sc := lifecycle.Scenario{Device: in.starts[0], Deployment: in.deps[i]}
		if err := lifecycle.CheckPrerequisites(sc); errors.Is(err, lifecycle.ErrInvalidInput) {
			return nil, fmt.Errorf("policy: deployment %d: %w", i, err)
		}
	}
	return in, nil
}

// sends reports whether deployment i goes to dev (see [sendTable]).
func (in *sequenceInputs) sends(i int, dev *lifecycle.Device) bool {
	return in.send.sends(&in.deps[i], dev)
}

// Explore proves property p over every sequence of deployments, of any
// length, from a set of starting devices: by default every device of the
// finite space ([Devices]) and the deployments of [Deployments] (three
// package versions, so that a package is older, the same or newer than
// what a device holds as packages come and go); see [Starting] and
// [Deploying]. A device is sent the deployments that its platform and
// connection, which no deployment changes, do not rule out before
// anything runs: not a method that cannot reach its connection
// ([lifecycle.ErrConnection]), as the space pairs them, nor the password
// program beyond Pocket PC 2003 ([lifecycle.ErrPasswordProgramPlatform]).
//
// What a deployment does depends only on the device it finds and the
// deployment, so the devices reachable from the starts form a finite
// graph: a state per device, an edge per deployment sent to it. Explore
// walks the graph breadth first to its fixpoint, runs each (state,
// deployment) pair once on a [lifecycle.Machine], and holds p.Step to
// every edge and p.State to every state. Every sequence is a path of the
// graph, so a property that holds on the graph holds for every sequence,
// of any length: the proof holds if and only if the result has no
// violations.
//
// Modelling choice: the ID names a device and is not part of its state:
// devices equal but for their IDs are one state, which runs under the ID
// of the first start it was reached from. A property should not read the
// ID.
//
// A violation comes back as a [Trace] from its start, shortest first:
// each state keeps the state and deployment it was first reached from,
// and a trace follows them back (the graph's tree of shortest paths).
//
// The default graph has 5,134 states and 533,230 edges, every state
// within 2 deployments of a start. Explore holds every state in memory
// (about 700 bytes each) but no edge, and stops with [ErrTooManyStates]
// past [MaxStates]. It runs on every processor, one reused machine per
// worker ([Workers]), and judges each state and each edge once. When ctx
// ends, each worker stops after the deployment it is running and Explore
// returns what it found with the context's error. A panic in p stops the
// exploration and is raised again in the caller's goroutine, and a p that
// calls runtime.Goexit ends the caller's goroutine, as [Check] does.
func Explore(ctx context.Context, p Property, opts ...Option) (Exploration, error) {
	in, err := newSequenceInputs(opts)
	if err != nil {
		return Exploration{}, err
	}
	g := &graph{index: make(map[stateKey]int32, len(in.starts))}
	var kept firstK[violation]
	var res Exploration
	var kr keyer
	for _, d := range in.starts {
		g.add(kr.key(&d), node{dev: d, parent: -1, dep: -1})
	}
	ws := make([]*exploreWorker, in.cfg.workers)
	for i := range ws {
		ws[i] = &exploreWorker{m: newCheckMachine(), local: map[stateKey]struct{}{}}
	}
	// collect gathers what the workers found: counts, violations and
	// candidates.
	var cands []candidate
	collect := func() {
		cands = cands[:0]
		for _, w := range ws {
			res.Edges += w.edges
			res.Violations += w.violations
			w.edges, w.violations = 0, 0
			for _, v := range w.kept.items {
				kept.add(in.cfg.keep, v)
			}
			w.kept.items = w.kept.items[:0]
			cands = append(cands, w.cands...)
			w.cands = w.cands[:0]
			clear(w.local)
		}
	}
	// judge holds p.State to the states [lo, len(g.nodes)).
	judge := func(lo int) {
		if p.State == nil {
			return
		}
		hi := len(g.nodes)
		runWorkers(ctx, ws, func(w *exploreWorker, ctx context.Context, next *atomic.Int64) {
			w.judge(ctx, in, p.State, g, lo, hi, next)
		})
		collect()
	}
	judge(0)
	runErr := ctx.Err()
	for lo, depth := 0, int32(0); runErr == nil && lo < len(g.nodes); depth++ {
		hi := len(g.nodes)
		runWorkers(ctx, ws, func(w *exploreWorker, ctx context.Context, next *atomic.Int64) {
			w.level(ctx, in, p, g, lo, hi, next)
		})
		collect()
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		slices.SortFunc(cands, func(a, b candidate) int {
			return cmp.Or(cmp.Compare(a.parent, b.parent), cmp.Compare(a.dep, b.dep))
		})
		for i := range cands {
			c := &cands[i]
			if _, ok := g.index[c.key]; ok {
				continue
			}
			if len(g.nodes) == in.cfg.seq.maxStates {
				runErr = fmt.Errorf("%w: more than %d", ErrTooManyStates, in.cfg.seq.maxStates)
				break
			}
			g.add(c.key, node{dev: c.dev, parent: c.parent, dep: c.dep, depth: depth + 1})
		}
		if len(g.nodes) > hi {
			res.Depth = int(depth) + 1
		}
		judge(hi)
		if runErr == nil {
			runErr = ctx.Err()
		}
		lo = hi
	}
	res.States = len(g.nodes)
	kept.sort(in.cfg.keep)
	m := newCheckMachine()
	for _, v := range kept.items {
		start, deps := g.path(v)
		res.Counterexamples = append(res.Counterexamples, replay(m, in.deps, start, deps))
	}
	return res, runErr
}

// newCheckMachine returns a machine stamping its logs with [checkClock].
func newCheckMachine() *lifecycle.Machine {
	m, err := lifecycle.NewMachine(DefaultScenario().Device, lifecycle.Options{Clock: checkClock})
	if err != nil {
		panic("policy: the default device is invalid: " + err.Error()) // a bug in this package
	}
	return m
}

// graph is the graph of reachable devices, held as its nodes and the tree
// of shortest paths from the starts: no edge is stored.
type graph struct {
	nodes []node
	index map[stateKey]int32
}

type node struct {
	dev    lifecycle.Device
	parent int32 // the node this one was first reached from; -1 for a start
	dep    int32 // the deployment from the parent; -1 for a start
	depth  int32 // deployments from the start
}

func (g *graph) add(k stateKey, n node) int32 {
	v := int32(len(g.nodes))
	g.nodes = append(g.nodes, n)
	g.index[k] = v
	return v
}

// path returns the start and the deployments of violation v.
func (g *graph) path(v violation) (lifecycle.Device, []int32) {
	var deps []int32
	if v.dep >= 0 {
		deps = append(deps, v.dep)
	}
	n := v.node
	for g.nodes[n].parent >= 0 {
		deps = append(deps, g.nodes[n].dep)
		n = g.nodes[n].parent
	}
	slices.Reverse(deps)
	return g.nodes[n].dev, deps
}

// replay runs the deployments deps (indices into all) from start on m and
// returns the trace.
func replay(m *lifecycle.Machine, all []lifecycle.Deployment, start lifecycle.Device, deps []int32) Trace {
	t := Trace{Start: start}
	_ = m.Restore(start)
	for _, i := range deps {
		out, _ := m.Deploy(context.Background(), all[i])
		t.Steps = append(t.Steps, Step{Deployment: all[i], Outcome: out, Device: m.Device()})
	}
	return t
}

// violation locates a violation in the graph: the step from node by
// deployment dep, or the state node itself (dep -1). length is the
// length of its trace.
type violation struct {
	length, node, dep int32
}

// Compare orders violations shortest first, then by node and deployment.
func (a violation) Compare(b violation) int {
	return cmp.Or(cmp.Compare(a.length, b.length), cmp.Compare(a.node, b.node), cmp.Compare(a.dep, b.dep))
}

// firstK keeps the first k violations of [Explore] or [Histories] in
// their order (the shortest first): it sorts and truncates when it holds
// 2k, so that keeping costs O(log k) per violation, amortised.
type firstK[T interface{ Compare(T) int }] struct {
	items []T
}

func (f *firstK[T]) add(k int, v T) {
	if k == 0 {
		return
	}
	f.items = append(f.items, v)
	if len(f.items)-k >= k { // not 2*k, which overflows for a huge k
		f.sort(k)
	}
}

func (f *firstK[T]) sort(k int) {
	slices.SortFunc(f.items, T.Compare)
	f.items = f.items[:min(len(f.items), k)]
}

// candidate is a device a worker reached that the graph did not hold when
// the level began.
type candidate struct {
	key         stateKey
	dev         lifecycle.Device
	parent, dep int32
}

// exploreWorker is one goroutine of [Explore] and what it found in the
// current level.
type exploreWorker struct {
	m                 *lifecycle.Machine
	edges, violations int
	kept              firstK[violation]
	cands             []candidate
	local             map[stateKey]struct{} // keys of cands
	keyer             keyer
	fault
}

// levelChunk is the number of consecutive states a worker takes at a time.
const levelChunk = 4

// judge holds state to the states [lo, hi) that the workers share
// through next.
func (w *exploreWorker) judge(ctx context.Context, in *sequenceInputs, state func(lifecycle.Device) bool, g *graph, lo, hi int, next *atomic.Int64) {
	done := ctx.Done()
	for {
		from := lo + int(next.Add(levelChunk)) - levelChunk
		if from >= hi {
			return
		}
		for v := from; v < min(from+levelChunk, hi); v++ {
			select {
			case <-done:
				return
			default:
			}
			if n := &g.nodes[v]; !state(n.dev) {
				w.violations++
				w.kept.add(in.cfg.keep, violation{length: n.depth, node: int32(v), dep: -1})
			}
		}
	}
}

// level runs every deployment on the states [lo, hi) that the workers
// share through next.
func (w *exploreWorker) level(ctx context.Context, in *sequenceInputs, p Property, g *graph, lo, hi int, next *atomic.Int64) {
	done := ctx.Done()
	bg := context.Background()
	depth := g.nodes[lo].depth
	for {
		from := lo + int(next.Add(levelChunk)) - levelChunk
		if from >= hi {
			return
		}
		for u := from; u < min(from+levelChunk, hi); u++ {
			dev := &g.nodes[u].dev
			fresh := false // the machine holds dev
			for i := range in.deps {
				if !in.sends(i, dev) {
					continue
				}
				select {
				case <-done:
					return
				default:
				}
				if !fresh {
					_ = w.m.Restore(*dev)
					fresh = true
				}
				dep := &in.deps[i]
				// Runs use a context of their own: a run that ctx cut short
				// would show the property an outcome the model never
				// produces otherwise.
				out, _ := w.m.Deploy(bg, *dep)
				w.edges++
				if p.Step != nil && !p.Step(lifecycle.Scenario{Device: *dev, Deployment: *dep}, out) {
					w.violations++
					w.kept.add(in.cfg.keep, violation{length: depth + 1, node: int32(u), dep: int32(i)})
				}
				if !out.Transitioned() {
					continue
				}
				fresh = false
				after := w.m.Device()
				if sameDevice(&after, dev) {
					fresh = true
					continue
				}
				k := w.keyer.key(&after)
				if _, ok := g.index[k]; ok {
					continue
				}
				if _, ok := w.local[k]; ok {
					continue
				}
				if len(w.local) > in.cfg.seq.maxStates-hi {
					// The graph cannot take them all: the merge stops at
					// MaxStates with what this worker holds.
					continue
				}
				w.local[k] = struct{}{}
				w.cands = append(w.cands, candidate{key: k, dev: after, parent: int32(u), dep: int32(i)})
			}
		}
	}
}

// fault is how a worker stopped short: a panic, or runtime.Goexit, in the
// property.
type fault struct {
	panicked *panicError
	exited   bool
}

func (f *fault) faultOf() *fault { return f }

// runWorkers runs work on every worker and waits for them all; the workers
// share next to divide the work. A panic or runtime.Goexit in one stops
// the others, and is raised again in the caller's goroutine once all have
// stopped, as [Check] does.
func runWorkers[W interface{ faultOf() *fault }](ctx context.Context, ws []W, work func(w W, ctx context.Context, next *atomic.Int64)) {
	run, stop := context.WithCancel(ctx)
	defer stop()
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			finished := false
			defer func() {
				if finished {
					return
				}
				if v := recover(); v != nil {
					w.faultOf().panicked = &panicError{value: v, stack: debug.Stack()}
				} else {
					w.faultOf().exited = true
				}
				stop()
			}()
			work(w, run, &next)
			finished = true
		}()
	}
	wg.Wait()
	for _, w := range ws {
		if f := w.faultOf(); f.panicked != nil {
			panic(f.panicked)
		}
	}
	for _, w := range ws {
		if w.faultOf().exited {
			runtime.Goexit()
		}
	}
}
