// Package roundtrip encodes a value as JSON and decodes it again, for the
// tests of the packages whose types have a JSON form.
//
// It does not import testing, so that it takes any test's T.
package roundtrip

import "encoding/json"

// TB is the part of testing.TB that [JSON] uses: a *testing.T and a
// *rapid.T are one.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// JSON returns v encoded as JSON and decoded into a new T, and the JSON.
// It fails the test with Fatalf when v does not encode or its JSON does
// not decode.
func JSON[T any](t TB, v T) (T, []byte) {
	t.Helper()
	var back T
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T does not encode: %v", v, err)
		return back, nil
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("%s does not decode: %v", data, err)
	}
	return back, data
}
