package lists

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/cslscreen/screener/internal/fixtures"
)

func mustParse(t *testing.T, data string) *Parsed {
	t.Helper()
	p, err := Parse(strings.NewReader(data), ParseOptions{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func TestParseCSVQuirks(t *testing.T) {
	f, err := os.Open("testdata/quirks.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := Parse(f, ParseOptions{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if p.Format != "csv" || p.Rows != 3 || p.BadRows != 0 || len(p.Entries) != 3 {
		t.Fatalf("format=%s rows=%d bad=%d entries=%d, want csv 3 0 3", p.Format, p.Rows, p.BadRows, len(p.Entries))
	}
	e := p.Entries[0]
	if e.ID != "t-001" || e.Name != "Northwind Avionics, Ltd." {
		t.Errorf("id/name = %q/%q; the BOM-prefixed, moved columns must still be found and spaces collapsed", e.ID, e.Name)
	}
	wantAliases := []string{"Northwind Avionics", "NW Avionics Co.", "Nord\u2019s Wind Avionics"}
	if !reflect.DeepEqual(e.AltNames, wantAliases) {
		t.Errorf("aliases = %q, want %q (double spaces trimmed, stray 'and ' dropped, U+2019 kept)", e.AltNames, wantAliases)
	}
	wantAddr := []Address{{Address: "12 Harbour Road, Suite 4, Victoria", Country: "HK"}, {Address: "8 Wharf Street, Kowloon", Country: "HK"}}
	if !reflect.DeepEqual(e.Addresses, wantAddr) {
		t.Errorf("addresses = %+v, want %+v", e.Addresses, wantAddr)
	}
	if e.LicensePolicy != "Presumption of denial." || e.FederalRegisterNotice != "88 FR 12345" {
		t.Errorf("license policy/FR = %q/%q", e.LicensePolicy, e.FederalRegisterNotice)
	}

	ind := p.Entries[1]
	if !strings.Contains(ind.Remarks, "\nsecond line, with a comma") {
		t.Errorf("multi-line quoted remark lost: %q", ind.Remarks)
	}
	wantIDs := []ID{{Country: "RU", Number: "4500123456", Type: "Passport"}, {Number: "Male", Type: "Gender"}}
	if !reflect.DeepEqual(ind.IDs, wantIDs) {
		t.Errorf("ids = %+v, want %+v", ind.IDs, wantIDs)
	}
	if !reflect.DeepEqual(ind.Programs, []string{"SDGT", "IRGC"}) || !reflect.DeepEqual(ind.Citizenships, []string{"RU", "CY"}) {
		t.Errorf("programs/citizenships = %q/%q", ind.Programs, ind.Citizenships)
	}
	if got := ind.Countries(); !reflect.DeepEqual(got, []string{"RU", "CY"}) {
		t.Errorf("Countries() = %q", got)
	}
	if p.Entries[2].Name != `Acme "Quoted" Trading, Inc.` {
		t.Errorf("quoted name = %q", p.Entries[2].Name)
	}
}

func TestParseCSVErrors(t *testing.T) {
	const header = "_id,source,name,alt_names\n"
	good := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString("id" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + ",Entity List (EL),Name " + strings.Repeat("y", i%7) + ",\n")
		}
		return b.String()
	}
	tests := []struct {
		name    string
		data    string
		wantErr string // substring of the refusal; "" means accepted
		badRows int
	}{
		{"missing required column named", "_id,source,alias\n1,EL,x\n", `missing required column(s) name; header has _id, source, alias`, 0},
		{"both required missing", "foo,bar\n1,2\n", "missing required column(s) source, name", 0},
		{"empty file", "", "empty file", 0},
		{"header only", header, "no usable rows", 0},
		{"one short row in many is reported, file kept", header + good(150) + "short,row\n", "", 1},
		{"empty name is a bad row", header + good(150) + "z1,EL,,\n", "", 1},
		{"mostly bad refused", header + good(3) + "a\nb\nc\nd\n", "4 of 7 rows malformed", 0},
		{"unterminated quote swallows the rest and is refused", header + good(5) + "q1,EL,\"Broken name,\n" + good(50), "rows malformed", 0},
		{"garbage", "\x00\x01\x02 not a csv at all \xff\xfe", "missing required column", 0},
		{"no _id column derives ids", "source,name\nEL,Alpha\nEL,Beta\n", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(strings.NewReader(tc.data), ParseOptions{})
			if tc.wantErr != "" {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a *FormatError containing %q", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %q, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.BadRows != tc.badRows {
				t.Fatalf("bad rows = %d, want %d (%v)", p.BadRows, tc.badRows, p.Errors)
			}
			for _, e := range p.Entries {
				if e.ID == "" {
					t.Errorf("entry %q has no id", e.Name)
				}
			}
		})
	}
}

func TestParseCSVRowErrorLine(t *testing.T) {
	// Line numbers count physical lines, so a multi-line field before the bad
	// row shifts it: the report must point at the line a person would open.
	var b strings.Builder
	b.WriteString("_id,source,name,remarks\n")   // line 1
	b.WriteString("1,EL,Alpha,\"two\nlines\"\n") // lines 2-3
	for i := 0; i < 200; i++ {                   // lines 4-203
		b.WriteString("x,EL,Name,\n")
	}
	b.WriteString("2,EL,,\n") // line 204: empty name
	p := mustParse(t, b.String())
	if p.BadRows != 1 || p.Errors[0].Line != 204 || p.Errors[0].Column != "name" {
		t.Fatalf("errors = %+v, want one on line 204 column name", p.Errors)
	}
}

