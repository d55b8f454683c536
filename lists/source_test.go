package lists

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cslscreen/screener/internal/fixtures"
)

const kasperskyAO = "88a5a8ac99fb224dc40025c5c2abb25919f56d25bd1f0c766af312b1"

func TestEmbeddedSnapshot(t *testing.T) {
	l := Embedded()
	v := l.Version
	if !v.Builtin || v.Source != "embedded" || v.SnapshotDate != "2024-06-24" || !strings.Contains(v.Description, "NOT a full screening list") {
		t.Fatalf("version = %+v: the snapshot must say plainly that it is small and built in, and its date", v)
	}
	if v.Entries != 3 || v.Counts["Entity List (EL) - Bureau of Industry and Security"] != 3 {
		t.Fatalf("entries = %d %v, want the three Kaspersky Entity List entries", v.Entries, v.Counts)
	}
	names := map[string]Entry{}
	for _, e := range l.Entries {
		names[e.Name] = e
		if e.FederalRegisterNotice != "89 FR 52362" || e.StartDate != "2024-06-24" ||
			e.LicenseRequirement != "For all items subject to the EAR (See §744.11 of the EAR)." || e.LicensePolicy != "Presumption of denial." {
			t.Errorf("%s: FR/date/license facts wrong: %+v", e.Name, e)
		}
	}
	ao := names["AO Kaspersky Lab"]
	if ao.ID != kasperskyAO || len(ao.AltNames) != 12 || ao.Addresses[0].Country != "RU" || ao.AltNames[11] != "Kaspersky\u2019s Laboratory" {
		t.Errorf("AO Kaspersky Lab = %+v", ao)
	}
	if g := names["OOO Kaspersky Group"]; len(g.AltNames) != 8 || g.Addresses[0].Country != "RU" {
		t.Errorf("OOO Kaspersky Group = %+v", g)
	}
	if uk := names["Kaspersky Labs Limited"]; len(uk.AltNames) != 2 || uk.Addresses[0].Country != "GB" || uk.Addresses[0].PostalCode != "W2 6BD" {
		t.Errorf("Kaspersky Labs Limited = %+v", uk)
	}
}

// The embedded snapshot must agree with the official CSL rows for the same
// entities (names, aliases, facts): it is written from public facts and a
// drift would mean screening against something other than the list.
func TestEmbeddedMatchesOfficialRows(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "csl_us_kaspersky_rows_2025-05_mbanq-watchman.csv")
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v (required under CI=true)", path, err)
		}
		t.Skipf("official Kaspersky rows not available: %v", err)
	}
	defer f.Close()
	p, err := Parse(f, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	emb := Embedded()
	for _, off := range p.Entries {
		got := emb.ByID(off.ID)
		if len(got) != 1 {
			t.Fatalf("embedded snapshot lacks %s (%s)", off.ID, off.Name)
		}
		e := got[0]
		if e.Name != off.Name || strings.Join(e.AltNames, "|") != strings.Join(off.AltNames, "|") ||
			e.LicenseRequirement != off.LicenseRequirement || e.LicensePolicy != off.LicensePolicy ||
			e.FederalRegisterNotice != off.FederalRegisterNotice || e.Addresses[0].Country != off.Addresses[0].Country {
			t.Errorf("embedded %s differs from the official row:\n got %+v\nwant %+v", off.Name, e, off)
		}
	}
}

func TestURLSourceConditionalGET(t *testing.T) {
	body, _ := os.ReadFile("testdata/quirks.csv")
	var hits, conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 24 Jun 2024 10:00:00 GMT")
		w.Write(body)
	}))
	defer srv.Close()
	s := &URLSource{URL: srv.URL}
	l, err := s.Fetch(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Version.ETag != `"v1"` || l.Version.Source != "url" || l.Version.Entries != 3 {
		t.Fatalf("version = %+v", l.Version)
	}
	if _, err := s.Fetch(context.Background(), &l.Version); !errors.Is(err, ErrNotModified) {
		t.Fatalf("second fetch: %v, want ErrNotModified", err)
	}
	if conditional.Load() != 1 {
		t.Fatalf("conditional requests = %d, want 1", conditional.Load())
	}
}

func TestURLSourceFailures(t *testing.T) {
	body, _ := os.ReadFile("testdata/quirks.csv")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		want    any // *FetchError or *FormatError
		msg     string
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusServiceUnavailable) }, 0, &FetchError{}, "HTTP 503"},
		{"garbage", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>maintenance</html>")) }, 0, &FormatError{}, "missing required column"},
		{"cut off", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			w.Write(body)
		}, 0, &FormatError{}, "truncated"},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}, 200 * time.Millisecond, &FetchError{}, "Timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			_, err := (&URLSource{URL: srv.URL, Timeout: tc.timeout}).Fetch(context.Background(), nil)
			switch tc.want.(type) {
			case *FetchError:
				var fe *FetchError
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v (%T), want *FetchError", err, err)
				}
			case *FormatError:
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v (%T), want *FormatError", err, err)
				}
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %q, want it to mention %q", err, tc.msg)
			}
		})
	}
}

