package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// Clean escapes what a terminal would act on in s, a value from the input
// files or a message holding one: control characters and format
// characters are written as Go escapes (\x1b, \r, \u202e) and bytes that
// are not UTF-8 as \xff; everything else, quotes and backslashes
// included, is kept as it is.
func Clean(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r == utf8.RuneError || !unicode.IsPrint(r) })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for s = s[i:]; s != ""; {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case unicode.IsPrint(r):
			b.WriteString(s[:size])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		s = s[size:]
	}
	return b.String()
}

// Version returns v's text, or "(none)" when v is not valid: the zero
// version, which means that nothing is installed.
func Version(v interface {
	IsValid() bool
	String() string
}) string {
	if !v.IsValid() {
		return "(none)"
	}
	return v.String()
}

// Status returns the text of a report's last status message, or "(none)"
// when m is nil.
func Status(m *fleet.StatusRef) string {
	if m == nil {
		return "(none)"
	}
	return fmt.Sprintf("#%d %s: %s %s", m.Index, Quote(m.Device), m.HRESULT, Clean(m.Text))
}

// Quote quotes a name from the input files, such as a device id, as a Go
// string literal (strconv.Quote), or returns "(none)" for "".
func Quote(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

// Text returns v's name (v.String()), or "-" when v is not valid: when
// v.MarshalText fails, as it does for the zero value of the lifecycle
// model's enumerations.
func Text(v interface {
	MarshalText() ([]byte, error)
	String() string
}) string {
	if _, err := v.MarshalText(); err != nil {
		return "-"
	}
	return v.String()
}

// Steps returns the installer chain's steps that a deployment went
// through, in order, joined by " -> ".
func Steps(steps []lifecycle.Step) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 {
			b.WriteString(" -> ")
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// Log returns a log file that a deployment wrote on one line: its name, a
// colon, and its lines joined by spaces, escaped by [Clean].
func Log(l lifecycle.LogFile) string {
	return l.Name() + ": " + Clean(strings.Join(l.Lines, " "))
}

// Platform returns p's short name ([certs.Platform.Token], "WM6Pro"), or
// "-" when p is not valid: a device that could not be read.
func Platform(p certs.Platform) string {
	if !p.IsValid() {
		return "-"
	}
	return p.Token()
}

// RunNotes writes the notes that come before a run's reports: that the
// run did not finish, with err, when err is not nil, and, when countsOnly,
// that the reports give counts only (a fleet over [ListLimit] devices, or
// -generate).
func RunNotes(w io.Writer, err error, countsOnly bool) {
	if err != nil {
		fmt.Fprintf(w, "\nThe run did not finish: %s\n", Clean(err.Error()))
	}
	if countsOnly {
		fmt.Fprintf(w, "\nThe reports give counts only: they list the devices of a fleet of at most %d devices run without -generate.\n", ListLimit)
	}
}

// Failures writes failure groups, as a report's failure report gives
// them: a line per group with its count, indented by indent, and a line
// per device listed, indented further.
func Failures(w io.Writer, indent string, groups []fleet.FailureGroup) {
	for _, g := range groups {
		fmt.Fprintf(w, "%s%s: %d\n", indent, g.Failure, g.Count)
		for _, d := range g.Devices {
			fmt.Fprintf(w, "%s  #%d %s: %s\n", indent, d.Index, Quote(d.ID), Clean(d.Error))
		}
	}
}

// HealthList is one of the product page's lists of device clients by
// health, with its title.
type HealthList struct {
	Title string
	List  fleet.DeviceList
}

// HealthLists returns r's four lists of device clients by health, in the
// product page's order, with the page's titles.
func HealthLists(r fleet.Report) []HealthList {
	return []HealthList{
		{"Device Clients in Healthy condition", r.Healthy},
		{"Device Clients in unhealthy condition due to certificate issues", r.UnhealthyCertificate},
		{"Device Clients in unhealthy condition due to communication issues", r.UnhealthyCommunication},
		{"Device Clients in unhealthy condition due to local client issues", r.UnhealthyLocal},
	}
}

// Plural returns noun, with an "s" unless n is 1.
func Plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
