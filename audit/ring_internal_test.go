package audit

import (
	"context"
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func mk(sec int) Record {
	at := t0.Add(time.Duration(sec) * time.Second)
	return Record{ID: NewID(at), Time: at, Channel: ChannelAPI}
}

func TestRingMaxAge(t *testing.T) {
	ctx := context.Background()
	g := NewRing(10, time.Minute)
	now := t0.Add(90 * time.Second)
	g.now = func() time.Time { return now }
	old, fresh := mk(0), mk(60)
	for _, r := range []Record{old, fresh} {
		if err := g.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := g.Query(ctx, Filter{})
	if len(p.Records) != 1 || p.Records[0].ID != fresh.ID {
		t.Fatalf("records %v, want only the fresh one", len(p.Records))
	}
	if _, err := g.Get(ctx, old.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of an expired record: %v, want ErrNotFound", err)
	}
}
