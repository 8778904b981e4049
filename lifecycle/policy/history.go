package policy

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/mobiledm/dmclient/lifecycle"
)

// maxDepth is the deepest [Histories] explores.
const maxDepth = 1024

// Histories holds p to every history of 1 to depth deployments from each
// starting device: for properties over histories rather than single
// steps, such as "after an uninstall, the next install that succeeds ends
// in the deployed version", which [Explore]'s graph cannot judge because
// a state does not remember how it was reached. The starts, the
// deployments and the devices they go to are [Explore]'s (see [Starting]
// and [Deploying]).
//
// p is called once per history, after its last step: with a trace of
// one step, then of each extension of it by one deployment, to depth
// deployments. It reports whether the history is acceptable so far;
// judging the last step in the light of the earlier ones is enough, as
// every prefix was judged before. The trace is valid during the call
// only: its Steps are reused for the next history (copy what you keep).
// p is called from several goroutines at once, so it must be safe for
// concurrent use.
//
// Unlike Explore, which visits each state once, Histories walks every
// sequence (depth first over the same graph): about starts × d^depth
// deployments for d deployments per device. It is exhaustive to its
// depth, and a proof only to that depth. From the default starts with the
// default deployments, depth 1 runs 336,636 deployments and each level
// about a hundred times more: go deeper from fewer starts ([Starting]) with
// fewer deployments ([Deploying]), as the examples do. Its memory is
// O(depth) per worker (depth at most 1,024), whatever the number of
// histories. Counterexamples come shortest
// first, then in the order of the starts and deployments; cancellation
// and panics in p are handled as Explore handles them.
func Histories(ctx context.Context, depth int, p func(t Trace) bool, opts ...Option) (Exploration, error) {
	if depth < 1 || depth > maxDepth {
		return Exploration{}, fmt.Errorf("policy: depth %d out of range [1, %d]", depth, maxDepth)
	}
	in, err := newSequenceInputs(opts)
	if err != nil {
		return Exploration{}, err
	}
	ws := make([]*historyWorker, in.cfg.workers)
	for i := range ws {
		ws[i] = &historyWorker{m: newCheckMachine(), depth: depth,
			steps: make([]Step, 0, depth), path: make([]int32, 0, depth)}
	}
	runWorkers(ctx, ws, func(w *historyWorker, ctx context.Context, next *atomic.Int64) {
		w.run(ctx, in, p, next)
	})
	res := Exploration{States: len(in.starts), Depth: depth}
	var kept firstK[historyViolation]
	for _, w := range ws {
		res.Edges += w.edges
		res.Violations += w.violations
		kept.items = append(kept.items, w.kept.items...)
	}
	kept.sort(in.cfg.keep)
	m := newCheckMachine()
	for _, v := range kept.items {
		res.Counterexamples = append(res.Counterexamples, replay(m, in.deps, in.starts[v.start], v.path))
	}
	return res, ctx.Err()
}

// historyViolation is a history p rejected: a start and the deployments.
type historyViolation struct {
	start int32
	path  []int32
}

// Compare orders history violations shortest first, then by start and
// deployments.
func (a historyViolation) Compare(b historyViolation) int {
	return cmp.Or(cmp.Compare(len(a.path), len(b.path)), cmp.Compare(a.start, b.start), slices.Compare(a.path, b.path))
}

// historyWorker is one goroutine of [Histories].
type historyWorker struct {
	m                 *lifecycle.Machine
	depth             int
	start             lifecycle.Device
	steps             []Step  // the history being judged
	path              []int32 // its deployments
	edges, violations int
	kept              firstK[historyViolation]
	fault
}

// historyChunk is the number of consecutive first steps (a start and a
// first deployment) a worker takes at a time.
const historyChunk = 8

// run walks the histories of the first steps it takes through next: the
// first steps are numbered start-major, deployment-minor.
func (w *historyWorker) run(ctx context.Context, in *sequenceInputs, p func(Trace) bool, next *atomic.Int64) {
	done := ctx.Done()
	total := len(in.starts) * len(in.deps)
	for {
		from := int(next.Add(historyChunk)) - historyChunk
		if from >= total {
			return
		}
		for t := from; t < min(from+historyChunk, total); t++ {
			s, i := t/len(in.deps), t%len(in.deps)
			w.start = in.starts[s]
			if !in.sends(i, &w.start) {
				continue
			}
			if !w.extend(done, in, p, int32(s), &w.start, i) {
				return
			}
		}
	}
}

// extend runs deployment i on dev (the device after w.steps), judges the
// history, and extends it by every deployment to the depth. It returns
// false when done is closed.
func (w *historyWorker) extend(done <-chan struct{}, in *sequenceInputs, p func(Trace) bool, s int32, dev *lifecycle.Device, i int) bool {
	select {
	case <-done:
		return false
	default:
	}
	_ = w.m.Restore(*dev)
	dep := &in.deps[i]
	// Runs use a context of their own, as in Explore.
	out, _ := w.m.Deploy(context.Background(), *dep)
	after := *dev
	if out.Transitioned() {
		after = w.m.Device()
	}
	w.steps = append(w.steps, Step{Deployment: *dep, Outcome: out, Device: after})
	w.path = append(w.path, int32(i))
	w.edges++
	if !p(Trace{Start: w.start, Steps: w.steps}) {
		w.violations++
		if in.cfg.keep > 0 {
			w.kept.add(in.cfg.keep, historyViolation{start: s, path: slices.Clone(w.path)})
		}
	}
	ok := true
	if len(w.steps) < w.depth {
		last := w.steps[len(w.steps)-1].Device
		for j := range in.deps {
			if in.sends(j, &last) && !w.extend(done, in, p, s, &last, j) {
				ok = false
				break
			}
		}
	}
	w.steps = w.steps[:len(w.steps)-1]
	w.path = w.path[:len(w.path)-1]
	return ok
}
