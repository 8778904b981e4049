package policy

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"sort"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
)

// The versions of the space: the deployed package is ConfigMgr 2007 SP2; an
// older installed version is SP1, a newer one R3.
var (
	spaceDeployed = version.New(4, 0, 6487, 2000)
	spaceOlder    = version.New(4, 0, 6221, 1000)
	spaceNewer    = version.New(4, 0, 6487, 2157)
)

// spaceSettingKey is the client setting the space's packages configure and
// its devices may hold a user-changed value of.
const spaceSettingKey = "PollingInterval"

// spaceComputer is the desktop computer the space's devices synchronise
// through, when their connection goes through one.
const spaceComputer = "DESKTOP-01"

// spaceSettings returns the decoded ClientSettings.ini of the space for one
// ClientInstallAction, with or without CertEnrollAction=Enroll.
func spaceSettings(a ini.Action, enroll bool) ini.Settings {
	text := "[ClientSettings]\r\nClientInstallAction=" + a.String() + "\r\n"
	if enroll {
		text += "CertEnrollAction=" + ini.CertEnroll + "\r\n"
	}
	text += spaceSettingKey + "=60\r\n"
	s, err := lifecycle.ReadSettings("ClientSettings.ini", []byte(text))
	if err != nil {
		// The text is a constant of this package: a failure is a bug here.
		panic("policy: the space's ClientSettings.ini does not read: " + err.Error())
	}
	return s
}

// DefaultScenario returns the scenario the space is measured from (see
// [Distance]), and a realistic first deployment: the client, by software
// distribution, to an unlocked Windows Mobile 6 Professional device
// ("wm6pro-01") that has no client, no password program and no
// certificate, synchronised through a managed ConfigMgr client computer
// ("DESKTOP-01"), whose user can reach the certification authority and
// authenticate; from a complete deployment folder whose ClientSettings.ini
// says ClientInstallAction=Install (and PollingInterval=60); on a
// mixed-mode site with every prerequisite in place. It succeeds: none ->
// same by install, leaving ConfigMgr 2007 SP2 (4.0.6487.2000) installed.
//
// Each call returns new slices: the caller may modify them.
func DefaultScenario() lifecycle.Scenario {
	return lifecycle.Scenario{
		Device: lifecycle.Device{
			ID:         "wm6pro-01",
			Platform:   certs.WM6Professional,
			Security:   certs.Security{TrustsMobile2Market: true},
			Connection: lifecycle.ViaManagedComputer,
			Computer:   spaceComputer,
			Enrollment: certs.EnrollmentConditions{CAReachable: true, AuthenticationSucceeds: true},
		},
		Deployment: lifecycle.Deployment{
			Component: lifecycle.Client,
			Method:    lifecycle.SoftwareDistribution,
			Package: lifecycle.Package{
				Version:  spaceDeployed,
				Folder:   lifecycle.CompleteFolder(certs.WM6Professional),
				Settings: spaceSettings(ini.ActionInstall, false),
			},
			Site: lifecycle.Site{Mode: certs.Mixed, ClientAgent: true, ManagementPoint: true,
				DistributionPoint: true, InventoryExtended: true},
		},
	}
}