func TestFileSource(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "list.csv")
	data, _ := os.ReadFile("testdata/quirks.csv")
	os.WriteFile(p, data, 0o644)
	s := &FileSource{Path: p}
	l, err := s.Fetch(context.Background(), nil)
	if err != nil || l.Version.Entries != 3 || l.Version.Source != "file" || l.Version.Origin != p {
		t.Fatalf("Fetch: %v %+v", err, l)
	}
	if _, err := s.Fetch(context.Background(), &l.Version); !errors.Is(err, ErrNotModified) {
		t.Fatalf("unchanged file: %v, want ErrNotModified", err)
	}
	if _, err := (&FileSource{Path: filepath.Join(dir, "nope.csv")}).Fetch(context.Background(), nil); !errors.As(err, new(*FetchError)) {
		t.Fatalf("missing file: %v, want *FetchError", err)
	}
}

// TestFileSourceErrors checks that every way a LIST_FILE can be unusable at
// start is an error the caller can tell apart, naming the file.
func TestFileSourceErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	garbage := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	var badRows strings.Builder
	badRows.WriteString("_id,source,name\n")
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("Company %d", i)
		if i%4 == 0 {
			name = "" // a quarter of the rows lack a name: far more than 1%
		}
		fmt.Fprintf(&badRows, "id-%d,Entity List (EL) - Bureau of Industry and Security,%s\n", i, name)
	}
	tests := []struct {
		name    string
		path    string
		problem error
		msg     string
	}{
		{"missing", filepath.Join(dir, "nope.csv"), ErrSourceMissing, "not found"},
		{"directory", dir, ErrSourceUnreadable, "is a directory"},
		{"empty", write("empty.csv", nil), ErrSourceRefused, "empty file"},
		{"dev null", os.DevNull, ErrSourceRefused, "empty file"},
		{"binary garbage", write("garbage.bin", garbage), ErrSourceRefused, "refused"},
		{"too many bad rows", write("bad.csv", []byte(badRows.String())), ErrSourceRefused, "5 of 20 rows malformed"},
	}
	all := []error{ErrSourceMissing, ErrSourceUnreadable, ErrSourceRefused, ErrSourceUnreachable}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&FileSource{Path: tc.path}).Fetch(context.Background(), nil)
			t.Log(err)
			var se *SourceError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *SourceError", err, err)
			}
			if se.Origin != tc.path || se.Source != "file" || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name the file %s", err, tc.path)
			}
			for _, p := range all {
				if errors.Is(err, p) != (p == tc.problem) {
					t.Errorf("errors.Is(err, %v) = %v; err = %v", p, errors.Is(err, p), err)
				}
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to mention %q", err, tc.msg)
			}
			if tc.problem == ErrSourceRefused && !errors.As(err, new(*FormatError)) {
				t.Errorf("a refused file should carry the parser's *FormatError: %v", err)
			}
		})
	}
}

func TestURLSourceUnreachableIsNotAFileProblem(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	_, err := (&URLSource{URL: url, Timeout: 5 * time.Second}).Fetch(context.Background(), nil)
	if !errors.Is(err, ErrSourceUnreachable) || errors.Is(err, ErrSourceMissing) || errors.Is(err, ErrSourceRefused) {
		t.Fatalf("err = %v, want ErrSourceUnreachable only", err)
	}
	if !errors.As(err, new(*FetchError)) {
		t.Fatalf("err = %v, want a *FetchError inside", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://data.trade.gov/x.csv?api_key=SECRET":       "https://data.trade.gov/x.csv?***",
		"https://user:SECRET@host.test/list.csv":            "https://***@host.test/list.csv",
		"https://SECRET@host.test/a/b.json?x=1#frag":        "https://***@host.test/a/b.json?***",
		"https://data.trade.gov/consolidated.csv":           "https://data.trade.gov/consolidated.csv",
		"http://host.test:8080/a%20b.csv":                   "http://host.test:8080/a%20b.csv",
		"https://us er:SECRET@host.test/x?token=SECRET\x7f": "https://***@host.test/x?***",
	} {
		got := RedactURL(in)
		if got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "SECRET") {
			t.Errorf("RedactURL(%q) leaks the secret: %q", in, got)
		}
	}
}

