package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cslscreen/screener"
	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/batch"
	"github.com/cslscreen/screener/internal/redisconn"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/postgres"
	"github.com/cslscreen/screener/screening"
	"github.com/cslscreen/screener/service"
	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Main is the running service: the store, the list follower and refresher,
// the HTTP server and the batch workers, wired from a Config. Tests start
// it the same way the binary does.
type Main struct {
	Config Config
	Logger *slog.Logger
	Build  service.BuildInfo
	// AccessLog, when set, takes the access log lines (the binary points it
	// at its buffered stderr writer); otherwise they go through Logger.
	AccessLog *service.AccessLog

	rdb       redis.UniversalClient
	store     lists.Store
	catalog   *screening.Catalog
	follower  *lists.Follower
	refresher *lists.Refresher
	metrics   *service.Metrics
	server    *service.Server
	batches   *batch.Manager
	monitor   *monitor.Engine
	webhooks  *monitor.Webhooks
	metricsLn net.Listener

	db, dbOwner *pgxpool.Pool
	auditQueue  *audit.Queue
	metricsSv   *http.Server

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Run starts everything and returns once the server is listening with a
// list loaded (the built-in snapshot at worst).
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	log := m.Logger
	if log == nil {
		log = slog.Default()
		m.Logger = log
	}
	m.metrics = service.NewMetrics(m.Build)
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel

	// The store: Redis when configured, shared by every replica; memory otherwise.
	if cfg.RedisURL != "" {
		rdb, err := redisconn.New(cfg.RedisURL, cfg.RedisPassword, redisconn.Options{})
		if err != nil {
			return err
		}
		rdb.AddHook(m.metrics.RedisHook())
		m.rdb = rdb
		m.store = lists.NewRedisStore(rdb, lists.RedisOptions{Prefix: cfg.RedisKeyPrefix, VersionTTL: cfg.ListVersionTTL})
	} else {
		m.store = lists.NewMemoryStore()
	}

	m.catalog = &screening.Catalog{Store: m.store, MaxAge: cfg.ListMaxAge, OnSwap: func(s *screening.Snapshot) {
		m.metrics.ObserveSnapshot(s)
		v := s.List.Version
		attrs := []any{"version", v.ID, "entries", v.Entries, "source", v.Source, "origin", v.Origin,
			"fetched_at", v.FetchedAt, "index_build_ms", s.BuildTime.Milliseconds()}
		if v.Builtin {
			log.Warn("serving the small built-in list snapshot, NOT a full screening list, until a list loads from LIST_FILE or LIST_URL",
				append(attrs, "snapshot_date", v.SnapshotDate, "description", v.Description)...)
		} else {
			log.Info("serving list version", attrs...)
		}
		if m.monitor != nil {
			m.monitor.Changed() // screen what changed against the monitored counterparties
		}
	}}
	m.metrics.SetListAge(func() float64 {
		if snap := m.catalog.Current(); snap != nil {
			if age, ok := snap.Age(time.Now()); ok {
				return age.Seconds()
			}
		}
		return 0
	})
	m.follower = &lists.Follower{Store: m.store, Serve: func(l *lists.List) { m.catalog.Load(l) }, PollInterval: cfg.ListPollInterval, Logger: log}

	// 1. What the store already has (another replica's work, or ours before a restart).
	syncCtx, syncCancel := context.WithTimeout(ctx, 5*time.Second)
	if err := m.follower.Sync(syncCtx); err != nil {
		log.Warn("list store not usable at start; will keep trying", "store", m.store.Kind(), "error", err)
	}
	syncCancel()
	// 2. Nothing there: the embedded snapshot, so the service screens from
	// the first second even with no network and no Redis.
	if m.follower.Held() == nil {
		m.follower.Adopt(lists.Embedded())
	}

	// 3. The configured source.
	parse := lists.ParseOptions{MaxBadFraction: cfg.ListMaxBadRows}
	var src lists.Source
	switch {
	case cfg.ListFile != "":
		src = &lists.FileSource{Path: cfg.ListFile, Parse: parse}
	case cfg.ListURL != "":
		src = &lists.URLSource{URL: cfg.ListURL, Timeout: cfg.RefreshTimeout, Parse: parse}
	}
	refreshInfo := service.RefreshInfo{Source: "none", Origin: ""}
	if src != nil {
		m.refresher = &lists.Refresher{Source: src, Store: m.store, MaxShrink: cfg.ListMaxShrink, Timeout: cfg.RefreshTimeout,
			Logger: log, Observe: m.metrics.ObserveRefresh}
		refreshInfo = service.RefreshInfo{Source: src.Kind(), Origin: src.Origin(),
			Refresher: m.refresher, Adopt: m.follower.Adopt}
		if src.Kind() == "file" {
			// A local file is quick to read and was named on purpose: load it
			// before serving, so the first answer already uses it.
			res := m.refresher.Refresh(ctx)
			if res.List != nil {
				m.follower.Adopt(res.List)
			} else if res.Outcome == lists.OutcomeFailed && m.follower.Held().Version.Builtin {
				// Nothing real to serve: a named file that cannot be read
				// is a configuration error, not a reason to answer from
				// the three-entry snapshot.
				m.cancel()
				return fmt.Errorf("LIST_FILE=%s: %w (and the store holds no list to serve instead)", cfg.ListFile, res.Err)
			}
		}
	}

	aud, err := m.openAudit(ctx, bg)
	if err != nil {
		m.cancel()
		return err
	}
	var limiter service.RateLimiter
	if cfg.RateLimitRPS > 0 {
		if m.rdb != nil {
			limiter = service.NewRedisRateLimiter(m.rdb, cfg.RedisKeyPrefix, cfg.RateLimitRPS, cfg.RateLimitBurst)
		} else {
			limiter = service.NewMemoryRateLimiter(cfg.RateLimitRPS, cfg.RateLimitBurst)
		}
	}
	jobs, err := m.openBatchStore(ctx)
	if err != nil {
		return err
	}
	// Ongoing monitoring: counterparties, alerts and decisions, shared
	// through Redis when configured; each new list version's diff is
	// screened against them once across replicas. Its false positive
	// decisions suppress matches in batch rows too.
	m.openMonitoring()
	m.batches = batch.New(batch.Options{
		Store: jobs, Catalog: m.catalog, Threshold: cfg.MatchThreshold, Observer: service.NewBatchObserver(m.metrics, aud, log),
		Logger: log, MaxRows: cfg.BatchMaxRows, WaitMaxRows: cfg.BatchWaitMaxRows, ChunkRows: cfg.BatchChunkRows,
		ChunkBytes: cfg.BatchChunkBytes, MaxActiveJobsPerKey: cfg.BatchMaxJobsKey, MaxStoredBytesPerKey: cfg.BatchMaxBytesKey,
		Workers: cfg.BatchWorkers, SweepEvery: min(time.Minute, max(cfg.BatchResultTTL/4, 10*time.Millisecond)), Suppressor: m.monitor.Suppressor,
	})
	m.metrics.SetBatchActive(func() float64 { return float64(m.batches.Active()) })

	m.server = service.New(service.Options{
		Catalog: m.catalog, Store: m.store, Refresh: refreshInfo, Logger: log, Metrics: m.metrics,
		AccessLog: m.AccessLog, TrustedProxies: cfg.TrustedProxies,
		Threshold: cfg.MatchThreshold, MaxBodyBytes: cfg.MaxBodyBytes, Keys: cfg.APIKeys, Limiter: limiter, Audit: aud,
		OpenAPI: screener.OpenAPI, MetricsOnMain: cfg.MetricsAddr == "", ReadyOnBuiltin: cfg.ReadyOnBuiltin, MaxConnections: cfg.MaxConnections, ShutdownDrain: cfg.ShutdownDrain, Batches: service.NewBatches(m.batches, cfg.BatchMaxBytes, log), Monitor: m.monitor,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout,
	})
	if err := m.server.Open(cfg.ListenAddr); err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
	}
	if cfg.MetricsAddr != "" {
		if err := m.openMetrics(cfg.MetricsAddr); err != nil {
			m.server.Close(ctx)
			return err
		}
	}

	m.goBackground(func() { m.follower.Run(bg) })
	if m.refresher != nil && cfg.RefreshInterval > 0 {
		m.goBackground(func() { m.refresher.Run(bg, cfg.RefreshInterval, m.follower.Adopt) })
	}
	m.goBackground(func() { m.batches.Run(bg) })
	m.goBackground(func() { m.monitor.Run(bg) })
	if m.webhooks != nil {
		m.goBackground(func() { m.webhooks.Run(bg) })
	}

	snap := m.catalog.Current()
	log.Info("screener started", "addr", m.server.Addr(), "metrics_addr", m.MetricsAddr(), "store", m.store.Kind(),
		"list_version", snap.List.Version.ID, "entries", snap.List.Version.Entries, "builtin", snap.List.Version.Builtin,
		"list_source", refreshInfo.Source, "list_origin", refreshInfo.Origin, "refresh_interval", cfg.RefreshInterval.String(),
		"api_keys", cfg.APIKeys.Len(), "version", m.Build.Version)
	return nil
}

