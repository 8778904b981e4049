package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/maphash"
	"io"
	"iter"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/lifecycle"
)

// The caps of a fleet file, so that no input can make the decoder's memory,
// an entry or an error large. The strings inside a device block have the
// caps of [lifecycle.Device.UnmarshalJSON]; those of a package, the caps of
// [lifecycle.Package.UnmarshalJSON].
const (
	// maxValue caps any one JSON value the decoder reads whole: a device
	// entry, the "sites" object, the "packages" object, a member name.
	maxValue = 8 << 20
	// maxName caps a site or package name, in bytes.
	maxName = 256
)

// Error reports a fleet file that cannot be read as written: a device
// that cannot be deployed ([Decoder.Devices] yields it with the device),
// or the file itself ([Decoder.Err]).
//
// It wraps [lifecycle.ErrInvalidInput] and Err, except for an error
// reading the file, which it wraps alone.
type Error struct {
	// Index is the device's position in "devices", from 0, or -1 for an
	// error outside every device (the file's structure, a site, a package).
	Index int
	// ID is the device's id, "" when it has none that could be read.
	ID string
	// Field is the path of the member at fault, as
	// [lifecycle.InputError].Field spells it inside a device entry
	// ("device.platform", "deployment.package") and from the top of the
	// file outside one (`packages["sp2"].ini`); "" for the entry or the
	// file as a whole. A name from the file is quoted in it once, as
	// lifecycle quotes one: a member name stays as it is when it is at
	// most about 100 bytes of printable text and is a Go string literal
	// of at most about 100 bytes of it otherwise (`device."\x1b[2J"`), and
	// a site's, a package's or a wave's name is always such a literal.
	Field string
	// Offset is the byte offset, from where the reader started, of the
	// device entry's first byte for a device, and of where reading stopped
	// otherwise.
	Offset int64
	// Err is the reason, such as a [*lifecycle.InputError]'s reason or the
	// settings error of a package's .ini, which names the .ini, the line
	// and the key.
	Err error

	read bool // Err is an error reading the file
}

