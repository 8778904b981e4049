package fleet

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/mobiledm/dmclient/lifecycle"
)

// item is one device as the fleet yielded it: its entry, and the error it
// came with.
type item struct {
	e   Entry
	err error
}

// batchBudget bounds the devices out at once in a [Run], whatever the
// worker count.
const batchBudget = 8192

var errGoexit = errors.New("fleet: runtime.Goexit called in a callback")

// job is what [Run], [Compare] and [Plan.Run] give the worker pool
// ([runPool]): how a worker runs a device, and what becomes of the device
// on the calling goroutine. X is what a device's run leaves for emit: its
// outcomes, its history.
type job[X any] struct {
	// budget bounds the devices out at once, whatever the worker count.
	budget int
	// keep gives every device an X of its own, which prepare and run fill
	// and emit reads; without it, they get nil.
	keep bool
	// prepare, if not nil, is called with every device as it arrives, on
	// the calling goroutine, before the device is handed to a worker. An
	// error stops the pull, before the device is run.
	prepare func(it *item, x *X) error
	// worker starts a worker: it is called on the calling goroutine, and
	// returns the function that runs the worker's devices on the worker's
	// goroutine, each with its index in the fleet. ctx ends when runPool
	// returns.
	worker func(ctx context.Context) (run func(index int, it *item, x *X))
	// emit, if not nil, is called with every device run, in fleet order,
	// on the calling goroutine.
	emit func(index int, it *item, x *X)
}

// batch is the unit of work: consecutive devices of the fleet.
type batch[X any] struct {
	first int // index of items[0] in the fleet
	items []item
	xs    []X           // with job.keep
	done  chan struct{} // a worker is done with the batch
	panic *PanicError   // that stopped it
}

// pool is one runPool. Everything but the channels, the wait group and
// abort belongs to the calling goroutine.
type pool[X any] struct {
	job[X]
	ctx     context.Context // canceled when runPool returns
	cancel  context.CancelFunc
	workers int // at most
	size    int // devices per batch
	window  int // batches out at most

	work     chan *batch[X] // room for every batch out
	wg       sync.WaitGroup
	started  int         // workers
	closed   bool        // work is closed
	out      []*batch[X] // handed to the workers, oldest first
	free     []*batch[X]
	pulled   int
	panicked *PanicError
	abort    atomic.Bool // a worker panicked, or runPool is leaving
}

// runPool is the worker pool of [Run], [Compare] and [Plan.Run]. It pulls
// fleet on the calling goroutine and runs every device it pulls on one of
// at most workers workers ([Options].Workers), each started with j.worker.
// With one worker, it runs the devices one by one on the calling goroutine.
// Otherwise it copies each entry once, into a batch, hands full batches to
// the workers (starting one only when it has a batch for it) and takes them
// back in fleet order, for j.emit, keeping no more than two batches per
// worker out: fleet is pulled only as fast as the workers run.
//
// It returns how many devices it pulled, whether it stopped pulling because
// ctx ended, and j.prepare's error; every device pulled has then run and
// been emitted. When ctx is done before runPool starts, it pulls nothing
// and starts no worker.
//
// A panic in j.run (or runtime.Goexit on a worker's goroutine) reaches the
// caller as a [*PanicError] with the stack where it happened; one in fleet,
// j.prepare or j.emit as it is. Either way, runPool stops its workers
// first, and leaves no goroutine behind.
func runPool[X any](ctx context.Context, workers int, fleet iter.Seq2[Entry, error], j job[X]) (pulled int, stopped bool, err error) {
	if ctx.Err() != nil {
		return 0, true, nil
	}
	p := &pool[X]{job: j, workers: poolSize(workers)}
	p.ctx, p.cancel = context.WithCancel(ctx)
	defer p.close()
	if p.workers == 1 {
		stopped, err = p.inline(ctx, fleet)
	} else {
		p.window = 2 * p.workers
		p.size = max(16, min(256, j.budget/p.window))
		p.work = make(chan *batch[X], p.window)
		stopped, err = p.pull(ctx.Done(), fleet)
		p.finish()
	}
	if p.panicked != nil {
		panic(p.panicked)
	}
	return p.pulled, stopped, err
}

