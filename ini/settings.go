package ini

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mobiledm/dmclient/internal/quote"
)

// The keys the product documentation names. Names compare ignoring case.
const (
	// KeyClientInstallAction says what DMClientSetup does: None, Install or
	// Uninstall (see [Action]).
	KeyClientInstallAction = "ClientInstallAction"
	// KeyCertEnrollAction set to [CertEnroll] enforces certificate
	// enrollment during installation.
	KeyCertEnrollAction = "CertEnrollAction"
	// KeyInstaller is the platform-specific installer file name,
	// DMInstaller_<platform>.exe.
	KeyInstaller = "Installer"
)

// CertEnroll is the one documented CertEnrollAction value: enroll a user
// authentication certificate during installation. With a single value the
// key is a switch, so [Settings.CertEnrollAction] is this text or empty
// rather than an enumerated type.
const CertEnroll = "Enroll"

// DefaultSection is the section [File.SetSettings] writes a known key to
// when the file holds no known key and no section yet, or a first section
// without a name ("[]"). Modelling choice: the documentation does not name
// the sections, so the name is the file's.
const DefaultSection = "ClientSettings"

// The known keys, in the order SetSettings writes them.
const (
	knownAction = iota
	knownCertEnroll
	knownInstaller
	nKnown
)

// knownName returns the canonical spelling of known key i.
func knownName(i int) string {
	return [nKnown]string{KeyClientInstallAction, KeyCertEnrollAction, KeyInstaller}[i]
}

// knownIndex returns the index of key among the known keys, or -1.
func knownIndex(key string) int {
	if key == "" {
		return -1
	}
	switch c := key[0]; {
	case c == 'C' || c == 'c':
		if equalFold(key, KeyClientInstallAction) {
			return knownAction
		}
		if equalFold(key, KeyCertEnrollAction) {
			return knownCertEnroll
		}
	case c == 'I' || c == 'i':
		if equalFold(key, KeyInstaller) {
			return knownInstaller
		}
	case c >= 0x80: // a letter that folds like an ASCII one, in theory
		for i := range nKnown {
			if equalFold(key, knownName(i)) {
				return i
			}
		}
	}
	return -1
}

// Settings are the client settings a .ini file configures, decoded from the
// keys Windows reads (see [File.Settings]).
//
// Modelling choice: the documentation does not say which section holds
// which key, so a known key is found in any section: the first line Windows
// reads of it, in file order, counts. The same key with a different value in
// another section is reported as a conflict.
type Settings struct {
	// File is the name of the file the settings were read from
	// ([File.Name]), so that a caller can report a problem with them as an
	// [*Error] (see [Settings.Line]); "" for settings made otherwise.
	File string `json:"file,omitempty"`
	// ClientInstallAction is the effective action. Modelling choice: when
	// the file has no ClientInstallAction it is ActionInstall (the package
	// exists to install; DMCommonInstaller.ini ships with Install) and
	// ActionDefaulted is true. An invalid value leaves the zero Action.
	ClientInstallAction Action `json:"clientInstallAction,omitempty"`
	// ActionDefaulted reports that the file has no ClientInstallAction.
	ActionDefaulted bool `json:"actionDefaulted,omitempty"`
	// CertEnrollAction is CertEnroll ("Enroll") when the file enforces
	// certificate enrollment, "" when the key is absent or empty
	// (modelling choice: an empty value means no enrollment).
	CertEnrollAction string `json:"certEnrollAction,omitempty"`
	// Installer is the installer file name, a bare DMInstaller_<platform>.exe
	// name (see [InstallerPlatform]), "" when the key is absent or empty
	// (modelling choice: an empty value means no installer is named, as for
	// CertEnrollAction, and [File.SetSettings] leaves an empty value alone).
	Installer string `json:"installer,omitempty"`
	// Known holds the entries the known values were decoded from, in file
	// order, each value as Windows reads it (see [Entry]), before it is
	// decoded.
	Known []Entry `json:"known,omitempty"`
	// Unknown holds every other key Windows reads, in file order. Unknown
	// keys are never an error.
	Unknown []Entry `json:"unknown,omitempty"`
}

// Enroll reports whether s enforces certificate enrollment
// (CertEnrollAction=Enroll, ignoring case).
func (s Settings) Enroll() bool { return strings.EqualFold(s.CertEnrollAction, CertEnroll) }

