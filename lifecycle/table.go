package lifecycle

import (
	"cmp"
	"slices"
	"strings"

	"github.com/mobiledm/dmclient/ini"
)

// Transition is one row of a declared transition table: an event that takes
// a machine from one state to another, and the guard that makes it fire.
// The client machine's rows are [ClientTransitions]; the installer chain's
// rows are [ChainTransitions].
type Transition[S, E any] struct {
	Event E      `json:"event"`
	From  S      `json:"from"`
	To    S      `json:"to"`
	Guard string `json:"guard"`
}

// clientRow declares one event of the client machine: the states it leaves
// and where it goes. to == from for a self-transition.
type clientRow struct {
	event Event
	from  []State
	to    func(from State) State
}

func to(s State) func(State) State { return func(State) State { return s } }
func itself(from State) State      { return from }

// clientTable is the single source of truth for the client machine: the
// looplab machine, the diagrams and the checks are all built from it.
func clientTable() []clientRow {
	return []clientRow{
		{Install, []State{None}, to(Same)},
		{Upgrade, []State{Older}, to(Same)},
		{Reconfigure, []State{Older, Same, Newer}, itself},
		{Uninstall, []State{Older, Same, Newer}, to(None)},
		{Repair, []State{Older, Same, Newer}, to(Same)},
	}
}

// ClientTransitions returns every transition of the client machine, sorted
// by event, then from-state. Each guard says when the transition fires; for
// the events [Decide] chooses, it is derived from [Decide] itself.
func ClientTransitions() []Transition[State, Event] {
	var ts []Transition[State, Event]
	for _, row := range clientTable() {
		for _, from := range row.from {
			ts = append(ts, Transition[State, Event]{Event: row.event, From: from, To: row.to(from), Guard: clientGuard(row.event, from)})
		}
	}
	slices.SortFunc(ts, func(a, b Transition[State, Event]) int {
		return cmp.Or(cmp.Compare(a.Event, b.Event), cmp.Compare(a.From, b.From))
	})
	return ts
}

// clientGuard describes when event fires from state from: the
// ClientInstallAction values for which Decide chooses it, or the repair
// request.
func clientGuard(event Event, from State) string {
	if event == Repair {
		return "repair requested (client damaged)"
	}
	var actions []string
	for _, a := range ini.Actions() {
		if Decide(from, a) == event {
			actions = append(actions, a.String())
		}
	}
	return "ClientInstallAction=" + strings.Join(actions, "|")
}

// clientTransition returns the declared transition of event ev from state
// from, if the table has one.
func clientTransition(ev Event, from State) (Transition[State, Event], bool) {
	for _, t := range ClientTransitions() {
		if t.Event == ev && t.From == from {
			return t, true
		}
	}
	return Transition[State, Event]{}, false
}

// Step is a state of the installer chain, the second machine: what runs on
// the device during every transition of the client machine. The zero Step
// is invalid.
type Step uint8

// The steps, in the order [Steps] returns them.
const (
	// Staged: the installation files are on the device.
	Staged Step = iota + 1
	// Installer: DMInstaller_[platform].exe is running.
	Installer
	// Setup: the trust step succeeded and DMClientSetup_[platform].exe ran
	// the action.
	Setup
	// Enrollment: certificate enrollment ran (CertEnrollAction=Enroll).
	Enrollment
	// Done: the chain completed.
	Done
	// Denied: the trust step failed; DMClientSetup never ran.
	Denied
)

var stepNames = names{typ: "Step", first: uint8(Staged),
	list: []string{"staged", "dminstaller", "dmclientsetup", "enrollment", "done", "denied"}}

// Steps returns every Step.
func Steps() []Step { return []Step{Staged, Installer, Setup, Enrollment, Done, Denied} }

// String returns "staged", "dminstaller", "dmclientsetup", "enrollment",
// "done" or "denied".
func (s Step) String() string { return stepNames.name(uint8(s)) }

