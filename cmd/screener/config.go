package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/batch"
	"github.com/cslscreen/screener/internal/redisconn"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/service"
)

// Config is the whole configuration, read once from the environment and
// validated before anything starts. README.md documents every variable.
type Config struct {
	ListenAddr  string
	MetricsAddr string
	LogLevel    slog.Level

	RedisURL       string
	RedisPassword  string
	RedisKeyPrefix string

	ListURL          string // "" when fetching is off
	ListFile         string
	RefreshInterval  time.Duration
	RefreshTimeout   time.Duration
	ListMaxShrink    float64
	ListMaxBadRows   float64
	ListPollInterval time.Duration
	ListVersionTTL   time.Duration
	ListMaxAge       time.Duration

	MatchThreshold float64

	TrustedProxies    []string
	ShutdownTimeout   time.Duration
	ShutdownDrain     time.Duration
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxBodyBytes      int64
	MaxConnections    int
	ReadyOnBuiltin    bool

	APIKeys        *service.KeySet
	RateLimitRPS   float64
	RateLimitBurst int

	AuditEnabled       bool
	AuditMaxLen        int64
	AuditMaxAge        time.Duration
	DatabaseURL        string
	DatabaseOwnerURL   string
	AuditDurability    audit.QueueMode
	AuditRetention     time.Duration
	AuditQueueCapacity int
	// AuditWriters and AuditLinger tune the audit queue; 0 and a negative
	// linger mean "choose" (see auditQueueConfig).
	AuditWriters int
	AuditLinger  time.Duration

	BatchMaxBytes     int64
	BatchMaxRows      int64
	BatchWaitMaxRows  int64
	BatchResultTTL    time.Duration
	BatchWorkers      int
	BatchDir          string
	BatchChunkRows    int
	BatchChunkBytes   int
	BatchMaxJobsKey   int
	BatchMaxBytesKey  int64
	BatchClaimTimeout time.Duration

	// WebhookURLs maps an API key id ("*": every other key) to the URL its
	// monitoring alerts are POSTed to; WebhookSecret signs them.
	WebhookURLs   map[string]string
	WebhookSecret string
	// MonitorCheckInterval is how often the monitoring checks it has caught
	// up with the served list version.
	MonitorCheckInterval time.Duration
}

// envVar documents one variable; the table drives parsing, defaults and the
// README's configuration table (kept in step by TestREADMEDocumentsConfig).
type envVar struct {
	name, def, help string
}

