package diagram_test

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/internal/golden"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/diagram"
	"pgregory.net/rapid"
)

var update = flag.Bool("update", false, "rewrite the golden files (and testdata/client.svg, with Graphviz)")

type (
	clientRow = lifecycle.Transition[lifecycle.State, lifecycle.Event]
	chainRow  = lifecycle.Transition[lifecycle.Step, string]
)

var (
	machines = []diagram.Machine{diagram.Client, diagram.Chain}
	formats  = []diagram.Format{diagram.DOT, diagram.Mermaid}
)

// installed is a successful install of the client on a device without
// one, which did not enroll.
func installed() *lifecycle.Outcome {
	return &lifecycle.Outcome{
		From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install,
		Steps: []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Done},
	}
}

// sampleCounts is a small fleet: every kind of run at least once, and one
// transition of each machine that no run took.
func sampleCounts() *diagram.Counts {
	var c diagram.Counts
	steps := func(s ...lifecycle.Step) []lifecycle.Step { return s }
	ok := steps(lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Done)
	enrolled := steps(lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Enrollment, lifecycle.Done)
	for _, run := range []struct {
		n int
		o lifecycle.Outcome
	}{
		{40, lifecycle.Outcome{From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install, Steps: ok}},
		{12, lifecycle.Outcome{From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install, Steps: enrolled}},
		{5, lifecycle.Outcome{From: lifecycle.None, To: lifecycle.None, Event: lifecycle.Install, Steps: steps(lifecycle.Staged, lifecycle.Denied)}},
		{20, lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Same, Event: lifecycle.Upgrade, Steps: ok}},
		{3, lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Older, Event: lifecycle.Upgrade, Steps: steps(lifecycle.Staged, lifecycle.DMInstaller, lifecycle.Denied)}},
		{2, lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Older, Event: lifecycle.Upgrade}}, // a missing prerequisite
		{9, lifecycle.Outcome{From: lifecycle.Same, To: lifecycle.Same, Event: lifecycle.Reconfigure, Steps: ok}},
		{4, lifecycle.Outcome{From: lifecycle.Newer, To: lifecycle.Newer, Event: lifecycle.Reconfigure, Steps: ok}},
		{1, lifecycle.Outcome{From: lifecycle.Same, To: lifecycle.Same, Event: lifecycle.Repair, Steps: ok}},
		{6, lifecycle.Outcome{From: lifecycle.Same, To: lifecycle.None, Event: lifecycle.Uninstall, Steps: ok}},
		{7, lifecycle.Outcome{From: lifecycle.Newer, To: lifecycle.Newer}}, // no action
	} {
		for range run.n {
			c.Add(run.o)
		}
	}
	return &c
}

// variants are the option sets drawn into golden files, by file-name
// suffix.
func variants() []struct {
	suffix string
	opts   diagram.Options
} {
	return []struct {
		suffix string
		opts   diagram.Options
	}{
		{"", diagram.Options{}},
		{"-start", diagram.Options{Start: true}},
		{"-path", diagram.Options{Start: true, Highlight: installed()}},
		{"-counts", diagram.Options{Start: true, Counts: sampleCounts()}},
	}
}

func extension(f diagram.Format) string {
	if f == diagram.DOT {
		return ".dot"
	}
	return ".mmd"
}