// inline runs fleet on the calling goroutine, one device after the other,
// without batches. It reports whether it stopped before fleet ended because
// ctx was done, or prepare's error.
//
// The devices run with ctx itself: with no other worker, nothing cancels
// the pool's context while they run, and a machine reads its context's
// Err at every step, which takes a lock in a context that can be
// canceled (as the pool's can, whatever ctx is).
func (p *pool[X]) inline(ctx context.Context, fleet iter.Seq2[Entry, error]) (stopped bool, err error) {
	run := p.worker(ctx)
	var it item
	var x *X
	if p.keep {
		x = new(X)
	}
	// Each entry is copied into it (on the heap, once a run), which run,
	// prepare and emit are given.
	return inlineEach(ctx, fleet, func(index int, e Entry, ferr error) error {
		it.e, it.err = e, ferr
		if p.prepare != nil {
			if err := p.prepare(&it, x); err != nil {
				return err
			}
		}
		p.pulled++
		runInline(run, index, &it, x)
		if p.emit != nil {
			p.emit(index, &it, x)
		}
		return nil
	})
}

// inlineEach pulls fleet on the calling goroutine and hands each entry,
// with its index in the fleet and the error it was yielded with, to
// device, one after the other, until fleet ends, device returns an error,
// or ctx is done after a device (the device pulled as ctx ends is handed
// over all the same). It reports whether ctx stopped it, and device's
// error; when ctx is done already it pulls nothing.
//
// The entry goes to device by value, so that device can hand on a pointer
// to its own copy, on its stack: the loop's variable, given by pointer to
// a function value, would move to the heap, where writing an entry costs
// the collector's write barriers while it marks.
func inlineEach(ctx context.Context, fleet iter.Seq2[Entry, error], device func(index int, e Entry, err error) error) (stopped bool, err error) {
	if ctx.Err() != nil {
		return true, nil
	}
	done := ctx.Done()
	index := 0
	for e, ferr := range fleet {
		if err := device(index, e, ferr); err != nil {
			return false, err
		}
		index++
		select {
		case <-done:
			return true, nil
		default:
		}
	}
	return false, nil
}

// onStack reports whether [Run] and [Compare] with opts run every device
// on the calling goroutine, with its entry on the stack, rather than
// through a pool: with one worker, and no OnOutcome, whose outcomes a pool
// keeps beside copies of their entries to hand them over in fleet order.
func onStack(opts *Options) bool { return opts.OnOutcome == nil && poolSize(opts.Workers) == 1 }

// poolSize returns the number of workers a pool asked for workers
// ([Options].Workers) runs at most.
func poolSize(workers int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return min(workers, MaxWorkers)
}

// runInline is run on the calling goroutine: a panic leaves it as a
// [*PanicError], as from a worker.
func runInline[X any](run func(int, *item, *X), index int, it *item, x *X) {
	defer asWorkerPanic()
	run(index, it, x)
}

// asWorkerPanic, deferred by a function that runs a device on the calling
// goroutine, panics again with a [*PanicError] of the panic in progress, as
// a worker's panic reaches the caller.
func asWorkerPanic() {
	if v := recover(); v != nil {
		panic(&PanicError{Value: v, Stack: debug.Stack()})
	}
}

