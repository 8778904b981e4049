package diagram_test

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mobiledm/dmclient/lifecycle/diagram"
)

// fataler is what the parsers need of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// parsed is a diagram read back from its text, as a renderer reads it:
// every transition with its label decoded, wherever the format put it.
type parsed struct {
	Name   string // the DOT graph's name; "" in Mermaid
	Nodes  []string
	Start  []string
	Marked []string
	Trans  []trans
}

// trans is one transition read back.
type trans struct {
	From, To string
	Lines    []string // the label's lines as drawn
	Event    string   // the first line without its marks and counts
	Hot      bool     // the first line begins with ▶
	Count    int      // the overlay's count, -1 without one
	Failed   int
	Loop     bool   // written inside its state
	Attrs    string // DOT: the edge's attributes but its label
}

// guard returns the label's guard lines joined by spaces.
func (t trans) guard() string { return strings.Join(t.Lines[1:], " ") }

var (
	dotHeader    = "\trankdir=LR;\n\tnode [shape=box, style=rounded, fontname=\"Helvetica\"];\n\tedge [fontname=\"Helvetica\", fontsize=10];\n"
	dotID        = `([a-z]+)`
	dotNodeRE    = regexp.MustCompile(`^\t` + dotID + `(?: \[(.*)\])?;$`)
	dotEdgeRE    = regexp.MustCompile(`^\t` + dotID + ` -> ` + dotID + `(?: \[(.*)\])?;$`)
	dotHTMLRE    = regexp.MustCompile(`^label=<([a-z]+)<BR/><FONT POINT-SIZE="10">(.*)</FONT>>(?:, |$)`)
	dotLabelRE   = regexp.MustCompile(`^label="((?:[^"\\]|\\.)*)"(?:, |$)`)
	dotMarkAttrs = `style="rounded,filled,bold", fillcolor="#fde68a", color="#b45309"`
	eventRE      = regexp.MustCompile(`^(▶ )?([a-z ]+?)(?: \((\d+)(?:, (\d+) failed)?\))?$`)
	mmdStateRE   = regexp.MustCompile(`^\t` + dotID + ` : (.*)$`)
	mmdEdgeRE    = regexp.MustCompile(`^\t` + dotID + ` --> ` + dotID + ` : (.*)$`)
	mmdStartRE   = regexp.MustCompile(`^\t\[\*\] --> ` + dotID + `$`)
	mmdClassRE   = regexp.MustCompile(`^\tclass ([a-z]+(?:,[a-z]+)*) onpath$`)
	mmdClassDef  = "\tclassDef onpath fill:#fde68a,stroke:#b45309,stroke-width:3px"
)

// readEvent fills the event, the path mark and the counts of t from its
// first line.
func readEvent(t fataler, tr *trans) {
	t.Helper()
	m := eventRE.FindStringSubmatch(tr.Lines[0])
	if m == nil {
		t.Fatalf("label's first line %q is not an event with its marks", tr.Lines[0])
	}
	tr.Hot, tr.Event, tr.Count = m[1] != "", m[2], -1
	if m[3] != "" {
		tr.Count, _ = strconv.Atoi(m[3])
	}
	if m[4] != "" {
		tr.Failed, _ = strconv.Atoi(m[4])
	}
}

// unquoteDOT reads a DOT quoted string's body as Graphviz reads a label.
func unquoteDOT(t fataler, s string) string {
	t.Helper()
	var b strings.Builder
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
			t.Fatalf("label %q has the escape \\%c, which Graphviz interprets", s, s[i])
		}
	}
	return b.String()
}

// loopGroups splits the lines written inside a state into one label per
// self-transition: each begins with ⟲.
func loopGroups(t fataler, state string, lines []string) [][]string {
	t.Helper()
	var groups [][]string
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "⟲ "); ok {
			groups = append(groups, []string{rest})
			continue
		}
		if len(groups) == 0 {
			t.Fatalf("state %s: line %q before any ⟲ line", state, l)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], l)
	}
	return groups
}

