package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisLog keeps the audit trail in a Redis Stream, capped by length
// (approximately, which Redis trims cheaply) and optionally by age. It is
// the trail of deployments without PostgreSQL; it is not meant for years
// of records.
//
// Order: Query and Export return records in the order they were written
// (the stream's order), which is time order when records are written as
// they are made; a record written late (from a queue's backlog) comes
// where it was written. Cursors are stream ids.
//
// Cost: Redis cannot index the filters, so Query scans the stream from
// the cursor (or from From, less Skew) and applies them in Go, reading at
// most ScanBudget entries per call; a page may then be short with a
// cursor to continue. Get scans from the time in the id (less Skew).
//
// Durability: as the Redis server's persistence settings. WriteBatch is
// one MULTI/EXEC, all or nothing; a batch retried after a connection was
// lost during EXEC may be kept twice (readers see the same id twice).
//
// Safe for concurrent use, by many replicas.
type RedisLog struct {
	rdb    redis.UniversalClient
	key    string
	maxLen int64
	maxAge time.Duration

	// ScanBudget is the most stream entries one Query or Get reads
	// (default 10,000).
	ScanBudget int
	// Skew is how far a record's time may lie after the moment it was
	// written to the stream, for clocks that differ between replicas
	// (default 1 minute).
	Skew time.Duration
}

// NewRedisLog returns the log in the stream PREFIX:audit, keeping about
// maxLen records (0: no cap) none older than maxAge (0: no age limit).
func NewRedisLog(rdb redis.UniversalClient, prefix string, maxLen int64, maxAge time.Duration) *RedisLog {
	return &RedisLog{rdb: rdb, key: prefix + ":audit", maxLen: maxLen, maxAge: maxAge,
		ScanBudget: 10000, Skew: time.Minute}
}

func (a *RedisLog) addArgs(b []byte) *redis.XAddArgs {
	args := &redis.XAddArgs{Stream: a.key, Values: []any{"r", b}, Approx: true}
	switch {
	case a.maxAge > 0:
		// MINID trims by age: stream ids start with the ms timestamp.
		args.MinID = strconv.FormatInt(time.Now().Add(-a.maxAge).UnixMilli(), 10)
	case a.maxLen > 0:
		args.MaxLen = a.maxLen
	}
	return args
}

// Write implements Log.
func (a *RedisLog) Write(ctx context.Context, r Record) error {
	return a.WriteBatch(ctx, []Record{r})
}

// WriteBatch implements BatchWriter (see the type's note on retries).
func (a *RedisLog) WriteBatch(ctx context.Context, rs []Record) error {
	bs := make([][]byte, len(rs))
	for i, r := range rs {
		if err := r.Validate(); err != nil {
			return err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("audit record %s: %w", r.ID, err)
		}
		bs[i] = b
	}
	_, err := a.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, b := range bs {
			p.XAdd(ctx, a.addArgs(b))
		}
		if a.maxAge > 0 && a.maxLen > 0 {
			// both bounds: the age trim ran with XADD, the length one here
			p.XTrimMaxLenApprox(ctx, a.key, a.maxLen, 0)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("writing %d audit records to Redis: %w", len(rs), err)
	}
	return nil
}

var streamID = regexp.MustCompile(`^\d+-\d+$`)

// scan reads the stream after start ("(id") or from it (ms), chunk by
// chunk, calling fn for each decoded record until fn returns false, the
// stream ends (returns "") or budget entries were read (returns the last
// id read). budget < 0: no limit.
func (a *RedisLog) scan(ctx context.Context, start string, budget int, fn func(id string, r *Record) bool) (string, error) {
	last := ""
	for budget != 0 {
		n := 500
		if budget > 0 {
			n = min(n, budget)
		}
		msgs, err := a.rdb.XRangeN(ctx, a.key, start, "+", int64(n)).Result()
		if err != nil {
			return "", fmt.Errorf("reading the audit stream: %w", err)
		}
		for _, m := range msgs {
			last = m.ID
			s, _ := m.Values["r"].(string)
			var r Record
			if err := json.Unmarshal([]byte(s), &r); err != nil {
				continue // not a record of ours: skip, as the old reader did
			}
			if !fn(m.ID, &r) {
				return m.ID, nil
			}
		}
		if len(msgs) < n {
			return "", nil
		}
		if budget > 0 {
			budget -= len(msgs)
		}
		start = "(" + last
	}
	return last, nil
}

func (a *RedisLog) startAt(from time.Time) string {
	if from.IsZero() {
		return "-"
	}
	return strconv.FormatInt(max(from.Add(-a.Skew).UnixMilli(), 0), 10)
}

// Query implements Log; see the type for its order and cost.
func (a *RedisLog) Query(ctx context.Context, f Filter) (Page, error) {
	if err := f.Validate(); err != nil {
		return Page{}, err
	}
	start := a.startAt(f.From)
	if f.Cursor != "" {
		if !streamID.MatchString(f.Cursor) {
			return Page{}, fmt.Errorf("cursor %q: %w", f.Cursor, ErrBadCursor)
		}
		start = "(" + f.Cursor
	}
	limit := f.limit()
	var (
		p      Page
		lastIn string
	)
	next, err := a.scan(ctx, start, max(a.ScanBudget, limit+1), func(id string, r *Record) bool {
		if !f.Matches(r) {
			return true
		}
		if len(p.Records) == limit {
			p.NextCursor = lastIn
			return false
		}
		p.Records = append(p.Records, *r)
		lastIn = id
		return true
	})
	if err != nil {
		return Page{}, err
	}
	if p.NextCursor == "" {
		p.NextCursor = next // budget spent: continue from the last entry read
	}
	return p, nil
}

// Get implements Log.
func (a *RedisLog) Get(ctx context.Context, id string) (Record, error) {
	b, err := ParseID(id)
	if err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	ms := int64(b[0])<<40 | int64(b[1])<<32 | int64(b[2])<<24 | int64(b[3])<<16 | int64(b[4])<<8 | int64(b[5])
	var (
		found Record
		ok    bool
	)
	_, err = a.scan(ctx, a.startAt(time.UnixMilli(ms)), a.ScanBudget, func(_ string, r *Record) bool {
		if strings.EqualFold(r.ID, id) {
			found, ok = *r, true
		}
		return !ok
	})
	if err != nil {
		return Record{}, err
	}
	if !ok {
		return Record{}, fmt.Errorf("audit record %q: %w", id, ErrNotFound)
	}
	return found, nil
}

// Export implements Log: the stream is read 500 entries at a time.
func (a *RedisLog) Export(ctx context.Context, from, to time.Time, fn func(Record) error) error {
	f := Filter{From: from, To: to}
	var fnErr error
	_, err := a.scan(ctx, a.startAt(from), -1, func(_ string, r *Record) bool {
		if f.Matches(r) {
			fnErr = fn(*r)
		}
		return fnErr == nil
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}
