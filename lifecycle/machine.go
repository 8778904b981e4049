package lifecycle

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/looplab/fsm"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/version"
)

// ErrInvalidTransition is wrapped by every [*TransitionError].
var ErrInvalidTransition = errors.New("lifecycle: event not permitted in this state")

// TransitionError reports an event the client machine does not permit from
// its current state, such as a repair where no client is installed.
type TransitionError struct {
	Event Event
	State State
}

// Error returns a message naming the event and the state.
func (e *TransitionError) Error() string {
	return "lifecycle: event " + e.Event.String() + " not permitted in state " + e.State.String()
}

// Unwrap returns [ErrInvalidTransition].
func (e *TransitionError) Unwrap() error { return ErrInvalidTransition }

// errCanceled marks a context error returned by a run, so that [classify]
// tells it from other failures; errors.Is(err, context.Canceled) (or
// DeadlineExceeded) still holds.
var errCanceled = errors.New("lifecycle: run canceled")

// Observer sees every transition of both machines as it happens. Its
// methods run on the goroutine of the run, while the machine is busy: they
// must not call [Machine.Deploy] or [Machine.Fire] on the machine they
// observe ([Machine.State] is fine).
type Observer interface {
	// Transition is called after the client machine moved from one state
	// to another (or to itself) by event e.
	Transition(ctx context.Context, from, to State, e Event)
	// Step is called after the installer chain moved by event e.
	Step(ctx context.Context, from, to Step, e ChainEvent)
}

// ObserverFuncs adapts two functions to an [Observer]; a nil function is
// not called.
type ObserverFuncs struct {
	OnTransition func(ctx context.Context, from, to State, e Event)
	OnStep       func(ctx context.Context, from, to Step, e ChainEvent)
}

// Transition calls f.OnTransition if it is not nil.
func (f ObserverFuncs) Transition(ctx context.Context, from, to State, e Event) {
	if f.OnTransition != nil {
		f.OnTransition(ctx, from, to, e)
	}
}

// Step calls f.OnStep if it is not nil.
func (f ObserverFuncs) Step(ctx context.Context, from, to Step, e ChainEvent) {
	if f.OnStep != nil {
		f.OnStep(ctx, from, to, e)
	}
}

// Option configures a [Machine].
type Option func(*Machine)

// WithObserver makes o see every transition of the machine.
func WithObserver(o Observer) Option { return func(m *Machine) { m.obs = o } }

// WithClock makes the machine read the time from now instead of time.Now:
// the time stamps its log files. Use a fixed clock for reproducible
// outcomes.
func WithClock(now func() time.Time) Option { return func(m *Machine) { m.now = now } }

// Machine is the client machine of one device, backed by a
// github.com/looplab/fsm machine built from [ClientTransitions], with the
// installer chain, a second looplab machine built from [ChainTransitions],
// running inside every transition.
//
// A Machine is safe for concurrent use: runs are serialised. It shields its
// users from looplab/fsm v1.0.3's defects: a context already done is
// reported before looplab sees it (so the machine never wedges); looplab
// callbacks never call back into a looplab machine; callback names are
// generated from the table; a self-transition ([Reconfigure]) counts as
// success; a rejected event is a [*TransitionError].
type Machine struct {
	mu     sync.Mutex // serialises runs
	state  atomic.Uint32
	client *fsm.FSM
	chain  *fsm.FSM
	obs    Observer
	now    func() time.Time

	// cur is the run in progress, read by the looplab callback. It holds
	// the caller's context for the duration of one run only, because
	// looplab gets a context that cannot be canceled (see fire).
	cur run

	// lines caches the platform-specific DMInstaller log lines, built the
	// first time the machine meets a platform.
	lines [8]*installerLines

	// clientTo and chainTo are the declared tables' destinations, indexed
	// by event and source: what looplab moved to, without asking looplab
	// (whose every read takes a lock).
	clientTo [8][4]State
	chainTo  [8][8]Step
}

// run is the scratch of one run.
type run struct {
	ctx   context.Context
	sc    Scenario
	event Event
	at    time.Time
	out   Outcome
}

// installerLines are the lines DMInstaller_<token>.exe writes about itself.
type installerLines struct {
	started, called, exited, refused, stopped string
}

func (m *Machine) installerLines(p certs.Platform) *installerLines {
	if int(p) >= len(m.lines) {
		return &installerLines{}
	}
	if l := m.lines[p]; l != nil {
		return l
	}
	installer, setup := p.InstallerName(), p.SetupName()
	l := &installerLines{
		started: installer + " started.",
		called:  installer + " called " + setup + ".",
		exited:  setup + " exited with success.",
		refused: installer + " could not run: the device does not trust its Mobile2Market signature.",
		stopped: installer + " exited without calling " + setup + ".",
	}
	m.lines[p] = l
	return l
}

