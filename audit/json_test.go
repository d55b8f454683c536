package audit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/jsontext/jsontexttest"
)

// fillValue sets every field reachable from v (a pointer) to a value made from
// seed, so a field added to Record and forgotten by AppendJSON makes
// TestAppendJSONMatchesEncodingJSON fail rather than vanish from the trail.
func fillValue(v reflect.Value, seed int, strs []string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillValue(v.Elem(), seed, strs)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 5, 13, 4, 5, seed*1000, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fillValue(v.Field(i), seed+i, strs)
		}
	case reflect.String:
		v.SetString(strs[seed%len(strs)])
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(seed*7919 - 3))
	case reflect.Float64:
		v.SetFloat([]float64{0.97, 1, 0, 1e-7, 0.123456789012345, 1e21}[seed%6])
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 3, 3)
		for i := range 3 {
			fillValue(s.Index(i), seed+i, strs)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 3 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fillValue(k, seed+i*5, strs)
			fillValue(e, seed+i, strs)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	default:
		panic("fill: add a case for " + v.Kind().String())
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	strs := []string{"Kaspersky Lab", "", `q"uote\back`, "tab\tnl\n\x00", "Лаборатория <&> Касперского",
		"bad\xffutf8", "line\u2028sep", "华为技术有限公司"}
	full := Record{}
	fillValue(reflect.ValueOf(&full), 1, strs)
	cases := map[string]Record{
		"every field": full,
		"api screening": {ID: "0190b4c6-0b5e-7a3c-9d1e-2f3a4b5c6d7e", Time: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC),
			KeyID: "k1", Channel: ChannelAPI, Query: &Query{Name: "Kaspersky Lab", Limit: 10, MinScore: 0.85},
			ListVersion: "2a664a3ab2ac1a84", Status: StatusMatch, MatchCount: 1,
			TopMatches: []Match{{ID: "e1", List: "Entity List", Name: "AO Kaspersky Lab", Score: 0.953}}},
		"empty": {},
		"zone":  {Time: time.Date(2026, 6, 1, 0, 0, 0, 0, time.FixedZone("x", 3600+1800))},
	}
	for seed := range 40 {
		var r Record
		fillValue(reflect.ValueOf(&r), seed, strs)
		cases["seed "+string(rune('A'+seed))] = r
	}
	for name, r := range cases {
		want := jsontexttest.Std(t, r)
		got := r.AppendJSON([]byte("prefix"))
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("%s: the prefix is lost: %s", name, got)
		}
		if got = got[len("prefix"):]; !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	// fillValue must have reached every field: a zero field would be omitted
	// from both encodings and so checked by nothing.
	var back map[string]any
	if err := json.Unmarshal(full.AppendJSON(nil), &back); err != nil {
		t.Fatal(err)
	}
	if n, want := len(back), reflect.TypeFor[Record]().NumField(); n != want {
		t.Errorf("the filled record encodes %d fields, Record has %d", n, want)
	}
}

func BenchmarkRecordJSON(b *testing.B) {
	r := Record{ID: "0190b4c6-0b5e-7a3c-9d1e-2f3a4b5c6d7e", ClientRequestID: "req-1", Time: time.Now(),
		KeyID: "k1", Channel: ChannelAPI, Query: &Query{Name: "Huawei Technologies Co Ltd", Limit: 10, MinScore: 0.85},
		ListVersion: "2a664a3ab2ac1a84", Status: StatusMatch, MatchCount: 12}
	for i := range TopMatchesKept {
		r.TopMatches = append(r.TopMatches, Match{ID: "b0c7d5e1a2f3" + string(rune('a'+i)), List: "Entity List (EL) - Bureau of Industry and Security",
			Name: "Huawei Technologies Co., Ltd.", Score: 0.95 - float64(i)/100})
	}
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = r.AppendJSON(buf[:0])
		}
	})
}
