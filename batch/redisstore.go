package batch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is the Store shared by every replica through Redis.
//
// Layout (P is the key prefix). Every key of one job carries the hash tag
// {batch:ID}, so the scripts below touch one slot on a Redis Cluster; the
// queue is a key of its own and is never used in a script with them.
//
//	P:{batch:ID}:meta   hash: status, counters, times, list version, columns
//	P:{batch:ID}:in     hash: chunk number → deflated input rows (removed as chunks finish)
//	P:{batch:ID}:out    hash: chunk number → deflated results
//	P:batch:queue       stream of chunks to screen {j: job id, c: chunk}, consumer group "workers"
//	P:batch:key:HEX     hash: an API key's quota ledger (see redisquota.go)
//
// A worker reads a chunk with XREADGROUP; it stays in the group's pending
// list until the worker stores its results (a script that writes them with
// HSETNX and counts them only if it did) and XACKs it. A chunk pending
// longer than the claim timeout belongs to a dead (or stuck) replica and is
// taken over with XAUTOCLAIM; if the first worker was only slow, its late
// results find the chunk already written and change nothing.
type RedisStore struct {
	rdb      redis.UniversalClient
	prefix   string
	queue    string
	ttl      time.Duration
	claim    time.Duration
	consumer string

	// uploadIdle is how long an upload may go without storing a chunk
	// before its place in the quota is taken for abandoned (its replica
	// died).
	uploadIdle time.Duration

	claimMu     sync.Mutex
	claimCursor string
	lastClaim   time.Time
	lastSweep   time.Time
}

// RedisStoreOptions configures a RedisStore.
type RedisStoreOptions struct {
	Prefix string
	// TTL is how long a finished job's status and results are kept.
	TTL time.Duration
	// ClaimTimeout is how long a chunk may stay taken before another
	// replica takes it over.
	ClaimTimeout time.Duration
	// Consumer names this replica in the consumer group; default
	// hostname-pid-random.
	Consumer string
}

const (
	groupName = "workers"
	// pendingMargin keeps an unfinished job's keys well past the TTL, so
	// a job is never cut short by expiry; it only bounds what a job that
	// every replica abandoned leaves behind.
	pendingMargin = 24 * time.Hour
)

// NewRedisStore returns a store on rdb and creates the consumer group.
func NewRedisStore(ctx context.Context, rdb redis.UniversalClient, o RedisStoreOptions) (*RedisStore, error) {
	if o.Prefix == "" {
		o.Prefix = "screener"
	}
	if o.Consumer == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		o.Consumer = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	s := &RedisStore{rdb: rdb, prefix: o.Prefix, queue: o.Prefix + ":batch:queue", ttl: o.TTL, claim: o.ClaimTimeout,
		consumer: o.Consumer, claimCursor: "0-0", uploadIdle: 10 * time.Minute}
	if err := s.ensureGroup(ctx); err != nil {
		// Redis may come up later; Next creates the group then.
		return s, fmt.Errorf("batch queue: %w", err)
	}
	return s, nil
}

func (s *RedisStore) ensureGroup(ctx context.Context) error {
	// From "0": a group created again (after Redis lost it) still sees
	// every chunk left in the stream.
	err := s.rdb.XGroupCreateMkStream(ctx, s.queue, groupName, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return err
	}
	return nil
}

func (s *RedisStore) key(id, part string) string { return s.prefix + ":{batch:" + id + "}:" + part }

func ms(t time.Time) int64 { return t.UnixMilli() }

// PutInput implements Store.
func (s *RedisStore) PutInput(ctx context.Context, id string, n int, blob []byte) error {
	in := s.key(id, "in")
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, in, strconv.Itoa(n), blob)
		p.PExpire(ctx, in, s.ttl+pendingMargin)
		return nil
	})
	return err
}

