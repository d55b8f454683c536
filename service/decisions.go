package service

import (
	"context"
	"errors"
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

// auditDecision records a decision on an alert in the audit trail: who
// (the key), when, on which alert, and what.
func (s *Server) auditDecision(c *gin.Context, a *monitor.Alert, d *monitor.Decision) {
	s.writeDecisionAudit(c, d, a.ListVersion, fmt.Sprintf("decision %s: %s on alert %s (key %q, reference %q, entry %s of %s, entry hash %s): %s",
		d.ID, d.Outcome, a.ID, a.KeyID, a.Reference, a.EntryID, a.List, a.EntryHash, d.Reason))
}

// auditMatchDecision records a decision on a match in the audit trail.
func (s *Server) auditMatchDecision(c *gin.Context, d *monitor.Decision) {
	on := "a match"
	switch {
	case d.ScreeningID != "":
		on = fmt.Sprintf("a match of screening %s", d.ScreeningID)
	case d.BatchJob != "" && d.BatchRow > 0:
		on = fmt.Sprintf("a match of batch %s line %d", d.BatchJob, d.BatchRow)
	case d.BatchJob != "":
		on = fmt.Sprintf("a match of batch %s", d.BatchJob)
	}
	s.writeDecisionAudit(c, d, d.ListVersion, fmt.Sprintf("decision %s: %s on %s (key %q, name %q, reference %q, entry %s of %s, entry hash %s): %s",
		d.ID, d.Outcome, on, d.KeyID, d.CounterpartyName, d.Reference, d.EntryID, d.Source, d.EntryHash, d.Reason))
}

func (s *Server) writeDecisionAudit(c *gin.Context, d *monitor.Decision, listVersion, detail string) {
	if s.audit.Log == nil {
		return
	}
	rec := audit.Record{
		ID: audit.NewID(d.CreatedAt), ClientRequestID: requestID(c), Time: d.CreatedAt, KeyID: keyID(c), Channel: audit.ChannelAdmin,
		ListVersion: listVersion,
		Event:       &audit.Event{Action: eventDecision, Detail: detail},
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

// MatchDecisionRequest is the body of POST /v1/decisions: a decision on a
// match shown in a screening or a batch row.
type MatchDecisionRequest struct {
	// KeyID is the key whose screenings the decision covers; by default
	// the deciding key.
	KeyID string `json:"key_id,omitempty"`
	// Name is the name screened (the screening's query.name, the row's
	// name); Reference the row's or counterparty's reference, if any.
	Name      string `json:"name"`
	Reference string `json:"reference,omitempty"`
	// EntryID and Source are the match's id and source (a list code such
	// as "EL" is accepted for the source).
	EntryID     string `json:"entry_id"`
	Source      string `json:"source,omitempty"`
	Outcome     string `json:"outcome"`
	Reason      string `json:"reason"`
	ScreeningID string `json:"screening_id,omitempty"`
	BatchJob    string `json:"batch_job,omitempty"`
	BatchRow    int    `json:"batch_row,omitempty"`
}

// DecisionsPage is the body of GET /v1/decisions.
type DecisionsPage struct {
	Decisions []monitor.Decision `json:"decisions"`
	// Next continues the listing (?cursor=); "" at the end.
	Next string `json:"next"`
}

// handleMatchDecision serves POST /v1/decisions (scope decide): 201 with
// the decision, which a false positive makes suppress the (reference or
// name, entry) pair in the key's later screenings, batches and
// monitoring runs.
func (s *Server) handleMatchDecision(c *gin.Context) {
	var req MatchDecisionRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	by := keyID(c)
	if by == "" {
		by = "anonymous"
	}
	owner := keyID(c)
	if req.KeyID != "" {
		if !validKeyID(req.KeyID) {
			badRequest(c, "the decision request has invalid fields", FieldError{Field: "key_id", Reason: "is not a key id: letters, digits, '-', '_' and '.', at most 64"})
			return
		}
		owner = req.KeyID
	}
	d, err := s.monitor.DecideMatch(c.Request.Context(), monitor.Decision{
		KeyID: owner, DecidedBy: by, CounterpartyName: req.Name, Reference: req.Reference, EntryID: req.EntryID, Source: req.Source,
		Outcome: req.Outcome, Reason: req.Reason, ScreeningID: req.ScreeningID, BatchJob: req.BatchJob, BatchRow: req.BatchRow,
	})
	if errors.Is(err, monitor.ErrNoList) {
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "no list is loaded yet")
		return
	}
	if err != nil {
		s.monitorProblem(c, err)
		return
	}
	s.auditMatchDecision(c, &d)
	c.JSON(http.StatusCreated, d)
}

// handleDecisions serves GET /v1/decisions: newest first, on alerts and on
// matches. A key sees the decisions covering its screenings; a key with
// the decide scope every key's, or one key's with ?key_id=.
func (s *Server) handleDecisions(c *gin.Context) {
	limit, ok := pageLimit(c)
	if !ok {
		return
	}
	f := monitor.DecisionFilter{KeyID: keyID(c), Outcome: c.Query("outcome"), Cursor: c.Query("cursor"), Limit: limit}
	switch f.Outcome {
	case "", monitor.TrueMatch, monitor.FalsePositive:
	default:
		badRequest(c, "invalid decision query", FieldError{Field: "outcome", Reason: fmt.Sprintf("%q is not true_match or false_positive", f.Outcome)})
		return
	}
	if hasScope(c, ScopeDecide) {
		f.KeyID = c.Query("key_id")
		f.AllKeys = f.KeyID == "" && keyID(c) != ""
	} else if k := c.Query("key_id"); k != "" && k != keyID(c) {
		badRequest(c, "invalid decision query", FieldError{Field: "key_id", Reason: "only a key with the decide or admin scope may read another key's decisions"})
		return
	}
	ds, next, err := s.monitor.Store().ListDecisions(c.Request.Context(), f)
	if err != nil {
		s.monitorProblem(c, err)
		return
	}
	if ds == nil {
		ds = []monitor.Decision{}
	}
	c.JSON(http.StatusOK, DecisionsPage{Decisions: ds, Next: next})
}

// handleGetDecision serves GET /v1/decisions/{id}: a decision the
// suppressed_by of an answer names. A key sees its own; one with the
// decide scope any.
func (s *Server) handleGetDecision(c *gin.Context) {
	d, err := s.monitor.Store().GetDecision(c.Request.Context(), c.Param("id"))
	if err == nil && d.KeyID != keyID(c) && !hasScope(c, ScopeDecide) {
		err = fmt.Errorf("decision %s: %w", quoteID(c.Param("id")), monitor.ErrNotFound)
	}
	if err != nil {
		s.monitorProblem(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}