// openAudit opens the audit trail: PostgreSQL (a system of record, its
// schema migrated at start by one replica at a time) when DATABASE_URL is
// set, else a capped Redis Stream or memory ring when AUDIT_ENABLED, behind
// a bounded queue so no request waits on a slow backend unless the
// durability asks it to.
func (m *Main) openAudit(ctx, bg context.Context) (service.Audit, error) {
	cfg := m.Config
	log := m.Logger
	if !cfg.AuditEnabled {
		log.Info("the audit trail is off (AUDIT_ENABLED=false, no DATABASE_URL)")
		return service.Audit{}, nil
	}
	var backend audit.Log
	a := service.Audit{Durable: cfg.AuditDurability == audit.QueueAck}
	switch {
	case cfg.DatabaseURL != "":
		var err error
		if m.dbOwner, err = postgres.Open(ctx, cfg.DatabaseOwnerURL); err != nil {
			return a, fmt.Errorf("DATABASE_OWNER_URL: %w", err)
		}
		mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err = postgres.Migrate(mctx, m.dbOwner)
		cancel()
		if err != nil {
			return a, fmt.Errorf("migrate the audit database: %w", err)
		}
		m.db = m.dbOwner
		if cfg.DatabaseURL != cfg.DatabaseOwnerURL {
			if m.db, err = postgres.Open(ctx, cfg.DatabaseURL); err != nil {
				return a, fmt.Errorf("DATABASE_URL: %w", err)
			}
		}
		backend = postgres.NewAuditLog(m.db, postgres.AuditConfig{})
		maint := postgres.NewAuditLog(m.dbOwner, postgres.AuditConfig{Retention: cfg.AuditRetention})
		maintain := func() {
			c, cancel := context.WithTimeout(bg, time.Minute)
			defer cancel()
			if err := maint.Maintain(c); err != nil {
				log.Error("audit partition maintenance failed; will try again", "error", err)
			}
		}
		maintain()
		m.goBackground(func() {
			t := time.NewTicker(6 * time.Hour)
			defer t.Stop()
			for {
				select {
				case <-bg.Done():
					return
				case <-t.C:
					maintain()
				}
			}
		})
		a.Record, a.Backend = true, "postgres"
		log.Info("audit trail: PostgreSQL, a system of record", "durability", cfg.AuditDurability.String(), "retention", cfg.AuditRetention.String())
	case m.rdb != nil:
		backend = audit.NewRedisLog(m.rdb, cfg.RedisKeyPrefix, cfg.AuditMaxLen, cfg.AuditMaxAge)
		a.Backend = "redis"
	default:
		backend = audit.NewRing(int(min(cfg.AuditMaxLen, 1_000_000)), cfg.AuditMaxAge)
		a.Backend = "memory"
	}
	if !a.Record {
		log.Warn("the audit trail is capped and is NOT a system of record: set DATABASE_URL to keep every screening in PostgreSQL",
			"backend", a.Backend, "max_len", cfg.AuditMaxLen)
	}
	qcfg := auditQueueConfig(cfg, a.Backend)
	m.auditQueue = audit.NewQueue(backend, qcfg)
	m.metrics.SetAuditStats(m.auditQueue.Stats)
	a.Log = m.auditQueue
	return a, nil
}

