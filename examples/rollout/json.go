package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
	"github.com/mobiledm/dmclient/version"
)

// jsonPrinter writes the run as one JSON object, streamed:
//
//	{"plan": "...", "fleet": "...", "settings": "...",
//	 "histories": [{"index", "id", "error", "visits": [...], "device"}, ...],
//	 "report": {...}, "error": "..."}
//
// Each visit is {"wave", "name", "time", "ran", "package", "version",
// "site", "repair", "outcome"}, the outcome with its steps, logs, status
// message and error. With countsOnly (-generate) there are no histories.
type jsonPrinter struct {
	w          *errWriter
	plan       *fleet.Plan
	countsOnly bool
	n          int
}

type historyJSON struct {
	Index  int         `json:"index"`
	ID     string      `json:"id"`
	Error  string      `json:"error,omitempty"`
	Visits []visitJSON `json:"visits"`
	// Device is the device as the last wave left it, nil for one that
	// could not be read.
	Device *lifecycle.Device `json:"device"`
}

type visitJSON struct {
	Wave    int       `json:"wave"`
	Name    string    `json:"name"`
	Time    time.Time `json:"time"`
	Ran     bool      `json:"ran"`
	Package string    `json:"package,omitempty"`
	// Version is the version of the package deployed, nil for a visit
	// that did not run.
	Version *version.Version  `json:"version"`
	Site    string            `json:"site,omitempty"`
	Repair  bool              `json:"repair,omitempty"`
	Outcome lifecycle.Outcome `json:"outcome"`
}

func (p *jsonPrinter) start(planName, fleetName, iniName string) {
	fmt.Fprintf(p.w, "{\n  \"plan\": %s,\n  \"fleet\": %s,\n  \"settings\": %s,", p.marshal(planName, ""),
		p.marshal(fleetName, ""), p.marshal(iniName, ""))
	if !p.countsOnly {
		io.WriteString(p.w, "\n  \"histories\": [")
	}
}

func (p *jsonPrinter) history(h fleet.History) {
	if p.n > 0 {
		io.WriteString(p.w, ",")
	}
	p.n++
	out := historyJSON{Index: h.Index, ID: h.Entry.Device.ID, Visits: make([]visitJSON, len(h.Visits))}
	if h.Err != nil {
		out.Error = h.Err.Error()
	} else {
		out.Device = &h.Device
	}
	for i, v := range h.Visits {
		out.Visits[i] = visitJSON{Wave: v.Wave, Name: p.plan.Waves[v.Wave].Name, Time: v.Time, Ran: v.Ran, Package: v.Package,
			Site: v.Site, Outcome: v.Outcome}
		if v.Ran {
			out.Visits[i].Version, out.Visits[i].Repair = &v.Deployment.Package.Version, v.Deployment.Repair
		}
	}
	fmt.Fprintf(p.w, "\n    %s", p.marshal(out, "    "))
}

func (p *jsonPrinter) end(r fleet.PlanReport, _ []fleet.History, err error) {
	if !p.countsOnly {
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
