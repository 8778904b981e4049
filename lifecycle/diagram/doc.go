// Package diagram draws the two machines of package lifecycle, the client
// machine and the installer chain, as Graphviz DOT or Mermaid state
// diagrams, from their declared tables ([lifecycle.ClientTransitions],
// [lifecycle.ChainTransitions]) and nothing else:
//
//	err := diagram.Write(os.Stdout, diagram.Client, diagram.Mermaid, diagram.Options{Start: true})
//
// Pipe DOT to `dot -Tsvg`; paste Mermaid into Markdown, which code hosts
// render inline. [Options] marks the start state, highlights the path one
// run took ([Options].Highlight, a [lifecycle.Outcome]), and overlays how
// many runs of a fleet took each transition ([Counts]).
//
// It is for documentation, reports and tools that show where a device or a
// fleet went. It is not a general state-diagram writer: it draws only this
// library's two tables, which is what lets its labels read cleanly in the
// source of both formats (see [Write]).
package diagram