// auditQueueConfig is the audit queue's configuration: AUDIT_WRITERS and
// AUDIT_LINGER when set, else what docs/BENCHMARKS.md ("Throughput with
// the audit trail on and off") measured best.
func auditQueueConfig(cfg Config, backend string) audit.QueueConfig {
	q := audit.QueueConfig{Mode: cfg.AuditDurability, Capacity: cfg.AuditQueueCapacity, Writers: cfg.AuditWriters}
	if q.Writers == 0 {
		q.Writers = 1
		if backend == "postgres" {
			// One batch is sent while another waits for its commit's
			// flush, and PostgreSQL flushes concurrent commits together.
			// Two of the pool's connections (at least four by default),
			// so a read of the trail still finds one.
			q.Writers = 2
		}
	}
	switch {
	case cfg.AuditLinger == 0:
		q.Linger = -1 // the queue's "no wait"
	case cfg.AuditLinger > 0:
		q.Linger = cfg.AuditLinger
	case cfg.AuditDurability == audit.QueueAck:
		// An answer waits for its record's commit: an idle writer commits
		// what is queued at once, and what arrives meanwhile makes the
		// next batch, so batches still grow with the load. Measured
		// against a 2ms linger with three writers (docs/BENCHMARKS.md):
		// 1,875 → 6,598 req/s at 16 connections, the same at 512.
		q.Linger = -1
	}
	// Otherwise (async) the queue's default, 2ms: nobody waits, and
	// fuller batches cost PostgreSQL and this process less CPU a record.
	return q
}

