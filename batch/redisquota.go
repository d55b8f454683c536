package batch

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The quota ledger of an API key in Redis is one hash, P:batch:key:HEX
// (HEX is the key's id in hex), kept only when quotas are on:
//
//	u:ID → last activity (ms) of an upload being read
//	a:ID → 1 while the job is queued or running
//	b:ID → the bytes its chunks keep stored
//
// Scripts change it on its own (a job's keys live in another slot of a
// Redis Cluster, so the two are never changed in one step). What a crash
// between them leaves wrong (an upload that never finished, a job that
// expired) is set right by reconcile, which Admit runs first: the ledger
// follows the jobs, never the other way round.

func (s *RedisStore) ledger(keyID string) string {
	return s.prefix + ":batch:key:" + hex.EncodeToString([]byte(keyID))
}

var admitScript = redis.NewScript(`
local max = tonumber(ARGV[2])
if max > 0 then
  local n = 0
  for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
    local p = string.sub(f, 1, 2)
    if p == 'u:' or p == 'a:' then n = n + 1 end
  end
  if n >= max then return 0 end
end
redis.call('HSET', KEYS[1], 'u:' .. ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`)

// Admit implements Store.
func (s *RedisStore) Admit(ctx context.Context, keyID, id string, maxActive int) error {
	led := s.ledger(keyID)
	if err := s.reconcile(ctx, led); err != nil {
		return err
	}
	ok, err := admitScript.Run(ctx, s.rdb, []string{led}, id, maxActive, ms(time.Now()),
		(s.ttl + pendingMargin).Milliseconds()).Int()
	if err != nil {
		return err
	}
	if ok == 0 {
		return &QuotaError{What: QuotaActiveJobs, Limit: int64(maxActive)}
	}
	return nil
}

var chargeScript = redis.NewScript(`
local max = tonumber(ARGV[3])
if max > 0 then
  local used = tonumber(ARGV[2])
  local h = redis.call('HGETALL', KEYS[1])
  for i = 1, #h, 2 do
    if string.sub(h[i], 1, 2) == 'b:' then used = used + tonumber(h[i + 1]) end
  end
  if used > max then return 0 end
end
redis.call('HINCRBY', KEYS[1], 'b:' .. ARGV[1], ARGV[2])
if redis.call('HEXISTS', KEYS[1], 'u:' .. ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'u:' .. ARGV[1], ARGV[4])
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`)

// Charge implements Store.
func (s *RedisStore) Charge(ctx context.Context, keyID, id string, n, maxBytes int64) error {
	ok, err := chargeScript.Run(ctx, s.rdb, []string{s.ledger(keyID)}, id, n, maxBytes, ms(time.Now()),
		(s.ttl + pendingMargin).Milliseconds()).Int()
	if err != nil {
		return err
	}
	if ok == 0 {
		return &QuotaError{What: QuotaStoredBytes, Limit: maxBytes}
	}
	return nil
}

// How settle moves a job along in its key's ledger.
const (
	settleQueued   = "queued"   // the upload became a queued job
	settleFinished = "finished" // the job is done, failed or cancelled
	settleGone     = "gone"     // the job and its chunks are gone
)

// settleScript changes a job's entries in its key's ledger only if the job
// is in it (quotas are on). ARGV: id, bytes to add, how ("" for bytes only).
var settleScript = redis.NewScript(`
local u, a, b = 'u:' .. ARGV[1], 'a:' .. ARGV[1], 'b:' .. ARGV[1]
if redis.call('HEXISTS', KEYS[1], u) == 0 and redis.call('HEXISTS', KEYS[1], a) == 0
  and redis.call('HEXISTS', KEYS[1], b) == 0 then return 0 end
if tonumber(ARGV[2]) ~= 0 then redis.call('HINCRBY', KEYS[1], b, ARGV[2]) end
if ARGV[3] == 'queued' then
  if redis.call('HDEL', KEYS[1], u) == 1 then redis.call('HSET', KEYS[1], a, 1) end
elseif ARGV[3] == 'finished' then
  redis.call('HDEL', KEYS[1], u, a)
elseif ARGV[3] == 'gone' then
  redis.call('HDEL', KEYS[1], u, a, b)
end
return 1`)

func (s *RedisStore) settle(ctx context.Context, keyID, id string, bytes int64, how string) error {
	return settleScript.Run(ctx, s.rdb, []string{s.ledger(keyID)}, id, bytes, how).Err()
}

// reconcile drops from a key's ledger what no longer holds: jobs that
// expired or were deleted, uploads abandoned by a replica that died (idle
// past uploadIdle; their input is deleted too), places of finished jobs.
func (s *RedisStore) reconcile(ctx context.Context, led string) error {
	h, err := s.rdb.HGetAll(ctx, led).Result()
	if err != nil || len(h) == 0 {
		return err
	}
	status := map[string]*redis.StringCmd{}
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for f := range h {
			if id := f[min(2, len(f)):]; ValidID(id) && status[id] == nil {
				status[id] = p.HGet(ctx, s.key(id, "meta"), "status")
			}
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	now := time.Now()
	var drop []string
	for id, cmd := range status {
		st, err := cmd.Result()
		switch {
		case errors.Is(err, redis.Nil):
			if at, uploading := h["u:"+id]; uploading {
				last, _ := strconv.ParseInt(at, 10, 64)
				if now.Sub(time.UnixMilli(last)) < s.uploadIdle {
					continue // still being read
				}
				if err := s.rdb.Del(ctx, s.key(id, "in")).Err(); err != nil {
					return err
				}
			}
			drop = append(drop, "u:"+id, "a:"+id, "b:"+id)
		case err != nil:
			return err
		case st == string(Cancelled):
			drop = append(drop, "u:"+id, "a:"+id, "b:"+id)
		case State(st).Finished():
			drop = append(drop, "u:"+id, "a:"+id)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	return s.rdb.HDel(ctx, led, drop...).Err()
}
