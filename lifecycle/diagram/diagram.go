package lifecycle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Format is the text format of a state diagram. The zero Format is invalid.
type Format uint8

// The formats, in the order [Formats] returns them.
const (
	// DOT is the Graphviz DOT language: render it with `dot -Tsvg`.
	DOT Format = iota + 1
	// Mermaid is a Mermaid stateDiagram-v2, which code hosts render inline
	// in Markdown.
	Mermaid
)

var formatNames = names{typ: "Format", first: uint8(DOT), list: []string{"dot", "mermaid"}}

// Formats returns [DOT] and [Mermaid].
func Formats() []Format { return []Format{DOT, Mermaid} }

// String returns "dot" or "mermaid".
func (f Format) String() string { return formatNames.name(uint8(f)) }

// IsValid reports whether f is one of [Formats].
func (f Format) IsValid() bool { return formatNames.valid(uint8(f)) }

// ParseFormat returns the Format named s (case-insensitive): "dot" or
// "mermaid".
func ParseFormat(s string) (Format, error) {
	v, err := formatNames.parse(s)
	return Format(v), err
}

// MarshalText implements encoding.TextMarshaler.
func (f Format) MarshalText() ([]byte, error) { return formatNames.marshal(uint8(f)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *Format) UnmarshalText(text []byte) error { return unmarshalText(&formatNames, text, f) }

// DiagramMachine names one of the two machines [WriteDiagram] draws. The
// zero DiagramMachine is invalid.
type DiagramMachine uint8

// The machines, in the order [DiagramMachines] returns them.
const (
	// ClientMachine is the client machine: the rows of [ClientTransitions]
	// over [States].
	ClientMachine DiagramMachine = iota + 1
	// InstallerChain is the installer chain: the rows of
	// [ChainTransitions] over [Steps].
	InstallerChain
)

var diagramMachineNames = names{typ: "DiagramMachine", first: uint8(ClientMachine), list: []string{"client", "installer"}}

// DiagramMachines returns [ClientMachine] and [InstallerChain].
func DiagramMachines() []DiagramMachine { return []DiagramMachine{ClientMachine, InstallerChain} }

// String returns "client" or "installer".
func (m DiagramMachine) String() string { return diagramMachineNames.name(uint8(m)) }

// IsValid reports whether m is one of [DiagramMachines].
func (m DiagramMachine) IsValid() bool { return diagramMachineNames.valid(uint8(m)) }

// ParseDiagramMachine returns the DiagramMachine named s
// (case-insensitive): "client" or "installer".
func ParseDiagramMachine(s string) (DiagramMachine, error) {
	v, err := diagramMachineNames.parse(s)
	return DiagramMachine(v), err
}

// MarshalText implements encoding.TextMarshaler.
func (m DiagramMachine) MarshalText() ([]byte, error) { return diagramMachineNames.marshal(uint8(m)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *DiagramMachine) UnmarshalText(text []byte) error {
	return unmarshalText(&diagramMachineNames, text, m)
}

// DiagramOptions are the options of [WriteDiagram]. The zero value draws
// the plain table.
type DiagramOptions struct {
	// Start marks the start state with an arrow from a start point: [None]
	// for the client machine (a device with no client), [Staged] for the
	// installer chain.
	Start bool
	// Highlight, when not nil, highlights the path one run took; see
	// [WriteDiagram].
	Highlight *Outcome
}

// ErrNotInTable is wrapped by every [*NotInTableError].
var ErrNotInTable = errors.New("lifecycle: not in the transition table")

// NotInTableError reports a state or a transition that a diagram was asked
// to mark or highlight but that its transition table does not have. It
// wraps [ErrNotInTable].
type NotInTableError struct {
	What  string // "state" or "transition"
	Value string // the state, or the transition as "from --event--> to"
}

// Error returns a message naming what was not found.
func (e *NotInTableError) Error() string {
	return "lifecycle: diagram: " + e.What + " " + strconv.Quote(e.Value) + " not in the transition table"
}

// Unwrap returns [ErrNotInTable].
func (e *NotInTableError) Unwrap() error { return ErrNotInTable }

// WriteDiagram writes the state diagram of machine m in format f to w,
// generated from the declared table ([ClientTransitions] or
// [ChainTransitions]) and nothing else: the output depends only on its
// arguments, never on any [Machine] or its current state, and is the same
// bytes on every call. Every transition is an edge labelled with its event
// and, in brackets, its guard; a self-transition ([Reconfigure]) is a loop.
// See [WriteStateDiagram] for the escaping and the styles.
//
// With opts.Highlight set, the diagram highlights the path that outcome
// took. Modelling choice: on the client machine, the transition
// From --Event--> To is highlighted with its two states when the outcome
// says it was made ([Outcome.Transitioned]); when nothing moved (no action,
// or a rejected, denied or canceled run, From == To) only the From state
// is highlighted. On the installer chain, every step of Outcome.Steps and
// the transition between each two consecutive steps is highlighted; an
// outcome without steps highlights nothing. A path the table does not have
// returns a [*NotInTableError]; an invalid state, event or step in the
// outcome returns an [*InputError].
//
// On error nothing is written.
func WriteDiagram(w io.Writer, m DiagramMachine, f Format, opts DiagramOptions) error {
	switch m {
	case ClientMachine:
		d := StateDiagram[State, Event]{States: States(), Transitions: ClientTransitions()}
		if opts.Start {
			d.Start = []State{None}
		}
		if o := opts.Highlight; o != nil {
			if err := clientPath(&d, o); err != nil {
				return err
			}
		}
		return WriteStateDiagram(w, f, d)
	case InstallerChain:
		d := StateDiagram[Step, ChainEvent]{States: Steps(), Transitions: ChainTransitions()}
		if opts.Start {
			d.Start = []Step{Staged}
		}
		if o := opts.Highlight; o != nil {
			if err := chainPath(&d, o); err != nil {
				return err
			}
		}
		return WriteStateDiagram(w, f, d)
	}
	return &InputError{Field: "DiagramMachine", Value: m.String()}
}

// clientPath sets d's highlighted path to the one outcome o took on the
// client machine.
func clientPath(d *StateDiagram[State, Event], o *Outcome) error {
	for _, bad := range []struct {
		field string
		ok    bool
		value fmt.Stringer
	}{
		{"Highlight.From", o.From.IsValid(), o.From},
		{"Highlight.To", o.To.IsValid(), o.To},
		{"Highlight.Event", o.Event.IsValid(), o.Event},
	} {
		if !bad.ok {
			return &InputError{Field: bad.field, Value: bad.value.String()}
		}
	}
	if !o.Transitioned() {
		if o.From != o.To {
			return &NotInTableError{What: "transition", Value: o.From.String() + " --" + o.Event.String() + "--> " + o.To.String()}
		}
		d.Marked = []State{o.From}
		return nil
	}
	if t, ok := clientTransition(o.Event, o.From); ok && t.To == o.To {
		d.Path = []Transition[State, Event]{t}
		d.Marked = []State{o.From, o.To}
		return nil
	}
	return &NotInTableError{What: "transition", Value: o.From.String() + " --" + o.Event.String() + "--> " + o.To.String()}
}

// chainPath sets d's highlighted path to the installer chain steps of
// outcome o.
func chainPath(d *StateDiagram[Step, ChainEvent], o *Outcome) error {
	for _, s := range o.Steps {
		if !s.IsValid() {
			return &InputError{Field: "Highlight.Steps", Value: s.String()}
		}
	}
	d.Marked = append([]Step(nil), o.Steps...)
	for i := 1; i < len(o.Steps); i++ {
		from, to := o.Steps[i-1], o.Steps[i]
		t, ok := chainTransition(from, to)
		if !ok {
			return &NotInTableError{What: "transition", Value: from.String() + " --> " + to.String()}
		}
		d.Path = append(d.Path, t)
	}
	return nil
}

// StateDiagram is a state diagram of any declared transition table: what
// [WriteStateDiagram] draws. [WriteDiagram] builds one for each of this
// package's machines; tools can draw their own tables with it.
type StateDiagram[S, E interface {
	comparable
	fmt.Stringer
}] struct {
	// States are the states drawn, in order; every state a transition
	// names must be one of them, and none may appear twice. The label of a
	// state is its String.
	States []S
	// Transitions are the edges, in order. The label of an edge is the
	// event's String followed by the guard in brackets, if there is one.
	Transitions []Transition[S, E]
	// Start lists the states marked as start states (usually one).
	Start []S
	// Path lists the transitions to highlight; each must be one of
	// Transitions (an equal one highlights every equal row).
	Path []Transition[S, E]
	// Marked lists the states to highlight.
	Marked []S
}

// The styles of a highlighted path.
const (
	pathFill   = "#fde68a" // amber-200
	pathStroke = "#b45309" // amber-700
	pathMark   = "#9654;"  // ▶, before the label of a highlighted Mermaid transition
)

// graph is a StateDiagram with its generic types rendered away: node i is
// state i, drawn with the id "s<i>".
type graph struct {
	labels []string
	start  []bool
	marked []bool
	edges  []edge
}

type edge struct {
	from, to int
	label    string
	hot      bool
}

// WriteStateDiagram writes d in format f to w. The output is a function
// of f and d alone, byte for byte; the order of Start, Path and Marked does
// not matter.
//
// Nodes get the ids s0, s1, ... in the order of d.States, so that no label
// ever needs to be an identifier; labels are escaped.
//
// In DOT, labels are quoted strings in which backslashes and double quotes
// are escaped, ampersands are &amp; (Graphviz decodes entities), newlines
// are \n, carriage returns and other control characters are spaces, and
// invalid UTF-8 becomes U+FFFD.
//
// In Mermaid, every character but ASCII letters and digits is written as a
// Mermaid entity code such as #58; or #32;, so that neither the diagram
// syntax (whose keywords, such as "direction TB", match even inside
// labels) nor the Markdown that Mermaid renders labels with can read it. A
// newline is <br>, other control characters are spaces, invalid UTF-8 is
// U+FFFD, leading and trailing white space is dropped, and an empty state
// label is a no-break space, since Mermaid rejects an empty one.
//
// A start state gets an arrow from a start point. Highlighted states are
// filled amber; a highlighted edge is amber and bold in DOT and its label
// begins with ▶ in Mermaid, whose state diagrams cannot style edges.
// Mermaid draws at most one loop per state (a second replaces the first),
// so in Mermaid the self-transitions of a state are one loop whose label
// lists each transition's label, in order, separated by line breaks.
//
// A state named by a transition, Start, Path or Marked that d.States does
// not have, or a Path transition that d.Transitions does not have, returns
// a [*NotInTableError]; an invalid format or a state listed twice returns
// an [*InputError]. On error nothing is written.
func WriteStateDiagram[S, E interface {
	comparable
	fmt.Stringer
}](w io.Writer, f Format, d StateDiagram[S, E]) error {
	if !f.IsValid() {
		return &InputError{Field: "Format", Value: f.String()}
	}
	index := make(map[S]int, len(d.States))
	g := graph{
		labels: make([]string, len(d.States)),
		start:  make([]bool, len(d.States)),
		marked: make([]bool, len(d.States)),
	}
	for i, s := range d.States {
		if _, dup := index[s]; dup {
			return &InputError{Field: "StateDiagram.States", Value: s.String()}
		}
		index[s] = i
		g.labels[i] = s.String()
	}
	node := func(s S) (int, error) {
		i, ok := index[s]
		if !ok {
			return 0, &NotInTableError{What: "state", Value: s.String()}
		}
		return i, nil
	}
	for _, list := range []struct {
		states []S
		flags  []bool
	}{{d.Start, g.start}, {d.Marked, g.marked}} {
		for _, s := range list.states {
			i, err := node(s)
			if err != nil {
				return err
			}
			list.flags[i] = true
		}
	}
	hot := make(map[Transition[S, E]]bool, len(d.Path))
	for _, t := range d.Path {
		hot[t] = true
	}
	drawn := make(map[Transition[S, E]]bool, len(d.Transitions))
	for _, t := range d.Transitions {
		from, err := node(t.From)
		if err != nil {
			return err
		}
		to, err := node(t.To)
		if err != nil {
			return err
		}
		label := t.Event.String()
		if t.Guard != "" {
			label += "\n[" + t.Guard + "]"
		}
		g.edges = append(g.edges, edge{from: from, to: to, label: label, hot: hot[t]})
		drawn[t] = true
	}
	for _, t := range d.Path {
		if !drawn[t] {
			return &NotInTableError{What: "transition", Value: t.From.String() + " --" + t.Event.String() + "--> " + t.To.String()}
		}
	}
	var buf bytes.Buffer
	if f == DOT {
		g.writeDOT(&buf)
	} else {
		g.writeMermaid(&buf)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func (g *graph) writeDOT(b *bytes.Buffer) {
	b.WriteString("digraph {\n")
	b.WriteString("\trankdir=LR;\n")
	b.WriteString("\tnode [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=10];\n")
	for i, label := range g.labels {
		fmt.Fprintf(b, "\ts%d [label=%s", i, dotQuote(label))
		if g.marked[i] {
			b.WriteString(", style=\"rounded,filled,bold\", fillcolor=\"" + pathFill + "\", color=\"" + pathStroke + "\"")
		}
		b.WriteString("];\n")
	}
	for i, start := range g.start {
		if start {
			fmt.Fprintf(b, "\tstart%d [shape=point, width=0.15, label=\"\"];\n", i)
			fmt.Fprintf(b, "\tstart%d -> s%d;\n", i, i)
		}
	}
	for _, e := range g.edges {
		fmt.Fprintf(b, "\ts%d -> s%d [label=%s", e.from, e.to, dotQuote(e.label))
		if e.hot {
			b.WriteString(", color=\"" + pathStroke + "\", fontcolor=\"" + pathStroke + "\", penwidth=2.5")
		}
		b.WriteString("];\n")
	}
	b.WriteString("}\n")
}

// dotQuote returns s as a DOT quoted string for a label.
func dotQuote(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '&':
			b.WriteString("&amp;") // Graphviz reads entities in labels
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (g *graph) writeMermaid(b *bytes.Buffer) {
	b.WriteString("stateDiagram-v2\n")
	b.WriteString("\tdirection LR\n")
	var marked []string
	for i, label := range g.labels {
		fmt.Fprintf(b, "\tstate \"%s\" as s%d\n", mermaidText(label, true), i)
		if g.marked[i] {
			marked = append(marked, "s"+strconv.Itoa(i))
		}
	}
	for i, start := range g.start {
		if start {
			fmt.Fprintf(b, "\t[*] --> s%d\n", i)
		}
	}
	// Mermaid draws one loop per state at most (a second one replaces
	// the first), so the loops of a state are one edge whose label lists
	// them, one after the other.
	loops := make(map[int]int) // state -> index in lines of its loop
	var lines []edgeLine
	for _, e := range g.edges {
		text := mermaidText(e.label, false)
		if e.hot {
			text = strings.TrimSuffix(pathMark+"#32;"+text, "#32;")
		}
		if i, ok := loops[e.from]; ok && e.from == e.to {
			lines[i].texts = append(lines[i].texts, text)
			continue
		}
		if e.from == e.to {
			loops[e.from] = len(lines)
		}
		lines = append(lines, edgeLine{e.from, e.to, []string{text}})
	}
	for _, l := range lines {
		fmt.Fprintf(b, "\ts%d --> s%d", l.from, l.to)
		if text := strings.Join(l.texts, "<br>"); text != "" {
			b.WriteString(" : " + text)
		}
		b.WriteByte('\n')
	}
	if len(marked) > 0 {
		b.WriteString("\tclassDef onpath fill:" + pathFill + ",stroke:" + pathStroke + ",stroke-width:3px\n")
		b.WriteString("\tclass " + strings.Join(marked, ",") + " onpath\n")
	}
}

// edgeLine is one edge of a Mermaid diagram: the texts of the transitions
// it draws.
type edgeLine struct {
	from, to int
	texts    []string
}

// mermaidText returns s with every character but ASCII letters and digits
// written as a Mermaid entity code, and newlines as <br>. Other
// control characters are spaces; leading and trailing white space, which
// Mermaid drops, is dropped. An empty state label becomes a no-break space.
func mermaidText(s string, state bool) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r != '\n' && (r < 0x20 || r == 0x7f) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD")))
	if s == "" && state {
		return "#160;"
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '\n':
			b.WriteString("<br>")
		default:
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		}
	}
	return b.String()
}