// Platform returns the platform of the installer, DMInstaller_<platform>.exe,
// or "" when s has no valid Installer.
func (s Settings) Platform() string {
	p, err := InstallerPlatform(s.Installer)
	if err != nil {
		return ""
	}
	return p
}

// Line returns the 1-based line of the entry in [Settings.Known] whose key
// is key (compared ignoring case), or 0 when the value of key did not come
// from the file. With [Settings.File] it places a problem that a caller
// finds in a value, such as an Installer for the wrong platform:
//
//	&ini.Error{File: s.File, Line: s.Line(ini.KeyInstaller), Key: ini.KeyInstaller, Err: err}
func (s Settings) Line(key string) int {
	for _, e := range s.Known {
		if equalFold(e.Key, key) {
			return e.Line
		}
	}
	return 0
}

// Pair is one setting: a key and its value in a section.
type Pair struct {
	Section string `json:"section"`
	Key     string `json:"key"`
	Value   string `json:"value"`
}

// Pairs returns every setting s configures on the client, known and
// unknown, in the file order of Known and Unknown. Known keys carry the
// value of their field in its canonical spelling ("Install", "Enroll"), and
// an invalid action (the zero Action, not defaulted) the value of its entry
// in Known, when that is not empty; a known field that is absent (a
// defaulted action, an empty CertEnrollAction or Installer) gives no pair,
// and one that is set but has no entry in Known comes last with Section "".
func (s Settings) Pairs() []Pair {
	entries := slices.Concat(s.Known, s.Unknown)
	slices.SortStableFunc(entries, func(a, b Entry) int { return a.Line - b.Line })
	out := make([]Pair, 0, len(entries)+nKnown)
	var done [nKnown]bool
	for _, e := range entries {
		i := knownIndex(e.Key)
		if i < 0 {
			out = append(out, Pair{e.Section, e.Key, e.Value})
			continue
		}
		if done[i] {
			continue
		}
		done[i] = true
		if v, ok := s.knownValue(i, e.Value); ok {
			out = append(out, Pair{e.Section, e.Key, v})
		}
	}
	for i := range nKnown {
		if v, ok := s.knownValue(i, ""); ok && !done[i] && v != "" {
			out = append(out, Pair{Key: knownName(i), Value: v})
		}
	}
	return out
}

// Value returns the value s configures on the client for key, and whether
// it configures one: the Value of the first [Settings.Pairs] pair whose Key
// equals key ignoring case (strings.EqualFold), found without building the
// pairs. It does not allocate.
func (s Settings) Value(key string) (string, bool) {
	i := knownIndex(key)
	found, line, value := false, 0, ""
	// Pairs walks Known then Unknown in a stable order by line: the first
	// entry of the least line that names key wins.
	for _, entries := range [2][]Entry{s.Known, s.Unknown} {
		for _, e := range entries {
			k := knownIndex(e.Key)
			if (i >= 0 && k == i || i < 0 && k < 0 && strings.EqualFold(e.Key, key)) && (!found || e.Line < line) {
				found, line, value = true, e.Line, e.Value
			}
		}
	}
	if i >= 0 {
		return s.knownValue(i, value)
	}
	return value, found
}

// knownValue returns the text of the field of known key i and whether it
// is present. raw is what the file holds, used for an action that is
// neither set nor defaulted (an invalid value).
func (s Settings) knownValue(i int, raw string) (string, bool) {
	switch i {
	case knownAction:
		switch {
		case s.ActionDefaulted:
			return "", false
		case s.ClientInstallAction.IsValid():
			return s.ClientInstallAction.String(), true
		}
		return raw, raw != ""
	case knownCertEnroll:
		if s.Enroll() {
			return CertEnroll, true
		}
		return "", false
	}
	return s.Installer, s.Installer != ""
}

// InstallerPlatform checks that name is a bare installer file name of the
// form DMInstaller_<platform>.exe (prefix and extension ignoring case) and
// returns the platform as written. So that a tool reading the file can never
// be led to run another file, the platform is 1 to 64 ASCII letters, digits,
// '_', '-' and '.', neither starting nor ending with '.' and without "..";
// there is no path, drive or stream. Modelling choice: the platform tokens
// themselves are not documented, so any such token is accepted.
func InstallerPlatform(name string) (string, error) {
	p, why := installerPlatform(name)
	if why > 0 {
		return "", &problem{text: name, what: badInstaller, why: why, v1: int32(len(name))}
	}
	return p, nil
}

