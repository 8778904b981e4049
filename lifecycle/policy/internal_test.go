package policy

import (
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/lifecycle"
	"pgregory.net/rapid"
)

// TestHeapKeepsSimplest: the bounded heap keeps exactly the k simplest of
// the counterexamples offered, in any order of offering.
func TestHeapKeepsSimplest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k := rapid.IntRange(1, 20).Draw(t, "k")
		n := rapid.IntRange(0, 200).Draw(t, "n")
		indices := rapid.Permutation(rangeInts(n)).Draw(t, "order")
		dists := rapid.SliceOfN(rapid.IntRange(0, 5), n, n).Draw(t, "distances")
		var h heap
		var all []Counterexample
		for _, i := range indices {
			ce := Counterexample{Index: i, Distance: dists[i]}
			all = append(all, ce)
			h.offer(k, i, ce.Distance, func() Counterexample { return ce })
			if len(h.items) > k {
				t.Fatalf("heap holds %d > %d", len(h.items), k)
			}
		}
		slices.SortFunc(all, compareCounterexamples)
		want := all[:min(k, len(all))]
		got := slices.Clone(h.items)
		slices.SortFunc(got, compareCounterexamples)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("kept mismatch (-want +got):\n%s", diff)
		}
	})
}

func rangeInts(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestCursorAt: a cursor put at any index holds the scenario the walk from
// the start reaches there, and walks on the same way: the workers' ranges
// see exactly the space.
func TestCursorAt(t *testing.T) {
	sp := newSpace()
	var walk []lifecycle.Scenario
	stride := sp.total/5000 + 1
	c := sp.cursor(0)
	for i := range sp.total {
		if i%stride == 0 || i >= sp.total-3 {
			walk = append(walk, c.sc)
		}
		c.next()
	}
	if c.o != len(sp.outer) {
		t.Fatalf("walk ended at outer entry %d of %d", c.o, len(sp.outer))
	}
	j := 0
	for i := range sp.total {
		if !(i%stride == 0 || i >= sp.total-3) {
			continue
		}
		got := sp.cursor(i)
		if diff := cmp.Diff(walk[j], got.sc); diff != "" {
			t.Fatalf("cursor at %d mismatch (-walk +cursor):\n%s", i, diff)
		}
		if i+1 < sp.total {
			got.next()
			if diff := cmp.Diff(sp.cursor(i+1).sc, got.sc); diff != "" {
				t.Fatalf("cursor at %d then next mismatch (-want +got):\n%s", i, diff)
			}
		}
		j++
	}
}

// TestViolationsHugeKeep: MaxCounterexamples(math.MaxInt), "keep them
// all", keeps every violation without sorting at each one (in Explore and
// Histories, which share firstK). 2*k overflowed to -2, so every add
// sorted and truncated the kept violations: Explore from 300 starts with a
// property that rejects every step took 2m19s instead of 8s.
func TestViolationsHugeKeep(t *testing.T) {
	const k = math.MaxInt
	var vs firstK[violation]
	for i := int32(5); i > 0; i-- {
		vs.add(k, violation{length: i})
	}
	if len(vs.items) != 5 || vs.items[0].length != 5 {
		t.Fatalf("add with k = MaxInt sorted its violations: %v", vs.items)
	}
	vs.sort(k)
	if len(vs.items) != 5 || vs.items[0].length != 1 {
		t.Fatalf("sort kept %v", vs.items)
	}
}
