package fleet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/lifecycle"
)

// MaxWaves is the most waves a [Plan] has.
const MaxWaves = 64

// maxAfter caps a wave's delay, so that wave times cannot overflow.
const maxAfter = 100 * 365 * 24 * time.Hour

// defaultAfter is the delay of a wave after the first that gives none.
const defaultAfter = 24 * time.Hour

// Plan is a rollout plan: waves of deployments sent to a fleet in order,
// each device carrying forward what the waves before left on it (what
// the first wave installed, the third upgrades). [Plan.Run] runs it;
// [ReadPlan] reads the JSON plan file.
//
// A plan's waves name their packages and sites: those of the plan itself
// (Packages and Sites) and, with [PlanOptions].Decoder, those of the
// fleet file. Names compare ignoring case, as in the fleet file; a name
// that both the plan and the fleet file give a package (or a site) is an
// error of [Plan.Run], whether a wave names it or not.
type Plan struct {
	// Sites and Packages are the plan's own, by name: a newer package,
	// say, or one whose ClientSettings.ini changes a setting.
	Sites    map[string]lifecycle.Site
	Packages map[string]lifecycle.Package
	// Waves are run in order: a device goes through every wave that
	// targets it before the next device starts. At least one, at most
	// [MaxWaves].
	Waves []Wave
}

// Wave is one deployment of a [Plan] and the devices it targets.
//
// What a wave leaves unset is each device's own, from its fleet entry's
// deployment ([Entry].Deployment): a wave that gives only a package
// deploys that package to each device by the device's own method, from
// its own site. Modelling choice: Repair and RenewCertificate are the
// wave's alone (a repair is an action of one wave, not a property of the
// device), so a device whose fleet entry asks for a repair is repaired
// only by a wave that asks for one.
type Wave struct {
	// Name names the wave in reports and errors: required, unique in the
	// plan ignoring case, at most 256 bytes.
	Name string
	// Package and Site name the wave's package and site; "" leaves each
	// device's own.
	Package, Site string
	// Method and Component, when valid, replace each device's own.
	Method    lifecycle.Method
	Component lifecycle.Component
	// Repair and RenewCertificate are what [lifecycle.Deployment] says.
	Repair, RenewCertificate bool
	// After is how long after the wave before it this wave runs; the
	// first wave runs After the rollout's start. Zero means at the start
	// for the first wave and, modelling choice, a day after the wave
	// before for the others. The logs a
	// wave writes are stamped with its time (see [PlanOptions]), so that
	// the logs of successive waves tell them apart, as
	// [lifecycle.Verify] needs: a wave after the first runs at least a
	// second after the one before.
	After time.Duration
	// Target selects the devices the wave deploys to.
	Target Target

	offset int64 // of the wave in its plan file
}

// Target selects the devices of a fleet that a [Wave] deploys to. A device
// is targeted when it meets every criterion given (an empty list gives
// none); a target must give at least one. All targets every device and
// goes alone.
//
// Modelling choice: a target reads what a deployment does not change (the
// id, platform, connection and computer), so which devices a wave targets
// does not depend on the waves before it.
type Target struct {
	All bool
	// IDs lists device ids, compared exactly.
	IDs []string
	// Share, when not nil, selects a share of the fleet by id.
	Share *Share
	// Platforms, Connections and Computers select the devices with any of
	// the values given; computer names compare ignoring case.
	Platforms   []certs.Platform
	Connections []lifecycle.Connection
	Computers   []string
}

// Share is a share of a fleet chosen by device id, deterministically: the
// devices whose id falls From percent up to (not including) To percent,
// 0 <= From <= To <= 100, in steps of 0.01%. A pilot is Share{0, 10}, the
// rest of the fleet Share{10, 100}.
//
// A device's place is the first 8 bytes of the SHA-256 hash of its id
// (the id's bytes, as written), read as a big-endian unsigned integer,
// modulo 10,000: a number from 0 to 9,999 in hundredths of a percent,
// which any tool can compute (`printf %s "$id" | sha256sum`). Modelling
// choice: a share is of the ids, not a count of devices, so that a
// device's place does not depend on the rest of the fleet or its order,
// and a share of a large fleet holds about that share of it.
type Share struct {
	From, To float64
}