// Submit implements Store.
func (s *RedisStore) Submit(ctx context.Context, j *Job) error {
	cols, _ := json.Marshal(j.Columns)
	fields := []any{"id", j.ID, "status", string(Queued), "list_version", j.ListVersion, "format", string(j.Format),
		"rows", j.Rows, "chunks", j.Chunks, "chunks_done", 0, "rows_done", 0, "rows_matched", 0, "rows_error", 0,
		"created_ms", ms(j.CreatedAt), "columns", cols, "key_id", j.KeyID, "raw_extras", j.RawExtras, "input_sha256", j.InputSHA256}
	ttl := s.ttl + pendingMargin
	if j.Chunks == 0 {
		fields = append(fields, "status", string(Done), "finished_ms", ms(time.Now()))
		ttl = s.ttl
	}
	meta := s.key(j.ID, "meta")
	if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, meta, fields...)
		p.PExpire(ctx, meta, ttl)
		return nil
	}); err != nil {
		return err
	}
	// Queue the chunks after the status exists: a worker that finds no
	// status drops the chunk as belonging to a deleted job.
	const batchSize = 500
	for from := 0; from < j.Chunks; from += batchSize {
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for c := from; c < min(from+batchSize, j.Chunks); c++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: s.queue, Values: []any{"j", j.ID, "c", c}})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	how := settleQueued
	if j.Chunks == 0 {
		how = settleFinished
	}
	return s.settle(ctx, j.KeyID, j.ID, 0, how)
}

// Discard implements Store.
func (s *RedisStore) Discard(ctx context.Context, keyID, id string) error {
	if err := s.rdb.Del(ctx, s.key(id, "in")).Err(); err != nil {
		return err
	}
	return s.settle(ctx, keyID, id, 0, settleGone)
}

// SaveDone implements Store.
func (s *RedisStore) SaveDone(ctx context.Context, j *Job, results [][]byte) error {
	cols, _ := json.Marshal(j.Columns)
	fields := []any{"id", j.ID, "status", string(Done), "list_version", j.ListVersion, "format", string(j.Format),
		"rows", j.Rows, "chunks", j.Chunks, "chunks_done", j.ChunksDone, "rows_done", j.RowsDone,
		"rows_matched", j.RowsWithMatches, "rows_error", j.RowsWithErrors, "rows_unscreenable", j.RowsUnscreenable, "created_ms", ms(j.CreatedAt),
		"columns", cols, "key_id", j.KeyID, "raw_extras", j.RawExtras, "input_sha256", j.InputSHA256}
	if j.StartedAt != nil {
		fields = append(fields, "started_ms", ms(*j.StartedAt))
	}
	if j.FinishedAt != nil {
		fields = append(fields, "finished_ms", ms(*j.FinishedAt))
	}
	meta, out := s.key(j.ID, "meta"), s.key(j.ID, "out")
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(results) > 0 {
			vals := make([]any, 0, 2*len(results))
			for n, b := range results {
				vals = append(vals, strconv.Itoa(n), b)
			}
			p.HSet(ctx, out, vals...)
			p.PExpire(ctx, out, s.ttl)
		}
		p.HSet(ctx, meta, fields...)
		p.PExpire(ctx, meta, s.ttl)
		return nil
	})
	if err != nil {
		return err
	}
	return s.settle(ctx, j.KeyID, j.ID, 0, settleFinished)
}

// Next implements Store. Every so often (a quarter of the claim timeout)
// one worker of the replica looks for chunks another consumer has held
// longer than the claim timeout and takes one over; otherwise it reads new
// chunks.
func (s *RedisStore) Next(ctx context.Context, wait time.Duration) (*Task, error) {
	if t, err := s.autoclaim(ctx); t != nil || err != nil {
		return t, err
	}
	if every := s.claimEvery(); wait > every {
		wait = every
	}
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: groupName, Consumer: s.consumer,
		Streams: []string{s.queue, ">"}, Count: 1, Block: wait}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if strings.Contains(err.Error(), "NOGROUP") {
			return nil, s.ensureGroup(ctx)
		}
		return nil, err
	}
	for _, st := range res {
		for _, m := range st.Messages {
			return s.task(ctx, m), nil
		}
	}
	return nil, nil
}

func (s *RedisStore) claimEvery() time.Duration {
	return min(max(s.claim/4, 10*time.Millisecond), 5*time.Second)
}

func (s *RedisStore) autoclaim(ctx context.Context) (*Task, error) {
	s.claimMu.Lock()
	if time.Since(s.lastClaim) < s.claimEvery() {
		s.claimMu.Unlock()
		return nil, nil
	}
	s.lastClaim = time.Now()
	cursor := s.claimCursor
	s.claimMu.Unlock()
	msgs, next, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: s.queue, Group: groupName, Consumer: s.consumer,
		MinIdle: s.claim, Start: cursor, Count: 1}).Result()
	if err != nil {
		if strings.Contains(err.Error(), "NOGROUP") {
			return nil, s.ensureGroup(ctx)
		}
		return nil, err
	}
	s.claimMu.Lock()
	s.claimCursor = next
	if len(msgs) > 0 || next != "0-0" {
		s.lastClaim = time.Time{} // there may be more: look again at once
	}
	s.claimMu.Unlock()
	for _, m := range msgs {
		return s.task(ctx, m), nil
	}
	return nil, nil
}