// installerWhy says why a name is not an installer file name.
var installerWhy = [...]string{
	1: "not DMInstaller_<platform>.exe",
	2: "the platform has 0 or more than 64 characters",
	3: "the platform has a leading, trailing or double '.'",
	4: "the platform has a character other than ASCII letters, digits, '_', '-' and '.'",
}

// installerPlatform returns the platform of the installer file name, or
// why name is not one (an index of installerWhy; 0 for a valid name).
func installerPlatform(name string) (platform string, why uint8) {
	const prefix, suffix = "DMInstaller_", ".exe"
	if len(name) < len(prefix)+len(suffix) ||
		!strings.EqualFold(name[:len(prefix)], prefix) ||
		!strings.EqualFold(name[len(name)-len(suffix):], suffix) {
		return "", 1
	}
	p := name[len(prefix) : len(name)-len(suffix)]
	switch {
	case p == "" || len(p) > 64:
		return "", 2
	case p[0] == '.' || p[len(p)-1] == '.' || strings.Contains(p, ".."):
		return "", 3
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return "", 4
		}
	}
	return p, 0
}

// InstallerName returns the installer file name DMInstaller_<platform>.exe
// for platform, or an error when the platform is not one
// [InstallerPlatform] accepts.
func InstallerName(platform string) (string, error) {
	name := "DMInstaller_" + platform + ".exe"
	if _, err := InstallerPlatform(name); err != nil {
		return "", err
	}
	return name, nil
}

// Settings decodes the client settings of f from the keys Windows reads. It
// reports every problem at once, as an [ErrorList] of [*Error] with the file
// name, line and key, and still returns what it could decode: a bad value
// leaves its field at its zero value. The problems are an invalid
// ClientInstallAction, CertEnrollAction or Installer value, a known key
// with different values in two sections, and a bare CR. Unknown keys are
// listed in [Settings.Unknown], never rejected.
//
// A bare CR, one that is not part of a CRLF line ending, does not end a line
// for Windows: "[S]\rClientInstallAction=Uninstall" is one section line, and
// the key after the CR is not read. Settings decodes the file as Windows
// reads it and reports every line with a CR followed by more text on it as
// an [*Error] with the line and no key. Modelling choice: it is an error,
// not a warning, because text its author meant as settings is silently
// lost: the example above installs the client instead of removing it. A CR
// at the end of a line's text is only a blank and is not reported.
func (f *File) Settings() (Settings, error) {
	s := Settings{File: f.name}
	var errs errorSink
	f.bareCRs(&errs)
	crErrs := len(errs.list)
	// The entries share one array of a slot a key line: Unknown fills it
	// from the front, and Known, at most one entry a known key, follows.
	entries := make([]Entry, f.keys)
	var known [nKnown]Entry
	nu, nk := 0, 0
	var first [nKnown]int    // for each known key, 1 + its index in known
	var firstSec [nKnown]int // and the first header of its section
	secName := ""            // the name of the section of the keys Windows reads
	f.walk(func(sec, k int, name string, effective bool) {
		if k < 0 {
			secName = name
			return
		}
		if !effective {
			return
		}
		i := knownIndex(name)
		if i < 0 {
			entries[nu] = Entry{Section: secName, Key: name, Value: f.value(k), Line: k + 1}
			nu++
			return
		}
		value := f.value(k)
		switch {
		case first[i] > 0:
			if prev := &known[first[i]-1]; !strings.EqualFold(prev.Value, value) {
				p := errs.add(f.name, k+1, name)
				f.problem(p, conflict, k)
				p.p0, p.p1 = f.unquotedValue(prev.Line - 1)
				p.s0, p.s1 = f.lines[firstSec[i]].a, f.lines[firstSec[i]].b
				p.prevLine = int32(prev.Line)
			}
		default:
			known[nk] = Entry{Section: secName, Key: name, Value: value, Line: k + 1}
			nk++
			first[i], firstSec[i] = nk, sec
			if what, why := s.decode(i, value); what > 0 {
				p := errs.add(f.name, k+1, name)
				f.problem(p, what, k)
				p.why = why
			}
		}
	})
	if nk > 0 {
		s.Known = entries[nu : nu+nk : nu+nk]
		copy(s.Known, known[:nk])
	}
	if nu > 0 {
		s.Unknown = entries[:nu:nu]
	}
	if first[knownAction] == 0 {
		s.ClientInstallAction, s.ActionDefaulted = ActionInstall, true
	}
	if len(errs.list) == 0 {
		return s, nil
	}
	if crErrs > 0 && crErrs < len(errs.list) {
		slices.SortStableFunc(errs.list, func(a, b *Error) int { return a.Line - b.Line })
	}
	return s, errs.list
}

