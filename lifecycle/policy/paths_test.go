package lifecycle_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/lifecycle"
)

func pathString[S, E fmt.Stringer](p []lifecycle.Transition[S, E]) string {
	var b strings.Builder
	for i, t := range p {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%v-%v->%v", t.From, t.Event, t.To)
	}
	return b.String()
}

func TestShortestPathsClient(t *testing.T) {
	paths := lifecycle.ShortestPaths(lifecycle.ClientTransitions(), lifecycle.None)
	got := map[string]string{}
	for s, p := range paths {
		got[s.String()] = pathString(p)
		if p.End(lifecycle.None) != s {
			t.Errorf("path to %v ends in %v", s, p.End(lifecycle.None))
		}
	}
	// Older and newer are reached only when a new package changes the
	// comparison, never by an event: they are not reachable from none.
	want := map[string]string{"none": "", "same": "none-install->same"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shortest paths mismatch (-want +got):\n%s", diff)
	}
	fromOlder := lifecycle.ShortestPaths(lifecycle.ClientTransitions(), lifecycle.Older)
	if got := pathString(fromOlder[lifecycle.None]); got != "older-uninstall->none" {
		t.Errorf("shortest path older->none = %q", got)
	}
}

func TestShortestPathsChain(t *testing.T) {
	paths := lifecycle.ShortestPaths(lifecycle.ChainTransitions(), lifecycle.Staged)
	want := map[lifecycle.Step]string{
		lifecycle.Staged:     "",
		lifecycle.Installer:  "staged-run_installer->dminstaller",
		lifecycle.Denied:     "staged-refuse->denied",
		lifecycle.Setup:      "staged-run_installer->dminstaller dminstaller-trust->dmclientsetup",
		lifecycle.Enrollment: "staged-run_installer->dminstaller dminstaller-trust->dmclientsetup dmclientsetup-enroll->enrollment",
		lifecycle.Done:       "staged-run_installer->dminstaller dminstaller-trust->dmclientsetup dmclientsetup-finish->done",
	}
	got := map[lifecycle.Step]string{}
	for s, p := range paths {
		got[s] = pathString(p)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shortest paths mismatch (-want +got):\n%s", diff)
	}
}

// TestTransitionCover: from every start state, the cover takes every
// transition reachable from it, and every cover path replays on a real
// Machine (client) event by event.
func TestTransitionCover(t *testing.T) {
	for _, start := range lifecycle.States() {
		cover := lifecycle.TransitionCover(lifecycle.ClientTransitions(), start)
		taken := map[string]bool{}
		for _, p := range cover {
			m := newMachine(t, start)
			state := start
			for _, tr := range p {
				if tr.From != state {
					t.Fatalf("path %s is not connected", pathString(p))
				}
				out, err := m.Fire(context.Background(), tr.Event, withState(state))
				if err != nil || out.To != tr.To {
					t.Fatalf("replaying %s: %v from %v = %v, %v", pathString(p), tr.Event, state, out.To, err)
				}
				state = tr.To
				taken[pathString([]lifecycle.Transition[lifecycle.State, lifecycle.Event]{tr})] = true
			}
		}
		reachable := lifecycle.ShortestPaths(lifecycle.ClientTransitions(), start)
		for _, tr := range lifecycle.ClientTransitions() {
			if _, ok := reachable[tr.From]; ok && !taken[pathString([]lifecycle.Transition[lifecycle.State, lifecycle.Event]{tr})] {
				t.Errorf("cover from %v misses %v-%v->%v", start, tr.From, tr.Event, tr.To)
			}
		}
	}
	chainCover := lifecycle.TransitionCover(lifecycle.ChainTransitions(), lifecycle.Staged)
	n := 0
	for _, p := range chainCover {
		n += len(p)
	}
	if len(chainCover) == 0 || n < len(lifecycle.ChainTransitions()) {
		t.Errorf("chain cover %v is too small", chainCover)
	}
}

// TestTablesSorted: the declared tables come back sorted by event, then
// from-state, the same on every call, and every row is unique.
func TestTablesSorted(t *testing.T) {
	client := lifecycle.ClientTransitions()
	for i := 1; i < len(client); i++ {
		a, b := client[i-1], client[i]
		if a.Event > b.Event || (a.Event == b.Event && a.From >= b.From) {
			t.Errorf("client transitions not sorted at %d: %v then %v", i, a, b)
		}
	}
	chain := lifecycle.ChainTransitions()
	for i := 1; i < len(chain); i++ {
		a, b := chain[i-1], chain[i]
		if a.Event > b.Event || (a.Event == b.Event && a.From >= b.From) {
			t.Errorf("chain transitions not sorted at %d: %v then %v", i, a, b)
		}
	}
	if !cmp.Equal(client, lifecycle.ClientTransitions()) || !cmp.Equal(chain, lifecycle.ChainTransitions()) {
		t.Error("tables differ between calls")
	}
	client[0].Guard = "changed by a caller"
	if lifecycle.ClientTransitions()[0].Guard == "changed by a caller" {
		t.Error("ClientTransitions shares its slice with callers")
	}
}
