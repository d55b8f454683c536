package batch

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// readAll decodes an upload and summarises each row as "line|ref|name|err".
func readAll(t *testing.T, f Format, in string) ([]string, decoder) {
	t.Helper()
	d, err := newDecoder(f, strings.NewReader(in))
	if err != nil {
		t.Fatalf("newDecoder: %v", err)
	}
	var out []string
	for {
		r, err := d.Next()
		if err == io.EOF {
			return out, d
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		s := fmt.Sprintf("%d|%s|%s", r.Line, r.Reference, r.Name)
		if r.Err != "" {
			s = fmt.Sprintf("%d|ERR %s", r.Line, r.Err)
		}
		out = append(out, s)
	}
}

func TestCSVRows(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "reference,name\nA,Acme\nB,Bolt\n", []string{"2|A|Acme", "3|B|Bolt"}},
		{"no final newline, CRLF", "name,reference\r\nAcme,A\r\nBolt,B", []string{"2|A|Acme", "3|B|Bolt"}},
		{"BOM and header case", "\xef\xbb\xbfName,REFERENCE\nAcme,A\n", []string{"2|A|Acme"}},
		{"id when no reference", "id,name\n7,Acme\n", []string{"2|7|Acme"}},
		{"blank lines keep physical numbers", "name\n\nAcme\n  \n\nBolt\n", []string{"3||Acme", "6||Bolt"}},
		{"blank lines before the header", "\n\nname\nAcme\n", []string{"4||Acme"}},
		{"quoted comma and quote", "name,reference\n\"Acme, \"\"The\"\" Co\",A\n", []string{`2|A|Acme, "The" Co`}},
		{"stray quote inside a field is kept", "name\nO\"Brien Ltd\n", []string{`2||O"Brien Ltd`}},
		{"semicolons", "reference;name;country\nA;Acme, Inc;US\n", []string{"2|A|Acme, Inc"}},
		{"tabs", "name\treference\nAcme\tA\n", []string{"2|A|Acme"}},
		{"legit multi-line notes", "name,notes\nAcme,\"line one\nline two\"\nBolt,x\n", []string{"2||Acme", "4||Bolt"}},
		{"unclosed quote resyncs on the next line", "reference,name,country\nA,\"Broken,RU\nB,Bolt,US\nC,Cole,GB\n",
			[]string{"2|ERR field 2 opens a quote that is not closed on this line", "3|B|Bolt", "4|C|Cole"}},
		{"unclosed quote swallowing a line into the name", "reference,name\nA,\"Broken\nB\",x\nC,Cole\n",
			[]string{"2|ERR field 2 opens a quote that is not closed on this line", `3|B"|x`, "4|C|Cole"}},
		{"unclosed quote meets a later quoted field", "reference,name\nA,\"Broken\nB,Bolt\nC,\"Cole, Inc\"\nD,Dee\n",
			[]string{"2|ERR field 2 opens a quote that is not closed on this line", "3|B|Bolt", "4|C|Cole, Inc", "5|D|Dee"}},
		{"unclosed quote at the end", "name\nAcme\n\"Broken\n",
			[]string{"2||Acme", "3|ERR the quoted field 1 is not closed before the end of the file"}},
		{"unclosed quote never closed in reach", "name,n\n\"Open,1\n" + strings.Repeat("x,1\n", 30),
			append([]string{"2|ERR field 1 opens a quote that is not closed on this line"}, func() []string {
				var s []string
				for l := 3; l <= 32; l++ {
					s = append(s, fmt.Sprintf("%d||x", l))
				}
				return s
			}()...)},
		{"text after a closing quote", "name,reference\n\"Acme\" Inc,A\nBolt,B\n",
			[]string{"2|ERR unexpected text after the closing quote of field 1", "3|B|Bolt"}},
		{"too few fields", "reference,name,country\nA,Acme\n", []string{"2|ERR the row has 2 fields; the header has 3"}},
		{"too many fields", "reference,name\nA,Acme,extra\n", []string{"2|ERR the row has 3 fields; the header has 2"}},
		{"invalid UTF-8 in the name", "name\nAc\xffme\nBolt\n", []string{"2|ERR name: is not valid UTF-8", "3||Bolt"}},
		{"over-long line", "name\n" + strings.Repeat("x", MaxLineBytes+10) + "\nBolt\n",
			[]string{fmt.Sprintf("2|ERR the line is longer than %d bytes", MaxLineBytes), "3||Bolt"}},
		{"empty name is a row (judged by the screener)", "reference,name\nA,\n,\n", []string{"2|A|", "3||"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := readAll(t, CSV, tt.in)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestCSVPassThrough(t *testing.T) {
	d, err := newDecoder(CSV, strings.NewReader("segment,name,,id,reference,segment,Country,type\nretail,Acme,e,7,R1,s2,us,entity\n"))
	if err != nil {
		t.Fatal(err)
	}
	cols := d.Columns()
	if want := "segment,column_3,id,segment_2"; strings.Join(cols, ",") != want {
		t.Errorf("columns %q, want %q", cols, want)
	}
	r, err := d.Next()
	if err != nil {
		t.Fatal(err)
	}
	if r.Reference != "R1" || r.Name != "Acme" || r.Country != "us" || r.Type != "entity" {
		t.Errorf("row %+v", r)
	}
	var vals []string
	for _, f := range r.Extra {
		vals = append(vals, cols[f.Col]+"="+f.Value)
	}
	if got := strings.Join(vals, " "); got != "segment=retail column_3=e id=7 segment_2=s2" {
		t.Errorf("extras %s", got)
	}
}

func TestCSVInvalidUTF8InPassThrough(t *testing.T) {
	got, _ := readAll(t, CSV, "name,notes\nAcme,n\xfeo\n")
	if got[0] != `2|ERR column "notes": is not valid UTF-8` {
		t.Errorf("got %q", got)
	}
}

func TestCSVHeaderErrors(t *testing.T) {
	tests := []struct {
		in        string
		wantFound []string
		wantErr   string
	}{
		{"reference,company,country\nA,Acme,US\n", []string{"reference", "company", "country"}, `no column is named "name"`},
		{"name,Name\nA,B\n", []string{"name", "Name"}, `2 columns are named "name"`},
	}
	for _, tt := range tests {
		_, err := newDecoder(CSV, strings.NewReader(tt.in))
		var he *HeaderError
		if !errors.As(err, &he) {
			t.Fatalf("%q: err %v, want a HeaderError", tt.in, err)
		}
		if strings.Join(he.Found, ",") != strings.Join(tt.wantFound, ",") || !strings.Contains(he.Reason, tt.wantErr) || he.Line != 1 {
			t.Errorf("%q: %+v", tt.in, he)
		}
	}
	for _, in := range []string{"", "\n\n", "\"name\nA\n"} {
		_, err := newDecoder(CSV, strings.NewReader(in))
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%q: err %v, want an InputError", in, err)
		}
	}
}

func TestJSONLRows(t *testing.T) {
	in := strings.Join([]string{
		`{"reference":"A","name":"Acme","country":"US","segment":"retail"}`,
		``,
		`{"id":42,"name":"Bolt","tags":["x",1],"n":3}`,
		`["not","an","object"]`,
		`{"name":5}`,
		`{"name":"Cole"`,
		`{"name":"Dee"} {"name":"x"}`,
		"{\"name\":\"Ev\xffe\"}",
		`  {"Name":"Fox","reference":"F","id":"i-9"}  `,
		`{"name":null,"reference":"G"}`,
		`42`,
	}, "\n")
	got, d := readAll(t, JSONL, in)
	want := []string{
		"1|A|Acme",
		"3|42|Bolt",
		"4|ERR expected a JSON object, got an array",
		"5|ERR name: must be a string, got a number",
		"6|ERR malformed JSON: the object is cut off",
		"7|ERR unexpected data after the JSON object",
		"8|ERR the line is not valid UTF-8 (byte 12)",
		"9|F|Fox",
		"10|G|",
		"11|ERR expected a JSON object, got a number",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cols := strings.Join(d.Columns(), ","); cols != "segment,tags,n,id" {
		t.Errorf("columns %s", cols)
	}
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestOpen(t *testing.T) {
	csvBody := "name\nAcme\n"
	jsonBody := "{\"name\":\"Acme\"}\n"
	tests := []struct {
		name   string
		body   []byte
		media  Media
		max    int64
		want   Format
		errAs  any
		errHas string
	}{
		{name: "text/csv", body: []byte(csvBody), media: Media{ContentType: "text/csv; charset=utf-8"}, want: CSV},
		{name: "ndjson", body: []byte(jsonBody), media: Media{ContentType: "application/x-ndjson"}, want: JSONL},
		{name: "json-lines", body: []byte(jsonBody), media: Media{ContentType: "application/json-lines"}, want: JSONL},
		{name: "Content-Encoding gzip", body: gz(csvBody), media: Media{ContentType: "text/csv", ContentEncoding: "gzip"}, want: CSV},
		{name: "+gzip suffix", body: gz(jsonBody), media: Media{ContentType: "application/jsonl+gzip"}, want: JSONL},
		{name: "application/gzip sniffed", body: gz(jsonBody), media: Media{ContentType: "application/gzip"}, want: JSONL},
		{name: "octet-stream by file name", body: []byte(jsonBody), media: Media{ContentType: "application/octet-stream", Filename: "rows.ndjson"}, want: JSONL},
		{name: "octet-stream .csv.gz", body: gz(csvBody), media: Media{ContentType: "application/octet-stream", Filename: `C:\data\rows.CSV.gz`}, want: CSV},
		{name: "unlabelled gzip found by magic", body: gz(csvBody), media: Media{}, want: CSV},
		{name: "no label, sniffed JSON", body: []byte(" \n" + jsonBody), media: Media{}, want: JSONL},
		{name: "windows csv label", body: []byte(csvBody), media: Media{ContentType: "application/vnd.ms-excel", Filename: "a.csv"}, want: CSV},
		{name: "application/json refused", body: []byte(jsonBody), media: Media{ContentType: "application/json"}, errAs: new(*MediaTypeError), errHas: "application/json"},
		{name: "image refused", body: []byte("x"), media: Media{ContentType: "image/png"}, errAs: new(*MediaTypeError)},
		{name: "xlsx refused by name", body: []byte("PK\x03\x04"), media: Media{ContentType: "application/octet-stream", Filename: "a.xlsx"}, errAs: new(*MediaTypeError), errHas: "CSV"},
		{name: "zip refused by content", body: []byte("PK\x03\x04rest"), media: Media{ContentType: "text/csv"}, errAs: new(*MediaTypeError), errHas: "ZIP"},
		{name: "JSON array refused", body: []byte(`[{"name":"x"}]`), media: Media{}, errAs: new(*MediaTypeError), errHas: "JSON array"},
		{name: "binary refused", body: []byte("\x00\x01\x02abc"), media: Media{}, errAs: new(*MediaTypeError), errHas: "binary"},
		{name: "brotli refused", body: []byte(csvBody), media: Media{ContentType: "text/csv", ContentEncoding: "br"}, errAs: new(*MediaTypeError), errHas: "br"},
		{name: "labelled gzip but not", body: []byte(csvBody), media: Media{ContentType: "text/csv", ContentEncoding: "gzip"}, errAs: new(*InputError)},
		{name: "gzip bomb stops at the limit", body: gz(strings.Repeat("a", 1<<20)), media: Media{ContentType: "text/csv+gzip"}, max: 64 << 10, errAs: new(*LimitError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := tt.max
			if max == 0 {
				max = 1 << 20
			}
			r, f, err := Open(bytes.NewReader(tt.body), tt.media, max)
			if err == nil && tt.errAs != nil {
				_, err = io.ReadAll(r) // limits show while reading
			}
			if tt.errAs != nil {
				if err == nil || !errors.As(err, tt.errAs) || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err %v, want %T containing %q", err, tt.errAs, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f != tt.want {
				t.Errorf("format %s, want %s", f, tt.want)
			}
			if b, _ := io.ReadAll(r); !strings.Contains(string(b), "Acme") {
				t.Errorf("content %q", b)
			}
		})
	}
}

func TestOpenCorruptGzip(t *testing.T) {
	b := gz(strings.Repeat("name\nAcme\n", 1000))
	r, _, err := Open(bytes.NewReader(b[:len(b)/2]), Media{ContentType: "text/csv"}, 1<<20)
	if err == nil {
		_, err = io.ReadAll(r)
	}
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Reason, "cut off") {
		t.Errorf("err %v, want a cut-off InputError", err)
	}
}

func TestCSVMultiLineRecords(t *testing.T) {
	notes := strings.TrimSuffix(strings.Repeat("a note line, with a comma\n", 170), "\n") // 170 lines
	var in strings.Builder
	in.WriteString("reference,name,notes\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&in, "R%d,Name %d,\"%s\"\n", i, i, notes)
	}
	in.WriteString("Z,\"Acme\nHoldings\",x\nY,Bolt,y\n")
	d, err := newDecoder(CSV, strings.NewReader(in.String()))
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for {
		r, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 52 {
		t.Fatalf("%d rows, want 52", len(rows))
	}
	for i, r := range rows[:50] {
		if r.Err != "" || r.Reference != fmt.Sprintf("R%d", i) || r.Line != 2+170*i || len(r.Extra) != 1 || r.Extra[0].Value != notes {
			t.Fatalf("row %d: line %d ref %q err %q", i, r.Line, r.Reference, r.Err)
		}
	}
	if r := rows[50]; r.Err != "" || r.Line != 2+170*50 || r.Name != "Acme\nHoldings" || r.Reference != "Z" {
		t.Errorf("quoted name over two lines: %+v", r)
	}
	if r := rows[51]; r.Err != "" || r.Line != 4+170*50 || r.Name != "Bolt" {
		t.Errorf("row after it: %+v", r)
	}
}

func TestCSVRecordOverTheBoundRefusesTheFile(t *testing.T) {
	long := strings.Repeat("a line of notes that goes on\n", MaxRecordBytes/29+10)
	for _, tt := range []struct{ name, in string }{
		{"long quoted field", "reference,name,notes\nA,Acme,x\nB,Bolt,\"" + long + "\"\nC,Cole,z\n"},
		{"quote never closed", "reference,name,notes\nA,Acme,x\nB,Bolt,\"" + long},
		{"into an over-long line", "reference,name,notes\nA,Acme,x\nB,Bolt,\"notes\n" + strings.Repeat("x", MaxLineBytes+1) + "\"\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := newDecoder(CSV, strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if r, err := d.Next(); err != nil || r.Reference != "A" {
				t.Fatalf("first row %+v %v", r, err)
			}
			_, err = d.Next()
			var ie *InputError
			if !errors.As(err, &ie) || ie.Line != 3 || !strings.Contains(ie.Reason, fmt.Sprint(MaxRecordBytes)) {
				t.Fatalf("err %v, want an InputError on line 3 naming the bound", err)
			}
		})
	}
}

func TestCSVBrokenRowsKeepTheirReference(t *testing.T) {
	tests := []struct {
		in, ref, name string
	}{
		{"reference,name,country\nA1,\"Broken,RU\nB,Bolt,US\n", "A1", ""},
		{"reference,name\nA2,\"Acme\" Inc\n", "A2", ""},
		{"name,reference\n\"Acme\" Inc,A3\n", "", ""},
		{"reference,name,x\nA4,Acme,\"open\nB,Bolt\n", "A4", "Acme"},
		{"reference,name\nA5,Acme,extra\n", "A5", "Acme"},
	}
	for _, tt := range tests {
		d, err := newDecoder(CSV, strings.NewReader(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		r, err := d.Next()
		if err != nil || r.Err == "" || r.Line != 2 || r.Reference != tt.ref || r.Name != tt.name {
			t.Errorf("%q: %+v %v, want an error row with reference %q name %q", tt.in, r, err, tt.ref, tt.name)
		}
	}
}

// TestRowFacts checks that date_of_birth, nationality and identifier
// columns (any case) fill the row's facts and are still passed through.
func TestRowFacts(t *testing.T) {
	for _, tc := range []struct {
		f  Format
		in string
	}{
		{CSV, "name,Date_Of_Birth,nationality,identifier,segment\nAcme,1962-04,ng,A0563 7743,retail\n"},
		{JSONL, `{"name":"Acme","date_of_birth":"1962-04","nationality":"ng","identifier":"A0563 7743","segment":"retail"}` + "\n"},
	} {
		d, err := newDecoder(tc.f, strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		r, err := d.Next()
		if err != nil || r.Err != "" {
			t.Fatalf("%s: %v %q", tc.f, err, r.Err)
		}
		if r.DateOfBirth != "1962-04" || r.Nationality != "ng" || r.Identifier != "A0563 7743" {
			t.Errorf("%s: facts %q %q %q", tc.f, r.DateOfBirth, r.Nationality, r.Identifier)
		}
		if len(d.Columns()) != 4 || len(r.Extra) != 4 {
			t.Errorf("%s: columns %q, extras %+v: want the facts and segment passed through", tc.f, d.Columns(), r.Extra)
		}
	}
	d, _ := newDecoder(JSONL, strings.NewReader(`{"name":"Acme","identifier":7713140469}`+"\n"))
	if r, err := d.Next(); err != nil || r.Identifier != "7713140469" {
		t.Errorf("a numeric identifier: %+v, %v", r, err)
	}
}
