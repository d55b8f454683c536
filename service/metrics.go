package service

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// Metrics are the service's Prometheus metrics. Labels only ever carry
// bounded values (route templates, list codes, outcomes), never a
// counterparty name or an id.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	screenings   *prometheus.CounterVec
	unscreenable *prometheus.CounterVec
	matchScore   prometheus.Histogram
	matchesByLst *prometheus.CounterVec

	listEntries     *prometheus.GaugeVec
	listInfo        *prometheus.GaugeVec
	listFetched     prometheus.Gauge
	listBuiltin     prometheus.Gauge
	listAge         prometheus.GaugeFunc
	listAgeFn       func() float64
	listLoaded      prometheus.Gauge
	refreshSuccess  prometheus.Gauge
	refreshes       *prometheus.CounterVec
	refreshFailures *prometheus.CounterVec
	indexBuild      prometheus.Gauge

	redisDuration *prometheus.HistogramVec
	redisErrors   *prometheus.CounterVec

	authFailures *prometheus.CounterVec
	rateLimited  prometheus.Counter

	BatchJobs     *prometheus.CounterVec
	BatchRows     *prometheus.CounterVec
	BatchDuration prometheus.Histogram
	BatchQueued   prometheus.GaugeFunc
	batchQueuedFn func() float64
	AuditErrors   prometheus.Counter
	AuditWritten  prometheus.Counter
	auditStatsFn  func() audit.QueueStats
}

// SetAuditStats sets the function reporting the audit queue, for the
// audit queue metrics.
func (m *Metrics) SetAuditStats(f func() audit.QueueStats) { m.auditStatsFn = f }

// BuildInfo identifies the running binary.
type BuildInfo struct {
	Version string
	Commit  string
}

