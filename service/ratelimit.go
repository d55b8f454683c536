package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// RateLimiter decides whether a caller may make one more request. Both
// implementations are token buckets of rate requests per second holding
// burst tokens (golang.org/x/time/rate in memory, GCRA in Redis through
// github.com/go-redis/redis_rate), so behaviour does not change when Redis
// is added; only the place the state lives does.
type RateLimiter interface {
	// Allow takes one token for key. When none is left it returns false and
	// how long until one is.
	Allow(ctx context.Context, key string) (bool, time.Duration, error)
}

// MemoryRateLimiter keeps the buckets in process memory (one replica).
type MemoryRateLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	sweep   time.Time
}

// NewMemoryRateLimiter allows rps requests per second per key, in bursts of burst.
func NewMemoryRateLimiter(rps float64, burst int) *MemoryRateLimiter {
	return &MemoryRateLimiter{limit: rate.Limit(rps), burst: max(burst, 1), now: time.Now, buckets: map[string]*rate.Limiter{}}
}

// Allow implements RateLimiter; it never fails.
func (l *MemoryRateLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.sweep) > time.Minute { // drop full buckets so memory stays bounded
		for k, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d, nil
	}
	return true, 0, nil
}

// Defaults of the shared limiter's fault handling.
const (
	// redisLimitTimeout bounds one Redis call: a rate-limit check must never
	// cost a screening (about 1 ms) more than this.
	redisLimitTimeout = 50 * time.Millisecond
	// breakerFailures consecutive failed calls open the breaker ...
	breakerFailures = 3
	// ... for breakerCooldown, after which one call tries Redis again.
	breakerCooldown = 5 * time.Second
)

// RedisRateLimiter keeps the buckets in Redis (github.com/go-redis/redis_rate)
// so the limit holds across replicas. It uses the Redis server's clock, so
// replicas' clocks need not agree.
//
// A Redis fault never slows or stops screening, and never lifts the limit:
//   - each call to Redis gets redisLimitTimeout (50 ms), whatever the
//     client's own timeouts and retries are; a call that takes longer is
//     abandoned and the request is judged by the local limiter;
//   - after breakerFailures consecutive failures the circuit breaker opens:
//     for breakerCooldown Redis is not called at all, then one request at a
//     time probes it, and a success closes the breaker again;
//   - while Redis fails, every request is judged by a local
//     golang.org/x/time/rate limiter of the same rate and burst. The limit
//     then holds per replica: with N replicas, a key may make up to N times
//     the shared rate until Redis is back.
//
// Opening and closing the breaker are logged (warn, info) and counted
// (screener_ratelimit_breaker_changes_total); screener_ratelimit_fallback
// is 1 while the local limiter stands in.
type RedisRateLimiter struct {
	rl     *redis_rate.Limiter
	prefix string
	limit  redis_rate.Limit
	local  *MemoryRateLimiter

	timeout   time.Duration
	failures  int
	cooldown  time.Duration
	now       func() time.Time
	logger    atomic.Pointer[slog.Logger]
	fallback  prometheus.Gauge
	changes   *prometheus.CounterVec
	mu        sync.Mutex
	failed    int       // consecutive failures while closed
	openUntil time.Time // zero: closed
	probing   bool      // a call is trying Redis after the cooldown
}

// NewRedisRateLimiter allows rps requests per second per key across all
// replicas sharing rdb, and per replica while Redis cannot be reached.
func NewRedisRateLimiter(rdb redis.UniversalClient, prefix string, rps float64, burst int) *RedisRateLimiter {
	burst = max(burst, 1)
	l := &RedisRateLimiter{
		rl: redis_rate.NewLimiter(rdb), prefix: prefix,
		// One token every 1/rps seconds: redis_rate's emission interval is Period/Rate.
		limit:   redis_rate.Limit{Rate: 1, Period: time.Duration(float64(time.Second) / rps), Burst: burst},
		local:   NewMemoryRateLimiter(rps, burst),
		timeout: redisLimitTimeout, failures: breakerFailures, cooldown: breakerCooldown, now: time.Now,
		fallback: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "screener_ratelimit_fallback",
			Help: "1 while Redis cannot be reached and each replica rate-limits on its own, else 0.",
		}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "screener_ratelimit_breaker_changes_total",
			Help: "Times the rate limiter's circuit breaker opened (Redis failing: limits are per replica) or closed (Redis back).",
		}, []string{"state"}),
	}
	l.changes.WithLabelValues("open")
	l.changes.WithLabelValues("closed")
	return l
}

