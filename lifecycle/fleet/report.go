package lifecycle

import (
	"cmp"
	"errors"
	"slices"

	"github.com/mobiledm/dmclient/certs"
)

// Health is the condition a deployment leaves a device's client in, as the
// product page's health reports sort devices: "Device Clients in Healthy
// condition" and "in unhealthy condition due to certificate issues,
// communication issues, local client issues". The zero Health is invalid.
type Health uint8

// The health conditions, in the order [Healths] returns them.
const (
	// Healthy: the run succeeded and the component is installed.
	Healthy Health = iota + 1
	// UnhealthyCertificate: a certificate issue; see [HealthOf].
	UnhealthyCertificate
	// UnhealthyCommunication: a communication issue; see [HealthOf].
	UnhealthyCommunication
	// UnhealthyLocal: a local client issue; see [HealthOf].
	UnhealthyLocal
	// NoClient: the run succeeded and left no component installed (an
	// uninstall, or nothing to act on where none is installed).
	NoClient
	// NotRun: the deployment did not run because the context ended.
	NotRun
)

var healthNames = names{typ: "Health", first: uint8(Healthy),
	list: []string{"healthy", "certificate issues", "communication issues", "local client issues", "no client", "not run"}}

// Healths returns every Health, [Healthy] first.
func Healths() []Health {
	return []Health{Healthy, UnhealthyCertificate, UnhealthyCommunication, UnhealthyLocal, NoClient, NotRun}
}

// String returns the condition's name, such as "certificate issues".
func (h Health) String() string { return healthNames.name(uint8(h)) }

// IsValid reports whether h is one of [Healths].
func (h Health) IsValid() bool { return healthNames.valid(uint8(h)) }

// ParseHealth returns the Health named s (case-insensitive).
func ParseHealth(s string) (Health, error) {
	v, err := healthNames.parse(s)
	return Health(v), err
}