// task reads a stream entry; a malformed one is removed.
func (s *RedisStore) task(ctx context.Context, m redis.XMessage) *Task {
	id, _ := m.Values["j"].(string)
	c, err := strconv.Atoi(fmt.Sprint(m.Values["c"]))
	if !ValidID(id) || err != nil {
		s.ack(ctx, m.ID)
		return nil
	}
	return &Task{Job: id, Chunk: c, ref: m.ID}
}

func (s *RedisStore) ack(ctx context.Context, ref string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, s.queue, groupName, ref)
		p.XDel(ctx, s.queue, ref)
		return nil
	})
	return err
}

// Input implements Store.
func (s *RedisStore) Input(ctx context.Context, t *Task) ([]byte, error) {
	b, err := s.rdb.HGet(ctx, s.key(t.Job, "in"), strconv.Itoa(t.Chunk)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

var startScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'status') == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'started_ms', ARGV[1])
end
return 0`)

// Start implements Store.
func (s *RedisStore) Start(ctx context.Context, id string, at time.Time) error {
	return startScript.Run(ctx, s.rdb, []string{s.key(id, "meta")}, ms(at)).Err()
}

// completeScript stores one chunk's results once. KEYS: meta, out, in.
// ARGV: chunk, results, rows, matches, errors, now (ms), ttl (ms), unscreenable.
// Returns {outcome, the input chunk's length, the job's key id}; outcome
// is 0 (not stored: already there, or the job is gone or finished), 1
// (stored) or 2 (stored, and the job is done).
var completeScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'queued' and st ~= 'running' then return {0, 0, ''} end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return {0, 0, ''} end
local inlen = redis.call('HSTRLEN', KEYS[3], ARGV[1])
local key = redis.call('HGET', KEYS[1], 'key_id') or ''
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'rows_done', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'rows_matched', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'rows_error', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'rows_unscreenable', ARGV[8])
if st == 'queued' then redis.call('HSET', KEYS[1], 'status', 'running', 'started_ms', ARGV[6]) end
local done = redis.call('HINCRBY', KEYS[1], 'chunks_done', 1)
if done < tonumber(redis.call('HGET', KEYS[1], 'chunks')) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  return {1, inlen, key}
end
redis.call('HSET', KEYS[1], 'status', 'done', 'finished_ms', ARGV[6])
redis.call('DEL', KEYS[3])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return {2, inlen, key}`)

// Complete implements Store.
func (s *RedisStore) Complete(ctx context.Context, t *Task, blob []byte, c Counts, at time.Time) (bool, *Job, error) {
	out, err := completeScript.Run(ctx, s.rdb, []string{s.key(t.Job, "meta"), s.key(t.Job, "out"), s.key(t.Job, "in")},
		t.Chunk, blob, c.Rows, c.Matches, c.Errors, ms(at), s.ttl.Milliseconds(), c.Unscreenable).Slice()
	if err != nil {
		return false, nil, err
	}
	if len(out) != 3 {
		return false, nil, fmt.Errorf("batch: the complete script answered %v", out)
	}
	r, _ := out[0].(int64)
	inLen, _ := out[1].(int64)
	keyID, _ := out[2].(string)
	if r > 0 {
		how := ""
		if r == 2 {
			how = settleFinished
		}
		// The results take the place of the input chunk in the quota.
		// Should this fail, the next Admit of the key drops the place of
		// a finished job, and its bytes go when it expires.
		s.settle(ctx, keyID, t.Job, int64(len(blob))-inLen, how)
	}
	// Acknowledged only once the results are safe: a crash before this
	// line leaves the chunk pending, to be claimed and found written.
	if err := s.ack(ctx, t.ref); err != nil {
		return r > 0, nil, err
	}
	if r < 2 {
		return r > 0, nil, nil
	}
	j, err := s.Get(ctx, t.Job)
	if err != nil {
		return true, nil, err
	}
	return true, j, nil
}

