package diagram

import (
	"sync"

	"github.com/mobiledm/dmclient/lifecycle"
)

// Counts overlays a fleet on the diagrams: how many runs took each
// transition, as plain data that the caller counts, with [Counts.Add] of
// each outcome (a fleet run hands them over one by one: see
// [github.com/mobiledm/dmclient/lifecycle/fleet.Options].OnOutcome) or by
// hand. The keys are rows of the declared tables, exactly
// as [lifecycle.ClientTransitions] and [lifecycle.ChainTransitions] return
// them; a row that is not a key counts zero. [Write] reads the maps of the
// machine it draws: there a key that is not a row, or a negative count, is
// an error.
//
// Drawn, the first line of every label ends with its count in parentheses,
// and ", N failed" when Failed counts some. In DOT the line width grows
// with the count, from 1 for none to 5 for the largest count of the
// diagram; a transition no run took is gray, the label of a client
// transition that failed is red, and so is a chain transition into
// [lifecycle.Denied] that runs took.
type Counts struct {
	// Client counts the runs that made each client transition.
	Client map[lifecycle.Transition[lifecycle.State, lifecycle.Event]]int
	// Failed counts the runs that decided each client transition and did
	// not make it: a missing prerequisite, a refused or denied trust step,
	// a context that ended before DMClientSetup.
	Failed map[lifecycle.Transition[lifecycle.State, lifecycle.Event]]int
	// Chain counts the runs that took each transition of the installer
	// chain.
	Chain map[lifecycle.Transition[lifecycle.Step, string]]int
}

// The declared tables, read once: never modified nor handed out.
var (
	clientRows = sync.OnceValue(lifecycle.ClientTransitions)
	chainRows  = sync.OnceValue(lifecycle.ChainTransitions)
)

// Add counts the outcome of one run: its client transition (the row of
// o.Event from o.From) in Client when the run made it
// ([lifecycle.Outcome.Transitioned]) and in Failed when it did not, and the
// transition between each two consecutive steps of o.Steps in Chain. An
// outcome that decided no action, or an event the table does not have from
// its From state (a repair where nothing is installed), adds no client
// transition; two consecutive steps that are no row add nothing.
//
// Modelling choice: a run that failed counts against the transition it
// decided, whether it failed before the installer chain (a missing
// prerequisite) or in it (a refused or denied trust step). Add counts an
// outcome whatever its component: the password program's states and
// events are the client's ([lifecycle.PasswordProgram] follows the same
// table), so a caller that draws one component's fleet adds the outcomes
// of that component only.
func (c *Counts) Add(o lifecycle.Outcome) {
	for _, r := range clientRows() {
		if r.From != o.From || r.Event != o.Event {
			continue
		}
		if o.Transitioned() {
			c.Client = increment(c.Client, r)
		} else {
			c.Failed = increment(c.Failed, r)
		}
		break
	}
	for i := 1; i < len(o.Steps); i++ {
		for _, r := range chainRows() {
			if r.From == o.Steps[i-1] && r.To == o.Steps[i] {
				c.Chain = increment(c.Chain, r)
				break
			}
		}
	}
}

// increment adds one to m[k], making m if it is nil.
func increment[K comparable](m map[K]int, k K) map[K]int {
	if m == nil {
		m = make(map[K]int)
	}
	m[k]++
	return m
}
