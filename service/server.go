// Package service is the HTTP face of the screener: Gin routes, handlers,
// middleware (request ids, access log, recovery, API keys, rate limits),
// metrics, the audit trail and the wiring of batch jobs.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
	"github.com/cslscreen/screener/service/web"
	"github.com/gin-gonic/gin"
	"golang.org/x/net/netutil"
)

// Options configures a Server. Catalog is required; the rest have working
// zero values.
type Options struct {
	Catalog *screening.Catalog
	// AccessLog, when set, receives the access log; otherwise it goes
	// through Logger.
	AccessLog *AccessLog
	// TrustedProxies are the addresses or CIDRs whose X-Forwarded-For and
	// X-Real-IP are believed for the client address (logs, rate limits by
	// address). Empty: none, the connection's address is the client.
	TrustedProxies []string
	// Store is the list store, reported by /readyz and /v1/lists.
	Store ListStore
	// Refresh describes the configured list source for /v1/lists.
	Refresh RefreshInfo
	Logger  *slog.Logger
	Metrics *Metrics
	// Threshold is the default minimum score; 0 means matcher.DefaultThreshold.
	Threshold float64
	// MaxBodyBytes bounds JSON request bodies; 0 means 64 KiB.
	MaxBodyBytes int64
	// Keys, when not empty, are required on every /v1 route.
	Keys *KeySet
	// Limiter, when set, rate-limits /v1 routes per key (or client address).
	Limiter RateLimiter
	// Audit, when its Log is set, records every screening.
	Audit Audit
	// OpenAPI is served at /openapi.yaml.
	OpenAPI []byte
	// MetricsOnMain serves /metrics on the main listener too.
	MetricsOnMain bool
	// Batches, when set, mounts the batch routes.
	Batches BatchRoutes
	// Monitor, when set, mounts the monitoring routes (monitors, alerts,
	// decisions) and suppresses decided false positives in screenings.
	Monitor *monitor.Engine
	// ReadyOnBuiltin makes /readyz report ready while only the built-in
	// snapshot is served (READY_ON_BUILTIN, for demos).
	ReadyOnBuiltin bool
	// Timeouts for the http.Server; zero values get defaults.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownDrain is how long Close keeps serving, with keep-alive off
	// and readiness failing, before it stops accepting connections (0:
	// none).
	ShutdownDrain time.Duration
	// MaxConnections caps the open connections; past it, new connections
	// wait in the listen backlog. 0 means DefaultMaxConnections.
	MaxConnections int
}

// ListStore is what the HTTP layer reads of the list store (a
// lists.Store): whether it is reachable, and its versions for GET /v1/lists.
type ListStore interface {
	Kind() string
	Ping(ctx context.Context) error
	Versions(ctx context.Context) ([]lists.Version, error)
	LastRefreshed(ctx context.Context) (time.Time, error)
}

// BatchRoutes mounts the batch endpoints on a /v1 route group that already
// has authentication and rate limiting.
type BatchRoutes interface {
	Mount(g *gin.RouterGroup)
}

// RefreshInfo describes where this replica refreshes the list from, and
// lets an administrator refresh it now.
type RefreshInfo struct {
	Source string `json:"source"`
	Origin string `json:"origin"`
	// Refresher, when set, reports the last and next attempts and serves
	// POST /v1/lists/refresh (a *lists.Refresher).
	Refresher Refresher
	// Adopt, when set, serves a list a refresh on demand published, at
	// once on this replica (the others follow through the store).
	Adopt func(*lists.List)
}

// Refresher refreshes the list on demand and reports how refreshing goes.
type Refresher interface {
	RefreshNow(ctx context.Context, r lists.RefreshRequest) lists.RefreshResult
	Status() lists.RefreshStatus
}

// Server is the screening HTTP server.
type Server struct {
	catalog   *screening.Catalog
	store     ListStore
	refresh   RefreshInfo
	log       *slog.Logger
	metrics   *Metrics
	threshold float64
	maxBody   int64
	keys      *KeySet
	limiter   RateLimiter
	audit     Audit
	openapi   []byte
	batches   BatchRoutes
	monitor   *monitor.Engine

	readyOnBuiltin  bool
	drain           time.Duration
	maxConns        int
	jsonBodyTimeout time.Duration
	storeWarnedAt   atomic.Int64 // unix ns of the last log of an unreachable store

	engine   *gin.Engine
	http     *http.Server
	ln       net.Listener
	stopping atomic.Bool
	served   chan error

	closeOnce sync.Once
	closeErr  error
}

