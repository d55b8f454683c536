package lists

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the list parser: it must return a
// list or an error, never panic, and every entry it keeps must have an id,
// a name and a source.
//
//	go test ./lists -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/quirks.csv"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"_id,source,name\n1,EL,Alpha\n",
		"source,name,alt_names\nEL,\"A, \"\"B\"\"\",x;  and y\n",
		`{"results":[{"id":"1","source":"EL","name":"A","alt_names":["B"],"addresses":[{"country":"RU"}]}],"total":1}`,
		`{"results":[{"id":1,"source":null,"name":["x"]}]}`,
		"\xef\xbb\xbf_id,source,name\n1,EL,\"multi\nline\"\n",
		"\x1f\x8b\x08\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(bytes.NewReader(data), ParseOptions{MaxBadFraction: 1})
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) && p != nil {
				t.Fatalf("error %v with a result", err)
			}
			return
		}
		for _, e := range p.Entries {
			if e.ID == "" || e.Name == "" || e.Source == "" {
				t.Fatalf("entry without id, name or source: %+v", e)
			}
		}
		if p.Rows != len(p.Entries)+p.BadRows {
			t.Fatalf("rows %d != entries %d + bad %d", p.Rows, len(p.Entries), p.BadRows)
		}
	})
}