// Error returns a message such as
// `fleet: device 3 "wp7" at offset 812: device.platform: certs: unknown Platform "Windows Phone 7" (accepted: ...)`.
// Values from the file are quoted, at most about 100 bytes of each.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("fleet: ")
	if e.Index >= 0 {
		b.WriteString("device " + strconv.Itoa(e.Index) + " ")
		if e.ID != "" {
			b.WriteString(quote.Short(e.ID) + " ")
		}
	}
	b.WriteString("at offset " + strconv.FormatInt(e.Offset, 10))
	if e.Field != "" {
		b.WriteString(": " + e.Field) // its names from the file are quoted already
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

// Unwrap returns [lifecycle.ErrInvalidInput] and Err, or Err alone for an
// error reading the file.
func (e *Error) Unwrap() []error {
	if e.read {
		return []error{e.Err}
	}
	return []error{lifecycle.ErrInvalidInput, e.Err}
}

var (
	errMissing  = errors.New("missing")
	errTooLarge = errors.New("a JSON value longer than " + strconv.Itoa(maxValue>>20) + " MiB")
)

// Decoder reads a fleet file: a JSON object with the fleet's "sites" and
// "packages" by name, and its "devices". An example:
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
//	    {"device": {"id": "wm6-01", "platform": "WM6Pro", "client": "4.00.6221.1000",
//	                "security": "Unrestricted", "connection": "managed computer",
//	                "computer": "PC-017"},
//	     "deployment": {"package": "sp2", "site": "central", "method": "software distribution"}}
//	  ]
//	}
//
// A site is what [lifecycle.Deployment.UnmarshalJSON] reads as "site": a
// "mode" (required) and the four booleans of [lifecycle.Site]. A package is
// decoded by [lifecycle.Package.UnmarshalJSON]; one with neither "ini" nor
// "settings" gets the settings given to [NewDecoder], when they are set.
// A settings error in a package's .ini stops every deployment of the
// package before anything runs, as an error naming the package, the .ini,
// the line and the key. Modelling choice: it stops the whole file (no
// device is yielded), as a bad site does, rather than failing only that
// package's devices: the file needs fixing either way.
//
// Each device entry is {"device": ..., "deployment": ...}. "device" is a
// device block, decoded by [lifecycle.Device.UnmarshalJSON], so that a
// block copied from a fleet file decodes as a device everywhere; the fleet
// file requires its "id" (unique in the file), "platform", "connection"
// and "security" (modelling choice: a device without them cannot be
// deployed as meant, although a lifecycle.Device may leave them out). A
// device block without "enrollment" describes a device whose certification
// authority is unreachable (the zero certs.EnrollmentConditions): give it
// for devices that must enroll. "deployment" names the "package" and the "site" (either
// may be left out when the file has exactly one) and gives the "method"
// (required), the "component" ("client" when absent), "repair" and
// "renewCertificate" (see [lifecycle.Deployment]). Site and package names
// compare ignoring case. Every object is strict: an unknown member, or one
// given twice, is an error naming it.
//
// Caps: a site or package name is at most 256 bytes; any one JSON value
// read whole (a device entry, the "sites" object, the "packages" object) is
// at most 8 MiB; a longer one stops the file. A UTF-8 byte-order mark at
// the start is skipped.
//
// Modelling choice: the file format is this library's; the product page
// describes no fleet file.
type Decoder struct {
	r        io.Reader
	settings ini.Settings
	sites    map[string]named[lifecycle.Site]
	packages map[string]named[lifecycle.Package]
	ids      idSet
	seed     maphash.Seed
	err      error
	ranged   bool
}

// named is a site or package and its name as the file spells it.
type named[T any] struct {
	name string
	v    T
}

// NewDecoder returns a decoder reading the fleet file r. settings, when
// their ClientInstallAction is set, are the .ini settings of every package
// with neither "ini" nor "settings" of its own (see
// [lifecycle.ReadSettings]); the zero Settings leave such a package with
// those of an empty ClientSettings.ini.
func NewDecoder(r io.Reader, settings ini.Settings) *Decoder {
	return &Decoder{r: r, settings: settings, seed: maphash.MakeSeed()}
}

// Devices yields the file's devices in file order, as it reads them: a
// device that cannot be deployed as written is yielded with a per-device
// [*Error] and an [Entry] holding what could be read, and the decoder goes
// on with the next device. When the file itself cannot be read further
// (not JSON, a bad site or package, a value over its cap), Devices stops
// and [Decoder.Err] says why.
//
// Devices streams the devices when "devices" comes after "sites" and
// "packages". Otherwise, when the reader is an [io.ReadSeeker], it reads
// the file to its end for the sites and packages, seeks back to where it
// started and streams the devices in a second pass; when it cannot seek, it
// holds the JSON of the devices read before both sections, about the
// size of that part of the file.
//
// To find duplicate ids, Devices keeps a 64-bit hash of every id, 11 to 21
// bytes per device: two different ids pass for the same with a probability
// below 1e-7 in a fleet of a million devices.
//
// Devices can be ranged over once: a second range yields nothing and
// leaves Err as it was.
func (d *Decoder) Devices() iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		if d.ranged {
			return
		}
		d.ranged = true
		d.err = d.decode(yield)
	}
}

// Err returns the error that stopped [Decoder.Devices], an [*Error], or
// nil if the whole file was read (or the range was stopped early).
func (d *Decoder) Err() error { return d.err }

func (d *Decoder) decode(yield func(Entry, error) bool) error {
	seeker, start := canSeek(d.r)
	p, err := newPass(d.r)
	if err != nil {
		return err
	}
	if err := p.delim('{', ""); err != nil {
		return err
	}
	var held []heldDevice
	seen := map[string]bool{}
	later, index := false, 0
	for p.dec.More() {
		name, err := p.name()
		if err != nil {
			return err
		}
		switch name {
		case "sites", "packages", "devices":
			if seen[name] {
				return p.fail(name, errors.New("given twice"))
			}
			seen[name] = true
		default:
			return p.fail(quote.Name(name), errors.New("unknown member"))
		}
		if name != "devices" {
			if err := p.section(d, name); err != nil {
				return err
			}
			continue
		}
		ready := seen["sites"] && seen["packages"]
		later = !ready && seeker != nil
		stopped, err := p.devices(func(raw []byte, off int64) bool {
			switch {
			case ready:
				index++
				return yield(d.entry(index-1, raw, off))
			case !later:
				held = append(held, heldDevice{raw, off})
			}
			return true
		})
		if stopped || err != nil {
			return err
		}
	}
	if err := p.end(); err != nil {
		return err
	}
	for i, h := range held {
		if !yield(d.entry(i, h.raw, h.off)) {
			return nil
		}
	}
	if later {
		return d.second(seeker, start, yield)
	}
	return nil
}

