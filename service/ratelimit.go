package service

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// RateLimiter decides whether a caller may make one more request. Both
// implementations use the same algorithm (GCRA, a token bucket of rate
// requests per second holding burst tokens), so behaviour does not change
// when Redis is added; only the place the state lives does.
type RateLimiter interface {
	// Allow takes one token for key. When none is left it returns false and
	// how long until one is.
	Allow(ctx context.Context, key string) (bool, time.Duration, error)
}

// gcra is the shared arithmetic: tat is the theoretical arrival time.
func gcra(now, tat time.Time, interval time.Duration, burst int) (newTAT time.Time, ok bool, retry time.Duration) {
	if tat.Before(now) {
		tat = now
	}
	newTAT = tat.Add(interval)
	allowAt := newTAT.Add(-time.Duration(burst) * interval)
	if now.Before(allowAt) {
		return tat, false, allowAt.Sub(now)
	}
	return newTAT, true, 0
}

// MemoryRateLimiter keeps the buckets in process memory (one replica).
type MemoryRateLimiter struct {
	interval time.Duration
	burst    int
	now      func() time.Time
	mu       sync.Mutex
	tat      map[string]time.Time
	sweep    time.Time
}

// NewMemoryRateLimiter allows rps requests per second per key, in bursts of burst.
func NewMemoryRateLimiter(rps float64, burst int) *MemoryRateLimiter {
	return &MemoryRateLimiter{interval: time.Duration(float64(time.Second) / rps), burst: max(burst, 1), now: time.Now, tat: map[string]time.Time{}}
}

// Allow implements RateLimiter.
func (l *MemoryRateLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.sweep) > time.Minute { // drop idle buckets so memory stays bounded
		for k, t := range l.tat {
			if t.Before(now) {
				delete(l.tat, k)
			}
		}
		l.sweep = now
	}
	tat, ok, retry := gcra(now, l.tat[key], l.interval, l.burst)
	if ok {
		l.tat[key] = tat
	}
	return ok, retry, nil
}

// RedisRateLimiter keeps the buckets in Redis so the limit holds across
// replicas. It uses the Redis server's clock, so replicas' clocks need not agree.
type RedisRateLimiter struct {
	rdb      redis.UniversalClient
	prefix   string
	interval time.Duration
	burst    int
}

// NewRedisRateLimiter allows rps requests per second per key across all
// replicas sharing rdb.
func NewRedisRateLimiter(rdb redis.UniversalClient, prefix string, rps float64, burst int) *RedisRateLimiter {
	return &RedisRateLimiter{rdb: rdb, prefix: prefix, interval: time.Duration(float64(time.Second) / rps), burst: max(burst, 1)}
}

// gcraScript: KEYS[1] the bucket; ARGV interval µs, burst. Returns 0 when
// allowed, else µs until a token is available.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new = tat + interval
local allow_at = new - burst * interval
if now < allow_at then return allow_at - now end
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000) + 1)
return 0
`)

// Allow implements RateLimiter.
func (l *RedisRateLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	us, err := gcraScript.Run(ctx, l.rdb, []string{l.prefix + ":ratelimit:" + key}, l.interval.Microseconds(), l.burst).Int64()
	if err != nil {
		return true, 0, err
	}
	if us == 0 {
		return true, 0, nil
	}
	return false, time.Duration(us) * time.Microsecond, nil
}

// limitRate answers 429 with Retry-After when the caller's bucket is empty.
// The caller is the API key id, or the client address when keys are off.
// When the shared limiter's store fails, the request is let through: the
// limit protects capacity, and refusing screenings because Redis is down
// would turn a Redis outage into a service outage.
func (s *Server) limitRate(log *slog.Logger) gin.HandlerFunc {
	var warnMu sync.Mutex
	var lastWarn time.Time
	return func(c *gin.Context) {
		if s.limiter == nil {
			c.Next()
			return
		}
		who := keyID(c)
		if who == "" {
			who = "ip:" + c.ClientIP()
		} else {
			who = "key:" + who
		}
		ok, retry, err := s.limiter.Allow(c.Request.Context(), who)
		if err != nil {
			warnMu.Lock()
			if time.Since(lastWarn) > time.Minute {
				lastWarn = time.Now()
				log.Warn("rate limiter unavailable; letting requests through", "error", err)
			}
			warnMu.Unlock()
		}
		if !ok {
			s.metrics.rateLimited.Inc()
			secs := int(math.Ceil(retry.Seconds()))
			c.Header("Retry-After", strconv.Itoa(max(secs, 1)))
			problem(c, http.StatusTooManyRequests, kindRateLimited, fmt.Sprintf("rate limit exceeded; retry in %d s", max(secs, 1)))
			return
		}
		c.Next()
	}
}
