// Package fleet deploys the Configuration Manager 2007 mobile device client
// to a whole fleet of devices with the [lifecycle] model, and reports on
// the outcomes as the product page's ten reports do.
//
//	f, err := os.Open("fleet.json")
//	if err != nil {
//		return err
//	}
//	defer f.Close()
//	dec := fleet.NewDecoder(f, ini.Settings{})
//	report, err := fleet.Run(ctx, dec.Devices(), fleet.Options{})
//	if err := errors.Join(err, dec.Err()); err != nil {
//		return err
//	}
//	fmt.Println(report.Health.Healthy, "healthy of", report.Devices)
//
// It is for tools that run or simulate deployments to many devices at
// once, and for what-if questions over a fleet. It is not for one device
// over time (use a [lifecycle.Machine]) and it talks to no device: it runs
// the model.
//
// # The fleet file
//
// [Decoder] reads a fleet file: "sites" and "packages" by name, and
// "devices", each a device block ([lifecycle.Device.UnmarshalJSON]) and
// the deployment it gets. It streams, skips a byte-order mark, caps every
// value, and reports a device it cannot read as a per-device [*Error]
// (index, id, field and byte offset) without stopping the others.
//
// # Running
//
// [Run] deploys every [Entry] of a fleet on a few workers, each reusing one
// [lifecycle.Machine] ([lifecycle.Machine.Restore], then
// [lifecycle.Machine.Deploy]), and folds the outcomes into a [Report] as
// they come, so that memory stays flat in the fleet size. [Options] set the
// workers, the machines' observer and clock, and an OnOutcome callback that
// sees every outcome in fleet order. A panic in a worker's callback reaches
// the caller as a [*PanicError].
//
// # Rollouts
//
// A [Plan] is waves of deployments sent to a fleet in order, each with its
// [Target] (every device, ids, a [Share] of the fleet by id, or devices
// matching a platform, connection or computer); [ReadPlan] reads the JSON
// plan file. [Plan.Run] takes each device through the waves on one
// machine, so that what a wave installed the next one finds, streaming as
// [Run] does, and returns a [PlanReport]: each wave's reports, the devices
// grouped by the waves that failed them ([FailedBy]), and those that could
// not go through the plan; each device's [History] goes to a callback.
//
// # What if
//
// [Compare] runs a fleet under two deployments, its own and one a function
// derives from each entry (another ClientSettings.ini, package, site,
// method, or device), in one pass: each device is read once and run under
// both on two machines of its worker. It returns the reports of both
// ([Side]), how many settings changed by the devices' users each
// overwrites, and the devices whose [Result] (decision, outcome, health)
// changes, grouped by before and after ([Change]).
//
// # Reports
//
// [Aggregator] folds outcomes into the product page's reports ([Report]):
// the software distribution status of the DM client install program
// ([ProgramStatus]), the computers reporting ActiveSync-connected devices
// ([Computer]), the deployment status details ([StatusDetail]), the
// success and failure reports ([FailureGroup]), the health summary
// ([HealthSummary]) and the healthy and unhealthy clients ([DeviceList]).
// [FailureOf] classifies an outcome's error as a [Failure] and [HealthOf]
// sorts it into a [Health]; both read only what an outcome's JSON keeps, so
// outcomes stored as JSON report as the live ones do.
package fleet