// Scenarios returns the finite input space of the model: every combination
// of the inputs that can change an outcome, each once, in a fixed order
// (the order of [Counterexample].Index). Use it for exhaustive tests;
// [Check] runs a policy over all of it.
//
// The space varies, around [DefaultScenario]:
//
//   - the component ([lifecycle.Client], [lifecycle.PasswordProgram])
//     and the platform ([certs.Platforms]);
//   - the device's security: one of each distinct result of the trust step
//     ([certs.EstablishTrust]) on the platform, the one nearest the
//     default; where signing does not apply that is the default's alone,
//     elsewhere unlocked, Mobile2Market not trusted, and privileges
//     restricted;
//   - the component's installed version: none, older (4.0.6221.1000), same
//     (4.0.6487.2000, the deployed version) or newer (4.0.6487.2157), in
//     the field the component's decision reads ([lifecycle.Scenario.Event]);
//   - where the component is installed, whether the device holds a
//     user-changed value of a setting the package configures;
//   - whether a repair is asked for, a deployment folder complete for the
//     platform ([lifecycle.CompleteFolder]) or lacking its installer, and
//     the ClientInstallAction ([ini.Actions]);
//   - the method ([lifecycle.Methods]) and each connection it can reach
//     (those for which [lifecycle.CheckPrerequisites] does not report
//     [lifecycle.ErrConnection]);
//   - the other component's installed version, none or the deployed one,
//     where the method needs a managed device ([lifecycle.ErrNotManaged]);
//   - the site's management point, distribution point and inventory
//     extension where the method needs them (enabled elsewhere), and the
//     client agent and the site mode ([certs.SiteModes]) everywhere;
//   - CertEnrollAction=Enroll or not; where the deployment needs a
//     certificate (a native site without Enroll reports
//     [lifecycle.ErrEnrollmentNotEnforced]), whether the device holds one
//     and whether the deployment renews it; and where enrollment runs, one
//     of each distinct result of [certs.Enroll], the one nearest the
//     default.
//
// Every other input keeps the default's value: the device's ID, the
// package version, and the enrollment conditions, certificate and renewal
// where no rule reads them. A policy that reads an input the space holds
// fixed sees only that value: the space stands for every scenario whose
// outcome it can tell apart, not for every value of every field.
//
// Modelling choice: no rule reads the computer's name, so a device
// synchronises through the default's computer ("DESKTOP-01") when its
// connection goes through one (a managed or an unmanaged computer) and has
// none otherwise, as a fleet's devices would.
//
// The space has 1,625,472 scenarios. Scenarios share their slices: do not
// modify them.
func Scenarios() iter.Seq[lifecycle.Scenario] {
	return func(yield func(lifecycle.Scenario) bool) {
		sp := newSpace()
		c := sp.cursor(0)
		for range sp.total {
			if !yield(c.sc) {
				return
			}
			c.next()
		}
	}
}

// space is the finite input space, indexed: outer entries fix the device,
// the component, the repair request, the folder and the
// ClientInstallAction, so the decided event; each runs through the inner
// entries of its kind, which fix the method, connection, site, enrollment
// and certificate.
//
// The outer entries hold no pointers: they name their scenario's parts by
// value and index, and a cursor builds the scenario when it enters one. So
// the garbage collector, which marks the space at every cycle while a
// check runs, does not read its thousands of entries.
type space struct {
	def      lifecycle.Scenario
	outer    []outerEntry
	kinds    [][]innerEntry        // the inner entries of each kind
	settings [][2]ini.Settings     // [action][enroll]: the space's .ini settings
	folders  [][2]lifecycle.Folder // [platform]: complete, lacking its installer
	changed  []lifecycle.Setting   // a device's user-changed setting
	total    int
}

type outerEntry struct {
	start     int // index of the entry's first scenario
	installed version.Version
	// kind indexes space.kinds: the outer entries of a kind (a component,
	// and whether its deployments can need a certificate) share their
	// inner entries.
	kind       int
	action     int // index into space.settings
	comp       lifecycle.Component
	platform   certs.Platform
	security   certs.Security
	changed    bool // the device holds space.changed
	repair     bool
	incomplete bool // the folder lacks the platform's installer
	ownClient  bool // the component's installed version is the device's Client (see installedClient)
}

type innerEntry struct {
	method   lifecycle.Method
	conn     lifecycle.Connection
	computer string
	setOther bool // set the other component's installed version to other
	other    version.Version
	site     lifecycle.Site
	enroll   bool
	cert     bool
	renew    bool
	conds    certs.EnrollmentConditions
}