func write(t fataler, m diagram.Machine, f diagram.Format, opts diagram.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := diagram.Write(&buf, m, f, opts); err != nil {
		t.Fatalf("Write(%v, %v, %+v): %v", m, f, opts, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, m := range machines {
		for _, f := range formats {
			for _, v := range variants() {
				name := m.String() + v.suffix + extension(f)
				t.Run(name, func(t *testing.T) {
					golden.Check(t, filepath.Join("testdata", name), string(write(t, m, f, v.opts)), *update)
				})
			}
		}
	}
}

// fleetFiles are the sample fleet's diagrams, which examples/deploy's
// tests write (go test ./examples/deploy -run TestDiagram -update), and the
// picture of its client diagram: the renderer tests draw them as they draw
// the golden files.
var fleetFiles = []string{"fleet-chain.dot", "fleet-chain.mmd", "fleet-client.dot", "fleet-client.mmd", "fleet-client.svg"}

// TestGoldenSet checks that testdata holds exactly the golden files
// TestGolden writes, the README's picture and the sample fleet's diagrams.
func TestGoldenSet(t *testing.T) {
	want := append([]string{"client.svg"}, fleetFiles...)
	for _, m := range machines {
		for _, f := range formats {
			for _, v := range variants() {
				want = append(want, m.String()+v.suffix+extension(f))
			}
		}
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if !e.IsDir() { // testdata/fuzz and testdata/rapid hold failing inputs
			got = append(got, e.Name())
		}
	}
	slices.Sort(want)
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("files in testdata mismatch (-want +got):\n%s", diff)
	}
}

// model is what a diagram must say, worked out from the tables and the
// options without the package's help.
func model(t fataler, m diagram.Machine, opts diagram.Options) parsed {
	t.Helper()
	var p parsed
	add := func(from, to, event, guard string, hot bool, count, failed int) {
		p.Trans = append(p.Trans, trans{From: from, To: to, Event: event, Lines: []string{event, guard}, Hot: hot, Count: count, Failed: failed, Loop: from == to})
	}
	count := func(n int) int {
		if opts.Counts == nil {
			return -1
		}
		return n
	}
	mark := func(states ...fmt.Stringer) {
		for _, s := range states {
			if !slices.Contains(p.Marked, s.String()) {
				p.Marked = append(p.Marked, s.String())
			}
		}
	}
	o := opts.Highlight
	switch m {
	case diagram.Client:
		p.Name = "client"
		for _, s := range lifecycle.States() {
			p.Nodes = append(p.Nodes, s.String())
		}
		if opts.Start {
			p.Start = []string{lifecycle.None.String()}
		}
		for _, r := range lifecycle.ClientTransitions() {
			hot := o != nil && o.Transitioned() && o.From == r.From && o.Event == r.Event && o.To == r.To
			var c diagram.Counts
			if opts.Counts != nil {
				c = *opts.Counts
			}
			add(r.From.String(), r.To.String(), r.Event.String(), r.Guard, hot, count(c.Client[r]), c.Failed[r])
		}
		if o != nil {
			mark(o.From)
			if o.Transitioned() {
				mark(o.To)
			}
		}
	case diagram.Chain:
		p.Name = "chain"
		steps := []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Enrollment, lifecycle.Done, lifecycle.Denied}
		for _, s := range steps {
			p.Nodes = append(p.Nodes, s.String())
		}
		if opts.Start {
			p.Start = []string{lifecycle.Staged.String()}
		}
		for _, r := range lifecycle.ChainTransitions() {
			hot := false
			for i := 1; o != nil && i < len(o.Steps); i++ {
				hot = hot || o.Steps[i-1] == r.From && o.Steps[i] == r.To
			}
			var c diagram.Counts
			if opts.Counts != nil {
				c = *opts.Counts
			}
			add(r.From.String(), r.To.String(), r.Event, r.Guard, hot, count(c.Chain[r]), 0)
		}
		if o != nil {
			for _, s := range o.Steps {
				mark(s)
			}
		}
	}
	return p
}

// normalise sorts what a format may order freely, joins the guard lines,
// and drops what the model does not know (DOT attributes, node lists in
// Mermaid).
func normalise(f diagram.Format, p parsed) parsed {
	for i, tr := range p.Trans {
		p.Trans[i].Lines = []string{tr.Event, tr.guard()}
		p.Trans[i].Attrs = ""
	}
	slices.SortFunc(p.Trans, func(a, b trans) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.Event, b.Event))
	})
	slices.Sort(p.Marked)
	if f == diagram.Mermaid {
		p.Name, p.Nodes = "", nil
	}
	if len(p.Marked) == 0 {
		p.Marked = nil
	}
	return p
}

// check writes machine m in format f with opts and compares what it reads
// back with the model.
func check(t fataler, m diagram.Machine, f diagram.Format, opts diagram.Options) parsed {
	t.Helper()
	var buf bytes.Buffer
	if err := diagram.Write(&buf, m, f, opts); err != nil {
		t.Fatalf("Write(%v, %v): %v", m, f, err)
	}
	got := parseDiagram(t, f, buf.Bytes())
	if diff := gocmp.Diff(normalise(f, model(t, m, opts)), normalise(f, got)); diff != "" {
		t.Fatalf("Write(%v, %v, %+v): read back mismatch (-want +got):\n%s", m, f, opts, diff)
	}
	return got
}

