package main

import (
	"fmt"
	"time"

	"github.com/mobiledm/dmclient/examples/internal/cli"
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
	w          *cli.Writer
	plan       *fleet.Plan
	countsOnly bool
	histories  *cli.JSONList // nil with countsOnly
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
	fmt.Fprintf(p.w, "{\n  \"plan\": %s,\n  \"fleet\": %s,\n  \"settings\": %s,", p.w.JSON(planName, ""),
		p.w.JSON(fleetName, ""), p.w.JSON(iniName, ""))
	if !p.countsOnly {
		p.histories = cli.NewJSONList(p.w, "histories")
	}
}

func (p *jsonPrinter) history(h fleet.History) {
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
	p.histories.Add(out)
}

func (p *jsonPrinter) end(r fleet.PlanReport, _ []fleet.History, err error) {
	if p.histories != nil {
		p.histories.Close()
	}
	p.w.EndJSON(r, err)
}
