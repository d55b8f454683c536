package lists

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is a Store shared by every replica through Redis.
//
// Layout (P is the key prefix; every key carries the {lists} hash tag so one
// script can touch them all on a Redis Cluster):
//
//	P:{lists}:current            the current version id
//	P:{lists}:versions           sorted set of published ids, by publish time
//	P:{lists}:v:ID:meta          the Version as JSON
//	P:{lists}:v:ID:entries:gob   the entries, as gzip'd gob chunks in a list
//	                             (gob decodes three times faster than JSON;
//	                             the suffix names the encoding, so a future
//	                             one can live beside it during an upgrade)
//	P:{lists}:refreshed          unix ms of the last successful check
//	P:{lists}:highwater          the shrink guard's HighWater as JSON
//	P:{lists}:lock:NAME          a lock token
//	P:lists:updates              pub/sub channel carrying new current ids
//
// A version is written under its own keys with an expiry first, then one
// script switches current to it, drops the expiry and starts the previous
// version's: a crashed writer leaves nothing that lasts, and no reader ever
// sees half a list.
type RedisStore struct {
	rdb       redis.UniversalClient
	prefix    string
	versionTT time.Duration
	// ChunkSize is the number of entries per stored chunk.
	chunkSize int
}

// RedisOptions tunes a RedisStore. The zero value uses the defaults.
type RedisOptions struct {
	// Prefix starts every key; default "screener".
	Prefix string
	// VersionTTL is how long a superseded version's entries stay loadable;
	// default 24h. Its metadata stays 30 days for the history.
	VersionTTL time.Duration
}

// NewRedisStore returns a store on rdb.
func NewRedisStore(rdb redis.UniversalClient, o RedisOptions) *RedisStore {
	if o.Prefix == "" {
		o.Prefix = "screener"
	}
	if o.VersionTTL <= 0 {
		o.VersionTTL = 24 * time.Hour
	}
	return &RedisStore{rdb: rdb, prefix: o.Prefix, versionTT: o.VersionTTL, chunkSize: 2000}
}

const metaHistoryTTL = 30 * 24 * time.Hour

func (s *RedisStore) key(parts ...string) string {
	return s.prefix + ":{lists}:" + strings.Join(parts, ":")
}
func (s *RedisStore) metaKey(id string) string    { return s.key("v", id, "meta") }
func (s *RedisStore) entriesKey(id string) string { return s.key("v", id, "entries", "gob") }
func (s *RedisStore) channel() string             { return s.prefix + ":lists:updates" }

// Kind implements Store.
func (s *RedisStore) Kind() string { return "redis" }

// Ping implements Store.
func (s *RedisStore) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return &StoreError{Op: "ping", Err: err}
	}
	return nil
}

// Current implements Store.
func (s *RedisStore) Current(ctx context.Context) (Version, error) {
	id, err := s.rdb.Get(ctx, s.key("current")).Result()
	if errors.Is(err, redis.Nil) {
		return Version{}, ErrNoVersion
	}
	if err != nil {
		return Version{}, &StoreError{Op: "get current", Err: err}
	}
	return s.meta(ctx, id)
}

func (s *RedisStore) meta(ctx context.Context, id string) (Version, error) {
	b, err := s.rdb.Get(ctx, s.metaKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Version{}, fmt.Errorf("version %s: %w", id, ErrNoVersion)
	}
	if err != nil {
		return Version{}, &StoreError{Op: "get meta", Err: err}
	}
	var v Version
	if err := json.Unmarshal(b, &v); err != nil {
		return Version{}, &StoreError{Op: "decode meta " + id, Err: err}
	}
	return v.redacted(), nil
}

