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

	"github.com/cslscreen/screener/internal/redisconn"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
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

	MatchThreshold float64

	TrustedProxies    []string
	ShutdownTimeout   time.Duration
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxBodyBytes      int64

	APIKeys        *service.KeySet
	RateLimitRPS   float64
	RateLimitBurst int

	AuditEnabled bool
	AuditMaxLen  int64
	AuditMaxAge  time.Duration

	BatchMaxBytes     int64
	BatchMaxRows      int64
	BatchWaitMaxRows  int64
	BatchResultTTL    time.Duration
	BatchWorkers      int
	BatchDir          string
	BatchChunkRows    int
	BatchClaimTimeout time.Duration
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
	{"MATCH_THRESHOLD", strconv.FormatFloat(matcher.DefaultThreshold, 'f', -1, 64), "default minimum score of a reported match (0..1)"},
	{"TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For names the client"},
	{"SHUTDOWN_TIMEOUT", "20s", "how long in-flight requests get to finish on SIGTERM"},
	{"READ_HEADER_TIMEOUT", "5s", "http.Server ReadHeaderTimeout"},
	{"READ_TIMEOUT", "5m", "http.Server ReadTimeout (covers batch uploads)"},
	{"WRITE_TIMEOUT", "10m", "http.Server WriteTimeout (covers batch result downloads)"},
	{"IDLE_TIMEOUT", "2m", "http.Server IdleTimeout"},
	{"MAX_BODY_BYTES", "65536", "largest JSON request body"},
	{"API_KEYS", "", "comma-separated keyid:sha256hex; when set (or API_KEYS_FILE), /v1 needs a key"},
	{"API_KEYS_FILE", "", "file with one keyid:sha256hex per line"},
	{"RATE_LIMIT_RPS", "0", "requests per second per API key (or client address); 0 disables"},
	{"RATE_LIMIT_BURST", "20", "burst allowance of the rate limit"},
	{"AUDIT_ENABLED", "false", "record every screening in the audit log (Redis Stream or memory)"},
	{"AUDIT_MAX_LEN", "1000000", "audit records kept (approximate with Redis)"},
	{"AUDIT_MAX_AGE", "0", "drop audit records older than this; 0 keeps them until AUDIT_MAX_LEN"},
	{"BATCH_MAX_BYTES", "1073741824", "largest batch upload (bytes, after gzip is undone)"},
	{"BATCH_MAX_ROWS", "5000000", "most rows in one batch"},
	{"BATCH_WAIT_MAX_ROWS", "1000", "largest batch answered directly with ?wait=true"},
	{"BATCH_RESULT_TTL", "24h", "how long batch results are kept"},
	{"BATCH_WORKERS", "0", "batch chunks screened at once by this replica; 0: one per CPU"},
	{"BATCH_DIR", "", "scratch directory for batch uploads and results (in-memory mode); default the OS temp dir"},
	{"BATCH_CHUNK_ROWS", "2000", "rows per batch chunk (the unit of work a replica claims)"},
	{"BATCH_CLAIM_TIMEOUT", "1m", "a chunk idle this long on a dead replica is claimed by another"},
}

