package ini_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/ini"
)

// benchDoc returns a realistic ClientSettings.ini of about size bytes.
func benchDoc(size int) []byte {
	var b strings.Builder
	b.WriteString("; ClientSettings.ini\r\n[ClientSettings]\r\nClientInstallAction=Install\r\nCertEnrollAction=Enroll\r\nInstaller=DMInstaller_PPC2003.exe\r\n\r\n[Environment]\r\n")
	for i := 0; b.Len() < size-40; i++ {
		fmt.Fprintf(&b, "Setting%02d = value number %d\r\n", i, i)
	}
	for b.Len() < size-2 {
		b.WriteByte(';')
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// benchFiles returns the inputs of the per-file benchmarks: every file of
// testdata and a 1 KiB document, by name.
func benchFiles(b *testing.B) ([]string, map[string][]byte) {
	names, _ := filepath.Glob("testdata/*.ini")
	files := map[string][]byte{}
	for i, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		names[i] = filepath.Base(name)
		files[names[i]] = data
	}
	names = append(names, "1KiB")
	files["1KiB"] = benchDoc(1024)
	return names, files
}

// BenchmarkParse and BenchmarkSettings run on the same inputs: compare a
// file's two figures from one run (go test -bench 'Parse|Settings$'
// -benchmem -count 3), as Settings is meant to cost at most 3 Parses. On a
// busy machine the two figures come from different moments; see
// BenchmarkSettingsPerParse for the ratio itself.
func BenchmarkParse(b *testing.B) {
	names, files := benchFiles(b)
	for _, name := range names {
		data := files[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ini.Parse(name, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSettings(b *testing.B) {
	names, files := benchFiles(b)
	for _, name := range names {
		f, err := ini.Parse(name, files[name])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(files[name])))
			for b.Loop() {
				_, _ = f.Settings() // some files hold invalid settings on purpose
			}
		})
	}
}

// BenchmarkSettingsPerParse reports, for each input, how many Parses of it
// one Settings costs: each op times a batch of Parses and a batch of
// Settings one after the other, so that both see the same machine, and the
// metric is the median of the ops' ratios (go test -run '^$' -bench
// SettingsPerParse).
func BenchmarkSettingsPerParse(b *testing.B) {
	const batch = 50
	names, files := benchFiles(b)
	for _, name := range names {
		data := files[name]
		f, err := ini.Parse(name, data)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			var ratios []float64
			for b.Loop() {
				start := time.Now()
				for range batch {
					_, _ = ini.Parse(name, data)
				}
				mid := time.Now()
				for range batch {
					_, _ = f.Settings()
				}
				ratios = append(ratios, float64(time.Since(mid))/float64(mid.Sub(start)))
			}
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "settings/parse")
		})
	}
}

// BenchmarkSetSettings writes the settings of a file with n keys back with
// its action changed, so that each call plans every key and makes one edit.
// ns/key stays flat as n grows: SetSettings is linear.
func BenchmarkSetSettings(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			data := manyKeys(n)
			if len(data) > ini.MaxSize {
				b.Fatalf("%d keys take %d bytes", n, len(data))
			}
			f, err := ini.Parse("ClientSettings.ini", data)
			if err != nil {
				b.Fatal(err)
			}
			s, err := f.Settings()
			if err != nil {
				b.Fatal(err)
			}
			actions := [2]ini.Action{ini.ActionNone, ini.ActionInstall}
			i := 0
			for b.Loop() {
				i ^= 1
				s.ClientInstallAction = actions[i]
				if _, err := f.SetSettings(s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
		})
	}
}

func BenchmarkGet(b *testing.B) {
	f, _ := ini.Parse("ClientSettings.ini", benchDoc(1024))
	for b.Loop() {
		if _, ok := f.Get("environment", "setting15"); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkSet(b *testing.B) {
	f, _ := ini.Parse("ClientSettings.ini", benchDoc(1024))
	v := [2]string{"1", "2"}
	i := 0
	for b.Loop() {
		i ^= 1
		if err := f.Set("Environment", "Setting10", v[i]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchDocSize(t *testing.T) {
	if n := len(benchDoc(1024)); n != 1024 {
		t.Errorf("benchDoc(1024) has %d bytes", n)
	}
}
