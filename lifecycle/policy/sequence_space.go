package policy

import (
	"errors"
	"slices"
	"strconv"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/version"
)

// Devices returns the distinct devices of the finite space ([Scenarios]),
// in the order the space first holds them: where [Explore] starts by
// default. They all have the default's ID.
//
// There are 3,366: every platform, security, installed client and
// password program, device settings, connection, enrollment conditions and
// certificate the space combines.
func Devices() []lifecycle.Device {
	sp := newSpace()
	// Every outer entry of a kind shares one inner slice: take the device
	// fields of its entries once per kind.
	projections := map[int][]int{}
	seen := map[stateKey]struct{}{}
	var kr keyer
	var devs []lifecycle.Device
	for o := range sp.outer {
		e := &sp.outer[o]
		inner := sp.kinds[e.kind]
		js, ok := projections[e.kind]
		if !ok {
			distinctInner := map[innerEntry]struct{}{}
			for j, in := range inner {
				in.method, in.site, in.enroll, in.renew = 0, lifecycle.Site{}, false, false
				if _, dup := distinctInner[in]; !dup {
					distinctInner[in] = struct{}{}
					js = append(js, j)
				}
			}
			projections[e.kind] = js
		}
		base := sp.scenario(e).Device
		for _, j := range js {
			in := &inner[j]
			dev := base
			dev.Connection, dev.Computer = in.conn, in.computer
			if in.setOther {
				setInstalled(&dev, !e.ownClient, in.other)
			}
			dev.Certificate, dev.Enrollment = in.cert, in.conds
			k := kr.key(&dev)
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			dev.Settings = slices.Clone(dev.Settings)
			devs = append(devs, dev)
		}
	}
	return devs
}