// NewMetrics registers every metric on a new registry, with the Go runtime
// and process collectors and a build-info metric.
func NewMetrics(build BuildInfo) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{Registry: r}
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f(collectors.NewBuildInfoCollector())
	bi := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "screener_build_info",
		Help:        "Build facts of the running screener; the value is always 1.",
		ConstLabels: prometheus.Labels{"version": build.Version, "commit": build.Commit, "goversion": runtime.Version()},
	})
	bi.Set(1)
	f(bi)

	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "screener_http_requests_total", Help: "HTTP requests by route template, method and status code.",
	}, []string{"route", "method", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "screener_http_request_duration_seconds", Help: "HTTP request latency by route template, method and status code.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "code"})
	m.screenings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "screener_screenings_total", Help: "Names screened, by outcome (the answer's status: match, clear or unscreenable) and channel (api or batch).",
	}, []string{"outcome", "channel"})
	m.unscreenable = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "screener_unscreenable_total", Help: "Answers that could not say clear, by reason (builtin_list, no_comparable_words, unread_script) and channel.",
	}, []string{"reason", "channel"})
	m.matchScore = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "screener_match_score", Help: "Scores of the matches returned.",
		Buckets: []float64{.5, .6, .7, .75, .8, .85, .9, .95, .98, 1},
	})
	m.matchesByLst = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "screener_matches_total", Help: "Matches returned, by list code (EL, SDN, DPL, ...).",
	}, []string{"list"})
	m.listEntries = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "screener_list_entries", Help: "Entries in the served list version, by list code.",
	}, []string{"list"})
	m.listInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "screener_list_info", Help: "The served list version; the value is always 1.",
	}, []string{"version", "source", "builtin"})
	m.listFetched = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "screener_list_fetched_timestamp_seconds", Help: "When the served list version was fetched from its origin (its age is time() minus this).",
	})
	m.listBuiltin = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "screener_list_builtin", Help: "1 while only the small built-in snapshot is served (answers cannot be clear), else 0.",
	})
	m.listAge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "screener_list_age_seconds", Help: "Age of the served list, from when its source was fetched (the built-in snapshot: its date).",
	}, func() float64 {
		if m.listAgeFn == nil {
			return 0
		}
		return m.listAgeFn()
	})
	m.listLoaded = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "screener_list_loaded_timestamp_seconds", Help: "When this replica started serving the current list version.",
	})
	m.refreshSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "screener_list_last_refresh_success_timestamp_seconds", Help: "When this replica last refreshed the list successfully (published, unchanged or not modified).",
	})
	m.refreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "screener_list_refreshes_total", Help: "List refresh attempts by outcome (published, unchanged, not_modified, locked, failed).",
	}, []string{"outcome"})
	m.refreshFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "screener_list_refresh_failures_total", Help: "Failed list refreshes by reason (fetch, parse, shrink, store).",
	}, []string{"reason"})
	m.indexBuild = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "screener_index_build_seconds", Help: "Time taken to build the match index of the served list.",
	})
	m.redisDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "screener_redis_command_duration_seconds", Help: "Redis command latency by command.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"command"})
	m.redisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "screener_redis_errors_total", Help: "Failed Redis commands by command.",
	}, []string{"command"})
	m.authFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "screener_auth_failures_total", Help: "Requests refused for a missing or unknown API key.",
	}, []string{"reason"})
	m.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "screener_rate_limited_total", Help: "Requests refused by the per-key rate limit.",
	})
	m.BatchJobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "screener_batch_jobs_total", Help: "Batch jobs that reached a status (queued, done, failed, cancelled).",
	}, []string{"status"})
	m.BatchRows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "screener_batch_rows_total", Help: "Batch rows screened, by outcome (clear, match, unscreenable, error).",
	}, []string{"outcome"})
	m.BatchDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "screener_batch_job_duration_seconds", Help: "Batch job duration from start to finish.",
		Buckets: prometheus.ExponentialBuckets(0.1, 3, 12),
	})
	m.BatchQueued = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "screener_batch_jobs_active", Help: "Batch jobs queued or running that this replica knows of.",
	}, func() float64 {
		if m.batchQueuedFn == nil {
			return 0
		}
		return m.batchQueuedFn()
	})
	m.AuditWritten = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "screener_audit_records_total", Help: "Screenings written to the audit log.",
	})
	m.AuditErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "screener_audit_errors_total", Help: "Screenings that could not be written to the audit log.",
	})
	auditStat := func(name, help string, v func(audit.QueueStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if m.auditStatsFn == nil {
				return 0
			}
			return v(m.auditStatsFn())
		})
	}
	f(auditStat("screener_audit_queue_depth", "Audit records waiting to be written (backlog while the backend is slow or down).",
		func(s audit.QueueStats) float64 { return float64(s.Depth) }))
	f(auditStat("screener_audit_queue_dropped", "Audit records the queue could not keep since start (it was full).",
		func(s audit.QueueStats) float64 { return float64(s.Dropped) }))
	f(auditStat("screener_audit_commit_seconds", "How long the last audit batch write took (a group commit with PostgreSQL).",
		func(s audit.QueueStats) float64 { return s.LastCommit.Seconds() }))
	f(auditStat("screener_audit_commit_max_seconds", "The longest audit batch write since start.",
		func(s audit.QueueStats) float64 { return s.MaxCommit.Seconds() }))
	f(auditStat("screener_audit_backend_failures", "Failed audit batch writes since start (retried).",
		func(s audit.QueueStats) float64 { return float64(s.Failures) }))
	for _, c := range []prometheus.Collector{m.httpRequests, m.httpDuration, m.screenings, m.matchScore, m.matchesByLst,
		m.unscreenable, m.listBuiltin, m.listAge,
		m.listEntries, m.listInfo, m.listFetched, m.listLoaded, m.refreshSuccess, m.refreshes, m.refreshFailures, m.indexBuild,
		m.redisDuration, m.redisErrors, m.authFailures, m.rateLimited, m.BatchJobs, m.BatchRows, m.BatchDuration, m.BatchQueued,
		m.AuditWritten, m.AuditErrors} {
		f(c)
	}
	// Pre-create the series with a fixed label set so dashboards and alerts
	// see zeros rather than absent series.
	for _, ch := range []string{"api", "batch"} {
		for _, o := range []screening.Status{screening.StatusMatch, screening.StatusClear, screening.StatusUnscreenable} {
			m.screenings.WithLabelValues(string(o), ch)
		}
		for _, r := range []string{screening.ReasonBuiltinList, screening.ReasonNoWords, screening.ReasonUnreadScript} {
			m.unscreenable.WithLabelValues(r, ch)
		}
	}
	for _, o := range []string{lists.OutcomePublished, lists.OutcomeUnchanged, lists.OutcomeNotModified, lists.OutcomeLocked, lists.OutcomeFailed} {
		m.refreshes.WithLabelValues(o)
	}
	for _, r := range []string{lists.ReasonFetch, lists.ReasonParse, lists.ReasonShrink, lists.ReasonStore} {
		m.refreshFailures.WithLabelValues(r)
	}
	for _, s := range []string{"queued", "done", "failed", "cancelled"} {
		m.BatchJobs.WithLabelValues(s)
	}
	for _, o := range []string{"clear", "match", "unscreenable", "error"} {
		m.BatchRows.WithLabelValues(o)
	}
	return m
}

// SetBatchActive sets the function reporting active batch jobs.
func (m *Metrics) SetBatchActive(f func() float64) { m.batchQueuedFn = f }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() gin.HandlerFunc {
	h := promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
	return gin.WrapH(h)
}

// instrument records each request's count and latency by route template.
func (m *Metrics) instrument() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched" // unknown paths must not each become a series
		}
		code := strconv.Itoa(c.Writer.Status())
		method := methodLabel(c.Request.Method)
		m.httpRequests.WithLabelValues(route, method, code).Inc()
		m.httpDuration.WithLabelValues(route, method, code).Observe(time.Since(start).Seconds())
	}
}

// methodLabel is the request method as metrics and the access log show
// it: one of the standard methods the API could serve, else "other". The
// method is whatever token a client sends, before any key is checked, so
// it must not become a label or a log field as is.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// ObserveScreening counts one screened name and its matches.
func (m *Metrics) ObserveScreening(channel string, v *screening.Verdict, matches []screening.Match) {
	m.observeVerdict(channel, v)
	for i := range matches {
		m.matchScore.Observe(matches[i].Score)
		m.matchesByLst.WithLabelValues(matches[i].List).Inc()
	}
}