// openMonitoring makes the monitoring engine and its webhooks.
func (m *Main) openMonitoring() {
	cfg := m.Config
	// PostgreSQL, the system of record, when DATABASE_URL is set; else
	// Redis, shared by the replicas; else this process's memory.
	var store monitor.Store = monitor.NewMemoryStore()
	switch {
	case m.db != nil:
		store = postgres.NewMonitorStore(m.db)
	case m.rdb != nil:
		store = monitor.NewRedisStore(m.rdb, cfg.RedisKeyPrefix)
	}
	if len(cfg.WebhookURLs) > 0 {
		m.webhooks = &monitor.Webhooks{URLs: cfg.WebhookURLs, Secret: []byte(cfg.WebhookSecret), Logger: m.Logger}
	}
	m.monitor = monitor.New(monitor.Options{Store: store, Catalog: m.catalog, Versions: m.store, Threshold: cfg.MatchThreshold,
		Webhooks: m.webhooks, Logger: m.Logger, Every: cfg.MonitorCheckInterval, Registerer: m.metrics.Registry})
}

// openBatchStore returns where batch jobs live: Redis, shared by every
// replica, when configured; otherwise this process, with files in BATCH_DIR.
func (m *Main) openBatchStore(ctx context.Context) (batch.Store, error) {
	cfg := m.Config
	if m.rdb == nil {
		return batch.NewFileStore(cfg.BatchDir, cfg.BatchResultTTL)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rs, err := batch.NewRedisStore(ctx, m.rdb, batch.RedisStoreOptions{Prefix: cfg.RedisKeyPrefix, TTL: cfg.BatchResultTTL, ClaimTimeout: cfg.BatchClaimTimeout})
	if err != nil {
		// Redis may come up later; the workers create the group then.
		m.Logger.Warn("batch queue not ready at start; will keep trying", "error", err)
	}
	return rs, nil
}

func (m *Main) goBackground(f func()) {
	m.wg.Add(1)
	go func() { defer m.wg.Done(); f() }()
}

func (m *Main) openMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on METRICS_ADDR %s: %w", addr, err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/metrics", m.metrics.Handler())
	m.metricsLn = ln
	// A scrape is a GET without a body and a response of a few hundred KB:
	// seconds are plenty, and a client that holds a connection open is cut.
	m.metricsSv = &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	go m.metricsSv.Serve(ln)
	return nil
}

// Addr returns the HTTP address, once Run has returned.
func (m *Main) Addr() string { return m.server.Addr() }

// MetricsAddr returns the metrics address, or "" when metrics share Addr.
func (m *Main) MetricsAddr() string {
	if m.metricsLn == nil {
		return ""
	}
	return m.metricsLn.Addr().String()
}

// Close shuts down gracefully: readiness goes false at once, in-flight
// requests get SHUTDOWN_TIMEOUT to finish, batch workers hand back their
// unfinished chunks, then background loops and Redis are closed. Calling it
// again returns the first result.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	if m.server != nil {
		m.server.BeginShutdown()
		if err := m.server.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	if m.metricsSv != nil {
		m.metricsSv.Shutdown(ctx)
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.batches != nil {
		m.batches.Close()
	}
	m.wg.Wait()
	if m.auditQueue != nil {
		// Every answered screening's record is flushed before exit.
		if err := m.auditQueue.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("audit flush: %w", err))
		}
	}
	if m.db != nil {
		m.db.Close()
	}
	if m.dbOwner != nil && m.dbOwner != m.db {
		m.dbOwner.Close()
	}
	if m.rdb != nil {
		if err := m.rdb.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