type heldDevice struct {
	raw []byte
	off int64
}

// second reads the devices of a file whose sections came after them, from
// where the reader started.
func (d *Decoder) second(seeker io.ReadSeeker, start int64, yield func(Entry, error) bool) error {
	if _, err := seeker.Seek(start, io.SeekStart); err != nil {
		return &Error{Index: -1, Err: err, read: true}
	}
	p, err := newPass(seeker)
	if err != nil {
		return err
	}
	changed := errors.New("the file changed while it was read")
	if err := p.delim('{', ""); err != nil {
		return err
	}
	for p.dec.More() {
		name, err := p.name()
		if err != nil {
			return err
		}
		if name != "devices" {
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return p.fail(name, err)
			}
			continue
		}
		index := 0
		_, err = p.devices(func(raw []byte, off int64) bool {
			index++
			return yield(d.entry(index-1, raw, off))
		})
		return err
	}
	return p.fail("", changed)
}

// canSeek returns r as a seeker and where it is, or nil when it cannot
// seek.
func canSeek(r io.Reader) (io.ReadSeeker, int64) {
	s, ok := r.(io.ReadSeeker)
	if !ok {
		return nil, 0
	}
	off, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0
	}
	return s, off
}

// pass is one reading of the file from its start.
type pass struct {
	in  *input
	dec *json.Decoder
}

// input is the reader under a pass's JSON decoder: it stops the decoder
// when one value would take more than maxValue bytes, and keeps the
// reader's own error apart from the decoder's.
type input struct {
	r       io.Reader
	dec     *json.Decoder
	read    int64 // bytes handed to dec
	bom     int64 // bytes of the byte-order mark skipped
	tooLong bool
	readErr error
}

func (in *input) Read(p []byte) (int, error) {
	// The decoder reads only to complete the value it is on: what it holds
	// unread is that value so far.
	room := maxValue + 1 - (in.read - in.dec.InputOffset())
	if room <= 0 {
		in.tooLong = true
		return 0, errTooLarge
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := in.r.Read(p)
	in.read += int64(n)
	if err != nil && err != io.EOF {
		in.readErr = err
	}
	return n, err
}

// newPass starts reading r, skipping a UTF-8 byte-order mark.
func newPass(r io.Reader) (*pass, error) {
	var head [3]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, &Error{Index: -1, Err: err, read: true}
	}
	in := &input{r: io.MultiReader(bytes.NewReader(head[:n]), r)}
	if n == 3 && head == [3]byte{0xEF, 0xBB, 0xBF} {
		in.r, in.bom = r, 3
	}
	in.dec = json.NewDecoder(in)
	in.dec.UseNumber() // a number token is its text: no float64 to overflow, and no error quoting it whole
	return &pass{in: in, dec: in.dec}, nil
}

// offset returns the byte offset the decoder has reached.
func (p *pass) offset() int64 { return p.in.bom + p.dec.InputOffset() }

// fail returns the file error at field for cause err.
func (p *pass) fail(field string, err error) error {
	e := &Error{Index: -1, Field: field, Offset: p.offset(), Err: err}
	switch {
	case p.in.tooLong:
		e.Err = errTooLarge
	case p.in.readErr != nil:
		e.Err, e.read = p.in.readErr, true
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		e.Err = errors.New("unexpected end of JSON")
	}
	return e
}

