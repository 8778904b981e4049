package lifecycle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/version"
)

// FleetOptions configures [RunFleet].
type FleetOptions struct {
	// Workers is the number of goroutines that run deployments, each with
	// its own [Machine]; 0 or less means runtime.GOMAXPROCS(0).
	Workers int
	// Report configures the report RunFleet returns. Leave Details off for
	// large fleets: memory then does not grow with the fleet.
	Report ReportOptions
	// Machine are the options of every worker's [Machine], such as
	// [WithClock].
	Machine []Option
	// OnOutcome, if not nil, is called with every device's scenario (as
	// the fleet yielded it) and outcome, in fleet order (index from 0),
	// from one goroutine at a time, before the outcome is counted. It may
	// keep both. It costs a reorder buffer of a few batches.
	OnOutcome func(index int, sc Scenario, o Outcome)
}

// fleetBatch is the unit of work: fleetBatch consecutive devices of the fleet.
const fleetBatch = 256

type fleetItem struct {
	sc  Scenario
	err error
}

type batch struct {
	seq   int // batch number, from 0
	first int // index of items[0] in the fleet
	items []fleetItem
	outs  []Outcome // with OnOutcome only
}

// RunFleet runs the deployment of every device of fleet and returns the
// reports over their outcomes. fleet yields one scenario per device, in
// fleet order; a device whose description could not be read is yielded
// with a non-nil error (such as a [*DeviceError] from [FleetDecoder]) and
// is counted as failed with [FailureInput] and that error, without running.
// One device never stops the others.
//
// RunFleet uses opts.Workers goroutines (every core by default), each
// deploying with its own reused [Machine] and counting into its own
// [Aggregator]; the aggregators are merged at the end. It streams: fleet is
// pulled from the calling goroutine only as fast as the workers run, and no
// outcome outlives its counting unless opts.OnOutcome keeps it, so memory
// does not grow with the fleet (with [ReportOptions.Details] off).
//
// Each device is deployed as by [Machine.Deploy] on a machine in the
// device's own state ([Scenario.State]), whatever the worker's machine ran
// before, so an outcome depends on its scenario only.
//
// Every device yielded ends in the report exactly once. When ctx ends,
// RunFleet stops running deployments but keeps pulling fleet to the end,
// counting every device it did not run as [NotRun] ([FailureCanceled]);
// a deployment in progress is canceled at its next chain step and also
// counts as not run. It then returns the report and ctx's error. A fleet
// that never ends must stop by itself once ctx is done. The error is nil
// when every device ran (even if ctx ended afterwards).
func RunFleet(ctx context.Context, fleet iter.Seq2[Scenario, error], opts FleetOptions) (Report, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ordered := opts.OnOutcome != nil
	inFlight := 4 * workers
	work := make(chan *batch, inFlight)
	free := make(chan *batch, inFlight+workers+2)
	var window chan struct{} // bounds the reorder buffer
	var results chan *batch
	if ordered {
		window = make(chan struct{}, inFlight)
		results = make(chan *batch, inFlight)
	}
	aggs := make([]*Aggregator, workers)
	machines := make([]*Machine, workers)
	for w := range machines {
		m, err := NewMachine(None, opts.Machine...)
		if err != nil {
			return Report{}, err
		}
		machines[w] = m
	}
	var wg sync.WaitGroup
	for w, m := range machines {
		aggs[w] = NewAggregator(opts.Report)
		wg.Add(1)
		go func(agg *Aggregator) {
			defer wg.Done()
			for b := range work {
				for j := range b.items {
					o := deployItem(ctx, m, b.items[j])
					if ordered {
						b.outs[j] = o
					} else {
						agg.Add(b.first+j, o)
					}
				}
				if ordered {
					results <- b
				} else {
					recycle(free, b)
				}
			}
		}(aggs[w])
	}
	collected := NewAggregator(opts.Report)
	done := make(chan struct{})
	if ordered {
		go func() {
			defer close(done)
			collect(results, window, free, collected, opts.OnOutcome)
		}()
	} else {
		close(done)
	}

	func() {
		// Also when fleet panics: leave no goroutine behind.
		defer func() {
			wg.Wait()
			if ordered {
				close(results)
			}
			<-done
		}()
		produce(fleet, work, window, free, ordered)
	}()
	for _, agg := range aggs {
		collected.Merge(agg)
	}
	r := collected.Report()
	if r.Health.NotRun > 0 {
		return r, ctx.Err()
	}
	return r, nil
}

