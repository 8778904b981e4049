// Package lifecycletest helps users write policy tests against the
// [lifecycle] model in a few lines.
//
// It has three parts:
//
//   - rapid generators for the model's inputs: [Device], [Package], [Site]
//     and [Scenario], drawing from every platform, security, client state,
//     method, site and .ini configuration, so that a property over them
//     samples the whole input space (and more: versions are drawn freely);
//   - [Check], which verifies every invariant the library promises on one
//     scenario and its [lifecycle.Outcome], and [Assert], its form for
//     tests;
//   - [Walk], a ready rapid state machine: one device under random
//     deployments (rapid's T.Repeat), for sampling long histories against
//     a model of your own.
//
// A policy test samples with rapid:
//
//	rapid.Check(t, func(t *rapid.T) {
//		sc := lifecycletest.Scenario().Draw(t, "scenario")
//		out, _ := lifecycle.Run(context.Background(), sc, lifecycle.Options{})
//		lifecycletest.Assert(t, sc, out) // the library's invariants, for free
//		locked := !sc.Device.Security.Unlocked()
//		if sc.Device.Platform.IsSmartphone() && locked && out.Transitioned() {
//			t.Fatalf("a locked Smartphone got the client")
//		}
//	})
//
// and package policy's Check proves the same policy over the whole finite
// input space.
//
// # Generators
//
// [Scenario] draws a whole deployment: a [Device] and a [Deployment] for its
// platform, with the installed client and password program drawn
// [Relative] to the deployed version, so that every state (none, older,
// same, newer) comes up often for either component. [Version], [Settings],
// [Package] and [Site] draw the parts. They sample beyond the finite space:
// free versions, any settings, any site and connection.
//
// # Invariants
//
// [Check] verifies the invariants of the library's design on one scenario
// and its [lifecycle.Outcome], also for a run whose context ended at any
// step: the decision table, the classification, the versions, the trust
// step, the denial, enrollment, the prerequisites, cancellation and the
// outcome's agreement with its own steps and logs. It returns every
// [*Violation] found. [RoundTrip] checks that an outcome survives JSON, and
// [Assert] is both, for tests ([TB]). [FolderLacks] is Check's deployment
// folder rule on its own, for a test of code that builds folders.
//
// This package is for tests. It is not a second implementation of the
// model: [Check] restates the product page's rules, and the library's
// documented choices where the page is silent, independently of the code
// under test, so that the two can disagree.
package lifecycletest
