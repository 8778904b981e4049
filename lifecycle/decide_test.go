package lifecycle_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/lifecycletest"
	"github.com/mobiledm/dmclient/version"
	"pgregory.net/rapid"
)

// TestDecideProductPage is invariant 1, exhaustively: the product page's
// table for Install, and the documented choices for None and Uninstall.
func TestDecideProductPage(t *testing.T) {
	want := map[ini.Action]map[lifecycle.State]lifecycle.Event{
		ini.ActionInstall: {
			lifecycle.None:  lifecycle.Install,     // "No client: Install deployed client"
			lifecycle.Older: lifecycle.Upgrade,     // "Older client: Upgrade to deployed client"
			lifecycle.Same:  lifecycle.Reconfigure, // "Same client: Reconfigure client settings"
			lifecycle.Newer: lifecycle.NoAction,    // "Newer client: No action"
		},
		ini.ActionNone: {
			lifecycle.None: lifecycle.NoAction, lifecycle.Older: lifecycle.Reconfigure,
			lifecycle.Same: lifecycle.Reconfigure, lifecycle.Newer: lifecycle.Reconfigure,
		},
		ini.ActionUninstall: {
			lifecycle.None: lifecycle.NoAction, lifecycle.Older: lifecycle.Uninstall,
			lifecycle.Same: lifecycle.Uninstall, lifecycle.Newer: lifecycle.Uninstall,
		},
	}
	for _, a := range ini.Actions() {
		for _, s := range lifecycle.States() {
			if got := lifecycle.Decide(s, a); got != want[a][s] {
				t.Errorf("Decide(%v, %v) = %v, want %v", s, a, got, want[a][s])
			}
		}
	}
	// Values outside the types decide nothing.
	for v := 0; v < 256; v++ {
		if a := ini.Action(v); !a.IsValid() {
			for _, s := range lifecycle.States() {
				if got := lifecycle.Decide(s, a); got != lifecycle.NoAction {
					t.Errorf("Decide(%v, Action(%d)) = %v, want noaction", s, v, got)
				}
			}
		}
		if s := lifecycle.State(v); !s.IsValid() {
			if got := lifecycle.Decide(s, ini.ActionInstall); got != lifecycle.NoAction {
				t.Errorf("Decide(State(%d), Install) = %v, want noaction", v, got)
			}
		}
	}
}

// TestDecideAgreesWithTable: every event Decide chooses is a transition of
// the declared client table from that state.
func TestDecideAgreesWithTable(t *testing.T) {
	declared := map[[2]string]bool{}
	for _, tr := range lifecycle.ClientTransitions() {
		declared[[2]string{tr.Event.String(), tr.From.String()}] = true
	}
	for _, s := range lifecycle.States() {
		for _, a := range ini.Actions() {
			if e := lifecycle.Decide(s, a); e != lifecycle.NoAction && !declared[[2]string{e.String(), s.String()}] {
				t.Errorf("Decide(%v, %v) = %v, which the table does not declare from %v", s, a, e, s)
			}
		}
	}
}

func TestDecideAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		for _, s := range lifecycle.States() {
			_ = lifecycle.Decide(s, ini.ActionInstall)
		}
	})
	if allocs != 0 {
		t.Errorf("Decide allocates %v times", allocs)
	}
}

// TestClassifyAgreesWithCompare is invariant 2.
func TestClassifyAgreesWithCompare(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		installed := lifecycletest.Installed().Draw(t, "installed")
		deployed := lifecycletest.Version().Draw(t, "deployed")
		got := lifecycle.Classify(installed, deployed)
		var want lifecycle.State
		switch {
		case !installed.IsValid():
			want = lifecycle.None
		case installed.Compare(deployed) < 0:
			want = lifecycle.Older
		case installed.Compare(deployed) == 0:
			want = lifecycle.Same
		default:
			want = lifecycle.Newer
		}
		if got != want {
			t.Fatalf("Classify(%v, %v) = %v, want %v", installed, deployed, got, want)
		}
	})
}

func TestClassifyNoDeployedVersion(t *testing.T) {
	if got := lifecycle.Classify(version.MustParse("1.0"), version.Version{}); got != lifecycle.Newer {
		t.Errorf("Classify(1.0, none) = %v, want newer", got)
	}
	if got := lifecycle.Classify(version.Version{}, version.Version{}); got != lifecycle.None {
		t.Errorf("Classify(none, none) = %v, want none", got)
	}
}

// textEnum is what every enumerated type of the package provides.
type textEnum interface {
	String() string
	IsValid() bool
	MarshalText() ([]byte, error)
}

func conv[T textEnum](vs []T) []textEnum {
	out := make([]textEnum, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// TestEnumText checks every enumerated type's text form round-trips
// (case-insensitively) and rejects unknown names with a typed error.
func TestEnumText(t *testing.T) {
	check := func(t *testing.T, all []textEnum, parse func(string) (textEnum, error)) {
		seen := map[string]bool{}
		for _, v := range all {
			if !v.IsValid() {
				t.Errorf("%v is not valid", v)
			}
			b, err := v.MarshalText()
			if err != nil || string(b) != v.String() {
				t.Errorf("MarshalText(%v) = %q, %v", v, b, err)
			}
			if seen[v.String()] {
				t.Errorf("duplicate name %q", v)
			}
			seen[v.String()] = true
			for _, s := range []string{v.String(), strings.ToUpper(v.String())} {
				got, err := parse(s)
				if err != nil || got != v {
					t.Errorf("parse(%q) = %v, %v; want %v", s, got, err, v)
				}
			}
		}
		_, err := parse("no such value")
		var pe *lifecycle.ParseError
		if !errors.Is(err, lifecycle.ErrUnknownValue) || !errors.As(err, &pe) || pe.Input != "no such value" {
			t.Errorf("parse of an unknown name: %v, want a *ParseError wrapping ErrUnknownValue", err)
		}
	}
	t.Run("State", func(t *testing.T) {
		check(t, conv(lifecycle.States()), func(s string) (textEnum, error) { return lifecycle.ParseState(s) })
	})
	t.Run("Event", func(t *testing.T) {
		check(t, conv(lifecycle.Events()), func(s string) (textEnum, error) { return lifecycle.ParseEvent(s) })
	})
	t.Run("Step", func(t *testing.T) {
		check(t, conv(lifecycle.Steps()), func(s string) (textEnum, error) { return lifecycle.ParseStep(s) })
	})
	t.Run("ChainEvent", func(t *testing.T) {
		check(t, conv(lifecycle.ChainEvents()), func(s string) (textEnum, error) { return lifecycle.ParseChainEvent(s) })
	})
	t.Run("Component", func(t *testing.T) {
		check(t, conv(lifecycle.Components()), func(s string) (textEnum, error) { return lifecycle.ParseComponent(s) })
	})
	t.Run("Method", func(t *testing.T) {
		check(t, conv(lifecycle.Methods()), func(s string) (textEnum, error) { return lifecycle.ParseMethod(s) })
	})
	t.Run("Connection", func(t *testing.T) {
		check(t, conv(lifecycle.Connections()), func(s string) (textEnum, error) { return lifecycle.ParseConnection(s) })
	})
	t.Run("LogKind", func(t *testing.T) {
		check(t, conv(lifecycle.LogKinds()), func(s string) (textEnum, error) { return lifecycle.ParseLogKind(s) })
	})
	t.Run("Failure", func(t *testing.T) {
		check(t, conv(lifecycle.Failures()), func(s string) (textEnum, error) { return lifecycle.ParseFailure(s) })
	})
}