// TestURLSourceRedactsTheToken checks the origin, the version and every kind
// of fetch error for a LIST_URL carrying a token.
func TestURLSourceRedactsTheToken(t *testing.T) {
	const token = "tok3nS3CRET"
	body, _ := os.ReadFile("testdata/quirks.csv")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.csv":
			w.Write(body)
		case "/slow.csv":
			<-r.Context().Done()
		default:
			http.Error(w, "gone", http.StatusGone)
		}
	}))
	defer srv.Close()
	withToken := func(path string) string {
		return strings.Replace(srv.URL, "http://", "http://user:"+token+"@", 1) + path + "?api_key=" + token
	}
	s := &URLSource{URL: withToken("/ok.csv")}
	if strings.Contains(s.Origin(), token) || !strings.HasSuffix(s.Origin(), "/ok.csv?***") {
		t.Fatalf("Origin() = %q", s.Origin())
	}
	l, err := s.Fetch(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Version.Origin != s.Origin() {
		t.Fatalf("version origin %q, want %q", l.Version.Origin, s.Origin())
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := strings.Replace(closed.URL, "http://", "http://user:"+token+"@", 1) + "/x.csv?api_key=" + token
	closed.Close()
	for name, src := range map[string]*URLSource{
		"HTTP error":  {URL: withToken("/missing.csv")},
		"timeout":     {URL: withToken("/slow.csv"), Timeout: 100 * time.Millisecond},
		"refused":     {URL: closedURL},
		"malformed":   {URL: "http://user:" + token + "@host.test:port/x?api_key=" + token},
		"bad control": {URL: "http://host.test/x\x7f?api_key=" + token},
	} {
		_, err := src.Fetch(context.Background(), nil)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("%s: error shows the token: %v", name, err)
		}
		if !errors.Is(err, ErrSourceUnreachable) {
			t.Errorf("%s: err = %v, want ErrSourceUnreachable", name, err)
		}
	}
}

func TestVersionCurrencyFacts(t *testing.T) {
	dir := t.TempDir()
	mtime := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	csvPath := writeList(t, dir, "dated", 5)
	if err := os.Chtimes(csvPath, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	l, err := (&FileSource{Path: csvPath}).Fetch(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Version.FetchedAt.Equal(mtime) || !l.Version.PublishedAt.IsZero() {
		t.Errorf("file: fetched_at %v (want the mtime %v), published_at %v (want zero for CSV)", l.Version.FetchedAt, mtime, l.Version.PublishedAt)
	}

	jsonList := `{"results":[{"id":"j1","source":"Entity List (EL) - Bureau of Industry and Security","name":"Acme"}],
"sources_used":[
 {"source":"Entity List (EL) - Bureau of Industry and Security","source_last_updated":"2025-05-01T10:00:00-04:00","last_imported":"2025-06-01T00:00:00+00:00"},
 {"source":"Specially Designated Nationals (SDN) - Treasury Department","source_last_updated":"2025-05-20T12:00:00+00:00","last_imported":"2025-06-01T01:00:00+00:00"}],
"total":1}`
	jsonPath := filepath.Join(dir, "list.json")
	os.WriteFile(jsonPath, []byte(jsonList), 0o644)
	l, err = (&FileSource{Path: jsonPath}).Fetch(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC); !l.Version.PublishedAt.Equal(want) {
		t.Errorf("JSON published_at = %v, want the newest source_last_updated %v", l.Version.PublishedAt, want)
	}

	body, _ := os.ReadFile("testdata/quirks.csv")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", "Mon, 24 Jun 2024 10:00:00 GMT")
		w.Write(body)
	}))
	defer srv.Close()
	fetched := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l, err = (&URLSource{URL: srv.URL, Now: func() time.Time { return fetched }}).Fetch(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 6, 24, 10, 0, 0, 0, time.UTC); !l.Version.PublishedAt.Equal(want) || !l.Version.FetchedAt.Equal(fetched) {
		t.Errorf("URL: published_at %v (want Last-Modified %v), fetched_at %v (want %v)", l.Version.PublishedAt, want, l.Version.FetchedAt, fetched)
	}

	if v := Embedded().Version; !v.PublishedAt.Equal(time.Date(2024, 6, 24, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("embedded published_at = %v, want the snapshot date", v.PublishedAt)
	}
}

