// Package lifecycle models how the Configuration Manager 2007 mobile device
// client is deployed, upgraded, reconfigured, removed and repaired on
// Windows Mobile and Windows CE devices, as an event-driven state machine
// built on github.com/looplab/fsm.
//
// It is for device-management tools that decide and simulate client
// deployments, for policy tests ("a locked Smartphone never gets the
// client"), and for transition diagrams. It is not a device agent: it does
// not talk to devices, sites or certification authorities, it returns data
// describing what they would do.
//
// # The model
//
// A device's [State] is its installed client compared with the deployed one
// ([Classify]): [None], [Older], [Same] or [Newer]. [Decide] is the product
// page's decision table from a state and the .ini file's
// ClientInstallAction to an [Event]: [Install], [Upgrade], [Reconfigure],
// [Uninstall], [Repair] or [NoAction].
//
// Two declared tables are the single source of truth:
// [ClientTransitions] for the client machine and [ChainTransitions] for
// the installer chain that runs inside every client transition (files
// [Staged], DMInstaller ([Installer]), the trust step, DMClientSetup
// ([Setup]), certificate [Enrollment], [Done] or [Denied]). The looplab
// machines, the diagrams ([WriteDiagram]), the test paths ([ShortestPaths],
// [TransitionCover]) and the checks are built from them.
//
// # Running deployments
//
// A [Scenario] holds everything a deployment depends on, as plain values:
// the [Component], the deployment [Method], the [Device] (platform,
// installed version, security, [Connection], enrollment conditions,
// settings), the [Package] (version, deployment folder, decoded .ini
// settings) and the [Site]. [CheckPrerequisites] reports every missing
// prerequisite at once. A [Machine] is one device's client machine:
// [Machine.Deploy] checks the prerequisites, decides and fires the event,
// and returns an [Outcome]: states, event, chain steps, [LogFile]s, the
// [StatusMessage], the settings overwritten, the downgrade flag and the
// error, classified as a [Failure]. Outcomes are plain data (go-cmp,
// JSON). [VerifyInstallation] reads log file names back, as an
// administrator verifying an installation would.
//
// For fleets, [FleetDecoder] reads a fleet file, and [RunFleet] streams
// scenarios through one machine per core into an [Aggregator] of the
// product page's reports ([Report]): deployment status details, success,
// failure, health summary ([HealthOf]) and the healthy and unhealthy
// clients.
//
// # Proving policies
//
// The model's input space is finite. [Scenarios] enumerates it,
// [DefaultScenario] and [Distance] measure how far a scenario is from the
// plain case, and [CheckPolicy] runs a user's [Policy] over all of it,
// returning the simplest counterexamples with their [Path] through both
// machines. [ShortestPaths] and [TransitionCover] give test paths in the
// XState sense. Package lifecycletest has rapid generators and an invariant
// checker for sampled policy tests.
//
// # looplab/fsm, shielded
//
// looplab/fsm v1.0.3 wedges for good when given a context that is already
// done, races under concurrent Event calls, deadlocks when a callback calls
// back into its machine, drops misspelled callback names silently, reports
// self-transitions as errors, and returns transitions in random order. A
// [Machine] checks the context first and hands looplab one that cannot be
// canceled, serialises runs with its own mutex, never calls a looplab
// machine from a looplab callback, generates callback names from the table,
// treats an intended self-transition as success, reports a rejected event
// as a [*TransitionError], and every list this package returns is sorted.
package lifecycle