// MarshalText implements encoding.TextMarshaler.
func (h Health) MarshalText() ([]byte, error) { return healthNames.marshal(uint8(h)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *Health) UnmarshalText(text []byte) error { return unmarshalText(&healthNames, text, h) }

// HealthOf returns the condition outcome o leaves the device in. Every
// outcome has exactly one.
//
// Modelling choice: the product page names the three kinds of unhealthy
// client without defining them. This library sorts outcomes like this:
//
//   - [Healthy]: no failure and the component installed afterwards (a newer
//     client left alone counts, as does a successful repair).
//   - [NoClient]: no failure and no component afterwards.
//   - [NotRun]: [FailureCanceled].
//   - [UnhealthyCertificate]: the trust step failed ([FailureUntrusted],
//     [FailureAccessDenied]); enrollment failed because the user's
//     authentication to the CA failed; a native or server authentication
//     site without CertEnrollAction=Enroll ([ErrEnrollmentNotEnforced]).
//   - [UnhealthyCommunication]: enrollment failed because the CA was
//     unreachable (it may need a corporate network connection); the method
//     cannot reach the device ([ErrConnection], [ErrNotManaged]); the site
//     lacks a management point, a distribution point or the inventory
//     extension ([ErrNoManagementPoint], [ErrNoDistributionPoint],
//     [ErrInventoryNotExtended]).
//   - [UnhealthyLocal]: everything else: invalid input, an event the
//     machine rejects (such as a repair with no client), an incomplete
//     deployment folder, invalid settings, no client agent, the password
//     program on a platform other than Pocket PC 2003.
//
// When several prerequisites are missing, certificate issues come before
// communication issues, and those before local ones. Prerequisite errors are
// recognised with errors.Is, so an outcome decoded from JSON (whose error
// lost its identity) with [FailurePrerequisites] counts as a local issue.
func HealthOf(o Outcome) Health {
	switch o.Failure {
	case NoFailure:
		if o.To.HasClient() {
			return Healthy
		}
		return NoClient
	case FailureCanceled:
		return NotRun
	case FailureUntrusted, FailureAccessDenied:
		return UnhealthyCertificate
	case FailureEnrollment:
		if o.Enrollment == certs.CAUnreachable || errors.Is(o.Err, certs.ErrCAUnreachable) {
			return UnhealthyCommunication
		}
		return UnhealthyCertificate
	case FailurePrerequisites:
		if errors.Is(o.Err, ErrEnrollmentNotEnforced) {
			return UnhealthyCertificate
		}
		for _, e := range communicationErrs {
			if errors.Is(o.Err, e) {
				return UnhealthyCommunication
			}
		}
	}
	return UnhealthyLocal
}

var communicationErrs = []error{ErrConnection, ErrNotManaged, ErrNoManagementPoint, ErrNoDistributionPoint, ErrInventoryNotExtended}

// ReportOptions configures an [Aggregator].
type ReportOptions struct {
	// Details keeps the per-device lists: [Report.StatusDetails] and the
	// Devices of every [DeviceList] and [FailureGroup]. Without it a report
	// holds counts only, and an aggregator's memory does not grow with the
	// fleet. Counts are exact either way.
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

func (l *DeviceList) merge(m DeviceList) {
	l.Count += m.Count
	l.Devices = append(l.Devices, m.Devices...)
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

// StatusDetail is one device's line of the deployment status details
// report.
type StatusDetail struct {
	Index     int            `json:"index"`
	ID        string         `json:"id"`
	Platform  certs.Platform `json:"platform,omitempty"`
	Method    Method         `json:"method,omitempty"`
	Component Component      `json:"component,omitempty"`
	From      State          `json:"from"`
	To        State          `json:"to"`
	Event     Event          `json:"event"`
	Failure   Failure        `json:"failure"`
	Health    Health         `json:"health"`
	Error     string         `json:"error,omitempty"`
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

// Report is the product page's device client agent reports over a fleet's
// outcomes: plain data, deterministic (every list in fleet order, the
// failure groups in [Failures] order) and encodable as JSON.
type Report struct {
	// Devices is the number of devices aggregated.
	Devices int `json:"devices"`
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
	opts    ReportOptions
	devices int
	details []StatusDetail
	success DeviceList
	failure []FailureGroup // by Failure, grown as needed
	health  HealthSummary
	lists   [NotRun + 1]DeviceList // by Health; Healthy to UnhealthyLocal used
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(opts ReportOptions) *Aggregator {
	return &Aggregator{opts: opts}
}

// Add counts outcome o of the device at position index of the fleet.
// Indexes should be unique: they identify and order the devices in the
// report's lists.
func (a *Aggregator) Add(index int, o Outcome) {
	a.devices++
	h := HealthOf(o)
	*a.health.field(h)++
	ref := DeviceRef{Index: index, ID: o.Device}
	d := a.opts.Details
	if h <= UnhealthyLocal {
		a.lists[h].add(d, ref)
	}
	f := o.Failure
	if !f.IsValid() {
		f = FailureInput
	}
	msg := ""
	if o.Err != nil && d {
		msg = o.Err.Error()
	}
	if f == NoFailure {
		a.success.add(d, ref)
	} else {
		g := a.group(f)
		g.Count++
		if d {
			g.Devices = append(g.Devices, FailedDevice{Index: index, ID: o.Device, Error: msg})
		}
	}
	if d {
		a.details = append(a.details, StatusDetail{Index: index, ID: o.Device, Platform: o.Platform,
			Method: o.Method, Component: o.Component, From: o.From, To: o.To, Event: o.Event,
			Failure: f, Health: h, Error: msg})
	}
}

func (a *Aggregator) group(f Failure) *FailureGroup {
	for int(f) >= len(a.failure) {
		a.failure = append(a.failure, FailureGroup{Failure: Failure(len(a.failure))})
	}
	return &a.failure[f]
}

// Merge adds everything b counted to a. b is left as it was.
func (a *Aggregator) Merge(b *Aggregator) {
	a.devices += b.devices
	a.details = append(a.details, b.details...)
	a.success.merge(b.success)
	for _, g := range b.failure {
		m := a.group(g.Failure)
		m.Count += g.Count
		m.Devices = append(m.Devices, g.Devices...)
	}
	for _, h := range Healths() {
		*a.health.field(h) += b.health.Count(h)
	}
	for i := range a.lists {
		a.lists[i].merge(b.lists[i])
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
	for _, g := range a.failure {
		if g.Count == 0 {
			continue
		}
		g.Devices = slices.Clone(g.Devices)
		slices.SortFunc(g.Devices, func(x, y FailedDevice) int { return cmp.Compare(x.Index, y.Index) })
		r.Failure = append(r.Failure, g)
	}
	return r
}
