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
//		m, _ := lifecycle.NewMachine(lifecycle.None)
//		out, _ := m.Deploy(context.Background(), sc)
//		lifecycletest.Assert(t, sc, out)
//		if sc.Device.Platform.IsSmartphone() && !sc.Device.Security.Unlocked() && out.RanStep(lifecycle.Setup) {
//			t.Fatalf("a locked Smartphone got the client")
//		}
//	})
//
// and [lifecycle.CheckPolicy] proves the same policy over the whole finite
// input space.
//
// This package is for tests. It is not a second implementation of the
// model: [Check] restates the product page's rules independently of the
// code under test, so that the two can disagree.
package lifecycletest
