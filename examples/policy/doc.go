// Package policy shows the policy tests a user of dmclient writes: see
// policy_test.go. Each policy is stated once, as a Go predicate over a
// scenario and its outcome (a policy.Func), then both sampled with rapid
// (fast feedback, shrunk counterexamples, versions and settings beyond the
// finite space) and proved over the model's whole finite input space with
// policy.Check. A broken policy shows what a failed proof gives: its
// simplest counterexample, with the path its run took.
//
// sequence_test.go goes further: two policies over sequences (a device
// that does not trust Mobile2Market never gets a client; no sequence
// without a repair lowers a client's version), each a policy.Property
// proved with policy.Explore over every sequence of deployments, of any
// length, from every device of the space; and a broken one whose shortest
// counterexample, a trace of two deployments, is printed and replayed on a
// lifecycle.Machine.
//
// Run them with:
//
//	go test ./examples/policy/
package policy
