package policy

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
)

// Counterfactual is a scenario near another whose outcome a wanted
// condition accepts: what would have to be different, and what would
// happen then. See [Counterfactuals].
type Counterfactual struct {
	Scenario lifecycle.Scenario `json:"scenario"`
	Outcome  lifecycle.Outcome  `json:"outcome"`
	// Changes are the inputs Scenario changes from the scenario searched
	// from ([Changes] of the two); their number is how far it is.
	Changes []Change `json:"changes"`
}

// String returns the changes as one condition, such as "the device's
// privileges were not restricted" or "the device could reach the
// certification authority and CertEnrollAction were Enroll", to follow
// "would succeed if"; "nothing changed" when there are none.
func (c Counterfactual) String() string {
	if len(c.Changes) == 0 {
		return "nothing changed"
	}
	var b strings.Builder
	for i, ch := range c.Changes {
		switch {
		case i == 0:
		case i == len(c.Changes)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(ch.Text)
	}
	return b.String()
}

// Counterfactuals returns the scenarios nearest sc whose outcomes want
// accepts, such as "the client ends in same": every one that changes
// the fewest inputs ([Changes]), at most maxChanges of them, in a fixed
// order (by the inputs changed, in the order of [Changes], then by their
// values). When sc's own outcome is accepted, that is sc alone, with no
// changes. None within maxChanges inputs is an empty result, not an
// error.
//
// The search walks outward from sc: every scenario that changes one
// input, then two, and so on, each input over the finite values the space
// gives it ([Scenarios]): the component, method, platform, connection,
// site mode and ClientInstallAction over all their values; the security
// facts, enrollment conditions, certificate, repair, renewal,
// CertEnrollAction and the site's four facts over both; each installed
// version over one version of each state ([lifecycle.Classify]: none,
// older, same and newer than the deployed version); the deployment folder
// complete for the platform or lacking its installer; the device's
// settings none or, where it has none, a user-changed value of a setting
// the package configures; the .ini's Installer cleared where it names
// one. The deployed version, the computer and the ID keep sc's values.
// Modelling choices: a new platform keeps the folder as complete, or as
// incomplete, as it was (the folder is an input of its own); a connection
// through a computer keeps sc's computer, or takes the space's
// ("DESKTOP-01") where sc is connected directly and names none.
//
// The scenarios run on one reused [lifecycle.Machine] (Restore, then
// Deploy), each on a context of its own, with logs stamped 2026-01-01
// 00:00:00 UTC as in [Check]; want is called on the caller's goroutine,
// so a panic in it reaches the caller. The cost grows with maxChanges:
// from the default scenario, 37 scenarios change one input, 637 two and
// 6,803 three, so a search that finds its answer one or two inputs away
// takes about a millisecond on one core, and one that finds none within
// three runs all 7,478 with sc's own (about 10 ms). When ctx ends the search stops and
// returns its error. A scenario with a field outside its valid
// values is an error (errors.Is [lifecycle.ErrInvalidInput]).
//
// Each counterfactual's scenario shares with sc the slices it does not
// change.
func Counterfactuals(ctx context.Context, sc lifecycle.Scenario, want Func, maxChanges int) ([]Counterfactual, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := lifecycle.CheckPrerequisites(sc); errors.Is(err, lifecycle.ErrInvalidInput) {
		return nil, err
	}
	m, err := lifecycle.NewMachine(sc.Device, lifecycle.Options{Clock: checkClock})
	if err != nil {
		return nil, err
	}
	s := &search{
		ctx:  ctx,
		done: ctx.Done(),
		m:    m,
		want: want,
		from: newView(&sc),
		b:    &base{sc: &sc, incomplete: folderIncomplete(&sc)},
	}
	for i := range inputs {
		if alt := inputs[i].alternatives; alt != nil {
			if es := alt(s.b); len(es) > 0 {
				s.dims = append(s.dims, es)
			}
		}
	}
	s.try(sc)
	for k := 1; len(s.found) == 0 && k <= min(maxChanges, len(s.dims)); k++ {
		if err := s.level(sc, 0, k); err != nil {
			return nil, err
		}
	}
	return s.found, nil
}

// search is one run of [Counterfactuals].
type search struct {
	ctx   context.Context
	done  <-chan struct{}
	m     *lifecycle.Machine
	want  Func
	from  *view
	b     *base
	dims  [][]edit // the alternatives of each input the search varies
	found []Counterfactual
}

// level runs every scenario that applies k more edits to sc, each to an
// input from dims[start:] after the ones sc has.
func (s *search) level(sc lifecycle.Scenario, start, k int) error {
	if k == 0 {
		select {
		case <-s.done:
			return s.ctx.Err()
		default:
		}
		s.try(sc)
		return nil
	}
	for i := start; i <= len(s.dims)-k; i++ {
		for _, e := range s.dims[i] {
			c := sc
			e(&c)
			if err := s.level(c, i+1, k-1); err != nil {
				return err
			}
		}
	}
	return nil
}

// try runs sc and keeps it when want accepts its outcome.
func (s *search) try(sc lifecycle.Scenario) {
	if err := s.m.Restore(sc.Device); err != nil {
		return // the edits keep the device valid: not reached
	}
	out, _ := s.m.Deploy(context.Background(), sc.Deployment)
	if !s.want(sc, out) {
		return
	}
	s.found = append(s.found, Counterfactual{Scenario: sc, Outcome: out, Changes: changes(s.from, newView(&sc))})
}

func changes(a, b *view) []Change {
	var cs []Change
	for i := range inputs {
		in := &inputs[i]
		if in.differ(a, b) {
			cs = append(cs, Change{Input: in.name, From: in.value(a), To: in.value(b), Text: in.phrase(b)})
		}
	}
	return cs
}

// base is the scenario a search starts from, with the deployment folders
// its edits give.
type base struct {
	sc         *lifecycle.Scenario
	incomplete bool // sc's folder is incomplete for its platform
	folders    map[folderKey]lifecycle.Folder
}

type folderKey struct {
	p          certs.Platform
	incomplete bool
}

// folder returns sc's folder made complete for platform p, or lacking
// p's installer.
func (b *base) folder(p certs.Platform, incomplete bool) lifecycle.Folder {
	if p == b.sc.Device.Platform && incomplete == b.incomplete {
		return b.sc.Deployment.Package.Folder
	}
	k := folderKey{p, incomplete}
	if f, ok := b.folders[k]; ok {
		return f
	}
	names := b.sc.Deployment.Package.Folder.Names()
	if incomplete {
		names = slices.DeleteFunc(names, p.IsInstallerName)
	} else {
		for _, name := range lifecycle.CompleteFolder(p).Names() {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	f := lifecycle.NewFolder(names...)
	if b.folders == nil {
		b.folders = map[folderKey]lifecycle.Folder{}
	}
	b.folders[k] = f
	return f
}
