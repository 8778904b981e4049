package fleet

import (
	"cmp"
	"slices"
	"strings"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
)

// ReportOptions configure an [Aggregator].
type ReportOptions struct {
	// Details keeps the per-device lists: [Report.StatusDetails] and the
	// Devices of every [DeviceList] and [FailureGroup]. Without it a report
	// holds counts only, and an aggregator's memory does not grow with the
	// fleet (only with its sites and computers). Counts are exact either
	// way.
	Details bool
}

// DeviceRef names one device of a fleet: its position in the fleet (from
// 0) and its ID.
type DeviceRef struct {
	Index int    `json:"index"`
	ID    string `json:"id"`
}

// DeviceList is one report's devices: how many, and, with
// [ReportOptions.Details], which, in fleet order.
type DeviceList struct {
	Count   int         `json:"count"`
	Devices []DeviceRef `json:"devices,omitempty"`
}

func (l *DeviceList) add(details bool, r DeviceRef) {
	l.Count++
	if details {
		l.Devices = append(l.Devices, r)
	}
}

// merge adds m to l, and m's devices too when details.
func (l *DeviceList) merge(m DeviceList, details bool) {
	l.Count += m.Count
	if details {
		l.Devices = append(l.Devices, m.Devices...)
	}
}

func (l DeviceList) sorted() DeviceList {
	l.Devices = slices.Clone(l.Devices)
	slices.SortFunc(l.Devices, func(a, b DeviceRef) int { return cmp.Compare(a.Index, b.Index) })
	return l
}

// FailedDevice is one device of the failure report.
type FailedDevice struct {
	Index int    `json:"index"`
	ID    string `json:"id"`
	Error string `json:"error"`
}

// FailureGroup is the failure report's devices that failed for one reason.
type FailureGroup struct {
	Failure Failure `json:"failure"`
	Count   int     `json:"count"`
	// Devices lists them in fleet order, with [ReportOptions.Details].
	Devices []FailedDevice `json:"devices,omitempty"`
}

// failures counts devices by [Failure]: the failure report of a
// [Report], and [PlanReport].Unread.
type failures [FailureCanceled + 1]FailureGroup

// add counts device d under f, and lists it if details.
func (fs *failures) add(f Failure, details bool, d FailedDevice) {
	g := &fs[f]
	g.Count++
	if details {
		g.Devices = append(g.Devices, d)
	}
}

// merge adds what o counted to fs, and what o listed if details.
func (fs *failures) merge(o *failures, details bool) {
	for i := range o {
		fs[i].Count += o[i].Count
		if details {
			fs[i].Devices = append(fs[i].Devices, o[i].Devices...)
		}
	}
}

// groups returns the groups with devices, in the order of [Failure], each
// listing its devices in fleet order; they share no memory with fs.
func (fs *failures) groups() []FailureGroup {
	var out []FailureGroup
	for i, g := range fs {
		if g.Count == 0 {
			continue
		}
		g.Failure = Failure(i)
		g.Devices = slices.Clone(g.Devices)
		slices.SortFunc(g.Devices, func(x, y FailedDevice) int { return cmp.Compare(x.Index, y.Index) })
		out = append(out, g)
	}
	return out
}

// StatusDetail is one device's line of the deployment status details
// report.
type StatusDetail struct {
	Index     int                 `json:"index"`
	ID        string              `json:"id"`
	Platform  certs.Platform      `json:"platform,omitempty"`
	Method    lifecycle.Method    `json:"method,omitempty"`
	Component lifecycle.Component `json:"component,omitempty"`
	From      lifecycle.State     `json:"from"`
	To        lifecycle.State     `json:"to"`
	// Event is the event the decision table chose; Carried reports
	// whether it ran ([lifecycle.Outcome.Transitioned]), which it did not
	// when a prerequisite was missing or the trust step failed.
	Event   lifecycle.Event `json:"event"`
	Carried bool            `json:"carried,omitempty"`
	Failure Failure         `json:"failure"`
	Health  Health          `json:"health"`
	Error   string          `json:"error,omitempty"`
}

