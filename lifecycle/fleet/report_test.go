package fleet_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/internal/roundtrip"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
	"pgregory.net/rapid"
)

// failedWith returns how many devices the failure report holds for f.
func failedWith(r fleet.Report, f fleet.Failure) int {
	for _, g := range r.Failure {
		if g.Failure == f {
			return g.Count
		}
	}
	return 0
}

// outcomeGen draws outcomes of every kind the aggregator tells apart.
func outcomeGen() *rapid.Generator[lifecycle.Outcome] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Outcome {
		o := lifecycle.Outcome{
			Device:    rapid.SampledFrom([]string{"", "a", "b", "wm6-01"}).Draw(t, "id"),
			Component: rapid.SampledFrom(components).Draw(t, "component"),
			Method:    rapid.SampledFrom(lifecycle.Methods()).Draw(t, "method"),
			From:      rapid.SampledFrom(lifecycle.States()).Draw(t, "from"),
			To:        rapid.SampledFrom(lifecycle.States()).Draw(t, "to"),
			Event:     rapid.SampledFrom([]lifecycle.Event{lifecycle.NoAction, lifecycle.Install, lifecycle.Upgrade, lifecycle.Reconfigure, lifecycle.Uninstall, lifecycle.Repair}).Draw(t, "event"),
		}
		o.Steps = rapid.SampledFrom([][]lifecycle.Step{nil, {lifecycle.Staged, lifecycle.Denied},
			{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.Denied},
			{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Done}}).Draw(t, "steps")
		o.Err = rapid.SampledFrom([]error{nil, certs.ErrCAUnreachable, lifecycle.ErrConnection, lifecycle.ErrFolderIncomplete,
			certs.ErrAccessDenied, lifecycle.ErrInvalidInput, errors.New("boom")}).Draw(t, "err")
		if rapid.Bool().Draw(t, "status") {
			o.Status = &lifecycle.StatusMessage{Device: o.Device, HRESULT: certs.EAccessDenied, Text: "denied"}
		}
		return o
	})
}

// entryGen draws the parts of an entry the reports read.
func entryGen() *rapid.Generator[fleet.Entry] {
	return rapid.Custom(func(t *rapid.T) fleet.Entry {
		var e fleet.Entry
		e.Site = rapid.SampledFrom([]string{"", "central", "branch"}).Draw(t, "site")
		e.Device.Connection = rapid.SampledFrom(lifecycle.Connections()).Draw(t, "connection")
		e.Device.Computer = rapid.SampledFrom(computers).Draw(t, "computer")
		return e
	})
}

func TestAggregatorProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		outs := rapid.SliceOf(outcomeGen()).Draw(t, "outcomes")
		es := rapid.SliceOfN(entryGen(), len(outs), len(outs)).Draw(t, "entries")
		parts := rapid.IntRange(1, 4).Draw(t, "parts")
		perm := rapid.Permutation(indexes(len(outs))).Draw(t, "order")
		whole := fleet.NewAggregator(fleet.ReportOptions{Details: true})
		counts := fleet.NewAggregator(fleet.ReportOptions{})
		aggs := make([]*fleet.Aggregator, parts)
		for i := range aggs {
			aggs[i] = fleet.NewAggregator(fleet.ReportOptions{Details: true})
		}
		for i, o := range outs {
			whole.Add(i, es[i], o)
			counts.Add(i, es[i], o)
		}
		// Added in another order, to other aggregators, merged: the same.
		for k, i := range perm {
			aggs[k%parts].Add(i, es[i], outs[i])
		}
		merged := fleet.NewAggregator(fleet.ReportOptions{Details: true})
		for _, a := range slices.Backward(aggs) {
			merged.Merge(a)
		}
		r := whole.Report()
		if diff := cmp.Diff(r, merged.Report()); diff != "" {
			t.Fatalf("merged report mismatch (-want +got):\n%s", diff)
		}
		checkReport(t, r, es, outs)
		// Without details: the same counts, no lists.
		c := counts.Report()
		if diff := cmp.Diff(withoutDetails(r), c); diff != "" {
			t.Fatalf("counts-only report mismatch (-want +got):\n%s", diff)
		}
		// Merged into an aggregator without details, aggregators with
		// them: the counts-only report (the options of the one merged
		// into decide).
		countsMerged := fleet.NewAggregator(fleet.ReportOptions{})
		for _, a := range aggs {
			countsMerged.Merge(a)
		}
		if diff := cmp.Diff(c, countsMerged.Report()); diff != "" {
			t.Fatalf("merged into counts only (-want +got):\n%s", diff)
		}
		// JSON round trip.
		back, _ := roundtrip.JSON(t, r)
		if diff := cmp.Diff(r, back); diff != "" {
			t.Fatalf("JSON round trip mismatch (-want +got):\n%s", diff)
		}
	})
}

