package monitor

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is a Store in Redis, shared by every replica. Every key sits
// in one hash slot ("{monitor}") so the scripts that touch several stay
// atomic.
//
//	P:{monitor}:keys             set of key ids with counterparties ("k:" + id)
//	P:{monitor}:cp:k:<key>       hash reference → counterparty JSON
//	P:{monitor}:cpidx:k:<key>    sorted set of references (by lex), for pages
//	P:{monitor}:a:<id>           alert JSON
//	P:{monitor}:aseq             alert sequence (INCR)
//	P:{monitor}:alerts           sorted set of alert ids by sequence
//	P:{monitor}:alerts:k:<key>   the same, one key's
//	P:{monitor}:alerts:r:<h>     the same, one (key, reference)'s
//	P:{monitor}:open:<h>         set of open alert ids of one entry
//	P:{monitor}:openall          set of every open alert id (for counts)
//	P:{monitor}:pending          set of alert ids whose delivery is pending
//	P:{monitor}:decisions        list of decision JSON
//	P:{monitor}:last             the version the monitoring caught up with
//	P:{monitor}:run:<from>><to>  a run's claim (token, with a TTL)
type RedisStore struct {
	rdb redis.UniversalClient
	p   string
}

// NewRedisStore returns a store under prefix.
func NewRedisStore(rdb redis.UniversalClient, prefix string) *RedisStore {
	return &RedisStore{rdb: rdb, p: prefix + ":{monitor}:"}
}

func (r *RedisStore) k(parts ...string) string {
	s := r.p
	for i, p := range parts {
		if i > 0 {
			s += ":"
		}
		s += p
	}
	return s
}

func keyPart(keyID string) string { return "k:" + keyID }

func hashPart(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (r *RedisStore) alertKey(id string) string { return r.k("a", id) }
func (r *RedisStore) refIndex(keyID, ref string) string {
	return r.k("alerts", "r", hashPart(keyID, ref))
}
func (r *RedisStore) openSet(entryKey string) string { return r.k("open", hashPart(entryKey)) }

// PutCounterparty implements Store.
func (r *RedisStore) PutCounterparty(ctx context.Context, c Counterparty) (Counterparty, bool, error) {
	hk := r.k("cp", keyPart(c.KeyID))
	for {
		var kept Counterparty
		created := false
		err := r.rdb.Watch(ctx, func(tx *redis.Tx) error {
			old, err := tx.HGet(ctx, hk, c.Reference).Bytes()
			switch {
			case errors.Is(err, redis.Nil):
				created = true
			case err != nil:
				return err
			default:
				var o Counterparty
				if err := json.Unmarshal(old, &o); err == nil {
					c.CreatedAt = o.CreatedAt
				}
			}
			b, err := json.Marshal(c)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, hk, c.Reference, b)
				p.ZAdd(ctx, r.k("cpidx", keyPart(c.KeyID)), redis.Z{Member: c.Reference})
				p.SAdd(ctx, r.k("keys"), keyPart(c.KeyID))
				return nil
			})
			kept = c
			return err
		}, hk)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		return kept, created, err
	}
}

// GetCounterparty implements Store.
func (r *RedisStore) GetCounterparty(ctx context.Context, keyID, ref string) (Counterparty, error) {
	b, err := r.rdb.HGet(ctx, r.k("cp", keyPart(keyID)), ref).Bytes()
	if errors.Is(err, redis.Nil) {
		return Counterparty{}, fmt.Errorf("counterparty %q: %w", ref, ErrNotFound)
	}
	if err != nil {
		return Counterparty{}, err
	}
	var c Counterparty
	return c, json.Unmarshal(b, &c)
}

// ListCounterparties implements Store.
func (r *RedisStore) ListCounterparties(ctx context.Context, keyID, cursor string, limit int) ([]Counterparty, string, error) {
	after, err := ParseRefCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	min := "-"
	if after != "" {
		min = "(" + after
	}
	refs, err := r.rdb.ZRangeByLex(ctx, r.k("cpidx", keyPart(keyID)), &redis.ZRangeBy{Min: min, Max: "+", Count: int64(limit + 1)}).Result()
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(refs) > limit {
		refs = refs[:limit]
		next = RefCursor(refs[limit-1])
	}
	if len(refs) == 0 {
		return nil, "", nil
	}
	vals, err := r.rdb.HMGet(ctx, r.k("cp", keyPart(keyID)), refs...).Result()
	if err != nil {
		return nil, "", err
	}
	out := make([]Counterparty, 0, len(vals))
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // deleted meanwhile
		}
		var c Counterparty
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	return out, next, nil
}

// DeleteCounterparty implements Store.
func (r *RedisStore) DeleteCounterparty(ctx context.Context, keyID, ref string) error {
	n, err := r.rdb.HDel(ctx, r.k("cp", keyPart(keyID)), ref).Result()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("counterparty %q: %w", ref, ErrNotFound)
	}
	return r.rdb.ZRem(ctx, r.k("cpidx", keyPart(keyID)), ref).Err()
}