// IsValid reports whether s is one of [Steps].
func (s Step) IsValid() bool { return stepNames.valid(uint8(s)) }

// ParseStep returns the Step named s (case-insensitive).
func ParseStep(s string) (Step, error) {
	v, err := stepNames.parse(s)
	return Step(v), err
}

// MarshalText implements encoding.TextMarshaler.
func (s Step) MarshalText() ([]byte, error) { return stepNames.marshal(uint8(s)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Step) UnmarshalText(text []byte) error { return unmarshalText(&stepNames, text, s) }

// ChainEvent is a transition of the installer chain. The zero ChainEvent is
// invalid.
type ChainEvent uint8

// The chain events, in the order [ChainEvents] returns them.
const (
	// RunInstaller: the staged DMInstaller starts (the device trusts its
	// Mobile2Market signature, or the platform is exempt from signing).
	RunInstaller ChainEvent = iota + 1
	// Refuse: the device does not trust Mobile2Market; DMInstaller cannot
	// run at all.
	Refuse
	// Trust: the trust step succeeded (Authenticode certificate installed,
	// or exempt platform) and DMInstaller calls DMClientSetup.
	Trust
	// Deny: the trust step failed with Access Denied.
	Deny
	// Enroll: DMClientSetup finished and certificate enrollment runs.
	Enroll
	// Finish: the chain completes.
	Finish
)

var chainEventNames = names{typ: "ChainEvent", first: uint8(RunInstaller),
	list: []string{"run_installer", "refuse", "trust", "deny", "enroll", "finish"}}

// ChainEvents returns every ChainEvent.
func ChainEvents() []ChainEvent {
	return []ChainEvent{RunInstaller, Refuse, Trust, Deny, Enroll, Finish}
}

// String returns the event's name, such as "run_installer".
func (e ChainEvent) String() string { return chainEventNames.name(uint8(e)) }

// IsValid reports whether e is one of [ChainEvents].
func (e ChainEvent) IsValid() bool { return chainEventNames.valid(uint8(e)) }

// ParseChainEvent returns the ChainEvent named s (case-insensitive).
func ParseChainEvent(s string) (ChainEvent, error) {
	v, err := chainEventNames.parse(s)
	return ChainEvent(v), err
}

// MarshalText implements encoding.TextMarshaler.
func (e ChainEvent) MarshalText() ([]byte, error) { return chainEventNames.marshal(uint8(e)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (e *ChainEvent) UnmarshalText(text []byte) error {
	return unmarshalText(&chainEventNames, text, e)
}

// chainTable is the single source of truth for the installer chain.
func chainTable() []Transition[Step, ChainEvent] {
	return []Transition[Step, ChainEvent]{
		{RunInstaller, Staged, Installer, "device trusts Mobile2Market, or platform exempt from signing"},
		{Refuse, Staged, Denied, "device does not trust Mobile2Market"},
		{Trust, Installer, Setup, "Authenticode certificate installed (unlocked device), or platform exempt"},
		{Deny, Installer, Denied, "privileges restricted: Access Denied (0x80070005)"},
		{Enroll, Setup, Enrollment, "CertEnrollAction=Enroll and a client remains"},
		{Finish, Setup, Done, "no enrollment"},
		{Finish, Enrollment, Done, "enrollment ran"},
	}
}

// chainTransition returns the declared transition of the installer chain
// from step from to step to, if the table has one (there is at most one).
func chainTransition(from, to Step) (Transition[Step, ChainEvent], bool) {
	for _, t := range chainTable() {
		if t.From == from && t.To == to {
			return t, true
		}
	}
	return Transition[Step, ChainEvent]{}, false
}

// ChainTransitions returns every transition of the installer chain, sorted
// by event, then from-step.
func ChainTransitions() []Transition[Step, ChainEvent] {
	ts := chainTable()
	slices.SortFunc(ts, func(a, b Transition[Step, ChainEvent]) int {
		return cmp.Or(cmp.Compare(a.Event, b.Event), cmp.Compare(a.From, b.From))
	})
	return ts
}
