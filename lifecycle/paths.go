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
// every transition of table reachable from start at least once: for each
// transition in table order, the shortest path to its source followed by
// the transition, leaving out transitions an earlier path already took.
func TransitionCover[S, E cmp.Ordered](table []Transition[S, E], start S) []TestPath[S, E] {
	sorted := sortedTable(table)
	shortest := ShortestPaths(sorted, start)
	taken := map[Transition[S, E]]bool{}
	var cover []TestPath[S, E]
	for _, t := range sorted {
		if taken[t] {
			continue
		}
		prefix, ok := shortest[t.From]
		if !ok {
			continue // unreachable from start
		}
		p := append(slices.Clone(prefix), t)
		for _, step := range p {
			taken[step] = true
		}
		cover = append(cover, p)
	}
	return cover
}

func sortedTable[S, E cmp.Ordered](table []Transition[S, E]) []Transition[S, E] {
	out := slices.Clone(table)
	slices.SortFunc(out, func(a, b Transition[S, E]) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.Event, b.Event), cmp.Compare(a.To, b.To))
	})
	return out
}
