package lifecycle

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/looplab/fsm"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/version"
)

// ErrInvalidTransition is the error of a deployment whose event the client
// machine does not permit from the device's state, such as a repair where
// nothing is installed. The message names the event and the state, which
// the [Outcome] holds as Event and From.
var ErrInvalidTransition = errors.New("lifecycle: event not permitted in this state")

// transitionError returns the error of event ev rejected in state s.
func transitionError(ev Event, s State) error { return rejectedError(ev&0xf | Event(s)<<4) }

// rejectedError is an event rejected in a state, [ErrInvalidTransition]:
// the event in the low four bits, the state in the high four. As one
// byte, it is an error without an allocation; its message is written when
// asked.
type rejectedError uint8

func (e rejectedError) Error() string {
	return ErrInvalidTransition.Error() + ": " + Event(e&0xf).String() + " in state " + State(e>>4).String()
}

func (e rejectedError) Unwrap() error { return ErrInvalidTransition }

// ErrBusy is returned by a call into a [Machine] from its own observer
// while the machine runs a deployment: the call would wait for the run
// that is waiting for the observer.
var ErrBusy = errors.New("lifecycle: machine called from its own observer during a run")

// errCanceled marks a context error returned by a run, so that classify
// tells it from other failures; errors.Is(err, context.Canceled) (or
// DeadlineExceeded) still holds.
var errCanceled = errors.New("lifecycle: run canceled")

// Options configure a [Machine]; the zero Options are the defaults.
//
// The observer functions, OnTransition and OnStep, see every transition of
// both machines as it happens, on the goroutine of the run; a nil function
// is not called. They may read [Machine.Device]; any other call into the
// machine they observe returns [ErrBusy]. A panic in one reaches the
// caller of [Machine.Deploy] and leaves the machine's device as it was
// before the run. An observer that blocks blocks the run: it should honour
// ctx.
type Options struct {
	// OnTransition is called after the client machine moved from one state
	// to another (or to itself) by event e.
	OnTransition func(ctx context.Context, from, to State, e Event)
	// OnStep is called after the installer chain moved from one step to
	// the next (see [ChainTransitions]).
	OnStep func(ctx context.Context, from, to Step)
	// Clock is read instead of time.Now for the time that stamps the log
	// files; use a fixed clock for reproducible outcomes.
	Clock func() time.Time
}

// Machine is one device's client over time. It holds the [Device] (its
// installed client and password program, security, connection,
// certificate and settings); [Machine.Deploy] takes a [Deployment],
// decides from the device's own state, runs the installer chain inside a
// transition of the client machine (a github.com/looplab/fsm machine built
// from [ClientTransitions]), and afterwards holds the device the run left:
// the deployed version after an install, upgrade or repair, nothing after
// an uninstall, the device unchanged after a denial or a missing
// prerequisite. The next deployment sees it.
//
// A Machine is safe for concurrent use: runs are serialised. The zero
// Machine holds the zero Device, whose platform is invalid: Deploy on it
// returns an [*InputError] until [Machine.Restore] gives it a device. Use
// [NewMachine].
type Machine struct {
	mu sync.Mutex // serialises runs
	// dmu guards the device (cur.sc.Device) for Device, which an observer
	// may call during a run. Writers hold mu too, so a holder of mu reads
	// the device without it. It is never held while user code runs.
	dmu    sync.Mutex
	client *fsm.FSM // built at the first run
	opts   Options  // the observer functions and the clock

	// observer is the id of the goroutine running an observer function of
	// this machine, 0 when none runs: a call from it is re-entrant. runner
	// is the id of the goroutine of the run in progress, read once a run.
	observer atomic.Uint64
	runner   uint64

	// cur is the machine's device (cur.sc.Device) and the run in
	// progress, read by the looplab callback: a run sets only the
	// deployment beside the device it reads. It holds the caller's context
	// for the duration of one run only, because looplab gets a context
	// that cannot be canceled (see run).
	cur run
}

// run is the scratch of one run. It lives in the Machine, so that a run
// allocates nothing for its scenario and outcome.
type run struct {
	ctx  context.Context
	sc   Scenario
	at   time.Time
	out  Outcome
	late error // a failure after DMClientSetup ran: the transition stands
}

// NewMachine returns the machine of device dev, such as one a tool stored
// ([Machine.Device] is the form to store). A device whose platform or
// connection is invalid, or that its JSON form could not hold (an ID or
// computer name over 256 bytes; more than 1,024 settings, a key over 256
// bytes or a value over 4,096: see [Device.UnmarshalJSON]), is an
// [*InputError].
func NewMachine(dev Device, opts Options) (*Machine, error) {
	if err := validateDevice(&dev); err != nil {
		return nil, err
	}
	m := &Machine{opts: opts}
	m.cur.sc.Device = dev
	return m, nil
}

