package lifecycle

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/internal/quote"
	"github.com/mobiledm/dmclient/version"
)

// The caps on the strings of a device's JSON form, so that no input can
// make a device, an error or a report large.
const (
	maxIDLen       = 256  // Device.ID and Device.Computer, in bytes
	maxSettings    = 1024 // entries of Device.Settings
	maxKeyLen      = 256  // Setting.Key, in bytes
	maxValueLen    = 4096 // Setting.Value, in bytes
	maxFolderFiles = 1024 // entries of Package.Folder
	maxNameLen     = 256  // each Package.Folder entry and any enumerated name, in bytes
	maxIniLen      = ini.MaxSize
)

// settingsFit returns why n settings, whose keys and values kv gives,
// could not be a device's in its JSON form (at most maxSettings, keys of
// at most maxKeyLen bytes, values of at most maxValueLen), or nil when
// they could.
func settingsFit(n int, kv func(int) (key, value string)) error {
	if n > maxSettings {
		return errors.New("more than " + strconv.Itoa(maxSettings) + " settings")
	}
	for i := range n {
		k, v := kv(i)
		if len(k) > maxKeyLen {
			return errors.New("a key longer than " + strconv.Itoa(maxKeyLen) + " bytes: " + quote.Short(k))
		}
		if len(v) > maxValueLen {
			return errors.New("the value of " + quote.Short(k) + " is longer than " + strconv.Itoa(maxValueLen) + " bytes")
		}
	}
	return nil
}

// members decodes the JSON object data member by member: each member's
// name must be one of fields (which decodes it), and no member may appear
// twice. Each error is an [*InputError] whose Field is path plus the
// member, or path itself for the object's own (invalid UTF-8, not an
// object, data after it).
func members(data []byte, path string, fields map[string]func(json.RawMessage) error) error {
	if !utf8.Valid(data) {
		return inputError(path, "invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // a number where an object belongs is a number token, not a float64 overflow
	tok, err := dec.Token()
	if err != nil {
		return inputError(path, syntaxReason(err))
	}
	if tok != json.Delim('{') {
		return inputError(path, "expected a JSON object")
	}
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return inputError(path, syntaxReason(err))
		}
		name := tok.(string) // an object's keys are strings
		field := join(path, quote.Name(name))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return inputError(field, syntaxReason(err))
		}
		decode, ok := fields[name]
		switch {
		case !ok:
			return inputError(field, "unknown member")
		case seen[name]:
			return inputError(field, "member given twice")
		}
		seen[name] = true
		if err := decode(raw); err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				return err
			}
			return &InputError{Field: field, Err: err}
		}
	}
	if _, err := dec.Token(); err != nil {
		return inputError(path, syntaxReason(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return inputError(path, "data after the JSON object")
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// syntaxReason is the message of a JSON decoding error, cut to about 200
// bytes: encoding/json quotes a bad number whole.
func syntaxReason(err error) string {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "unexpected end of JSON"
	}
	return cut(err.Error(), 2*quote.Max)
}

// cut returns msg cut at a rune boundary after at most max bytes, with
// "..." appended when anything was cut.
func cut(msg string, max int) string {
	if len(msg) <= max {
		return msg
	}
	n := max
	for n > 0 && !utf8.RuneStart(msg[n]) {
		n--
	}
	return msg[:n] + "..."
}

// cutError is an error of encoding/json with its message cut as
// [syntaxReason] cuts it: encoding/json quotes a number it cannot store
// whole ("cannot unmarshal number 1000...0 into ... of type int"). It
// unwraps to the error.
type cutError struct{ err error }

func (e cutError) Error() string { return syntaxReason(e.err) }
func (e cutError) Unwrap() error { return e.err }

// firstProblem is a settings error of [ReadSettings] whose message is
// that of the first problem of an [ini.ErrorList] and how many more there
// are: the list has one problem a line (a bare CR, say), so that 200 bytes
// of .ini text made a message of 2,000. The first problem's message is cut
// to about 600 bytes: a conflict quotes two values and a section, up to
// 405 bytes each when escaped, 1,306 bytes in all. It unwraps to the
// error.
type firstProblem struct{ err error }

func (e firstProblem) Error() string {
	var list ini.ErrorList
	if errors.As(e.err, &list) && len(list) > 1 {
		return cut(list[0].Error(), 6*quote.Max) + " (and " + strconv.Itoa(len(list)-1) + " more)"
	}
	return cut(e.err.Error(), 6*quote.Max)
}

func (e firstProblem) Unwrap() error { return e.err }

// jsonString decodes raw as a JSON string of at most max bytes.
func jsonString(raw json.RawMessage, max int) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New("expected a JSON string")
	}
	if len(s) > max {
		return "", errors.New("longer than " + strconv.Itoa(max) + " bytes: " + quote.Short(s))
	}
	return s, nil
}