// HealthSummary counts the devices in each [Health]. Every device is in
// exactly one count, so the counts add up to [Report.Devices].
type HealthSummary struct {
	Healthy       int `json:"healthy"`
	Certificate   int `json:"certificateIssues"`
	Communication int `json:"communicationIssues"`
	Local         int `json:"localClientIssues"`
	NoClient      int `json:"noClient"`
	NotRun        int `json:"notRun"`
}

// Count returns the count of h, 0 for an invalid Health.
func (s HealthSummary) Count(h Health) int {
	if p := s.field(h); p != nil {
		return *p
	}
	return 0
}

func (s *HealthSummary) field(h Health) *int {
	switch h {
	case Healthy:
		return &s.Healthy
	case UnhealthyCertificate:
		return &s.Certificate
	case UnhealthyCommunication:
		return &s.Communication
	case UnhealthyLocal:
		return &s.Local
	case NoClient:
		return &s.NoClient
	case NotRun:
		return &s.NotRun
	}
	return nil
}

// Unhealthy returns the devices unhealthy for any of the three reasons.
func (s HealthSummary) Unhealthy() int { return s.Certificate + s.Communication + s.Local }

// ProgramStatus is one line of the "Software Distribution Status Report for
// DM client install program": the advertisement of one program (the client
// or the password program) from one site, as its status messages would
// count it.
//
// Modelling choice: only devices deployed by
// [lifecycle.SoftwareDistribution] count, since the other methods advertise
// nothing. A device accepted the program when the deployment reached it (no
// invalid input, no missing prerequisite, and not canceled before it
// started), ran it when DMInstaller ran, succeeded when nothing failed
// (deciding no action included) and failed when something other than a
// cancellation did.
type ProgramStatus struct {
	// Site is the site's name ([Entry].Site).
	Site string `json:"site"`
	// Program is the component advertised; the zero Component, left out
	// of JSON, for devices whose deployment gave no valid one (they fail
	// as [FailureInput]).
	Program lifecycle.Component `json:"program,omitempty"`
	// Targeted counts every device the program was advertised to.
	Targeted  int `json:"targeted"`
	Accepted  int `json:"accepted"`
	Ran       int `json:"ran"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// LastStatus is the status message of the device latest in fleet
	// order that sent one, nil if none did. A status message is sent only
	// when the trust step failed on a device connected through a managed
	// Configuration Manager client computer.
	LastStatus *StatusRef `json:"lastStatus,omitempty"`
}

// StatusRef is a status message and the position in the fleet of the
// device that sent it.
type StatusRef struct {
	Index int `json:"index"`
	lifecycle.StatusMessage
}

// Computer is one line of "Configuration Manager client computers
// reporting ActiveSync-connected devices": a desktop computer and the
// devices that synchronise with it through ActiveSync or Mobile Device
// Center.
//
// Modelling choice: a device counts for the computer it names
// ([lifecycle.Device].Computer) when it is connected through a computer
// ([lifecycle.ViaManagedComputer] or [lifecycle.ViaUnmanagedComputer]);
// names compare ignoring case, as Windows computer names do, and the
// spelling of the first device in fleet order is shown. Only a managed
// computer, a Configuration Manager client, reports its devices to the
// site (and only once its hardware inventory is extended); an unmanaged one
// is listed with Managed false so that the report accounts for every
// device connected through a computer.
type Computer struct {
	Name    string     `json:"name"`
	Managed bool       `json:"managed"`
	Devices DeviceList `json:"devices"`
}

// Report is the product page's ten reports over a fleet's outcomes: plain
// data, deterministic (every list in fleet order, the failure groups in
// [Failures] order, programs by site and program, computers by name) and
// encodable as JSON.
type Report struct {
	// Devices is the number of devices aggregated.
	Devices int `json:"devices"`
	// SoftwareDistribution is "Software Distribution Status Report for DM
	// client install program", one line per site and program.
	SoftwareDistribution []ProgramStatus `json:"softwareDistribution,omitempty"`
	// Computers is "Configuration Manager client computers reporting
	// ActiveSync-connected devices", one line per computer.
	Computers []Computer `json:"computers,omitempty"`
	// StatusDetails is "Device Client Agent Deployment Status Details":
	// one line per device, with [ReportOptions.Details].
	StatusDetails []StatusDetail `json:"statusDetails,omitempty"`
	// Success is "Device Client Agent Deployment Success Report": the
	// devices whose run ended without failure ([NoFailure]).
	Success DeviceList `json:"success"`
	// Failure is "Device Client Agent Deployment Failure Report": the
	// other devices, grouped by [Failure], only the groups with devices.
	Failure []FailureGroup `json:"failure,omitempty"`
	// Health is "Device Client Agent Health Summary".
	Health HealthSummary `json:"health"`
	// Healthy is "Device Clients in Healthy condition".
	Healthy DeviceList `json:"healthy"`
	// UnhealthyCertificate, UnhealthyCommunication and UnhealthyLocal are
	// "Device Clients in unhealthy condition due to certificate issues",
	// "communication issues" and "local client issues"; see [HealthOf].
	UnhealthyCertificate   DeviceList `json:"unhealthyCertificate"`
	UnhealthyCommunication DeviceList `json:"unhealthyCommunication"`
	UnhealthyLocal         DeviceList `json:"unhealthyLocal"`
}

// Failed returns the number of devices in the failure report.
func (r Report) Failed() int {
	n := 0
	for _, g := range r.Failure {
		n += g.Count
	}
	return n
}

// Aggregator folds outcomes into a [Report] one at a time, so a fleet's
// outcomes need not be held at once. Aggregators of parts of a fleet merge
// ([Aggregator.Merge]); the report does not depend on the order of Add and
// Merge calls. An Aggregator is not safe for concurrent use: give each
// goroutine its own and merge them.
type Aggregator struct {
	opts      ReportOptions
	devices   int
	details   []StatusDetail
	success   DeviceList
	failure   failures
	health    HealthSummary
	lists     [UnhealthyLocal + 1]DeviceList // by Health, Healthy to UnhealthyLocal
	programs  map[programKey]*ProgramStatus
	computers map[computerKey]*computer
}

type programKey struct {
	site    string
	program lifecycle.Component
}

type computerKey struct {
	name    string // lower case
	managed bool
}

type computer struct {
	Computer
	first int // the index of the device whose spelling Name is
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(opts ReportOptions) *Aggregator {
	return &Aggregator{opts: opts}
}

// Add counts outcome o of device e, at position index of the fleet.
// Indexes should be unique: they identify and order the devices in the
// report's lists. The reports read e's site name, the device's computer and
// connection, and from o only what its JSON keeps.
func (a *Aggregator) Add(index int, e Entry, o lifecycle.Outcome) { a.count(index, &e, &o) }

// count is Add, without copying e and o.
func (a *Aggregator) count(index int, e *Entry, o *lifecycle.Outcome) {
	f := failureOf(o)
	a.add(index, e, o, f, health(o, f))
}

// add is Add of an outcome whose failure and health are known ([Compare]
// knows them).
func (a *Aggregator) add(index int, e *Entry, o *lifecycle.Outcome, f Failure, h Health) {
	a.devices++
	*a.health.field(h)++
	ref := DeviceRef{Index: index, ID: o.Device}
	d := a.opts.Details
	if h <= UnhealthyLocal {
		a.lists[h].add(d, ref)
	}
	msg := ""
	if o.Err != nil && d {
		msg = o.Err.Error()
	}
	if f == NoFailure {
		a.success.add(d, ref)
	} else {
		a.failure.add(f, d, FailedDevice{Index: index, ID: o.Device, Error: msg})
	}
	if d {
		a.details = append(a.details, StatusDetail{Index: index, ID: o.Device, Platform: o.Platform,
			Method: o.Method, Component: o.Component, From: o.From, To: o.To, Event: o.Event,
			Carried: o.Transitioned(), Failure: f, Health: h, Error: msg})
	}
	if o.Method == lifecycle.SoftwareDistribution {
		a.program(index, e, o, f)
	}
	if c := e.Device.Connection; c == lifecycle.ViaManagedComputer || c == lifecycle.ViaUnmanagedComputer {
		a.computer(index, e.Device.Computer, c == lifecycle.ViaManagedComputer).Devices.add(d, ref)
	}
}

func (a *Aggregator) program(index int, e *Entry, o *lifecycle.Outcome, f Failure) {
	if a.programs == nil {
		a.programs = map[programKey]*ProgramStatus{}
	}
	k := programKey{site: e.Site, program: o.Component}
	p := a.programs[k]
	if p == nil {
		p = &ProgramStatus{Site: e.Site, Program: o.Component}
		a.programs[k] = p
	}
	p.Targeted++
	if f != FailureInput && f != FailurePrerequisites && (f != FailureCanceled || len(o.Steps) > 0) {
		p.Accepted++
	}
	if slices.Contains(o.Steps, lifecycle.DMInstaller) {
		p.Ran++
	}
	switch f {
	case NoFailure:
		p.Succeeded++
	case FailureCanceled:
	default:
		p.Failed++
	}
	if o.Status != nil {
		p.status(&StatusRef{Index: index, StatusMessage: *o.Status})
	}
}

// status keeps s if it is later in fleet order than the status kept.
func (p *ProgramStatus) status(s *StatusRef) {
	if s != nil && (p.LastStatus == nil || s.Index > p.LastStatus.Index) {
		p.LastStatus = s
	}
}

func (a *Aggregator) computer(index int, name string, managed bool) *computer {
	if a.computers == nil {
		a.computers = map[computerKey]*computer{}
	}
	k := computerKey{name: strings.ToLower(name), managed: managed}
	c := a.computers[k]
	if c == nil {
		c = &computer{Computer: Computer{Name: name, Managed: managed}, first: index}
		a.computers[k] = c
	} else if index < c.first {
		c.Name, c.first = name, index
	}
	return c
}

// Merge adds everything b counted to a. b is left as it was. What a
// keeps follows a's [ReportOptions]: without Details, a takes b's counts
// and none of its per-device lists; with Details, a's lists hold b's
// devices as far as b kept them.
func (a *Aggregator) Merge(b *Aggregator) {
	d := a.opts.Details
	a.devices += b.devices
	if d {
		a.details = append(a.details, b.details...)
	}
	a.success.merge(b.success, d)
	a.failure.merge(&b.failure, d)
	for _, h := range Healths() {
		*a.health.field(h) += b.health.Count(h)
	}
	for i := range a.lists {
		a.lists[i].merge(b.lists[i], d)
	}
	for k, q := range b.programs {
		if a.programs == nil {
			a.programs = map[programKey]*ProgramStatus{}
		}
		p := a.programs[k]
		if p == nil {
			p = &ProgramStatus{Site: q.Site, Program: q.Program}
			a.programs[k] = p
		}
		p.Targeted += q.Targeted
		p.Accepted += q.Accepted
		p.Ran += q.Ran
		p.Succeeded += q.Succeeded
		p.Failed += q.Failed
		p.status(q.LastStatus)
	}
	for k, q := range b.computers {
		c := a.computer(q.first, q.Name, k.managed)
		c.Devices.merge(q.Devices, d)
	}
}

// Report returns the reports over everything counted so far. The report
// shares no memory with the Aggregator.
func (a *Aggregator) Report() Report {
	r := Report{
		Devices:                a.devices,
		Success:                a.success.sorted(),
		Health:                 a.health,
		Healthy:                a.lists[Healthy].sorted(),
		UnhealthyCertificate:   a.lists[UnhealthyCertificate].sorted(),
		UnhealthyCommunication: a.lists[UnhealthyCommunication].sorted(),
		UnhealthyLocal:         a.lists[UnhealthyLocal].sorted(),
	}
	if a.opts.Details {
		r.StatusDetails = slices.Clone(a.details)
		slices.SortFunc(r.StatusDetails, func(x, y StatusDetail) int { return cmp.Compare(x.Index, y.Index) })
	}
	r.Failure = a.failure.groups()
	for _, p := range a.programs {
		q := *p
		if q.LastStatus != nil {
			s := *q.LastStatus
			q.LastStatus = &s
		}
		r.SoftwareDistribution = append(r.SoftwareDistribution, q)
	}
	slices.SortFunc(r.SoftwareDistribution, func(x, y ProgramStatus) int {
		return cmp.Or(strings.Compare(x.Site, y.Site), cmp.Compare(x.Program, y.Program))
	})
	for _, c := range a.computers {
		q := c.Computer
		q.Devices = q.Devices.sorted()
		r.Computers = append(r.Computers, q)
	}
	slices.SortFunc(r.Computers, func(x, y Computer) int {
		return cmp.Or(strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)),
			-compareBool(x.Managed, y.Managed))
	})
	return r
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