// produce pulls fleet into batches and sends them to work, then closes
// work, also when fleet panics (so that no worker is left waiting).
func produce(fleet iter.Seq2[Scenario, error], work chan<- *batch, window chan struct{}, free chan *batch, ordered bool) {
	defer close(work)
	seq, index := 0, 0
	b := newBatch(free, seq, index, ordered)
	send := func() {
		if ordered {
			window <- struct{}{}
			b.outs = b.outs[:len(b.items)]
		}
		work <- b
	}
	for sc, err := range fleet {
		b.items = append(b.items, fleetItem{sc: sc, err: err})
		index++
		if len(b.items) == fleetBatch {
			send()
			seq++
			b = newBatch(free, seq, index, ordered)
		}
	}
	if len(b.items) > 0 {
		send()
	}
}

// deployItem runs one device, or says why it did not run.
func deployItem(ctx context.Context, m *Machine, it fleetItem) Outcome {
	sc := it.sc
	if it.err != nil {
		return Outcome{Device: sc.Device.ID, Component: sc.Component, Method: sc.Method,
			Platform: sc.Device.Platform, Failure: FailureInput, Err: it.err}
	}
	o, _ := m.Deploy(ctx, sc)
	return o
}

// collect hands the batches to onOutcome in fleet order, counting them.
func collect(results <-chan *batch, window chan struct{}, free chan *batch, agg *Aggregator, onOutcome func(int, Scenario, Outcome)) {
	pending := map[int]*batch{}
	next := 0
	for b := range results {
		pending[b.seq] = b
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			for j, o := range p.outs {
				onOutcome(p.first+j, p.items[j].sc, o)
				agg.Add(p.first+j, o)
			}
			next++
			<-window
			recycle(free, p)
		}
	}
}

func newBatch(free chan *batch, seq, first int, ordered bool) *batch {
	var b *batch
	select {
	case b = <-free:
	default:
		b = &batch{items: make([]fleetItem, 0, fleetBatch)}
	}
	b.seq, b.first = seq, first
	if ordered && b.outs == nil {
		b.outs = make([]Outcome, fleetBatch)
	}
	return b
}

// recycle clears b (so that it keeps no scenario or outcome alive) and
// returns it to the free list, or drops it when the list is full.
func recycle(free chan *batch, b *batch) {
	clear(b.items)
	b.items = b.items[:0]
	clear(b.outs)
	select {
	case free <- b:
	default:
	}
}

// ErrMissingField is wrapped by the [*DeviceError] of a device that lacks a
// required field.
var ErrMissingField = errors.New("lifecycle: missing field")

// ErrFleetFile is wrapped by every [*FleetError].
var ErrFleetFile = errors.New("lifecycle: invalid fleet file")

// DeviceError reports a device of a fleet file that cannot be deployed as
// written: it names the device by its position in the file (Index, from 0)
// and its id when it has one, and the field at fault. Err is the cause, such
// as a [*certs.ParseError], a [*version.ParseError] or [ErrMissingField].
// errors.Is(err, [ErrInvalidInput]) holds, so a run counts it as
// [FailureInput].
type DeviceError struct {
	Index int
	ID    string
	Field string
	Err   error
}

