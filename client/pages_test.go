package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestAllDecisionsFollowsCursors reads pages as the server chains them,
// sends the filter on every request, stops asking when the caller stops,
// and refuses a server that answers the cursor it was asked for.
func TestAllDecisionsFollowsCursors(t *testing.T) {
	decision := func(id string) string {
		return `{"id":"` + id + `","reference":"","counterparty_name":"Acme","entry_id":"e1","source":"EL","entry_hash":"h","outcome":"false_positive","created_at":"2026-12-05T08:00:00Z"}`
	}
	var mu sync.Mutex
	var queries []string
	loop := false
	h := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		loop := loop
		mu.Unlock()
		if r.URL.Path != "/v1/decisions" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if q.Get("outcome") != FalsePositive || q.Get("key_id") != "app" || q.Get("limit") != "2" {
			writeProblem(w, 400, "the filter was lost: "+r.URL.RawQuery)
			return
		}
		switch c := q.Get("cursor"); {
		case c == "":
			io.WriteString(w, `{"decisions":[`+decision("d1")+`,`+decision("d2")+`],"next":"c2"}`)
		case c == "c2" && loop:
			io.WriteString(w, `{"decisions":[`+decision("d3")+`],"next":"c2"}`)
		case c == "c2":
			io.WriteString(w, `{"decisions":[`+decision("d3")+`],"next":""}`)
		default:
			writeProblem(w, 400, "bad cursor "+c)
		}
	}
	c, _ := newTest(t, h)
	ctx := context.Background()
	f := DecisionsFilter{Outcome: FalsePositive, KeyID: "app", Limit: 2}
	collect := func(f DecisionsFilter, stopAfter int) ([]string, error) {
		var ids []string
		for d, err := range c.AllDecisions(ctx, f) {
			if err != nil {
				return ids, err
			}
			ids = append(ids, d.ID)
			if len(ids) == stopAfter {
				break
			}
		}
		return ids, nil
	}
	reset := func() { mu.Lock(); queries = nil; mu.Unlock() }

	tests := []struct {
		name      string
		f         DecisionsFilter
		stopAfter int
		loop      bool
		want      string
		wantErr   error
		requests  int
	}{
		{name: "every page", f: f, want: "d1 d2 d3", requests: 2},
		{name: "from a cursor", f: DecisionsFilter{Outcome: FalsePositive, KeyID: "app", Limit: 2, Cursor: "c2"}, want: "d3", requests: 1},
		{name: "stopped early", f: f, stopAfter: 2, want: "d1 d2", requests: 1},
		{name: "a cursor loop", f: f, loop: true, want: "d1 d2 d3", wantErr: errCursorLoop, requests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reset()
			mu.Lock()
			loop = tt.loop
			mu.Unlock()
			ids, err := collect(tt.f, tt.stopAfter)
			if strings.Join(ids, " ") != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, %v; want %s, %v", ids, err, tt.want, tt.wantErr)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(queries) != tt.requests {
				t.Errorf("%d requests, want %d: %v", len(queries), tt.requests, queries)
			}
		})
	}

	// A refused page ends the iteration with the server's problem.
	reset()
	ids, err := collect(DecisionsFilter{Outcome: TrueMatch}, 0)
	var p *Problem
	if len(ids) != 0 || !errors.As(err, &p) || p.Status != 400 {
		t.Errorf("a refused page: %v %v", ids, err)
	}
}

// TestAlertsQuery sends every filter field, and only those set.
func TestAlertsQuery(t *testing.T) {
	var mu sync.Mutex
	var got string
	c, _ := newTest(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.URL.RawQuery
		mu.Unlock()
		io.WriteString(w, `{"alerts":[],"next":""}`)
	})
	for _, tt := range []struct {
		f    AlertsFilter
		want string
	}{
		{AlertsFilter{}, ""},
		{AlertsFilter{Status: AlertOpen, Reference: "c 1", List: "EL", KeyID: "app", Cursor: "9", Limit: 50}, "cursor=9&key_id=app&limit=50&list=EL&reference=c+1&status=open"},
	} {
		p, err := c.Alerts(context.Background(), tt.f)
		mu.Lock()
		got := got
		mu.Unlock()
		if err != nil || p.Alerts == nil || got != tt.want {
			t.Errorf("%+v: query %q, want %q (%+v %v)", tt.f, got, tt.want, p, err)
		}
	}
}
