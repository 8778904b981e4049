package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// overlayDir holds the sample fleet's diagrams, relative to testdata (see
// golden): the diagram package's tests render every diagram there with
// Graphviz and Mermaid, and its fleet-client.svg is the README's picture
// of the fleet.
const overlayDir = "../../../lifecycle/diagram/testdata"

// TestDiagram writes the sample fleet's diagrams, each machine in each
// format, and compares them with the golden files, on one worker and
// several.
func TestDiagram(t *testing.T) {
	for _, m := range []string{"client", "chain"} {
		for _, f := range []string{"dot", "mermaid"} {
			ext := map[string]string{"dot": ".dot", "mermaid": ".mmd"}[f]
			path := filepath.Join(overlayDir, "fleet-"+m+ext)
			for _, workers := range []string{"1", "2", "0"} {
				status, out, errOut := cli.Capture(run, false, "-diagram", f, "-machine", m, "-workers", workers)
				if status != 0 || errOut != "" {
					t.Fatalf("-diagram %s -machine %s: status %d, stderr %q", f, m, status, errOut)
				}
				cli.Golden(t, path, out, *update)
			}
		}
	}
	_, client, _ := cli.Capture(run, false, "-diagram", "dot")
	_, explicit, _ := cli.Capture(run, false, "-diagram", "DOT", "-machine", "client")
	if client != explicit || !strings.HasPrefix(client, "digraph client {") {
		t.Errorf("-diagram dot draws %.40q, not the client machine", client)
	}
}

type clientRow = lifecycle.Transition[lifecycle.State, lifecycle.Event]

// TestOverlayMatchesReport: the counts the diagram overlays equal the
// report's, per event as the status details count the devices (the state,
// the event, carried out or not) and per failure as the failure report
// counts them (refused and denied trust steps), for the sample fleet and
// a larger one that cycles through it.
func TestOverlayMatchesReport(t *testing.T) {
	_, base, err := readSettings("")
	if err != nil {
		t.Fatal(err)
	}
	for _, generate := range []int{0, 5000} {
		_, file, err := openFleet("")
		if err != nil {
			t.Fatal(err)
		}
		dec := fleet.NewDecoder(file, base)
		entries, err := cli.Devices(dec, generate, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg := config{Flags: cli.Flags{Workers: 2}}
		counts, r, err := fleetCounts(context.Background(), cfg, entries, fleet.ReportOptions{Details: true})
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
		client, notMade := map[clientRow]int{}, map[clientRow]int{}
		carried := 0
		for _, d := range r.StatusDetails {
			for _, row := range lifecycle.ClientTransitions() {
				if row.From == d.From && row.Event == d.Event {
					if d.Carried {
						client[row]++
						carried++
					} else {
						notMade[row]++
					}
				}
			}
		}
		if diff := cmp.Diff(client, counts.Client); diff != "" {
			t.Errorf("%d devices: client transitions made (-report +overlay):\n%s", r.Devices, diff)
		}
		if diff := cmp.Diff(notMade, counts.Failed); diff != "" {
			t.Errorf("%d devices: client transitions decided and not made (-report +overlay):\n%s", r.Devices, diff)
		}
		chain := map[lifecycle.Step]int{} // the transitions out of each step
		for row, n := range counts.Chain {
			chain[row.From] += n
		}
		denied := map[lifecycle.Step]int{}
		for row, n := range counts.Chain {
			if row.To == lifecycle.Denied {
				denied[row.From] += n
			}
		}
		enrolled := 0
		for row, n := range counts.Chain {
			if row.To == lifecycle.Enrollment {
				enrolled += n
			}
		}
		if denied[lifecycle.Staged] != failed(r, fleet.FailureUntrusted) || denied[lifecycle.DMInstaller] != failed(r, fleet.FailureAccessDenied) ||
			denied[lifecycle.Staged]*denied[lifecycle.DMInstaller] == 0 {
			t.Errorf("%d devices: refused %d, denied %d; the failure report: untrusted installer %d, access denied %d", r.Devices,
				denied[lifecycle.Staged], denied[lifecycle.DMInstaller], failed(r, fleet.FailureUntrusted), failed(r, fleet.FailureAccessDenied))
		}
		if chain[lifecycle.DMClientSetup] != carried || chain[lifecycle.Enrollment] != enrolled || enrolled == 0 {
			t.Errorf("%d devices: %d runs left DMClientSetup, %d carried out; %d left enrollment, %d entered it",
				r.Devices, chain[lifecycle.DMClientSetup], carried, chain[lifecycle.Enrollment], enrolled)
		}
		untrusted, deniedReport := failed(r, fleet.FailureUntrusted), failed(r, fleet.FailureAccessDenied)
		if chain[lifecycle.Staged] != carried+untrusted+deniedReport || chain[lifecycle.DMInstaller] != carried+deniedReport {
			t.Errorf("%d devices: %d runs left the staged files, %d left DMInstaller; the reports: %d carried out, %d untrusted installer, %d access denied",
				r.Devices, chain[lifecycle.Staged], chain[lifecycle.DMInstaller], carried, untrusted, deniedReport)
		}
		if generate > 0 && r.Devices != generate || generate == 0 && r.Devices != 22 {
			t.Errorf("%d devices counted", r.Devices)
		}
	}
}