// Error returns a message such as
// `lifecycle: fleet: device "wm6-07" (index 3): platform: certs: parse Platform "Foo": unknown platform`.
func (e *DeviceError) Error() string {
	var b strings.Builder
	b.WriteString("lifecycle: fleet: device ")
	if e.ID != "" {
		b.WriteString(strconv.Quote(e.ID) + " (index " + strconv.Itoa(e.Index) + ")")
	} else {
		b.WriteString("at index " + strconv.Itoa(e.Index))
	}
	b.WriteString(": " + e.Field + ": " + strings.TrimPrefix(e.Err.Error(), "lifecycle: "))
	return b.String()
}

// Unwrap returns Err.
func (e *DeviceError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrInvalidInput].
func (e *DeviceError) Is(target error) bool { return target == ErrInvalidInput }

// FleetError reports a fleet file that cannot be read further: not JSON, or
// a site or package that is not valid. Path says where, such as
// "devices[3]" or `packages["sp2"].version`; Offset is the byte offset in
// the file the decoder had reached. It wraps [ErrFleetFile] and the cause.
type FleetError struct {
	Path   string
	Offset int64
	Err    error
}

// Error returns a message naming the place and the cause.
func (e *FleetError) Error() string {
	msg := "lifecycle: fleet: "
	if e.Path != "" {
		msg += e.Path + ": "
	}
	return msg + strings.TrimPrefix(e.Err.Error(), "lifecycle: ") + " (offset " + strconv.FormatInt(e.Offset, 10) + ")"
}

// Unwrap returns [ErrFleetFile] and the cause.
func (e *FleetError) Unwrap() []error { return []error{ErrFleetFile, e.Err} }

// FleetDecoder reads a fleet file: a JSON object that describes the sites
// and the packages of a fleet and its devices. An example:
//
//	{
//	  "sites": {
//	    "central": {"mode": "mixed", "clientAgent": true, "managementPoint": true,
//	                "distributionPoint": true, "inventoryExtended": true}
//	  },
//	  "packages": {
//	    "sp2": {"version": "4.00.6487.2000"},
//	    "retire": {"version": "4.00.6487.2000",
//	               "ini": "[ClientSettings]\r\nClientInstallAction=Uninstall\r\n"}
//	  },
//	  "devices": [
//	    {"id": "wm6-01", "platform": "WM6Pro", "installed": "4.00.6221.1000",
//	     "security": "Unrestricted", "connection": "managed computer",
//	     "method": "software distribution", "package": "sp2", "site": "central"}
//	  ]
//	}
//
// A site has a "mode" (required: "mixed", "native" or "server
// authentication") and the four booleans of [Site] (absent is false). A
// package has a "version" (required), a "folder" (the file names of the
// deployment folder; absent means [CompleteFolder] for every platform) and
// "ini", the text of its ClientSettings.ini; absent means the settings given
// to [NewFleetDecoder].
//
// A device has, required: "id"; "platform" (a [certs.Platform] name or
// token); "installed" (the installed version, "" or "none" for no client);
// "security" (a [certs.Configuration] name such as "Standard", or an object
// {"trustsMobile2Market": true, "privilegesRestricted": false}); "connection"
// (a [Connection] name); "method" (a [Method] name). Optional: "component"
// ([Client] when absent); "package" and "site" (names of the file's; may be
// left out when the file has exactly one); "enrollment" ({"caReachable":
// true, "authenticationSucceeds": true}, each member true when absent, the
// whole object too); "repair" (false); "settings" (the settings on the
// device, a list of {"key", "value", "userChanged"}). Names compare
// ignoring case. Any other member is an error.
//
// Modelling choice: the file format is this library's; the product page
// describes no fleet file.
type FleetDecoder struct {
	dec      *json.Decoder
	settings ini.Settings
	sites    map[string]Site
	packages map[string]Package
	err      error
}

