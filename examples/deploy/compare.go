package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/mobiledm/dmclient/examples/internal/cli"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// compareFlags are the flags of the what-if: -compare, -compare-package
// and -compare-site.
type compareFlags struct {
	ini      string
	packages []namedFile // in flag order
	sites    []namedFile
}

// namedFile is a NAME=FILE flag value.
type namedFile struct{ name, file string }

// maxJSON caps a package or site file, as the fleet file caps any value.
const maxJSON = 8 << 20

func addCompareFlags(fs *flag.FlagSet) *compareFlags {
	c := &compareFlags{}
	fs.StringVar(&c.ini, "compare", "", "compare with `FILE` as the ClientSettings.ini of packages without their own")
	fs.Func("compare-package", "compare with a package in `NAME=FILE`: the package (JSON) in FILE instead of the fleet's package NAME",
		func(s string) error { return addNamed(&c.packages, s) })
	fs.Func("compare-site", "compare with a site in `NAME=FILE`: the site (JSON) in FILE instead of the fleet's site NAME",
		func(s string) error { return addNamed(&c.sites, s) })
	return c
}

func addNamed(list *[]namedFile, s string) error {
	name, file, ok := strings.Cut(s, "=")
	if !ok || name == "" || file == "" {
		return errors.New("want NAME=FILE")
	}
	for _, n := range *list {
		if strings.EqualFold(n.name, name) {
			return fmt.Errorf("%s given twice", strconv.Quote(name))
		}
	}
	*list = append(*list, namedFile{name, file})
	return nil
}

// set reports whether a what-if was asked for.
func (c *compareFlags) set() bool {
	return c.ini != "" || len(c.packages) > 0 || len(c.sites) > 0
}

// input is what run has read and opened before the fleet runs.
type input struct {
	fleetName, iniName string
	settings           ini.Settings // -ini's, or the sample's
	dec                *fleet.Decoder
	entries            iter.Seq2[fleet.Entry, error]
	progress           *cli.Progress // nil when stderr is not a terminal
}

// change is the deployment -compare and its kin compare with: it gives
// the packages that have no .ini of their own the -compare .ini, and
// replaces the named packages and sites.
type change struct {
	base     ini.Settings  // the settings of packages without an .ini of their own
	settings *ini.Settings // -compare's, nil without it
	packages map[string]*lifecycle.Package
	sites    map[string]*lifecycle.Site
	usesBase map[string]bool // by lower-case package name
	seen     map[string]bool // "package x" and "site x", lower case
}

// apply is the change, for [fleet.Compare].
//
// Modelling choice: a package "has no .ini of its own" when its settings
// are those of the -ini file (or the sample's), file name included: every
// package the fleet file gives neither "ini" nor "settings", and any whose
// own ini reads exactly as that file does.
func (c *change) apply(e fleet.Entry) fleet.Entry {
	pkg, site := strings.ToLower(e.Package), strings.ToLower(e.Site)
	if p := c.packages[pkg]; p != nil {
		c.seen["package "+pkg] = true
		e.Deployment.Package = *p
	} else if c.settings != nil {
		uses, ok := c.usesBase[pkg]
		if !ok {
			uses = reflect.DeepEqual(e.Deployment.Package.Settings, c.base)
			c.usesBase[pkg] = uses
		}
		if uses {
			e.Deployment.Package.Settings = *c.settings
		}
	}
	if s := c.sites[site]; s != nil {
		c.seen["site "+site] = true
		e.Deployment.Site = *s
	}
	return e
}

// unseen returns an error naming the packages and sites of the flags that
// no device of the fleet was deployed.
func (c *change) unseen(f *compareFlags) error {
	var errs []error
	for _, n := range f.packages {
		if !c.seen["package "+strings.ToLower(n.name)] {
			errs = append(errs, fmt.Errorf("-compare-package: no device of the fleet gets a package named %s", strconv.Quote(n.name)))
		}
	}
	for _, n := range f.sites {
		if !c.seen["site "+strings.ToLower(n.name)] {
			errs = append(errs, fmt.Errorf("-compare-site: no device of the fleet is deployed from a site named %s", strconv.Quote(n.name)))
		}
	}
	return errors.Join(errs...)
}

