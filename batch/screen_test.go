package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
)

// TestScreenRowChecksFacts checks that a row's date of birth, nationality
// and identifier go through the same checks as a single request's.
func TestScreenRowChecksFacts(t *testing.T) {
	snap := (&screening.Catalog{}).Load(lists.Embedded())
	for _, tc := range []struct {
		row    Row
		status string
		err    string
	}{
		{Row{Name: "Kaspersky Lab", DateOfBirth: "1962", Nationality: "RU", Identifier: "X1"}, StatusMatch, ""},
		{Row{Name: "Kaspersky Lab", DateOfBirth: "30/04/1962"}, StatusError, "date_of_birth: "},
		{Row{Name: "Kaspersky Lab", Nationality: "Russia"}, StatusError, "nationality: "},
	} {
		o := screenRow(snap, 0.78, &tc.row, nil)
		if o.Status != tc.status || !strings.Contains(o.Error, tc.err) {
			t.Errorf("%+v: %s %q, want %s %q", tc.row, o.Status, o.Error, tc.status, tc.err)
		}
	}
}

// TestScreenRowSuppressed checks that the matches a decision suppresses
// for a row's reference or name leave the count, the top matches and the
// status, and are kept apart with the decision's id.
func TestScreenRowSuppressed(t *testing.T) {
	snap := (&screening.Catalog{}).Load(lists.Embedded())
	plain := screenRow(snap, 0.78, &Row{Reference: "c-1", Name: "Kaspersky Lab"}, nil)
	if plain.Status != StatusMatch || plain.MatchCount < 2 || len(plain.Suppressed) != 0 {
		t.Fatalf("without suppression: %+v", plain)
	}
	best := plain.Matches[0].ID
	// Suppresses the best match for reference c-1, and every match of the
	// name "Kaspersky Lab" for reference c-2.
	sup := func(ref, name string, e *lists.Entry) string {
		switch {
		case ref == "c-1" && e.ID == best:
			return "dc_one"
		case ref == "c-2" && name == "Kaspersky Lab":
			return "dc_all"
		}
		return ""
	}
	one := screenRow(snap, 0.78, &Row{Reference: "c-1", Name: "Kaspersky Lab"}, sup)
	if one.Status != StatusMatch || one.MatchCount != plain.MatchCount-1 || len(one.Suppressed) != 1 ||
		one.Suppressed[0].ID != best || one.Suppressed[0].SuppressedBy != "dc_one" || one.Suppressed[0].Score != plain.Matches[0].Score {
		t.Errorf("one suppressed: %+v", one)
	}
	for _, m := range one.Matches {
		if m.ID == best {
			t.Errorf("the suppressed match is among the top matches")
		}
	}
	if one.BestScore != one.Matches[0].Score {
		t.Errorf("best score %v is not the best kept match's %v", one.BestScore, one.Matches[0].Score)
	}
	all := screenRow(snap, 0.78, &Row{Reference: "c-2", Name: "Kaspersky Lab"}, sup)
	// Nothing left: not a match (unscreenable rather than clear, as the
	// built-in snapshot never vouches for clear).
	if all.Status != StatusUnscreenable || all.MatchCount != 0 || len(all.Matches) != 0 || len(all.Suppressed) != plain.MatchCount || all.BestScore != 0 {
		t.Errorf("all suppressed: %+v", all)
	}
	if other := screenRow(snap, 0.78, &Row{Reference: "c-3", Name: "Kaspersky Lab"}, sup); other.MatchCount != plain.MatchCount || other.Suppressed != nil {
		t.Errorf("another reference: %+v", other)
	}
}

// TestQueuedJobSuppressed runs a queued job through the workers, chunk by
// chunk, with a suppressor asked for the job's key: its rows say what was
// suppressed, stored and read back; another key's job is untouched.
func TestQueuedJobSuppressed(t *testing.T) {
	cat := &screening.Catalog{}
	cat.Load(lists.NewList(lists.Version{Source: "file", Origin: "test"}, lists.Embedded().Entries))
	st, err := NewFileStore(t.TempDir(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var asked sync.Map
	m := New(Options{Store: st, Catalog: cat, Logger: quietLog, ChunkRows: 2, Suppressor: func(keyID string) screening.SuppressFunc {
		asked.Store(keyID, true)
		if keyID != "k" {
			return nil
		}
		return func(ref, name string, e *lists.Entry) string {
			if ref == "R1" || strings.EqualFold(name, "kaspersky lab") {
				return "dc_" + ref
			}
			return ""
		}
	}})
	run(t, m)
	in := "reference,name\nR1,AO Kaspersky Lab\nR2,Kaspersky Lab\nR3,OOO Kaspersky Group\nR4,Acme\n"
	submit := func(key string) *Job {
		r, f, err := Open(strings.NewReader(in), Media{ContentType: "text/csv"}, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		j, err := m.Submit(context.Background(), Upload{Body: r, Format: f, KeyID: key})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "job "+j.ID+" finished", func() bool {
			if j, err = m.Get(context.Background(), j.ID, key); err != nil {
				t.Fatal(err)
			}
			return j.Status.Finished()
		})
		return j
	}
	j := submit("k")
	if j.Status != Done || j.Chunks < 2 {
		t.Fatalf("job %+v", j)
	}
	var b bytes.Buffer
	if _, err := m.WriteResults(context.Background(), j, NewResultWriter(&b, JSONL, j), false); err != nil {
		t.Fatal(err)
	}
	var rows []resultLine
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var r resultLine
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	sup := func(r resultLine) (ids []string) {
		for _, s := range r.Suppressed {
			ids = append(ids, s.SuppressedBy)
		}
		return ids
	}
	// R1: every match by its reference; R2: every match by its name; R3
	// and R4: nothing.
	if len(rows) != 4 || len(rows[0].Suppressed) == 0 || rows[0].MatchCount != 0 || rows[0].Status == StatusMatch ||
		len(rows[1].Suppressed) == 0 || sup(rows[1])[0] != "dc_R2" || rows[2].Suppressed != nil || rows[2].Status != StatusMatch || rows[3].Suppressed != nil {
		t.Errorf("rows: %+v", rows)
	}
	if _, ok := asked.Load("k"); !ok {
		t.Error("the suppressor was not asked for the job's key")
	}
	other := submit("other")
	b.Reset()
	m.WriteResults(context.Background(), other, NewResultWriter(&b, JSONL, other), false)
	if strings.Contains(b.String(), `"suppressed"`) {
		t.Errorf("another key's rows suppressed: %s", b.String())
	}
}