// Load implements Store.
func (s *RedisStore) Load(ctx context.Context, id string) (*List, error) {
	v, err := s.meta(ctx, id)
	if err != nil {
		return nil, err
	}
	chunks, err := s.rdb.LRange(ctx, s.entriesKey(id), 0, -1).Result()
	if err != nil {
		return nil, &StoreError{Op: "load entries", Err: err}
	}
	if len(chunks) == 0 && v.Entries > 0 {
		return nil, fmt.Errorf("version %s: entries expired: %w", id, ErrNoVersion)
	}
	entries := make([]Entry, 0, v.Entries)
	for i, c := range chunks {
		zr, err := gzip.NewReader(strings.NewReader(c))
		if err != nil {
			return nil, &StoreError{Op: fmt.Sprintf("decode chunk %d of %s", i, id), Err: err}
		}
		var part []Entry
		err = gob.NewDecoder(zr).Decode(&part)
		zr.Close()
		if err != nil {
			return nil, &StoreError{Op: fmt.Sprintf("decode chunk %d of %s", i, id), Err: err}
		}
		entries = append(entries, part...)
	}
	if len(entries) != v.Entries {
		return nil, &StoreError{Op: "load " + id, Err: fmt.Errorf("%d entries stored, version says %d", len(entries), v.Entries)}
	}
	return newList(v, entries), nil
}

