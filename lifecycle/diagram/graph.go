package diagram

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/lifecycle"
)

// The styles and marks.
const (
	pathFill   = "#fde68a" // amber-200: a state on the path
	pathStroke = "#b45309" // amber-700: a transition on the path
	failColor  = "#b91c1c" // red-700: a failure that runs took
	idleColor  = "#9ca3af" // gray-400: a transition no run took
	hotMark    = "▶ "      // begins the label of a transition on the path
	loopMark   = "⟲ "      // begins a self-transition written inside its state
	wrapWidth  = 24        // the longest guard line, in runes, where spaces allow
	maxPen     = 5.0       // the DOT line width of the largest count
)

// graph is one machine ready to draw: its nodes in table order and one
// edge per transition of its table, in table order.
type graph struct {
	name    string
	nodes   []node
	edges   []edge
	overlay bool // counts are drawn
}

type node struct {
	name          string
	start, marked bool
}

type edge struct {
	from, to      int // node indexes
	event         string
	guard         []string // wrapped
	hot           bool     // on the highlighted path
	count, failed int      // the overlay's counts
	failure       bool     // a transition into a failure step
}

// spec is what a graph is built from: a table and the options, read.
type spec[S, E comparable] struct {
	name     string
	states   []S
	rows     []lifecycle.Transition[S, E]
	start    S
	event    func(E) string // the event's name in an error message
	failures []S            // the steps a failed run ends in
	hot      []lifecycle.Transition[S, E]
	marked   []S
	overlay  bool
	taken    map[lifecycle.Transition[S, E]]int
	failed   map[lifecycle.Transition[S, E]]int
}

func clientGraph(opts Options) (graph, error) {
	s := spec[lifecycle.State, lifecycle.Event]{name: "client", states: lifecycle.States(), rows: clientRows(),
		start: lifecycle.None, event: lifecycle.Event.String}
	if o := opts.Highlight; o != nil {
		var err error
		if s.hot, s.marked, err = clientPath(o, s.rows); err != nil {
			return graph{}, err
		}
	}
	if c := opts.Counts; c != nil {
		if err := s.check("Counts.Client", c.Client); err != nil {
			return graph{}, err
		}
		if err := s.check("Counts.Failed", c.Failed); err != nil {
			return graph{}, err
		}
		s.overlay, s.taken, s.failed = true, c.Client, c.Failed
	}
	return s.graph(opts.Start), nil
}

func chainGraph(opts Options) (graph, error) {
	s := spec[lifecycle.Step, string]{name: "chain", rows: chainRows(), start: lifecycle.Staged, event: quote.Short,
		failures: []lifecycle.Step{lifecycle.Denied}}
	for _, r := range s.rows {
		for _, st := range []lifecycle.Step{r.From, r.To} {
			if !slices.Contains(s.states, st) {
				s.states = append(s.states, st)
			}
		}
	}
	slices.Sort(s.states) // the order of the Step constants
	if o := opts.Highlight; o != nil {
		var err error
		if s.hot, s.marked, err = chainPath(o, s.states, s.rows); err != nil {
			return graph{}, err
		}
	}
	if c := opts.Counts; c != nil {
		if err := s.check("Counts.Chain", c.Chain); err != nil {
			return graph{}, err
		}
		s.overlay, s.taken = true, c.Chain
	}
	return s.graph(opts.Start), nil
}

