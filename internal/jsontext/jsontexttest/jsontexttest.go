// Package jsontexttest holds what the tests of the module's hand-written
// JSON encoders compare their output with.
package jsontexttest

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Std is v as encoding/json encodes it with HTML escaping off (as the
// hand-written encoders write), without the encoder's trailing newline.
func Std(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