// attach sets the logger (the first server's) and registers the limiter's
// metrics with reg.
func (l *RedisRateLimiter) attach(log *slog.Logger, reg prometheus.Registerer) {
	l.logger.CompareAndSwap(nil, log)
	if err := reg.Register(l); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
		l.log().Error("cannot register the rate limiter's metrics", "error", err)
	}
}

func (l *RedisRateLimiter) log() *slog.Logger {
	if lg := l.logger.Load(); lg != nil {
		return lg
	}
	return slog.Default()
}

// Describe implements prometheus.Collector.
func (l *RedisRateLimiter) Describe(ch chan<- *prometheus.Desc) {
	l.fallback.Describe(ch)
	l.changes.Describe(ch)
}

// Collect implements prometheus.Collector.
func (l *RedisRateLimiter) Collect(ch chan<- prometheus.Metric) {
	l.fallback.Collect(ch)
	l.changes.Collect(ch)
}

// Allow implements RateLimiter. It never fails: see the type's doc for
// what it does while Redis does.
func (l *RedisRateLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	if !l.tryRedis() {
		return l.local.Allow(ctx, key)
	}
	res, err := l.call(ctx, l.prefix+":ratelimit:"+key)
	if err != nil {
		if ctx.Err() == nil { // the client gone is not Redis's fault
			l.failure(err)
		} else {
			l.release()
		}
		return l.local.Allow(ctx, key)
	}
	l.success()
	if res.Allowed > 0 {
		return true, 0, nil
	}
	return false, res.RetryAfter, nil
}

// call asks Redis, waiting at most l.timeout. The client may not honour
// the context's deadline on its sockets (go-redis does only with
// ContextTimeoutEnabled), so the call is abandoned rather than waited on;
// it ends in the background within the client's own read timeout.
func (l *RedisRateLimiter) call(ctx context.Context, key string) (*redis_rate.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	type answer struct {
		res *redis_rate.Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		defer cancel()
		res, err := l.rl.Allow(ctx, key, l.limit)
		done <- answer{res, err}
	}()
	select {
	case a := <-done:
		return a.res, a.err
	case <-ctx.Done():
		return nil, fmt.Errorf("rate limit check: %w", ctx.Err())
	}
}

// tryRedis says whether this request may call Redis: always while the
// breaker is closed; once the cooldown has passed, one request at a time.
func (l *RedisRateLimiter) tryRedis() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.openUntil.IsZero() {
		return true
	}
	if l.probing || l.now().Before(l.openUntil) {
		return false
	}
	l.probing = true
	return true
}

// release ends a probe that did not reach a verdict.
func (l *RedisRateLimiter) release() {
	l.mu.Lock()
	l.probing = false
	l.mu.Unlock()
}

func (l *RedisRateLimiter) failure(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.openUntil.IsZero() { // a probe failed: wait another cooldown
		l.probing = false
		l.openUntil = l.now().Add(l.cooldown)
		return
	}
	l.failed++
	if l.failed < l.failures {
		return
	}
	l.failed = 0
	l.openUntil = l.now().Add(l.cooldown)
	l.fallback.Set(1)
	l.changes.WithLabelValues("open").Inc()
	l.log().Warn("rate limiter: Redis is failing; limiting each replica on its own until it is back",
		"consecutive_failures", l.failures, "retry_in", l.cooldown.String(), "error", err)
}

func (l *RedisRateLimiter) success() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed = 0
	if l.openUntil.IsZero() {
		return
	}
	l.openUntil, l.probing = time.Time{}, false
	l.fallback.Set(0)
	l.changes.WithLabelValues("closed").Inc()
	l.log().Info("rate limiter: Redis is back; limits are shared across replicas again")
}

// fallingBack reports whether the local limiter stands in for Redis.
func (l *RedisRateLimiter) fallingBack() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.openUntil.IsZero()
}

// limitRate answers 429 with Retry-After when the caller's bucket is empty.
// The caller is the API key id, or the client address when keys are off.
// A limiter that fails lets the request through (RedisRateLimiter does not
// fail: it falls back to a local limit).
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
			ok = true
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