func newSpace() *space {
	def := DefaultScenario()
	actions := ini.Actions()
	sp := &space{settings: make([][2]ini.Settings, len(actions))}
	for i, a := range actions {
		sp.settings[i] = [2]ini.Settings{spaceSettings(a, false), spaceSettings(a, true)}
	}
	methods := probeMethods(def)
	conds := distinct(def.Device.Enrollment, certs.EnrollmentConditionsAll(), enrollmentDistance, func(c certs.EnrollmentConditions) string {
		r, err := certs.Enroll(c)
		return fmt.Sprint(r, err)
	})
	requiring := enrollingModes()
	changed := []lifecycle.Setting{{Key: spaceSettingKey, Value: "15", UserChanged: true}}

	type kind struct {
		comp      lifecycle.Component
		needsCert bool
	}
	kinds := map[kind]int{}
	sp.def, sp.changed = def, changed
	sp.folders = make([][2]lifecycle.Folder, int(slices.Max(certs.Platforms()))+1)
	// At most: components x platforms x securities x 7 installed-and-settings
	// variants x repair x folder x actions.
	sp.outer = make([]outerEntry, 0, len(components())*len(certs.Platforms())*len(certs.Securities())*7*2*2*len(actions))
	for _, comp := range components() {
		ownClient := installedClient(def, comp)
		otherMatters := managedBy(def, comp, methods, ownClient)
		for _, p := range certs.Platforms() {
			complete := lifecycle.CompleteFolder(p)
			sp.folders[p] = [2]lifecycle.Folder{complete, lifecycle.NewFolder(slices.DeleteFunc(complete.Names(), p.IsInstallerName)...)}
			secs := distinct(def.Device.Security, certs.Securities(), securityDistance, func(s certs.Security) string {
				r, err := certs.EstablishTrust(p, s)
				return fmt.Sprintf("%+v %v", r, err)
			})
			for _, sec := range secs {
				for _, installed := range []version.Version{{}, spaceOlder, spaceDeployed, spaceNewer} {
					for _, withChanged := range []bool{false, true}[:1+b2i(installed.IsValid())] {
						for _, repair := range []bool{false, true} {
							for _, incomplete := range []bool{false, true} {
								for ai := range actions {
									e := outerEntry{start: sp.total, installed: installed, action: ai, comp: comp,
										platform: p, security: sec, changed: withChanged, repair: repair, incomplete: incomplete, ownClient: ownClient}
									k := kind{comp, needsCertificate(sp.scenario(&e), requiring)}
									ki, ok := kinds[k]
									if !ok {
										ki = len(sp.kinds)
										kinds[k] = ki
										sp.kinds = append(sp.kinds, innerEntries(def, methods, otherMatters, k.needsCert, conds))
									}
									e.kind = ki
									sp.outer = append(sp.outer, e)
									sp.total += len(sp.kinds[ki])
								}
							}
						}
					}
				}
			}
		}
	}
	return sp
}

// scenario returns the scenario of outer entry e before its inner entries
// apply.
func (sp *space) scenario(e *outerEntry) lifecycle.Scenario {
	sc := sp.def
	sc.Deployment.Component = e.comp
	sc.Device.Platform = e.platform
	sc.Device.Security = e.security
	setInstalled(&sc.Device, e.ownClient, e.installed)
	if e.changed {
		sc.Device.Settings = sp.changed
	}
	sc.Deployment.Repair = e.repair
	sc.Deployment.Package.Folder = sp.folders[e.platform][b2i(e.incomplete)]
	sc.Deployment.Package.Settings = sp.settings[e.action][0]
	return sc
}

// setInstalled sets the device's installed client (client) or password
// program to v. It takes a flag, not a function returning the field: a
// pointer into a scenario given to a function value would move the
// scenario to the heap, where a scenario is built at every step.
func setInstalled(d *lifecycle.Device, client bool, v version.Version) {
	if client {
		d.Client = v
	} else {
		d.PasswordProgram = v
	}
}

// b2i returns 1 for true and 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// installedClient reports whether the device's field that holds the
// installed version of comp, the one its decision reads
// ([lifecycle.Scenario.Event]), is Client; otherwise it is
// PasswordProgram, and Client is the other component's ([setInstalled]).
func installedClient(def lifecycle.Scenario, comp lifecycle.Component) bool {
	for _, client := range []bool{true, false} {
		sc := def
		sc.Deployment.Component = comp
		sc.Deployment.Package.Settings.ClientInstallAction = ini.ActionInstall
		setInstalled(&sc.Device, client, sc.Deployment.Package.Version)
		if sc.Event() == lifecycle.Reconfigure { // Install with the same version installed
			return client
		}
	}
	panic("policy: no device field holds the installed " + comp.String())
}

