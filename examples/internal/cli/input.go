package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"strconv"

	"github.com/mobiledm/dmclient/ini"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// Open opens the file name, or, when name is "", the file sampleName of
// sample, the sample files embedded in the command. It returns the name
// of the file it opened.
func Open(name string, sample fs.FS, sampleName string) (string, fs.File, error) {
	if name == "" {
		f, err := sample.Open(sampleName)
		return sampleName, f, err
	}
	f, err := os.Open(name)
	return name, f, err
}

// ReadSettings reads the ClientSettings.ini file that [Open] opens,
// reading at most [ini.MaxSize]+1 bytes of it: a larger file is an error
// that wraps [ini.ErrTooLarge]. It returns the file's name and its
// settings.
func ReadSettings(name string, sample fs.FS, sampleName string) (string, ini.Settings, error) {
	name, f, err := Open(name, sample, sampleName)
	if err != nil {
		return name, ini.Settings{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, ini.MaxSize+1))
	if err != nil {
		return name, ini.Settings{}, err
	}
	if len(data) > ini.MaxSize {
		return name, ini.Settings{}, fmt.Errorf("%s: %w: more than %d bytes", name, ini.ErrTooLarge, ini.MaxSize)
	}
	s, err := lifecycle.ReadSettings(name, data)
	return name, s, err
}

// Devices returns the devices a command runs: dec's, or, for the flag
// -generate, generate devices (when generate > 0) that go round the
// fleet's devices in order, the ids of the k-th round suffixed with "#k"
// ("ce-01#0", "ce-01#1", ...), a device that could not be read with its
// error each time. progress, if not nil, writes its line as they are
// pulled.
//
// For -generate it reads the whole fleet first, and returns an error when
// dec does, or when the fleet has no devices.
func Devices(dec *fleet.Decoder, generate int, progress *Progress) (iter.Seq2[fleet.Entry, error], error) {
	if generate <= 0 {
		return progress.wrap(dec.Devices(), -1), nil
	}
	type item struct {
		e   fleet.Entry
		err error
	}
	var base []item
	for e, err := range dec.Devices() {
		base = append(base, item{e, err})
	}
	if err := dec.Err(); err != nil {
		return nil, err
	}
	if len(base) == 0 {
		return nil, errors.New("-generate: the fleet has no devices")
	}
	return progress.wrap(func(yield func(fleet.Entry, error) bool) {
		for i := range generate {
			it := base[i%len(base)]
			it.e.Device.ID += "#" + strconv.Itoa(i/len(base))
			if !yield(it.e, it.err) {
				return
			}
		}
	}, generate), nil
}