// str returns a member decoder that stores a capped string in dst.
func str(dst *string, max int) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		s, err := jsonString(raw, max)
		*dst = s
		return err
	}
}

// text returns a member decoder that reads a JSON string into dst's
// UnmarshalText.
func text(dst interface{ UnmarshalText([]byte) error }) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		s, err := jsonString(raw, maxNameLen)
		if err != nil {
			return err
		}
		return dst.UnmarshalText([]byte(s))
	}
}

// flag returns a member decoder for a JSON boolean.
func flag(dst *bool) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		if err := json.Unmarshal(raw, dst); err != nil {
			return errors.New("expected true or false")
		}
		return nil
	}
}

// installedVersion returns a member decoder for an installed version:
// "none" or "" for nothing installed, otherwise a version.
func installedVersion(dst *version.Version) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		s, err := jsonString(raw, maxNameLen)
		if err != nil {
			return err
		}
		if s == "none" || s == "" {
			*dst = version.Version{}
			return nil
		}
		v, err := version.Parse(s)
		*dst = v
		return err
	}
}

// UnmarshalJSON decodes the fleet file's device block, strictly: an unknown
// member, a member given twice or a string over its cap is an
// [*InputError] naming the member, and invalid UTF-8 anywhere in the block
// one naming the block ("device"). "platform" and "connection" are
// names ([certs.Platform], [Connection]); "client" and "passwordProgram"
// are versions, or "none" (or "") for nothing installed; "security" is
// the name of a [certs.Configuration] such as "Restricted", or an object
// {"trustsMobile2Market": true, "privilegesRestricted": false};
// "enrollment" is {"caReachable": true, "authenticationSucceeds": true}
// (both false when absent); "settings" is a list of {"key", "value",
// "userChanged"}.
//
// The caps: "id" and "computer" 256 bytes; at most 1,024 settings, each
// key 256 bytes and value 4,096 bytes. Members left out keep their zero
// values.
func (d *Device) UnmarshalJSON(data []byte) error {
	var dev Device
	err := members(data, "device", map[string]func(json.RawMessage) error{
		"id":              str(&dev.ID, maxIDLen),
		"platform":        text(&dev.Platform),
		"client":          installedVersion(&dev.Client),
		"passwordProgram": installedVersion(&dev.PasswordProgram),
		"security":        security(&dev.Security),
		"connection":      text(&dev.Connection),
		"computer":        str(&dev.Computer, maxIDLen),
		"enrollment": func(raw json.RawMessage) error {
			return members(raw, "device.enrollment", map[string]func(json.RawMessage) error{
				"caReachable":            flag(&dev.Enrollment.CAReachable),
				"authenticationSucceeds": flag(&dev.Enrollment.AuthenticationSucceeds),
			})
		},
		"certificate": flag(&dev.Certificate),
		"settings":    settings(&dev.Settings),
	})
	if err != nil {
		return err
	}
	*d = dev
	return nil
}

func security(dst *certs.Security) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		if len(raw) > 0 && raw[0] == '"' {
			var c certs.Configuration
			if err := text(&c)(raw); err != nil {
				return err
			}
			*dst = c.Security()
			return nil
		}
		return members(raw, "device.security", map[string]func(json.RawMessage) error{
			"trustsMobile2Market":  flag(&dst.TrustsMobile2Market),
			"privilegesRestricted": flag(&dst.PrivilegesRestricted),
		})
	}
}

func settings(dst *[]Setting) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var raws []json.RawMessage
		if err := json.Unmarshal(raw, &raws); err != nil {
			return errors.New("expected a JSON array")
		}
		if len(raws) > maxSettings {
			return errors.New("more than " + strconv.Itoa(maxSettings) + " settings")
		}
		if len(raws) == 0 {
			// No settings are nil, as in the zero Device and as
			// MarshalJSON leaves them out: [] decodes equal to no member.
			*dst = nil
			return nil
		}
		out := make([]Setting, len(raws))
		for i, r := range raws {
			s := &out[i]
			err := members(r, "device.settings["+strconv.Itoa(i)+"]", map[string]func(json.RawMessage) error{
				"key":         str(&s.Key, maxKeyLen),
				"value":       str(&s.Value, maxValueLen),
				"userChanged": flag(&s.UserChanged),
			})
			if err != nil {
				return err
			}
		}
		*dst = out
		return nil
	}
}

// UnmarshalJSON decodes a package strictly: "version" (required), "folder"
// (a list of file names; when absent, [CompleteFolder] of every platform),
// and the .ini configuration either as "ini", the text of a
// ClientSettings.ini, or as "settings", the JSON of [ini.Settings] (where
// an unknown member is an error too); neither
// means the settings of an empty ClientSettings.ini. A settings error in
// the .ini text (see [ini.File.Settings]) is an error here, before
// anything runs.
func (p *Package) UnmarshalJSON(data []byte) error {
	return p.unmarshal(data, "package")
}