// clientPath returns the highlighted transitions and states of the client
// machine from o.
func clientPath(o *lifecycle.Outcome, rows []lifecycle.Transition[lifecycle.State, lifecycle.Event]) (
	[]lifecycle.Transition[lifecycle.State, lifecycle.Event], []lifecycle.State, error) {
	for _, f := range []struct {
		name  string
		value fmt.Stringer
		ok    bool
	}{
		{"From", o.From, slices.Contains(lifecycle.States(), o.From)},
		{"To", o.To, slices.Contains(lifecycle.States(), o.To)},
		{"Event", o.Event, validEvent(o.Event)},
	} {
		if !f.ok {
			return nil, nil, &inputError{"highlight: " + f.name + " " + f.value.String() + " is not valid"}
		}
	}
	if !o.Transitioned() {
		if o.From != o.To {
			return nil, nil, &inputError{"highlight: a run that did not transition (no dmclientsetup step) moved from " +
				o.From.String() + " to " + o.To.String()}
		}
		return nil, []lifecycle.State{o.From}, nil
	}
	for _, r := range rows {
		if r.From == o.From && r.Event == o.Event && r.To == o.To {
			return []lifecycle.Transition[lifecycle.State, lifecycle.Event]{r}, []lifecycle.State{o.From, o.To}, nil
		}
	}
	return nil, nil, &inputError{"highlight: the client machine has no transition " +
		o.From.String() + " --" + o.Event.String() + "--> " + o.To.String()}
}

// chainPath returns the highlighted transitions and steps of the installer
// chain from o.
func chainPath(o *lifecycle.Outcome, steps []lifecycle.Step, rows []lifecycle.Transition[lifecycle.Step, string]) (
	[]lifecycle.Transition[lifecycle.Step, string], []lifecycle.Step, error) {
	for i, st := range o.Steps {
		if !slices.Contains(steps, st) {
			return nil, nil, &inputError{"highlight: Steps[" + strconv.Itoa(i) + "] " + st.String() + " is not valid"}
		}
	}
	if len(o.Steps) > 0 && o.Steps[0] != lifecycle.Staged {
		return nil, nil, &inputError{"highlight: Steps start at " + o.Steps[0].String() + ", not " + lifecycle.Staged.String()}
	}
	var hot []lifecycle.Transition[lifecycle.Step, string]
	for i := 1; i < len(o.Steps); i++ {
		from, to := o.Steps[i-1], o.Steps[i]
		j := slices.IndexFunc(rows, func(r lifecycle.Transition[lifecycle.Step, string]) bool { return r.From == from && r.To == to })
		if j < 0 {
			return nil, nil, &inputError{"highlight: the installer chain has no transition " + from.String() + " --> " + to.String()}
		}
		hot = append(hot, rows[j])
	}
	return hot, o.Steps, nil
}

// graph builds the graph.
func (s *spec[S, E]) graph(start bool) graph {
	g := graph{name: s.name, overlay: s.overlay}
	index := make(map[S]int, len(s.states))
	for i, st := range s.states {
		index[st] = i
		g.nodes = append(g.nodes, node{name: fmt.Sprint(st), start: start && st == s.start, marked: slices.Contains(s.marked, st)})
	}
	for _, r := range s.rows {
		g.edges = append(g.edges, edge{
			from: index[r.From], to: index[r.To], event: fmt.Sprint(r.Event), guard: wrap(r.Guard, wrapWidth),
			hot: slices.Contains(s.hot, r), count: s.taken[r], failed: s.failed[r], failure: slices.Contains(s.failures, r.To),
		})
	}
	return g
}

