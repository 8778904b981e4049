package lifecycle

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Policy is a rule a user holds the model to, such as "a locked Smartphone
// never gets the client": it reports whether the outcome of a scenario is
// acceptable. A Policy must be safe to call from several goroutines.
type Policy func(sc Scenario, out Outcome) bool

// Path is the way one run went through both machines: the client machine's
// transition (none when nothing fired or the event was rejected) and the
// installer chain's transitions, in order.
type Path struct {
	Client []Transition[State, Event]     `json:"client,omitempty"`
	Chain  []Transition[Step, ChainEvent] `json:"chain,omitempty"`
}

// PathOf returns the path out took, with the guards of the declared tables.
// The client transition is listed when the event fired, whether the chain
// then completed it or a failed trust step canceled it.
func PathOf(out Outcome) Path {
	var p Path
	if out.Event != NoAction && len(out.Steps) > 0 {
		if t, ok := clientTransition(out.Event, out.From); ok {
			p.Client = append(p.Client, t)
		}
	}
	for i := 1; i < len(out.Steps); i++ {
		if t, ok := chainTransition(out.Steps[i-1], out.Steps[i]); ok {
			p.Chain = append(p.Chain, t)
		}
	}
	return p
}

// Counterexample is a scenario whose outcome a [Policy] rejected.
type Counterexample struct {
	// Index is the scenario's position in [Scenarios].
	Index    int      `json:"index"`
	Scenario Scenario `json:"scenario"`
	Outcome  Outcome  `json:"outcome"`
	// Distance is [Distance] of the scenario: how many inputs it changes
	// from [DefaultScenario].
	Distance int  `json:"distance"`
	Path     Path `json:"path"`
}

// PolicyResult is what [CheckPolicy] found.
type PolicyResult struct {
	// Checked is the number of scenarios run.
	Checked int `json:"checked"`
	// Violations is the number of scenarios the policy rejected.
	Violations int `json:"violations"`
	// Counterexamples are the simplest violations, fewest changed inputs
	// first, then in [Scenarios] order; at most the limit asked for.
	Counterexamples []Counterexample `json:"counterexamples,omitempty"`
}

// Holds reports whether the policy held on every scenario checked.
func (r PolicyResult) Holds() bool { return r.Violations == 0 }

// PolicyOption configures [CheckPolicy].
type PolicyOption func(*policyConfig)

type policyConfig struct {
	limit   int
	workers int
}

// MaxCounterexamples keeps at most n counterexamples (the simplest); the
// default is 100. n <= 0 keeps every one.
func MaxCounterexamples(n int) PolicyOption { return func(c *policyConfig) { c.limit = n } }

// Workers runs the check on n goroutines; the default is
// runtime.GOMAXPROCS(0).
func Workers(n int) PolicyOption { return func(c *policyConfig) { c.workers = n } }

// policyClock stamps the logs of runs under CheckPolicy, so that outcomes
// do not depend on when the check ran.
func policyClock() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// CheckPolicy runs every scenario of the finite input space ([Scenarios])
// through a [Machine] and holds policy to each outcome. Where sampling
// (rapid, fuzzing) finds a counterexample if it is lucky, CheckPolicy is a
// proof over everything the model can express: the policy holds if and
// only if the result has no violations.
//
// The counterexamples come simplest first, each with its path through both
// machines ([PathOf]). Logs are stamped with a fixed time. When ctx ends
// before the check is complete, CheckPolicy returns what it found so far
// and the context's error.
func CheckPolicy(ctx context.Context, policy Policy, opts ...PolicyOption) (PolicyResult, error) {
	cfg := policyConfig{limit: 100, workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.workers < 1 {
		cfg.workers = 1
	}
	results := make([]PolicyResult, cfg.workers)
	var wg sync.WaitGroup
	for w := range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[w] = checkShare(ctx, policy, w, cfg)
		}()
	}
	wg.Wait()
	var total PolicyResult
	for _, r := range results {
		total.Checked += r.Checked
		total.Violations += r.Violations
		total.Counterexamples = append(total.Counterexamples, r.Counterexamples...)
	}
	sortCounterexamples(total.Counterexamples)
	if cfg.limit > 0 && len(total.Counterexamples) > cfg.limit {
		total.Counterexamples = total.Counterexamples[:cfg.limit]
	}
	return total, ctx.Err()
}

func sortCounterexamples(cs []Counterexample) {
	slices.SortFunc(cs, func(a, b Counterexample) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.Index, b.Index))
	})
}

// checkShare checks the scenarios whose index is w modulo the number of
// workers, keeping the simplest counterexamples.
func checkShare(ctx context.Context, policy Policy, w int, cfg policyConfig) PolicyResult {
	var r PolicyResult
	m, _ := NewMachine(None, WithClock(policyClock))
	i := -1
	for sc := range Scenarios() {
		i++
		if i%cfg.workers != w {
			continue
		}
		if r.Checked%1024 == 0 && ctx.Err() != nil {
			break
		}
		out, _ := m.Deploy(context.Background(), sc)
		r.Checked++
		if policy(sc, out) {
			continue
		}
		r.Violations++
		d := Distance(sc)
		if cfg.limit > 0 && len(r.Counterexamples) == cfg.limit {
			last := r.Counterexamples[len(r.Counterexamples)-1]
			if d > last.Distance || (d == last.Distance && i > last.Index) {
				continue
			}
			r.Counterexamples = r.Counterexamples[:len(r.Counterexamples)-1]
		}
		r.Counterexamples = append(r.Counterexamples, Counterexample{Index: i, Scenario: sc, Outcome: out, Distance: d, Path: PathOf(out)})
		sortCounterexamples(r.Counterexamples)
	}
	return r
}