func (p *pass) delim(want json.Delim, field string) error {
	tok, err := p.dec.Token()
	if err != nil {
		return p.fail(field, err)
	}
	if got, ok := tok.(json.Delim); !ok || got != want {
		return p.fail(field, errors.New("expected "+strconv.QuoteRune(rune(want))))
	}
	return nil
}

// name reads a member name.
func (p *pass) name() (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", p.fail("", err)
	}
	return tok.(string), nil // an object's keys are strings
}

// end reads the end of the fleet object and of the file.
func (p *pass) end() error {
	if err := p.delim('}', ""); err != nil {
		return err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the fleet object")
		}
		return p.fail("", err)
	}
	return nil
}

// devices reads the "devices" array, calling each with every element's
// JSON and offset until it returns false; it reports whether it did.
func (p *pass) devices(each func(raw []byte, off int64) bool) (stopped bool, err error) {
	if err := p.delim('[', "devices"); err != nil {
		return false, err
	}
	for i := 0; p.dec.More(); i++ {
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			e := p.fail("", err).(*Error)
			e.Index = i
			return false, e
		}
		if !each(raw, p.offset()-int64(len(raw))) {
			return true, nil
		}
	}
	return false, p.delim(']', "devices")
}

// section reads "sites" or "packages" into d.
func (p *pass) section(d *Decoder, name string) error {
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		return p.fail(name, err)
	}
	off := p.offset() - int64(len(raw))
	if !utf8.Valid(raw) {
		return &Error{Index: -1, Field: name, Offset: off, Err: errors.New("invalid UTF-8")}
	}
	if name == "sites" {
		d.sites = map[string]named[lifecycle.Site]{}
	} else {
		d.packages = map[string]named[lifecycle.Package]{}
	}
	seen := map[string]string{}
	at := int64(0)
	err := walkAt(raw, nil, func(key string, val []byte, valAt int64) error {
		at = valAt
		field := name + "[" + quote.Short(key) + "]"
		if len(key) > maxName {
			return &fieldError{field, errors.New("a name longer than " + strconv.Itoa(maxName) + " bytes")}
		}
		lkey := strings.ToLower(key)
		if first, dup := seen[lkey]; dup {
			return &fieldError{field, errors.New("the name of " + quote.Short(first) + " too (names compare ignoring case)")}
		}
		seen[lkey] = key
		if name == "sites" {
			s, sub, err := decodeSite(val)
			if err != nil {
				return &fieldError{field + sub, err}
			}
			d.sites[lkey] = named[lifecycle.Site]{key, s}
			return nil
		}
		pkg, sub, err := d.decodePackage(val)
		if err != nil {
			return &fieldError{field + sub, err}
		}
		d.packages[lkey] = named[lifecycle.Package]{key, pkg}
		return nil
	})
	if err != nil {
		fe := asFieldError(err, name)
		return &Error{Index: -1, Field: fe.field, Offset: off + at, Err: fe.err}
	}
	return nil
}

// decodeSite decodes a site as [lifecycle.Deployment.UnmarshalJSON] reads
// its "site", and returns the member at fault (".mode") on error.
func decodeSite(raw []byte) (lifecycle.Site, string, error) {
	var dep lifecycle.Deployment
	wrapped := make([]byte, 0, len(raw)+9)
	wrapped = append(append(append(wrapped, `{"site":`...), raw...), '}')
	if err := dep.UnmarshalJSON(wrapped); err != nil {
		field, reason := sub(err, "deployment.site")
		return lifecycle.Site{}, field, reason
	}
	if dep.Site.Mode == 0 {
		return lifecycle.Site{}, ".mode", errMissing
	}
	return dep.Site, "", nil
}

// decodePackage decodes a package with [lifecycle.Package.UnmarshalJSON]
// and returns the member at fault (".ini") on error.
func (d *Decoder) decodePackage(raw []byte) (lifecycle.Package, string, error) {
	var pkg lifecycle.Package
	if err := pkg.UnmarshalJSON(raw); err != nil {
		field, reason := sub(err, "package")
		return pkg, field, reason
	}
	if d.settings.ClientInstallAction != 0 && !hasMember(raw, "ini") && !hasMember(raw, "settings") {
		pkg.Settings = d.settings
	}
	return pkg, "", nil
}