func validateDevice(dev *Device) error {
	switch {
	case !dev.Platform.IsValid():
		_, err := dev.Platform.MarshalText()
		return &InputError{Field: "device.platform", Err: err}
	case !dev.Connection.valid():
		_, err := dev.Connection.MarshalText()
		return &InputError{Field: "device.connection", Err: err}
	case len(dev.ID) > maxIDLen:
		return inputError("device.id", "longer than "+strconv.Itoa(maxIDLen)+" bytes: "+quote.Short(dev.ID))
	case len(dev.Computer) > maxIDLen:
		return inputError("device.computer", "longer than "+strconv.Itoa(maxIDLen)+" bytes: "+quote.Short(dev.Computer))
	}
	s := dev.Settings
	if err := settingsFit(len(s), func(i int) (string, string) { return s[i].Key, s[i].Value }); err != nil {
		return &InputError{Field: "device.settings", Err: err}
	}
	return nil
}

// Device returns the device as the machine holds it now: the form to store
// and give back to [NewMachine] or [Machine.Restore]. An observer function
// ([Options]) may call it; during a run it returns the device as it was
// before the run.
func (m *Machine) Device() Device {
	m.dmu.Lock()
	defer m.dmu.Unlock()
	d := m.cur.sc.Device
	d.Settings = slices.Clone(d.Settings)
	return d
}

