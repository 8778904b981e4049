package lifecycle_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
	"pgregory.net/rapid"
)

func TestHealthText(t *testing.T) {
	if got := lifecycle.Healths(); len(got) != 6 || got[0] != lifecycle.Healthy || got[5] != lifecycle.NotRun {
		t.Fatalf("Healths() = %v", got)
	}
	for _, h := range lifecycle.Healths() {
		if !h.IsValid() {
			t.Errorf("%v not valid", h)
		}
		text, err := h.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back lifecycle.Health
		if err := back.UnmarshalText(text); err != nil || back != h {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", text, back, err, h)
		}
		if p, err := lifecycle.ParseHealth(" " + upper(h.String()) + " "); err != nil || p != h {
			t.Errorf("ParseHealth(upper %q) = %v, %v", h, p, err)
		}
	}
	for _, bad := range []lifecycle.Health{0, lifecycle.NotRun + 1} {
		if bad.IsValid() {
			t.Errorf("%d valid", bad)
		}
	}
	if _, err := lifecycle.ParseHealth("sick"); !errors.Is(err, lifecycle.ErrUnknownValue) {
		t.Errorf("ParseHealth(sick) error %v, want ErrUnknownValue", err)
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestHealthOf(t *testing.T) {
	prereq := func(sentinels ...error) error {
		var errs []error
		for _, s := range sentinels {
			errs = append(errs, &lifecycle.PrerequisiteError{Err: s})
		}
		return errors.Join(errs...)
	}
	for _, tc := range []struct {
		name string
		o    lifecycle.Outcome
		want lifecycle.Health
	}{
		{"installed", lifecycle.Outcome{From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install}, lifecycle.Healthy},
		{"newer left alone", lifecycle.Outcome{From: lifecycle.Newer, To: lifecycle.Newer}, lifecycle.Healthy},
		{"uninstalled", lifecycle.Outcome{From: lifecycle.Same, To: lifecycle.None, Event: lifecycle.Uninstall}, lifecycle.NoClient},
		{"nothing to uninstall", lifecycle.Outcome{From: lifecycle.None, To: lifecycle.None}, lifecycle.NoClient},
		{"canceled", lifecycle.Outcome{Failure: lifecycle.FailureCanceled}, lifecycle.NotRun},
		{"access denied", lifecycle.Outcome{To: lifecycle.Older, Failure: lifecycle.FailureAccessDenied}, lifecycle.UnhealthyCertificate},
		{"untrusted", lifecycle.Outcome{Failure: lifecycle.FailureUntrusted}, lifecycle.UnhealthyCertificate},
		{"authentication failed", lifecycle.Outcome{To: lifecycle.Same, Failure: lifecycle.FailureEnrollment,
			Enrollment: certs.AuthenticationFailed, Err: certs.ErrAuthenticationFailed}, lifecycle.UnhealthyCertificate},
		{"CA unreachable", lifecycle.Outcome{To: lifecycle.Same, Failure: lifecycle.FailureEnrollment,
			Enrollment: certs.CAUnreachable, Err: certs.ErrCAUnreachable}, lifecycle.UnhealthyCommunication},
		{"CA unreachable, error only", lifecycle.Outcome{Failure: lifecycle.FailureEnrollment, Err: certs.ErrCAUnreachable}, lifecycle.UnhealthyCommunication},
		{"enrollment not enforced", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: prereq(lifecycle.ErrEnrollmentNotEnforced)}, lifecycle.UnhealthyCertificate},
		{"no management point", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: prereq(lifecycle.ErrNoManagementPoint)}, lifecycle.UnhealthyCommunication},
		{"no distribution point", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: prereq(lifecycle.ErrNoDistributionPoint)}, lifecycle.UnhealthyCommunication},
		{"inventory", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: prereq(lifecycle.ErrInventoryNotExtended)}, lifecycle.UnhealthyCommunication},
		{"connection", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: prereq(lifecycle.ErrConnection)}, lifecycle.UnhealthyCommunication},
		{"not managed", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: prereq(lifecycle.ErrNotManaged)}, lifecycle.UnhealthyCommunication},
		{"folder", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: prereq(lifecycle.ErrFolderIncomplete)}, lifecycle.UnhealthyLocal},
		{"settings", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: prereq(lifecycle.ErrInvalidSettings)}, lifecycle.UnhealthyLocal},
		{"client agent", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: prereq(lifecycle.ErrNoClientAgent)}, lifecycle.UnhealthyLocal},
		{"password program", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: prereq(lifecycle.ErrPasswordProgramPlatform)}, lifecycle.UnhealthyLocal},
		{"local and communication", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites,
			Err: prereq(lifecycle.ErrFolderIncomplete, lifecycle.ErrConnection)}, lifecycle.UnhealthyCommunication},
		{"communication and certificate", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites,
			Err: prereq(lifecycle.ErrNoDistributionPoint, lifecycle.ErrEnrollmentNotEnforced)}, lifecycle.UnhealthyCertificate},
		{"prerequisites from JSON", lifecycle.Outcome{Failure: lifecycle.FailurePrerequisites, Err: errors.New("lifecycle: no management point")}, lifecycle.UnhealthyLocal},
		{"rejected", lifecycle.Outcome{Failure: lifecycle.FailureRejected}, lifecycle.UnhealthyLocal},
		{"invalid input", lifecycle.Outcome{Failure: lifecycle.FailureInput}, lifecycle.UnhealthyLocal},
		{"invalid failure", lifecycle.Outcome{Failure: 200}, lifecycle.UnhealthyLocal},
	} {
		if got := lifecycle.HealthOf(tc.o); got != tc.want {
			t.Errorf("%s: HealthOf = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestHealthOfDeployments checks HealthOf against every outcome of a
// generated fleet that goes through every combination of its inputs.
func TestHealthOfDeployments(t *testing.T) {
	for i, sc := range indexed(generatedFleet(fleetCombinations)) {
		m, err := lifecycle.NewMachine(lifecycle.None, fleetClock)
		if err != nil {
			t.Fatal(err)
		}
		o, _ := m.Deploy(t.Context(), sc)
		h := lifecycle.HealthOf(o)
		switch {
		case o.Succeeded() && h != lifecycle.Healthy && h != lifecycle.NoClient,
			o.Succeeded() && (h == lifecycle.Healthy) != o.To.HasClient(),
			!o.Succeeded() && (h == lifecycle.Healthy || h == lifecycle.NoClient || h == lifecycle.NotRun),
			o.Failure == lifecycle.FailureAccessDenied && h != lifecycle.UnhealthyCertificate,
			o.Enrollment == certs.CAUnreachable && o.Failure == lifecycle.FailureEnrollment && h != lifecycle.UnhealthyCommunication:
			t.Fatalf("device %d: %+v: HealthOf = %v", i, o, h)
		}
	}
}

// indexed drops the errors of a fleet that has none.
func indexed(fleet func(func(lifecycle.Scenario, error) bool)) func(func(int, lifecycle.Scenario) bool) {
	return func(yield func(int, lifecycle.Scenario) bool) {
		i := 0
		for sc, err := range fleet {
			if err != nil {
				panic(err)
			}
			if !yield(i, sc) {
				return
			}
			i++
		}
	}
}

// outcomeGen draws outcomes of every kind the aggregator tells apart.
func outcomeGen() *rapid.Generator[lifecycle.Outcome] {
	return rapid.Custom(func(t *rapid.T) lifecycle.Outcome {
		o := lifecycle.Outcome{
			Device:  rapid.SampledFrom([]string{"", "a", "b", "wm6-01"}).Draw(t, "id"),
			From:    rapid.SampledFrom(lifecycle.States()).Draw(t, "from"),
			To:      rapid.SampledFrom(lifecycle.States()).Draw(t, "to"),
			Event:   rapid.SampledFrom(lifecycle.Events()).Draw(t, "event"),
			Failure: rapid.SampledFrom(lifecycle.Failures()).Draw(t, "failure"),
		}
		if o.Failure != lifecycle.NoFailure {
			o.Err = rapid.SampledFrom([]error{certs.ErrCAUnreachable, lifecycle.ErrConnection,
				lifecycle.ErrFolderIncomplete, errors.New("boom")}).Draw(t, "err")
		}
		return o
	})
}

func TestAggregatorProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		outs := rapid.SliceOf(outcomeGen()).Draw(t, "outcomes")
		parts := rapid.IntRange(1, 4).Draw(t, "parts")
		perm := rapid.Permutation(indexes(len(outs))).Draw(t, "order")
		whole := lifecycle.NewAggregator(lifecycle.ReportOptions{Details: true})
		counts := lifecycle.NewAggregator(lifecycle.ReportOptions{})
		aggs := make([]*lifecycle.Aggregator, parts)
		for i := range aggs {
			aggs[i] = lifecycle.NewAggregator(lifecycle.ReportOptions{Details: true})
		}
		for i, o := range outs {
			whole.Add(i, o)
			counts.Add(i, o)
		}
		// Added in another order, to other aggregators, merged: the same.
		for k, i := range perm {
			aggs[k%parts].Add(i, outs[i])
		}
		merged := lifecycle.NewAggregator(lifecycle.ReportOptions{Details: true})
		for _, a := range slices.Backward(aggs) {
			merged.Merge(a)
		}
		r := whole.Report()
		if diff := cmp.Diff(r, merged.Report()); diff != "" {
			t.Fatalf("merged report mismatch (-want +got):\n%s", diff)
		}
		checkReport(t, r, outs)
		// Without details: the same counts, no lists.
		c := counts.Report()
		if diff := cmp.Diff(withoutDetails(r), c); diff != "" {
			t.Fatalf("counts-only report mismatch (-want +got):\n%s", diff)
		}
		// JSON round trip.
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back lifecycle.Report
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
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

// checkReport checks the report r of outcomes outs (device i is outs[i])
// against the outcomes themselves.
func checkReport(t interface {
	Helper()
	Fatalf(string, ...any)
}, r lifecycle.Report, outs []lifecycle.Outcome) {
	t.Helper()
	if r.Devices != len(outs) || r.Success.Count+r.Failed() != len(outs) {
		t.Fatalf("%d devices, %d success + %d failed, want %d", r.Devices, r.Success.Count, r.Failed(), len(outs))
	}
	sum := 0
	for _, h := range lifecycle.Healths() {
		sum += r.Health.Count(h)
	}
	if sum != len(outs) {
		t.Fatalf("health counts add up to %d, want %d", sum, len(outs))
	}
	lists := map[lifecycle.Health]lifecycle.DeviceList{lifecycle.Healthy: r.Healthy,
		lifecycle.UnhealthyCertificate: r.UnhealthyCertificate, lifecycle.UnhealthyCommunication: r.UnhealthyCommunication,
		lifecycle.UnhealthyLocal: r.UnhealthyLocal}
	for h, l := range lists {
		var want []lifecycle.DeviceRef
		for i, o := range outs {
			if lifecycle.HealthOf(o) == h {
				want = append(want, lifecycle.DeviceRef{Index: i, ID: o.Device})
			}
		}
		if l.Count != len(want) || l.Count != r.Health.Count(h) || !slices.Equal(l.Devices, want) {
			t.Fatalf("%v list %+v, want %v", h, l, want)
		}
	}
	var success []lifecycle.DeviceRef
	failed := map[lifecycle.Failure][]int{}
	for i, o := range outs {
		if o.Failure == lifecycle.NoFailure {
			success = append(success, lifecycle.DeviceRef{Index: i, ID: o.Device})
		} else {
			failed[o.Failure] = append(failed[o.Failure], i)
		}
	}
	if !slices.Equal(r.Success.Devices, success) {
		t.Fatalf("success %v, want %v", r.Success.Devices, success)
	}
	var last lifecycle.Failure
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
			d.Failure != o.Failure || d.Health != lifecycle.HealthOf(o) {
			t.Fatalf("status detail %+v, outcome %+v", d, o)
		}
	}
}

func withoutDetails(r lifecycle.Report) lifecycle.Report {
	r.StatusDetails = nil
	for _, l := range []*lifecycle.DeviceList{&r.Success, &r.Healthy, &r.UnhealthyCertificate, &r.UnhealthyCommunication, &r.UnhealthyLocal} {
		l.Devices = nil
	}
	r.Failure = slices.Clone(r.Failure)
	for i := range r.Failure {
		r.Failure[i].Devices = nil
	}
	return r
}

func TestReportSharesNoMemory(t *testing.T) {
	a := lifecycle.NewAggregator(lifecycle.ReportOptions{Details: true})
	a.Add(1, lifecycle.Outcome{Device: "b", To: lifecycle.Same})
	a.Add(0, lifecycle.Outcome{Device: "a", Failure: lifecycle.FailureRejected, Err: errors.New("x")})
	r := a.Report()
	want := a.Report()
	r.Success.Devices[0].ID = "changed"
	r.Failure[0].Devices[0].ID = "changed"
	r.StatusDetails[0].ID = "changed"
	a.Add(2, lifecycle.Outcome{Device: "c", To: lifecycle.Same})
	if diff := cmp.Diff(want, func() lifecycle.Report {
		r := a.Report()
		r.Devices--
		r.Success.Count--
		r.Success.Devices = r.Success.Devices[:1]
		r.Health.Healthy--
		r.Healthy.Count--
		r.Healthy.Devices = r.Healthy.Devices[:1]
		r.StatusDetails = r.StatusDetails[:2]
		return r
	}()); diff != "" {
		t.Errorf("report after more adds mismatch (-want +got):\n%s", diff)
	}
}

func TestEmptyReport(t *testing.T) {
	r := lifecycle.NewAggregator(lifecycle.ReportOptions{Details: true}).Report()
	if diff := cmp.Diff(lifecycle.Report{}, r); diff != "" {
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