// NewFleetDecoder returns a decoder reading the fleet file r. settings are
// the .ini settings of every package that has no "ini" of its own.
func NewFleetDecoder(r io.Reader, settings ini.Settings) *FleetDecoder {
	return &FleetDecoder{dec: json.NewDecoder(r), settings: settings}
}

// Devices yields the file's devices in file order, for [RunFleet], as it
// reads them: a device that cannot be deployed as written is yielded with
// a [*DeviceError] and a Scenario holding what could be read, and the
// decoder goes on with the next device. When the file itself is not valid
// (not JSON, a bad site or package) Devices stops and [FleetDecoder.Err]
// says why.
//
// Devices streams when "devices" comes after "sites" and "packages" in the
// file; otherwise it holds the devices' JSON until it has read both.
// Devices can be ranged over once.
func (d *FleetDecoder) Devices() iter.Seq2[Scenario, error] {
	return func(yield func(Scenario, error) bool) {
		d.err = d.decode(yield)
	}
}

// Err returns the error that stopped [FleetDecoder.Devices], a
// [*FleetError], or nil if the whole file was read.
func (d *FleetDecoder) Err() error { return d.err }

func (d *FleetDecoder) fail(path string, err error) error {
	return &FleetError{Path: path, Offset: d.dec.InputOffset(), Err: err}
}

func (d *FleetDecoder) decode(yield func(Scenario, error) bool) error {
	if err := d.delim('{', ""); err != nil {
		return err
	}
	var held []json.RawMessage
	seen := map[string]bool{}
	index := 0
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return d.fail("", err)
		}
		key, _ := tok.(string)
		switch key {
		case "sites", "packages":
			if seen[key] {
				return d.fail(key, errors.New("appears twice"))
			}
			seen[key] = true
			if err := d.decodeSection(key); err != nil {
				return err
			}
		case "devices":
			if seen[key] {
				return d.fail(key, errors.New("appears twice"))
			}
			seen[key] = true
			if err := d.delim('[', "devices"); err != nil {
				return err
			}
			for d.dec.More() {
				var raw json.RawMessage
				if err := d.dec.Decode(&raw); err != nil {
					return d.fail("devices["+strconv.Itoa(index)+"]", err)
				}
				if !seen["sites"] || !seen["packages"] {
					held = append(held, raw)
				} else if !yield(d.device(index, raw)) {
					return nil
				}
				index++
			}
			if err := d.delim(']', "devices"); err != nil {
				return err
			}
		default:
			return d.fail(strconv.Quote(key), errors.New("unknown member"))
		}
	}
	if err := d.delim('}', ""); err != nil {
		return err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return d.fail("", errors.New("data after the fleet object"))
	}
	for i, raw := range held {
		if !yield(d.device(i, raw)) {
			return nil
		}
	}
	return nil
}

func (d *FleetDecoder) delim(want json.Delim, path string) error {
	tok, err := d.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return d.fail(path, err)
	}
	if got, ok := tok.(json.Delim); !ok || got != want {
		return d.fail(path, errors.New("expected "+strconv.QuoteRune(rune(want))))
	}
	return nil
}

type siteJSON struct {
	Mode              *string `json:"mode"`
	ClientAgent       bool    `json:"clientAgent"`
	ManagementPoint   bool    `json:"managementPoint"`
	DistributionPoint bool    `json:"distributionPoint"`
	InventoryExtended bool    `json:"inventoryExtended"`
}

type packageJSON struct {
	Version *string   `json:"version"`
	Folder  *[]string `json:"folder"`
	Ini     *string   `json:"ini"`
}