// TestEveryTransition checks, for both machines in both formats and every
// golden option set, that every transition of the table is drawn once,
// labelled with its event and guard, and nothing else is.
func TestEveryTransition(t *testing.T) {
	for _, m := range machines {
		for _, f := range formats {
			for _, v := range variants() {
				check(t, m, f, v.opts)
			}
		}
	}
}

// TestSelfTransitions checks that every reconfigure and the repair of the
// same client are self-transitions: written inside their state, and in DOT
// drawn as loops.
func TestSelfTransitions(t *testing.T) {
	for _, f := range formats {
		p := parseDiagram(t, f, write(t, diagram.Client, f, diagram.Options{}))
		var loops []string
		for _, tr := range p.Trans {
			if tr.Loop {
				loops = append(loops, tr.From+" "+tr.Event)
			}
		}
		slices.Sort(loops)
		want := []string{"newer reconfigure", "older reconfigure", "same reconfigure", "same repair"}
		if diff := gocmp.Diff(want, loops); diff != "" {
			t.Errorf("%v: self-transitions mismatch (-want +got):\n%s", f, diff)
		}
	}
}

// TestLabelsReadCleanly checks every label line of every diagram: only
// characters that neither DOT nor Mermaid read as syntax, so that no
// escaping is needed and the source reads as it renders, and guard lines
// of at most 24 runes unless a single word is longer (Mermaid wraps wider
// lines where it likes).
func TestLabelsReadCleanly(t *testing.T) {
	for _, m := range machines {
		for _, f := range formats {
			for _, v := range variants() {
				p := parseDiagram(t, f, write(t, m, f, v.opts))
				for _, tr := range p.Trans {
					for i, line := range tr.Lines {
						for _, r := range line {
							if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" =,:.()▶", r)) {
								t.Errorf("%v %v: label line %q has %q", m, f, line, r)
							}
						}
						if i > 0 && utf8.RuneCountInString(line) > 24 && strings.Contains(line, " ") {
							t.Errorf("%v %v: guard line %q is longer than 24 runes", m, f, line)
						}
					}
				}
			}
		}
	}
}

// TestHighlightClient checks the client path of every transition of the
// table, made or failed, and of every run that decided no action.
func TestHighlightClient(t *testing.T) {
	made := []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Done}
	canceled := []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup} // still made
	denied := []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.Denied}
	for _, f := range formats {
		for _, r := range lifecycle.ClientTransitions() {
			for _, steps := range [][]lifecycle.Step{made, canceled, denied, nil} {
				o := &lifecycle.Outcome{From: r.From, To: r.To, Event: r.Event, Steps: steps}
				if !o.Transitioned() {
					o.To = o.From
				}
				p := check(t, diagram.Client, f, diagram.Options{Highlight: o})
				hot := 0
				for _, tr := range p.Trans {
					if tr.Hot {
						hot++
					}
				}
				if want := map[bool]int{true: 1, false: 0}[o.Transitioned()]; hot != want {
					t.Errorf("%v %+v: %d highlighted transitions, want %d", f, o, hot, want)
				}
			}
		}
		for _, s := range lifecycle.States() {
			check(t, diagram.Client, f, diagram.Options{Highlight: &lifecycle.Outcome{From: s, To: s}})
		}
	}
}

// chainPaths returns every path through the installer chain from staged
// to a step no transition leaves.
func chainPaths() [][]lifecycle.Step {
	var paths [][]lifecycle.Step
	var walk func(path []lifecycle.Step)
	walk = func(path []lifecycle.Step) {
		last, ended := path[len(path)-1], true
		for _, r := range lifecycle.ChainTransitions() {
			if r.From == last {
				ended = false
				walk(append(slices.Clone(path), r.To))
			}
		}
		if ended {
			paths = append(paths, path)
		}
	}
	walk([]lifecycle.Step{lifecycle.Staged})
	return paths
}

