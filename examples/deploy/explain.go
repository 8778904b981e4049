package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
	"github.com/mobiledm/dmclient/lifecycle/policy"
)

// explainChanges is how many inputs -explain changes at most in search of
// a scenario where the deployment succeeds: three answer within
// milliseconds (see policy.Counterfactuals).
const explainChanges = 3

// explainShown is how many alternatives -explain prints at most.
const explainShown = 10

// explainJSON is what -explain -json prints.
type explainJSON struct {
	Explanation  policy.Explanation `json:"explanation"`
	Alternatives []alternativeJSON  `json:"alternatives"`
}

type alternativeJSON struct {
	If      string          `json:"if"`
	Changes []policy.Change `json:"changes"`
}

// explainDevice runs the deployment of the fleet's device id alone, and
// prints why it got its outcome (policy.Explain) and the nearest
// scenarios in which it would succeed (policy.Counterfactuals). It returns
// the exit status: 1 when the fleet has no such device, or the device
// cannot be deployed as written.
func explainDevice(ctx context.Context, dec *fleet.Decoder, fleetName string, cfg config, stdout, stderr io.Writer) int {
	id := cfg.explain
	fail := func(err error) int { return cli.Errors(stderr, "deploy", err) }
	var e fleet.Entry
	found := false
	for entry, err := range dec.Devices() {
		if entry.Device.ID != id {
			continue
		}
		if err != nil {
			return fail(fmt.Errorf("-explain: device %s cannot be deployed as written: %w", cli.Quote(id), err))
		}
		e, found = entry, true
		break
	}
	if !found {
		if err := dec.Err(); err != nil {
			return fail(err)
		}
		return fail(fmt.Errorf("-explain: no device %s in %s", cli.Quote(id), fleetName))
	}
	sc := lifecycle.Scenario{Device: e.Device, Deployment: e.Deployment}
	out, err := lifecycle.Run(ctx, sc, lifecycle.Options{Clock: cfg.clock})
	if ctx.Err() != nil {
		return fail(err)
	}
	ex := policy.Explain(sc, out)
	alts, err := policy.Counterfactuals(ctx, sc, succeeds(sc.Event()), explainChanges)
	if err != nil {
		return fail(err)
	}
	w := cli.NewWriter(stdout, 0)
	if cfg.JSON {
		v := explainJSON{Explanation: ex, Alternatives: []alternativeJSON{}}
		for _, a := range alts {
			v.Alternatives = append(v.Alternatives, alternativeJSON{If: a.String(), Changes: a.Changes})
		}
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fail(err)
		}
		w.Write(append(data, '\n'))
	} else {
		writeAlternatives(w, ex, alts)
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	return 0
}

// succeeds is what -explain calls a success: the deployment does what the
// decision table chose for it (event), without error; a decision of no
// action succeeds by running nothing.
func succeeds(event lifecycle.Event) policy.Func {
	return func(_ lifecycle.Scenario, o lifecycle.Outcome) bool {
		return o.Err == nil && o.Event == event && (event == lifecycle.NoAction || o.Transitioned())
	}
}

// writeAlternatives writes the explanation and the alternatives as text.
func writeAlternatives(w io.Writer, ex policy.Explanation, alts []policy.Counterfactual) {
	for line := range strings.Lines(ex.String()) {
		fmt.Fprintln(w, cli.Clean(strings.TrimSuffix(line, "\n")))
	}
	switch {
	case len(alts) == 0:
		fmt.Fprintf(w, "No scenario that changes at most %d inputs succeeds.\n", explainChanges)
	case len(alts[0].Changes) == 0:
		io.WriteString(w, "It succeeds as it is.\n")
	default:
		n := len(alts[0].Changes)
		fmt.Fprintf(w, "Nearest successful alternatives (%d %s changed):\n", n, cli.Plural(n, "input"))
		for i, a := range alts {
			if i == explainShown {
				fmt.Fprintf(w, "  ... and %d more\n", len(alts)-i)
				break
			}
			fmt.Fprintf(w, "  would succeed if %s\n", cli.Clean(a.String()))
		}
	}
}

// explainUsage is the -explain flag's usage.
const explainUsage = "explain why device `ID` got its outcome and print the nearest scenarios where it would succeed"