// Contains reports whether the device of id id is in the share.
func (s Share) Contains(id string) bool {
	p := place(id)
	return hundredths(s.From) <= p && p < hundredths(s.To)
}

// place returns the place of id, from 0 to 9,999 (see [Share]).
func place(id string) int {
	sum := sha256.Sum256([]byte(id))
	return int(binary.BigEndian.Uint64(sum[:8]) % 10000)
}

// hundredths returns percent p in hundredths of a percent.
func hundredths(p float64) int { return int(math.Round(p * 100)) }

// validShare returns why s is not a share, or nil.
func validShare(s Share) error {
	for _, v := range []struct {
		name string
		p    float64
	}{{"from", s.From}, {"to", s.To}} {
		switch {
		case math.IsNaN(v.p) || v.p < 0 || v.p > 100:
			return errors.New("a share outside 0-100%: " + v.name + " " + percent(v.p))
		case math.Abs(v.p*100-math.Round(v.p*100)) > 1e-6:
			return errors.New("a share in steps of 0.01%: " + v.name + " " + percent(v.p))
		}
	}
	if hundredths(s.From) > hundredths(s.To) {
		return errors.New("from " + percent(s.From) + " is after to " + percent(s.To))
	}
	return nil
}

func percent(p float64) string { return strconv.FormatFloat(p, 'g', 8, 64) + "%" }

// ReadPlan reads a plan file: a JSON object with the plan's own "sites"
// and "packages" by name (both optional, as the fleet file's: see
// [Decoder]) and its "waves", in order. An example:
//
//	{
//	  "packages": {
//	    "r3": {"version": "4.00.6487.2157"}
//	  },
//	  "waves": [
//	    {"name": "pilot", "target": {"share": 10}},
//	    {"name": "the rest", "target": {"share": {"from": 10, "to": 100}}},
//	    {"name": "R3", "after": "30d", "target": {"all": true},
//	     "deployment": {"package": "r3"}},
//	    {"name": "retire WM5", "target": {"platform": ["WM5PPC", "WM5SP"]},
//	     "deployment": {"package": "retire", "method": "manual sync"}},
//	    {"name": "repair", "target": {"ids": ["wm6pro-07", "ppc03-12"]},
//	     "deployment": {"package": "r3", "repair": true}}
//	  ]
//	}
//
// A wave ([Wave]) is an object with:
//
//   - "name" (required): a string naming the wave, unique ignoring case;
//   - "after": how long after the wave before it the wave runs, a Go
//     duration ("36h") or whole days ("30d"), a day when absent; after
//     the first wave, at least a second;
//   - "target" (required): an object with "all": true alone, or any of
//     "ids" (a list of device ids), "share" (a percentage of the fleet, the
//     first part by id, or {"from": 10, "to": 100}: see [Share]),
//     "platform", "connection" and "computer" (a name or a list of names);
//     a device must meet them all;
//   - "deployment": the members of a fleet file's deployment ("package",
//     "site", "method", "component", "repair", "renewCertificate"), each
//     optional: what it leaves out of the first four is each device's own,
//     and "repair" and "renewCertificate" are the wave's alone (see
//     [Wave]). Absent or {}, the wave sends each device its own package,
//     site, method and component again, without a repair or a renewal.
//
// settings are those of every plan package with neither "ini" nor
// "settings", as for [NewDecoder]. ReadPlan reads at most 8 MiB and is
// strict: an unknown member, one given twice, invalid UTF-8, a share
// outside 0-100% or an empty plan is an [*Error] whose Field is the path
// of the member at fault (`waves["pilot"].target.share`, or
// `waves[3].name` for a wave without a usable name) and whose Offset is
// that of the wave, or of where reading stopped. Names of packages and
// sites that are not the plan's are resolved when the plan runs
// ([Plan.Run]).
//
// Modelling choice: the file format is this library's; the product page
// describes no rollout.
func ReadPlan(r io.Reader, settings ini.Settings) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxValue+1))
	if err != nil {
		return nil, &Error{Index: -1, Err: err, read: true}
	}
	if len(data) > maxValue {
		return nil, &Error{Index: -1, Offset: maxValue, Err: errTooLarge}
	}
	if !utf8.Valid(data) {
		at := 0
		for at < len(data) {
			r, size := utf8.DecodeRune(data[at:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			at += size
		}
		return nil, &Error{Index: -1, Offset: int64(at), Err: errors.New("invalid UTF-8")}
	}
	p, err := newPass(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	d := &Decoder{settings: settings}
	plan := &Plan{}
	if err := p.delim('{', ""); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for p.dec.More() {
		name, err := p.name()
		if err != nil {
			return nil, err
		}
		switch name {
		case "sites", "packages", "waves":
			if seen[name] {
				return nil, p.fail(name, errors.New("given twice"))
			}
			seen[name] = true
		default:
			return nil, p.fail(quote.Name(name), errors.New("unknown member"))
		}
		if name != "waves" {
			if err := p.section(d, name); err != nil {
				return nil, err
			}
			continue
		}
		if err := p.waves(plan); err != nil {
			return nil, err
		}
	}
	if err := p.delim('}', ""); err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the plan object")
		}
		return nil, p.fail("", err)
	}
	if !seen["waves"] {
		return nil, p.fail("waves", errMissing)
	}
	plan.Sites = unnamed(d.sites)
	plan.Packages = unnamed(d.packages)
	if err := plan.check(); err != nil {
		return nil, err
	}
	return plan, nil
}

