package jsontext

import (
	"bytes"
	"math"
	"testing"

	"github.com/cslscreen/screener/internal/jsontext/jsontexttest"
)

func TestAppendStringAndFloat(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r", "\x00\x01\x1f\x7f", "Касперский", "bad\xffutf8\xc3",
		"line\u2028sep\u2029", "<&>", "emoji 🙂", "Kaspersky\u2019s"} {
		if got, want := AppendString(nil, s), jsontexttest.Std(t, s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
	for _, f := range []float64{0, 1, 0.5, 0.7924, 0.78, 1e-7, 1.5e-9, 123456789, 1e21, 3e22, -0.25, math.SmallestNonzeroFloat64} {
		if got, want := AppendFloat(nil, f), jsontexttest.Std(t, f); !bytes.Equal(got, want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}