// bareCRs adds an error for every line with a bare CR inside its text.
func (f *File) bareCRs(errs *errorSink) {
	crs := strings.Count(f.text[f.body():], "\r")
	for k := 0; k < len(f.lines) && crs > 0; k++ {
		if f.lines[k].eol() == 2 {
			crs--
		}
	}
	if crs == 0 {
		return // every CR ends a line
	}
	for k := range f.lines {
		l := &f.lines[k]
		i, j := trim(f.text, l.start(), l.end())
		if c := strings.IndexByte(f.text[i:j], '\r'); c >= 0 {
			for c = i + c; isBlank(f.text[c]); c++ {
			}
			p := errs.add(f.name, k+1, "")
			p.text, p.what, p.v0, p.v1 = f.text, bareCR, int32(c), int32(j)
		}
	}
}

// decode sets the field of known key i from value, or returns the kind of
// problem with it (0 for none) and, for an Installer, why.
func (s *Settings) decode(i int, value string) (what, why uint8) {
	switch i {
	case knownAction:
		for _, a := range Actions() {
			if strings.EqualFold(value, a.String()) {
				s.ClientInstallAction = a
				return 0, 0
			}
		}
		return badAction, 0
	case knownCertEnroll:
		switch {
		case value == "":
		case strings.EqualFold(value, CertEnroll):
			s.CertEnrollAction = CertEnroll
		default:
			return badCertEnroll, 0
		}
	default:
		if value == "" {
			return 0, 0
		}
		if _, why := installerPlatform(value); why > 0 {
			return badInstaller, why
		}
		s.Installer = value
	}
	return 0, 0
}

// problem makes p a problem of the given kind with the value of key line k.
func (f *File) problem(p *problem, what uint8, k int) {
	p.text, p.what = f.text, what
	p.v0, p.v1 = f.unquotedValue(k)
}

// unquotedValue returns the span of the value of key line k as Windows
// reads it.
func (f *File) unquotedValue(k int) (int32, int32) {
	v0, v1 := f.lines[k].value(f.text)
	if quoted(f.text[v0:v1]) {
		v0, v1 = v0+1, v1-1
	}
	return int32(v0), int32(v1)
}

// The kinds of problem.
const (
	badAction = iota + 1
	badCertEnroll
	badInstaller
	conflict
	bareCR
)

// problem is the cause of an error of Settings, put into words only when
// its message is asked for. It holds offsets into the text of the file as
// it was (text is never modified), so that it costs one pointer.
type problem struct {
	text     string // the file's text, or the name InstallerPlatform checked
	what     uint8
	why      uint8 // for an Installer: an index of installerWhy
	prevLine int32 // the line of the first value of a conflict
	v0, v1   int32 // the value at fault; for a bare CR, the text after it
	p0, p1   int32 // the first value of a conflict
	s0, s1   int32 // and the name of its section
}

func (p *problem) Error() string {
	value := quote.Short(p.text[p.v0:p.v1])
	switch p.what {
	case badAction:
		return "ini: unknown Action " + value + " (accepted: None, Install, Uninstall)"
	case badCertEnroll:
		return "ini: unknown CertEnrollAction " + value + " (accepted: Enroll, or an empty value)"
	case badInstaller:
		return "ini: invalid installer file name " + value + ": " + installerWhy[p.why]
	case conflict:
		return fmt.Sprintf("ini: conflicting values: %s here, %s in [%s] at line %d",
			value, quote.Short(p.text[p.p0:p.p1]), quote.Name(p.text[p.s0:p.s1]), p.prevLine)
	}
	return "ini: bare CR: it ends no line for Windows, which reads " + value + " after it as part of this line"
}

// errorSink collects the errors of Settings in few allocations: an Error
// and its problem live side by side in chunks, which are never copied, so
// that the pointers to them stay valid; the first chunk and the list share
// one allocation.
type errorSink struct {
	list  ErrorList
	chunk []located
}

// located is an Error and the problem it wraps.
type located struct {
	Error
	problem
}

