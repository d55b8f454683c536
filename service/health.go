package service

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Health is the body of /healthz.
type Health struct {
	Status string `json:"status"`
}

// Readiness is the body of /readyz.
type Readiness struct {
	Ready       bool        `json:"ready"`
	Reason      string      `json:"reason,omitempty"`
	ListVersion string      `json:"list_version,omitempty"`
	Entries     int         `json:"entries"`
	Builtin     bool        `json:"builtin"`
	Store       StoreHealth `json:"store"`
	// Audit reports the audit trail: its backend and backlog.
	Audit *AuditHealth `json:"audit,omitempty"`
}

// StoreHealth reports the list store. An unreachable Redis does not make
// the replica unready: it keeps screening against the list it holds.
// /readyz needs no key, so why the store is unreachable (an error naming
// its address) goes to the log, not here.
type StoreHealth struct {
	Kind   string `json:"kind"`
	Status string `json:"status"` // "ok" or "unreachable"
}

// handleHealthz answers 200 while the process is alive and serving HTTP.
func (s *Server) handleHealthz(c *gin.Context) {
	c.JSON(http.StatusOK, Health{Status: "ok"})
}

// handleReadyz answers 200 when a real list is loaded and the server is
// not shutting down, 503 otherwise; the body says why, and how the store
// is. While only the built-in snapshot is served the replica is not ready
// (its answers can never be clear), unless READY_ON_BUILTIN says so for a
// demo: a load balancer must not send customers to a replica that cannot
// really screen them.
func (s *Server) handleReadyz(c *gin.Context) {
	r := Readiness{Ready: true, Store: s.storeHealth(c.Request.Context()), Audit: s.auditHealth()}
	snap := s.catalog.Current()
	switch {
	case s.stopping.Load():
		r.Ready, r.Reason = false, "shutting down"
	case snap == nil:
		r.Ready, r.Reason = false, "no list loaded yet"
	case snap.List.Version.Builtin && !s.readyOnBuiltin:
		r.Ready, r.Reason = false, "only the built-in snapshot is served (no list has loaded from LIST_URL, LIST_FILE or Redis yet); answers are marked unscreenable until one does (READY_ON_BUILTIN=true reports ready anyway, for demos)"
	}
	if snap != nil {
		r.ListVersion = snap.List.Version.ID
		r.Entries = snap.List.Version.Entries
		r.Builtin = snap.List.Version.Builtin
	}
	status := http.StatusOK
	if !r.Ready {
		status = http.StatusServiceUnavailable
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, r)
}

func (s *Server) storeHealth(ctx context.Context) StoreHealth {
	h := StoreHealth{Kind: s.store.Kind(), Status: "ok"}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		h.Status = "unreachable"
		// Probes come every few seconds and anyone may call /readyz: one
		// line a minute is enough to say why.
		now := time.Now().UnixNano()
		if last := s.storeWarnedAt.Load(); now-last > int64(time.Minute) && s.storeWarnedAt.CompareAndSwap(last, now) {
			s.log.Warn("readiness: the list store is unreachable", "store", h.Kind, "error", err)
		}
	}
	return h
}
