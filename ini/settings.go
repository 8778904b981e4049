package ini

import (
	"fmt"
	"slices"
	"strings"
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
// authentication certificate during installation.
const CertEnroll = "Enroll"

// DefaultSection is the section [File.SetSettings] writes a known key to
// when the file holds no known key and no section yet. Modelling choice: the
// documentation does not name the sections, so the name is the file's.
const DefaultSection = "ClientSettings"

// knownKeys lists the known keys in the order SetSettings writes them.
var knownKeys = [...]string{KeyClientInstallAction, KeyCertEnrollAction, KeyInstaller}

// knownKey returns the canonical spelling of key if it is a known key.
func knownKey(key string) (string, bool) {
	for _, k := range knownKeys {
		if strings.EqualFold(key, k) {
			return k, true
		}
	}
	return "", false
}

// Settings are the client settings a .ini file configures, decoded from the
// keys Windows reads (see [File.Settings]).
//
// Modelling choice: the documentation does not say which section holds
// which key, so a known key is found in any section: the first line Windows
// reads of it, in file order, counts. The same key with a different value in
// another section is reported as an [ErrConflict].
type Settings struct {
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
	// name (see [InstallerPlatform]), "" when absent.
	Installer string `json:"installer,omitempty"`
	// Known holds the entries the known values were decoded from, in file
	// order, with their values as written.
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

// Pair is one setting: a key and its value in a section.
type Pair struct {
	Section string `json:"section"`
	Key     string `json:"key"`
	Value   string `json:"value"`
}

// Pairs returns every setting s configures on the client, known and
// unknown, in the file order of Known and Unknown. Known keys carry the
// value of their field in its canonical spelling ("Install", "Enroll"); a
// known field that is absent (a defaulted action, an empty CertEnrollAction
// or Installer) gives no pair, and one that is set but has no entry in Known
// comes last with Section "".
func (s Settings) Pairs() []Pair {
	entries := slices.Concat(s.Known, s.Unknown)
	slices.SortStableFunc(entries, func(a, b Entry) int { return a.Line - b.Line })
	var out []Pair
	done := map[string]bool{}
	for _, e := range entries {
		name, known := knownKey(e.Key)
		if !known {
			out = append(out, Pair{e.Section, e.Key, e.Value})
			continue
		}
		if done[name] {
			continue
		}
		done[name] = true
		if v, ok := s.knownValue(name, e.Value); ok {
			out = append(out, Pair{e.Section, e.Key, v})
		}
	}
	for _, name := range knownKeys {
		if v, ok := s.knownValue(name, ""); ok && !done[name] && v != "" {
			out = append(out, Pair{Key: name, Value: v})
		}
	}
	return out
}

// knownValue returns the text of the field of the known key name and
// whether it is present. raw is what the file holds, used for an action
// that is neither set nor defaulted (an invalid value).
func (s Settings) knownValue(name, raw string) (string, bool) {
	switch name {
	case KeyClientInstallAction:
		switch {
		case s.ActionDefaulted:
			return "", false
		case s.ClientInstallAction.IsValid():
			return s.ClientInstallAction.String(), true
		}
		return raw, raw != ""
	case KeyCertEnrollAction:
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
// themselves are not documented, so any such token is accepted. A bad name
// is an error wrapping [ErrInvalidInstaller].
func InstallerPlatform(name string) (string, error) {
	const prefix, suffix = "DMInstaller_", ".exe"
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %q %s", ErrInvalidInstaller, name, why)
	}
	if len(name) < len(prefix)+len(suffix) ||
		!strings.EqualFold(name[:len(prefix)], prefix) ||
		!strings.EqualFold(name[len(name)-len(suffix):], suffix) {
		return bad("is not DMInstaller_<platform>.exe")
	}
	p := name[len(prefix) : len(name)-len(suffix)]
	switch {
	case p == "" || len(p) > 64:
		return bad("has a platform of 0 or more than 64 characters")
	case p[0] == '.' || p[len(p)-1] == '.' || strings.Contains(p, ".."):
		return bad("has a platform with a leading, trailing or double '.'")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return bad(fmt.Sprintf("has %q in its platform", c))
		}
	}
	return p, nil
}

// InstallerName returns the installer file name DMInstaller_<platform>.exe
// for platform, or an error wrapping [ErrInvalidInstaller] when the platform
// is not one [InstallerPlatform] accepts.
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
// leaves its field at its zero value. Unknown keys are listed in
// [Settings.Unknown], never rejected.
func (f *File) Settings() (Settings, error) {
	var s Settings
	var errs ErrorList
	first := map[string]Entry{}
	for _, e := range f.Entries() {
		name, known := knownKey(e.Key)
		if !known {
			s.Unknown = append(s.Unknown, e)
			continue
		}
		if prev, dup := first[name]; dup {
			if !strings.EqualFold(prev.Value, e.Value) {
				errs = append(errs, &Error{File: f.name, Line: e.Line, Key: e.Key, Err: fmt.Errorf(
					"%w: %q in [%s], %q in [%s] at line %d", ErrConflict, e.Value, e.Section, prev.Value, prev.Section, prev.Line)})
			}
			continue
		}
		first[name] = e
		s.Known = append(s.Known, e)
		if err := s.decode(name, e.Value); err != nil {
			errs = append(errs, &Error{File: f.name, Line: e.Line, Key: e.Key, Err: err})
		}
	}
	if _, ok := first[KeyClientInstallAction]; !ok {
		s.ClientInstallAction, s.ActionDefaulted = ActionInstall, true
	}
	if len(errs) > 0 {
		return s, errs
	}
	return s, nil
}

// decode sets the field of the known key name from value.
func (s *Settings) decode(name, value string) error {
	switch name {
	case KeyClientInstallAction:
		a, err := ParseAction(value)
		s.ClientInstallAction = a
		return err
	case KeyCertEnrollAction:
		switch {
		case value == "":
		case strings.EqualFold(value, CertEnroll):
			s.CertEnrollAction = CertEnroll
		default:
			return fmt.Errorf("%w: %q (want %q or nothing)", ErrInvalidCertEnrollAction, value, CertEnroll)
		}
		return nil
	}
	if _, err := InstallerPlatform(value); err != nil {
		return err
	}
	s.Installer = value
	return nil
}

// Warning is something an edit did that is allowed but ill-advised: Err
// says what (for now always [ErrDoNotModify]), at the 1-based line of the
// entry in the edited file (its line before removal for a removed key).
type Warning struct {
	File    string
	Line    int
	Section string
	Key     string
	Err     error
}

// String returns "file:line: [section] key: what".
func (w Warning) String() string {
	return fmt.Sprintf("%s:%d: [%s] %s: %s", w.File, w.Line, w.Section, w.Key, strings.TrimPrefix(w.Err.Error(), "ini: "))
}

// DoNotModify reports whether key, in a file of kind k, is one of the
// installer values the product marks "do not modify": the Installer key of
// DMCommonInstaller.ini. Modelling choice: the documentation does not list
// those values by name; Installer is the one it names.
func DoNotModify(k Kind, key string) bool {
	return k == KindDMCommonInstaller && strings.EqualFold(key, KeyInstaller)
}

// SetSettings writes s into f and changes only what changed: a known key
// whose value Windows reads (compared ignoring case) already equals the
// field is left as it is, and every entry of s.Unknown is written with
// [File.Set], which leaves an unchanged value alone. Unknown keys of the
// file that s.Unknown does not hold are kept, never deleted.
//
// A known key is written where the file has it (in every section where
// Windows reads it, which also resolves an [ErrConflict]); a new one goes
// into the section of the first known key, else the first section, else a
// new [DefaultSection]. A known field that is absent (ActionDefaulted, an
// empty CertEnrollAction or Installer) deletes its key.
//
// It returns a [Warning] for every edit of a value the product marks "do
// not modify" (see [DoNotModify]). On error f is unchanged: s must hold a
// valid or defaulted action, CertEnrollAction "" or Enroll, a valid or
// empty Installer, and no known key among Unknown.
func (f *File) SetSettings(s Settings) ([]Warning, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	g := f.Clone()
	var warns []Warning
	for _, name := range knownKeys {
		want, present := s.knownValue(name, "")
		present = present && want != ""
		var occ []Entry
		for _, e := range g.Entries() {
			if strings.EqualFold(e.Key, name) {
				occ = append(occ, e)
			}
		}
		var touched []Entry
		var edits []edit
		switch {
		case present && len(occ) == 0:
			e := Entry{Section: g.knownSection(), Key: name, Value: want}
			if err := g.Set(e.Section, e.Key, e.Value); err != nil {
				return nil, err
			}
			touched = append(touched, e)
		case present:
			for _, e := range occ {
				if !strings.EqualFold(e.Value, want) {
					ed, _ := g.valueEdit(e.Line-1, want)
					edits = append(edits, ed)
					touched = append(touched, e)
				}
			}
		default:
			for _, e := range occ {
				if name == KeyClientInstallAction || e.Value != "" {
					edits = append(edits, g.deleteEdits(e.Section, e.Key)...)
					touched = append(touched, e)
				}
			}
		}
		g.apply(edits)
		for _, e := range touched {
			if DoNotModify(f.Kind(), e.Key) {
				if _, k, _ := g.find(e.Section, e.Key); k >= 0 {
					e.Line = k + 1
				}
				warns = append(warns, Warning{File: f.name, Line: e.Line, Section: e.Section, Key: e.Key, Err: ErrDoNotModify})
			}
		}
	}
	for _, e := range s.Unknown {
		if err := g.Set(e.Section, e.Key, e.Value); err != nil {
			return nil, &Error{File: f.name, Line: e.Line, Key: e.Key, Err: err}
		}
	}
	*f = *g
	return warns, nil
}

// check reports whether SetSettings can write s.
func (s Settings) check() error {
	var errs ErrorList
	if !s.ActionDefaulted && !s.ClientInstallAction.IsValid() {
		errs = append(errs, &Error{Key: KeyClientInstallAction, Err: fmt.Errorf("%w: %v", ErrInvalidAction, s.ClientInstallAction)})
	}
	if s.CertEnrollAction != "" && !s.Enroll() {
		errs = append(errs, &Error{Key: KeyCertEnrollAction, Err: fmt.Errorf("%w: %q", ErrInvalidCertEnrollAction, s.CertEnrollAction)})
	}
	if s.Installer != "" {
		if _, err := InstallerPlatform(s.Installer); err != nil {
			errs = append(errs, &Error{Key: KeyInstaller, Err: err})
		}
	}
	for _, e := range s.Unknown {
		if _, known := knownKey(e.Key); known {
			errs = append(errs, &Error{Line: e.Line, Key: e.Key, Err: fmt.Errorf("%w: known key %q among Unknown", ErrInvalidName, e.Key)})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// knownSection returns the section a new known key goes into: that of the
// first known key Windows reads, else the first section, else
// DefaultSection.
func (f *File) knownSection() string {
	entries := f.Entries()
	for _, e := range entries {
		if _, known := knownKey(e.Key); known {
			return e.Section
		}
	}
	if secs := f.Sections(); len(secs) > 0 && secs[0].Name != "" {
		return secs[0].Name
	}
	return DefaultSection
}