// LoadConfig reads the configuration through getenv and reports every bad
// value at once, each naming its variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	// An empty value means the default, so a deployment can template every
	// variable and leave the ones it does not use blank.
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, e := range envVars {
			if e.name == name {
				return e.def
			}
		}
		panic("config: undocumented variable " + name) // caught by tests
	}
	bad := func(name, v, want string) {
		errs = append(errs, fmt.Errorf("%s=%q: %s", name, v, want))
	}
	dur := func(name string, allowZero bool) time.Duration {
		v := get(name)
		if v == "0" && allowZero {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || (d == 0 && !allowZero) {
			bad(name, v, "want a positive duration such as 30s, 5m or 1h")
		}
		return d
	}
	frac := func(name string) float64 {
		v := get(name)
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			bad(name, v, "want a number between 0 and 1")
		}
		return f
	}
	integer := func(name string, min int64) int64 {
		v := get(name)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min {
			bad(name, v, fmt.Sprintf("want a whole number ≥ %d", min))
		}
		return n
	}
	addr := func(name string) string {
		v := get(name)
		if v == "" {
			return ""
		}
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			bad(name, v, "want host:port or :port")
		}
		return v
	}

	var c Config
	c.ListenAddr = addr("LISTEN_ADDR")
	if c.ListenAddr == "" {
		bad("LISTEN_ADDR", "", "must not be empty")
	}
	c.MetricsAddr = addr("METRICS_ADDR")
	switch v := strings.ToLower(get("LOG_LEVEL")); v {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("LOG_LEVEL", v, "want debug, info, warn or error")
	}
	c.RedisURL = get("REDIS_URL")
	c.RedisPassword = get("REDIS_PASSWORD")
	c.RedisKeyPrefix = get("REDIS_KEY_PREFIX")
	if c.RedisURL != "" {
		if rdb, err := redisconn.New(c.RedisURL, c.RedisPassword, redisconn.Options{}); err != nil {
			errs = append(errs, err)
		} else {
			rdb.Close()
		}
	}
	if c.RedisKeyPrefix == "" || strings.ContainsAny(c.RedisKeyPrefix, " {}") {
		bad("REDIS_KEY_PREFIX", c.RedisKeyPrefix, "want a non-empty prefix without spaces or braces")
	}
	c.ListURL = get("LIST_URL")
	if strings.EqualFold(c.ListURL, "off") {
		c.ListURL = ""
	} else if !strings.HasPrefix(c.ListURL, "https://") && !strings.HasPrefix(c.ListURL, "http://") {
		bad("LIST_URL", c.ListURL, "want an http(s) URL, or off")
	}
	c.ListFile = get("LIST_FILE")
	if c.ListFile != "" {
		if st, err := os.Stat(c.ListFile); err != nil {
			bad("LIST_FILE", c.ListFile, "cannot be read: "+err.Error())
		} else if st.IsDir() {
			bad("LIST_FILE", c.ListFile, "is a directory")
		}
	}
	c.RefreshInterval = dur("REFRESH_INTERVAL", true)
	c.RefreshTimeout = dur("REFRESH_TIMEOUT", false)
	c.ListMaxShrink = frac("LIST_MAX_SHRINK")
	c.ListMaxBadRows = frac("LIST_MAX_BAD_ROWS")
	c.ListPollInterval = dur("LIST_POLL_INTERVAL", false)
	c.ListVersionTTL = dur("LIST_VERSION_TTL", false)
	c.MatchThreshold = frac("MATCH_THRESHOLD")
	if c.MatchThreshold == 0 {
		bad("MATCH_THRESHOLD", get("MATCH_THRESHOLD"), "must be above 0")
	}
	for _, p := range strings.Split(get("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				bad("TRUSTED_PROXIES", p, "want IP addresses or CIDRs such as 10.0.0.0/8")
				continue
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	c.ShutdownTimeout = dur("SHUTDOWN_TIMEOUT", false)
	c.ReadHeaderTimeout = dur("READ_HEADER_TIMEOUT", false)
	c.ReadTimeout = dur("READ_TIMEOUT", false)
	c.WriteTimeout = dur("WRITE_TIMEOUT", false)
	c.IdleTimeout = dur("IDLE_TIMEOUT", false)
	c.MaxBodyBytes = integer("MAX_BODY_BYTES", 1024)

	keys, err := loadKeys(get("API_KEYS"), get("API_KEYS_FILE"))
	if err != nil {
		errs = append(errs, err)
	}
	c.APIKeys = keys
	if v := get("RATE_LIMIT_RPS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			bad("RATE_LIMIT_RPS", v, "want a number ≥ 0")
		}
		c.RateLimitRPS = f
	}
	c.RateLimitBurst = int(integer("RATE_LIMIT_BURST", 1))

	switch v := strings.ToLower(get("AUDIT_ENABLED")); v {
	case "true", "1", "yes":
		c.AuditEnabled = true
	case "false", "0", "no", "":
	default:
		bad("AUDIT_ENABLED", v, "want true or false")
	}
	c.AuditMaxLen = integer("AUDIT_MAX_LEN", 1)
	c.AuditMaxAge = dur("AUDIT_MAX_AGE", true)

	c.BatchMaxBytes = integer("BATCH_MAX_BYTES", 1024)
	c.BatchMaxRows = integer("BATCH_MAX_ROWS", 1)
	c.BatchWaitMaxRows = integer("BATCH_WAIT_MAX_ROWS", 0)
	c.BatchResultTTL = dur("BATCH_RESULT_TTL", false)
	c.BatchWorkers = int(integer("BATCH_WORKERS", 0))
	c.BatchDir = get("BATCH_DIR")
	if c.BatchDir != "" {
		if st, err := os.Stat(c.BatchDir); err != nil || !st.IsDir() {
			bad("BATCH_DIR", c.BatchDir, "must be an existing directory")
		}
	}
	c.BatchChunkRows = int(integer("BATCH_CHUNK_ROWS", 1))
	c.BatchClaimTimeout = dur("BATCH_CLAIM_TIMEOUT", false)
	if len(errs) > 0 {
		return c, fmt.Errorf("invalid configuration:\n  %w", errors.Join(errs...))
	}
	return c, nil
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