func indexes(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

type fatalf interface {
	Helper()
	Fatalf(string, ...any)
}

// checkReport checks the report r of outcomes outs (device i is es[i],
// with outcome outs[i]) against the outcomes themselves.
func checkReport(t fatalf, r fleet.Report, es []fleet.Entry, outs []lifecycle.Outcome) {
	t.Helper()
	if r.Devices != len(outs) || r.Success.Count+r.Failed() != len(outs) {
		t.Fatalf("%d devices, %d success + %d failed, want %d", r.Devices, r.Success.Count, r.Failed(), len(outs))
	}
	sum := 0
	for _, h := range fleet.Healths() {
		sum += r.Health.Count(h)
	}
	if sum != len(outs) {
		t.Fatalf("health counts add up to %d, want %d", sum, len(outs))
	}
	lists := map[fleet.Health]fleet.DeviceList{fleet.Healthy: r.Healthy,
		fleet.UnhealthyCertificate: r.UnhealthyCertificate, fleet.UnhealthyCommunication: r.UnhealthyCommunication,
		fleet.UnhealthyLocal: r.UnhealthyLocal}
	for h, l := range lists {
		var want []fleet.DeviceRef
		for i, o := range outs {
			if fleet.HealthOf(o) == h {
				want = append(want, fleet.DeviceRef{Index: i, ID: o.Device})
			}
		}
		if l.Count != len(want) || l.Count != r.Health.Count(h) || !slices.Equal(l.Devices, want) {
			t.Fatalf("%v list %+v, want %v", h, l, want)
		}
	}
	var success []fleet.DeviceRef
	failed := map[fleet.Failure][]int{}
	for i, o := range outs {
		if f := fleet.FailureOf(o); f == fleet.NoFailure {
			success = append(success, fleet.DeviceRef{Index: i, ID: o.Device})
		} else {
			failed[f] = append(failed[f], i)
		}
	}
	if !slices.Equal(r.Success.Devices, success) {
		t.Fatalf("success %v, want %v", r.Success.Devices, success)
	}
	last := fleet.NoFailure
	for _, g := range r.Failure {
		if g.Failure <= last || g.Count != len(failed[g.Failure]) || g.Count != len(g.Devices) {
			t.Fatalf("failure group %+v out of order or miscounted", g)
		}
		last = g.Failure
		for k, d := range g.Devices {
			if d.Index != failed[g.Failure][k] || d.Error != outs[d.Index].Err.Error() {
				t.Fatalf("failure group %v device %+v, want index %d", g.Failure, d, failed[g.Failure][k])
			}
		}
		delete(failed, g.Failure)
	}
	if len(failed) != 0 {
		t.Fatalf("failures missing from the report: %v", failed)
	}
	if len(r.StatusDetails) != len(outs) {
		t.Fatalf("%d status details, want %d", len(r.StatusDetails), len(outs))
	}
	for i, d := range r.StatusDetails {
		o := outs[i]
		if d.Index != i || d.ID != o.Device || d.From != o.From || d.To != o.To || d.Event != o.Event ||
			d.Carried != o.Transitioned() || d.Failure != fleet.FailureOf(o) || d.Health != fleet.HealthOf(o) {
			t.Fatalf("status detail %+v, outcome %+v", d, o)
		}
	}
	checkPrograms(t, r, es, outs)
	checkComputers(t, r, es, outs)
}

// checkPrograms checks the software distribution status report against
// the outcomes, counted device by device.
func checkPrograms(t fatalf, r fleet.Report, es []fleet.Entry, outs []lifecycle.Outcome) {
	t.Helper()
	want := map[[2]string]*fleet.ProgramStatus{}
	for i, o := range outs {
		if o.Method != lifecycle.SoftwareDistribution {
			continue
		}
		k := [2]string{es[i].Site, o.Component.String()}
		p := want[k]
		if p == nil {
			p = &fleet.ProgramStatus{Site: es[i].Site, Program: o.Component}
			want[k] = p
		}
		p.Targeted++
		f := fleet.FailureOf(o)
		reached := f != fleet.FailureInput && f != fleet.FailurePrerequisites && (f != fleet.FailureCanceled || len(o.Steps) > 0)
		if reached {
			p.Accepted++
		}
		if slices.Contains(o.Steps, lifecycle.DMInstaller) {
			p.Ran++
		}
		if f == fleet.NoFailure {
			p.Succeeded++
		} else if f != fleet.FailureCanceled {
			p.Failed++
		}
		if o.Status != nil {
			p.LastStatus = &fleet.StatusRef{Index: i, StatusMessage: *o.Status}
		}
	}
	if len(r.SoftwareDistribution) != len(want) {
		t.Fatalf("%d program lines, want %d", len(r.SoftwareDistribution), len(want))
	}
	for k, p := range r.SoftwareDistribution {
		if k > 0 {
			q := r.SoftwareDistribution[k-1]
			if q.Site > p.Site || q.Site == p.Site && q.Program >= p.Program {
				t.Fatalf("program lines out of order: %+v before %+v", q, p)
			}
		}
		w := want[[2]string{p.Site, p.Program.String()}]
		if w == nil || !cmp.Equal(*w, p) || p.Accepted > p.Targeted ||
			p.Succeeded+p.Failed > p.Targeted {
			t.Fatalf("program line %+v (%+v), want %+v (%+v)", p, p.LastStatus, w, w.LastStatus)
		}
	}
}

// checkComputers checks the computers report against the entries.
func checkComputers(t fatalf, r fleet.Report, es []fleet.Entry, outs []lifecycle.Outcome) {
	t.Helper()
	n := 0
	for i, e := range es {
		c := e.Device.Connection
		if c != lifecycle.ViaManagedComputer && c != lifecycle.ViaUnmanagedComputer {
			continue
		}
		n++
		found := 0
		for _, pc := range r.Computers {
			if strings.EqualFold(pc.Name, e.Device.Computer) && pc.Managed == (c == lifecycle.ViaManagedComputer) &&
				slices.Contains(pc.Devices.Devices, fleet.DeviceRef{Index: i, ID: outs[i].Device}) {
				found++
			}
		}
		if found != 1 {
			t.Fatalf("device %d (%q, %v) is under %d computers of %+v", i, e.Device.Computer, c, found, r.Computers)
		}
	}
	total := 0
	for k, pc := range r.Computers {
		total += pc.Devices.Count
		if k > 0 {
			q := r.Computers[k-1]
			if strings.ToLower(q.Name) > strings.ToLower(pc.Name) || strings.EqualFold(q.Name, pc.Name) && !q.Managed {
				t.Fatalf("computers out of order: %+v before %+v", q, pc)
			}
		}
		if pc.Devices.Count != len(pc.Devices.Devices) || pc.Devices.Count == 0 {
			t.Fatalf("computer %+v miscounted", pc)
		}
		first := pc.Devices.Devices[0].Index
		if es[first].Device.Computer != pc.Name {
			t.Fatalf("computer %q, but its first device names it %q", pc.Name, es[first].Device.Computer)
		}
	}
	if total != n {
		t.Fatalf("computers list %d devices, want %d", total, n)
	}
}

func withoutDetails(r fleet.Report) fleet.Report {
	r.StatusDetails = nil
	for _, l := range []*fleet.DeviceList{&r.Success, &r.Healthy, &r.UnhealthyCertificate, &r.UnhealthyCommunication, &r.UnhealthyLocal} {
		l.Devices = nil
	}
	r.Failure = slices.Clone(r.Failure)
	for i := range r.Failure {
		r.Failure[i].Devices = nil
	}
	r.Computers = slices.Clone(r.Computers)
	for i := range r.Computers {
		r.Computers[i].Devices.Devices = nil
	}
	return r
}

func TestReportSharesNoMemory(t *testing.T) {
	a := fleet.NewAggregator(fleet.ReportOptions{Details: true})
	managed := fleet.Entry{Site: "s", Device: lifecycle.Device{Connection: lifecycle.ViaManagedComputer, Computer: "PC"}}
	status := &lifecycle.StatusMessage{Device: "a", HRESULT: certs.EAccessDenied, Text: "denied"}
	a.Add(1, managed, lifecycle.Outcome{Device: "b", To: lifecycle.Same, Method: lifecycle.SoftwareDistribution})
	a.Add(0, managed, lifecycle.Outcome{Device: "a", Err: certs.ErrAccessDenied, Method: lifecycle.SoftwareDistribution, Status: status})
	r := a.Report()
	want := a.Report()
	r.Success.Devices[0].ID = "changed"
	r.Failure[0].Devices[0].ID = "changed"
	r.StatusDetails[0].ID = "changed"
	r.Computers[0].Devices.Devices[0].ID = "changed"
	r.SoftwareDistribution[0].LastStatus.Text = "changed"
	status.Text = "changed too"
	a.Add(2, fleet.Entry{}, lifecycle.Outcome{Device: "c", To: lifecycle.Same})
	got := a.Report()
	got.Devices--
	got.Success.Count--
	got.Success.Devices = got.Success.Devices[:1]
	got.Health.Healthy--
	got.Healthy.Count--
	got.Healthy.Devices = got.Healthy.Devices[:1]
	got.StatusDetails = got.StatusDetails[:2]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report after more adds mismatch (-want +got):\n%s", diff)
	}
}

