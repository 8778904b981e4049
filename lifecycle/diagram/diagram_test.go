package lifecycle_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/lifecycle"
	"pgregory.net/rapid"
)

var update = flag.Bool("update", false, "rewrite golden files")

const diagramDir = "testdata/diagrams"

// sampleOutcome is a successful install of the client on a device without
// one, which did not enroll.
func sampleOutcome() *lifecycle.Outcome {
	return &lifecycle.Outcome{
		From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install,
		Steps: []lifecycle.Step{lifecycle.Staged, lifecycle.Installer, lifecycle.Setup, lifecycle.Done},
	}
}

// goldenVariants are the option sets drawn into golden files, by file-name
// suffix.
func goldenVariants() []struct {
	suffix string
	opts   lifecycle.DiagramOptions
} {
	return []struct {
		suffix string
		opts   lifecycle.DiagramOptions
	}{
		{"", lifecycle.DiagramOptions{}},
		{"-start", lifecycle.DiagramOptions{Start: true}},
		{"-path", lifecycle.DiagramOptions{Start: true, Highlight: sampleOutcome()}},
	}
}

func extension(f lifecycle.Format) string {
	if f == lifecycle.DOT {
		return ".dot"
	}
	return ".mmd"
}

func diagram(t *testing.T, m lifecycle.DiagramMachine, f lifecycle.Format, opts lifecycle.DiagramOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := lifecycle.WriteDiagram(&buf, m, f, opts); err != nil {
		t.Fatalf("WriteDiagram(%v, %v, %+v): %v", m, f, opts, err)
	}
	return buf.Bytes()
}

func TestDiagramGolden(t *testing.T) {
	for _, m := range lifecycle.DiagramMachines() {
		for _, f := range lifecycle.Formats() {
			for _, v := range goldenVariants() {
				name := m.String() + v.suffix + extension(f)
				t.Run(name, func(t *testing.T) {
					got := diagram(t, m, f, v.opts)
					path := filepath.Join(diagramDir, name)
					if *update {
						if err := os.MkdirAll(diagramDir, 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(path, got, 0o644); err != nil {
							t.Fatal(err)
						}
					}
					want, err := os.ReadFile(path)
					if err != nil {
						t.Fatalf("%v (run go test -update to create it)", err)
					}
					if diff := cmp.Diff(string(want), string(got)); diff != "" {
						t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
					}
				})
			}
		}
	}
}

// TestDiagramGoldenSet checks that testdata/diagrams holds exactly the
// golden files TestDiagramGolden writes, plus the committed picture.
func TestDiagramGoldenSet(t *testing.T) {
	var want []string
	for _, m := range lifecycle.DiagramMachines() {
		for _, f := range lifecycle.Formats() {
			for _, v := range goldenVariants() {
				want = append(want, m.String()+v.suffix+extension(f))
			}
		}
	}
	want = append(want, "client.svg")
	entries, err := os.ReadDir(diagramDir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files in %s mismatch (-want +got):\n%s", diagramDir, diff)
	}
}

// TestDiagramPicture checks that the committed client.svg, the README's
// picture, was rendered from the current client diagram: every label of
// it is a text of the picture. With -update and Graphviz installed it is
// rendered anew.
func TestDiagramPicture(t *testing.T) {
	src := diagram(t, lifecycle.ClientMachine, lifecycle.DOT, lifecycle.DiagramOptions{Start: true})
	path := filepath.Join(diagramDir, "client.svg")
	if *update {
		dot := renderer(t, "dot", "DMCLIENT_DOT")
		svg, stderr, err := run(dot, src, "-Tsvg")
		if err != nil || len(stderr) > 0 {
			t.Fatalf("dot -Tsvg: %v\n%s", err, stderr)
		}
		if err := os.WriteFile(path, svg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	svg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, svg)
	p := parseDOT(t, src)
	want := slices.Clone(p.Nodes)
	for _, e := range p.Edges {
		want = append(want, strings.Split(e.Label, "\n")...)
	}
	for _, w := range want {
		if !slices.Contains(texts, w) {
			t.Errorf("%s lacks the text %q: run go test ./lifecycle -run TestDiagramPicture -update", path, w)
		}
	}
}

// fataler is what the parsers need of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// parsed is a diagram read back from its text: what a renderer sees.
type parsed struct {
	Nodes  []string // labels, by id number
	Start  []int
	Marked []int
	Edges  []parsedEdge
}

type parsedEdge struct {
	From, To int
	Label    string
	Hot      bool
}

var (
	dotString   = `"(?:[^"\\]|\\.)*"`
	dotNodeRE   = regexp.MustCompile(`^\ts(\d+) \[label=(` + dotString + `)(, style="rounded,filled,bold", fillcolor="#fde68a", color="#b45309")?\];$`)
	dotStartRE  = regexp.MustCompile(`^\tstart(\d+) \[shape=point, width=0\.15, label=""\];$`)
	dotStartsRE = regexp.MustCompile(`^\tstart(\d+) -> s(\d+);$`)
	dotEdgeRE   = regexp.MustCompile(`^\ts(\d+) -> s(\d+) \[label=(` + dotString + `)(, color="#b45309", fontcolor="#b45309", penwidth=2\.5)?\];$`)
	dotHeader   = "digraph {\n\trankdir=LR;\n\tnode [shape=box, style=rounded, fontname=\"Helvetica\"];\n\tedge [fontname=\"Helvetica\", fontsize=10];\n"

	mmdText     = `(?:[A-Za-z0-9]|#[0-9]+;|<br>)*`
	mmdStateRE  = regexp.MustCompile(`^\tstate "(` + mmdText + `)" as s(\d+)$`)
	mmdStartRE  = regexp.MustCompile(`^\t\[\*\] --> s(\d+)$`)
	mmdEdgeRE   = regexp.MustCompile(`^\ts(\d+) --> s(\d+)(?: : (` + mmdText + `))?$`)
	mmdClassRE  = regexp.MustCompile(`^\tclass (s\d+(?:,s\d+)*) onpath$`)
	mmdClassDef = "\tclassDef onpath fill:#fde68a,stroke:#b45309,stroke-width:3px"
	mmdEntityRE = regexp.MustCompile(`#([0-9]+);`)
)

func atoi(t fataler, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// unquoteDOT reads a DOT quoted string as Graphviz reads a label.
func unquoteDOT(t fataler, q string) string {
	t.Helper()
	var b strings.Builder
	s := q[1 : len(q)-1]
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '\\', '"':
			b.WriteByte(s[i])
		case 'n':
			b.WriteByte('\n')
		default:
			t.Fatalf("label %s has the escape \\%c, which Graphviz interprets", q, s[i])
		}
	}
	return html.UnescapeString(b.String()) // Graphviz decodes entities too
}

// parseDOT reads back what WriteStateDiagram writes in DOT, failing on any
// line it does not expect.
func parseDOT(t fataler, src []byte) parsed {
	t.Helper()
	text := string(src)
	if !strings.HasPrefix(text, dotHeader) || !strings.HasSuffix(text, "\n}\n") {
		t.Fatalf("DOT header or trailer missing:\n%s", text)
	}
	var p parsed
	for _, line := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(text, dotHeader), "}\n"), "\n") {
		if line == "" {
			continue
		}
		if m := dotNodeRE.FindStringSubmatch(line); m != nil {
			if atoi(t, m[1]) != len(p.Nodes) {
				t.Fatalf("node out of order: %q", line)
			}
			p.Nodes = append(p.Nodes, unquoteDOT(t, m[2]))
			if m[3] != "" {
				p.Marked = append(p.Marked, atoi(t, m[1]))
			}
		} else if m := dotStartRE.FindStringSubmatch(line); m != nil {
			continue
		} else if m := dotStartsRE.FindStringSubmatch(line); m != nil {
			if m[1] != m[2] {
				t.Fatalf("start point of another node: %q", line)
			}
			p.Start = append(p.Start, atoi(t, m[2]))
		} else if m := dotEdgeRE.FindStringSubmatch(line); m != nil {
			p.Edges = append(p.Edges, parsedEdge{From: atoi(t, m[1]), To: atoi(t, m[2]), Label: unquoteDOT(t, m[3]), Hot: m[4] != ""})
		} else {
			t.Fatalf("unexpected DOT line %q in:\n%s", line, text)
		}
	}
	return p
}