// decodeSection reads the "sites" or "packages" object.
func (d *FleetDecoder) decodeSection(key string) error {
	var raws map[string]json.RawMessage
	if err := d.dec.Decode(&raws); err != nil {
		return d.fail(key, err)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range raws {
			if !yield(k) {
				return
			}
		}
	})
	if key == "sites" {
		d.sites = map[string]Site{}
	} else {
		d.packages = map[string]Package{}
	}
	for _, name := range names {
		path := key + "[" + strconv.Quote(name) + "]"
		lname := strings.ToLower(name)
		if _, dup := d.sites[lname]; dup {
			return d.fail(path, errors.New("lifecycle: a second site of this name (names compare ignoring case)"))
		}
		if _, dup := d.packages[lname]; dup {
			return d.fail(path, errors.New("lifecycle: a second package of this name (names compare ignoring case)"))
		}
		if key == "sites" {
			var sj siteJSON
			if field, err := strictUnmarshal(raws[name], &sj); err != nil {
				return d.fail(path+field, err)
			}
			if sj.Mode == nil {
				return d.fail(path+".mode", ErrMissingField)
			}
			mode, err := certs.ParseSiteMode(*sj.Mode)
			if err != nil {
				return d.fail(path+".mode", err)
			}
			d.sites[lname] = Site{Mode: mode, ClientAgent: sj.ClientAgent, ManagementPoint: sj.ManagementPoint,
				DistributionPoint: sj.DistributionPoint, InventoryExtended: sj.InventoryExtended}
			continue
		}
		var pj packageJSON
		if field, err := strictUnmarshal(raws[name], &pj); err != nil {
			return d.fail(path+field, err)
		}
		if pj.Version == nil {
			return d.fail(path+".version", ErrMissingField)
		}
		v, err := version.Parse(*pj.Version)
		if err != nil {
			return d.fail(path+".version", err)
		}
		pkg := Package{Version: v, Settings: d.settings}
		if pj.Folder != nil {
			pkg.Folder = *pj.Folder
		} else {
			pkg.Folder = CompleteFolder(certs.Platforms()...)
		}
		if pj.Ini != nil {
			f, err := ini.Parse("ClientSettings.ini", []byte(*pj.Ini))
			if err == nil {
				pkg.Settings, err = f.Settings()
			}
			if err != nil {
				return d.fail(path+".ini", err)
			}
		}
		d.packages[lname] = pkg
	}
	return nil
}

// strictUnmarshal decodes raw into v, rejecting unknown members, and names
// the member at fault (".name") when it can.
func strictUnmarshal(raw json.RawMessage, v any) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return "", nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return "." + typeErr.Field, errors.New("expected a JSON " + typeErr.Type.String() + ", not " + typeErr.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if n, uerr := strconv.Unquote(name); uerr == nil {
			if n == "" {
				n = `""`
			}
			return "." + n, errors.New("unknown member")
		}
	}
	return "", err
}

type enrollmentJSON struct {
	CAReachable            *bool `json:"caReachable"`
	AuthenticationSucceeds *bool `json:"authenticationSucceeds"`
}

type securityJSON struct {
	TrustsMobile2Market  bool `json:"trustsMobile2Market"`
	PrivilegesRestricted bool `json:"privilegesRestricted"`
}

type deviceJSON struct {
	ID         *string         `json:"id"`
	Platform   *string         `json:"platform"`
	Installed  *string         `json:"installed"`
	Security   json.RawMessage `json:"security"`
	Connection *string         `json:"connection"`
	Method     *string         `json:"method"`
	Component  *string         `json:"component"`
	Package    *string         `json:"package"`
	Site       *string         `json:"site"`
	Enrollment *enrollmentJSON `json:"enrollment"`
	Repair     bool            `json:"repair"`
	Settings   []Setting       `json:"settings"`
}