func TestEmptyReport(t *testing.T) {
	r := fleet.NewAggregator(fleet.ReportOptions{Details: true}).Report()
	if diff := cmp.Diff(fleet.Report{}, r); diff != "" {
		t.Errorf("empty report mismatch (-want +got):\n%s", diff)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"devices":0,"success":{"count":0},"health":{"healthy":0,"certificateIssues":0,"communicationIssues":0,"localClientIssues":0,"noClient":0,"notRun":0},"healthy":{"count":0},"unhealthyCertificate":{"count":0},"unhealthyCommunication":{"count":0},"unhealthyLocal":{"count":0}}`
	if string(data) != want {
		t.Errorf("JSON of the empty report:\n%s\nwant\n%s", data, want)
	}
}

// TestReportJSONInvalidComponent: an entry deployed by software
// distribution with no valid component fails as invalid input, and the
// report that counts it, as every report, encodes as JSON and decodes
// back to itself.
func TestReportJSONInvalidComponent(t *testing.T) {
	dev := lifecycle.Device{ID: "d", Platform: certs.WindowsCE, Security: certs.Unrestricted.Security(), Connection: lifecycle.Direct}
	for _, c := range []lifecycle.Component{0, 9} {
		e := fleet.Entry{Device: dev, Site: "central",
			Deployment: lifecycle.Deployment{Component: c, Method: lifecycle.SoftwareDistribution}}
		r, err := fleet.Run(context.Background(), fromItems([]item{{e: e}}), fleet.Options{Report: fleet.ReportOptions{Details: true}})
		if err != nil || failedWith(r, fleet.FailureInput) != 1 || len(r.SoftwareDistribution) != 1 {
			t.Fatalf("component %d: %v, %+v", c, err, r)
		}
		back, _ := roundtrip.JSON(t, r)
		if diff := cmp.Diff(r, back); diff != "" {
			t.Errorf("component %d: the report decoded mismatch (-want +got):\n%s", c, diff)
		}
		cr, err := fleet.Compare(context.Background(), fromItems([]item{{e: e}}), nil, fleet.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(cr); err != nil {
			t.Errorf("component %d: the comparison does not encode: %v", c, err)
		}
	}
}
