package lifecycle

import (
	"cmp"
	"slices"
)

// TestPath is a sequence of transitions from a machine's start state, each
// starting where the one before ended: a test path in the XState sense.
type TestPath[S, E cmp.Ordered] []Transition[S, E]

// End returns the state the path ends in, or start for an empty path.
func (p TestPath[S, E]) End(start S) S {
	if len(p) == 0 {
		return start
	}
	return p[len(p)-1].To
}

// ShortestPaths returns, for every state reachable from start in table, a
// shortest path to it (breadth first; among paths of the same length the
// one whose events and states sort first), in the order of the states. The
// path to start itself is empty.
//
// Use it with [ClientTransitions] from [None], or [ChainTransitions] from
// [Staged].
func ShortestPaths[S, E cmp.Ordered](table []Transition[S, E], start S) map[S]TestPath[S, E] {
	out := sortedTable(table)
	paths := map[S]TestPath[S, E]{start: nil}
	frontier := []S{start}
	for len(frontier) > 0 {
		var next []S
		for _, s := range frontier {
			for _, t := range out {
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

// TransitionCover returns a set of test paths from start that together take
// every transition of table reachable from start at least once. Each path
// is a shortest path to a transition's source followed by the transition;
// the longest are chosen first, and a path whose transitions others already
// take is left out, so the set stays small. The paths come in the order of
// their transitions (from-state, event, to-state), step by step.
func TransitionCover[S, E cmp.Ordered](table []Transition[S, E], start S) []TestPath[S, E] {
	sorted := sortedTable(table)
	shortest := ShortestPaths(sorted, start)
	var candidates []TestPath[S, E]
	for _, t := range sorted {
		if prefix, ok := shortest[t.From]; ok {
			candidates = append(candidates, append(slices.Clone(prefix), t))
		}
	}
	slices.SortStableFunc(candidates, func(a, b TestPath[S, E]) int { return cmp.Compare(len(b), len(a)) })
	taken := map[Transition[S, E]]bool{}
	var cover []TestPath[S, E]
	for _, p := range candidates {
		if !slices.ContainsFunc(p, func(t Transition[S, E]) bool { return !taken[t] }) {
			continue
		}
		for _, t := range p {
			taken[t] = true
		}
		cover = append(cover, p)
	}
	slices.SortFunc(cover, func(a, b TestPath[S, E]) int { return slices.CompareFunc(a, b, compareTransitions[S, E]) })
	return cover
}

func compareTransitions[S, E cmp.Ordered](a, b Transition[S, E]) int {
	return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.Event, b.Event), cmp.Compare(a.To, b.To))
}

func sortedTable[S, E cmp.Ordered](table []Transition[S, E]) []Transition[S, E] {
	out := slices.Clone(table)
	slices.SortFunc(out, compareTransitions[S, E])
	return out
}