// decodeMermaid reads Mermaid text as Mermaid renders it.
func decodeMermaid(t fataler, s string) string {
	t.Helper()
	s = strings.ReplaceAll(s, "<br>", "\n")
	return mmdEntityRE.ReplaceAllStringFunc(s, func(e string) string {
		return string(rune(atoi(t, e[1:len(e)-1])))
	})
}

// parseMermaid reads back what WriteStateDiagram writes in Mermaid,
// failing on any line it does not expect.
func parseMermaid(t fataler, src []byte) parsed {
	t.Helper()
	text := string(src)
	const header = "stateDiagram-v2\n\tdirection LR\n"
	if !strings.HasPrefix(text, header) || !strings.HasSuffix(text, "\n") {
		t.Fatalf("Mermaid header or trailer missing:\n%s", text)
	}
	var p parsed
	classDef := false
	for _, line := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(text, header), "\n"), "\n") {
		if m := mmdStateRE.FindStringSubmatch(line); m != nil {
			if atoi(t, m[2]) != len(p.Nodes) {
				t.Fatalf("state out of order: %q", line)
			}
			p.Nodes = append(p.Nodes, decodeMermaid(t, m[1]))
		} else if m := mmdStartRE.FindStringSubmatch(line); m != nil {
			p.Start = append(p.Start, atoi(t, m[1]))
		} else if m := mmdEdgeRE.FindStringSubmatch(line); m != nil {
			// The labels of the tests never hold ▶: each one marks the
			// start of a highlighted transition's label.
			label := decodeMermaid(t, m[3])
			hot := strings.Contains(label, "\u25b6")
			label = strings.ReplaceAll(strings.ReplaceAll(label, "\u25b6 ", ""), "\u25b6", "")
			p.Edges = append(p.Edges, parsedEdge{From: atoi(t, m[1]), To: atoi(t, m[2]), Label: label, Hot: hot})
		} else if line == mmdClassDef {
			classDef = true
		} else if m := mmdClassRE.FindStringSubmatch(line); m != nil {
			if !classDef {
				t.Fatalf("class before classDef in:\n%s", text)
			}
			for _, id := range strings.Split(m[1], ",") {
				p.Marked = append(p.Marked, atoi(t, id[1:]))
			}
		} else {
			t.Fatalf("unexpected Mermaid line %q in:\n%s", line, text)
		}
	}
	return p
}