// TestHighlightChain checks the highlighted path of every path through the
// installer chain and of every prefix of one (a canceled run).
func TestHighlightChain(t *testing.T) {
	paths := chainPaths()
	if len(paths) != 4 {
		t.Fatalf("%d paths through the chain, want 4: %v", len(paths), paths)
	}
	for _, f := range formats {
		for _, path := range paths {
			for n := 0; n <= len(path); n++ {
				p := check(t, diagram.Chain, f, diagram.Options{Highlight: &lifecycle.Outcome{Steps: path[:n]}})
				hot := 0
				for _, tr := range p.Trans {
					if tr.Hot {
						hot++
					}
				}
				if hot != max(n-1, 0) {
					t.Errorf("%v %v: %d highlighted transitions, want %d", f, path[:n], hot, max(n-1, 0))
				}
			}
		}
	}
}

// TestCountsDrawn checks the overlay: every count in its label, and in DOT
// the line width 1 + 4 * count / the largest count, gray where no run went,
// red where runs were denied or refused, amber on the highlighted path.
func TestCountsDrawn(t *testing.T) {
	for _, m := range machines {
		opts := diagram.Options{Counts: sampleCounts(), Highlight: installed()}
		for _, f := range formats {
			check(t, m, f, opts)
		}
		p := parseDOT(t, write(t, m, diagram.DOT, opts))
		most := 0
		for _, tr := range p.Trans {
			most = max(most, tr.Count)
		}
		for _, tr := range p.Trans {
			pen := 1 + 4*float64(tr.Count)/float64(most)
			var want []string
			switch {
			case tr.Hot:
				want = append(want, `color="#b45309"`, `fontcolor="#b45309"`)
				pen = max(pen, 2.5)
			case tr.To == "denied" && tr.Count > 0:
				want = append(want, `color="#b91c1c"`, `fontcolor="#b91c1c"`)
			case tr.Failed > 0:
				want = append(want, `fontcolor="#b91c1c"`)
			case tr.Count == 0:
				want = append(want, `color="#9ca3af"`, `fontcolor="#9ca3af"`)
			}
			if tr.Loop {
				want = slices.DeleteFunc(want, func(a string) bool { return strings.HasPrefix(a, "fontcolor") })
			}
			want = append(want, "penwidth="+strconv.FormatFloat(pen, 'f', 1, 64))
			if got := strings.Join(want, ", "); tr.Attrs != got {
				t.Errorf("%v %s -> %s %s: attributes %q, want %q", m, tr.From, tr.To, tr.Event, tr.Attrs, got)
			}
		}
	}
}

// TestCountsAdd checks Add against counting by hand, on real runs: every
// outcome that decided a transition of the table counts once in Client or
// Failed, as it transitioned or not, and every two consecutive steps count
// once in Chain.
func TestCountsAdd(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var c diagram.Counts
		client, failed, chain := map[string]int{}, map[string]int{}, map[string]int{}
		for _, o := range rapid.SliceOfN(genOutcome(), 0, 30).Draw(t, "outcomes") {
			c.Add(o)
			key := o.From.String() + " " + o.Event.String()
			if _, ok := target(o.From, o.Event); ok {
				if o.Transitioned() {
					client[key]++
				} else {
					failed[key]++
				}
			}
			for i := 1; i < len(o.Steps); i++ {
				chain[o.Steps[i-1].String()+" "+o.Steps[i].String()]++
			}
		}
		got := func(m map[clientRow]int) map[string]int {
			out := map[string]int{}
			for r, n := range m {
				out[r.From.String()+" "+r.Event.String()] = n
			}
			return out
		}
		gotChain := map[string]int{}
		for r, n := range c.Chain {
			gotChain[r.From.String()+" "+r.To.String()] = n
		}
		for k := range chain {
			if !isChainPair(k) {
				delete(chain, k)
			}
		}
		for _, d := range []struct {
			name      string
			want, got map[string]int
		}{{"Client", client, got(c.Client)}, {"Failed", failed, got(c.Failed)}, {"Chain", chain, gotChain}} {
			if diff := gocmp.Diff(d.want, d.got); diff != "" {
				t.Fatalf("%s mismatch (-want +got):\n%s", d.name, diff)
			}
		}
	})
}

func validState(s lifecycle.State) bool { return slices.Contains(lifecycle.States(), s) }

// events are the client machine's events, every valid value.
var events = []lifecycle.Event{lifecycle.NoAction, lifecycle.Install, lifecycle.Upgrade, lifecycle.Reconfigure, lifecycle.Uninstall, lifecycle.Repair}