// unnamed returns the sites or packages of a file by their names as the
// file spells them.
func unnamed[T any](m map[string]named[T]) map[string]T {
	if m == nil {
		return nil
	}
	out := make(map[string]T, len(m))
	for _, v := range m {
		out[v.name] = v.v
	}
	return out
}

var (
	waveMembers   = []string{"name", "after", "target", "deployment"}
	targetMembers = []string{"all", "ids", "share", "platform", "connection", "computer"}
	shareMembers  = []string{"from", "to"}
)

// waves reads the "waves" array into plan.
func (p *pass) waves(plan *Plan) error {
	if err := p.delim('[', "waves"); err != nil {
		return err
	}
	for i := 0; p.dec.More(); i++ {
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return p.fail(waveField(i, ""), err)
		}
		off := p.offset() - int64(len(raw))
		if i == MaxWaves {
			return &Error{Index: -1, Field: "waves", Offset: off, Err: errors.New("more than " + strconv.Itoa(MaxWaves) + " waves")}
		}
		w := Wave{offset: off}
		if err := decodeWave(raw, &w, i > 0); err != nil {
			fe := asFieldError(err, "")
			return &Error{Index: -1, Field: join(waveField(i, w.Name), fe.field), Offset: off, Err: fe.err}
		}
		plan.Waves = append(plan.Waves, w)
	}
	return p.delim(']', "waves")
}

// waveField is the path of wave i, by its name when it has one.
func waveField(i int, name string) string {
	if name == "" {
		return "waves[" + strconv.Itoa(i) + "]"
	}
	return "waves[" + quote.Short(name) + "]"
}