var envVars = []envVar{
	{"LISTEN_ADDR", ":8080", "HTTP listen address"},
	{"METRICS_ADDR", "", "serve /metrics on this address instead of LISTEN_ADDR (e.g. :9090)"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"REDIS_URL", "", "Redis to share lists, batch jobs, rate limits and audit between replicas; empty: in-memory, one replica"},
	{"REDIS_PASSWORD", "", "overrides the password in REDIS_URL"},
	{"REDIS_KEY_PREFIX", "screener", "prefix of every Redis key"},
	{"LIST_URL", lists.OfficialCSLURL, "CSL CSV or JSON to refresh from; off disables fetching"},
	{"LIST_FILE", "", "local CSL CSV or JSON (optionally .gz) to load; wins over LIST_URL"},
	{"REFRESH_INTERVAL", "1h", "how often the list source is checked; 0 disables"},
	{"REFRESH_TIMEOUT", "2m", "bound on one fetch and parse"},
	{"LIST_MAX_SHRINK", "0.2", "refuse a new list with this much fewer entries (0..1; 1 accepts any)"},
	{"LIST_MAX_BAD_ROWS", "0.01", "refuse a file with more than this share of malformed rows"},
	{"LIST_POLL_INTERVAL", "30s", "how often replicas poll Redis for a new version (besides pub/sub)"},
	{"LIST_VERSION_TTL", "24h", "how long a superseded version stays loadable in Redis"},
	{"LIST_MAX_AGE", "48h", "answers carry the stale_list warning when the list was fetched longer ago than this; 0 disables"},
	{"MATCH_THRESHOLD", strconv.FormatFloat(matcher.DefaultThreshold, 'f', -1, 64), "default minimum score of a reported match (0..1)"},
	{"TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For names the client"},
	{"SHUTDOWN_TIMEOUT", "20s", "how long in-flight requests get to finish on SIGTERM"},
	{"SHUTDOWN_DRAIN", "2s", "on SIGTERM, keep serving this long with keep-alive off and readiness failing before closing the listener (part of SHUTDOWN_TIMEOUT)"},
	{"READ_HEADER_TIMEOUT", "5s", "http.Server ReadHeaderTimeout"},
	{"READ_TIMEOUT", "5m", "http.Server ReadTimeout (covers batch uploads)"},
	{"WRITE_TIMEOUT", "10m", "http.Server WriteTimeout (covers batch result downloads)"},
	{"IDLE_TIMEOUT", "2m", "http.Server IdleTimeout"},
	{"MAX_BODY_BYTES", "65536", "largest JSON request body"},
	{"MAX_CONNECTIONS", strconv.Itoa(service.DefaultMaxConnections), "open HTTP connections at most; past it new ones wait in the listen backlog"},
	{"READY_ON_BUILTIN", "false", "report ready while only the built-in snapshot is served (demos only: answers cannot be clear)"},
	{"API_KEYS", "", "comma-separated keyid:sha256hex; when set (or API_KEYS_FILE), /v1 needs a key"},
	{"API_KEYS_FILE", "", "file with one keyid:sha256hex per line"},
	{"RATE_LIMIT_RPS", "0", "requests per second per API key (or client address); 0 disables"},
	{"RATE_LIMIT_BURST", "20", "burst allowance of the rate limit"},
	{"AUDIT_ENABLED", "false", "record every screening in the audit log (Redis Stream or memory)"},
	{"AUDIT_MAX_LEN", "1000000", "audit records kept (approximate with Redis)"},
	{"AUDIT_MAX_AGE", "0", "drop audit records older than this; 0 keeps them until AUDIT_MAX_LEN"},
	{"DATABASE_URL", "", "PostgreSQL (postgres://user:pass@host:5432/db) keeping the audit trail as a system of record; turns auditing on"},
	{"DATABASE_OWNER_URL", "", "PostgreSQL URL of the schema owner, for migrations and retention (default DATABASE_URL)"},
	{"AUDIT_DURABILITY", "", "ack (an answer waits for its record's commit; the default with DATABASE_URL) or async"},
	{"AUDIT_RETENTION", "0", "with DATABASE_URL: drop whole monthly partitions older than this (e.g. 43830h, five years); 0 keeps everything"},
	{"AUDIT_QUEUE_CAPACITY", "10000", "audit records held while the audit backend is slow or down; beyond it records are dropped and counted"},
	{"AUDIT_WRITERS", "0", "audit batches written at once; 0 chooses (2 with DATABASE_URL, else 1)"},
	{"AUDIT_LINGER", "auto", "how long an audit writer waits to fill a batch; auto: none with ack, 2ms with async; 0 writes at once"},
	{"BATCH_MAX_BYTES", "1073741824", "largest batch upload (bytes, after gzip is undone)"},
	{"BATCH_MAX_ROWS", "5000000", "most rows in one batch"},
	{"BATCH_WAIT_MAX_ROWS", "1000", "largest batch answered directly with ?wait=true"},
	{"BATCH_RESULT_TTL", "24h", "how long batch results are kept"},
	{"BATCH_WORKERS", "0", "batch chunks screened at once by this replica; 0: one per CPU"},
	{"BATCH_DIR", "", "scratch directory for batch uploads and results (in-memory mode); default the OS temp dir"},
	{"BATCH_CHUNK_ROWS", strconv.Itoa(batch.DefaultChunkRows), "rows per batch chunk (the unit of work a replica claims)"},
	{"BATCH_CLAIM_TIMEOUT", "1m", "a chunk idle this long on a dead replica is claimed by another"},
	{"BATCH_CHUNK_BYTES", strconv.Itoa(batch.DefaultChunkBytes), "row text per batch chunk at most (bounds a worker's memory whatever the row size)"},
	{"BATCH_MAX_ACTIVE_JOBS_PER_KEY", "0", "batch jobs queued or running per API key at most (429 above); 0: no limit"},
	{"BATCH_MAX_STORED_BYTES_PER_KEY", "0", "batch data stored per API key at most, compressed (413 above); 0: no limit"},
	{"WEBHOOK_URLS", "", "comma-separated keyid=https://… (keyid * for every other key): where each key's monitoring alerts are POSTed"},
	{"WEBHOOK_SECRET", "", "the HMAC-SHA256 secret signing webhook deliveries (X-Screener-Signature); required with WEBHOOK_URLS"},
	{"MONITOR_CHECK_INTERVAL", "30s", "how often a replica checks the monitoring has caught up with the served list (a run a dead replica left is redone)"},
}