// parseDOT reads back what Write writes in DOT, failing on any line it
// does not expect. A state's loops are paired, in order, with the
// self-transitions written inside it.
func parseDOT(t fataler, src []byte) parsed {
	t.Helper()
	text := string(src)
	first, rest, _ := strings.Cut(text, "\n")
	var p parsed
	if _, err := fmt.Sscanf(first, "digraph %s {", &p.Name); err != nil || !strings.HasPrefix(rest, dotHeader) || !strings.HasSuffix(rest, "\n}\n") {
		t.Fatalf("DOT header or trailer missing:\n%s", text)
	}
	loops := map[string][][]string{}
	loopSeen := map[string]int{}
	startDeclared := false
	for _, line := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(rest, dotHeader), "\n}\n"), "\n") {
		switch m := dotEdgeRE.FindStringSubmatch(line); {
		case line == "\tstart [shape=point, width=0.15];":
			startDeclared = true
		case m != nil && m[1] == "start":
			if !startDeclared || m[3] != "" {
				t.Fatalf("start edge %q without its point", line)
			}
			p.Start = append(p.Start, m[2])
		case m != nil:
			tr := trans{From: m[1], To: m[2], Attrs: m[3]}
			if !slices.Contains(p.Nodes, tr.From) || !slices.Contains(p.Nodes, tr.To) {
				t.Fatalf("edge %q between undeclared nodes", line)
			}
			if tr.From == tr.To {
				group := loops[tr.From]
				i := loopSeen[tr.From]
				if i >= len(group) {
					t.Fatalf("loop %q has no self-transition written in its state", line)
				}
				loopSeen[tr.From]++
				tr.Lines, tr.Loop = group[i], true
			} else {
				lm := dotLabelRE.FindStringSubmatch(tr.Attrs)
				if lm == nil {
					t.Fatalf("edge %q has no label", line)
				}
				tr.Lines = strings.Split(unquoteDOT(t, lm[1]), "\n")
				tr.Attrs = strings.TrimPrefix(tr.Attrs, lm[0])
			}
			readEvent(t, &tr)
			p.Trans = append(p.Trans, tr)
		default:
			n := dotNodeRE.FindStringSubmatch(line)
			if n == nil || n[1] == "start" {
				t.Fatalf("unexpected DOT line %q in:\n%s", line, text)
			}
			attrs := n[2]
			if hm := dotHTMLRE.FindStringSubmatch(attrs); hm != nil {
				if hm[1] != n[1] {
					t.Fatalf("node %s is labelled %s", n[1], hm[1])
				}
				var lines []string
				for _, l := range strings.Split(hm[2], "<BR/>") {
					lines = append(lines, html.UnescapeString(l))
				}
				loops[n[1]] = loopGroups(t, n[1], lines)
				attrs = strings.TrimPrefix(attrs, hm[0])
			}
			switch attrs {
			case "":
			case dotMarkAttrs:
				p.Marked = append(p.Marked, n[1])
			default:
				t.Fatalf("node %q has unexpected attributes %q", line, attrs)
			}
			p.Nodes = append(p.Nodes, n[1])
		}
	}
	for state, group := range loops {
		if loopSeen[state] != len(group) {
			t.Fatalf("state %s: %d self-transitions written, %d loops drawn", state, len(group), loopSeen[state])
		}
	}
	return p
}

// parseMermaid reads back what Write writes in Mermaid, failing on any
// line it does not expect.
func parseMermaid(t fataler, src []byte) parsed {
	t.Helper()
	text := string(src)
	const header = "stateDiagram-v2\n\tdirection LR\n"
	if !strings.HasPrefix(text, header) || !strings.HasSuffix(text, "\n") {
		t.Fatalf("Mermaid header or trailer missing:\n%s", text)
	}
	var p parsed
	classDef := false
	titled := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(text, header), "\n"), "\n") {
		if m := mmdStartRE.FindStringSubmatch(line); m != nil {
			p.Start = append(p.Start, m[1])
		} else if m := mmdEdgeRE.FindStringSubmatch(line); m != nil {
			tr := trans{From: m[1], To: m[2], Lines: strings.Split(m[3], "<br>")}
			if tr.From == tr.To {
				t.Fatalf("Mermaid loop %q: loops are written inside their state", line)
			}
			readEvent(t, &tr)
			p.Trans = append(p.Trans, tr)
		} else if m := mmdStateRE.FindStringSubmatch(line); m != nil {
			state, desc := m[1], m[2]
			if !titled[state] {
				if desc != state {
					t.Fatalf("state %s is titled %q", state, desc)
				}
				titled[state] = true
				continue
			}
			group := loopGroups(t, state, strings.Split(desc, "<br>"))
			if len(group) != 1 {
				t.Fatalf("description %q is not one self-transition", line)
			}
			tr := trans{From: state, To: state, Lines: group[0], Loop: true}
			readEvent(t, &tr)
			p.Trans = append(p.Trans, tr)
		} else if line == mmdClassDef {
			classDef = true
		} else if m := mmdClassRE.FindStringSubmatch(line); m != nil && classDef {
			p.Marked = strings.Split(m[1], ",")
		} else {
			t.Fatalf("unexpected Mermaid line %q in:\n%s", line, text)
		}
	}
	return p
}

func parseDiagram(t fataler, f diagram.Format, src []byte) parsed {
	t.Helper()
	if f == diagram.DOT {
		return parseDOT(t, src)
	}
	return parseMermaid(t, src)
}