// switchScript makes a staged version current, if current is still what the
// caller saw (compare and set), and starts the previous version's expiry.
//
// KEYS: current, versions, new meta, new entries, old meta, old entries.
// ARGV: expected old id ("" for none), new id, score, entries ttl (s),
// meta ttl (s), history size, channel.
var switchScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if (cur or '') ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[3]) == 0 or redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PERSIST', KEYS[3])
redis.call('PERSIST', KEYS[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
if ARGV[1] ~= '' and ARGV[1] ~= ARGV[2] then
  redis.call('EXPIRE', KEYS[6], ARGV[4])
  redis.call('EXPIRE', KEYS[5], ARGV[5])
end
local n = redis.call('ZCARD', KEYS[2])
local keep = tonumber(ARGV[6])
if n > keep then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, n - keep - 1) end
redis.call('PUBLISH', ARGV[7], ARGV[2])
return 1
`)

// Publish implements Store.
func (s *RedisStore) Publish(ctx context.Context, l *List) error {
	id := l.Version.ID
	if len(l.Entries) == 0 {
		return fmt.Errorf("publish %s: refusing an empty list", id)
	}
	meta, err := json.Marshal(l.Version)
	if err != nil {
		return err
	}
	// Stage the new version with an expiry, unless it is already stored
	// whole (the same content published again).
	n, err := s.rdb.Exists(ctx, s.metaKey(id), s.entriesKey(id)).Result()
	if err != nil {
		return &StoreError{Op: "stage", Err: err}
	}
	if n < 2 {
		chunks, err := encodeChunks(l.Entries, s.chunkSize)
		if err != nil {
			return err
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, s.entriesKey(id))
			p.RPush(ctx, s.entriesKey(id), chunks...)
			p.Expire(ctx, s.entriesKey(id), s.versionTT)
			p.Set(ctx, s.metaKey(id), meta, s.versionTT)
			return nil
		})
		if err != nil {
			return &StoreError{Op: "stage " + id, Err: err}
		}
	} else if err := s.rdb.Set(ctx, s.metaKey(id), meta, redis.KeepTTL).Err(); err != nil {
		return &StoreError{Op: "stage " + id, Err: err}
	}
	for attempt := 0; attempt < 5; attempt++ {
		old, err := s.rdb.Get(ctx, s.key("current")).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return &StoreError{Op: "get current", Err: err}
		}
		oldMeta, oldEntries := s.key("none"), s.key("none")
		if old != "" {
			oldMeta, oldEntries = s.metaKey(old), s.entriesKey(old)
		}
		res, err := switchScript.Run(ctx, s.rdb,
			[]string{s.key("current"), s.key("versions"), s.metaKey(id), s.entriesKey(id), oldMeta, oldEntries},
			old, id, time.Now().UnixMilli(), int(s.versionTT.Seconds()), int(metaHistoryTTL.Seconds()), maxRetainedVersions, s.channel(),
		).Int()
		if err != nil {
			return &StoreError{Op: "switch to " + id, Err: err}
		}
		switch res {
		case 1:
			return nil
		case -1:
			return &StoreError{Op: "switch to " + id, Err: errors.New("staged version vanished before the switch")}
		}
		// current moved under us; try again against the new current
	}
	return &StoreError{Op: "switch to " + id, Err: errors.New("current version kept changing")}
}

// encodeChunks splits entries into gzip'd gob slices of at most size entries.
func encodeChunks(entries []Entry, size int) ([]any, error) {
	var out []any
	for i := 0; i < len(entries); i += size {
		j := min(i+size, len(entries))
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		if err := gob.NewEncoder(zw).Encode(entries[i:j]); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		out = append(out, buf.Bytes())
	}
	return out, nil
}

// Versions implements Store.
func (s *RedisStore) Versions(ctx context.Context) ([]Version, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.key("versions"), 0, -1).Result()
	if err != nil {
		return nil, &StoreError{Op: "versions", Err: err}
	}
	cur, err := s.rdb.Get(ctx, s.key("current")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, &StoreError{Op: "get current", Err: err}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.metaKey(id)
	}
	// One GET each rather than MGET: on a Cluster, MGET needs one slot, and
	// these keys share one only through the hash tag.
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, &StoreError{Op: "versions", Err: err}
	}
	out := make([]Version, 0, len(ids))
	for _, c := range cmds {
		b, err := c.(*redis.StringCmd).Bytes()
		if err != nil {
			continue // expired history
		}
		var v Version
		if json.Unmarshal(b, &v) == nil {
			out = append(out, v.redacted())
		}
	}
	sortVersions(out, cur)
	return out, nil
}

// Subscribe implements Store. It returns once Redis has confirmed the
// subscription, so a version published after it returns is delivered; when
// Redis does not confirm within 5s (or ctx ends) it returns anyway, and
// go-redis keeps trying, re-subscribing by itself after a connection loss.
func (s *RedisStore) Subscribe(ctx context.Context) <-chan string {
	out := make(chan string, 4)
	ps := s.rdb.Subscribe(ctx, s.channel())
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	ps.Receive(rctx) // the subscription confirmation; an error means Redis is unreachable for now
	cancel()
	go func() {
		defer close(out)
		defer ps.Close()
		ch := ps.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				select {
				case out <- m.Payload:
				default:
				}
			}
		}
	}()
	return out
}

// unlockScript deletes a lock only if it still holds the caller's token, so
// a holder whose lock expired cannot release someone else's.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// TryLock implements Store.
func (s *RedisStore) TryLock(ctx context.Context, name string, ttl time.Duration) (func(), error) {
	var b [16]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	k := s.key("lock", name)
	ok, err := s.rdb.SetNX(ctx, k, token, ttl).Result()
	if err != nil {
		return nil, &StoreError{Op: "lock " + name, Err: err}
	}
	if !ok {
		return nil, ErrLocked
	}
	return func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		unlockScript.Run(c, s.rdb, []string{k}, token)
	}, nil
}

// MarkRefreshed implements Store.
func (s *RedisStore) MarkRefreshed(ctx context.Context, t time.Time) error {
	if err := s.rdb.Set(ctx, s.key("refreshed"), t.UnixMilli(), 0).Err(); err != nil {
		return &StoreError{Op: "mark refreshed", Err: err}
	}
	return nil
}

// LastRefreshed implements Store.
func (s *RedisStore) LastRefreshed(ctx context.Context) (time.Time, error) {
	v, err := s.rdb.Get(ctx, s.key("refreshed")).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, &StoreError{Op: "last refreshed", Err: err}
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, nil
	}
	return time.UnixMilli(ms).UTC(), nil
}

// HighWater implements Store.
func (s *RedisStore) HighWater(ctx context.Context) (HighWater, error) {
	b, err := s.rdb.Get(ctx, s.key("highwater")).Bytes()
	if errors.Is(err, redis.Nil) {
		return HighWater{}, nil
	}
	if err != nil {
		return HighWater{}, &StoreError{Op: "get high-water mark", Err: err}
	}
	var h HighWater
	if err := json.Unmarshal(b, &h); err != nil {
		return HighWater{}, nil // unreadable: start a new mark rather than block refreshes
	}
	return h, nil
}

// SetHighWater implements Store.
func (s *RedisStore) SetHighWater(ctx context.Context, h HighWater) error {
	b, _ := json.Marshal(h)
	if err := s.rdb.Set(ctx, s.key("highwater"), b, 0).Err(); err != nil {
		return &StoreError{Op: "set high-water mark", Err: err}
	}
	return nil
}
