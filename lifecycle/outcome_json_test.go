package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
)

// outcomeSentinels are the errors whose identity an outcome's JSON keeps,
// as [lifecycle.Outcome]'s Err documents.
var outcomeSentinels = append([]error{
	lifecycle.ErrInvalidInput, lifecycle.ErrInvalidTransition, lifecycle.ErrBusy,
	certs.ErrAccessDenied, certs.ErrUntrustedInstaller, certs.ErrCAUnreachable, certs.ErrAuthenticationFailed,
	context.Canceled, context.DeadlineExceeded,
}, prerequisiteSentinels...)

// sameError reports whether a and b are both nil, or have the same message
// and match the same [outcomeSentinels]: what an outcome's JSON keeps of
// its error.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a.Error() != b.Error() {
		return false
	}
	for _, s := range outcomeSentinels {
		if errors.Is(a, s) != errors.Is(b, s) {
			return false
		}
	}
	return true
}

// outcomeJSONOptions compare an outcome with itself after JSON: an empty
// slice is a missing one (omitempty), and an error is its message and
// the sentinels it matches.
var outcomeJSONOptions = cmp.Options{cmpopts.EquateEmpty(), cmp.Comparer(sameError)}

// seedOutcomes are outcomes of real runs, one of each kind: a success with
// its logs, a denied trust step with its status message, a failed
// enrollment, missing prerequisites, overwritten settings, a downgrade, a
// cancelled context and an invalid device.
func seedOutcomes(t testing.TB) []lifecycle.Outcome {
	run := func(ctx context.Context, sc lifecycle.Scenario) lifecycle.Outcome {
		out, _ := lifecycle.Run(ctx, sc, opts)
		return out
	}
	bg := context.Background()
	denied := scenario(t)
	denied.Device.Security.PrivilegesRestricted = true
	enroll := scenario(t)
	enroll.Deployment.Package.Settings = settings(t, "[ClientSettings]\nClientInstallAction=Install\nCertEnrollAction=Enroll\n")
	enroll.Device.Enrollment.CAReachable = false
	prereq := scenario(t)
	prereq.Deployment.Site.ClientAgent, prereq.Deployment.Site.ManagementPoint = false, false
	overwrite := scenario(t)
	overwrite.Device.Client = sp1
	overwrite.Device.Settings = []lifecycle.Setting{{Key: "PollingInterval", Value: "15", UserChanged: true}}
	overwrite.Deployment.Package.Settings = settings(t, "[ClientSettings]\nClientInstallAction=Install\nPollingInterval=60\n")
	downgrade := scenario(t)
	downgrade.Device.Client = r3
	downgrade.Deployment.Repair = true
	cancelled, cancel := context.WithCancel(bg)
	cancel()
	return []lifecycle.Outcome{
		run(bg, scenario(t)), run(bg, denied), run(bg, enroll), run(bg, prereq), run(bg, overwrite),
		run(bg, downgrade), run(cancelled, scenario(t)), run(bg, lifecycle.Scenario{}),
	}
}

// TestSeedOutcomes: the seeds are what their comment says.
func TestSeedOutcomes(t *testing.T) {
	o := seedOutcomes(t)
	if o[0].Err != nil || !o[0].Transitioned() || len(o[0].Logs) == 0 ||
		!errors.Is(o[1].Err, certs.ErrAccessDenied) || o[1].Status == nil ||
		!errors.Is(o[2].Err, certs.ErrCAUnreachable) ||
		!errors.Is(o[3].Err, lifecycle.ErrNoClientAgent) || !errors.Is(o[3].Err, lifecycle.ErrNoManagementPoint) ||
		len(o[4].Overwritten) == 0 || !o[5].Downgrade ||
		!errors.Is(o[6].Err, context.Canceled) || !errors.Is(o[7].Err, lifecycle.ErrInvalidInput) {
		t.Errorf("seed outcomes: %+v", o)
	}
}

// FuzzOutcomeJSON: decoding an outcome never panics, errors stay short,
// and what decodes re-encodes to an outcome that decodes equal.
func FuzzOutcomeJSON(f *testing.F) {
	for _, o := range seedOutcomes(f) {
		b, err := json.Marshal(o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var o lifecycle.Outcome
		if err := json.Unmarshal(data, &o); err != nil {
			if len(err.Error()) > 1024 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			// encoding/json rejects invalid JSON before the decoder sees it.
			if json.Valid(data) && !errors.Is(err, lifecycle.ErrInvalidInput) {
				t.Fatalf("%v is not ErrInvalidInput", err)
			}
			return
		}
		if diff := cmp.Diff(o, roundTrip(t, o), outcomeJSONOptions); diff != "" {
			t.Fatalf("%s: round trip mismatch (-want +got):\n%s", data, diff)
		}
	})
}

// An outcome's JSON that holds a wrong value is an *InputError naming the
// member, short however long the value; a log without a kind is one too,
// since it could not be written back.
func TestOutcomeJSONErrors(t *testing.T) {
	long := strings.Repeat("\\u0001", 3000)
	for _, tc := range []struct{ in, field string }{
		{`{"logs":[{"kind":"DMInstaller","time":"` + long + `"}]}`, "outcome"},
		{`{"from":1` + strings.Repeat("0", 3000) + `}`, "outcome.from"},
		{`{"logs":[{"kind":"DMInstaller"},{}]}`, "outcome.logs[1].kind"},
		{`{"is":["no such error"]}`, "outcome.is"},
	} {
		var o lifecycle.Outcome
		err := json.Unmarshal([]byte(tc.in), &o)
		var ie *lifecycle.InputError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("%.60s: got %v, want an *InputError for %s", tc.in, err, tc.field)
			continue
		}
		if n := len(err.Error()); n > 400 {
			t.Errorf("%.60s: error of %d bytes: %.100s", tc.in, n, err)
		}
		if strings.Contains(err.Error(), "outcomeJSON") || strings.Contains(err.Error(), "outcomeWire") {
			t.Errorf("%.60s: error names internal types: %v", tc.in, err)
		}
	}
}
