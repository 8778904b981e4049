package lifecycle

import (
	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
)

// ReadSettings decodes a package's DMCommonInstaller.ini or
// ClientSettings.ini, named name, into the settings a [Package] holds. Any
// settings error stops the package before anything runs, as an
// [*ini.Error] naming the file, the line and the key: the .ini's own
// errors (see [ini.File.Settings]), and an Installer naming a platform
// that does not exist.
func ReadSettings(name string, data []byte) (ini.Settings, error) {
	f, err := ini.Parse(name, data)
	if err != nil {
		return ini.Settings{}, err
	}
	s, err := f.Settings()
	if err != nil {
		return s, err
	}
	if s.Installer != "" && !knownInstaller(s.Installer) {
		return s, &ini.Error{File: s.File, Line: s.Line(ini.KeyInstaller), Key: ini.KeyInstaller,
			Err: errUnknownPlatform(s.Installer)}
	}
	return s, nil
}

func knownInstaller(name string) bool {
	for _, p := range certs.Platforms() {
		if p.IsInstallerName(name) {
			return true
		}
	}
	return false
}