// Drop implements Store.
func (s *RedisStore) Drop(ctx context.Context, t *Task) error { return s.ack(ctx, t.ref) }

// Release implements Store: the chunk is queued again as a new entry
// (readable by any replica at once) before the old one is acknowledged.
func (s *RedisStore) Release(ctx context.Context, t *Task) error {
	if err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.queue, Values: []any{"j", t.Job, "c", t.Chunk}}).Err(); err != nil {
		return err
	}
	return s.ack(ctx, t.ref)
}

var failScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'queued' and st ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[1], 'finished_ms', ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`)

// Fail implements Store.
func (s *RedisStore) Fail(ctx context.Context, id, reason string, at time.Time) (*Job, error) {
	r, err := failScript.Run(ctx, s.rdb, []string{s.key(id, "meta"), s.key(id, "out"), s.key(id, "in")},
		reason, ms(at), s.ttl.Milliseconds()).Int()
	if err != nil || r == 0 {
		return nil, err
	}
	j, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return j, s.settle(ctx, j.KeyID, id, 0, settleFinished)
}

// Get implements Store.
func (s *RedisStore) Get(ctx context.Context, id string) (*Job, error) {
	h, err := s.rdb.HGetAll(ctx, s.key(id, "meta")).Result()
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, ErrNotFound
	}
	num := func(k string) int64 { n, _ := strconv.ParseInt(h[k], 10, 64); return n }
	when := func(k string) *time.Time {
		if h[k] == "" {
			return nil
		}
		t := time.UnixMilli(num(k)).UTC()
		return &t
	}
	j := &Job{ID: id, Status: State(h["status"]), ListVersion: h["list_version"], Format: Format(h["format"]),
		Rows: num("rows"), RowsDone: num("rows_done"), RowsWithMatches: num("rows_matched"), RowsWithErrors: num("rows_error"), RowsUnscreenable: num("rows_unscreenable"),
		Chunks: int(num("chunks")), ChunksDone: int(num("chunks_done")), CreatedAt: time.UnixMilli(num("created_ms")).UTC(),
		StartedAt: when("started_ms"), FinishedAt: when("finished_ms"), Error: h["error"], KeyID: h["key_id"],
		RawExtras: h["raw_extras"] == "1", InputSHA256: h["input_sha256"]}
	json.Unmarshal([]byte(h["columns"]), &j.Columns)
	if j.FinishedAt != nil {
		e := j.FinishedAt.Add(s.ttl)
		j.ExpiresAt = &e
	}
	return j, nil
}

// Result implements Store.
func (s *RedisStore) Result(ctx context.Context, id string, n int) ([]byte, error) {
	b, err := s.rdb.HGet(ctx, s.key(id, "out"), strconv.Itoa(n)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

var deleteScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 0 end
if st == 'queued' or st == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_ms', ARGV[1])
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 2`)

// Delete implements Store. The cancelled job's chunks left in the queue
// are dropped by whichever worker reads them.
func (s *RedisStore) Delete(ctx context.Context, id string, at time.Time) (*Job, error) {
	prev, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	r, err := deleteScript.Run(ctx, s.rdb, []string{s.key(id, "meta"), s.key(id, "out"), s.key(id, "in")},
		ms(at), s.ttl.Milliseconds()).Int()
	if err != nil {
		return nil, err
	}
	if r == 0 {
		return nil, ErrNotFound
	}
	return prev, s.settle(ctx, prev.KeyID, id, 0, settleGone)
}

// Sweep implements Store: expiry is Redis's, so it only forgets consumers
// that have been idle for a long time and hold nothing (replicas that were
// scaled down or restarted under another name).
func (s *RedisStore) Sweep(ctx context.Context, now time.Time) {
	idle := max(10*s.claim, 10*time.Minute)
	s.claimMu.Lock()
	if now.Sub(s.lastSweep) < idle/10 {
		s.claimMu.Unlock()
		return
	}
	s.lastSweep = now
	s.claimMu.Unlock()
	cs, err := s.rdb.XInfoConsumers(ctx, s.queue, groupName).Result()
	if err != nil {
		return
	}
	for _, c := range cs {
		if c.Pending == 0 && c.Idle > idle && c.Name != s.consumer {
			s.rdb.XGroupDelConsumer(ctx, s.queue, groupName, c.Name)
		}
	}
}

// Close implements Store; the client belongs to the caller.
func (s *RedisStore) Close() error { return nil }
