// Package policy proves rules about the [lifecycle] model over its whole
// finite input space and over every sequence of deployments, and gives
// the test paths of its two machines.
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
// [Check] takes a [Func] and options ([Option]: [Workers],
// [MaxCounterexamples]) and returns a [Result]: how many scenarios were
// checked and violated, and the simplest counterexamples
// ([Counterexample]), each with the paths its run took through both
// machines. It runs the scenarios on every processor, one reused
// [lifecycle.Machine] per worker, stops promptly when its context ends,
// and raises a panic of the policy again in the caller's goroutine.
//
// # Sequences
//
// An administrator's world is a sequence: a pilot, a newer package a month
// later, a settings change, an uninstall, a repair. [Explore] proves a
// [Property] (a [Func] on each step, a predicate on each device reached)
// over every sequence of deployments of any length:
//
//	noClientWithoutMobile2Market := policy.Property{Step: func(sc lifecycle.Scenario, out lifecycle.Outcome) bool {
//		untrusted := sc.Device.Platform.SigningApplies() && !sc.Device.Security.TrustsMobile2Market
//		return !(untrusted && out.Component == lifecycle.Client && out.Transitioned())
//	}}
//	res, err := policy.Explore(ctx, noClientWithoutMobile2Market)
//	// res.Holds(); res.States, res.Edges: the size of the graph proved
//	// res.Counterexamples[0]: the shortest Trace, to replay on a Machine
//
// What a deployment does depends only on the device it finds, so the
// devices reachable from the starts ([Devices], the space's) by the
// deployments ([Deployments], three package versions) form a finite
// graph, 5,134 states and 533,230 edges: Explore walks it breadth first
// to its fixpoint, running each (state, deployment) pair once, and a
// property that holds on every edge and state holds for every sequence.
// Violations come back as shortest traces ([Trace]). [Histories] is the
// bounded form for properties over histories rather than steps ("after
// an uninstall, the next install that succeeds ends in the deployed
// version"): every history to a given depth.
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
// inputs first, each [Counterfactual] with its changes ([Change]) in
// words ("would succeed if the device's privileges were not restricted").
// [Changes] lists the inputs in which two scenarios differ: its length is
// the distance between them.
//
// This package is not for sampling (see package lifecycletest's
// generators) and does not run fleets (see package fleet).
package policy
