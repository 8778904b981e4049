// Package policy shows the policy tests a user of dmclient writes: see
// policy_test.go. Each policy is stated once, as a Go predicate over a
// scenario and its outcome, then both sampled with rapid (fast feedback,
// shrunk counterexamples) and proved over the model's whole finite input
// space with lifecycle.CheckPolicy.
//
// Run them with:
//
//	go test ./examples/policy/
package policy
