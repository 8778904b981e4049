package policy

import (
	"cmp"
	"slices"

	"github.com/mobiledm/dmclient/lifecycle"
)

// ShortestClientPaths returns, for every state of the client machine
// reachable from from, a shortest path to it through
// [lifecycle.ClientTransitions]: a test path in the XState sense. Among
// paths of the same length it is the one whose transitions sort first
// (from-state, event, to-state). The path to from itself is empty.
//
// Older and newer are reached only from themselves: a client becomes older
// or newer when a package of another version arrives, never by an event.
func ShortestClientPaths(from lifecycle.State) map[lifecycle.State][]lifecycle.Transition[lifecycle.State, lifecycle.Event] {
	return shortest(lifecycle.ClientTransitions(), from)
}

// ShortestChainPaths returns, for every step of the installer chain, a
// shortest path to it from [lifecycle.Staged] through
// [lifecycle.ChainTransitions], chosen as [ShortestClientPaths] chooses.
func ShortestChainPaths() map[lifecycle.Step][]lifecycle.Transition[lifecycle.Step, string] {
	return shortest(lifecycle.ChainTransitions(), lifecycle.Staged)
}

// ClientCover returns a set of test paths from from that together take
// every transition of [lifecycle.ClientTransitions] reachable from it at
// least once: each path is a shortest path to a transition's source
// followed by the transition. The longest are chosen first and a path whose
// transitions the others already take is left out, so the set stays small.
// The paths come sorted transition by transition (from-state, event,
// to-state).
func ClientCover(from lifecycle.State) [][]lifecycle.Transition[lifecycle.State, lifecycle.Event] {
	return cover(lifecycle.ClientTransitions(), from)
}

// ChainCover returns a set of test paths from [lifecycle.Staged] that
// together take every transition of [lifecycle.ChainTransitions], chosen
// and sorted as [ClientCover] does.
func ChainCover() [][]lifecycle.Transition[lifecycle.Step, string] {
	return cover(lifecycle.ChainTransitions(), lifecycle.Staged)
}

func shortest[S, E cmp.Ordered](table []lifecycle.Transition[S, E], start S) map[S][]lifecycle.Transition[S, E] {
	sorted := sortedTable(table)
	paths := map[S][]lifecycle.Transition[S, E]{start: nil}
	frontier := []S{start}
	for len(frontier) > 0 {
		var next []S
		for _, s := range frontier {
			for _, t := range sorted {
				if t.From != s {
					continue
				}
				if _, seen := paths[t.To]; seen {
					continue
				}
				paths[t.To] = append(slices.Clone(paths[s]), t)
				next = append(next, t.To)
			}
		}
		slices.Sort(next)
		frontier = next
	}
	return paths
}

func cover[S, E cmp.Ordered](table []lifecycle.Transition[S, E], start S) [][]lifecycle.Transition[S, E] {
	sorted := sortedTable(table)
	paths := shortest(sorted, start)
	var candidates [][]lifecycle.Transition[S, E]
	for _, t := range sorted {
		if prefix, ok := paths[t.From]; ok {
			candidates = append(candidates, append(slices.Clone(prefix), t))
		}
	}
	slices.SortStableFunc(candidates, func(a, b []lifecycle.Transition[S, E]) int { return cmp.Compare(len(b), len(a)) })
	taken := map[lifecycle.Transition[S, E]]bool{}
	var set [][]lifecycle.Transition[S, E]
	for _, p := range candidates {
		if !slices.ContainsFunc(p, func(t lifecycle.Transition[S, E]) bool { return !taken[t] }) {
			continue
		}
		for _, t := range p {
			taken[t] = true
		}
		set = append(set, p)
	}
	slices.SortFunc(set, func(a, b []lifecycle.Transition[S, E]) int {
		return slices.CompareFunc(a, b, compareTransitions[S, E])
	})
	return set
}

func compareTransitions[S, E cmp.Ordered](a, b lifecycle.Transition[S, E]) int {
	return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.Event, b.Event), cmp.Compare(a.To, b.To))
}

func sortedTable[S, E cmp.Ordered](table []lifecycle.Transition[S, E]) []lifecycle.Transition[S, E] {
	out := slices.Clone(table)
	slices.SortFunc(out, compareTransitions[S, E])
	return out
}