// sub returns the part of an [*lifecycle.InputError]'s field after prefix
// (such as ".mode") and its reason, or "" and err for another error.
func sub(err error, prefix string) (string, error) {
	var ie *lifecycle.InputError
	if errors.As(err, &ie) {
		if rest, ok := strings.CutPrefix(ie.Field, prefix); ok {
			return rest, ie.Err
		}
	}
	return "", err
}

func hasMember(raw []byte, name string) bool {
	found := false
	walk(raw, nil, func(key string, _ []byte) error {
		found = found || key == name
		return nil
	})
	return found
}

// fieldError is an error at a member path, inside the decoder.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }

// asFieldError returns err as a fieldError, at field when it has none.
func asFieldError(err error, field string) *fieldError {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe
	}
	return &fieldError{field, err}
}

// walk calls fn with the name and JSON of every member of the object raw,
// in order. When names is not nil, a member not in it, or one given twice,
// is a fieldError naming it.
func walk(raw []byte, names []string, fn func(name string, val []byte) error) error {
	return walkAt(raw, names, func(name string, val []byte, _ int64) error { return fn(name, val) })
}

// walkAt is walk, telling fn the offset of each value in raw.
func walkAt(raw []byte, names []string, fn func(name string, val []byte, at int64) error) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // as in newPass
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errors.New("expected a JSON object")
	}
	var seen uint64 // bit i: names[i]
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return &fieldError{quote.Name(name), err}
		}
		if names != nil {
			i := indexOf(names, name)
			switch {
			case i < 0:
				return &fieldError{quote.Name(name), errors.New("unknown member")}
			case seen&(1<<i) != 0:
				return &fieldError{name, errors.New("member given twice")}
			}
			seen |= 1 << i
		}
		if err := fn(name, val, dec.InputOffset()-int64(len(val))); err != nil {
			return err
		}
	}
	return nil
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

var (
	entryMembers      = []string{"device", "deployment"}
	deploymentMembers = []string{"package", "site", "method", "component", "repair", "renewCertificate"}
)

// entry decodes the device entry raw, at position index and byte offset
// off of the file; the Entry holds what could be read.
func (d *Decoder) entry(index int, raw []byte, off int64) (Entry, error) {
	var e Entry
	fail := func(field string, err error) (Entry, error) {
		return e, &Error{Index: index, ID: e.Device.ID, Field: field, Offset: off, Err: err}
	}
	var devRaw, depRaw []byte
	werr := walk(raw, entryMembers, func(name string, val []byte) error {
		if name == "device" {
			devRaw = val
		} else {
			depRaw = val
		}
		return nil
	})
	var devErr error
	if devRaw != nil {
		if devErr = e.Device.UnmarshalJSON(devRaw); devErr != nil {
			e.Device.ID = peekID(devRaw)
		}
	}
	dup := d.seenID(e.Device.ID)
	if !utf8.Valid(raw) {
		field := ""
		switch {
		case !utf8.Valid(devRaw):
			field = "device"
		case !utf8.Valid(depRaw):
			field = "deployment"
		}
		return fail(field, errors.New("invalid UTF-8"))
	}
	if werr != nil {
		fe := asFieldError(werr, "")
		return fail(fe.field, fe.err)
	}
	if devErr != nil {
		return fail(sub(devErr, ""))
	}
	dev := &e.Device
	switch {
	case devRaw == nil:
		return fail("device", errMissing)
	case dev.ID == "":
		return fail("device.id", errors.New("missing or empty"))
	case dup:
		return fail("device.id", errors.New("the id of an earlier device too"))
	}
	switch {
	case dev.Platform == 0:
		return fail("device.platform", errMissing)
	case dev.Connection == 0:
		return fail("device.connection", errMissing)
	case dev.Security == (lifecycle.Device{}).Security && !hasMember(devRaw, "security"):
		return fail("device.security", errMissing)
	case depRaw == nil:
		return fail("deployment", errMissing)
	}
	return d.deployment(&e, depRaw, fail)
}

