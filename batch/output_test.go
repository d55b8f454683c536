package batch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func sampleResults() []Result {
	return []Result{
		{Row: Row{Line: 2, Reference: "A", Name: "Kaspersky Lab", Country: "RU", DateOfBirth: "1962", Nationality: "RU", Identifier: "7713140469", Extra: []Field{{Col: 0, Value: "retail"}, {Col: 1, Value: "x"}}},
			Outcome: Outcome{Status: StatusMatch, BestScore: 0.97, MatchCount: 4, Matches: []TopMatch{
				{ID: "k1", List: "EL", Name: "AO Kaspersky Lab", MatchedName: "Kaspersky Lab", Score: 0.97},
				{ID: "k2", List: "EL", Name: "Kaspersky Labs Limited", MatchedName: "Kaspersky Labs", Score: 0.9},
				{ID: "k3", List: "EL", Name: "OOO Kaspersky Group", MatchedName: "Kaspersky Group", Score: 0.81},
			}}},
		{Row: Row{Line: 3, Reference: "B", Name: "Line\nbreak \"quoted\" \u2028 \x01"}, Outcome: Outcome{Status: StatusClear, Suppressed: []SuppressedMatch{
			{Brief: TopMatch{ID: "k8", List: "EL", Name: "Line Break Ltd", MatchedName: "Line Break", Score: 0.91}, SuppressedBy: "dc_1"},
			{Brief: TopMatch{ID: "k9", List: "SDN", Name: "Line Brake", MatchedName: "Line Brake", Score: 0.85}, SuppressedBy: "dc_2"},
		}}},
		{Row: Row{Line: 5}, Outcome: Outcome{Status: StatusError, Error: "the row has 3 fields; the header has 2"}},
	}
}

func TestCodecRoundTrip(t *testing.T) {
	res := sampleResults()
	got, err := decodeResults(encodeResults(res))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, res) {
		t.Errorf("results round trip:\n%+v\nwant\n%+v", got, res)
	}
	rows := []Row{res[0].Row, res[1].Row, {Line: 9, Err: "bad"}}
	gotRows, err := decodeRows(encodeRows(rows))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotRows, rows) {
		t.Errorf("rows round trip:\n%+v\nwant\n%+v", gotRows, rows)
	}
	// A chunk of rows written by a replica of codec version 2, before
	// rows had facts, still reads.
	old := encoder{b: []byte{codecRows, 2}}
	old.uint(1)
	old.uint(4)
	for _, s := range []string{"R", "Acme", "US", "Entity", ""} {
		old.str(s)
	}
	old.uint(0)
	gotOld, err := decodeRows(old.deflate())
	if want := []Row{{Line: 4, Reference: "R", Name: "Acme", Country: "US", Type: "Entity"}}; err != nil || !reflect.DeepEqual(gotOld, want) {
		t.Errorf("version 2 rows: %+v, %v; want %+v", gotOld, err, want)
	}
	if _, err := decodeRows(encodeResults(res)); err == nil {
		t.Error("results decoded as rows")
	}
	if _, err := decodeResults([]byte("garbage")); err == nil {
		t.Error("garbage decoded")
	}
}