func (p *Package) unmarshal(data []byte, path string) error {
	var (
		pkg                   Package
		haveVersion, haveFile bool
		iniText               *string
		settings              *ini.Settings
	)
	err := members(data, path, map[string]func(json.RawMessage) error{
		"version": func(raw json.RawMessage) error {
			haveVersion = true
			return installedVersion(&pkg.Version)(raw)
		},
		"folder": func(raw json.RawMessage) error {
			haveFile = true
			var names []string
			if err := json.Unmarshal(raw, &names); err != nil {
				return errors.New("expected a list of file names")
			}
			if len(names) > maxFolderFiles {
				return errors.New("more than " + strconv.Itoa(maxFolderFiles) + " files")
			}
			for _, n := range names {
				if len(n) > maxNameLen {
					return errors.New("a file name longer than " + strconv.Itoa(maxNameLen) + " bytes: " + quote.Short(n))
				}
			}
			pkg.Folder = newFolder(names)
			return nil
		},
		"ini": func(raw json.RawMessage) error {
			s, err := jsonString(raw, maxIniLen)
			iniText = &s
			return err
		},
		"settings": func(raw json.RawMessage) error {
			settings = new(ini.Settings)
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(settings); err != nil {
				return cutError{err}
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	switch {
	case !haveVersion || !pkg.Version.IsValid():
		return inputError(join(path, "version"), "a package needs a version")
	case iniText != nil && settings != nil:
		return inputError(path, `both "ini" and "settings" given`)
	case settings != nil:
		pkg.Settings = *settings
	default:
		var text []byte
		if iniText != nil {
			text = []byte(*iniText)
		}
		s, err := ReadSettings("ClientSettings.ini", text)
		if err != nil {
			return &InputError{Field: join(path, "ini"), Err: firstProblem{err}}
		}
		pkg.Settings = s
	}
	if !haveFile {
		pkg.Folder = CompleteFolder(certs.Platforms()...)
	}
	*p = pkg
	return nil
}

// UnmarshalJSON decodes a deployment strictly: "component" (default
// "client"), "method", "package" (see [Package.UnmarshalJSON]), "site"
// ({"mode", "clientAgent", "managementPoint", "distributionPoint",
// "inventoryExtended"}), "repair" and "renewCertificate".
func (d *Deployment) UnmarshalJSON(data []byte) error {
	return d.unmarshal(data, "deployment")
}

func (d *Deployment) unmarshal(data []byte, path string) error {
	dep := Deployment{Component: Client}
	err := members(data, path, map[string]func(json.RawMessage) error{
		"component": text(&dep.Component),
		"method":    text(&dep.Method),
		"package":   func(raw json.RawMessage) error { return dep.Package.unmarshal(raw, join(path, "package")) },
		"site": func(raw json.RawMessage) error {
			return members(raw, join(path, "site"), map[string]func(json.RawMessage) error{
				"mode":              text(&dep.Site.Mode),
				"clientAgent":       flag(&dep.Site.ClientAgent),
				"managementPoint":   flag(&dep.Site.ManagementPoint),
				"distributionPoint": flag(&dep.Site.DistributionPoint),
				"inventoryExtended": flag(&dep.Site.InventoryExtended),
			})
		},
		"repair":           flag(&dep.Repair),
		"renewCertificate": flag(&dep.RenewCertificate),
	})
	if err != nil {
		return err
	}
	*d = dep
	return nil
}

// UnmarshalJSON decodes {"device": ..., "deployment": ...} strictly; see
// [Device.UnmarshalJSON] and [Deployment.UnmarshalJSON].
func (sc *Scenario) UnmarshalJSON(data []byte) error {
	var s Scenario
	err := members(data, "scenario", map[string]func(json.RawMessage) error{
		"device":     func(raw json.RawMessage) error { return s.Device.UnmarshalJSON(raw) },
		"deployment": func(raw json.RawMessage) error { return s.Deployment.unmarshal(raw, "deployment") },
	})
	if err != nil {
		return err
	}
	*sc = s
	return nil
}

// MarshalJSON encodes d in the form [Device.UnmarshalJSON] reads, with
// "none" for a component that is not installed.
func (d Device) MarshalJSON() ([]byte, error) {
	type plain Device
	w := struct {
		plain
		Client          string `json:"client"`
		PasswordProgram string `json:"passwordProgram"`
	}{plain: plain(d), Client: installedText(d.Client), PasswordProgram: installedText(d.PasswordProgram)}
	return json.Marshal(w)
}

func installedText(v version.Version) string {
	if !v.IsValid() {
		return "none"
	}
	return v.String()
}
