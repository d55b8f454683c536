package service

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/cslscreen/screener/monitor"
	"github.com/gin-gonic/gin"
)

// The monitoring routes: monitored counterparties (this file), alerts and
// decisions (alerts.go, decisions.go). Counterparties belong to the key
// that registered them, like batches; the monitoring itself is package
// monitor's Engine.

// monitorBodyBytes bounds a registration body: up to monitor.MaxRegister
// counterparties.
const monitorBodyBytes = 8 << 20

// RegisterRequest is the body of POST /v1/monitors.
type RegisterRequest struct {
	Counterparties []CounterpartyInput `json:"counterparties"`
}

// CounterpartyInput is one counterparty as a caller registers it.
type CounterpartyInput struct {
	Reference string `json:"reference"`
	Name      string `json:"name"`
	Country   string `json:"country,omitempty"`
	Type      string `json:"type,omitempty"`
}

// RegisterResponse is the body of 200 from POST /v1/monitors: each
// counterparty as kept, whether it was new, and the alerts its first
// screening raised (none for a counterparty registered again unchanged).
type RegisterResponse struct {
	Counterparties []monitor.Registered `json:"counterparties"`
}

// MonitorsPage is the body of GET /v1/monitors.
type MonitorsPage struct {
	Counterparties []monitor.Counterparty `json:"counterparties"`
	// Next continues the listing (?cursor=); "" at the end.
	Next string `json:"next"`
}

// MonitorResponse is the body of GET /v1/monitors/{reference}: the
// counterparty and its alerts, newest first (at most 100).
type MonitorResponse struct {
	Counterparty monitor.Counterparty `json:"counterparty"`
	Alerts       []monitor.Alert      `json:"alerts"`
}

func (s *Server) mountMonitoring(g *gin.RouterGroup) {
	g.POST("/monitors", s.handleRegister)
	g.GET("/monitors", s.handleMonitors)
	g.GET("/monitors/:reference", s.handleMonitor)
	g.DELETE("/monitors/:reference", s.handleUnmonitor)
	g.GET("/alerts", s.handleAlerts)
	g.GET("/alerts/:id", s.handleAlert)
	g.POST("/alerts/:id/decision", requireScope(ScopeDecide), s.handleDecision)
	g.POST("/decisions", requireScope(ScopeDecide), s.handleMatchDecision)
	g.GET("/decisions", s.handleDecisions)
	g.GET("/decisions/:id", s.handleGetDecision)
}

// monitorProblem answers the problem for an error of package monitor.
func (s *Server) monitorProblem(c *gin.Context, err error) {
	switch {
	case errors.Is(err, monitor.ErrInvalid), errors.Is(err, monitor.ErrBadCursor):
		field, reason := "", err.Error()
		// "counterparties[3]: invalid: name: is required" → field and reason.
		if i := strings.Index(reason, monitor.ErrInvalid.Error()+": "); i >= 0 {
			prefix := strings.TrimSuffix(reason[:i], ": ")
			rest := reason[i+len(monitor.ErrInvalid.Error())+2:]
			if f, r, ok := strings.Cut(rest, ": "); ok {
				field, reason = f, r
				if prefix != "" {
					field = prefix + "." + f
				}
			}
		}
		badRequest(c, "the request is invalid: "+err.Error(), FieldError{Field: field, Reason: reason})
	case errors.Is(err, monitor.ErrNotFound):
		problem(c, http.StatusNotFound, kindNotFound, err.Error())
	case errors.Is(err, monitor.ErrConflict):
		problem(c, http.StatusConflict, kindConflict, err.Error())
	default:
		s.log.Error("monitoring store failed", "request_id", requestID(c), "error", err)
		c.Header("Retry-After", "1")
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "the monitoring store is not usable; try again")
	}
}

// handleRegister serves POST /v1/monitors.
func (s *Server) handleRegister(c *gin.Context) {
	var req RegisterRequest
	if mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		// A CSV or JSON-lines file, as for batches.
		in, ok := s.readCounterpartyFile(c)
		if !ok {
			return
		}
		req.Counterparties = in
	} else if !s.decodeJSONMax(c, &req, monitorBodyBytes) {
		return
	}
	cs := make([]monitor.Counterparty, len(req.Counterparties))
	for i, in := range req.Counterparties {
		cs[i] = monitor.Counterparty{Reference: in.Reference, Name: in.Name, Country: in.Country, Type: in.Type}
	}
	regs, err := s.monitor.Register(c.Request.Context(), keyID(c), cs)
	if err != nil {
		s.monitorProblem(c, err)
		return
	}
	c.JSON(http.StatusOK, RegisterResponse{Counterparties: regs})
}

// pageLimit reads ?limit= (1..monitor.MaxLimit, default monitor.DefaultLimit).
func pageLimit(c *gin.Context) (int, bool) {
	v := c.Query("limit")
	if v == "" {
		return monitor.DefaultLimit, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > monitor.MaxLimit {
		badRequest(c, "invalid limit", FieldError{Field: "limit", Reason: fmt.Sprintf("must be an integer between 1 and %d", monitor.MaxLimit)})
		return 0, false
	}
	return n, true
}

// handleMonitors serves GET /v1/monitors: the key's counterparties by reference.
func (s *Server) handleMonitors(c *gin.Context) {
	limit, ok := pageLimit(c)
	if !ok {
		return
	}
	cps, next, err := s.monitor.Store().ListCounterparties(c.Request.Context(), keyID(c), c.Query("cursor"), limit)
	if err != nil {
		s.monitorProblem(c, err)
		return
	}
	if cps == nil {
		cps = []monitor.Counterparty{}
	}
	c.JSON(http.StatusOK, MonitorsPage{Counterparties: cps, Next: next})
}

// handleMonitor serves GET /v1/monitors/{reference}.
func (s *Server) handleMonitor(c *gin.Context) {
	ctx := c.Request.Context()
	ref := c.Param("reference")
	cp, err := s.monitor.Store().GetCounterparty(ctx, keyID(c), ref)
	if err != nil {
		s.monitorProblem(c, err)
		return
	}
	as, _, err := s.monitor.Store().ListAlerts(ctx, monitor.AlertFilter{KeyID: keyID(c), Reference: ref, Limit: 100})
	if err != nil {
		s.monitorProblem(c, err)
		return
	}
	if as == nil {
		as = []monitor.Alert{}
	}
	c.JSON(http.StatusOK, MonitorResponse{Counterparty: cp, Alerts: as})
}

// handleUnmonitor serves DELETE /v1/monitors/{reference}: 204, its open
// alerts closed.
func (s *Server) handleUnmonitor(c *gin.Context) {
	if err := s.monitor.Delete(c.Request.Context(), keyID(c), c.Param("reference")); err != nil {
		s.monitorProblem(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