func TestCSVResults(t *testing.T) {
	j := &Job{ListVersion: "v1", Columns: []string{"segment", "status"}}
	var b bytes.Buffer
	w := NewResultWriter(&b, CSV, j)
	for _, r := range sampleResults() {
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(recs[0], ",")
	want := "line,reference,name,country,type,status,best_score,match_count," +
		"match_1_id,match_1_list,match_1_name,match_1_score,match_2_id,match_2_list,match_2_name,match_2_score," +
		"match_3_id,match_3_list,match_3_name,match_3_score,error,list_version,warnings,segment,input_status,suppressed_by"
	if head != want {
		t.Errorf("header\n%s\nwant\n%s", head, want)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	if row["status"] != "match" || row["best_score"] != "0.97" || row["match_count"] != "4" || row["match_3_id"] != "k3" ||
		row["segment"] != "retail" || row["input_status"] != "x" || row["list_version"] != "v1" || row["suppressed_by"] != "" {
		t.Errorf("row %v", row)
	}
	if recs[2][2] != "Line\nbreak \"quoted\" \u2028 \x01" || recs[2][6] != "" || recs[2][7] != "0" || recs[2][25] != "dc_1;dc_2" {
		t.Errorf("clear row %q", recs[2])
	}
	if recs[3][5] != "error" || recs[3][20] != "the row has 3 fields; the header has 2" || recs[3][7] != "" {
		t.Errorf("error row %q", recs[3])
	}

	// An upload's own suppressed_by column is passed through renamed.
	if cols := ResultColumns(&Job{Columns: []string{"suppressed_by"}}); strings.Join(cols[len(cols)-2:], ",") != "input_suppressed_by,suppressed_by" {
		t.Errorf("columns %q", cols)
	}

	// No rows: still a header.
	b.Reset()
	NewResultWriter(&b, CSV, j).Flush()
	if !strings.HasPrefix(b.String(), "line,reference,") {
		t.Errorf("empty results %q", b.String())
	}
}

func TestJSONLResults(t *testing.T) {
	for _, raw := range []bool{false, true} {
		j := &Job{ListVersion: "v1", Columns: []string{"segment", "n"}, RawExtras: raw}
		res := sampleResults()
		if raw {
			res[0].Extra = []Field{{Col: 0, Value: `"retail"`}, {Col: 1, Value: `[1,{"a":2}]`}}
		}
		var b bytes.Buffer
		w := NewResultWriter(&b, JSONL, j)
		for i := range res {
			w.Write(&res[i])
		}
		w.Flush()
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(lines) != 3 {
			t.Fatalf("%d lines: %q", len(lines), b.String())
		}
		var got []resultLine
		for _, l := range lines {
			if !json.Valid([]byte(l)) {
				t.Fatalf("invalid JSON line %q", l)
			}
			var one resultLine
			json.Unmarshal([]byte(l), &one)
			got = append(got, one)
		}
		if got[0].Matches[2].MatchedName != "Kaspersky Group" || got[0].BestScore != 0.97 || got[0].ListVersion != "v1" || got[0].Columns["segment"] != "retail" {
			t.Errorf("raw=%v match row %+v", raw, got[0])
		}
		if raw && !reflect.DeepEqual(got[0].Columns["n"], []any{1.0, map[string]any{"a": 2.0}}) {
			t.Errorf("raw JSON passthrough %v", got[0].Columns["n"])
		}
		if got[1].Name != "Line\nbreak \"quoted\" \u2028 \x01" || got[1].Matches == nil || len(got[1].Suppressed) != 2 ||
			got[1].Suppressed[1].ID != "k9" || got[1].Suppressed[1].List != "SDN" || got[1].Suppressed[1].SuppressedBy != "dc_2" || got[1].Suppressed[0].Score != 0.91 {
			t.Errorf("clear row %+v", got[1])
		}
		if got[2].Status != "error" || got[2].Error == "" || got[2].Line != 5 || got[2].Suppressed != nil || strings.Contains(lines[2], "suppressed") {
			t.Errorf("error row %+v", got[2])
		}
	}
}

// resultLine is a JSON lines result row as a client reads it.
type resultLine struct {
	Line       int
	Reference  string
	Name       string
	Status     string
	BestScore  float64 `json:"best_score"`
	MatchCount int     `json:"match_count"`
	Matches    []struct {
		ID, List, Name string
		MatchedName    string `json:"matched_name"`
		Score          float64
	}
	Suppressed []struct {
		ID, List, Name string
		MatchedName    string `json:"matched_name"`
		Score          float64
		SuppressedBy   string `json:"suppressed_by"`
	}
	Error       string
	ListVersion string `json:"list_version"`
	Columns     map[string]any
}

func TestCSVResultsEscapeFormulas(t *testing.T) {
	j := &Job{ListVersion: "v1", Columns: []string{"=cmd|' /C calc'!A0", "notes"}}
	r := Result{
		Row: Row{Line: 2, Reference: "-2+3", Name: "=HYPERLINK(\"http://x\")", Country: "+1", Type: "@SUM(A1)",
			Extra: []Field{{Col: 0, Value: "\tTAB"}, {Col: 1, Value: "\rCR"}}},
		Outcome: Outcome{Status: StatusMatch, BestScore: 0.9, MatchCount: 1,
			Matches: []TopMatch{{ID: "=id", List: "-EL", Name: "@Listed", Score: 0.9}}},
	}
	plain := Result{Row: Row{Line: 3, Reference: "A-1", Name: "Acme = Co", Extra: []Field{{Col: 1, Value: "-"}}},
		Outcome: Outcome{Status: StatusError, Error: "name: bad"}}
	var b bytes.Buffer
	w := NewResultWriter(&b, CSV, j)
	for _, r := range []*Result{&r, &plain} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[0][len(recs[0])-3]; got != "'=cmd|' /C calc'!A0" {
		t.Errorf("passed-through column name %q", got)
	}
	cell := map[string]string{}
	for i, c := range recs[0] {
		cell[c] = recs[1][i]
	}
	want := map[string]string{"line": "2", "reference": "'-2+3", "name": "'=HYPERLINK(\"http://x\")", "country": "'+1",
		"type": "'@SUM(A1)", "best_score": "0.9", "match_1_id": "'=id", "match_1_list": "'-EL", "match_1_name": "'@Listed",
		"match_1_score": "0.9", recs[0][len(recs[0])-3]: "'\tTAB", "notes": "'\rCR"}
	for k, v := range want {
		if cell[k] != v {
			t.Errorf("%s: %q, want %q", k, cell[k], v)
		}
	}
	if got := recs[2]; got[1] != "A-1" || got[2] != "Acme = Co" || got[len(got)-2] != "'-" || got[len(got)-1] != "" {
		t.Errorf("row without a formula: %q", got)
	}
	// JSON lines carry the values as they are.
	b.Reset()
	w = NewResultWriter(&b, JSONL, j)
	w.Write(&r)
	w.Flush()
	if !strings.Contains(b.String(), `"reference":"-2+3"`) || !strings.Contains(b.String(), `"name":"=HYPERLINK`) {
		t.Errorf("JSON lines escaped: %s", b.String())
	}
}
