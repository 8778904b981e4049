package main

import (
	"fmt"
	"io"

	"github.com/mobiledm/dmclient/examples/internal/cli"
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
// error. With -generate there are no devices: the printer is not
// started.
type jsonPrinter struct {
	w       *cli.Writer
	devices *cli.JSONList // nil when not started (-generate)
}

type deviceJSON struct {
	Index    int               `json:"index"`
	Package  string            `json:"package,omitempty"`
	Site     string            `json:"site,omitempty"`
	Decision *decision         `json:"decision"`
	Outcome  lifecycle.Outcome `json:"outcome"`
}

func (p *jsonPrinter) start(fleetName, iniName string) {
	fmt.Fprintf(p.w, "{\n  \"fleet\": %s,\n  \"settings\": %s,", p.w.JSON(fleetName, ""), p.w.JSON(iniName, ""))
	p.devices = cli.NewJSONList(p.w, "devices")
}

func (p *jsonPrinter) outcome(i int, e fleet.Entry, o lifecycle.Outcome) {
	p.devices.Add(deviceJSON{Index: i, Package: e.Package, Site: e.Site, Decision: decide(&e, &o), Outcome: o})
}

func (p *jsonPrinter) end(r fleet.Report, err error) {
	if p.devices == nil {
		io.WriteString(p.w, "{")
	} else {
		p.devices.Close()
	}
	p.w.EndJSON(r, err)
}
