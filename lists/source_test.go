package lists

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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
		{"server error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 503) }, 0, &FetchError{}, "HTTP 503"},
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
