package ini_test

import (
	"fmt"
	"strings"
	"testing"

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

func BenchmarkParse1KiB(b *testing.B) {
	data := benchDoc(1024)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ini.Parse("ClientSettings.ini", data); err != nil {
			b.Fatal(err)
		}
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

func BenchmarkSettings(b *testing.B) {
	f, _ := ini.Parse("ClientSettings.ini", benchDoc(1024))
	for b.Loop() {
		if _, err := f.Settings(); err != nil {
			b.Fatal(err)
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