// NewMachine returns the client machine of a device in state initial, such
// as a state restored from a tool's own storage.
func NewMachine(initial State, opts ...Option) (*Machine, error) {
	if !initial.IsValid() {
		return nil, &InputError{Field: "initial State", Value: initial.String()}
	}
	m := &Machine{now: time.Now}
	for _, opt := range opts {
		opt(m)
	}
	m.client = fsm.NewFSM(initial.String(), clientEvents(), m.clientCallbacks())
	m.chain = fsm.NewFSM(Staged.String(), chainEvents(), nil)
	for _, t := range ClientTransitions() {
		m.clientTo[t.Event][t.From] = t.To
	}
	for _, t := range ChainTransitions() {
		m.chainTo[t.Event][t.From] = t.To
	}
	m.state.Store(uint32(initial))
	return m, nil
}

// clientEvents converts the declared client table to looplab's form: one
// EventDesc per (event, from) pair, since a self-transition's destination
// depends on its source.
func clientEvents() fsm.Events {
	var evs fsm.Events
	for _, t := range ClientTransitions() {
		evs = append(evs, fsm.EventDesc{Name: t.Event.String(), Src: []string{t.From.String()}, Dst: t.To.String()})
	}
	return evs
}

func chainEvents() fsm.Events {
	var evs fsm.Events
	for _, t := range ChainTransitions() {
		evs = append(evs, fsm.EventDesc{Name: t.Event.String(), Src: []string{t.From.String()}, Dst: t.To.String()})
	}
	return evs
}

// clientCallbacks returns one before_<event> callback per event of the
// table, named from Event.String so that no name can be misspelled: the
// installer chain runs there and cancels the transition when it fails.
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

// State returns the machine's current state. It never blocks, so an
// [Observer] may call it.
func (m *Machine) State() State { return State(m.state.Load()) }