// decodeWave decodes the wave raw into w, a wave after the first when
// later; on error, w.Name is the wave's name if it could be read.
func decodeWave(raw []byte, w *Wave, later bool) error {
	var target, name bool
	err := walk(raw, waveMembers, func(member string, val []byte) error {
		var err error
		switch member {
		case "name":
			name = true
			w.Name, err = jsonName(val)
		case "after":
			w.After, err = jsonDuration(val)
			if err == nil && later && w.After == 0 {
				// A zero Wave.After is a day: "0s" given is not what it says.
				err = errors.New("less than a second after the wave before: 0s (leave \"after\" out for a day)")
			}
		case "target":
			target = true
			err = decodeTarget(val, &w.Target)
		case "deployment":
			err = decodeWaveDeployment(val, w)
		}
		if err != nil {
			fe := asFieldError(err, "")
			return &fieldError{join(member, fe.field), fe.err}
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case !name:
		return &fieldError{"name", errMissing}
	case !target:
		return &fieldError{"target", errMissing}
	}
	return nil
}

func decodeWaveDeployment(raw []byte, w *Wave) error {
	return walk(raw, deploymentMembers, func(member string, val []byte) error {
		var err error
		switch member {
		case "package":
			w.Package, err = jsonName(val)
		case "site":
			w.Site, err = jsonName(val)
		case "method":
			err = jsonText(val, &w.Method)
		case "component":
			err = jsonText(val, &w.Component)
		case "repair":
			err = jsonBool(val, &w.Repair)
		case "renewCertificate":
			err = jsonBool(val, &w.RenewCertificate)
		}
		if err == nil && (member == "package" && w.Package == "" || member == "site" && w.Site == "") {
			err = errors.New("empty: leave the member out for each device's own")
		}
		if err != nil {
			return &fieldError{member, err}
		}
		return nil
	})
}

func decodeTarget(raw []byte, t *Target) error {
	return walk(raw, targetMembers, func(member string, val []byte) error {
		var err error
		switch member {
		case "all":
			err = jsonBool(val, &t.All)
			if err == nil && !t.All {
				err = errors.New("only true: leave the member out otherwise")
			}
		case "ids":
			t.IDs, err = jsonNames(val, false)
			if err == nil && len(t.IDs) == 0 {
				err = errors.New("an empty list")
			}
		case "share":
			t.Share, err = jsonShare(val)
			if fe, ok := err.(*fieldError); ok {
				return &fieldError{member + "." + fe.field, fe.err}
			}
		case "platform":
			t.Platforms, err = jsonTexts[certs.Platform](val)
		case "connection":
			t.Connections, err = jsonTexts[lifecycle.Connection](val)
		case "computer":
			t.Computers, err = jsonNames(val, true)
			if err == nil && len(t.Computers) == 0 {
				err = errors.New("an empty list")
			}
		}
		if err != nil {
			return &fieldError{member, err}
		}
		return nil
	})
}

// jsonShare reads a share: a number (the first part) or {"from", "to"}.
func jsonShare(raw []byte) (*Share, error) {
	var to float64
	if json.Unmarshal(raw, &to) == nil {
		return &Share{To: to}, nil
	}
	s := &Share{}
	given := 0
	err := walk(raw, shareMembers, func(member string, val []byte) error {
		given++
		p := &s.From
		if member == "to" {
			p = &s.To
		}
		if json.Unmarshal(val, p) != nil {
			return &fieldError{member, errors.New("expected a number")}
		}
		return nil
	})
	switch {
	case err != nil && !errors.As(err, new(*fieldError)):
		return nil, errors.New("expected a number or {\"from\": ..., \"to\": ...}")
	case err != nil:
		return nil, err
	case given < 2:
		return nil, errors.New("expected both \"from\" and \"to\"")
	}
	return s, nil
}

// jsonNames reads a list of strings, or with one also a single string.
func jsonNames(raw []byte, one bool) ([]string, error) {
	if one {
		if s, err := jsonName(raw); err == nil {
			return []string{s}, nil
		}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		if one {
			return nil, errors.New("expected a string or a list of strings")
		}
		return nil, errors.New("expected a list of strings")
	}
	out := make([]string, len(list))
	for i, v := range list {
		s, err := jsonName(v)
		if err != nil {
			return nil, errors.New("item " + strconv.Itoa(i) + ": " + err.Error())
		}
		out[i] = s
	}
	return out, nil
}

// jsonTexts reads a name, or a list of names, of an enumerated type.
func jsonTexts[T any, P interface {
	*T
	UnmarshalText([]byte) error
}](raw []byte) ([]T, error) {
	names, err := jsonNames(raw, true)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("an empty list")
	}
	out := make([]T, len(names))
	for i, n := range names {
		if err := P(&out[i]).UnmarshalText([]byte(n)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// jsonDuration reads a Go duration, or whole days ("30d").
func jsonDuration(raw []byte) (time.Duration, error) {
	s, err := jsonName(raw)
	if err != nil {
		return 0, err
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || time.Duration(n) > maxAfter/(24*time.Hour) {
			return 0, errors.New("not a number of days from 0 to " + strconv.Itoa(int(maxAfter/(24*time.Hour))) + ": " + quote.Short(s))
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration such as \"36h\" or \"30d\": " + quote.Short(s))
	}
	return d, nil
}

// check reports the first thing that keeps p from running, whatever the
// fleet: an empty plan, a wave without a name or target, a share outside
// 0-100%, names given twice.
func (p *Plan) check() error {
	fail := func(field string, off int64, err error) error {
		return &Error{Index: -1, Field: field, Offset: off, Err: err}
	}
	if err := uniqueNames(p.Sites, "sites"); err != nil {
		return err
	}
	if err := uniqueNames(p.Packages, "packages"); err != nil {
		return err
	}
	switch {
	case len(p.Waves) == 0:
		return fail("waves", 0, errors.New("an empty plan: no waves"))
	case len(p.Waves) > MaxWaves:
		return fail("waves", 0, errors.New("more than "+strconv.Itoa(MaxWaves)+" waves"))
	}
	names := map[string]string{}
	for i := range p.Waves {
		w := &p.Waves[i]
		at := waveField(i, w.Name)
		lname := strings.ToLower(w.Name)
		switch {
		case w.Name == "":
			return fail(join(at, "name"), w.offset, errors.New("missing or empty"))
		case len(w.Name) > maxName:
			return fail(waveField(i, "")+".name", w.offset, errors.New("longer than "+strconv.Itoa(maxName)+" bytes"))
		case names[lname] != "":
			return fail(join(at, "name"), w.offset, errors.New("the name of "+quote.Short(names[lname])+" too (names compare ignoring case)"))
		}
		names[lname] = w.Name
		if field, err := w.check(i); err != nil {
			return fail(join(at, field), w.offset, err)
		}
	}
	return nil
}

// check reports what is wrong with wave i alone, and the member at fault.
func (w *Wave) check(i int) (string, error) {
	switch {
	case w.After < 0 || w.After > maxAfter:
		return "after", errors.New("not from 0 to " + maxAfter.String() + ": " + w.After.String())
	case i > 0 && w.After != 0 && w.After < time.Second:
		return "after", errors.New("less than a second after the wave before: " + w.After.String())
	case w.Method != 0 && !valid(w.Method):
		return "deployment.method", errors.New("invalid: " + w.Method.String())
	case w.Component != 0 && !valid(w.Component):
		return "deployment.component", errors.New("invalid: " + w.Component.String())
	}
	return w.Target.check()
}

// check reports what is wrong with t, and the member at fault.
func (t *Target) check() (string, error) {
	given := 0
	for _, n := range []int{len(t.IDs), len(t.Platforms), len(t.Connections), len(t.Computers)} {
		if n > 0 {
			given++
		}
	}
	if t.Share != nil {
		given++
		if err := validShare(*t.Share); err != nil {
			return "target.share", err
		}
	}
	switch {
	case t.All && given > 0:
		return "target.all", errors.New("goes alone: a target of every device has no other criterion")
	case !t.All && given == 0:
		return "target", errors.New("empty: give \"all\": true for every device")
	}
	for _, p := range t.Platforms {
		if !p.IsValid() {
			return "target.platform", errors.New("invalid: " + p.String())
		}
	}
	for _, c := range t.Connections {
		if !valid(c) {
			return "target.connection", errors.New("invalid: " + c.String())
		}
	}
	for _, id := range t.IDs {
		if len(id) > maxName {
			return "target.ids", errors.New("an id longer than " + strconv.Itoa(maxName) + " bytes")
		}
	}
	return "", nil
}

// uniqueNames reports a name of m given twice, ignoring case, or too long.
func uniqueNames[T any](m map[string]T, section string) error {
	seen := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		field := section + "[" + quote.Short(name) + "]"
		lname := strings.ToLower(name)
		if len(name) > maxName {
			return &Error{Index: -1, Field: field, Err: errors.New("a name longer than " + strconv.Itoa(maxName) + " bytes")}
		}
		if other, dup := seen[lname]; dup {
			return &Error{Index: -1, Field: field, Err: errors.New("the name of " + quote.Short(other) + " too (names compare ignoring case)")}
		}
		seen[lname] = name
	}
	return nil
}
