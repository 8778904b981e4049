// Package policy shows the policy tests a user of dmclient writes: see
// policy_test.go. Each policy is stated once, as a Go predicate over a
// scenario and its outcome (a policy.Func), then both sampled with rapid
// (fast feedback, shrunk counterexamples, versions and settings beyond the
// finite space) and proved over the model's whole finite input space with
// policy.Check. A broken policy shows what a failed proof gives: its
// simplest counterexample, with the path its run took.
//
// Run them with:
//
//	go test ./examples/policy/
package policy
