package lifecycle_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
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
		if a := ini.Action(v); !slices.Contains(ini.Actions(), a) {
			for _, s := range lifecycle.States() {
				if got := lifecycle.Decide(s, a); got != lifecycle.NoAction {
					t.Errorf("Decide(%v, Action(%d)) = %v, want no action", s, v, got)
				}
			}
		}
		if s := lifecycle.State(v); !slices.Contains(lifecycle.States(), s) {
			if got := lifecycle.Decide(s, ini.ActionInstall); got != lifecycle.NoAction {
				t.Errorf("Decide(State(%d), Install) = %v, want no action", v, got)
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
		deployed := genVersion().Draw(t, "deployed")
		installed := rapid.OneOf(genVersion(), rapid.Just(version.Version{}), rapid.Just(deployed),
			rapid.Custom(func(t *rapid.T) version.Version { // a near neighbour of deployed
				return version.FromUint64(deployed.Uint64() + uint64(rapid.IntRange(-2, 2).Draw(t, "delta")))
			})).Draw(t, "installed")
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
	MarshalText() ([]byte, error)
}

// checkEnum checks one enumerated type's convention over all 256 values:
// a name for each valid value that round-trips through text
// (case-insensitively), "Type(9)" and a MarshalText error for every other
// value, and an UnmarshalText error that names the type and the accepted
// names and wraps ErrInvalidInput.
func checkEnum[T interface {
	~uint8
	textEnum
}, P interface {
	*T
	UnmarshalText([]byte) error
}](t *testing.T, typ string, valid []T) {
	t.Run(typ, func(t *testing.T) {
		seen := map[string]bool{}
		for v := range 256 {
			x := T(v)
			b, err := x.MarshalText()
			if !slices.Contains(valid, x) {
				if want := typ + "(" + strconv.Itoa(v) + ")"; x.String() != want || err == nil || !errors.Is(err, lifecycle.ErrInvalidInput) {
					t.Errorf("%s(%d): String %q, MarshalText error %v", typ, v, x.String(), err)
				}
				continue
			}
			if err != nil || string(b) != x.String() || seen[x.String()] {
				t.Errorf("MarshalText(%v) = %q, %v (seen %v)", x, b, err, seen[x.String()])
			}
			seen[x.String()] = true
			for _, s := range []string{x.String(), strings.ToUpper(x.String())} {
				var got T
				if err := P(&got).UnmarshalText([]byte(s)); err != nil || got != x {
					t.Errorf("UnmarshalText(%q) = %v, %v; want %v", s, got, err, x)
				}
			}
		}
		got := valid[0]
		err := P(&got).UnmarshalText([]byte("no such value"))
		if !errors.Is(err, lifecycle.ErrInvalidInput) || got != valid[0] ||
			!strings.Contains(err.Error(), typ) || !strings.Contains(err.Error(), valid[len(valid)-1].String()) {
			t.Errorf("UnmarshalText of an unknown name: %v", err)
		}
	})
}

// TestEnumText checks every enumerated type's text form.
func TestEnumText(t *testing.T) {
	checkEnum[lifecycle.State](t, "State", lifecycle.States())
	checkEnum[lifecycle.Event](t, "Event", events)
	checkEnum[lifecycle.Step](t, "Step", []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller,
		lifecycle.DMClientSetup, lifecycle.Enrollment, lifecycle.Done, lifecycle.Denied})
	checkEnum[lifecycle.Component](t, "Component", components)
	checkEnum[lifecycle.Method](t, "Method", lifecycle.Methods())
	checkEnum[lifecycle.Connection](t, "Connection", lifecycle.Connections())
	checkEnum[lifecycle.LogKind](t, "LogKind", []lifecycle.LogKind{lifecycle.DMInstallerLog,
		lifecycle.DMClientSetupLog, lifecycle.DMSvcLog, lifecycle.DMCertEnrollLog})
	// The page writes "No action"; the older spelling is still read.
	var e lifecycle.Event = lifecycle.Install
	if err := e.UnmarshalText([]byte("noaction")); err != nil || e != lifecycle.NoAction || lifecycle.NoAction.String() != "no action" {
		t.Errorf("noaction: %v, %v", e, err)
	}
}

func genVersion() *rapid.Generator[version.Version] {
	return rapid.Custom(func(t *rapid.T) version.Version {
		f := func(name string) uint16 { return uint16(rapid.IntRange(0, 65535).Draw(t, name)) }
		return version.New(f("major"), f("minor"), f("build"), f("revision"))
	})
}