// check returns an error for a key of counts that is not a row of the
// table or a negative count: the first in the order of their messages, so
// that the error does not depend on the map's order.
func (s *spec[S, E]) check(field string, counts map[lifecycle.Transition[S, E]]int) error {
	var bad []string
	for r, n := range counts {
		name := fmt.Sprintf("%v --%s--> %v (guard %s)", r.From, s.event(r.Event), r.To, quote.Short(r.Guard))
		switch {
		case !slices.Contains(s.rows, r):
			bad = append(bad, field+": "+name+" is not a transition of the "+s.name+" table")
		case n < 0:
			bad = append(bad, field+": negative count "+strconv.Itoa(n)+" for "+name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	msg := slices.Min(bad)
	if len(bad) > 1 {
		msg += " (and " + strconv.Itoa(len(bad)-1) + " more)"
	}
	return &inputError{msg}
}

// wrap breaks s into lines of at most width runes where spaces allow: a
// clause (words up to one ending in ',', ':' or ';') begins a line unless
// it fits on the line of the clause before, and a clause longer than width
// is broken at spaces into the fewest lines, balanced so that the longest
// is as short as it can be (a word longer than width is a line of its
// own).
func wrap(s string, width int) []string {
	var lines []string
	joined := false // the last line is whole clauses
	var clause []string
	words := strings.Fields(s)
	for i, w := range words {
		clause = append(clause, w)
		if !strings.ContainsAny(w[len(w)-1:], ",:;") && i < len(words)-1 {
			continue
		}
		text := strings.Join(clause, " ")
		if n := len(lines); joined && n > 0 && runes(lines[n-1])+1+runes(text) <= width {
			lines[n-1] += " " + text
		} else if runes(text) <= width {
			lines, joined = append(lines, text), true
		} else {
			lines, joined = append(lines, balance(clause, width)...), false
		}
		clause = nil
	}
	return lines
}

func runes(s string) int { return len([]rune(s)) }

// balance breaks words into the fewest lines of at most width runes (a
// longer word is a line of its own), the longest line as short as it can
// be.
func balance(words []string, width int) []string {
	n := len(words)
	// best[i] is the best breaking of words[i:]: its line count, its
	// longest line, and where its first line ends.
	type choice struct{ lines, longest, end int }
	best := make([]choice, n+1)
	for i := n - 1; i >= 0; i-- {
		best[i] = choice{lines: n + 1}
		length := -1
		for j := i + 1; j <= n; j++ {
			length += 1 + runes(words[j-1])
			if length > width && j > i+1 {
				break
			}
			c := choice{lines: 1 + best[j].lines, longest: max(length, best[j].longest), end: j}
			if c.lines < best[i].lines || c.lines == best[i].lines && c.longest <= best[i].longest {
				best[i] = c
			}
		}
	}
	var lines []string
	for i := 0; i < n; i = best[i].end {
		lines = append(lines, strings.Join(words[i:best[i].end], " "))
	}
	return lines
}

// label returns the lines of e's label: the event line, with the path
// mark and the counts, then the guard.
func (g *graph) label(e edge) []string {
	first := e.event
	if e.hot {
		first = hotMark + first
	}
	if g.overlay {
		first += " (" + strconv.Itoa(e.count)
		if e.failed > 0 {
			first += ", " + strconv.Itoa(e.failed) + " failed"
		}
		first += ")"
	}
	return append([]string{first}, e.guard...)
}

// loops returns the labels of the self-transitions of node i, in table
// order, each beginning with the loop mark.
func (g *graph) loops(i int) [][]string {
	var ls [][]string
	for _, e := range g.edges {
		if e.from == i && e.to == i {
			l := g.label(e)
			l[0] = loopMark + l[0]
			ls = append(ls, l)
		}
	}
	return ls
}

func (g *graph) writeDOT(b *bytes.Buffer) {
	b.WriteString("digraph " + g.name + " {\n")
	b.WriteString("\trankdir=LR;\n")
	b.WriteString("\tnode [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=10];\n")
	for i, n := range g.nodes {
		var attrs []string
		if loops := g.loops(i); len(loops) > 0 {
			// The self-transitions, under the name in the edges' font.
			var lines []string
			for _, l := range loops {
				lines = append(lines, l...)
			}
			attrs = append(attrs, "label=<"+htmlText(n.name)+`<BR/><FONT POINT-SIZE="10">`+htmlText(strings.Join(lines, "\n"))+"</FONT>>")
		}
		if n.marked {
			attrs = append(attrs, `style="rounded,filled,bold"`, `fillcolor="`+pathFill+`"`, `color="`+pathStroke+`"`)
		}
		writeDOTLine(b, n.name, attrs)
	}
	for _, n := range g.nodes {
		if n.start {
			b.WriteString("\tstart [shape=point, width=0.15];\n")
			b.WriteString("\tstart -> " + n.name + ";\n")
		}
	}
	most := 0
	for _, e := range g.edges {
		most = max(most, e.count)
	}
	for _, e := range g.edges {
		var attrs []string
		if e.from != e.to { // a loop's label is in its state
			attrs = append(attrs, "label="+dotQuote(strings.Join(g.label(e), "\n")))
		}
		pen := 0.0
		if g.overlay {
			pen = 1
			if most > 0 {
				pen += (maxPen - 1) * float64(e.count) / float64(most)
			}
		}
		color, font := "", ""
		switch {
		case e.hot:
			color, font, pen = pathStroke, pathStroke, max(pen, 2.5)
		case !g.overlay:
		case e.failure && e.count > 0:
			color, font = failColor, failColor
		case e.failed > 0:
			font = failColor
		case e.count == 0:
			color, font = idleColor, idleColor
		}
		if color != "" {
			attrs = append(attrs, `color="`+color+`"`)
		}
		if font != "" && e.from != e.to {
			attrs = append(attrs, `fontcolor="`+font+`"`)
		}
		if pen > 0 {
			attrs = append(attrs, "penwidth="+strconv.FormatFloat(pen, 'f', 1, 64))
		}
		writeDOTLine(b, g.nodes[e.from].name+" -> "+g.nodes[e.to].name, attrs)
	}
	b.WriteString("}\n")
}

// writeDOTLine writes one DOT statement with its attributes.
func writeDOTLine(b *bytes.Buffer, stmt string, attrs []string) {
	b.WriteString("\t" + stmt)
	if len(attrs) > 0 {
		b.WriteString(" [" + strings.Join(attrs, ", ") + "]")
	}
	b.WriteString(";\n")
}

// dotQuote returns s as a DOT quoted string, newlines as \n: the escaping
// DOT requires.
func dotQuote(s string) string {
	return `"` + escape(s, map[rune]string{'\\': `\\`, '"': `\"`, '\n': `\n`}) + `"`
}

// htmlText returns s as the text of a DOT HTML-like label, newlines as
// <BR/>: the escaping such a label requires.
func htmlText(s string) string {
	return escape(s, map[rune]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\n': "<BR/>"})
}

// escape returns s with each rune that is a key of with replaced by its
// value.
func escape(s string, with map[rune]string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if e, ok := with[r]; ok {
			b.WriteString(e)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (g *graph) writeMermaid(b *bytes.Buffer) {
	b.WriteString("stateDiagram-v2\n")
	b.WriteString("\tdirection LR\n")
	for _, n := range g.nodes {
		if n.start {
			b.WriteString("\t[*] --> " + n.name + "\n")
		}
	}
	// A state's self-transitions are written inside it, under its name.
	for i, n := range g.nodes {
		loops := g.loops(i)
		if len(loops) > 0 {
			b.WriteString("\t" + n.name + " : " + n.name + "\n")
		}
		for _, l := range loops {
			b.WriteString("\t" + n.name + " : " + strings.Join(l, "<br>") + "\n")
		}
	}
	for _, e := range g.edges {
		if e.from != e.to {
			b.WriteString("\t" + g.nodes[e.from].name + " --> " + g.nodes[e.to].name + " : " + strings.Join(g.label(e), "<br>") + "\n")
		}
	}
	var marked []string
	for _, n := range g.nodes {
		if n.marked {
			marked = append(marked, n.name)
		}
	}
	if len(marked) > 0 {
		b.WriteString("\tclassDef onpath fill:" + pathFill + ",stroke:" + pathStroke + ",stroke-width:3px\n")
		b.WriteString("\tclass " + strings.Join(marked, ",") + " onpath\n")
	}
}

// validEvent reports whether e is one of lifecycle's events: by the enum
// convention, only those marshal.
func validEvent(e lifecycle.Event) bool {
	_, err := e.MarshalText()
	return err == nil
}
