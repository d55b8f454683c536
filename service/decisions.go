package service

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/monitor"
	"github.com/gin-gonic/gin"
)

// eventDecision is the audit event of an analyst's decision (channel admin).
const eventDecision = "decision"

// DecisionRequest is the body of POST /v1/alerts/{id}/decision.
type DecisionRequest struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

// DecisionResponse is the body of 200 from POST /v1/alerts/{id}/decision:
// the alert, closed, and the decision.
type DecisionResponse struct {
	Alert    monitor.Alert    `json:"alert"`
	Decision monitor.Decision `json:"decision"`
}

// handleDecision serves POST /v1/alerts/{id}/decision (scope decide).
func (s *Server) handleDecision(c *gin.Context) {
	var req DecisionRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if _, ok := s.alertOf(c); !ok {
		return
	}
	by := keyID(c)
	if by == "" {
		by = "anonymous"
	}
	a, d, err := s.monitor.Decide(c.Request.Context(), c.Param("id"), by, monitor.Decision{Outcome: req.Outcome, Reason: req.Reason})
	if err != nil {
		s.monitorProblem(c, err)
		return
	}
	s.auditDecision(c, &a, &d)
	c.JSON(http.StatusOK, DecisionResponse{Alert: a, Decision: d})
}

// auditDecision records a decision in the audit trail: who (the key),
// when, on which alert, and what.
func (s *Server) auditDecision(c *gin.Context, a *monitor.Alert, d *monitor.Decision) {
	if s.audit.Log == nil {
		return
	}
	rec := audit.Record{
		ID: audit.NewID(d.CreatedAt), ClientRequestID: requestID(c), Time: d.CreatedAt, KeyID: keyID(c), Channel: audit.ChannelAdmin,
		ListVersion: a.ListVersion,
		Event: &audit.Event{Action: eventDecision, Detail: fmt.Sprintf("decision %s: %s on alert %s (key %q, reference %q, entry %s of %s, entry hash %s): %s",
			d.ID, d.Outcome, a.ID, a.KeyID, a.Reference, a.EntryID, a.List, a.EntryHash, d.Reason)},
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	if err := s.audit.Log.Write(ctx, rec); err != nil {
		s.metrics.AuditErrors.Inc()
		s.log.Error("audit write of a decision failed", "request_id", requestID(c), "decision", d.ID, "error", err)
		return
	}
	s.metrics.AuditWritten.Inc()
}