// methodProbe is what a method needs, as [lifecycle.CheckPrerequisites]
// reports it.
type methodProbe struct {
	method                                                 lifecycle.Method
	conns                                                  []lifecycle.Connection
	managementPoint, distributionPoint, inventory, managed bool
}

// probeMethods asks [lifecycle.CheckPrerequisites] what each method needs:
// the connections it reaches, the site facts it needs, and whether it
// needs a managed device.
func probeMethods(def lifecycle.Scenario) []methodProbe {
	var probes []methodProbe
	for _, m := range lifecycle.Methods() {
		base := def
		base.Deployment.Method = m
		mp := methodProbe{method: m}
		for _, c := range lifecycle.Connections() {
			sc := base
			sc.Device.Connection = c
			if !errors.Is(lifecycle.CheckPrerequisites(sc), lifecycle.ErrConnection) {
				mp.conns = append(mp.conns, c)
			}
		}
		if len(mp.conns) == 0 {
			continue
		}
		base.Device.Connection = mp.conns[0]
		missing := func(sentinel error, edit func(sc *lifecycle.Scenario)) bool {
			sc := base
			edit(&sc)
			return errors.Is(lifecycle.CheckPrerequisites(sc), sentinel)
		}
		mp.managementPoint = missing(lifecycle.ErrNoManagementPoint, func(sc *lifecycle.Scenario) { sc.Deployment.Site.ManagementPoint = false })
		mp.distributionPoint = missing(lifecycle.ErrNoDistributionPoint, func(sc *lifecycle.Scenario) { sc.Deployment.Site.DistributionPoint = false })
		mp.inventory = missing(lifecycle.ErrInventoryNotExtended, func(sc *lifecycle.Scenario) { sc.Deployment.Site.InventoryExtended = false })
		mp.managed = missing(lifecycle.ErrNotManaged, func(sc *lifecycle.Scenario) {
			sc.Device.Client, sc.Device.PasswordProgram = version.Version{}, version.Version{}
		})
		probes = append(probes, mp)
	}
	return probes
}

// managedBy reports whether a deployment of comp reads the other
// component's installed version where a method needs a managed device: a
// device with comp installed and the other absent is not managed.
func managedBy(def lifecycle.Scenario, comp lifecycle.Component, methods []methodProbe, ownClient bool) bool {
	for _, mp := range methods {
		if !mp.managed {
			continue
		}
		sc := def
		sc.Deployment.Component = comp
		sc.Deployment.Method = mp.method
		sc.Device.Connection = mp.conns[0]
		setInstalled(&sc.Device, ownClient, sc.Deployment.Package.Version)
		setInstalled(&sc.Device, !ownClient, version.Version{})
		return errors.Is(lifecycle.CheckPrerequisites(sc), lifecycle.ErrNotManaged)
	}
	return false
}

// enrollingModes returns the site modes that require certificate
// enrollment.
func enrollingModes() []certs.SiteMode {
	return slices.DeleteFunc(certs.SiteModes(), func(m certs.SiteMode) bool { return !m.RequiresEnrollment() })
}

// needsCertificate reports whether the deployment of sc needs a
// certificate the device does not hold: on a site that requires
// enrollment, without CertEnrollAction=Enroll, [lifecycle.CheckPrerequisites]
// reports [lifecycle.ErrEnrollmentNotEnforced].
func needsCertificate(sc lifecycle.Scenario, requiring []certs.SiteMode) bool {
	if len(requiring) == 0 {
		return false
	}
	sc.Deployment.Site.Mode = requiring[0]
	sc.Deployment.Package.Settings.CertEnrollAction = ""
	sc.Device.Certificate = false
	sc.Deployment.RenewCertificate = false
	return errors.Is(lifecycle.CheckPrerequisites(sc), lifecycle.ErrEnrollmentNotEnforced)
}