// newChange reads the files of the flags.
func newChange(f *compareFlags, base ini.Settings) (*change, error) {
	c := &change{base: base, packages: map[string]*lifecycle.Package{}, sites: map[string]*lifecycle.Site{},
		usesBase: map[string]bool{}, seen: map[string]bool{}}
	if f.ini != "" {
		_, s, err := readSettings(f.ini)
		if err != nil {
			return nil, err
		}
		c.settings = &s
	}
	for _, n := range f.packages {
		data, err := readJSON(n.file)
		if err != nil {
			return nil, err
		}
		p := new(lifecycle.Package)
		if err := p.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("%s: %w", n.file, err)
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) == nil && members["ini"] == nil && members["settings"] == nil {
			// As in the fleet file: the .ini of packages without their own.
			p.Settings = base
			if c.settings != nil {
				p.Settings = *c.settings
			}
		}
		c.packages[strings.ToLower(n.name)] = p
	}
	for _, n := range f.sites {
		data, err := readJSON(n.file)
		if err != nil {
			return nil, err
		}
		// A site is what a deployment's "site" is, with its mode required.
		var dep lifecycle.Deployment
		if err := dep.UnmarshalJSON([]byte(`{"site":` + string(data) + `}`)); err != nil {
			var ie *lifecycle.InputError
			if errors.As(err, &ie) {
				if rest, ok := strings.CutPrefix(ie.Field, "deployment."); ok {
					err = &lifecycle.InputError{Field: rest, Err: ie.Err}
				}
			}
			return nil, fmt.Errorf("%s: %w", n.file, err)
		}
		if !dep.Site.Mode.IsValid() {
			return nil, fmt.Errorf("%s: a site needs a \"mode\"", n.file)
		}
		c.sites[strings.ToLower(n.name)] = &dep.Site
	}
	return c, nil
}

// readJSON reads file, at most maxJSON bytes of it.
func readJSON(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxJSON+1))
	if err == nil && len(data) > maxJSON {
		err = fmt.Errorf("%s: more than %d MiB", file, maxJSON>>20)
	}
	return data, err
}

// item is an entry of the fleet and its error.
type item struct {
	e   fleet.Entry
	err error
}

// peek reads up to n+1 entries of entries, and returns a fleet that
// yields them and then the rest, and whether the fleet has at most n
// devices. The fleet must be ranged over once, and stop called after.
func peek(entries iter.Seq2[fleet.Entry, error], n int) (all iter.Seq2[fleet.Entry, error], small bool, stop func()) {
	next, stop := iter.Pull2(entries)
	var head []item
	for len(head) <= n {
		e, err, ok := next()
		if !ok {
			break
		}
		head = append(head, item{e, err})
	}
	all = func(yield func(fleet.Entry, error) bool) {
		for i := range head {
			if !yield(head[i].e, head[i].err) {
				return
			}
			head[i] = item{} // let it go
		}
		for {
			e, err, ok := next()
			if !ok || !yield(e, err) {
				return
			}
		}
	}
	return all, len(head) <= n, stop
}

// runCompare runs the fleet under both deployments and prints the
// difference; it returns the exit status.
func runCompare(ctx context.Context, cfg config, in input, stdout, stderr io.Writer) int {
	fail := func(err error) int { return cli.Errors(stderr, "deploy", err) }
	ch, err := newChange(cfg.compare, in.settings)
	if err != nil {
		return fail(err)
	}
	entries, small, stop := peek(in.entries, cli.ListLimit)
	defer stop()
	c, runErr := fleet.Compare(ctx, entries, ch.apply, fleet.Options{
		Workers: cfg.Workers,
		Report:  fleet.ReportOptions{Details: small && cfg.Generate == 0},
		Machine: lifecycle.Options{Clock: cfg.clock},
	})
	in.progress.End()
	fileErr := in.dec.Err()
	if fileErr != nil && c.Devices == 0 {
		return fail(fileErr)
	}
	if runErr != nil {
		runErr = fmt.Errorf("interrupted: the comparison covers the %d devices read before the interrupt (%w)", c.Devices, runErr)
	}
	unseen := ch.unseen(cfg.compare)
	if runErr != nil || fileErr != nil {
		unseen = nil // the fleet was not read to its end
	}
	w := cli.NewWriter(stdout, 64<<10)
	sides := compareSides(cfg.compare, in)
	if cfg.JSON {
		writeComparisonJSON(w, in.fleetName, sides, c, errors.Join(fileErr, runErr))
	} else {
		writeComparison(w, in.fleetName, sides, c, errors.Join(fileErr, runErr))
	}
	w.Flush()
	return cli.Errors(stderr, "deploy", fileErr, runErr, unseen, w.Err())
}