// Deployments returns the deployments [Explore] sends by default: for
// each component, method, package version, ClientInstallAction
// ([ini.Actions]) and repair asked for or not,
//
//   - one to a Mixed-mode site with every prerequisite in place;
//   - where the deployment can need a certificate (a client deployment
//     that can leave a client), also one to a Native-mode site, which
//     without CertEnrollAction=Enroll [lifecycle.CheckPrerequisites]
//     rejects where the device holds no certificate, and two with
//     CertEnrollAction=Enroll, with and without a renewal asked for;
//
// and for each component and method, one deployment of the first version
// (Install, no repair) for each site prerequisite the method needs,
// missing alone: the client agent, and the management point, distribution
// point and inventory extension where the method needs them.
//
// The methods are those of [lifecycle.Methods] less any that another
// method with the same needs makes redundant by reaching every connection
// it reaches (manual sync: manual transfer needs as little and reaches
// more). The site modes are Mixed and, where they can matter, Native.
//
// The package versions are those given, sorted, each once, leaving out
// invalid ones; when none is given, the space's three: older
// (4.0.6221.1000), the space's deployed version (4.0.6487.2000) and newer
// (4.0.6487.2157), so that, as packages come and go, a device's client is
// older, the same and newer than the next package. Every package has a
// folder complete for every platform ([lifecycle.CompleteFolder]) and the
// space's ClientSettings.ini for its actions (PollingInterval=60).
//
// Modelling choice: what no rule reads is held fixed, derived from the
// rule that owns it, as [Scenarios] does: the site mode, CertEnrollAction
// and renewal where no certificate can be needed, a redundant method. And
// a deployment that misses a prerequisite fails before anything runs and
// leaves the device as it was, whatever its package: one package per
// missing site prerequisite is sent, and the folder is always complete.
// [Check] runs every combination of them from every device of the space.
// A property that reads an input held fixed here sees only its value.
//
// With the three versions there are 259 deployments. Each call returns
// new slices: the caller may modify them.
func Deployments(versions ...version.Version) []lifecycle.Deployment {
	vs := slices.DeleteFunc(slices.Clone(versions), func(v version.Version) bool { return !v.IsValid() })
	if len(versions) == 0 {
		vs = []version.Version{spaceOlder, spaceDeployed, spaceNewer}
	}
	slices.SortFunc(vs, version.Version.Compare)
	vs = slices.Compact(vs)
	if len(vs) == 0 {
		return nil
	}
	def := DefaultScenario()
	actions := ini.Actions()
	settings := make([][2]ini.Settings, len(actions))
	for i, a := range actions {
		settings[i] = [2]ini.Settings{spaceSettings(a, false), spaceSettings(a, true)}
	}
	var modes []certs.SiteMode
	for _, m := range certs.SiteModes() {
		if !slices.ContainsFunc(modes, func(k certs.SiteMode) bool { return k.RequiresEnrollment() == m.RequiresEnrollment() }) {
			modes = append(modes, m)
		}
	}
	requiring := enrollingModes()
	type enrollment struct{ enroll, renew bool }
	var deps []lifecycle.Deployment
	for _, comp := range components() {
		ownClient := installedClient(def, comp)
		for _, mp := range sequenceMethods(def) {
			full := lifecycle.Site{ClientAgent: true, ManagementPoint: true, DistributionPoint: true, InventoryExtended: true}
			newDeployment := func(v version.Version, ai int, e enrollment, site lifecycle.Site) lifecycle.Deployment {
				enroll := 0
				if e.enroll {
					enroll = 1
				}
				return lifecycle.Deployment{
					Component: comp,
					Method:    mp.method,
					Package: lifecycle.Package{
						Version:  v,
						Folder:   lifecycle.CompleteFolder(certs.Platforms()...),
						Settings: settings[ai][enroll],
					},
					Site:             site,
					RenewCertificate: e.renew,
				}
			}
			for _, v := range vs {
				for ai, a := range actions {
					for _, repair := range []bool{false, true} {
						// CertEnrollAction, renewal and the site mode matter only
						// where the deployment can need a certificate; the mode
						// only to ask for CertEnrollAction=Enroll.
						enrollments, siteModes := []enrollment{{}}, modes[:1]
						if mayNeedCertificate(def, comp, ownClient, a, repair, requiring) {
							enrollments = append(enrollments, enrollment{enroll: true}, enrollment{enroll: true, renew: true})
							siteModes = modes
						}
						for _, e := range enrollments {
							for _, mode := range siteModes {
								if e.enroll && mode != modes[0] {
									continue
								}
								site := full
								site.Mode = mode
								d := newDeployment(v, ai, e, site)
								d.Repair = repair
								deps = append(deps, d)
							}
						}
					}
				}
			}
			install := slices.Index(actions, ini.ActionInstall)
			for _, miss := range []struct {
				needed bool
				field  func(*lifecycle.Site) *bool
			}{
				{true, func(s *lifecycle.Site) *bool { return &s.ClientAgent }},
				{mp.managementPoint, func(s *lifecycle.Site) *bool { return &s.ManagementPoint }},
				{mp.distributionPoint, func(s *lifecycle.Site) *bool { return &s.DistributionPoint }},
				{mp.inventory, func(s *lifecycle.Site) *bool { return &s.InventoryExtended }},
			} {
				if !miss.needed {
					continue
				}
				site := full
				site.Mode = modes[0]
				*miss.field(&site) = false
				deps = append(deps, newDeployment(vs[0], install, enrollment{}, site))
			}
		}
	}
	return deps
}

// mayNeedCertificate reports whether a deployment of comp with
// ClientInstallAction a, repair asked for or not, needs a certificate on a
// device in some state ([needsCertificate]): only then do CertEnrollAction,
// renewal and the site mode matter to it.
func mayNeedCertificate(def lifecycle.Scenario, comp lifecycle.Component, ownClient bool, a ini.Action, repair bool, requiring []certs.SiteMode) bool {
	for _, installed := range []version.Version{{}, spaceOlder, spaceDeployed, spaceNewer} {
		sc := def
		sc.Deployment.Component = comp
		sc.Deployment.Package.Settings.ClientInstallAction = a
		sc.Deployment.Repair = repair
		setInstalled(&sc.Device, ownClient, installed)
		if needsCertificate(sc, requiring) {
			return true
		}
	}
	return false
}

// sequenceMethods returns the methods [Deployments] sends: those of
// [lifecycle.Methods] that reach some connection, less any whose needs
// another has and that reaches no connection the other does not.
func sequenceMethods(def lifecycle.Scenario) []methodProbe {
	probes := probeMethods(def)
	return slices.DeleteFunc(slices.Clone(probes), func(mp methodProbe) bool {
		return slices.ContainsFunc(probes, func(other methodProbe) bool {
			return other.method != mp.method && sameNeeds(mp, other) &&
				len(other.conns) > len(mp.conns) && !slices.ContainsFunc(mp.conns, func(c lifecycle.Connection) bool { return !slices.Contains(other.conns, c) })
		})
	})
}

