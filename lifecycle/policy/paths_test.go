package policy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/policy"
	"github.com/mobiledm/dmclient/version"
)

func pathString[S, E any](p []lifecycle.Transition[S, E]) string {
	var b strings.Builder
	for i, t := range p {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%v-%v->%v", t.From, t.Event, t.To)
	}
	return b.String()
}

func TestShortestClientPaths(t *testing.T) {
	got := map[string]string{}
	for s, p := range policy.ShortestClientPaths(lifecycle.None) {
		got[s.String()] = pathString(p)
	}
	// Older and newer are reached only when a new package changes the
	// comparison, never by an event: they are not reachable from none.
	want := map[string]string{"none": "", "same": "none-install->same"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shortest paths mismatch (-want +got):\n%s", diff)
	}
	fromOlder := policy.ShortestClientPaths(lifecycle.Older)
	if got := pathString(fromOlder[lifecycle.None]); got != "older-uninstall->none" {
		t.Errorf("shortest path older->none = %q", got)
	}
	if got := pathString(fromOlder[lifecycle.Same]); got != "older-upgrade->same" {
		t.Errorf("shortest path older->same = %q", got)
	}
}

func TestShortestChainPaths(t *testing.T) {
	want := map[lifecycle.Step]string{
		lifecycle.Staged:        "",
		lifecycle.DMInstaller:   "staged-run installer->dminstaller",
		lifecycle.Denied:        "staged-refuse->denied",
		lifecycle.DMClientSetup: "staged-run installer->dminstaller dminstaller-trust->dmclientsetup",
		lifecycle.Enrollment:    "staged-run installer->dminstaller dminstaller-trust->dmclientsetup dmclientsetup-enroll->enrollment",
		lifecycle.Done:          "staged-run installer->dminstaller dminstaller-trust->dmclientsetup dmclientsetup-finish->done",
	}
	got := map[lifecycle.Step]string{}
	for s, p := range policy.ShortestChainPaths() {
		got[s] = pathString(p)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shortest paths mismatch (-want +got):\n%s", diff)
	}
}

// TestClientCover: from every start state, the cover takes every transition
// reachable from it, and every cover path replays on a real Machine,
// deployment by deployment: the machine is one device over time.
func TestClientCover(t *testing.T) {
	installed := map[lifecycle.State]version.Version{
		lifecycle.None:  {},
		lifecycle.Older: version.MustParse("4.00.6221.1000"),
		lifecycle.Same:  version.MustParse("4.00.6487.2000"),
		lifecycle.Newer: version.MustParse("4.00.6487.2157"),
	}
	action := map[lifecycle.Event]ini.Action{
		lifecycle.Install: ini.ActionInstall, lifecycle.Upgrade: ini.ActionInstall,
		lifecycle.Reconfigure: ini.ActionNone, lifecycle.Uninstall: ini.ActionUninstall,
		lifecycle.Repair: ini.ActionInstall,
	}
	def := policy.DefaultScenario()
	for _, start := range lifecycle.States() {
		taken := map[lifecycle.Transition[lifecycle.State, lifecycle.Event]]bool{}
		for _, p := range policy.ClientCover(start) {
			dev := def.Device
			dev.Client = installed[start]
			m, err := lifecycle.NewMachine(dev, lifecycle.Options{})
			if err != nil {
				t.Fatal(err)
			}
			state := start
			for _, tr := range p {
				if tr.From != state {
					t.Fatalf("path %s is not connected", pathString(p))
				}
				dep := def.Deployment
				dep.Package.Settings = readSettings(t, "[ClientSettings]\r\nClientInstallAction="+action[tr.Event].String()+"\r\n")
				dep.Repair = tr.Event == lifecycle.Repair
				out, err := m.Deploy(context.Background(), dep)
				if err != nil || out.Event != tr.Event || out.From != tr.From || out.To != tr.To {
					t.Fatalf("replaying %s: %v from %v gave %v -> %v by %v, %v", pathString(p), tr.Event, state, out.From, out.To, out.Event, err)
				}
				state = tr.To
				taken[tr] = true
			}
		}
		reachable := policy.ShortestClientPaths(start)
		for _, tr := range lifecycle.ClientTransitions() {
			if _, ok := reachable[tr.From]; ok && !taken[tr] {
				t.Errorf("cover from %v misses %s", start, pathString([]lifecycle.Transition[lifecycle.State, lifecycle.Event]{tr}))
			}
		}
	}
}

func readSettings(t *testing.T, text string) ini.Settings {
	t.Helper()
	s, err := lifecycle.ReadSettings("ClientSettings.ini", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestChainCover: the cover takes every transition of the installer chain,
// and each of its paths is the run of some scenario of the space.
func TestChainCover(t *testing.T) {
	cover := policy.ChainCover()
	taken := map[lifecycle.Transition[lifecycle.Step, string]]bool{}
	want := map[string]bool{}
	for _, p := range cover {
		steps := []lifecycle.Step{lifecycle.Staged}
		for _, tr := range p {
			if tr.From != steps[len(steps)-1] {
				t.Fatalf("path %s is not connected", pathString(p))
			}
			steps = append(steps, tr.To)
			taken[tr] = true
		}
		want[stepsString(steps)] = true
	}
	for _, tr := range lifecycle.ChainTransitions() {
		if !taken[tr] {
			t.Errorf("cover misses %s", pathString([]lifecycle.Transition[lifecycle.Step, string]{tr}))
		}
	}
	r := newRunner(t)
	i := -1
	for sc := range policy.Scenarios() {
		if i++; i%stride(1) != 0 {
			continue
		}
		delete(want, stepsString(r.run(t, sc).Steps))
		if len(want) == 0 {
			break
		}
	}
	for p := range want {
		t.Errorf("no scenario of the space runs the cover path %s", p)
	}
}

// TestTablesSorted: the declared tables come back in their documented
// order, the same on every call, without duplicates, and a caller's copy
// is its own: the paths depend on it.
func TestTablesSorted(t *testing.T) {
	client := lifecycle.ClientTransitions()
	for i := 1; i < len(client); i++ {
		a, b := client[i-1], client[i]
		if a.Event > b.Event || (a.Event == b.Event && a.From >= b.From) {
			t.Errorf("client transitions not sorted by event, then from-state, at %d: %v then %v", i, a, b)
		}
	}
	chain := lifecycle.ChainTransitions()
	for i := 1; i < len(chain); i++ {
		a, b := chain[i-1], chain[i]
		if a.From > b.From || (a.From == b.From && a.To >= b.To) {
			t.Errorf("chain transitions not sorted by from-step, then to-step, at %d: %v then %v", i, a, b)
		}
	}
	if !cmp.Equal(client, lifecycle.ClientTransitions()) || !cmp.Equal(chain, lifecycle.ChainTransitions()) {
		t.Error("tables differ between calls")
	}
	client[0].Guard = "changed by a caller"
	chain[0].Guard = "changed by a caller"
	if lifecycle.ClientTransitions()[0].Guard == "changed by a caller" || lifecycle.ChainTransitions()[0].Guard == "changed by a caller" {
		t.Error("a table shares its slice with callers")
	}

}