// gzipOf returns a gzip file of a CSV header and about n bytes of repeated
// rows: a small file that expands to far more than it weighs. It repeats one
// compressed 1 MiB member (gzip readers read concatenated members as one
// stream), so making it is quick even under -race.
func gzipOf(t *testing.T, n int) []byte {
	t.Helper()
	member := func(data []byte) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(data)
		zw.Close()
		return buf.Bytes()
	}
	row := "x,Entity List (EL) - Bureau of Industry and Security,Acme\n"
	out := member([]byte("_id,source,name\n"))
	block := member([]byte(strings.Repeat(row, (1<<20)/len(row))))
	for i := 0; i < n/(1<<20); i++ {
		out = append(out, block...)
	}
	if rest := n % (1 << 20); rest > 0 {
		out = append(out, member([]byte(strings.Repeat(row, rest/len(row))))...)
	}
	return out
}

func TestGzipBombRefused(t *testing.T) {
	const limit = 1 << 20
	bomb := gzipOf(t, 16<<20) // 16 MiB of rows in tens of KiB
	t.Logf("bomb: %d bytes compressed, 16 MiB decompressed", len(bomb))

	_, err := Parse(bytes.NewReader(bomb), ParseOptions{MaxBytes: limit})
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "larger than 1048576 bytes once decompressed") {
		t.Fatalf("Parse: %v, want a *FormatError about the decompressed size", err)
	}

	p := filepath.Join(t.TempDir(), "bomb.csv.gz")
	os.WriteFile(p, bomb, 0o644)
	_, err = (&FileSource{Path: p, Parse: ParseOptions{MaxBytes: limit}}).Fetch(context.Background(), nil)
	if !errors.Is(err, ErrSourceRefused) || !strings.Contains(err.Error(), "once decompressed") {
		t.Fatalf("FileSource: %v, want refused for size", err)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(bomb) }))
	defer srv.Close()
	_, err = (&URLSource{URL: srv.URL, Parse: ParseOptions{MaxBytes: limit}}).Fetch(context.Background(), nil)
	if !errors.Is(err, ErrSourceRefused) || !strings.Contains(err.Error(), "once decompressed") {
		t.Fatalf("URLSource: %v, want refused for size", err)
	}

	// A list just under the bound still parses.
	if _, err := Parse(bytes.NewReader(gzipOf(t, limit/2)), ParseOptions{MaxBytes: limit}); err != nil {
		t.Fatalf("a list under the bound: %v", err)
	}
}

// TestFullListWithinDefaultBound parses the full CSL fixture with the default
// MaxBytes: the bound must leave real lists alone.
func TestFullListWithinDefaultBound(t *testing.T) {
	path := fixtures.Path(t, "data/csl_full_fixture.csv.gz")
	l, err := (&FileSource{Path: path}).Fetch(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Version.Entries < 1000 {
		t.Fatalf("only %d entries", l.Version.Entries)
	}
}

// TestMaxRows refuses a list of more rows than the bound: short rows within
// MaxBytes would otherwise cost gigabytes of entries.
func TestMaxRows(t *testing.T) {
	var csvList, jsonList strings.Builder
	csvList.WriteString("_id,source,name\n")
	jsonList.WriteString(`{"results":[`)
	for i := 0; i < 101; i++ {
		fmt.Fprintf(&csvList, "id-%d,Entity List (EL) - Bureau of Industry and Security,Company %d\n", i, i)
		if i > 0 {
			jsonList.WriteString(",")
		}
		fmt.Fprintf(&jsonList, `{"id":"id-%d","source":"Entity List (EL) - Bureau of Industry and Security","name":"Company %d"}`, i, i)
	}
	jsonList.WriteString("]}")
	for name, data := range map[string]string{"csv": csvList.String(), "json": jsonList.String()} {
		if _, err := Parse(strings.NewReader(data), ParseOptions{MaxRows: 101}); err != nil {
			t.Errorf("%s: 101 rows with MaxRows 101: %v", name, err)
		}
		_, err := Parse(strings.NewReader(data), ParseOptions{MaxRows: 100})
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "more than 100 rows") {
			t.Errorf("%s: 101 rows with MaxRows 100: %v, want refused", name, err)
		}
	}
}

func TestCSVLineTooLong(t *testing.T) {
	long := "_id,source,name\nx,Entity List (EL) - Bureau of Industry and Security," + strings.Repeat("a", maxCSVLine) + "\n"
	_, err := Parse(strings.NewReader(long), ParseOptions{})
	if !errors.As(err, new(*FormatError)) || !strings.Contains(err.Error(), "a line longer than") {
		t.Fatalf("err = %v, want refused for a long line", err)
	}
	ok := "_id,source,name\nx,Entity List (EL) - Bureau of Industry and Security," + strings.Repeat("a", 1500) + "\n"
	if _, err := Parse(strings.NewReader(ok+strings.Repeat(ok[len("_id,source,name\n"):], 2000)), ParseOptions{}); err != nil {
		t.Fatalf("3 MB of ordinary 1.5 KB lines: %v", err)
	}
}