// New builds the server and its routes; Open starts listening.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(BuildInfo{Version: "dev"})
	}
	if o.Threshold <= 0 {
		o.Threshold = matcher.DefaultThreshold
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	if o.Store == nil {
		o.Store = lists.NewMemoryStore()
	}
	if o.Refresh.Source == "" {
		o.Refresh.Source = "none"
	}
	s := &Server{
		catalog: o.Catalog, store: o.Store, refresh: o.Refresh, log: o.Logger, metrics: o.Metrics,
		threshold: o.Threshold, maxBody: o.MaxBodyBytes, keys: o.Keys, limiter: o.Limiter, audit: o.Audit,
		openapi: o.OpenAPI, batches: o.Batches, monitor: o.Monitor, readyOnBuiltin: o.ReadyOnBuiltin,
		maxConns: o.MaxConnections, jsonBodyTimeout: defaultJSONBodyTimeout, drain: o.ShutdownDrain,
	}
	if s.maxConns <= 0 {
		s.maxConns = DefaultMaxConnections
	}
	if rl, ok := o.Limiter.(*RedisRateLimiter); ok {
		rl.attach(s.log, s.metrics.Registry)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	if err := e.SetTrustedProxies(o.TrustedProxies); err != nil {
		// LoadConfig validates them; a bad list here is a caller's bug.
		s.log.Error("ignoring invalid trusted proxies", "error", err)
		e.SetTrustedProxies(nil)
	}
	e.HandleMethodNotAllowed = true
	// Path parameters are read from the path as sent, then unescaped, so
	// an id or a counterparty's reference may hold an escaped "/"
	// (GET /v1/monitors/ACME%2F123 is the reference "ACME/123").
	e.UseRawPath = true
	e.ContextWithFallback = true // c.Request.Context() cancellation reaches handlers
	e.Use(withRequestID(), withAccessLog(s.log, o.AccessLog), s.metrics.instrument(), withRecovery(s.log), withUnreadBodyClose(&s.stopping))
	e.NoRoute(func(c *gin.Context) {
		problem(c, http.StatusNotFound, kindNotFound, "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path)
	})
	e.NoMethod(func(c *gin.Context) {
		problem(c, http.StatusMethodNotAllowed, kindMethod, c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	})

	// Some load balancers probe with HEAD.
	e.GET("/healthz", s.handleHealthz)
	e.HEAD("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)
	e.HEAD("/readyz", s.handleReadyz)
	e.GET("/openapi.yaml", s.handleOpenAPI)
	web.Mount(e) // the analysts' page at /: static, outside the key check; its API calls carry the key
	if o.MetricsOnMain {
		e.GET("/metrics", s.metrics.Handler())
	}
	v1 := e.Group("/v1", s.requireKey(), s.limitRate(s.log))
	v1.POST("/screen", s.handleScreen)
	v1.GET("/lists", s.handleLists)
	v1.GET("/lists/entries/:id", s.handleEntry)
	v1.POST("/lists/refresh", requireScope(ScopeAdmin), s.handleRefresh)
	v1.GET("/lists/diff", s.handleListDiff)
	v1.GET("/lists/versions/:version/entries/:id", s.handleVersionEntry)
	v1.GET("/audit", s.handleAudit)
	v1.GET("/audit/export", s.handleAuditExport)
	v1.GET("/audit/:id", s.handleAuditRecord)
	if s.batches != nil {
		s.batches.Mount(v1)
	}
	if s.monitor != nil {
		s.mountMonitoring(v1)
	}
	s.engine = e
	s.http = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: orDefault(o.ReadHeaderTimeout, 5*time.Second),
		ReadTimeout:       orDefault(o.ReadTimeout, 5*time.Minute), // batch uploads are large; JSON bodies are size-capped
		WriteTimeout:      orDefault(o.WriteTimeout, 10*time.Minute),
		IdleTimeout:       orDefault(o.IdleTimeout, 2*time.Minute),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Handler returns the Gin engine with every middleware, for tests and for
// mounting under another server.
func (s *Server) Handler() http.Handler { return s.engine }

// Open listens on addr (":0" picks a free port) and serves in the
// background, at most Options.MaxConnections connections at a time.
func (s *Server) Open(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ln = netutil.LimitListener(ln, s.maxConns)
	s.ln = ln
	s.served = make(chan error, 1)
	go func() { s.served <- s.http.Serve(ln) }()
	return nil
}

// Addr returns the address the server listens on, once Open has returned.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// BeginShutdown makes /readyz answer 503 so load balancers stop sending
// new requests, while the server keeps serving.
func (s *Server) BeginShutdown() { s.stopping.Store(true) }

// Close stops accepting connections and waits for in-flight requests until
// ctx ends, then closes what is left.
// Calling it again returns the first result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.BeginShutdown()
		if s.ln == nil {
			return
		}
		drain := s.drain
		if dl, ok := ctx.Deadline(); ok {
			// The drain may take at most half of what is left, so the
			// requests in flight when it ends still get time to finish.
			drain = min(drain, time.Until(dl)/2)
		}
		if drain > 0 {
			// Drain first: every response now says Connection: close
			// (withUnreadBodyClose), so a busy keep-alive connection ends
			// cleanly after its answer instead of being closed under a
			// request the client is already sending, and load balancers,
			// seeing /readyz fail, stop sending new connections meanwhile.
			// Not SetKeepAlivesEnabled(false): it also closes the idle
			// connections at once, and one whose next request is just
			// arriving is closed after its handler has run, its answer
			// lost (the fault harness's SIGTERM scenario caught it).
			t := time.NewTimer(drain)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		err := s.http.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			s.http.Close()
		}
		if serr := <-s.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = serr
		}
		s.closeErr = err
	})
	return s.closeErr
}

// observeScreening counts and audits one API screening; an error means a
// durable audit log could not record it.
func (s *Server) observeScreening(c *gin.Context, resp *ScreenResponse) error {
	s.metrics.ObserveScreening("api", &screening.Verdict{Status: resp.Status, Reason: resp.reason}, resp.Matches)
	return s.auditScreening(c, resp)
}

func (s *Server) handleOpenAPI(c *gin.Context) {
	if len(s.openapi) == 0 {
		problem(c, http.StatusNotFound, kindNotFound, "no OpenAPI document is bundled")
		return
	}
	c.Data(http.StatusOK, "application/yaml", s.openapi)
}

// ParseBool reads a switch the one way the service reads every switch, in
// query parameters (?wait=, ?partial=) and in configuration alike: true,
// 1, yes, on or false, 0, no, off, in any case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean: want true or false", s)
}