func TestParseJSON(t *testing.T) {
	data := `{"results": [
  {"id": "j1", "source": "Entity List (EL) - Bureau of Industry and Security", "name": "Gamma  Labs", "alt_names": ["Gamma Laboratories", "and Gamma Lab"],
   "addresses": [{"address": "1 Road", "city": "Minsk", "state": null, "postal_code": "220000", "country": "by"}],
   "entity_number": 123, "gross_tonnage": 4500.5, "type": null, "programs": null,
   "ids": [{"type": "Passport", "number": "A1", "country": "BY", "issue_date": null, "expiration_date": null}]},
  {"_id": "j2", "source": "Denied Persons List (DPL) - Bureau of Industry and Security", "name": "Delta Person", "alt_names": "Delta P.;  D. Person"},
  {"id": "j3", "source": "EL", "name": ["not", "a string"]}
 ],
 "sources_used": [{"source": "x"}]
}`
	// Three results, one bad: over the default 1% bad fraction, so allow more.
	p, err := Parse(strings.NewReader(data), ParseOptions{MaxBadFraction: 0.5})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if p.Format != "json" || len(p.Entries) != 2 || p.BadRows != 1 {
		t.Fatalf("format=%s entries=%d bad=%d", p.Format, len(p.Entries), p.BadRows)
	}
	if p.Errors[0].Line != 7 {
		t.Errorf("bad result reported on line %d, want 7", p.Errors[0].Line)
	}
	e := p.Entries[0]
	if e.Name != "Gamma Labs" || e.EntityNumber != "123" || e.GrossTonnage != "4500.5" || e.Type != "" {
		t.Errorf("scalars: %+v", e)
	}
	if !reflect.DeepEqual(e.AltNames, []string{"Gamma Laboratories", "Gamma Lab"}) {
		t.Errorf("aliases = %q", e.AltNames)
	}
	if e.Addresses[0].Country != "BY" || e.Addresses[0].City != "Minsk" {
		t.Errorf("address = %+v", e.Addresses[0])
	}
	if p.Entries[1].ID != "j2" || !reflect.DeepEqual(p.Entries[1].AltNames, []string{"Delta P.", "D. Person"}) {
		t.Errorf("second entry = %+v", p.Entries[1])
	}
}

func TestParseJSONRefusals(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"truncated", `{"results": [{"id": "1", "source": "EL", "name": "A"}, {"id": "2", "sou`, "malformed JSON"},
		{"total disagrees", `{"results": [{"id": "1", "source": "EL", "name": "A"}], "total": 2}`, `"total" says 2 results but the file has 1`},
		{"no results", `{"items": []}`, `no "results" array`},
		{"results not array", `{"results": {}}`, `"results" is not an array`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.data), ParseOptions{})
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want FormatError with %q", err, tc.want)
			}
		})
	}
}

func TestParseGzipAndTruncatedGzip(t *testing.T) {
	raw, err := os.ReadFile("testdata/quirks.csv")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	p, err := Parse(bytes.NewReader(buf.Bytes()), ParseOptions{})
	if err != nil || len(p.Entries) != 3 {
		t.Fatalf("gzip: %v, %v", p, err)
	}
	_, err = Parse(bytes.NewReader(buf.Bytes()[:buf.Len()/2]), ParseOptions{})
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated gzip: err = %v, want a FormatError saying truncated", err)
	}
}

func TestParseRealFiles(t *testing.T) {
	tests := []struct {
		file    string
		entries int
	}{
		{"data/csl_full_fixture.csv.gz", 14163},
		{"data/csl_us_2019-12_old-format_moov-watchman.csv", 115},
		{"data/csl_us_consolidated_2025_sample12_moov-watchman.csv", 13},
		{"data/csl_us_kaspersky_rows_2025-05_mbanq-watchman.csv", 3},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(fixtures.Path(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, err := Parse(f, ParseOptions{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(p.Entries) != tc.entries || p.BadRows != 0 {
				t.Fatalf("entries = %d (bad %d: %v), want %d", len(p.Entries), p.BadRows, p.Errors, tc.entries)
			}
		})
	}
}

func TestParseFullListCounts(t *testing.T) {
	f, err := os.Open(fixtures.FullCSL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := Parse(f, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l := NewList(Version{}, p.Entries)
	if got := l.Version.Counts["Entity List (EL) - Bureau of Industry and Security"]; got != 2004 {
		t.Errorf("Entity List entries = %d, want 2004 (2001 + 3 Kaspersky)", got)
	}
	if got := len(l.ByID("18725")); got != 3 {
		t.Errorf("entries with id 18725 = %d, want 3 (SDN, SSI, CAP)", got)
	}
	k := l.ByID("88a5a8ac99fb224dc40025c5c2abb25919f56d25bd1f0c766af312b1")
	if len(k) != 1 || k[0].Name != "AO Kaspersky Lab" || len(k[0].AltNames) != 12 || k[0].Addresses[0].Country != "RU" {
		t.Fatalf("AO Kaspersky Lab = %+v", k)
	}
}

func TestListCode(t *testing.T) {
	for src, want := range map[string]string{
		"Entity List (EL) - Bureau of Industry and Security":                    "EL",
		"Military End User (MEU) List - Bureau of Industry and Security":        "MEU",
		"Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department": "NS-MBS",
		"Something": "Something",
	} {
		if got := ListCode(src); got != want {
			t.Errorf("ListCode(%q) = %q, want %q", src, got, want)
		}
	}
}