// target returns where event e takes a client in state s, and whether the
// client machine has that transition: the model of DESIGN.md, written out.
func target(s lifecycle.State, e lifecycle.Event) (lifecycle.State, bool) {
	some := s == lifecycle.Older || s == lifecycle.Same || s == lifecycle.Newer
	switch {
	case e == lifecycle.Install && s == lifecycle.None, e == lifecycle.Upgrade && s == lifecycle.Older, e == lifecycle.Repair && some:
		return lifecycle.Same, true
	case e == lifecycle.Reconfigure && some:
		return s, true
	case e == lifecycle.Uninstall && some:
		return lifecycle.None, true
	}
	return s, false
}

// isChainPair reports whether "from to" names a transition of the chain.
func isChainPair(k string) bool {
	for _, r := range lifecycle.ChainTransitions() {
		if r.From.String()+" "+r.To.String() == k {
			return true
		}
	}
	return false
}

// genOutcome draws an outcome, valid or not: real paths through the
// chain and the client table mostly, any values sometimes.
func genOutcome() *rapid.Generator[lifecycle.Outcome] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Outcome {
		state := rapid.OneOf(rapid.SampledFrom(lifecycle.States()), rapid.Map(rapid.Uint8(), func(v uint8) lifecycle.State { return lifecycle.State(v) }))
		event := rapid.OneOf(rapid.SampledFrom(events), rapid.Map(rapid.Uint8(), func(v uint8) lifecycle.Event { return lifecycle.Event(v) }))
		o := lifecycle.Outcome{From: state.Draw(t, "from"), Event: event.Draw(t, "event")}
		if rapid.Bool().Draw(t, "row") {
			r := rapid.SampledFrom(lifecycle.ClientTransitions()).Draw(t, "client row")
			o.From, o.Event = r.From, r.Event
		}
		o.To = o.From
		paths := chainPaths()
		if rapid.IntRange(0, 4).Draw(t, "steps kind") > 0 {
			path := rapid.SampledFrom(paths).Draw(t, "path")
			o.Steps = path[:rapid.IntRange(0, len(path)).Draw(t, "length")]
		} else {
			step := rapid.Map(rapid.Uint8Range(0, 7), func(v uint8) lifecycle.Step { return lifecycle.Step(v) })
			o.Steps = rapid.SliceOfN(step, 0, 6).Draw(t, "steps")
		}
		if o.Transitioned() {
			for _, r := range lifecycle.ClientTransitions() {
				if r.From == o.From && r.Event == o.Event {
					o.To = r.To
				}
			}
			if rapid.IntRange(0, 9).Draw(t, "wrong to") == 0 {
				o.To = state.Draw(t, "to")
			}
		}
		return o
	})
}

// wantError reports whether Write must reject the arguments, worked out
// from the tables: the oracle of the property test.
func wantError(m diagram.Machine, f diagram.Format, opts diagram.Options) bool {
	if !slices.Contains(machines, m) || !slices.Contains(formats, f) {
		return true
	}
	o := opts.Highlight
	switch m {
	case diagram.Client:
		if o != nil {
			if !validState(o.From) || !validState(o.To) || !slices.Contains(events, o.Event) {
				return true
			}
			if to, ok := target(o.From, o.Event); o.Transitioned() && (!ok || to != o.To) {
				return true
			}
			if !o.Transitioned() && o.From != o.To {
				return true
			}
		}
		if c := opts.Counts; c != nil {
			for _, counts := range []map[clientRow]int{c.Client, c.Failed} {
				for r, n := range counts {
					if n < 0 || !slices.Contains(lifecycle.ClientTransitions(), r) {
						return true
					}
				}
			}
		}
	case diagram.Chain:
		if o != nil {
			for i, s := range o.Steps {
				if s < lifecycle.Staged || s > lifecycle.Denied || i == 0 && s != lifecycle.Staged || i > 0 && !isChainPair(o.Steps[i-1].String()+" "+s.String()) {
					return true
				}
			}
		}
		if c := opts.Counts; c != nil {
			for r, n := range c.Chain {
				if n < 0 || !slices.Contains(lifecycle.ChainTransitions(), r) {
					return true
				}
			}
		}
	}
	return false
}