// innerEntries lists the method, connection, site, enrollment and
// certificate variations of one kind of outer entry.
func innerEntries(def lifecycle.Scenario, methods []methodProbe, otherMatters, needsCert bool, conds []certs.EnrollmentConditions) []innerEntry {
	type certVariant struct {
		cert, renew bool
		conds       certs.EnrollmentConditions
	}
	var certVariants [2][]certVariant // [enroll]
	dc := def.Device.Enrollment
	if !needsCert {
		certVariants[0] = []certVariant{{conds: dc}}
		certVariants[1] = certVariants[0]
	} else {
		// Without CertEnrollAction=Enroll nothing enrolls: the certificate
		// matters to the prerequisites alone. With it, a device enrolls
		// when it holds no certificate or renews it.
		certVariants[0] = []certVariant{{conds: dc}, {cert: true, conds: dc}, {cert: true, renew: true, conds: dc}}
		for _, c := range conds {
			certVariants[1] = append(certVariants[1], certVariant{conds: c})
		}
		certVariants[1] = append(certVariants[1], certVariant{cert: true, conds: dc})
		for _, c := range conds {
			certVariants[1] = append(certVariants[1], certVariant{cert: true, renew: true, conds: c})
		}
	}
	var entries []innerEntry
	for _, mp := range methods {
		for _, conn := range mp.conns {
			computer := ""
			if throughComputer(conn) {
				computer = def.Device.Computer
			}
			others := []innerEntry{{}}
			if otherMatters && mp.managed {
				others = []innerEntry{{setOther: true}, {setOther: true, other: spaceDeployed}}
			}
			for _, o := range others {
				for _, mgmt := range toggles(mp.managementPoint) {
					for _, dist := range toggles(mp.distributionPoint) {
						for _, inv := range toggles(mp.inventory) {
							for _, agent := range []bool{true, false} {
								for _, mode := range certs.SiteModes() {
									for ei, enroll := range []bool{false, true} {
										for _, cv := range certVariants[ei] {
											entries = append(entries, innerEntry{
												method: mp.method, conn: conn, computer: computer,
												setOther: o.setOther, other: o.other,
												site: lifecycle.Site{Mode: mode, ClientAgent: agent, ManagementPoint: mgmt,
													DistributionPoint: dist, InventoryExtended: inv},
												enroll: enroll, cert: cv.cert, renew: cv.renew, conds: cv.conds,
											})
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return entries
}

// throughComputer reports whether a device connected by c synchronises
// through a desktop computer. Modelling choice: the space gives such a
// device the default's computer and any other none, as
// [lifecycle.Connection]'s values describe.
func throughComputer(c lifecycle.Connection) bool {
	return c == lifecycle.ViaManagedComputer || c == lifecycle.ViaUnmanagedComputer
}

// toggles returns the values a site fact takes in the space: both when the
// method needs it, otherwise only enabled.
func toggles(needed bool) []bool {
	if needed {
		return []bool{true, false}
	}
	return []bool{true}
}

// distinct returns def and, of the candidates, one of each result that
// result tells apart from the others: the one nearest def by dist (the
// earliest among equals).
func distinct[T comparable](def T, candidates []T, dist func(a, b T) int, result func(T) string) []T {
	slices.SortStableFunc(candidates, func(a, b T) int { return dist(def, a) - dist(def, b) })
	seen := map[string]bool{result(def): true}
	out := []T{def}
	for _, c := range candidates {
		if r := result(c); !seen[r] {
			seen[r] = true
			out = append(out, c)
		}
	}
	return out
}

func securityDistance(a, b certs.Security) int {
	return count(a.TrustsMobile2Market != b.TrustsMobile2Market, a.PrivilegesRestricted != b.PrivilegesRestricted)
}

func enrollmentDistance(a, b certs.EnrollmentConditions) int {
	return count(a.CAReachable != b.CAReachable, a.AuthenticationSucceeds != b.AuthenticationSucceeds)
}

// count returns how many of facts are true.
func count(facts ...bool) int {
	n := 0
	for _, f := range facts {
		if f {
			n++
		}
	}
	return n
}

// cursor walks the space from an index, one scenario at a time, building
// each in place.
type cursor struct {
	sp    *space
	o, j  int          // outer entry, inner entry
	inner []innerEntry // the outer entry's
	sc    lifecycle.Scenario
}

// cursor returns a cursor at index i, which must be below sp.total. It is
// a value, to be kept in a local variable: a cursor on the stack builds
// its scenarios without write barriers.
func (sp *space) cursor(i int) cursor {
	o := sort.Search(len(sp.outer), func(k int) bool { return sp.outer[k].start > i }) - 1
	c := cursor{sp: sp, o: o, j: i - sp.outer[o].start}
	c.enter()
	c.apply()
	return c
}

// next moves the cursor to the next scenario; past the last one it is
// invalid.
func (c *cursor) next() {
	c.j++
	if c.j == len(c.sp.kinds[c.sp.outer[c.o].kind]) {
		c.o, c.j = c.o+1, 0
		if c.o == len(c.sp.outer) {
			return
		}
		c.enter()
	}
	c.apply()
}

// enter builds the scenario of the cursor's outer entry.
func (c *cursor) enter() {
	e := &c.sp.outer[c.o]
	c.inner = c.sp.kinds[e.kind]
	c.sc = c.sp.scenario(e)
}

// apply sets the fields of the cursor's inner entry.
func (c *cursor) apply() {
	e := &c.sp.outer[c.o]
	in := &c.inner[c.j]
	dev, dep := &c.sc.Device, &c.sc.Deployment
	dep.Method = in.method
	dev.Connection = in.conn
	dev.Computer = in.computer
	if in.setOther {
		setInstalled(dev, !e.ownClient, in.other)
	}
	dep.Site = in.site
	enroll := 0
	if in.enroll {
		enroll = 1
	}
	dep.Package.Settings = c.sp.settings[e.action][enroll]
	dev.Certificate = in.cert
	dep.RenewCertificate = in.renew
	dev.Enrollment = in.conds
}

// Distance returns how many inputs of sc differ from [DefaultScenario]:
// the component, method, platform, each of the two security facts, each
// installed version, the connection, the computer, each enrollment
// condition, the certificate, the device settings (any at all), repair,
// renewal, the deployed version, the deployment folder (complete for the
// platform or not), the ClientInstallAction, CertEnrollAction, the
// Installer setting, the site mode and each of the four site facts. The ID
// does not count. [Check] reports the simplest counterexamples (smallest
// distance) first.
func Distance(sc lifecycle.Scenario) int {
	def := DefaultScenario()
	return distance(&sc, &def, errors.Is(lifecycle.CheckPrerequisites(sc), lifecycle.ErrFolderIncomplete))
}

// distance is [Distance] from def, given whether sc's folder is incomplete.
func distance(sc, def *lifecycle.Scenario, folderIncomplete bool) int {
	d, dd := &sc.Device, &def.Device
	p, dp := &sc.Deployment, &def.Deployment
	s, ds := &p.Package.Settings, &dp.Package.Settings
	return count(
		p.Component != dp.Component,
		p.Method != dp.Method,
		d.Platform != dd.Platform,
		d.Security.TrustsMobile2Market != dd.Security.TrustsMobile2Market,
		d.Security.PrivilegesRestricted != dd.Security.PrivilegesRestricted,
		d.Client != dd.Client,
		d.PasswordProgram != dd.PasswordProgram,
		d.Connection != dd.Connection,
		throughComputer(d.Connection) && d.Computer != dd.Computer,
		d.Enrollment.CAReachable != dd.Enrollment.CAReachable,
		d.Enrollment.AuthenticationSucceeds != dd.Enrollment.AuthenticationSucceeds,
		d.Certificate != dd.Certificate,
		len(d.Settings) != 0,
		p.Repair != dp.Repair,
		p.RenewCertificate != dp.RenewCertificate,
		p.Package.Version != dp.Package.Version,
		folderIncomplete,
		s.ClientInstallAction != ds.ClientInstallAction,
		s.Enroll() != ds.Enroll(),
		s.Installer != ds.Installer,
		p.Site.Mode != dp.Site.Mode,
		p.Site.ClientAgent != dp.Site.ClientAgent,
		p.Site.ManagementPoint != dp.Site.ManagementPoint,
		p.Site.DistributionPoint != dp.Site.DistributionPoint,
		p.Site.InventoryExtended != dp.Site.InventoryExtended,
	)
}

// components returns every lifecycle component.
func components() []lifecycle.Component {
	return []lifecycle.Component{lifecycle.Client, lifecycle.PasswordProgram}
}
