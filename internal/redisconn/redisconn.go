// Package redisconn opens the Redis client every Redis user of the service
// shares (the list store, audit, rate limits, batch jobs), from REDIS_URL.
package redisconn

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options tunes the client's timeouts. The zero value uses the defaults.
//
// Every command also honours its context's deadline (ContextTimeoutEnabled),
// so a caller with a 200ms budget gets an error after 200ms even when Redis
// hangs; the timeouts below bound callers without a deadline.
type Options struct {
	// DialTimeout bounds opening a connection; default 2s.
	DialTimeout time.Duration
	// ReadTimeout and WriteTimeout bound one socket read or write; default
	// 1s each. Blocking commands (BLPOP, XREADGROUP … BLOCK) get their own
	// block time on top from go-redis.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// PoolTimeout bounds waiting for a free connection when all are busy;
	// default ReadTimeout + 1s.
	PoolTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = time.Second
	}
	if o.PoolTimeout <= 0 {
		o.PoolTimeout = o.ReadTimeout + time.Second
	}
	return o
}

// New connects to Redis by URL through go-redis's universal client:
//
//   - redis://[user:password@]host:port[/db] or rediss:// (TLS): one server;
//   - ...?master_name=NAME[&addr=host2:port]: Sentinel, the URL naming the
//     sentinels;
//   - ...?cluster=true[&addr=host2:port]: Cluster, the URL naming seed nodes.
//
// password, when not empty, replaces the URL's password, so the secret can
// come from its own variable. The client connects lazily: an unreachable
// Redis is not an error here. Errors name REDIS_URL with its user info
// replaced by "***", and never carry the password.
func New(rawURL, password string, opts Options) (redis.UniversalClient, error) {
	c, err := newClient(rawURL, password, opts.withDefaults())
	if err != nil {
		return nil, errors.New(scrub(err.Error(), rawURL, password))
	}
	return c, nil
}

func newClient(rawURL, password string, o Options) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL, password included
		}
		return nil, fmt.Errorf("REDIS_URL %s: %v", Redact(rawURL), err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("REDIS_URL %s: scheme %q: want redis:// or rediss://", Redact(rawURL), u.Scheme)
	}
	q := u.Query()
	cluster := q.Get("cluster") == "true"
	q.Del("cluster")
	u.RawQuery = q.Encode()
	s := u.String()
	switch {
	case q.Get("master_name") != "":
		fo, err := redis.ParseFailoverURL(s)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL %s (sentinel): %v", Redact(rawURL), err)
		}
		if password != "" {
			fo.Password = password
		}
		fo.DialTimeout, fo.ReadTimeout, fo.WriteTimeout, fo.PoolTimeout = o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout
		fo.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(fo), nil
	case cluster:
		co, err := redis.ParseClusterURL(s)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL %s (cluster): %v", Redact(rawURL), err)
		}
		if password != "" {
			co.Password = password
		}
		co.DialTimeout, co.ReadTimeout, co.WriteTimeout, co.PoolTimeout = o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout
		co.ContextTimeoutEnabled = true
		return redis.NewClusterClient(co), nil
	default:
		ro, err := redis.ParseURL(s)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL %s: %v", Redact(rawURL), err)
		}
		if password != "" {
			ro.Password = password
		}
		ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout, ro.PoolTimeout = o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout
		ro.ContextTimeoutEnabled = true
		return redis.NewClient(ro), nil
	}
}

// Redact returns a Redis URL with its user info (user name and password)
// replaced by "***", also when the URL does not parse.
func Redact(rawURL string) string {
	start := 0
	if i := strings.Index(rawURL, "//"); i >= 0 {
		start = i + 2
	}
	at := strings.LastIndex(rawURL, "@")
	if at < start {
		return rawURL
	}
	return rawURL[:start] + "***" + rawURL[at:]
}

// scrub removes every secret the URL and password could have put in msg:
// the raw URL, its user info and both passwords.
func scrub(msg, rawURL, password string) string {
	secrets := []string{rawURL}
	start := 0
	if i := strings.Index(rawURL, "//"); i >= 0 {
		start = i + 2
	}
	if at := strings.LastIndex(rawURL, "@"); at >= start {
		userinfo := rawURL[start:at]
		secrets = append(secrets, userinfo)
		if _, pw, ok := strings.Cut(userinfo, ":"); ok {
			secrets = append(secrets, pw)
			if dec, err := url.PathUnescape(pw); err == nil {
				secrets = append(secrets, dec)
			}
		}
	}
	if password != "" {
		secrets = append(secrets, password)
	}
	for _, s := range secrets {
		if s != "" && s != Redact(rawURL) {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	return msg
}
