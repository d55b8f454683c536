package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/audit/audittest"
	"github.com/cslscreen/screener/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func redisLog(t *testing.T) (*audit.RedisLog, *redis.Client) {
	t.Helper()
	s := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { rdb.Close() })
	return audit.NewRedisLog(rdb, "test", 0, 0), rdb
}

func TestRedisLog(t *testing.T) {
	l, _ := redisLog(t)
	audittest.Run(t, l, audittest.Options{WriteOrder: true})
}

// TestRedisLogScanBudget: a query whose matches lie beyond the budget
// returns short pages with cursors, and paging still finds them all.
func TestRedisLogScanBudget(t *testing.T) {
	l, _ := redisLog(t)
	l.ScanBudget = 10
	ctx := context.Background()
	var want []string
	for i := range 100 {
		r := audittest.Rec(i)
		if i%30 == 29 {
			r.KeyID = "rare"
			want = append(want, r.ID)
		}
		if err := l.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	f := audit.Filter{KeyID: "rare", Limit: 2}
	var got []string
	calls := 0
	for ; calls < 100; calls++ {
		p, err := l.Query(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, audittest.IDs(p.Records)...)
		if p.NextCursor == "" {
			break
		}
		f.Cursor = p.NextCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if calls < 9 { // 100 entries, 10 per call
		t.Fatalf("%d calls: the scan budget was not applied", calls+1)
	}
	if _, err := l.Query(ctx, audit.Filter{Cursor: "1-2-3"}); !errors.Is(err, audit.ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestRedisLogTrimsByLength(t *testing.T) {
	_, rdb := redisLog(t)
	l := audit.NewRedisLog(rdb, "capped", 100, 0)
	ctx := context.Background()
	for i := range 1000 {
		if err := l.Write(ctx, audittest.Rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.XLen(ctx, "capped:audit").Val(); n > 300 {
		t.Fatalf("stream holds %d entries with a cap of about 100", n)
	}
}

// TestQueueOverRedisRecovers: the queue keeps records while Redis is
// down and writes them when it is back.
func TestQueueOverRedisRecovers(t *testing.T) {
	s := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	l := audit.NewRedisLog(rdb, "q", 0, 0)
	ctx := context.Background()
	q := audit.NewQueue(l, audit.QueueConfig{RetryMin: time.Millisecond, RetryMax: 20 * time.Millisecond, WriteTimeout: time.Second})
	defer q.Close(ctx)
	s.Stop()
	for i := range 50 {
		if err := q.Write(ctx, audittest.Rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "a failed write", func() bool { return q.Stats().Failures > 0 })
	s.Restart()
	waitFor(t, "the backlog to be written", func() bool { return q.Stats().Written == 50 })
	if n := count(t, l); n != 50 {
		t.Fatalf("stream holds %d records, want 50", n)
	}
}