// genCounts draws an overlay: counts of real rows mostly, a row with a
// wrong guard or a negative count sometimes.
func genCounts(t *rapid.T) *diagram.Counts {
	if rapid.IntRange(0, 2).Draw(t, "no counts") == 0 {
		return nil
	}
	n := rapid.OneOf(rapid.IntRange(0, 1000), rapid.IntRange(-1, 0))
	c := &diagram.Counts{}
	clientKey := rapid.Custom(func(t *rapid.T) clientRow {
		r := rapid.SampledFrom(lifecycle.ClientTransitions()).Draw(t, "row")
		if rapid.IntRange(0, 20).Draw(t, "bad guard") == 0 {
			r.Guard = rapid.String().Draw(t, "guard")
		}
		return r
	})
	chainKey := rapid.Custom(func(t *rapid.T) chainRow {
		r := rapid.SampledFrom(lifecycle.ChainTransitions()).Draw(t, "row")
		if rapid.IntRange(0, 20).Draw(t, "bad event") == 0 {
			r.Event = rapid.String().Draw(t, "event")
		}
		return r
	})
	c.Client = rapid.MapOfN(clientKey, n, 0, 5).Draw(t, "client")
	c.Failed = rapid.MapOfN(clientKey, n, 0, 3).Draw(t, "failed")
	c.Chain = rapid.MapOfN(chainKey, n, 0, 5).Draw(t, "chain")
	return c
}

// checkWrite is the property: Write of any machine, format and options
// either fails with ErrInvalidInput exactly where the oracle says, writing
// nothing, or writes a diagram that reads back as the model, the same
// bytes every time.
func checkWrite(t *rapid.T) {
	m := rapid.SampledFrom([]diagram.Machine{diagram.Client, diagram.Chain, 0, 3}).Draw(t, "machine")
	f := rapid.SampledFrom([]diagram.Format{diagram.DOT, diagram.Mermaid, 0, 3}).Draw(t, "format")
	opts := diagram.Options{Start: rapid.Bool().Draw(t, "start"), Counts: genCounts(t)}
	if rapid.Bool().Draw(t, "highlight") {
		o := genOutcome().Draw(t, "outcome")
		opts.Highlight = &o
	}
	var buf bytes.Buffer
	err := diagram.Write(&buf, m, f, opts)
	if wantError(m, f, opts) {
		if !errors.Is(err, diagram.ErrInvalidInput) || !strings.HasPrefix(err.Error(), "diagram: ") || strings.Count(err.Error(), "diagram:") != 1 {
			t.Fatalf("Write(%v, %v, %+v): error %v, want one that is ErrInvalidInput", m, f, opts, err)
		}
		if len(err.Error()) > 400 {
			t.Fatalf("error of %d bytes: %.400s", len(err.Error()), err)
		}
		if buf.Len() > 0 {
			t.Fatalf("Write wrote %d bytes before failing", buf.Len())
		}
		return
	}
	if err != nil {
		t.Fatalf("Write(%v, %v, %+v): %v", m, f, opts, err)
	}
	check(t, m, f, opts)
	if again := write(t, m, f, opts); !bytes.Equal(buf.Bytes(), again) {
		t.Fatalf("two writes differ:\n%s\n---\n%s", buf.Bytes(), again)
	}
}

func TestWriteProperties(t *testing.T) { rapid.Check(t, checkWrite) }

func FuzzWrite(f *testing.F) { f.Fuzz(rapid.MakeFuzz(checkWrite)) }

