package diagram

import (
	"bytes"
	"errors"
	"io"

	"github.com/mobiledm/dmclient/internal/enum"
	"github.com/mobiledm/dmclient/lifecycle"
)

// Machine names one of the two machines [Write] draws. The zero Machine is
// invalid.
type Machine uint8

// The machines.
const (
	// Client is the client machine: the states of [lifecycle.States] and
	// the rows of [lifecycle.ClientTransitions].
	Client Machine = iota + 1
	// Chain is the installer chain that runs inside every client
	// transition: the steps and rows of [lifecycle.ChainTransitions].
	// UnmarshalText also accepts "installer".
	Chain
)

var machineNames = enum.Names{Pkg: "diagram", Type: "Machine", First: uint8(Client),
	List: []string{"client", "chain"}, Aliases: map[string]uint8{"installer": uint8(Chain)}, Err: ErrInvalidInput}

// String returns "client" or "chain", and "Machine(9)" for an invalid
// value.
func (m Machine) String() string { return machineNames.Name(uint8(m)) }

// MarshalText implements encoding.TextMarshaler; an invalid Machine is an
// error.
func (m Machine) MarshalText() ([]byte, error) { return machineNames.Marshal(uint8(m)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case, so
// that a Machine can be a flag (flag.TextVar).
func (m *Machine) UnmarshalText(text []byte) error { return enum.Unmarshal(&machineNames, text, m) }

// Format is the text format of a diagram. The zero Format is invalid.
type Format uint8

// The formats.
const (
	// DOT is the Graphviz DOT language: render it with `dot -Tsvg`.
	DOT Format = iota + 1
	// Mermaid is a Mermaid stateDiagram-v2, which code hosts render
	// inline in Markdown.
	Mermaid
)

var formatNames = enum.Names{Pkg: "diagram", Type: "Format", First: uint8(DOT),
	List: []string{"dot", "mermaid"}, Err: ErrInvalidInput}

// String returns "dot" or "mermaid", and "Format(9)" for an invalid value.
func (f Format) String() string { return formatNames.Name(uint8(f)) }

// MarshalText implements encoding.TextMarshaler; an invalid Format is an
// error.
func (f Format) MarshalText() ([]byte, error) { return formatNames.Marshal(uint8(f)) }

// UnmarshalText implements encoding.TextUnmarshaler, ignoring case, so
// that a Format can be a flag (flag.TextVar).
func (f *Format) UnmarshalText(text []byte) error { return enum.Unmarshal(&formatNames, text, f) }

// ErrInvalidInput is wrapped by every error about the arguments of
// [Write] (an invalid machine or format, a highlight or counts the table
// cannot have) and by the errors of UnmarshalText. An error of the writer
// is returned as it is.
var ErrInvalidInput = errors.New("diagram: invalid input")

// inputError is an error about the arguments: its message is the package
// prefix and msg, and it matches ErrInvalidInput.
type inputError struct{ msg string }

func (e *inputError) Error() string        { return "diagram: " + e.msg }
func (e *inputError) Is(target error) bool { return target == ErrInvalidInput }

// Options are the options of [Write]; the zero Options draw the plain
// table.
type Options struct {
	// Start marks the start state with an arrow from a start point:
	// [lifecycle.None] on the client machine (a device with no client),
	// [lifecycle.Staged] on the installer chain.
	Start bool
	// Highlight, when not nil, highlights the path one run took; see
	// [Write].
	Highlight *lifecycle.Outcome
	// Counts, when not nil, overlays how many runs took each transition;
	// see [Counts].
	Counts *Counts
}

// Write writes the diagram of machine m in format f to w, drawn from its
// declared table and nothing else: the output depends only on the
// arguments, never on any [lifecycle.Machine], and is the same bytes on
// every call.
//
// Every transition is drawn once, labelled with its event and, below it,
// its guard: a clause (up to a ',' or ':') begins a line unless it fits on
// the one before, and a clause longer than 24 characters is broken at
// spaces into balanced lines (Mermaid wraps wider lines where it likes).
// The labels need no escaping in either format, since their texts are
// this library's fixed tables, so the DOT and Mermaid sources read as they
// render: in DOT a line break is \n (<BR/> in the HTML-like label of a
// state that holds self-transitions), in Mermaid <br>. Node ids are the
// state and step names.
//
// Modelling choice: a self-transition (reconfigure, and the repair of the
// same client) is written inside its state, under the state's name, its
// first line beginning with ⟲, as UML writes internal transitions; in DOT
// it is also drawn as a loop without a label, and in Mermaid not drawn. So
// no label overlaps another: Graphviz draws the labels of two loops of one
// node over each other, and Mermaid draws a loop's label beside the loop,
// in space its layout did not reserve, over other labels.
//
// With opts.Highlight set, the path that outcome took is highlighted: its
// states are filled amber, and the label of each transition on it begins
// with ▶ (in DOT its edge is also amber and wider; Mermaid state diagrams
// cannot style edges). On the client machine that is the transition
// From --Event--> To and its two states when the run made it
// ([lifecycle.Outcome.Transitioned]). Modelling choice: a run that did not
// make it (no action, or one that failed or was canceled before
// DMClientSetup) highlights its From state alone, and its To must equal
// From. On the installer chain it is every step of Outcome.Steps, which
// must start at [lifecycle.Staged], and the transition between each two
// consecutive steps; no steps highlight nothing. A path the table does not
// have, or an invalid state, event or step, is an error.
//
// With opts.Counts set, the labels and lines show the counts; see
// [Counts].
//
// On error nothing is written; every error but the writer's wraps
// [ErrInvalidInput].
func Write(w io.Writer, m Machine, f Format, opts Options) error {
	if f != DOT && f != Mermaid {
		return &inputError{"invalid format " + f.String()}
	}
	var (
		g   graph
		err error
	)
	switch m {
	case Client:
		g, err = clientGraph(opts)
	case Chain:
		g, err = chainGraph(opts)
	default:
		return &inputError{"invalid machine " + m.String()}
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if f == DOT {
		g.writeDOT(&buf)
	} else {
		g.writeMermaid(&buf)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
