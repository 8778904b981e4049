package cli

import (
	"io"
	"iter"

	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// progressStep is how many devices go between two progress lines, at
// most; a fleet known to be smaller shows none.
const progressStep = 10_000

// A Progress writes a progress line to a terminal while the devices of
// [Devices] are pulled: from the 10,000th device on, every 1% of the
// total or every 10,000 devices, whichever comes first (every 10,000
// devices when the total is not known), it writes "\r" and the line, over
// the one before. A fleet known to hold fewer than 10,000 devices shows
// none.
//
// A nil *Progress writes nothing.
type Progress struct {
	w     io.Writer
	line  func(n, total int) string
	shown bool
}

// NewProgress returns a Progress that writes to w the line that line
// returns for the n devices pulled so far of total, or of an unknown
// total when total is -1. It returns nil when w is not a terminal, as
// terminal says.
func NewProgress(w io.Writer, terminal bool, line func(n, total int) string) *Progress {
	if !terminal {
		return nil
	}
	return &Progress{w: w, line: line}
}

// wrap returns seq, of total devices (-1 when it is not known), with p's
// progress line written as it is pulled.
func (p *Progress) wrap(seq iter.Seq2[fleet.Entry, error], total int) iter.Seq2[fleet.Entry, error] {
	if p == nil || total >= 0 && total < progressStep {
		return seq
	}
	step := progressStep
	if total > 0 {
		step = max(min(total/100, progressStep), 1)
	}
	return func(yield func(fleet.Entry, error) bool) {
		n := 0
		for e, err := range seq {
			if n++; n%step == 0 && n >= progressStep {
				p.shown = true
				io.WriteString(p.w, "\r"+p.line(n, total))
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// End ends the progress line with a newline, if p wrote one, so that what
// the command writes next starts a line of its own.
func (p *Progress) End() {
	if p != nil && p.shown {
		io.WriteString(p.w, "\n")
	}
}
