package cli_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/examples/internal/cli"
)

// failAfter accepts n bytes, then fails every write.
type failAfter struct {
	n   int
	b   strings.Builder
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		f.b.Write(p[:f.n])
		n := f.n
		f.n = 0
		return n, f.err
	}
	f.n -= len(p)
	return f.b.Write(p)
}

func TestWriter(t *testing.T) {
	var b strings.Builder
	w := cli.NewWriter(&b, 0)
	fmt.Fprintf(w, "a%d", 1)
	if b.Len() != 0 {
		t.Errorf("wrote %q before Flush", b.String())
	}
	if err := w.Flush(); err != nil || b.String() != "a1" || w.Err() != nil {
		t.Errorf("Flush: %v, %q", err, b.String())
	}

	full := errors.New("disk full")
	dst := &failAfter{n: 5, err: full}
	w = cli.NewWriter(dst, 4)
	io.WriteString(w, "abc")
	io.WriteString(w, "defgh") // fills the buffer: the write fails
	if _, err := io.WriteString(w, "ij"); err != full {
		t.Errorf("a write after the error: %v", err)
	}
	if err := w.Flush(); err != full || w.Err() != full {
		t.Errorf("Flush: %v, Err: %v", err, w.Err())
	}
	w.Fail(errors.New("later"))
	if w.Err() != full {
		t.Errorf("Fail replaced the first error: %v", w.Err())
	}

	w = cli.NewWriter(io.Discard, 0)
	w.Fail(nil)
	w.Fail(full)
	w.Fail(errors.New("later"))
	if _, err := io.WriteString(w, "x"); err != full || w.Flush() != full {
		t.Errorf("after Fail: %v, %v", err, w.Err())
	}
}

// TestJSON: a command's JSON output, streamed, is the object that
// json.MarshalIndent would write; a value that cannot be encoded is null
// and the Writer's error.
func TestJSON(t *testing.T) {
	for _, tc := range []struct {
		items []any
		err   error
		want  string
	}{
		{nil, nil, "{\n  \"name\": \"a\\u001b\",\n  \"list\": [],\n  \"report\": {\n    \"n\": 1\n  }\n}\n"},
		{[]any{1, map[string]int{"x": 2}}, errors.New("stopped"),
			"{\n  \"name\": \"a\\u001b\",\n  \"list\": [\n    1,\n    {\n      \"x\": 2\n    }\n  ],\n  \"report\": {\n    \"n\": 1\n  },\n  \"error\": \"stopped\"\n}\n"},
	} {
		var b strings.Builder
		w := cli.NewWriter(&b, 0)
		fmt.Fprintf(w, "{\n  \"name\": %s,", w.JSON("a\x1b", ""))
		l := cli.NewJSONList(w, "list")
		for _, v := range tc.items {
			l.Add(v)
		}
		l.Close()
		w.EndJSON(map[string]int{"n": 1}, tc.err)
		if err := w.Flush(); err != nil || b.String() != tc.want {
			t.Errorf("%v: %v,\n%s\nwant\n%s", tc.items, err, b.String(), tc.want)
		}
	}
	w := cli.NewWriter(io.Discard, 0)
	if got := string(w.JSON(math.Inf(1), "")); got != "null" || w.Err() == nil || !strings.HasPrefix(w.Err().Error(), "writing JSON: ") {
		t.Errorf("JSON(+Inf) = %s, %v", got, w.Err())
	}
}