// device decodes one device; the Scenario holds what could be read.
func (d *FleetDecoder) device(index int, raw json.RawMessage) (Scenario, error) {
	sc := Scenario{Component: Client}
	var dj deviceJSON
	field, err := strictUnmarshal(raw, &dj)
	if dj.ID != nil {
		sc.Device.ID = *dj.ID
	}
	bad := func(field string, err error) (Scenario, error) {
		return sc, &DeviceError{Index: index, ID: sc.Device.ID, Field: strings.TrimPrefix(field, "."), Err: err}
	}
	if err != nil {
		if field == "" {
			field = "device"
		}
		return bad(field, err)
	}
	if dj.ID == nil || *dj.ID == "" {
		return bad("id", ErrMissingField)
	}
	required := func(name string, p *string, parse func(string) error) error {
		if p == nil {
			return &DeviceError{Index: index, ID: sc.Device.ID, Field: name, Err: ErrMissingField}
		}
		if err := parse(*p); err != nil {
			return &DeviceError{Index: index, ID: sc.Device.ID, Field: name, Err: err}
		}
		return nil
	}
	optional := func(name string, p *string, parse func(string) error) error {
		if p == nil {
			return nil
		}
		return required(name, p, parse)
	}
	dev := &sc.Device
	for _, err := range []error{
		required("platform", dj.Platform, func(s string) (err error) { dev.Platform, err = certs.ParsePlatform(s); return }),
		required("installed", dj.Installed, func(s string) (err error) {
			if s == "" || strings.EqualFold(s, "none") {
				dev.Installed = version.Version{}
				return nil
			}
			dev.Installed, err = version.Parse(s)
			return
		}),
		d.security(index, dev, dj.Security),
		required("connection", dj.Connection, func(s string) (err error) { dev.Connection, err = ParseConnection(s); return }),
		required("method", dj.Method, func(s string) (err error) { sc.Method, err = ParseMethod(s); return }),
		optional("component", dj.Component, func(s string) (err error) { sc.Component, err = ParseComponent(s); return }),
		pick("package", dj.Package, d.packages, &sc.Package, index, dev.ID),
		pick("site", dj.Site, d.sites, &sc.Site, index, dev.ID),
	} {
		if err != nil {
			return sc, err
		}
	}
	dev.Enrollment = certs.EnrollmentConditions{CAReachable: true, AuthenticationSucceeds: true}
	if e := dj.Enrollment; e != nil {
		dev.Enrollment.CAReachable = e.CAReachable == nil || *e.CAReachable
		dev.Enrollment.AuthenticationSucceeds = e.AuthenticationSucceeds == nil || *e.AuthenticationSucceeds
	}
	sc.Repair = dj.Repair
	dev.Settings = dj.Settings
	return sc, nil
}

func (d *FleetDecoder) security(index int, dev *Device, raw json.RawMessage) error {
	bad := func(err error) error {
		return &DeviceError{Index: index, ID: dev.ID, Field: "security", Err: err}
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return bad(ErrMissingField)
	case raw[0] == '"':
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return bad(err)
		}
		c, err := certs.ParseConfiguration(name)
		if err != nil {
			return bad(err)
		}
		dev.Security = c.Security()
	default:
		var sj securityJSON
		if field, err := strictUnmarshal(raw, &sj); err != nil {
			if field != "" {
				return &DeviceError{Index: index, ID: dev.ID, Field: "security" + field, Err: err}
			}
			return bad(err)
		}
		dev.Security = certs.Security{TrustsMobile2Market: sj.TrustsMobile2Market, PrivilegesRestricted: sj.PrivilegesRestricted}
	}
	return nil
}

// pick sets *dst to the entry of m named by name, or to m's only entry when
// name is absent.
func pick[T any](field string, name *string, m map[string]T, dst *T, index int, id string) error {
	bad := func(err error) error { return &DeviceError{Index: index, ID: id, Field: field, Err: err} }
	if name == nil {
		if len(m) != 1 {
			return bad(ErrMissingField)
		}
		for _, v := range m {
			*dst = v
		}
		return nil
	}
	v, ok := m[strings.ToLower(*name)]
	if !ok {
		return bad(errors.New("lifecycle: no " + field + " " + strconv.Quote(*name) + " in the fleet file"))
	}
	*dst = v
	return nil
}
