package lifecycle

import (
	"context"
	"errors"
	"testing"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/version"
)

// TestLooplabAgrees holds the looplab client machine to the declared
// table: after every transition of the table, looplab is in the state the
// table says and the outcome says.
func TestLooplabAgrees(t *testing.T) {
	deployed := version.MustParse("4.00.6487.2000")
	installed := map[State]version.Version{
		None: {}, Older: version.MustParse("4.00.6221.1000"), Same: deployed, Newer: version.MustParse("4.00.6487.2157"),
	}
	for _, tr := range ClientTransitions() {
		var action ini.Action
		for _, a := range ini.Actions() {
			if Decide(tr.From, a) == tr.Event {
				action = a
			}
		}
		m, err := NewMachine(Device{Platform: certs.PocketPC2003, Connection: Direct, Client: installed[tr.From]}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		dep := Deployment{Component: Client, Method: ManualTransfer, Repair: tr.Event == Repair,
			Package: Package{Version: deployed, Folder: CompleteFolder(certs.PocketPC2003),
				Settings: ini.Settings{ClientInstallAction: action}},
			Site: Site{Mode: certs.Mixed, ClientAgent: true}}
		if tr.Event == Repair {
			dep.Package.Settings.ClientInstallAction = ini.ActionInstall
		}
		out, err := m.Deploy(context.Background(), dep)
		if err != nil || out.Event != tr.Event || out.To != tr.To {
			t.Fatalf("%v from %v: %v -> %v by %v, %v", tr.Event, tr.From, out.From, out.To, out.Event, err)
		}
		if got := m.client.Current(); got != tr.To.String() {
			t.Errorf("%v from %v: looplab is in %q, the table says %v", tr.Event, tr.From, got, tr.To)
		}
	}
}

// TestPrerequisiteErrorPacks: the facts a prerequisite error packs read
// back as given, for every valid value of each and every missing set.
func TestPrerequisiteErrorPacks(t *testing.T) {
	for _, p := range certs.Platforms() {
		for _, m := range Methods() {
			for _, c := range Connections() {
				for _, mode := range certs.SiteModes() {
					for l := range lack(8) {
						for _, missing := range []uint16{1, 1 << (prerequisites - 1), 1<<prerequisites - 1, 0x155} {
							e := newPrerequisiteError(missing, p, m, c, mode, l)
							if e.missing() != missing || e.platform() != p || e.method() != m ||
								e.connection() != c || e.mode() != mode || e.lacks() != l {
								t.Fatalf("packed %v %v %v %v %v %v, read %v %v %v %v %v %v", missing, p, m, c, mode, l,
									e.missing(), e.platform(), e.method(), e.connection(), e.mode(), e.lacks())
							}
						}
					}
				}
			}
		}
	}
}

// TestRejectedError: a rejected event's error reads back its event and
// state, for every pair, and is ErrInvalidTransition without an
// allocation.
func TestRejectedError(t *testing.T) {
	for ev := range Event(Repair + 1) {
		for _, s := range States() {
			err := transitionError(ev, s)
			if want := ErrInvalidTransition.Error() + ": " + ev.String() + " in state " + s.String(); err.Error() != want {
				t.Errorf("%v in %v: %q, want %q", ev, s, err, want)
			}
			if !errors.Is(err, ErrInvalidTransition) {
				t.Errorf("%v in %v: not ErrInvalidTransition", ev, s)
			}
			if n := testing.AllocsPerRun(10, func() { _ = transitionError(ev, s) }); n != 0 {
				t.Errorf("%v in %v: %v allocations", ev, s, n)
			}
		}
	}
}