func sameNeeds(a, b methodProbe) bool {
	return a.managementPoint == b.managementPoint && a.distributionPoint == b.distributionPoint &&
		a.inventory == b.inventory && a.managed == b.managed
}

// stateKey is a device as a state of the graph: every field but the ID.
type stateKey struct {
	platform   certs.Platform
	client, pp version.Version
	security   certs.Security
	conn       lifecycle.Connection
	computer   string
	enrollment certs.EnrollmentConditions
	cert       bool
	settings   string // the settings, each length-prefixed
}

// keyer makes state keys. It interns the settings' encodings, which are
// few, so that a key costs no allocation once its settings were seen.
type keyer struct {
	buf    []byte
	intern map[string]string
}

func (kr *keyer) key(d *lifecycle.Device) stateKey {
	k := stateKey{
		platform: d.Platform, client: d.Client, pp: d.PasswordProgram, security: d.Security,
		conn: d.Connection, computer: d.Computer, enrollment: d.Enrollment, cert: d.Certificate,
	}
	if len(d.Settings) == 0 {
		return k
	}
	b := kr.buf[:0]
	for _, s := range d.Settings {
		b = strconv.AppendInt(b, int64(len(s.Key)), 10)
		b = append(b, ':')
		b = append(b, s.Key...)
		b = strconv.AppendInt(b, int64(len(s.Value)), 10)
		b = append(b, ':')
		b = append(b, s.Value...)
		b = strconv.AppendBool(b, s.UserChanged)
		b = append(b, ';')
	}
	kr.buf = b
	str, ok := kr.intern[string(b)]
	if !ok {
		if kr.intern == nil {
			kr.intern = map[string]string{}
		}
		str = string(b)
		kr.intern[str] = str
	}
	k.settings = str
	return k
}

// sendTable says which deployments go to which devices: those that the
// device's platform and connection, which no deployment changes, do not
// rule out before anything runs ([lifecycle.CheckPrerequisites]:
// [lifecycle.ErrConnection], [lifecycle.ErrPasswordProgramPlatform]).
// Indexed by platform, connection, component and method, all small
// numbers; a value beyond the table is sent nothing.
type sendTable [16][8][4][8]bool

func newSendTable() *sendTable {
	var t sendTable
	def := DefaultScenario()
	for _, p := range certs.Platforms() {
		for _, c := range lifecycle.Connections() {
			for _, comp := range components() {
				for _, m := range lifecycle.Methods() {
					sc := def
					sc.Device.Platform, sc.Device.Connection = p, c
					sc.Deployment.Component, sc.Deployment.Method = comp, m
					sc.Deployment.Package.Folder = lifecycle.CompleteFolder(p)
					err := lifecycle.CheckPrerequisites(sc)
					if errors.Is(err, lifecycle.ErrConnection) || errors.Is(err, lifecycle.ErrPasswordProgramPlatform) {
						continue
					}
					if int(p) < len(t) && int(c) < len(t[0]) && int(comp) < len(t[0][0]) && int(m) < len(t[0][0][0]) {
						t[p][c][comp][m] = true
					}
				}
			}
		}
	}
	return &t
}

func (t *sendTable) sends(dep *lifecycle.Deployment, dev *lifecycle.Device) bool {
	p, c, comp, m := int(dev.Platform), int(dev.Connection), int(dep.Component), int(dep.Method)
	return p < len(t) && c < len(t[0]) && comp < len(t[0][0]) && m < len(t[0][0][0]) && t[p][c][comp][m]
}

// sameDevice reports whether a and b are the same state: equal but for
// their IDs.
func sameDevice(a, b *lifecycle.Device) bool {
	return a.Platform == b.Platform && a.Client == b.Client && a.PasswordProgram == b.PasswordProgram &&
		a.Security == b.Security && a.Connection == b.Connection && a.Computer == b.Computer &&
		a.Enrollment == b.Enrollment && a.Certificate == b.Certificate && slices.Equal(a.Settings, b.Settings)
}
