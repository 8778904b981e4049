package lifecycle

import (
	"context"
	"testing"
)

// TestLooplabAgrees: the Machine reads destinations from the declared
// tables instead of asking looplab after every step; over every scenario of
// a stride of the space, looplab's own states must agree with them.
func TestLooplabAgrees(t *testing.T) {
	var m *Machine
	obs := ObserverFuncs{
		OnStep: func(_ context.Context, _, to Step, _ ChainEvent) {
			if got := m.chain.Current(); got != to.String() {
				t.Fatalf("chain: looplab in %q, the table says %v", got, to)
			}
		},
	}
	m, err := NewMachine(None, WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for sc := range Scenarios() {
		i++
		if i%53 != 0 {
			continue
		}
		out, _ := m.Deploy(context.Background(), sc)
		if got := m.client.Current(); got != m.State().String() || got != out.To.String() {
			t.Fatalf("scenario %d: looplab in %q, machine in %v, outcome %v", i, got, m.State(), out.To)
		}
	}
}