// observeBriefs counts one screened batch row: its outcome, and the
// matches its result shows (the best batch.TopMatches of count).
func (m *Metrics) observeBriefs(channel string, v *screening.Verdict, top []screening.Brief) {
	m.observeVerdict(channel, v)
	for i := range top {
		m.matchScore.Observe(top[i].Score)
		m.matchesByLst.WithLabelValues(top[i].List).Inc()
	}
}

func (m *Metrics) observeVerdict(channel string, v *screening.Verdict) {
	m.screenings.WithLabelValues(string(v.Status), channel).Inc()
	if v.Reason != "" {
		m.unscreenable.WithLabelValues(v.Reason, channel).Inc()
	}
}

// SetListAge sets the function reporting the served list's age in seconds.
func (m *Metrics) SetListAge(f func() float64) { m.listAgeFn = f }

// ObserveSnapshot updates the list gauges for a newly served snapshot.
func (m *Metrics) ObserveSnapshot(s *screening.Snapshot) {
	v := s.List.Version
	m.listInfo.Reset()
	m.listInfo.WithLabelValues(v.ID, v.Source, strconv.FormatBool(v.Builtin)).Set(1)
	if v.Builtin {
		m.listBuiltin.Set(1)
	} else {
		m.listBuiltin.Set(0)
	}
	m.listEntries.Reset()
	for src, n := range v.Counts {
		m.listEntries.WithLabelValues(lists.ListCode(src)).Add(float64(n))
	}
	if !v.FetchedAt.IsZero() {
		m.listFetched.Set(float64(v.FetchedAt.UnixMilli()) / 1000)
	}
	m.listLoaded.Set(float64(s.LoadedAt.UnixMilli()) / 1000)
	m.indexBuild.Set(s.BuildTime.Seconds())
}

// ObserveRefresh counts one refresh result.
func (m *Metrics) ObserveRefresh(r lists.RefreshResult) {
	m.refreshes.WithLabelValues(r.Outcome).Inc()
	switch r.Outcome {
	case lists.OutcomeFailed:
		m.refreshFailures.WithLabelValues(r.Reason).Inc()
	case lists.OutcomePublished, lists.OutcomeUnchanged, lists.OutcomeNotModified:
		m.refreshSuccess.SetToCurrentTime()
	}
}

// RedisHook returns a go-redis hook that times every command and counts
// failures (redis.Nil, a missing key, is not a failure).
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			h.m.redisErrors.WithLabelValues("dial").Inc()
		}
		return c, err
	}
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		name := commandName(cmd)
		if name != "xreadgroup" { // it blocks waiting for work: its time is not latency
			h.m.redisDuration.WithLabelValues(name).Observe(time.Since(start).Seconds())
		}
		if failed(cmd, err) {
			h.m.redisErrors.WithLabelValues(name).Inc()
		}
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.m.redisDuration.WithLabelValues("pipeline").Observe(time.Since(start).Seconds())
		for _, c := range cmds {
			if failed(c, c.Err()) {
				h.m.redisErrors.WithLabelValues("pipeline").Inc()
				break
			}
		}
		return err
	}
}

// failed tells a real failure from the answers go-redis expects and handles
// itself: redis.Nil (no such key), NOSCRIPT (it retries with EVAL), and
// the CLIENT SETINFO / MAINT_NOTIFICATIONS of its connection handshake,
// which Redis before 7.2 does not know. Counting those would make every
// new connection look like an error.
func failed(cmd redis.Cmder, err error) bool {
	if err == nil || errors.Is(err, redis.Nil) {
		return false
	}
	if strings.HasPrefix(err.Error(), "NOSCRIPT") {
		return false
	}
	return !strings.EqualFold(cmd.Name(), "client")
}

// knownCommands bounds the command label; anything else is "other".
var knownCommands = map[string]bool{
	"get": true, "set": true, "del": true, "exists": true, "expire": true, "ttl": true, "ping": true, "mget": true,
	"lrange": true, "rpush": true, "zadd": true, "zrevrange": true, "zrange": true, "evalsha": true, "eval": true,
	"publish": true, "subscribe": true, "xadd": true, "xreadgroup": true, "xack": true, "xautoclaim": true,
	"xgroup": true, "xrange": true, "xrevrange": true, "xlen": true, "xtrim": true, "hset": true, "hget": true,
	"hgetall": true, "hincrby": true, "incr": true, "incrby": true, "pexpire": true, "setnx": true, "multi": true, "exec": true,
	"zremrangebyscore": true, "zcard": true, "hmget": true, "xdel": true, "scan": true, "sadd": true, "srem": true, "smembers": true,
}

func commandName(cmd redis.Cmder) string {
	n := strings.ToLower(cmd.Name())
	if knownCommands[n] {
		return n
	}
	return "other"
}