// Restore replaces the machine's device with dev, as when a tool restores
// a device it stored, without running anything. A device [NewMachine]
// refuses is an [*InputError] and changes nothing.
func (m *Machine) Restore(dev Device) error {
	if err := validateDevice(&dev); err != nil {
		return err
	}
	if m.reentrant() {
		return ErrBusy
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dmu.Lock()
	m.cur.sc.Device = dev
	m.dmu.Unlock()
	return nil
}

// Deploy runs deployment dep on the machine's device: it classifies the
// installed component against the package ([Classify]), checks the
// prerequisites ([CheckPrerequisites]), decides ([Decide], or [Repair]
// when asked for), fires the event on the client machine and walks the
// installer chain ([ChainTransitions]) inside the transition. The
// machine's device becomes what the run left. The error is also the
// Outcome's Err.
//
// A context already done returns its error before anything runs. A
// context that ends during the run stops the chain at the next step
// boundary: before DMClientSetup nothing changed; from DMClientSetup on the
// action is done, the transition commits and the device keeps it, but
// nothing further runs (no enrollment). Either way the outcome's state,
// steps and logs tell the same story, and the machine stays usable.
func (m *Machine) Deploy(ctx context.Context, dep Deployment) (Outcome, error) {
	if m.reentrant() {
		out := Outcome{Err: ErrBusy}
		return out, out.Err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// Drop the caller's context and the run's error, also after a panic.
	// The deployment and the outcome stay until the next run overwrites
	// them (at most one run's worth): a run copies and clears as little as
	// it can, since while the collector marks, every pointer written costs
	// a write barrier.
	defer func() { m.cur.ctx, m.cur.late, m.runner = nil, nil, 0 }()
	m.cur.sc.Deployment = dep
	out := m.run(ctx)
	if out.Transitioned() {
		dev := m.cur.sc.Device.after(&out, &dep)
		m.dmu.Lock()
		m.cur.sc.Device = dev
		m.dmu.Unlock()
	}
	return out, out.Err
}

// Run runs the scenario's deployment on its device, once, on a machine of
// its own, as a what-if: the same as [NewMachine] of sc.Device followed by
// [Machine.Deploy] of sc.Deployment. To run many scenarios, reuse one
// machine with [Machine.Restore] and [Machine.Deploy]: building a machine
// costs more than a run.
func Run(ctx context.Context, sc Scenario, opts Options) (Outcome, error) {
	m, err := NewMachine(sc.Device, opts)
	if err != nil {
		out := newOutcome(&sc)
		out.Err = err
		return out, err
	}
	return m.Deploy(ctx, sc.Deployment)
}

// reentrant reports whether the caller is an observer function of this
// machine during a run. It costs a goroutine id only while an observer
// function runs.
func (m *Machine) reentrant() bool {
	id := m.observer.Load()
	return id != 0 && id == goroutineID()
}

// goroutineID returns the id of the calling goroutine, from the first line
// of its stack trace ("goroutine 42 [running]:").
func goroutineID() uint64 {
	var buf [64]byte
	s := string(buf[:runtime.Stack(buf[:], false)])
	s = strings.TrimPrefix(s, "goroutine ")
	if i := strings.IndexByte(s, ' '); i > 0 {
		s = s[:i]
	}
	id, _ := strconv.ParseUint(s, 10, 64)
	return id
}

// observe runs f as the machine's observer: calls into the machine from
// it are re-entrant. The run's goroutine id is read at its first observer
// call only.
func (m *Machine) observe(f func()) {
	if m.runner == 0 {
		m.runner = goroutineID()
	}
	m.observer.Store(m.runner)
	defer m.observer.Store(0)
	f()
}

// run runs m.cur.sc and returns its outcome; the caller holds the
// machine. The outcome is built on the stack, and goes into the machine
// (m.cur.out) only for a run that fires an event, where the looplab
// callback reads it.
func (m *Machine) run(ctx context.Context) Outcome {
	sc := &m.cur.sc
	out := newOutcome(sc)
	if err := ctx.Err(); err != nil {
		out.Err = canceled(err)
		return out
	}
	if err := validate(sc); err != nil {
		out.Err = err
		return out
	}
	ev := sc.Event()
	out.Event = ev
	if err := missingPrerequisites(sc); err != nil {
		out.Err = err
		return out
	}
	if ev == NoAction {
		return out
	}
	to, ok := clientTo(ev, out.From)
	if !ok {
		out.Err = transitionError(ev, out.From)
		return out
	}
	m.cur.ctx, m.cur.out = ctx, out
	m.fire(ctx, ev, to)
	return m.cur.out
}

// fire fires ev on the client machine, whose before callback walks the
// installer chain, and completes m.cur.out for the transition to to.
func (m *Machine) fire(ctx context.Context, ev Event, to State) {
	sc, out := &m.cur.sc, &m.cur.out
	if m.client == nil {
		m.client = fsm.NewFSM(None.String(), clientEvents(), m.clientCallbacks())
	}
	m.client.SetState(out.From.String())
	now := time.Now
	if m.opts.Clock != nil {
		now = m.opts.Clock
	}
	m.cur.at = now().UTC().Truncate(time.Second)
	// looplab gets a context that is never canceled: v1.0.3 wedges for good
	// when the context it was given is done by the time it commits a
	// transition. The chain watches the caller's ctx instead.
	if err := m.client.Event(context.Background(), ev.String()); err != nil {
		if err = fireError(err, ev, out.From); err != nil {
			out.Err = err
			return
		}
	}
	out.To = to
	switch ev {
	case Install, Upgrade, Repair:
		out.After = sc.Deployment.Package.Version
	case Uninstall:
		out.After = version.Version{}
	}
	out.Downgrade = ev == Repair && out.From == Newer
	if m.opts.OnTransition != nil {
		m.observe(func() { m.opts.OnTransition(ctx, out.From, to, ev) })
	}
	out.Err = m.cur.late
}

// clientEvents converts the declared client table to looplab's form: one
// EventDesc per transition.
func clientEvents() fsm.Events {
	var evs fsm.Events
	for _, t := range ClientTransitions() {
		evs = append(evs, fsm.EventDesc{Name: t.Event.String(), Src: []string{t.From.String()}, Dst: t.To.String()})
	}
	return evs
}

// clientCallbacks returns one before_<event> callback per event of the
// table, named from Event.String so that no name can be misspelled: the
// installer chain runs there and cancels the transition when it fails
// before DMClientSetup.
func (m *Machine) clientCallbacks() fsm.Callbacks {
	cbs := fsm.Callbacks{}
	for _, row := range clientTable() {
		cbs["before_"+row.event.String()] = m.beforeEvent
	}
	return cbs
}

func (m *Machine) beforeEvent(_ context.Context, e *fsm.Event) {
	if err := m.runChain(&m.cur); err != nil {
		e.Cancel(err)
	}
}

// fireError translates the error of looplab's Event into the run's error:
// nil for an intended self-transition, the chain's error for a canceled
// transition, a [rejectedError] for a rejected event.
//
// looplab returns its errors as values, unwrapped: a type switch reads
// them without the allocations errors.As would make.
func fireError(err error, ev Event, from State) error {
	switch e := err.(type) {
	case fsm.NoTransitionError:
		if e.Err == nil {
			return nil // an intended self-transition (Reconfigure): success
		}
	case fsm.CanceledError:
		if e.Err != nil {
			return e.Err
		}
	case fsm.InvalidEventError:
		return transitionError(ev, from)
	}
	return errors.New("lifecycle: looplab/fsm: " + err.Error())
}

func newOutcome(sc *Scenario) Outcome {
	dev, dep := &sc.Device, &sc.Deployment
	s := sc.state()
	installed := dev.installed(dep.Component)
	o := Outcome{Device: dev.ID, From: s, To: s, Before: installed, After: installed}
	if dep.Component.valid() {
		o.Component = dep.Component
	}
	if dep.Method.valid() {
		o.Method = dep.Method
	}
	if dev.Platform.IsValid() {
		o.Platform = dev.Platform
	}
	return o
}

func canceled(err error) error { return errors.Join(errCanceled, err) }

// after returns the device as a run with outcome out, which made its
// transition, left it.
func (d Device) after(out *Outcome, dep *Deployment) Device {
	if dep.Component == PasswordProgram {
		d.PasswordProgram = out.After
		return d
	}
	d.Client = out.After
	switch {
	case out.Event == Uninstall:
		d.Settings = nil
	case out.Event == Install || out.Event == Repair:
		d.Settings = nil
		for _, e := range dep.Package.Settings.Unknown {
			d.Settings = append(d.Settings, Setting{Key: e.Key, Value: e.Value})
		}
	case len(out.Overwritten) > 0:
		d.Settings = slices.Clone(d.Settings)
		for i, s := range d.Settings {
			for _, o := range out.Overwritten {
				if strings.EqualFold(o.Key, s.Key) {
					d.Settings[i] = Setting{Key: s.Key, Value: o.New}
				}
			}
		}
	}
	if out.Enrollment == certs.Enrolled {
		d.Certificate = true
	}
	return d
}
