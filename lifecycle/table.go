package lifecycle

import (
	"cmp"
	"slices"
	"strings"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/enum"
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
// and where it goes; self marks a self-transition (to is then ignored).
type clientRow struct {
	event Event
	from  []State
	to    State
	self  bool
}

// clientTable is the single source of truth for the client machine: the
// looplab machine, the diagrams and the checks are all built from it.
func clientTable() [5]clientRow {
	some := []State{Older, Same, Newer}
	return [5]clientRow{
		{event: Install, from: []State{None}, to: Same},
		{event: Upgrade, from: []State{Older}, to: Same},
		{event: Reconfigure, from: some, self: true},
		{event: Uninstall, from: some, to: None},
		{event: Repair, from: some, to: Same},
	}
}

// clientTo returns where event ev takes the client machine from state
// from, and whether the table permits ev from there.
func clientTo(ev Event, from State) (State, bool) {
	for _, row := range clientTable() {
		if row.event != ev || !slices.Contains(row.from, from) {
			continue
		}
		if row.self {
			return from, true
		}
		return row.to, true
	}
	return from, false
}

// ClientTransitions returns every transition of the client machine, sorted
// by event, then from-state. Each guard says when the transition fires; for
// the events [Decide] chooses, it is derived from [Decide] itself.
func ClientTransitions() []Transition[State, Event] {
	var ts []Transition[State, Event]
	for _, row := range clientTable() {
		for _, from := range row.from {
			to, _ := clientTo(row.event, from)
			ts = append(ts, Transition[State, Event]{Event: row.event, From: from, To: to, Guard: clientGuard(row.event, from)})
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
	return "ClientInstallAction=" + strings.Join(actions, " or ")
}

// Step is a state of the installer chain, the second machine: what runs on
// the device during every transition of the client machine. The zero Step
// is invalid.
type Step uint8

// The steps of the installer chain.
const (
	// Staged: the installation files are on the device.
	Staged Step = iota + 1
	// DMInstaller: DMInstaller_[platform].exe is running.
	DMInstaller
	// DMClientSetup: the trust step succeeded and
	// DMClientSetup_[platform].exe ran the action. The client transition
	// commits here: from this step on, the device holds what the action
	// left.
	DMClientSetup
	// Enrollment: certificate enrollment ran.
	Enrollment
	// Done: the chain completed.
	Done
	// Denied: the trust step failed; DMClientSetup never ran.
	Denied
)

var stepNames = enum.Names{Pkg: "lifecycle", Type: "Step", First: uint8(Staged),
	List: []string{"staged", "dminstaller", "dmclientsetup", "enrollment", "done", "denied"}, Err: ErrInvalidInput}

// String returns "staged", "dminstaller", "dmclientsetup", "enrollment",
// "done" or "denied".
func (s Step) String() string { return stepNames.Name(uint8(s)) }

// MarshalText implements encoding.TextMarshaler; an invalid Step is an
// error.
func (s Step) MarshalText() ([]byte, error) { return stepNames.Marshal(uint8(s)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case.
func (s *Step) UnmarshalText(text []byte) error { return enum.Unmarshal(&stepNames, text, s) }

// chainTable is the single source of truth for the installer chain: the
// runs walk it (see chainStep), and the diagrams and checks are built from
// it.
func chainTable() [7]Transition[Step, string] {
	return [7]Transition[Step, string]{
		{chainRunInstaller, Staged, DMInstaller, "device trusts Mobile2Market, or platform exempt from signing"},
		{chainRefuse, Staged, Denied, "device does not trust Mobile2Market"},
		{chainTrust, DMInstaller, DMClientSetup, "Authenticode certificate installed (unlocked device), or platform exempt"},
		{chainDeny, DMInstaller, Denied, "privileges restricted: Access Denied (0x80070005)"},
		{chainEnroll, DMClientSetup, Enrollment, "client remains, CertEnrollAction=Enroll, and no valid certificate (or renewal asked for)"},
		{chainFinish, DMClientSetup, Done, "no enrollment"},
		{chainFinish, Enrollment, Done, "enrollment ran"},
	}
}

// The events of the installer chain, as its table names them.
const (
	chainRunInstaller = "run installer" // DMInstaller starts
	chainRefuse       = "refuse"        // DMInstaller cannot run
	chainTrust        = "trust"         // the trust step succeeded; DMInstaller calls DMClientSetup
	chainDeny         = "deny"          // the trust step failed: Access Denied
	chainEnroll       = "enroll"        // certificate enrollment runs
	chainFinish       = "finish"        // the chain completes
)

// chainTo returns where chain event e takes the chain from step from, and
// whether the table has that transition.
func chainTo(e string, from Step) (Step, bool) {
	for _, t := range chainTable() {
		if t.Event == e && t.From == from {
			return t.To, true
		}
	}
	return from, false
}

// ChainTransitions returns every transition of the installer chain, in
// the order the chain runs: by from-step, then by to-step. Its events are
// named: "run installer" (DMInstaller starts), "refuse" (the device does
// not trust Mobile2Market and DMInstaller cannot run), "trust" (the trust
// step succeeded and DMInstaller calls DMClientSetup), "deny" (Access
// Denied), "enroll" (certificate enrollment runs) and "finish".
func ChainTransitions() []Transition[Step, string] {
	t := chainTable()
	ts := t[:]
	slices.SortFunc(ts, func(a, b Transition[Step, string]) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	return ts
}