// side names what one side of a comparison deploys.
type side struct {
	Settings string            `json:"settings"`
	Packages map[string]string `json:"packages,omitempty"`
	Sites    map[string]string `json:"sites,omitempty"`
}

func compareSides(f *compareFlags, in input) [2]side {
	sides := [2]side{{Settings: in.iniName}, {Settings: in.iniName}}
	if f.ini != "" {
		sides[1].Settings = f.ini
	}
	for _, n := range f.packages {
		if sides[1].Packages == nil {
			sides[1].Packages = map[string]string{}
		}
		sides[1].Packages[n.name] = n.file
	}
	for _, n := range f.sites {
		if sides[1].Sites == nil {
			sides[1].Sites = map[string]string{}
		}
		sides[1].Sites[n.name] = n.file
	}
	return sides
}

// writeComparisonJSON writes the comparison as one JSON object:
//
//	{"fleet": "...", "before": {"settings": "..."},
//	 "after": {"settings": "...", "packages": {NAME: FILE}, "sites": {NAME: FILE}},
//	 "comparison": {...}, "error": "..."}
//
// "comparison" is a [fleet.Comparison].
func writeComparisonJSON(w *cli.Writer, fleetName string, sides [2]side, c fleet.Comparison, err error) {
	v := struct {
		Fleet      string           `json:"fleet"`
		Before     side             `json:"before"`
		After      side             `json:"after"`
		Comparison fleet.Comparison `json:"comparison"`
		Error      string           `json:"error,omitempty"`
	}{Fleet: fleetName, Before: sides[0], After: sides[1], Comparison: c}
	if err != nil {
		v.Error = err.Error()
	}
	w.Write(append(w.JSON(v, ""), '\n')) // writes nothing when v cannot be encoded
}

// writeComparison writes the comparison as text: what each side deploys,
// the devices that change, grouped, and the reports' counts side by side.
func writeComparison(w io.Writer, fleetName string, sides [2]side, c fleet.Comparison, err error) {
	fmt.Fprintf(w, "Fleet %s\n", cli.Clean(fleetName))
	for i, label := range []string{"before:", "after:"} {
		fmt.Fprintf(w, "  %-7s %s\n", label, describe(sides[i]))
	}
	cli.RunNotes(w, err, false) // its counts-only note is its own
	fmt.Fprintf(w, "\n%d of %d devices change their decision, outcome or health\n", c.Changed, c.Devices)
	if c.Changed > 0 && len(c.Changes[0].Devices) == 0 {
		fmt.Fprintf(w, "  (counts only: the devices are listed for a fleet of at most %d devices run without -generate)\n", cli.ListLimit)
	}
	for _, g := range c.Changes {
		fmt.Fprintf(w, "\n  %d %s\n    before: %s\n    after:  %s\n", g.Count, cli.Plural(g.Count, "device"), g.Before, g.After)
		for _, d := range g.Devices {
			fmt.Fprintf(w, "    #%d %s\n", d.Index, cli.Quote(d.ID))
		}
	}
	fmt.Fprintln(w)
	t := &sideBySide{}
	b, a := c.Before.Report, c.After.Report
	t.row("Devices", b.Devices, a.Devices)
	t.title("Software Distribution Status Report for DM client install program: targeted/accepted/ran/succeeded/failed")
	for _, k := range programKeys(b, a) {
		t.rowText("  "+cli.Quote(k.site)+" "+k.program.String(), programCounts(b, k), programCounts(a, k))
	}
	t.title("Configuration Manager client computers reporting ActiveSync-connected devices")
	for _, k := range computerNames(b, a) {
		t.row("  "+k, computerCount(b, k), computerCount(a, k))
	}
	t.row("Device Client Agent Deployment Success Report", b.Success.Count, a.Success.Count)
	t.row("Device Client Agent Deployment Failure Report", b.Failed(), a.Failed())
	for _, f := range fleet.Failures()[1:] {
		if nb, na := failed(b, f), failed(a, f); nb+na > 0 {
			t.row("  "+f.String(), nb, na)
		}
	}
	t.title("Device Client Agent Health Summary (and the healthy and unhealthy clients' reports)")
	for _, h := range fleet.Healths() {
		t.row("  "+h.String(), b.Health.Count(h), a.Health.Count(h))
	}
	t.row("User-changed settings overwritten", c.Before.UserSettings, c.After.UserSettings)
	t.row("  on devices", c.Before.UserDevices.Count, c.After.UserDevices.Count)
	t.write(w)
	for i, s := range []fleet.Side{c.Before, c.After} {
		if len(s.UserDevices.Devices) > 0 {
			fmt.Fprintf(w, "\nDevices whose user-changed settings the %s deployment overwrites: %d\n", []string{"fleet's", "compared"}[i], s.UserDevices.Count)
			printList(w, "  ", s.UserDevices)
		}
	}
}

