// Package policy proves rules about the [lifecycle] model over its whole
// finite input space, and gives the test paths of its two machines.
//
// A policy is a predicate over a scenario and its outcome. [Check] runs it
// over every scenario of the space:
//
//	lockedSmartphoneNeverGetsClient := func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
//		locked := !sc.Device.Security.Unlocked()
//		return !(sc.Device.Platform.IsSmartphone() && locked && out.Transitioned())
//	}
//	res, err := policy.Check(ctx, lockedSmartphoneNeverGetsClient)
//	if err != nil {
//		return err // ctx ended first
//	}
//	if !res.Holds() {
//		ce := res.Counterexamples[0] // the simplest: fewest inputs changed from DefaultScenario
//		fmt.Println(ce.Scenario, ce.Outcome.Err, ce.ChainPath)
//	}
//
// Where sampling (rapid, fuzzing) finds a counterexample if it is lucky,
// Check is a proof: what a deployment does depends only on the scenario,
// and the scenarios that can be told apart by their outcomes are finitely
// many.
//
// # The space
//
// [Scenarios] enumerates the space (1,625,472 scenarios), varying every
// input around [DefaultScenario], a new user's first deployment, and
// holding an input at one value only where no rule reads it (each such
// choice derived from the rule that owns it, such as which connections a
// method reaches, from [lifecycle.CheckPrerequisites]). [Distance] counts
// how many inputs a scenario changes from the default: counterexamples come
// simplest first.
//
// # The check
//
// [Check] takes a [Func] and [Option]s ([Workers], [MaxCounterexamples])
// and returns a [Result]: how many scenarios were checked and violated, and
// the simplest [Counterexample]s, each with the paths its run took through
// both machines. It runs the scenarios on every processor, one reused
// [lifecycle.Machine] per worker, stops promptly when its context ends,
// and raises a panic of the policy again in the caller's goroutine.
//
// # Test paths
//
// [ShortestClientPaths] and [ShortestChainPaths] give a shortest path to
// each state of the client machine and each step of the installer chain;
// [ClientCover] and [ChainCover] give a small set of paths that takes every
// transition, in the XState sense: a test suite that replays them exercises
// every declared transition.
//
// # Explanations
//
// [Explain] says why a scenario got its outcome, as data ([Explanation]):
// the [Decision], each [Prerequisite] met or missing, the [Trust] step,
// [Enrollment] and the [Evidence] the run left, each with the rule of
// package lifecycle or certs that owns it; printable as a few lines of
// text and as JSON. [Counterfactuals] finds the nearest scenarios in which
// a wanted condition holds ("the client ends in same"), fewest changed
// inputs first, each [Counterfactual] with its [Change]s in words ("would
// succeed if the device's privileges were not restricted"). [Changes]
// lists the inputs in which two scenarios differ: its length is the
// distance between them.
//
// This package is not for sampling (see package lifecycletest's
// generators) and does not run fleets (see package fleet).
package policy