// Restore moves the machine to state s without running anything, as when a
// tool restores a device it stored, or when a new package changes how the
// installed client compares with the deployed one.
func (m *Machine) Restore(s State) error {
	if !s.IsValid() {
		return &InputError{Field: "State", Value: s.String()}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.restore(s)
	return nil
}

func (m *Machine) restore(s State) {
	if m.State() == s {
		return // the machine only changes state under m.mu, which the caller holds
	}
	m.client.SetState(s.String())
	m.state.Store(uint32(s))
}

// Deploy runs the deployment sc describes: it moves the machine to the
// device's state at connection time ([Scenario.State]), checks the
// prerequisites ([CheckPrerequisites]), fires [Scenario.Event] and runs the
// installer chain inside the transition. The error is also the Outcome's
// Err.
//
// A context already done returns its error before anything runs and leaves
// the machine usable; a context that ends during the run cancels the
// transition at the next chain step.
func (m *Machine) Deploy(ctx context.Context, sc Scenario) (Outcome, error) {
	return m.do(ctx, sc, 0, true)
}

// Fire fires event ev from the machine's current state, with the device,
// package and site of sc for the installer chain, as a tool does that forces
// an action. Prerequisites are checked as in [Machine.Deploy]; an event the
// table does not permit from the current state returns a [*TransitionError]
// and changes nothing.
func (m *Machine) Fire(ctx context.Context, ev Event, sc Scenario) (Outcome, error) {
	if !ev.IsValid() {
		err := &InputError{Field: "Event", Value: ev.String()}
		out := newOutcome(sc, m.State())
		return out.fail(err)
	}
	return m.do(ctx, sc, ev, false)
}

func (m *Machine) do(ctx context.Context, sc Scenario, ev Event, deploy bool) (Outcome, error) {
	if err := ctx.Err(); err != nil {
		s := m.State()
		if deploy {
			s = sc.State()
		}
		out := newOutcome(sc, s)
		return out.fail(canceled(err))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if deploy {
		// The device's state at connection time: a new package changes how
		// the installed client compares without any event.
		m.restore(sc.State())
	}
	out := newOutcome(sc, m.State())
	if err := CheckPrerequisites(sc); err != nil {
		failure := FailurePrerequisites
		if errors.Is(err, ErrInvalidInput) {
			failure = FailureInput
		}
		out.Failure = failure
		out.Err = err
		return out, err
	}
	if deploy {
		ev = sc.Event()
	}
	out.Event = ev
	if ev == NoAction {
		return out, nil
	}
	m.cur = run{ctx: ctx, sc: sc, event: ev, at: m.now().UTC().Truncate(time.Second), out: out}
	res, err := m.fire(&m.cur)
	m.cur = run{}
	return res, err
}

func newOutcome(sc Scenario, s State) Outcome {
	return Outcome{
		Device: sc.Device.ID, Component: sc.Component, Method: sc.Method, Platform: sc.Device.Platform,
		From: s, To: s, Before: sc.Device.Installed, After: sc.Device.Installed,
	}
}

func (o *Outcome) fail(err error) (Outcome, error) {
	o.Err = err
	o.Failure = classify(err)
	return *o, err
}

func canceled(err error) error { return errors.Join(errCanceled, err) }

// fire runs r's event on the looplab client machine with the chain in its
// before_ callback.
func (m *Machine) fire(r *run) (Outcome, error) {
	ctx, sc, ev, out := r.ctx, r.sc, r.event, &r.out
	from := out.From
	// looplab gets a context that is never canceled: v1.0.3 wedges for good
	// when the context it was given is done by the time it commits a
	// transition. The chain watches the caller's ctx instead.
	err := m.client.Event(context.Background(), ev.String())
	if nt, ok := err.(fsm.NoTransitionError); ok && nt.Err == nil {
		err = nil // an intended self-transition (Reconfigure): success
	}
	if err != nil {
		if ferr := fireError(err, ev, from); ferr != nil {
			return out.fail(ferr)
		}
	}
	to := m.clientTo[ev][from]
	m.state.Store(uint32(to))
	out.To = to
	switch ev {
	case Install, Upgrade, Repair:
		out.After = sc.Package.Version
	case Uninstall:
		out.After = version.Version{}
	}
	out.Downgrade = ev == Repair && from == Newer
	if m.obs != nil {
		m.obs.Transition(ctx, from, to, ev)
	}
	if out.Enrollment.IsValid() {
		if eerr := out.Enrollment.Err(); eerr != nil {
			return out.fail(eerr)
		}
	}
	return *out, nil
}

// fireError translates the error of looplab's Event into the run's error:
// nil for an intended self-transition, the chain's error for a canceled
// transition, a [*TransitionError] for a rejected event. It is apart from
// fire so that its errors.As targets cost nothing on the success path.
func fireError(err error, ev Event, from State) error {
	var (
		noTransition fsm.NoTransitionError
		canceledErr  fsm.CanceledError
		invalid      fsm.InvalidEventError
	)
	switch {
	case errors.As(err, &noTransition) && noTransition.Err == nil:
		return nil // an intended self-transition (Reconfigure): success
	case errors.As(err, &canceledErr) && canceledErr.Err != nil:
		return canceledErr.Err
	case errors.As(err, &invalid):
		return &TransitionError{Event: ev, State: from}
	}
	return errors.New("lifecycle: looplab/fsm: " + err.Error())
}

// step fires chain event e and records the step.
func (m *Machine) step(r *run, e ChainEvent) error {
	from := r.out.Steps[len(r.out.Steps)-1]
	if err := r.ctx.Err(); err != nil {
		return canceled(err)
	}
	if err := m.chain.Event(context.Background(), e.String()); err != nil {
		return errors.New("lifecycle: installer chain: " + err.Error())
	}
	to := m.chainTo[e][from]
	r.out.Steps = append(r.out.Steps, to)
	if m.obs != nil {
		m.obs.Step(r.ctx, from, to, e)
	}
	return nil
}

// runBuffer is the backing store of one run's outcome slices: at most five
// steps (staged, dminstaller, dmclientsetup, enrollment, done), four logs and
// seven log lines.
type runBuffer struct {
	steps [5]Step
	logs  [4]LogFile
	lines [7]string
}

// runChain runs the installer chain for r: DMInstaller, the trust step
// (certs.EstablishTrust), DMClientSetup, enrollment when CertEnrollAction=
// Enroll, done; or denied. It returns an error only when the transition
// must be canceled.
func (m *Machine) runChain(r *run) error {
	sc, out := r.sc, &r.out
	dev := sc.Device
	m.chain.SetState(Staged.String())
	// One allocation holds the steps, logs and log lines of the run; the
	// outcome's slices are capped windows of it, so appending to one never
	// writes into another.
	buf := new(runBuffer)
	out.Steps = append(buf.steps[:0:len(buf.steps)], Staged)

	trust, terr := certs.EstablishTrust(dev.Platform, dev.Security)
	il := m.installerLines(dev.Platform)
	if !trust.InstallerRan {
		if err := m.step(r, Refuse); err != nil {
			return err
		}
		m.deny(r, trust, terr, append(buf.lines[:0:len(buf.lines)], il.refused, trust.LogLine), buf)
		return terr
	}
	if err := m.step(r, RunInstaller); err != nil {
		return err
	}
	if terr != nil {
		if err := m.step(r, Deny); err != nil {
			return err
		}
		m.deny(r, trust, terr, append(buf.lines[:0:len(buf.lines)], il.started, trust.LogLine, il.stopped), buf)
		return terr
	}
	if err := m.step(r, Trust); err != nil {
		return err
	}
	out.Authenticode = trust.Installed
	trustLine := "Microsoft Authenticode certificate installed in the privileged execution and SPC stores."
	if trust.Exempt {
		trustLine = "Code signing does not apply to this platform."
	}
	enroll := sc.Component == Client && r.event != Uninstall && sc.Package.Settings.Enroll()
	service := sc.Component == Client && r.event != Uninstall
	lines := append(buf.lines[:0:len(buf.lines)], il.started, trustLine, il.called, il.exited, setupLine(sc.Component, r.event))
	out.Logs = append(buf.logs[:0:len(buf.logs)],
		LogFile{Kind: DMInstallerLog, Time: r.at, Lines: lines[0:4:4]},
		LogFile{Kind: DMClientSetupLog, Time: r.at, Lines: lines[4:5:5]})
	if r.event != Uninstall {
		out.Overwritten = overwrites(sc, out.From)
	}
	if service {
		lines = append(lines, "Device management service started.")
		out.Logs = append(out.Logs, LogFile{Kind: DMSvcLog, Time: r.at, Lines: lines[5:6:6]})
	}
	if enroll {
		if err := m.step(r, Enroll); err != nil {
			return err
		}
		res, _ := certs.Enroll(dev.Enrollment)
		out.Enrollment = res
		if res.WritesLog() {
			lines = append(lines, enrollLine(res))
			out.Logs = append(out.Logs, LogFile{Kind: DMCertEnrollLog, Time: r.at, Lines: lines[len(lines)-1:]})
		}
	}
	return m.step(r, Finish)
}

// deny records a failed trust step: the DMInstaller log with the Access
// Denied line, and the status message when the device is connected through
// a managed client computer.
func (m *Machine) deny(r *run, trust certs.TrustResult, terr error, lines []string, buf *runBuffer) {
	out, dev := &r.out, r.sc.Device
	if trust.LogLine != "" {
		out.Logs = append(buf.logs[:0:1], LogFile{Kind: DMInstallerLog, Time: r.at, Lines: lines})
	}
	if dev.Connection == ViaManagedComputer {
		out.Status = &StatusMessage{Device: dev.ID, HRESULT: certs.EAccessDenied, Text: terr.Error()}
	}
}

// setupLine is what DMClientSetup writes about the action it ran.
func setupLine(c Component, ev Event) string {
	if c == PasswordProgram {
		switch ev {
		case Install:
			return "Installed the password program."
		case Upgrade:
			return "Upgraded the password program to the deployed version."
		case Reconfigure:
			return "Reconfigured the password program settings."
		case Uninstall:
			return "Removed the password program."
		case Repair:
			return "Repaired the password program: removed it, then installed the deployed version."
		}
		return ""
	}
	switch ev {
	case Install:
		return "Installed the client."
	case Upgrade:
		return "Upgraded the client to the deployed version."
	case Reconfigure:
		return "Reconfigured the client settings."
	case Uninstall:
		return "Removed the client."
	case Repair:
		return "Repaired the client: removed it, then installed the deployed version."
	}
	return ""
}

// enrollLine is what the enrollment writes to the DMCertEnroll log.
func enrollLine(r certs.EnrollmentResult) string {
	switch r {
	case certs.Enrolled:
		return "User authentication certificate enrolled."
	case certs.CAUnreachable:
		return "Certificate enrollment failed: the certification authority is unreachable."
	case certs.AuthenticationFailed:
		return "Certificate enrollment failed: authentication to the certification authority failed."
	}
	return ""
}

// overwrites lists the device's settings that the package's configuration
// replaces, sorted by key. Keys compare case-insensitively, as .ini keys do;
// a device without a client has no settings to overwrite.
func overwrites(sc Scenario, from State) []Overwrite {
	if !from.HasClient() || len(sc.Device.Settings) == 0 {
		return nil
	}
	var ow []Overwrite
	pairs := sc.Package.Settings.Pairs()
	for _, s := range sc.Device.Settings {
		for _, p := range pairs {
			if strings.EqualFold(p.Key, s.Key) {
				if p.Value != s.Value {
					ow = append(ow, Overwrite{Key: s.Key, Old: s.Value, New: p.Value, UserChanged: s.UserChanged})
				}
				break
			}
		}
	}
	slices.SortFunc(ow, func(a, b Overwrite) int { return strings.Compare(a.Key, b.Key) })
	return ow
}