// LoadConfig reads the configuration through getenv and reports every bad
// value at once, each naming its variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	e := &envReader{getenv: getenv}
	var c Config
	e.server(&c)
	e.redis(&c)
	e.lists(&c)
	e.access(&c)
	e.batch(&c)
	e.monitoring(&c)
	if len(e.errs) > 0 {
		return c, fmt.Errorf("invalid configuration:\n  %w", errors.Join(e.errs...))
	}
	return c, nil
}

// envReader reads typed variables, collecting every bad value.
type envReader struct {
	getenv func(string) string
	errs   []error
}

// get returns a variable's value, or its default when unset or blank: a
// deployment can template every variable and leave the ones it does not
// use empty.
func (e *envReader) get(name string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	for _, ev := range envVars {
		if ev.name == name {
			return ev.def
		}
	}
	panic("config: undocumented variable " + name) // caught by tests
}

func (e *envReader) bad(name, v, want string) {
	e.errs = append(e.errs, fmt.Errorf("%s=%q: %s", name, v, want))
}

func (e *envReader) dur(name string, allowZero bool) time.Duration {
	v := e.get(name)
	if v == "0" && allowZero {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || (d == 0 && !allowZero) {
		e.bad(name, v, "want a positive duration such as 30s, 5m or 1h")
	}
	return d
}

func (e *envReader) frac(name string) float64 {
	v := e.get(name)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1 {
		e.bad(name, v, "want a number between 0 and 1")
	}
	return f
}

func (e *envReader) integer(name string, min int64) int64 {
	v := e.get(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min {
		e.bad(name, v, fmt.Sprintf("want a whole number ≥ %d", min))
	}
	return n
}

// boolean reads a switch the one way every switch is read, in variables
// and in query parameters alike (service.ParseBool).
func (e *envReader) boolean(name string) bool {
	v := e.get(name)
	b, err := service.ParseBool(v)
	if err != nil {
		e.bad(name, v, "want true or false (also 1/0, yes/no, on/off)")
	}
	return b
}

func (e *envReader) addr(name string) string {
	v := e.get(name)
	if v == "" {
		return ""
	}
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		e.bad(name, v, "want host:port or :port")
	}
	return v
}

// server reads the listener, logging and HTTP server settings.
func (e *envReader) server(c *Config) {
	c.ListenAddr = e.addr("LISTEN_ADDR")
	if c.ListenAddr == "" {
		e.bad("LISTEN_ADDR", "", "must not be empty")
	}
	c.MetricsAddr = e.addr("METRICS_ADDR")
	switch v := strings.ToLower(e.get("LOG_LEVEL")); v {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		e.bad("LOG_LEVEL", v, "want debug, info, warn or error")
	}
	for _, p := range strings.Split(e.get("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				e.bad("TRUSTED_PROXIES", p, "want IP addresses or CIDRs such as 10.0.0.0/8")
				continue
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	c.ShutdownTimeout = e.dur("SHUTDOWN_TIMEOUT", false)
	c.ShutdownDrain = e.dur("SHUTDOWN_DRAIN", true)
	c.ReadHeaderTimeout = e.dur("READ_HEADER_TIMEOUT", false)
	c.ReadTimeout = e.dur("READ_TIMEOUT", false)
	c.WriteTimeout = e.dur("WRITE_TIMEOUT", false)
	c.IdleTimeout = e.dur("IDLE_TIMEOUT", false)
	c.MaxBodyBytes = e.integer("MAX_BODY_BYTES", 1024)
	c.MaxConnections = int(e.integer("MAX_CONNECTIONS", 1))
	c.ReadyOnBuiltin = e.boolean("READY_ON_BUILTIN")
}

// redis reads where Redis is.
func (e *envReader) redis(c *Config) {
	c.RedisURL = e.get("REDIS_URL")
	c.RedisPassword = e.get("REDIS_PASSWORD")
	c.RedisKeyPrefix = e.get("REDIS_KEY_PREFIX")
	if c.RedisURL != "" {
		if rdb, err := redisconn.New(c.RedisURL, c.RedisPassword, redisconn.Options{}); err != nil {
			e.errs = append(e.errs, err)
		} else {
			rdb.Close()
		}
	}
	if c.RedisKeyPrefix == "" || strings.ContainsAny(c.RedisKeyPrefix, " {}") {
		e.bad("REDIS_KEY_PREFIX", c.RedisKeyPrefix, "want a non-empty prefix without spaces or braces")
	}
}

// lists reads where lists come from, how they are refreshed and judged.
func (e *envReader) lists(c *Config) {
	c.ListURL = e.get("LIST_URL")
	if strings.EqualFold(c.ListURL, "off") {
		c.ListURL = ""
	} else if !strings.HasPrefix(c.ListURL, "https://") && !strings.HasPrefix(c.ListURL, "http://") {
		e.bad("LIST_URL", c.ListURL, "want an http(s) URL, or off")
	}
	c.ListFile = e.get("LIST_FILE")
	if c.ListFile != "" {
		if st, err := os.Stat(c.ListFile); err != nil {
			e.bad("LIST_FILE", c.ListFile, "cannot be read: "+err.Error())
		} else if st.IsDir() {
			e.bad("LIST_FILE", c.ListFile, "is a directory")
		}
	}
	c.RefreshInterval = e.dur("REFRESH_INTERVAL", true)
	c.RefreshTimeout = e.dur("REFRESH_TIMEOUT", false)
	c.ListMaxShrink = e.frac("LIST_MAX_SHRINK")
	c.ListMaxBadRows = e.frac("LIST_MAX_BAD_ROWS")
	c.ListPollInterval = e.dur("LIST_POLL_INTERVAL", false)
	c.ListVersionTTL = e.dur("LIST_VERSION_TTL", false)
	c.ListMaxAge = e.dur("LIST_MAX_AGE", true)
	c.MatchThreshold = e.matchThreshold()
}

// matchThreshold reads MATCH_THRESHOLD (also for `screener batch --local`).
func (e *envReader) matchThreshold() float64 {
	t := e.frac("MATCH_THRESHOLD")
	if t == 0 {
		e.bad("MATCH_THRESHOLD", e.get("MATCH_THRESHOLD"), "must be above 0")
	}
	return t
}

// access reads API keys, rate limits and the audit trail.
func (e *envReader) access(c *Config) {
	keys, err := loadKeys(e.get("API_KEYS"), e.get("API_KEYS_FILE"))
	if err != nil {
		e.errs = append(e.errs, err)
	}
	c.APIKeys = keys
	if v := e.get("RATE_LIMIT_RPS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			e.bad("RATE_LIMIT_RPS", v, "want a number ≥ 0")
		}
		c.RateLimitRPS = f
	}
	c.RateLimitBurst = int(e.integer("RATE_LIMIT_BURST", 1))
	c.AuditEnabled = e.boolean("AUDIT_ENABLED")
	c.AuditMaxLen = e.integer("AUDIT_MAX_LEN", 1)
	c.AuditMaxAge = e.dur("AUDIT_MAX_AGE", true)
	c.DatabaseURL = e.get("DATABASE_URL")
	c.DatabaseOwnerURL = e.get("DATABASE_OWNER_URL")
	for _, name := range []string{"DATABASE_URL", "DATABASE_OWNER_URL"} {
		if v := e.get(name); v != "" && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
			// The value may hold a password: name the variable, not the value.
			e.errs = append(e.errs, fmt.Errorf("%s: want a postgres:// or postgresql:// URL", name))
		}
	}
	if c.DatabaseOwnerURL == "" {
		c.DatabaseOwnerURL = c.DatabaseURL
	}
	if c.DatabaseURL != "" {
		c.AuditEnabled = true
	}
	durability := e.get("AUDIT_DURABILITY")
	if durability == "" {
		durability = "async"
		if c.DatabaseURL != "" {
			durability = "ack"
		}
	}
	mode, err := audit.ParseQueueMode(strings.ToLower(durability))
	if err != nil {
		e.bad("AUDIT_DURABILITY", durability, "want ack or async")
	}
	c.AuditDurability = mode
	c.AuditRetention = e.dur("AUDIT_RETENTION", true)
	c.AuditQueueCapacity = int(e.integer("AUDIT_QUEUE_CAPACITY", 1))
	c.AuditWriters = int(e.integer("AUDIT_WRITERS", 0))
	if c.AuditWriters > 16 {
		e.bad("AUDIT_WRITERS", strconv.Itoa(c.AuditWriters), "want 0 (choose) to 16")
	}
	c.AuditLinger = -1
	if v := e.get("AUDIT_LINGER"); !strings.EqualFold(v, "auto") {
		c.AuditLinger = e.dur("AUDIT_LINGER", true)
		if c.AuditLinger > time.Second {
			e.bad("AUDIT_LINGER", v, "want auto or a duration from 0 to 1s, such as 0 or 2ms")
		}
	}
}

// batch reads the batch limits and workers.
func (e *envReader) batch(c *Config) {
	c.BatchMaxBytes = e.integer("BATCH_MAX_BYTES", 1024)
	c.BatchMaxRows = e.integer("BATCH_MAX_ROWS", 1)
	c.BatchWaitMaxRows = e.integer("BATCH_WAIT_MAX_ROWS", 0)
	c.BatchResultTTL = e.dur("BATCH_RESULT_TTL", false)
	c.BatchWorkers = int(e.integer("BATCH_WORKERS", 0))
	c.BatchDir = e.get("BATCH_DIR")
	if c.BatchDir != "" {
		if st, err := os.Stat(c.BatchDir); err != nil || !st.IsDir() {
			e.bad("BATCH_DIR", c.BatchDir, "must be an existing directory")
		}
	}
	c.BatchChunkRows = int(e.integer("BATCH_CHUNK_ROWS", 1))
	c.BatchClaimTimeout = e.dur("BATCH_CLAIM_TIMEOUT", false)
	c.BatchChunkBytes = int(e.integer("BATCH_CHUNK_BYTES", 64<<10))
	c.BatchMaxJobsKey = int(e.integer("BATCH_MAX_ACTIVE_JOBS_PER_KEY", 0))
	c.BatchMaxBytesKey = e.integer("BATCH_MAX_STORED_BYTES_PER_KEY", 0)
}

// monitoring reads the webhooks and the monitoring's check interval.
func (e *envReader) monitoring(c *Config) {
	if v := e.get("WEBHOOK_URLS"); v != "" {
		urls, err := monitor.ParseWebhookURLs(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("WEBHOOK_URLS: %w", err))
		}
		c.WebhookURLs = urls
	}
	c.WebhookSecret = e.get("WEBHOOK_SECRET")
	if len(c.WebhookURLs) > 0 && len(c.WebhookSecret) < 16 {
		e.errs = append(e.errs, errors.New("WEBHOOK_SECRET: set a secret of at least 16 characters to sign the deliveries to WEBHOOK_URLS"))
	}
	c.MonitorCheckInterval = e.dur("MONITOR_CHECK_INTERVAL", false)
}

func loadKeys(inline, file string) (*service.KeySet, error) {
	if inline != "" && file != "" {
		return nil, errors.New("API_KEYS and API_KEYS_FILE are both set; use one")
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("API_KEYS_FILE=%q: %w", file, err)
		}
		defer f.Close()
		return service.ParseKeys(f, "API_KEYS_FILE "+file)
	}
	if inline != "" {
		return service.ParseKeys(strings.NewReader(inline), "API_KEYS")
	}
	return nil, nil
}