// add adds an error at line (1-based) and key of file and returns its
// problem, zero, for the caller to fill in.
func (s *errorSink) add(file string, line int, key string) *problem {
	if len(s.chunk) == cap(s.chunk) {
		if s.list == nil {
			first := new(struct {
				list  [4]*Error
				chunk [4]located
			})
			s.list, s.chunk = first.list[:0], first.chunk[:0]
		} else {
			s.chunk = make([]located, 0, 2*len(s.list))
		}
	}
	s.chunk = s.chunk[:len(s.chunk)+1]
	v := &s.chunk[len(s.chunk)-1]
	v.File, v.Line, v.Key, v.Err = file, line, key, &v.problem
	s.list = append(s.list, &v.Error)
	return &v.problem
}

// Warning reports an edit of [File.SetSettings] that is allowed but
// ill-advised: it changed a value that DMCommonInstaller.ini marks "do not
// modify" (see [DoNotModify]). Line is the 1-based line of the entry in the
// edited file (its line before the edit for a removed key).
type Warning struct {
	File    string
	Line    int
	Section string
	Key     string
}

// String returns "file:line: [section] key: ...".
func (w Warning) String() string {
	return fmt.Sprintf("%s:%d: [%s] %s: DMCommonInstaller.ini installer values are marked do not modify", w.File, w.Line, w.Section, w.Key)
}

// DoNotModify reports whether key, in a file of kind k, is one of the
// installer values the product marks "do not modify": the Installer key of
// DMCommonInstaller.ini. Modelling choice: the documentation does not list
// those values by name; Installer is the one it names.
func DoNotModify(k Kind, key string) bool {
	return k == KindDMCommonInstaller && equalFold(key, KeyInstaller)
}

// SetSettings writes s into f and changes only what changed, in one pass
// over the file: a known key whose value Windows reads (compared ignoring
// case) already equals the field is left as it is, and every key of
// s.Unknown gets the value of its last entry there, written as [File.Set]
// writes it into f (a value Windows already reads is left alone; new keys
// follow in the order of their first entries). Unknown keys of the file
// that s.Unknown does not hold are kept, never deleted. So SetSettings of
// what [File.Settings] returned without error changes nothing.
//
// A known key is written where the file has it (in every section where
// Windows reads it, which also resolves a conflict); a new one goes into
// the section of the first known key Windows reads in f before the edit,
// else the first section if it has a name, else [DefaultSection]. A known
// field that is absent (ActionDefaulted, an empty CertEnrollAction or
// Installer) deletes its key as [File.Delete] does, except that an empty
// CertEnrollAction or Installer value, which Windows reads as absent too,
// is left alone.
//
// It returns a [Warning] for every edit of a value the product marks "do
// not modify" (see [DoNotModify]). On error f is unchanged: s must hold a
// valid or defaulted action, CertEnrollAction "" or Enroll, a valid or
// empty Installer, and no known key among Unknown; what it writes must be
// writable by [File.Set]; and the file must not grow past [MaxSize] (an
// error that [errors.Is] [ErrTooLarge]).
func (f *File) SetSettings(s Settings) ([]Warning, error) {
	if err := s.check(f.name); err != nil {
		return nil, err
	}
	e := settingsEdit{f: f}
	e.scan()
	e.known(s)
	if err := e.unknown(s.Unknown); err != nil {
		return nil, err
	}
	e.place()
	if err := f.commit(&e.plan); err != nil {
		return nil, err
	}
	var warns []Warning
	for _, t := range e.touched {
		if DoNotModify(f.Kind(), t.Key) {
			line := t.line
			if t.out != nil {
				line = *t.out
			}
			warns = append(warns, Warning{File: f.name, Line: line, Section: t.Section, Key: t.Key})
		}
	}
	return warns, nil
}

