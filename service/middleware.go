package service

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cslscreen/screener/internal/jsontext"
	"github.com/gin-gonic/gin"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-ID"

const ctxRequestID = "screener.request_id"

// requestID returns the id the request-id middleware assigned.
func requestID(c *gin.Context) string {
	if v, ok := c.Get(ctxRequestID); ok {
		return v.(string)
	}
	return ""
}

// withRequestID takes a caller's X-Request-ID when it is a sane token (so a
// client can correlate), or makes one, and echoes it on the response.
func withRequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(HeaderRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Set(ctxRequestID, id)
		c.Header(HeaderRequestID, id)
		c.Next()
	}
}

func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.') {
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withRecovery turns a panic into a logged 500 problem instead of a dropped
// connection, and keeps the server running.
func withRecovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if err, ok := rec.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(rec) // the handler chose to abort the connection
			}
			log.Error("panic serving request", "request_id", requestID(c), "method", methodLabel(c.Request.Method),
				"path", c.Request.URL.Path, "panic", rec, "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				problem(c, http.StatusInternalServerError, kindInternal, "an unexpected error occurred; it has been logged")
			} else {
				c.Abort()
			}
		}()
		c.Next()
	}
}

// withUnreadBodyClose closes the connection after answering a request
// whose body was not read to its end, instead of reading the rest of the
// body first. An early refusal (401, 404, 415, 429) is then sent at once
// and the connection freed: otherwise net/http drains up to 256 KiB of the
// body before the answer and again after it, waiting up to ReadTimeout
// (minutes) for a client that sends headers and no body.
//
// While the server is stopping (the drain before it shuts down) every
// answer says Connection: close, so each keep-alive connection ends after
// an answer. Idle connections are left open until the drain ends rather
// than closed at once: net/http's closing of an "idle" connection races
// with a request arriving on it, whose handler then runs and whose answer
// is lost.
func withUnreadBodyClose(stopping *atomic.Bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if stopping.Load() {
			c.Header("Connection", "close")
		}
		r := c.Request
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			c.Next()
			return
		}
		h := c.Writer.Header()
		h.Set("Connection", "close") // until the body is read to its end
		bw := &bodyWatch{ReadCloser: r.Body, header: h, stopping: stopping}
		r.Body = bw
		c.Next()
		if !bw.done {
			// Send the answer now, then give a client still sending its
			// body a moment to finish (discarding at most a few MiB), so it
			// reads the refusal instead of a connection reset: closing a
			// socket with unread data resets it. Then make net/http's own
			// read of what is left fail at once.
			rc := http.NewResponseController(c.Writer)
			_ = rc.Flush()
			_ = rc.SetReadDeadline(time.Now().Add(unreadBodyGrace))
			_, _ = io.CopyN(io.Discard, bw.ReadCloser, unreadBodyDiscard)
			_ = rc.SetReadDeadline(time.Now())
		}
	}
}

// How long, and how much, an early refusal reads of a body it will not
// use before closing the connection.
const (
	unreadBodyGrace   = time.Second
	unreadBodyDiscard = 4 << 20
)

// bodyWatch takes "Connection: close" off the answer once the body has been
// read to its end (before the answer is sent, the header still counts).
type bodyWatch struct {
	io.ReadCloser
	header   http.Header
	stopping *atomic.Bool // then the header stays
	done     bool
}

func (b *bodyWatch) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		if !b.stopping.Load() {
			b.header.Del("Connection")
		}
	}
	return n, err
}

// quietRoutes are logged at debug level: probes and scrapes would drown the
// access log otherwise.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// AccessLog writes the access log: one JSON line per request with its id,
// route template (never the raw path or query, which may hold a
// counterparty name), method (of a fixed set, see methodLabel), status,
// duration, size, client and API key id. The lines have the shape of the service's slog JSON lines (time, level, msg,
// then the fields) but are written by hand: at thousands of screenings a
// second, slog's generic handler cost more than the rest of the logging.
type AccessLog struct {
	// W receives whole lines; it must be safe for concurrent writes of
	// whole lines (the service's buffered log writer is).
	W io.Writer
	// Level is the least level written; requests log at info (debug for
	// probes and scrapes, error for 5xx).
	Level slog.Level
}

var accessLineBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// withAccessLog logs each request to al, or through log when al is nil.
func withAccessLog(log *slog.Logger, al *AccessLog) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		level := slog.LevelInfo
		if quietRoutes[route] {
			level = slog.LevelDebug
		}
		status := c.Writer.Status()
		if status >= 500 {
			level = slog.LevelError
		}
		dur := float64(time.Since(start).Microseconds()) / 1000
		if al != nil {
			if level >= al.Level {
				al.write(c, level, route, status, dur)
			}
			return
		}
		if !log.Enabled(c.Request.Context(), level) {
			return
		}
		attrs := []slog.Attr{
			slog.String("request_id", requestID(c)),
			slog.String("method", methodLabel(c.Request.Method)),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("duration_ms", dur),
			slog.Int("bytes", c.Writer.Size()),
			slog.String("remote", c.ClientIP()),
		}
		if k := keyID(c); k != "" {
			attrs = append(attrs, slog.String("key_id", k))
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, slog.String("error", c.Errors.String()))
		}
		log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
	}
}

func (al *AccessLog) write(c *gin.Context, level slog.Level, route string, status int, durMS float64) {
	bp := accessLineBuffers.Get().(*[]byte)
	b := append((*bp)[:0], `{"time":"`...)
	b = time.Now().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":`...)
	b = jsontext.AppendString(b, level.String())
	b = append(b, `,"msg":"http request","request_id":`...)
	b = jsontext.AppendString(b, requestID(c))
	b = append(b, `,"method":`...)
	b = jsontext.AppendString(b, methodLabel(c.Request.Method))
	b = append(b, `,"route":`...)
	b = jsontext.AppendString(b, route)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"duration_ms":`...)
	b = jsontext.AppendFloat(b, durMS)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(c.Writer.Size()), 10)
	b = append(b, `,"remote":`...)
	b = jsontext.AppendString(b, c.ClientIP())
	if k := keyID(c); k != "" {
		b = append(b, `,"key_id":`...)
		b = jsontext.AppendString(b, k)
	}
	if len(c.Errors) > 0 {
		b = append(b, `,"error":`...)
		b = jsontext.AppendString(b, c.Errors.String())
	}
	b = append(b, "}\n"...)
	al.W.Write(b)
	*bp = b
	accessLineBuffers.Put(bp)
}