func parseDiagram(t fataler, f lifecycle.Format, src []byte) parsed {
	t.Helper()
	if f == lifecycle.DOT {
		return parseDOT(t, src)
	}
	return parseMermaid(t, src)
}

// clean is the documented normalisation of a label: invalid UTF-8 is
// U+FFFD, control characters but newlines are spaces; Mermaid also drops
// leading and trailing white space and draws an empty state as a no-break
// space.
func clean(f lifecycle.Format, s string, state bool) string {
	s = strings.Map(func(r rune) rune {
		if r != '\n' && (r < 0x20 || r == 0x7f) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if f == lifecycle.Mermaid {
		s = strings.TrimSpace(s)
		if s == "" && state {
			return "\u00a0"
		}
	}
	return s
}

// expect is what parsing the rendering of d in format f must give back.
// In Mermaid, the loops of a state are one edge whose label lists theirs.
func expect[S, E interface {
	comparable
	fmt.Stringer
}](f lifecycle.Format, d lifecycle.StateDiagram[S, E]) parsed {
	var p parsed
	index := map[S]int{}
	for i, s := range d.States {
		index[s] = i
		p.Nodes = append(p.Nodes, clean(f, s.String(), true))
	}
	set := func(states []S) []int {
		var out []int
		for _, s := range states {
			if !slices.Contains(out, index[s]) {
				out = append(out, index[s])
			}
		}
		slices.Sort(out)
		return out
	}
	p.Start, p.Marked = set(d.Start), set(d.Marked)
	loops := map[int]int{} // Mermaid: state -> its loop in p.Edges
	for _, tr := range d.Transitions {
		label := tr.Event.String()
		if tr.Guard != "" {
			label += "\n[" + tr.Guard + "]"
		}
		e := parsedEdge{From: index[tr.From], To: index[tr.To], Label: clean(f, label, false), Hot: slices.Contains(d.Path, tr)}
		if i, ok := loops[e.From]; ok && f == lifecycle.Mermaid && e.From == e.To {
			p.Edges[i].Label += "\n" + e.Label
			p.Edges[i].Hot = p.Edges[i].Hot || e.Hot
			continue
		}
		if e.From == e.To {
			loops[e.From] = len(p.Edges)
		}
		p.Edges = append(p.Edges, e)
	}
	return p
}

func nilIfEmpty(p parsed) parsed {
	if len(p.Start) == 0 {
		p.Start = nil
	}
	if len(p.Marked) == 0 {
		p.Marked = nil
	}
	return p
}

// TestDiagramEveryTransition checks, for both machines in both formats
// and every option set, that every transition of the declared table is an
// edge labelled with its event and guard, and nothing else is.
func TestDiagramEveryTransition(t *testing.T) {
	for _, f := range lifecycle.Formats() {
		for _, v := range goldenVariants() {
			client := lifecycle.StateDiagram[lifecycle.State, lifecycle.Event]{States: lifecycle.States(), Transitions: lifecycle.ClientTransitions()}
			chain := lifecycle.StateDiagram[lifecycle.Step, lifecycle.ChainEvent]{States: lifecycle.Steps(), Transitions: lifecycle.ChainTransitions()}
			if v.opts.Start {
				client.Start, chain.Start = []lifecycle.State{lifecycle.None}, []lifecycle.Step{lifecycle.Staged}
			}
			if o := v.opts.Highlight; o != nil {
				client.Marked = []lifecycle.State{o.From, o.To}
				client.Path = []lifecycle.Transition[lifecycle.State, lifecycle.Event]{{Event: o.Event, From: o.From, To: o.To, Guard: "ClientInstallAction=Install"}}
				chain.Marked = o.Steps
				chain.Path = []lifecycle.Transition[lifecycle.Step, lifecycle.ChainEvent]{
					{Event: lifecycle.RunInstaller, From: lifecycle.Staged, To: lifecycle.Installer, Guard: "device trusts Mobile2Market, or platform exempt from signing"},
					{Event: lifecycle.Trust, From: lifecycle.Installer, To: lifecycle.Setup, Guard: "Authenticode certificate installed (unlocked device), or platform exempt"},
					{Event: lifecycle.Finish, From: lifecycle.Setup, To: lifecycle.Done, Guard: "no enrollment"},
				}
			}
			for _, c := range []struct {
				m    lifecycle.DiagramMachine
				want parsed
			}{{lifecycle.ClientMachine, expect(f, client)}, {lifecycle.InstallerChain, expect(f, chain)}} {
				got := parseDiagram(t, f, diagram(t, c.m, f, v.opts))
				if diff := cmp.Diff(nilIfEmpty(c.want), nilIfEmpty(got)); diff != "" {
					t.Errorf("%v %v %+v: edges mismatch (-want +got):\n%s", c.m, f, v.opts, diff)
				}
				labels := 0
				for _, e := range got.Edges {
					labels += strings.Count(e.Label, "\n[")
				}
				if c.m == lifecycle.ClientMachine && labels != len(lifecycle.ClientTransitions()) ||
					c.m == lifecycle.InstallerChain && labels != len(lifecycle.ChainTransitions()) {
					t.Errorf("%v %v: %d transition labels, want one per transition", c.m, f, labels)
				}
			}
		}
	}
}

// TestDiagramSelfTransitions checks that every reconfigure is a loop.
func TestDiagramSelfTransitions(t *testing.T) {
	for _, f := range lifecycle.Formats() {
		p := parseDiagram(t, f, diagram(t, lifecycle.ClientMachine, f, lifecycle.DiagramOptions{}))
		loops := 0
		for _, e := range p.Edges {
			if strings.Contains("\n"+e.Label, "\nreconfigure\n") {
				if e.From != e.To {
					t.Errorf("%v: reconfigure edge %d -> %d is not a loop", f, e.From, e.To)
				}
				loops++
			}
		}
		if loops != 3 {
			t.Errorf("%v: %d reconfigure loops, want 3 (older, same, newer)", f, loops)
		}
	}
}

// TestDiagramIndependentOfMachines draws every diagram while machines in
// every state run, concurrently: the bytes never change.
func TestDiagramIndependentOfMachines(t *testing.T) {
	type key struct {
		m lifecycle.DiagramMachine
		f lifecycle.Format
		v int
	}
	first := map[key][]byte{}
	for _, m := range lifecycle.DiagramMachines() {
		for _, f := range lifecycle.Formats() {
			for i, v := range goldenVariants() {
				first[key{m, f, i}] = diagram(t, m, f, v.opts)
			}
		}
	}
	var machines []*lifecycle.Machine
	for _, s := range lifecycle.States() {
		mc, err := lifecycle.NewMachine(s)
		if err != nil {
			t.Fatal(err)
		}
		machines = append(machines, mc)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i, mc := range machines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, s := range lifecycle.States() {
				if err := mc.Restore(s); err != nil {
					errs <- err.Error()
					return
				}
				for k, want := range first {
					var buf bytes.Buffer
					if err := lifecycle.WriteDiagram(&buf, k.m, k.f, goldenVariants()[k.v].opts); err != nil {
						errs <- err.Error()
						return
					}
					if !bytes.Equal(buf.Bytes(), want) {
						errs <- fmt.Sprintf("machine %d in state %v: %v %v variant %d changed", i, s, k.m, k.f, k.v)
						return
					}
				}
			}
			// Fired events change the machine's state, never the diagram.
			_, _ = mc.Fire(context.Background(), lifecycle.Uninstall, lifecycle.Scenario{})
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for k, want := range first {
		if got := diagram(t, k.m, k.f, goldenVariants()[k.v].opts); !bytes.Equal(got, want) {
			t.Errorf("%v %v variant %d changed after the machines ran", k.m, k.f, k.v)
		}
	}
}

// TestDiagramHighlightClient checks the client path of every outcome the
// table allows, and of every run that moved nothing.
func TestDiagramHighlightClient(t *testing.T) {
	for _, f := range lifecycle.Formats() {
		for _, tr := range lifecycle.ClientTransitions() {
			for _, failure := range lifecycle.Failures() {
				o := &lifecycle.Outcome{From: tr.From, To: tr.To, Event: tr.Event, Failure: failure}
				completed := failure == lifecycle.NoFailure || failure == lifecycle.FailureEnrollment
				if !completed {
					o.To = o.From
				}
				var buf bytes.Buffer
				err := lifecycle.WriteDiagram(&buf, lifecycle.ClientMachine, f, lifecycle.DiagramOptions{Highlight: o})
				if err != nil {
					t.Fatalf("%v %+v: %v", f, o, err)
				}
				if marks := strings.Count(buf.String(), "#9654;"); f == lifecycle.Mermaid && (marks != 1 || !strings.Contains(buf.String(), "#9654;#32;"+tr.Event.String()+"<br>")) && completed {
					t.Errorf("%v %+v: %d marks, want one before %v:\n%s", f, o, marks, tr.Event, buf.Bytes())
				}
				p := parseDiagram(t, f, buf.Bytes())
				var hot []parsedEdge
				for _, e := range p.Edges {
					if e.Hot {
						hot = append(hot, e)
					}
				}
				from, to := int(tr.From), int(tr.To) // States() order is the value order
				if completed {
					wantMarked := []int{min(from, to), max(from, to)}
					if from == to {
						wantMarked = wantMarked[:1]
					}
					if diff := cmp.Diff(wantMarked, p.Marked); diff != "" {
						t.Errorf("%v %+v: marked states mismatch (-want +got):\n%s", f, o, diff)
					}
					if len(hot) != 1 || hot[0].From != from || hot[0].To != to || !strings.Contains("\n"+hot[0].Label, "\n"+tr.Event.String()+"\n") {
						t.Errorf("%v %+v: highlighted edges %+v, want the one %v edge", f, o, hot, tr.Event)
					}
				} else {
					if diff := cmp.Diff([]int{from}, p.Marked); diff != "" {
						t.Errorf("%v %+v: marked states mismatch (-want +got):\n%s", f, o, diff)
					}
					if len(hot) != 0 {
						t.Errorf("%v %+v: highlighted edges %+v of a run that moved nothing", f, o, hot)
					}
				}
			}
		}
		// No action: the state alone.
		for _, s := range lifecycle.States() {
			p := parseDiagram(t, f, diagram(t, lifecycle.ClientMachine, f, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{From: s, To: s}}))
			if diff := cmp.Diff([]int{int(s)}, p.Marked); diff != "" {
				t.Errorf("%v no action in %v: marked states mismatch (-want +got):\n%s", f, s, diff)
			}
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
		for _, tr := range lifecycle.ChainTransitions() {
			if tr.From == last {
				ended = false
				walk(append(slices.Clone(path), tr.To))
			}
		}
		if ended {
			paths = append(paths, path)
		}
	}
	walk([]lifecycle.Step{lifecycle.Staged})
	return paths
}

// TestDiagramHighlightChain checks the highlighted path of every path
// through the installer chain and of every prefix of one (a canceled run).
func TestDiagramHighlightChain(t *testing.T) {
	paths := chainPaths()
	if len(paths) != 4 {
		t.Fatalf("%d paths through the chain, want 4: %v", len(paths), paths)
	}
	for _, f := range lifecycle.Formats() {
		for _, path := range paths {
			for n := 0; n <= len(path); n++ {
				steps := path[:n]
				p := parseDiagram(t, f, diagram(t, lifecycle.InstallerChain, f, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{Steps: steps}}))
				var wantMarked []int
				for _, s := range steps {
					wantMarked = append(wantMarked, int(s)-1) // Steps() order, from 1
				}
				slices.Sort(wantMarked)
				if diff := cmp.Diff(wantMarked, p.Marked); diff != "" {
					t.Errorf("%v %v: marked steps mismatch (-want +got):\n%s", f, steps, diff)
				}
				var wantHot, gotHot [][2]int
				for i := 1; i < len(steps); i++ {
					wantHot = append(wantHot, [2]int{int(steps[i-1]) - 1, int(steps[i]) - 1})
				}
				for _, e := range p.Edges {
					if e.Hot {
						gotHot = append(gotHot, [2]int{e.From, e.To})
					}
				}
				slices.SortFunc(wantHot, func(a, b [2]int) int { return a[0] - b[0] })
				if diff := cmp.Diff(wantHot, gotHot); diff != "" {
					t.Errorf("%v %v: highlighted edges mismatch (-want +got):\n%s", f, steps, diff)
				}
			}
		}
	}
}

func TestDiagramErrors(t *testing.T) {
	valid := sampleOutcome()
	for _, c := range []struct {
		name   string
		m      lifecycle.DiagramMachine
		f      lifecycle.Format
		opts   lifecycle.DiagramOptions
		target error
	}{
		{"zero machine", 0, lifecycle.DOT, lifecycle.DiagramOptions{}, lifecycle.ErrInvalidInput},
		{"unknown machine", 3, lifecycle.Mermaid, lifecycle.DiagramOptions{}, lifecycle.ErrInvalidInput},
		{"zero format", lifecycle.ClientMachine, 0, lifecycle.DiagramOptions{}, lifecycle.ErrInvalidInput},
		{"unknown format", lifecycle.InstallerChain, 3, lifecycle.DiagramOptions{}, lifecycle.ErrInvalidInput},
		{"invalid from", lifecycle.ClientMachine, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{From: 9, To: lifecycle.Same, Event: lifecycle.Install}}, lifecycle.ErrInvalidInput},
		{"invalid to", lifecycle.ClientMachine, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{From: lifecycle.None, To: 9, Event: lifecycle.Install}}, lifecycle.ErrInvalidInput},
		{"invalid event", lifecycle.ClientMachine, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{From: lifecycle.None, To: lifecycle.Same, Event: 9}}, lifecycle.ErrInvalidInput},
		{"transition not in table", lifecycle.ClientMachine, lifecycle.Mermaid, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{From: lifecycle.Newer, To: lifecycle.Same, Event: lifecycle.Upgrade}}, lifecycle.ErrNotInTable},
		{"failed run that moved", lifecycle.ClientMachine, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Same, Event: lifecycle.Upgrade, Failure: lifecycle.FailureAccessDenied}}, lifecycle.ErrNotInTable},
		{"no action that moved", lifecycle.ClientMachine, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{From: lifecycle.Older, To: lifecycle.Same}}, lifecycle.ErrNotInTable},
		{"invalid step", lifecycle.InstallerChain, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{Steps: []lifecycle.Step{lifecycle.Staged, 0}}}, lifecycle.ErrInvalidInput},
		{"step skipped", lifecycle.InstallerChain, lifecycle.Mermaid, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{Steps: []lifecycle.Step{lifecycle.Staged, lifecycle.Setup}}}, lifecycle.ErrNotInTable},
		{"step backwards", lifecycle.InstallerChain, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: &lifecycle.Outcome{Steps: []lifecycle.Step{lifecycle.Done, lifecycle.Setup}}}, lifecycle.ErrNotInTable},
		{"valid options, invalid format", lifecycle.ClientMachine, 0, lifecycle.DiagramOptions{Start: true, Highlight: valid}, lifecycle.ErrInvalidInput},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := lifecycle.WriteDiagram(&buf, c.m, c.f, c.opts)
			if !errors.Is(err, c.target) {
				t.Fatalf("WriteDiagram: error %v, want one that is %v", err, c.target)
			}
			if !strings.HasPrefix(err.Error(), "lifecycle: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if buf.Len() != 0 {
				t.Errorf("WriteDiagram wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// name is a state or event of a test table: any text.
type name string

func (n name) String() string { return string(n) }

type nameDiagram = lifecycle.StateDiagram[name, name]

func TestStateDiagramErrors(t *testing.T) {
	tr := lifecycle.Transition[name, name]{Event: "e", From: "a", To: "b"}
	for _, c := range []struct {
		desc   string
		d      nameDiagram
		target error
		as     any
	}{
		{"state listed twice", nameDiagram{States: []name{"a", "b", "a"}}, lifecycle.ErrInvalidInput, new(*lifecycle.InputError)},
		{"transition from an unknown state", nameDiagram{States: []name{"b"}, Transitions: []lifecycle.Transition[name, name]{tr}}, lifecycle.ErrNotInTable, new(*lifecycle.NotInTableError)},
		{"transition to an unknown state", nameDiagram{States: []name{"a"}, Transitions: []lifecycle.Transition[name, name]{tr}}, lifecycle.ErrNotInTable, new(*lifecycle.NotInTableError)},
		{"unknown start", nameDiagram{States: []name{"a", "b"}, Start: []name{"c"}}, lifecycle.ErrNotInTable, new(*lifecycle.NotInTableError)},
		{"unknown marked", nameDiagram{States: []name{"a", "b"}, Marked: []name{"c"}}, lifecycle.ErrNotInTable, new(*lifecycle.NotInTableError)},
		{"path not in table", nameDiagram{States: []name{"a", "b"}, Transitions: []lifecycle.Transition[name, name]{tr}, Path: []lifecycle.Transition[name, name]{{Event: "e", From: "a", To: "b", Guard: "g"}}}, lifecycle.ErrNotInTable, new(*lifecycle.NotInTableError)},
	} {
		for _, f := range lifecycle.Formats() {
			var buf bytes.Buffer
			err := lifecycle.WriteStateDiagram(&buf, f, c.d)
			if !errors.Is(err, c.target) || !errors.As(err, c.as) {
				t.Errorf("%s (%v): error %v, want one that is %v", c.desc, f, err, c.target)
			}
			if buf.Len() != 0 {
				t.Errorf("%s (%v): wrote %d bytes before failing", c.desc, f, buf.Len())
			}
		}
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestDiagramWriteError(t *testing.T) {
	boom := errors.New("boom")
	for _, f := range lifecycle.Formats() {
		if err := lifecycle.WriteDiagram(failingWriter{boom}, lifecycle.ClientMachine, f, lifecycle.DiagramOptions{}); !errors.Is(err, boom) {
			t.Errorf("%v: error %v, want the writer's", f, err)
		}
	}
}

// hostile is a table whose every label is something a careless renderer
// would break on.
func hostile() nameDiagram {
	states := []name{
		`quote " and \" and \\`, `back\slash \N \G \l`, "new\nline\r\nand\ttab",
		"colon: semi; hash # percent %% comment", "[*] --> arrow {brace}", "<b>html</b> &amp; &lt;",
		"*emph* _under_ `code` 1. list", "end", "state", "class", "", " padded ", "日本語 ✓ é",
		"bad \xff utf8", "s0", "start0", "direction TB", "#quot; #58;",
	}
	d := nameDiagram{States: states, Start: []name{states[0], states[7]}, Marked: []name{states[2], states[11]}}
	for i, s := range states {
		to := states[(i*7+3)%len(states)]
		tr := lifecycle.Transition[name, name]{Event: states[(i+5)%len(states)], From: s, To: to, Guard: string(states[(i+9)%len(states)])}
		d.Transitions = append(d.Transitions, tr)
		if i%4 == 0 {
			d.Path = append(d.Path, tr)
		}
	}
	d.Transitions = append(d.Transitions, lifecycle.Transition[name, name]{Event: "self: loop", From: states[3], To: states[3]})
	return d
}

// TestStateDiagramEscaping checks that every label of the hostile table
// reads back as written (after the documented normalisation), in both
// formats.
func TestStateDiagramEscaping(t *testing.T) {
	d := hostile()
	for _, f := range lifecycle.Formats() {
		var buf bytes.Buffer
		if err := lifecycle.WriteStateDiagram(&buf, f, d); err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(buf.Bytes()) {
			t.Errorf("%v: output is not UTF-8", f)
		}
		if diff := cmp.Diff(nilIfEmpty(expect(f, d)), nilIfEmpty(parseDiagram(t, f, buf.Bytes()))); diff != "" {
			t.Errorf("%v: read back mismatch (-want +got):\n%s", f, diff)
		}
	}
}

// genDiagram draws a random table over random labels, with random start,
// marked states and path.
func genDiagram(t *rapid.T) nameDiagram {
	label := rapid.StringOfN(rapid.OneOf(
		rapid.RuneFrom([]rune("aZ09 \"\\:;#%[]*{}<>&|-_`\n\r\tn\u00a0é日")),
		rapid.Rune(),
	), 0, 12, -1).Filter(func(s string) bool { return !strings.Contains(s, "\u25b6") })
	states := rapid.SliceOfNDistinct(rapid.Custom(func(t *rapid.T) name { return name(label.Draw(t, "state")) }), 1, 6, func(n name) name { return n }).Draw(t, "states")
	state := rapid.SampledFrom(states)
	trs := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) lifecycle.Transition[name, name] {
		return lifecycle.Transition[name, name]{
			Event: name(label.Draw(t, "event")), From: state.Draw(t, "from"), To: state.Draw(t, "to"), Guard: label.Draw(t, "guard"),
		}
	}), 0, 10).Draw(t, "transitions")
	d := nameDiagram{States: states, Transitions: trs}
	d.Start = rapid.SliceOfN(state, 0, 2).Draw(t, "start")
	d.Marked = rapid.SliceOfN(state, 0, 4).Draw(t, "marked")
	if len(trs) > 0 {
		d.Path = rapid.SliceOfN(rapid.SampledFrom(trs), 0, 3).Draw(t, "path")
	}
	return d
}

func checkStateDiagram(t *rapid.T) {
	d := genDiagram(t)
	f := rapid.SampledFrom(lifecycle.Formats()).Draw(t, "format")
	var buf bytes.Buffer
	if err := lifecycle.WriteStateDiagram(&buf, f, d); err != nil {
		t.Fatalf("WriteStateDiagram: %v", err)
	}
	if diff := cmp.Diff(nilIfEmpty(expect(f, d)), nilIfEmpty(parseDiagram(t, f, buf.Bytes()))); diff != "" {
		t.Fatalf("%v: read back mismatch (-want +got):\n%s", f, diff)
	}
	// The order of Start, Marked and Path does not matter.
	shuffled := d
	shuffled.Start = rapid.Permutation(d.Start).Draw(t, "start order")
	shuffled.Marked = rapid.Permutation(d.Marked).Draw(t, "marked order")
	shuffled.Path = rapid.Permutation(d.Path).Draw(t, "path order")
	var again bytes.Buffer
	if err := lifecycle.WriteStateDiagram(&again, f, shuffled); err != nil {
		t.Fatalf("WriteStateDiagram, shuffled: %v", err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatalf("output depends on the order of Start, Marked or Path:\n%s\n---\n%s", buf.Bytes(), again.Bytes())
	}
}

func TestStateDiagramProperties(t *testing.T) { rapid.Check(t, checkStateDiagram) }

func FuzzWriteStateDiagram(f *testing.F) { f.Fuzz(rapid.MakeFuzz(checkStateDiagram)) }

// enum is what checkEnum needs of an enumerated type.
type enum interface {
	~uint8
	fmt.Stringer
	IsValid() bool
	MarshalText() ([]byte, error)
}

// checkEnum checks an enumerated type: all lists its values, in order from
// 1, named names; parse reads every name in any case and with spaces
// around, MarshalText and UnmarshalText round-trip, invalid values are not
// valid, and bad texts are *ParseErrors of type typ that change nothing.
func checkEnum[T enum, P interface {
	*T
	UnmarshalText([]byte) error
}](t *testing.T, typ string, all []T, names []string, parse func(string) (T, error), invalid []T, bad []string) {
	t.Helper()
	var got []string
	for i, v := range all {
		got = append(got, v.String())
		if !v.IsValid() {
			t.Errorf("%v is not valid", v)
		}
		for _, text := range []string{v.String(), strings.ToUpper(v.String()), " " + v.String() + "\t"} {
			if p, err := parse(text); err != nil || p != v {
				t.Errorf("Parse%s(%q) = %v, %v; want %v", typ, text, p, err, v)
			}
		}
		b, err := v.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back T
		if err := P(&back).UnmarshalText(b); err != nil || back != v {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back, err, v)
		}
		if int(v) != i+1 {
			t.Errorf("%s value %d is %d, want %d (the zero value is invalid)", typ, i, v, i+1)
		}
	}
	if diff := cmp.Diff(names, got); diff != "" {
		t.Errorf("%s names mismatch (-want +got):\n%s", typ, diff)
	}
	for _, v := range invalid {
		if v.IsValid() {
			t.Errorf("%s %v is valid", typ, v)
		}
	}
	for _, text := range bad {
		_, err := parse(text)
		var pe *lifecycle.ParseError
		if !errors.Is(err, lifecycle.ErrUnknownValue) || !errors.As(err, &pe) || pe.Type != typ || pe.Input != text {
			t.Errorf("Parse%s(%q): error %v, want a %s *ParseError", typ, text, err, typ)
		}
		v := all[0]
		if err := P(&v).UnmarshalText([]byte(text)); err == nil || v != all[0] {
			t.Errorf("UnmarshalText(%q) = %v, %v; want an error and no change", text, v, err)
		}
	}
}

func TestFormatEnum(t *testing.T) {
	checkEnum(t, "Format", lifecycle.Formats(), []string{"dot", "mermaid"}, lifecycle.ParseFormat,
		[]lifecycle.Format{0, 3, 255}, []string{"", "svg", "graphviz", "mmd", "dott"})
}

func TestDiagramMachineEnum(t *testing.T) {
	checkEnum(t, "DiagramMachine", lifecycle.DiagramMachines(), []string{"client", "installer"}, lifecycle.ParseDiagramMachine,
		[]lifecycle.DiagramMachine{0, 3, 255}, []string{"", "chain", "machine", "clients"})
}

// fuzzParse checks that parse accepts exactly the names of valid values,
// in any case and with spaces around.
func fuzzParse[T enum](f *testing.F, seeds []string, parse func(string) (T, error)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parse(s)
		var zero T
		if err != nil {
			if !errors.Is(err, lifecycle.ErrUnknownValue) || v != zero {
				t.Fatalf("parse(%q) = %v, %v", s, v, err)
			}
			return
		}
		if !v.IsValid() || !strings.EqualFold(strings.TrimSpace(s), v.String()) {
			t.Fatalf("parse(%q) = %v", s, v)
		}
	})
}