// pull reads fleet into batches and hands them out. It reports whether it
// stopped before fleet ended because done was closed, or prepare's error.
func (p *pool[X]) pull(done <-chan struct{}, fleet iter.Seq2[Entry, error]) (stopped bool, err error) {
	var b *batch[X]
	for e, ferr := range fleet {
		if b == nil {
			b = p.newBatch()
		}
		n := len(b.items)
		b.items = b.items[:n+1]
		it := &b.items[n]
		it.e, it.err = e, ferr
		if p.prepare != nil {
			var x *X
			if p.keep {
				x = &b.xs[n]
			}
			if err = p.prepare(it, x); err != nil {
				b.items = b.items[:n]
				break
			}
		}
		p.pulled++
		if n+1 == p.size {
			p.submit(b)
			b = nil
		}
		if p.panicked != nil {
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
	if b != nil && len(b.items) > 0 && p.panicked == nil {
		p.submit(b)
	}
	return stopped, err
}

// newBatch returns an empty batch for the next devices, once fewer than
// window batches are out.
func (p *pool[X]) newBatch() *batch[X] {
	for len(p.out) >= p.window && p.panicked == nil {
		p.collect()
	}
	var b *batch[X]
	if n := len(p.free); n > 0 {
		b, p.free = p.free[n-1], p.free[:n-1]
	} else {
		b = &batch[X]{items: make([]item, 0, p.size), done: make(chan struct{}, 1)}
		if p.keep {
			b.xs = make([]X, p.size)
		}
	}
	b.first = p.pulled
	return b
}

// submit hands b to the workers, starting one if fewer than workers run
// and every one has a batch. It never blocks: work has room for every
// batch out.
func (p *pool[X]) submit(b *batch[X]) {
	if p.started < p.workers && p.started <= len(p.out) {
		run := p.worker(p.ctx)
		p.started++
		p.wg.Add(1)
		go p.serve(run)
	}
	p.out = append(p.out, b)
	p.work <- b
}

// collect waits for the oldest batch out, hands its devices to emit unless
// a worker panicked, and keeps the batch for the next devices. What the
// batch holds stays alive until it is overwritten: at most window batches.
func (p *pool[X]) collect() {
	b := p.out[0]
	p.out = p.out[:copy(p.out, p.out[1:])]
	<-b.done
	if b.panic != nil && p.panicked == nil {
		p.panicked = b.panic
	}
	// After a panic, a worker may have skipped a batch before this one.
	if p.emit != nil && p.panicked == nil && !p.abort.Load() {
		for j := range b.items {
			var x *X
			if p.keep {
				x = &b.xs[j]
			}
			p.emit(b.first+j, &b.items[j], x)
		}
	}
	b.items, b.panic = b.items[:0], nil
	p.free = append(p.free, b)
}

// finish waits for every batch out, unless a worker panicked.
func (p *pool[X]) finish() {
	p.closeWork()
	for len(p.out) > 0 && p.panicked == nil {
		p.collect()
	}
}

// close stops the workers as runPool leaves, by a panic too: from fleet,
// prepare, emit or a worker.
func (p *pool[X]) close() {
	p.abort.Store(true)
	p.cancel()
	p.closeWork()
	p.wg.Wait()
}

func (p *pool[X]) closeWork() {
	if !p.closed && p.work != nil {
		p.closed = true
		close(p.work)
	}
}

// serve is a worker: it runs the batches it is given, each device with
// run. A panic in run stops the pool and goes to the caller with its
// batch; runtime.Goexit too, after which the worker's goroutine only hands
// back the batches it is given, and ends.
func (p *pool[X]) serve(run func(int, *item, *X)) {
	defer p.wg.Done()
	var cur *batch[X]
	defer func() {
		if cur == nil {
			return // work is closed
		}
		p.abort.Store(true)
		cur.panic = &PanicError{Value: errGoexit, Stack: debug.Stack()}
		cur.done <- struct{}{}
		for b := range p.work {
			b.done <- struct{}{}
		}
	}()
	for b := range p.work {
		cur = b
		p.runBatch(run, b)
		cur = nil
		b.done <- struct{}{}
	}
}

// runBatch runs the devices of b, unless the pool is stopping; a panic
// stops the pool.
func (p *pool[X]) runBatch(run func(int, *item, *X), b *batch[X]) {
	if p.abort.Load() {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			p.abort.Store(true)
			b.panic = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	var x *X
	for j := range b.items {
		if p.keep {
			x = &b.xs[j]
		}
		run(b.first+j, &b.items[j], x)
	}
}

// restore puts *m in device d's state, building the machine with opts at
// the first device.
func restore(m **lifecycle.Machine, d lifecycle.Device, opts *lifecycle.Options) (err error) {
	if *m == nil {
		*m, err = lifecycle.NewMachine(d, *opts)
		return err
	}
	return (*m).Restore(d)
}