// deployment decodes the entry's "deployment" into e.
func (d *Decoder) deployment(e *Entry, raw []byte, fail func(string, error) (Entry, error)) (Entry, error) {
	dep := &e.Deployment
	dep.Component = lifecycle.Client
	var pkgName, siteName *string
	method := false
	err := walk(raw, deploymentMembers, func(name string, val []byte) error {
		var err error
		switch name {
		case "package":
			pkgName = new(string)
			*pkgName, err = jsonName(val)
		case "site":
			siteName = new(string)
			*siteName, err = jsonName(val)
		case "method":
			method = true
			err = jsonText(val, &dep.Method)
		case "component":
			err = jsonText(val, &dep.Component)
		case "repair":
			err = jsonBool(val, &dep.Repair)
		case "renewCertificate":
			err = jsonBool(val, &dep.RenewCertificate)
		}
		if err != nil {
			return &fieldError{name, err}
		}
		return nil
	})
	if err != nil {
		fe := asFieldError(err, "")
		return fail(join("deployment", fe.field), fe.err)
	}
	if !method {
		return fail("deployment.method", errMissing)
	}
	pkg, err := pick(d.packages, pkgName, "package")
	if err != nil {
		return fail("deployment.package", err)
	}
	dep.Package, e.Package = pkg.v, pkg.name
	site, err := pick(d.sites, siteName, "site")
	if err != nil {
		return fail("deployment.site", err)
	}
	dep.Site, e.Site = site.v, site.name
	return *e, nil
}

func join(path, name string) string {
	if name == "" {
		return path
	}
	return path + "." + name
}

// seenID records that a device has id, and reports whether an earlier one
// had it.
func (d *Decoder) seenID(id string) bool {
	return id != "" && d.ids.add(maphash.String(d.seed, id))
}

// idSet is a set of 64-bit hashes: an open-addressing table, at most 3/4
// full, 8 bytes a slot.
type idSet struct {
	slots []uint64 // 0 is empty
	n     int
}

// add adds h and reports whether it was there.
func (s *idSet) add(h uint64) bool {
	h |= 1 // never 0
	if s.n >= len(s.slots)/4*3 {
		old := s.slots
		s.slots, s.n = make([]uint64, max(1024, 2*len(old))), 0
		for _, o := range old {
			if o != 0 {
				s.add(o)
			}
		}
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			s.n++
			return false
		case h:
			return true
		}
	}
}

// peekID returns the first id of a device block that did not decode, for
// the error, or "" when it has no short one.
func peekID(raw []byte) string {
	id, found := "", false
	walk(raw, nil, func(name string, val []byte) error {
		if name == "id" && !found {
			found = true
			if s, err := jsonName(val); err == nil {
				id = s
			}
		}
		return nil
	})
	return id
}

// pick returns the entry of m the device names, or m's only entry when it
// names none.
func pick[T any](m map[string]named[T], name *string, what string) (named[T], error) {
	if name == nil {
		if len(m) != 1 {
			return named[T]{}, errors.New("missing, and the file has " + strconv.Itoa(len(m)) + " " + what + "s")
		}
		for _, v := range m {
			return v, nil
		}
	}
	v, ok := m[strings.ToLower(*name)]
	if !ok {
		return v, errors.New("no " + what + " " + quote.Short(*name) + " in the fleet file")
	}
	return v, nil
}

func jsonName(raw []byte) (string, error) {
	if !utf8.Valid(raw) {
		return "", errors.New("invalid UTF-8")
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", errors.New("expected a JSON string")
	}
	if len(s) > maxName {
		return "", errors.New("longer than " + strconv.Itoa(maxName) + " bytes: " + quote.Short(s))
	}
	return s, nil
}

func jsonText(raw []byte, dst interface{ UnmarshalText([]byte) error }) error {
	s, err := jsonName(raw)
	if err != nil {
		return err
	}
	return dst.UnmarshalText([]byte(s))
}

func jsonBool(raw []byte, dst *bool) error {
	if json.Unmarshal(raw, dst) != nil {
		return errors.New("expected true or false")
	}
	return nil
}