func TestErrors(t *testing.T) {
	bogus := sampleCounts()
	bogus.Client[clientRow{Event: lifecycle.Install, From: lifecycle.None, To: lifecycle.Same, Guard: "always"}] = 1
	negative := &diagram.Counts{Chain: map[chainRow]int{lifecycle.ChainTransitions()[0]: -3}}
	for _, c := range []struct {
		name string
		m    diagram.Machine
		f    diagram.Format
		opts diagram.Options
		msg  string
	}{
		{"zero machine", 0, diagram.DOT, diagram.Options{}, "diagram: invalid machine Machine(0)"},
		{"unknown machine", 3, diagram.Mermaid, diagram.Options{}, "diagram: invalid machine Machine(3)"},
		{"zero format", diagram.Client, 0, diagram.Options{}, "diagram: invalid format Format(0)"},
		{"invalid from", diagram.Client, diagram.DOT, diagram.Options{Highlight: &lifecycle.Outcome{From: 9, To: lifecycle.Same, Event: lifecycle.Install}}, "diagram: highlight: From State(9) is not valid"},
		{"invalid event", diagram.Client, diagram.DOT, diagram.Options{Highlight: &lifecycle.Outcome{Event: 9}}, "diagram: highlight: Event Event(9) is not valid"},
		{"transition not in table", diagram.Client, diagram.Mermaid, diagram.Options{Highlight: &lifecycle.Outcome{From: lifecycle.Newer, To: lifecycle.Same, Event: lifecycle.Upgrade, Steps: installed().Steps}},
			"diagram: highlight: the client machine has no transition newer --upgrade--> same"},
		{"failed run that moved", diagram.Client, diagram.DOT, diagram.Options{Highlight: &lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Same, Event: lifecycle.Upgrade}},
			"diagram: highlight: a run that did not transition (no dmclientsetup step) moved from older to same"},
		{"invalid step", diagram.Chain, diagram.DOT, diagram.Options{Highlight: &lifecycle.Outcome{Steps: []lifecycle.Step{lifecycle.Staged, 0}}}, "diagram: highlight: Steps[1] Step(0) is not valid"},
		{"not from staged", diagram.Chain, diagram.DOT, diagram.Options{Highlight: &lifecycle.Outcome{Steps: []lifecycle.Step{lifecycle.DMInstaller}}}, "diagram: highlight: Steps start at dminstaller, not staged"},
		{"step skipped", diagram.Chain, diagram.Mermaid, diagram.Options{Highlight: &lifecycle.Outcome{Steps: []lifecycle.Step{lifecycle.Staged, lifecycle.DMClientSetup}}},
			"diagram: highlight: the installer chain has no transition staged --> dmclientsetup"},
		{"count of no row", diagram.Client, diagram.DOT, diagram.Options{Counts: bogus},
			`diagram: Counts.Client: none --install--> same (guard "always") is not a transition of the client table`},
		{"negative count", diagram.Chain, diagram.Mermaid, diagram.Options{Counts: negative},
			`diagram: Counts.Chain: negative count -3 for staged --"run installer"--> dminstaller (guard "device trusts Mobile2Market, or platform exempt from signing")`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := diagram.Write(&buf, c.m, c.f, c.opts)
			if !errors.Is(err, diagram.ErrInvalidInput) || err.Error() != c.msg {
				t.Errorf("Write: error %v, want %q (ErrInvalidInput)", err, c.msg)
			}
			if buf.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// TestCountsOfOtherMachine checks that Write reads only the counts of the
// machine it draws.
func TestCountsOfOtherMachine(t *testing.T) {
	c := &diagram.Counts{Chain: map[chainRow]int{{Event: "bogus"}: -1}}
	check(t, diagram.Client, diagram.DOT, diagram.Options{Counts: c})
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteError(t *testing.T) {
	boom := errors.New("boom")
	for _, f := range formats {
		err := diagram.Write(failingWriter{boom}, diagram.Client, f, diagram.Options{})
		if !errors.Is(err, boom) || errors.Is(err, diagram.ErrInvalidInput) {
			t.Errorf("%v: error %v, want the writer's as it is", f, err)
		}
	}
}

// TestConcurrent writes every golden diagram from several goroutines at
// once: the same bytes every time (run with -race).
func TestConcurrent(t *testing.T) {
	type key struct {
		m diagram.Machine
		f diagram.Format
		v int
	}
	want := map[key][]byte{}
	for _, m := range machines {
		for _, f := range formats {
			for i, v := range variants() {
				want[key{m, f, i}] = write(t, m, f, v.opts)
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(want))
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, w := range want {
				var buf bytes.Buffer
				if err := diagram.Write(&buf, k.m, k.f, variants()[k.v].opts); err != nil || !bytes.Equal(buf.Bytes(), w) {
					errs <- fmt.Sprintf("%v %v variant %d: %v, or other bytes", k.m, k.f, k.v, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, m := range machines {
		for _, f := range formats {
			b.Run(m.String()+"/"+f.String(), func(b *testing.B) {
				var buf bytes.Buffer
				opts := diagram.Options{Start: true, Highlight: installed(), Counts: sampleCounts()}
				for b.Loop() {
					buf.Reset()
					if err := diagram.Write(&buf, m, f, opts); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkCountsAdd(b *testing.B) {
	o := *installed()
	var c diagram.Counts
	for b.Loop() {
		c.Add(o)
	}
}
