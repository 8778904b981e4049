// Package lifecycle models how the Configuration Manager 2007 mobile device
// client is deployed, upgraded, reconfigured, removed and repaired on
// Windows Mobile and Windows CE devices, as an event-driven state machine.
//
// Start from a device and send it deployments:
//
//	m, err := lifecycle.NewMachine(lifecycle.Device{
//		ID: "wm6pro-01", Platform: certs.WM6Professional,
//		Security:   certs.Unrestricted.Security(),
//		Connection: lifecycle.ViaManagedComputer,
//	}, lifecycle.Options{})
//	// handle err
//	out, err := m.Deploy(ctx, deployment) // install: none -> same
//	out, err = m.Deploy(ctx, newer)       // upgrade: older -> same
//
// The package is for device-management tools that decide and simulate
// client deployments, for policy tests ("a locked Smartphone never gets the
// client"), and for diagrams. It is not a device agent: it does not talk to
// devices, sites or certification authorities; it returns data describing
// what they would do. Fleets are in package [github.com/mobiledm/dmclient/lifecycle/fleet],
// diagrams in [github.com/mobiledm/dmclient/lifecycle/diagram], proofs over the
// finite input space in [github.com/mobiledm/dmclient/lifecycle/policy], and
// rapid generators and invariant checks in
// [github.com/mobiledm/dmclient/lifecycle/lifecycletest].
//
// # The model
//
// A device's [State] is its installed client compared with the deployed one
// ([Classify]): [None], [Older], [Same] or [Newer]. [Decide] is the product
// page's decision table from a state and the .ini file's
// ClientInstallAction to an [Event]: [Install], [Upgrade], [Reconfigure],
// [Uninstall], or [NoAction]; [Repair] (uninstall, then install) is asked
// for by the deployment.
//
// Two declared tables are the single source of truth: [ClientTransitions]
// for the client machine, and [ChainTransitions] for the installer chain
// that runs inside every client transition: the files are [Staged],
// [DMInstaller] runs, the trust step installs the Microsoft Authenticode
// certificate (or the platform is exempt from signing), [DMClientSetup]
// runs the action, certificate [Enrollment] runs where the deployment
// needs a certificate, and the chain is [Done]; or the trust step fails and
// it is [Denied]. The client machine is a github.com/looplab/fsm machine
// built from the first table; the chain is walked from the second inside
// the client transition. Diagrams, test paths and checks are built from
// the same tables.
//
// # Devices, deployments and machines
//
// A [Device] is what a deployment finds: the platform, the installed client
// and password program, code-signing security, how it is connected, the
// enrollment conditions, whether it holds a certificate, and its settings.
// A [Deployment] is what an administrator sends: a [Component], a
// [Method], a [Package] (version, deployment folder, the settings of its
// DMCommonInstaller.ini or ClientSettings.ini, read with [ReadSettings])
// and the [Site]. [CheckPrerequisites] reports every missing prerequisite
// at once, each matched with errors.Is by its sentinel, such as
// [ErrNoManagementPoint].
//
// A [Machine] is one device's client over time: [Machine.Deploy] decides
// from the device it holds, runs, and keeps the device the run left, so
// the next deployment sees it. [Machine.Device] is the form to store, and
// [NewMachine] or [Machine.Restore] take it back. [Run] is the one-shot
// what-if of a [Scenario], a device and a deployment. A run returns an
// [Outcome]: states, event, chain steps, the log files ([LogFile]), the
// [StatusMessage] sent, the settings overwritten, and the error. Outcomes
// are plain data (go-cmp, JSON). [Verify] reads a device's log files back, as an
// administrator verifying an installation would.
//
// The JSON form of a device, a deployment and a scenario is one schema,
// the fleet file's: see [Device.UnmarshalJSON].
//
// # Concurrency and cancellation
//
// A Machine serialises its runs. A context that is done before a run
// returns its error at once; one that ends during a run stops the
// installer chain at the next step boundary, and the outcome, its logs and
// the machine's device agree on what ran. An observer ([Options]) sees every
// transition as it happens, on the caller's goroutine.
package lifecycle
