package roundtrip_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/internal/roundtrip"
)

type pair struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// refusing decodes from nothing.
type refusing struct{}

func (*refusing) UnmarshalJSON([]byte) error { return errors.New("refused") }

// recorder is a TB that records the failure it is given.
type recorder struct{ failed string }

func (*recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestJSON(t *testing.T) {
	back, data := roundtrip.JSON(t, pair{Name: "wm6-01", Count: 3})
	if back != (pair{Name: "wm6-01", Count: 3}) || string(data) != `{"name":"wm6-01","count":3}` {
		t.Errorf("JSON = %+v, %s", back, data)
	}
}

func TestJSONFails(t *testing.T) {
	var r recorder
	roundtrip.JSON(&r, make(chan int))
	if !strings.Contains(r.failed, "chan int does not encode") {
		t.Errorf("a channel: %q", r.failed)
	}
	r = recorder{}
	roundtrip.JSON(&r, refusing{})
	if !strings.Contains(r.failed, "{} does not decode: refused") {
		t.Errorf("a refusing decoder: %q", r.failed)
	}
}