// describe says what a side deploys.
func describe(s side) string {
	var parts []string
	parts = append(parts, "settings "+cli.Clean(s.Settings)+" for packages without an .ini of their own")
	for _, k := range sortedKeys(s.Packages) {
		parts = append(parts, "package "+cli.Quote(k)+" from "+cli.Clean(s.Packages[k]))
	}
	for _, k := range sortedKeys(s.Sites) {
		parts = append(parts, "site "+cli.Quote(k)+" from "+cli.Clean(s.Sites[k]))
	}
	return strings.Join(parts, "; ")
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

type programKey struct {
	site    string
	program lifecycle.Component
}

// programKeys returns the software distribution lines of both reports,
// in the reports' order.
func programKeys(rs ...fleet.Report) []programKey {
	var keys []programKey
	for _, r := range rs {
		for _, p := range r.SoftwareDistribution {
			k := programKey{p.Site, p.Program}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.SortFunc(keys, func(x, y programKey) int {
		return cmp.Or(strings.Compare(x.site, y.site), cmp.Compare(x.program, y.program))
	})
	return keys
}

func programCounts(r fleet.Report, k programKey) string {
	for _, p := range r.SoftwareDistribution {
		if p.Site == k.site && p.Program == k.program {
			return fmt.Sprintf("%d/%d/%d/%d/%d", p.Targeted, p.Accepted, p.Ran, p.Succeeded, p.Failed)
		}
	}
	return "-"
}

// computerNames returns the computers of both reports, quoted, with
// whether they are managed, in the reports' order.
func computerNames(rs ...fleet.Report) []string {
	var names []string
	for _, r := range rs {
		for _, c := range r.Computers {
			if n := computerName(c); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

func computerName(c fleet.Computer) string {
	if c.Managed {
		return cli.Quote(c.Name) + " (managed)"
	}
	return cli.Quote(c.Name) + " (not a ConfigMgr client)"
}

func computerCount(r fleet.Report, n string) int {
	for _, c := range r.Computers {
		if computerName(c) == n {
			return c.Devices.Count
		}
	}
	return 0
}

func failed(r fleet.Report, f fleet.Failure) int {
	for _, g := range r.Failure {
		if g.Failure == f {
			return g.Count
		}
	}
	return 0
}

// sideBySide is a table of counts before and after, with their difference.
type sideBySide struct {
	rows [][4]string // label, before, after, difference; a title has only a label
}

func (t *sideBySide) title(s string) { t.rows = append(t.rows, [4]string{s}) }

func (t *sideBySide) row(label string, before, after int) {
	diff := ""
	if after != before {
		diff = fmt.Sprintf("%+d", after-before)
	}
	t.rows = append(t.rows, [4]string{label, strconv.Itoa(before), strconv.Itoa(after), diff})
}

func (t *sideBySide) rowText(label, before, after string) {
	diff := ""
	if after != before {
		diff = "changed"
	}
	t.rows = append(t.rows, [4]string{label, before, after, diff})
}

func (t *sideBySide) write(w io.Writer) {
	widths := [4]int{0, len("before"), len("after"), 0}
	for _, r := range t.rows {
		if r[1] == "" {
			continue
		}
		for i, s := range r {
			widths[i] = max(widths[i], len(s))
		}
	}
	fmt.Fprintf(w, "%-*s  %*s  %*s\n", widths[0], "The reports", widths[1], "before", widths[2], "after")
	for _, r := range t.rows {
		if r[1] == "" {
			fmt.Fprintf(w, "%s\n", r[0])
			continue
		}
		line := fmt.Sprintf("%-*s  %*s  %*s  %s", widths[0], r[0], widths[1], r[1], widths[2], r[2], r[3])
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}
