package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// jsonPrinter writes the run as one JSON object, streamed:
//
//	{"fleet": "...", "settings": "...",
//	 "devices": [{"index", "package", "site", "decision", "outcome"}, ...],
//	 "report": {...}, "error": "..."}
//
// "decision" is null for a device that could not be read; "outcome" is the
// device's [lifecycle.Outcome] with its steps, logs, status message and
// error. With countsOnly (-generate) there are no devices.
type jsonPrinter struct {
	w          *errWriter
	countsOnly bool
	n          int
}

type deviceJSON struct {
	Index    int               `json:"index"`
	Package  string            `json:"package,omitempty"`
	Site     string            `json:"site,omitempty"`
	Decision *decision         `json:"decision"`
	Outcome  lifecycle.Outcome `json:"outcome"`
}

func (p *jsonPrinter) start(fleetName, iniName string) {
	fmt.Fprintf(p.w, "{\n  \"fleet\": %s,\n  \"settings\": %s,\n  \"devices\": [", p.marshal(fleetName, ""), p.marshal(iniName, ""))
}

func (p *jsonPrinter) outcome(i int, e fleet.Entry, o lifecycle.Outcome) {
	if p.n > 0 {
		io.WriteString(p.w, ",")
	}
	p.n++
	fmt.Fprintf(p.w, "\n    %s", p.marshal(deviceJSON{Index: i, Package: e.Package, Site: e.Site, Decision: decide(&e, &o), Outcome: o}, "    "))
}

func (p *jsonPrinter) end(r fleet.Report, err error) {
	if p.countsOnly {
		io.WriteString(p.w, "{")
	} else {
		if p.n > 0 {
			io.WriteString(p.w, "\n  ")
		}
		io.WriteString(p.w, "],")
	}
	fmt.Fprintf(p.w, "\n  \"report\": %s", p.marshal(r, "  "))
	if err != nil {
		fmt.Fprintf(p.w, ",\n  \"error\": %s", p.marshal(err.Error(), ""))
	}
	io.WriteString(p.w, "\n}\n")
}

// marshal returns the indented JSON of v, every line after the first
// prefixed with prefix, or null, keeping the error for the exit status.
func (p *jsonPrinter) marshal(v any, prefix string) []byte {
	data, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		if p.w.err == nil {
			p.w.err = fmt.Errorf("writing JSON: %w", err)
		}
		return []byte("null")
	}
	return data
}