// AllCounterparties implements Store.
func (r *RedisStore) AllCounterparties(ctx context.Context) ([]Counterparty, error) {
	keys, err := r.rdb.SMembers(ctx, r.k("keys")).Result()
	if err != nil {
		return nil, err
	}
	var out []Counterparty
	for _, kp := range keys {
		iter := r.rdb.HScan(ctx, r.k("cp", kp), 0, "", 1000).Iterator()
		for i := 0; iter.Next(ctx); i++ {
			if i%2 == 0 {
				continue // the field (reference); the value follows
			}
			var c Counterparty
			if err := json.Unmarshal([]byte(iter.Val()), &c); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		if err := iter.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// addAlert stores an alert and indexes it in one step, unless its id is
// taken: then it returns the stored alert.
var addAlert = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  local s = redis.call('INCR', KEYS[2])
  redis.call('ZADD', KEYS[3], s, ARGV[2])
  redis.call('ZADD', KEYS[4], s, ARGV[2])
  redis.call('ZADD', KEYS[5], s, ARGV[2])
  if ARGV[3] == 'open' then redis.call('SADD', KEYS[6], ARGV[2]) redis.call('SADD', KEYS[8], ARGV[2]) end
  if ARGV[4] == 'pending' then redis.call('SADD', KEYS[7], ARGV[2]) end
  return 1
end
return redis.call('GET', KEYS[1])`)

// AddAlert implements Store.
func (r *RedisStore) AddAlert(ctx context.Context, a Alert) (Alert, bool, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return Alert{}, false, err
	}
	res, err := addAlert.Run(ctx, r.rdb, []string{r.alertKey(a.ID), r.k("aseq"), r.k("alerts"), r.k("alerts", keyPart(a.KeyID)),
		r.refIndex(a.KeyID, a.Reference), r.openSet(EntryKey(a.Source, a.EntryID)), r.k("pending"), r.k("openall")}, b, a.ID, a.Status, deliveryState(a)).Result()
	if err != nil {
		return Alert{}, false, err
	}
	if s, ok := res.(string); ok {
		var old Alert
		return old, false, json.Unmarshal([]byte(s), &old)
	}
	return a, true, nil
}

func deliveryState(a Alert) string {
	if a.Delivery == nil {
		return ""
	}
	return a.Delivery.State
}

// GetAlert implements Store.
func (r *RedisStore) GetAlert(ctx context.Context, id string) (Alert, error) {
	b, err := r.rdb.Get(ctx, r.alertKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Alert{}, fmt.Errorf("alert %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Alert{}, err
	}
	var a Alert
	return a, json.Unmarshal(b, &a)
}

// ListAlerts implements Store: it walks the narrowest index newest first,
// a batch at a time, keeping what the filter selects.
func (r *RedisStore) ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, string, error) {
	before, err := decodeSeqCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit, err := PageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	if f.Undelivered {
		return r.undelivered(ctx, f, limit)
	}
	idx := r.k("alerts")
	switch {
	case !f.AllKeys && f.Reference != "":
		idx = r.refIndex(f.KeyID, f.Reference)
	case !f.AllKeys:
		idx = r.k("alerts", keyPart(f.KeyID))
	}
	max := "+inf"
	if before > 0 {
		max = "(" + strconv.FormatInt(before, 10)
	}
	var out []Alert
	var lastSeq float64
	for {
		zs, err := r.rdb.ZRevRangeByScoreWithScores(ctx, idx, &redis.ZRangeBy{Min: "-inf", Max: max, Count: 500}).Result()
		if err != nil {
			return nil, "", err
		}
		if len(zs) == 0 {
			return out, "", nil
		}
		keys := make([]string, len(zs))
		for i, z := range zs {
			keys[i] = r.alertKey(z.Member.(string))
		}
		vals, err := r.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, "", err
		}
		for i, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue
			}
			var a Alert
			if err := json.Unmarshal([]byte(s), &a); err != nil {
				return nil, "", err
			}
			if !f.keep(&a) {
				continue
			}
			if len(out) == limit {
				return out, strconv.FormatInt(int64(lastSeq), 10), nil
			}
			out = append(out, a)
			lastSeq = zs[i].Score
		}
		max = "(" + strconv.FormatInt(int64(zs[len(zs)-1].Score), 10)
	}
}

// undelivered lists the alerts whose delivery is pending from their own
// set, not by walking every alert; one page (webhooks poll again).
func (r *RedisStore) undelivered(ctx context.Context, f AlertFilter, limit int) ([]Alert, string, error) {
	ids, err := r.rdb.SRandMemberN(ctx, r.k("pending"), int64(limit)).Result()
	if err != nil {
		return nil, "", err
	}
	var out []Alert
	for _, id := range ids {
		a, err := r.GetAlert(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if f.keep(&a) {
			out = append(out, a)
		}
	}
	return out, "", nil
}

// UpdateAlert implements Store (optimistically, under WATCH).
func (r *RedisStore) UpdateAlert(ctx context.Context, id string, change func(*Alert) error) (Alert, error) {
	key := r.alertKey(id)
	for {
		var out Alert
		err := r.rdb.Watch(ctx, func(tx *redis.Tx) error {
			b, err := tx.Get(ctx, key).Bytes()
			if errors.Is(err, redis.Nil) {
				return fmt.Errorf("alert %q: %w", id, ErrNotFound)
			}
			if err != nil {
				return err
			}
			var a Alert
			if err := json.Unmarshal(b, &a); err != nil {
				return err
			}
			if err := change(&a); err != nil {
				return err
			}
			nb, err := json.Marshal(a)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, nb, 0)
				if a.Status != AlertOpen {
					p.SRem(ctx, r.openSet(EntryKey(a.Source, a.EntryID)), a.ID)
					p.SRem(ctx, r.k("openall"), a.ID)
				}
				if deliveryState(a) != DeliveryPending {
					p.SRem(ctx, r.k("pending"), a.ID)
				}
				return nil
			})
			out = a
			return err
		}, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		return out, err
	}
}

// OpenAlertsOf implements Store.
func (r *RedisStore) OpenAlertsOf(ctx context.Context, entryKey string) ([]Alert, error) {
	ids, err := r.rdb.SMembers(ctx, r.openSet(entryKey)).Result()
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var out []Alert
	for _, id := range ids {
		a, err := r.GetAlert(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if a.Status == AlertOpen {
			out = append(out, a)
		}
	}
	return out, nil
}

// AddDecision implements Store.
func (r *RedisStore) AddDecision(ctx context.Context, d Decision) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return r.rdb.RPush(ctx, r.k("decisions"), b).Err()
}

// FalsePositives implements Store.
func (r *RedisStore) FalsePositives(ctx context.Context) ([]Decision, error) {
	all, err := r.decisions(ctx)
	if err != nil {
		return nil, err
	}
	var out []Decision
	for _, d := range all {
		if d.Outcome == FalsePositive {
			out = append(out, d)
		}
	}
	return out, nil
}

// decisions reads every decision, oldest first.
func (r *RedisStore) decisions(ctx context.Context) ([]Decision, error) {
	vals, err := r.rdb.LRange(ctx, r.k("decisions"), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	out := make([]Decision, len(vals))
	for i, v := range vals {
		if err := json.Unmarshal([]byte(v), &out[i]); err != nil {
			return nil, fmt.Errorf("decision %d: %w", i, err)
		}
	}
	return out, nil
}

// GetDecision implements Store.
func (r *RedisStore) GetDecision(ctx context.Context, id string) (Decision, error) {
	all, err := r.decisions(ctx)
	if err != nil {
		return Decision{}, err
	}
	for _, d := range all {
		if d.ID == id {
			return d, nil
		}
	}
	return Decision{}, fmt.Errorf("decision %q: %w", id, ErrNotFound)
}

// ListDecisions implements Store. The list only grows, so a position is
// a stable cursor.
func (r *RedisStore) ListDecisions(ctx context.Context, f DecisionFilter) ([]Decision, string, error) {
	all, err := r.decisions(ctx)
	if err != nil {
		return nil, "", err
	}
	return pageDecisions(all, f)
}

// Counts implements Store. Open alerts are counted from a set kept since
// this build; alerts opened by an older one are not in it.
func (r *RedisStore) Counts(ctx context.Context) (Counts, error) {
	keys, err := r.rdb.SMembers(ctx, r.k("keys")).Result()
	if err != nil {
		return Counts{}, err
	}
	var lens []*redis.IntCmd
	var open, pending *redis.IntCmd
	_, err = r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, kp := range keys {
			lens = append(lens, p.HLen(ctx, r.k("cp", kp)))
		}
		open, pending = p.SCard(ctx, r.k("openall")), p.SCard(ctx, r.k("pending"))
		return nil
	})
	if err != nil {
		return Counts{}, err
	}
	n := Counts{OpenAlerts: open.Val(), PendingDeliveries: pending.Val()}
	for _, l := range lens {
		n.Counterparties += l.Val()
	}
	return n, nil
}

// LastVersion implements Store.
func (r *RedisStore) LastVersion(ctx context.Context) (string, error) {
	v, err := r.rdb.Get(ctx, r.k("last")).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

var release = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// ClaimRun implements Store: SET NX with a TTL, released only by its holder.
func (r *RedisStore) ClaimRun(ctx context.Context, from, to string, ttl time.Duration) (func(), error) {
	var b [12]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	key := r.k("run", from+">"+to)
	ok, err := r.rdb.SetNX(ctx, key, token, ttl).Result()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrClaimed
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		release.Run(ctx, r.rdb, []string{key}, token)
	}, nil
}

var finishRun = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0`)

// FinishRun implements Store.
func (r *RedisStore) FinishRun(ctx context.Context, from, to string) error {
	return finishRun.Run(ctx, r.rdb, []string{r.k("last")}, from, to).Err()
}

// SetLastVersion sets the version the monitoring caught up with (for tests
// of a run redone after a crash).
func (r *RedisStore) SetLastVersion(v string) {
	r.rdb.Set(context.Background(), r.k("last"), v, 0)
}
