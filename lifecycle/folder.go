package lifecycle

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/ini"
)

// Folder is a deployment folder: the names of its files, in the order
// given, and what they hold for each platform, worked out once when the
// Folder is made. Checking whether a folder is complete for a device's
// platform ([CheckPrerequisites], [Machine.Deploy]) then costs a bit test,
// however many files it holds and however many devices share its package.
//
// A Folder is a value, like a [time.Time]: it cannot change once made, and
// is safe to share between goroutines. The zero Folder is empty. Use
// [Folder.Equal] to compare two (go-cmp does). Its JSON form is the list
// of names, read as part of a [Package].
//
// A name is a file of the folder only when it is a bare name: one with a
// path separator ('\' or '/'), a drive (':') or ".." is kept but does not
// count.
type Folder struct {
	names []string
	// files has bit 2(p-1) set when the folder holds the installer of
	// platform p, and bit 2(p-1)+1 when it holds its setup program.
	files uint32
	// ini reports a DMCommonInstaller.ini or ClientSettings.ini.
	ini bool
}

// NewFolder returns the folder holding the files names, which it copies.
func NewFolder(names ...string) Folder {
	return newFolder(slices.Clone(names))
}

// newFolder returns the folder of names, which it keeps.
func newFolder(names []string) Folder {
	f := Folder{names: names}
	for _, name := range names {
		// An installer or setup name is bare by its form; only the .ini
		// file's name needs the path check.
		if len(name) > 4 && strings.EqualFold(name[len(name)-4:], ".exe") {
			for _, p := range certs.Platforms() {
				installer, setup := platformFiles(p)
				switch {
				case p.IsInstallerName(name):
					f.files |= installer
				case p.IsSetupName(name):
					f.files |= setup
				}
			}
		} else if !f.ini && len(name) > 4 && strings.EqualFold(name[len(name)-4:], ".ini") {
			f.ini = bareName(name) && ini.KindOf(name) != ini.KindUnknown
		}
	}
	return f
}

// CompleteFolder returns a deployment folder that is complete for the given
// platforms: their DMInstaller_<token>.exe and DMClientSetup_<token>.exe
// ([certs.Platform.InstallerName], [certs.Platform.SetupName]) and a
// ClientSettings.ini.
func CompleteFolder(platforms ...certs.Platform) Folder {
	names := make([]string, 0, 2*len(platforms)+1)
	for _, p := range platforms {
		names = append(names, p.InstallerName(), p.SetupName())
	}
	return newFolder(append(names, "ClientSettings.ini"))
}

// Names returns a copy of the folder's file names, in the order they were
// given.
func (f Folder) Names() []string { return slices.Clone(f.names) }

// Equal reports whether f and g hold the same names in the same order.
func (f Folder) Equal(g Folder) bool { return slices.Equal(f.names, g.names) }

// MarshalJSON encodes the folder as the JSON list of its names.
func (f Folder) MarshalJSON() ([]byte, error) {
	if f.names == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(f.names)
}

// platformFiles returns the bits of files for p's installer and setup
// program, 0 for an invalid platform.
func platformFiles(p certs.Platform) (installer, setup uint32) {
	if !p.IsValid() {
		return 0, 0
	}
	return 1 << (2 * (p - 1)), 1 << (2*(p-1) + 1)
}

// lack is a set of the files a deployment folder lacks for a platform.
type lack uint8

const (
	lackInstaller lack = 1 << iota
	lackSetup
	lackIni
)

// lacks returns the files f lacks for a deployment on p: none when it is
// complete.
func (f Folder) lacks(p certs.Platform) lack {
	installer, setup := platformFiles(p)
	var l lack
	if installer == 0 || f.files&installer == 0 {
		l |= lackInstaller
	}
	if setup == 0 || f.files&setup == 0 {
		l |= lackSetup
	}
	if !f.ini {
		l |= lackIni
	}
	return l
}

// names names the files of l for platform p.
func (l lack) names(p certs.Platform) string {
	var names []string
	if l&lackInstaller != 0 {
		names = append(names, p.InstallerName())
	}
	if l&lackSetup != 0 {
		names = append(names, p.SetupName())
	}
	if l&lackIni != 0 {
		names = append(names, "DMCommonInstaller.ini or ClientSettings.ini")
	}
	return strings.Join(names, ", ")
}

// bareName reports whether name is a file name with no path, drive or
// "..": '\', '/' and ':' do not occur, nor "..".
func bareName(name string) bool {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\', '/', ':':
			return false
		case '.':
			if i+1 < len(name) && name[i+1] == '.' {
				return false
			}
		}
	}
	return true
}