func FuzzParseFormat(f *testing.F) {
	fuzzParse(f, []string{"dot", "MERMAID", " mermaid", "svg", ""}, lifecycle.ParseFormat)
}

func FuzzParseDiagramMachine(f *testing.F) {
	fuzzParse(f, []string{"client", "Installer", "chain", ""}, lifecycle.ParseDiagramMachine)
}

func BenchmarkWriteDiagram(b *testing.B) {
	for _, m := range lifecycle.DiagramMachines() {
		for _, f := range lifecycle.Formats() {
			b.Run(m.String()+"/"+f.String(), func(b *testing.B) {
				var buf bytes.Buffer
				opts := lifecycle.DiagramOptions{Start: true, Highlight: sampleOutcome()}
				for b.Loop() {
					buf.Reset()
					if err := lifecycle.WriteDiagram(&buf, m, f, opts); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// ---- real renderers ----

// renderersRequired reports whether CI requires the real renderers
// (DMCLIENT_REQUIRE_RENDERERS=1): then a missing one fails the test instead
// of skipping it.
func renderersRequired() bool { return os.Getenv("DMCLIENT_REQUIRE_RENDERERS") == "1" }

// renderer returns the path of the program named by the environment
// variable env, or of name on PATH.
func renderer(t *testing.T, name, env string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", env, p, err)
		}
		return p
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (set %s or put it on PATH; .ci/run installs it)", name, env)
	if renderersRequired() {
		t.Fatalf("%s, and DMCLIENT_REQUIRE_RENDERERS=1 requires it", msg)
	}
	t.Skip(msg)
	return ""
}

func run(prog string, stdin []byte, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.Command(prog, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

// svgTexts returns the text of every element of an SVG document, white
// space collapsed.
func svgTexts(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var texts []string
	inStyle := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inStyle = tok.Name.Local == "style"
		case xml.EndElement:
			inStyle = false
		case xml.CharData:
			if s := strings.Join(strings.Fields(string(tok)), " "); s != "" && !inStyle {
				texts = append(texts, s)
			}
		}
	}
	return texts
}

// diagramFiles returns the golden files with the extension ext.
func diagramFiles(t *testing.T, ext string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(diagramDir, "*"+ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s files in %s: %v", ext, diagramDir, err)
	}
	return files
}

// rendered holds the labels a diagram must show once rendered.
func rendered(t *testing.T, f lifecycle.Format, src []byte) []string {
	p := parseDiagram(t, f, src)
	var labels []string
	for _, n := range append(slices.Clone(p.Nodes), func() []string {
		var ls []string
		for _, e := range p.Edges {
			ls = append(ls, e.Label)
		}
		return ls
	}()...) {
		for _, line := range strings.Split(n, "\n") {
			if line = strings.Join(strings.Fields(line), " "); line != "" {
				labels = append(labels, line)
			}
		}
	}
	return labels
}

func checkTexts(t *testing.T, name string, svg []byte, labels []string) {
	t.Helper()
	texts := strings.Join(svgTexts(t, svg), "\n")
	for _, l := range labels {
		if !strings.Contains(texts, l) {
			t.Errorf("%s: the rendered SVG lacks the label %q", name, l)
		}
	}
}

// TestRenderDOT renders every DOT golden file and the hostile table with
// Graphviz: any warning or error fails, and every label must be drawn.
func TestRenderDOT(t *testing.T) {
	dot := renderer(t, "dot", "DMCLIENT_DOT")
	var hostileDOT bytes.Buffer
	if err := lifecycle.WriteStateDiagram(&hostileDOT, lifecycle.DOT, hostile()); err != nil {
		t.Fatal(err)
	}
	sources := map[string][]byte{"hostile table": hostileDOT.Bytes()}
	for _, file := range diagramFiles(t, ".dot") {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sources[file] = src
	}
	for name, src := range sources {
		svg, stderr, err := run(dot, src, "-Tsvg")
		if err != nil || len(stderr) > 0 {
			t.Errorf("dot -Tsvg %s: %v\n%s", name, err, stderr)
			continue
		}
		checkTexts(t, name, svg, rendered(t, lifecycle.DOT, src))
	}
}

// TestRenderMermaid renders every Mermaid golden file and the hostile
// table with the Mermaid CLI (mmdc), which exits non-zero on a syntax
// error; every label must be drawn. DMCLIENT_MMDC names mmdc, and
// DMCLIENT_PUPPETEER_CONFIG a puppeteer configuration file for it (.ci/run
// sets both).
func TestRenderMermaid(t *testing.T) {
	mmdc := renderer(t, "mmdc", "DMCLIENT_MMDC")
	var args []string
	if cfg := os.Getenv("DMCLIENT_PUPPETEER_CONFIG"); cfg != "" {
		args = append(args, "-p", cfg)
	}
	dir := t.TempDir()
	var hostileMMD bytes.Buffer
	if err := lifecycle.WriteStateDiagram(&hostileMMD, lifecycle.Mermaid, hostile()); err != nil {
		t.Fatal(err)
	}
	hostileFile := filepath.Join(dir, "hostile.mmd")
	if err := os.WriteFile(hostileFile, hostileMMD.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, file := range append(diagramFiles(t, ".mmd"), hostileFile) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(file), ".mmd")+".svg")
		stdout, stderr, err := run(mmdc, nil, append([]string{"-q", "-i", file, "-o", out}, args...)...)
		if err != nil {
			t.Errorf("mmdc -i %s: %v\n%s%s", file, err, stdout, stderr)
			continue
		}
		svg, err := os.ReadFile(out)
		if err != nil {
			t.Errorf("mmdc -i %s wrote no SVG: %v", file, err)
			continue
		}
		checkTexts(t, file, svg, rendered(t, lifecycle.Mermaid, src))
	}
}