// check reports whether SetSettings can write s.
func (s Settings) check(file string) error {
	var errs ErrorList
	if !s.ActionDefaulted && !s.ClientInstallAction.IsValid() {
		errs = append(errs, &Error{File: file, Key: KeyClientInstallAction, Err: fmt.Errorf("cannot write the invalid %v", s.ClientInstallAction)})
	}
	if s.CertEnrollAction != "" && !s.Enroll() {
		errs = append(errs, &Error{File: file, Key: KeyCertEnrollAction, Err: fmt.Errorf("cannot write %s (accepted: Enroll, or an empty value)", quote.Short(s.CertEnrollAction))})
	}
	if s.Installer != "" {
		if _, err := InstallerPlatform(s.Installer); err != nil {
			errs = append(errs, &Error{File: file, Key: KeyInstaller, Err: err})
		}
	}
	for _, e := range s.Unknown {
		if knownIndex(e.Key) >= 0 {
			errs = append(errs, &Error{File: file, Line: e.Line, Key: e.Key, Err: fmt.Errorf("a known key among Unknown")})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// settingsEdit is the plan of one SetSettings.
type settingsEdit struct {
	f    *File
	plan plan

	secs, keys nameSet // the first header of each section name; the first line of each key in each
	first      int     // the first header, -1 when none
	occ        [nKnown][]keyLine
	dups       [nKnown][]keyLine // lines of known keys Windows does not read, in first sections

	valAt   map[int]int       // index in plan.vals of the op on a line
	news    []newKey          // new keys in order
	newAt   map[[2]string]int // index in news of a new key, by folded section and key
	tail    []string          // the names of the new sections in order, as written
	tailAt  map[string]int    // index in tail of a new section, by folded name
	touched []touched
}

// keyLine is a key line and the first header of its section.
type keyLine struct{ sec, k int }

// newKey is a key line to insert: into the section whose first header is
// line sec, or into the new section tail[-sec-1].
type newKey struct {
	sec   int
	line  string
	touch int // index in touched, or -1
}

// touched records an edit of a known key, for the warnings.
type touched struct {
	Entry
	line int  // the 1-based line of a removed key
	out  *int // the line after the edit
}

// scan records the sections and keys of the file in one pass.
func (e *settingsEdit) scan() {
	f := e.f
	e.secs, e.keys = newNameSet(f, f.nSecs(), nil), newNameSet(f, int(f.keys), nil)
	e.first = -1
	sec, secEffective := -1, false
	for i := range f.lines {
		l := &f.lines[i]
		switch l.kind() {
		case lineSection:
			sec = e.secs.add(-1, i, f.nameOf(i))
			secEffective = sec == i
			if secEffective && e.first < 0 {
				e.first = i
			}
		case lineKey:
			if !secEffective {
				continue
			}
			name := f.nameOf(i)
			effective := e.keys.add(int32(sec), i, name) == i
			if j := knownIndex(name); j >= 0 && effective {
				e.occ[j] = append(e.occ[j], keyLine{sec, i})
			} else if j >= 0 {
				e.dups[j] = append(e.dups[j], keyLine{sec, i})
			}
		}
	}
}

// known plans the edits of the known keys.
func (e *settingsEdit) known(s Settings) {
	f := e.f
	// The section of a new known key: that of the first known key Windows
	// reads, else the first section, else DefaultSection.
	knownSec, firstKnown := -1, -1
	for j := range nKnown {
		if len(e.occ[j]) > 0 && (firstKnown < 0 || e.occ[j][0].k < firstKnown) {
			knownSec, firstKnown = e.occ[j][0].sec, e.occ[j][0].k
		}
	}
	secName := DefaultSection
	switch {
	case knownSec >= 0:
		secName = f.nameOf(knownSec)
	case e.first >= 0 && f.nameOf(e.first) != "":
		knownSec, secName = e.first, f.nameOf(e.first)
	default:
		knownSec = e.secs.find(-1, DefaultSection)
	}
	for j := range nKnown {
		want, present := s.knownValue(j, "")
		present = present && want != ""
		occ := e.occ[j]
		switch {
		case present && len(occ) == 0:
			e.touched = append(e.touched, touched{Entry: Entry{Section: secName, Key: knownName(j), Value: want}, out: new(int)})
			e.addNew(secName, knownSec, knownName(j), want, len(e.touched)-1)
		case present:
			for _, o := range occ {
				if strings.EqualFold(f.value(o.k), want) {
					continue
				}
				op, _ := f.valueOp(o.k, want)
				op.out = new(int)
				e.plan.vals = append(e.plan.vals, op)
				e.touched = append(e.touched, touched{Entry: f.entry(o.sec, o.k), out: op.out})
			}
		default:
			dups := e.dups[j]
			for _, o := range occ {
				if j != knownAction && f.value(o.k) == "" {
					continue
				}
				e.plan.drops = append(e.plan.drops, o.k)
				e.touched = append(e.touched, touched{Entry: f.entry(o.sec, o.k), line: o.k + 1})
				for len(dups) > 0 && dups[0].sec < o.sec {
					dups = dups[1:]
				}
				for len(dups) > 0 && dups[0].sec == o.sec {
					e.plan.drops = append(e.plan.drops, dups[0].k)
					dups = dups[1:]
				}
			}
		}
	}
}

// unknown plans the edits of the entries of Unknown: for each key, the
// value of its last entry, as Set would write it into the file.
func (e *settingsEdit) unknown(entries []Entry) error {
	f := e.f
	for _, u := range entries {
		sec := e.secs.find(-1, u.Section)
		k := -1
		if sec >= 0 {
			k = e.keys.find(int32(sec), u.Key)
		}
		if k < 0 {
			if err := e.checkNew(sec, u); err != nil {
				return err
			}
			e.addNew(u.Section, sec, u.Key, u.Value, -1)
			continue
		}
		i, planned := e.valAt[k]
		if !planned && f.value(k) == u.Value {
			continue
		}
		if err := f.checkValue(u.Value); err != nil {
			return &Error{File: f.name, Line: u.Line, Key: u.Key, Err: err}
		}
		op, changed := f.valueOp(k, u.Value)
		if !changed {
			v0, v1 := f.lines[k].value(f.text)
			op = valueOp{k: k, a: int32(v0), b: int32(v1), s: f.text[v0:v1]}
		}
		if !planned {
			if e.valAt == nil {
				e.valAt = map[int]int{}
			}
			i = len(e.plan.vals)
			e.valAt[k] = i
			e.plan.vals = append(e.plan.vals, op)
		}
		e.plan.vals[i] = op
	}
	return nil
}

// checkNew checks that Set could write the new key of entry u, whose
// section has its first header at line sec (-1: a new section).
func (e *settingsEdit) checkNew(sec int, u Entry) error {
	err := e.f.checkKey(u.Key)
	if err == nil {
		err = e.f.checkValue(u.Value)
	}
	if err == nil && sec < 0 {
		err = e.f.checkSection(u.Section)
	}
	if err != nil {
		return &Error{File: e.f.name, Line: u.Line, Key: u.Key, Err: err}
	}
	return nil
}

// addNew plans a new key line in section, whose first header is line sec
// (-1: none yet), or changes its value when an earlier entry planned it.
func (e *settingsEdit) addNew(section string, sec int, key, value string, touch int) {
	if sec < 0 {
		name := foldKey(section)
		t, ok := e.tailAt[name]
		if !ok {
			if e.tailAt == nil {
				e.tailAt = map[string]int{}
			}
			t = len(e.tailAt)
			e.tailAt[name] = t
			e.tail = append(e.tail, section)
		}
		sec = -t - 1
	}
	id := [2]string{foldKey(section), foldKey(key)}
	if n, ok := e.newAt[id]; ok {
		nk := &e.news[n]
		key, _, _ = strings.Cut(nk.line, "=")
		nk.line = key + "=" + writeValue(value)
		return
	}
	if e.newAt == nil {
		e.newAt = map[[2]string]int{}
	}
	e.newAt[id] = len(e.news)
	e.news = append(e.news, newKey{sec: sec, line: key + "=" + writeValue(value), touch: touch})
}

// place turns the new keys into insertions after the last key line of
// their section that stays, and into the lines of the new sections.
func (e *settingsEdit) place() {
	f := e.f
	var dropped map[int]bool
	if len(e.news) > 0 && len(e.plan.drops) > 0 {
		dropped = make(map[int]bool, len(e.plan.drops))
		for _, k := range e.plan.drops {
			dropped[k] = true
		}
	}
	anchors := map[int]int{}
	groups := make([][]insertOp, len(e.tail))
	for _, nk := range e.news {
		op := insertOp{s: nk.line}
		if nk.touch >= 0 {
			op.out = e.touched[nk.touch].out
		}
		if nk.sec < 0 {
			groups[-nk.sec-1] = append(groups[-nk.sec-1], op)
			continue
		}
		after, ok := anchors[nk.sec]
		if !ok {
			after = nk.sec
			for i := nk.sec + 1; i < len(f.lines) && f.lines[i].kind() != lineSection; i++ {
				if f.lines[i].kind() == lineKey && !dropped[i] {
					after = i
				}
			}
			anchors[nk.sec] = after
		}
		op.after = after
		e.plan.ins = append(e.plan.ins, op)
	}
	for t, name := range e.tail {
		e.plan.tail = append(e.plan.tail, insertOp{s: "[" + name + "]"})
		e.plan.tail = append(e.plan.tail, groups[t]...)
	}
}
