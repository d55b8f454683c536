package service

import (
	"fmt"
	"net/http"

	"github.com/cslscreen/screener/monitor"
	"github.com/gin-gonic/gin"
)

// AlertsPage is the body of GET /v1/alerts.
type AlertsPage struct {
	Alerts []monitor.Alert `json:"alerts"`
	// Next continues the listing (?cursor=); "" at the end.
	Next string `json:"next"`
}

// handleAlerts serves GET /v1/alerts: newest first, filtered by status,
// reference and list. A key sees its own alerts; a key with the decide
// scope (an analyst's; admin includes it) sees every key's, or one key's
// with ?key_id=.
func (s *Server) handleAlerts(c *gin.Context) {
	limit, ok := pageLimit(c)
	if !ok {
		return
	}
	f := monitor.AlertFilter{KeyID: keyID(c), Status: c.Query("status"), Reference: c.Query("reference"), List: c.Query("list"), Cursor: c.Query("cursor"), Limit: limit}
	switch f.Status {
	case "", monitor.AlertOpen, monitor.AlertClosed:
	default:
		badRequest(c, "invalid alert query", FieldError{Field: "status", Reason: fmt.Sprintf("%q is not open or closed", f.Status)})
		return
	}
	if hasScope(c, ScopeDecide) {
		f.KeyID = c.Query("key_id")
		f.AllKeys = f.KeyID == "" && keyID(c) != ""
	} else if k := c.Query("key_id"); k != "" && k != keyID(c) {
		badRequest(c, "invalid alert query", FieldError{Field: "key_id", Reason: "only a key with the decide or admin scope may read another key's alerts"})
		return
	}
	as, next, err := s.monitor.Store().ListAlerts(c.Request.Context(), f)
	if err != nil {
		s.monitorProblem(c, err)
		return
	}
	if as == nil {
		as = []monitor.Alert{}
	}
	c.JSON(http.StatusOK, AlertsPage{Alerts: as, Next: next})
}

// alertOf returns the alert with the request's id if the key may see it
// (its own, or any with the decide scope); otherwise it answers 404.
func (s *Server) alertOf(c *gin.Context) (monitor.Alert, bool) {
	a, err := s.monitor.Store().GetAlert(c.Request.Context(), c.Param("id"))
	if err == nil && a.KeyID != keyID(c) && !hasScope(c, ScopeDecide) {
		err = fmt.Errorf("alert %s: %w", quoteID(c.Param("id")), monitor.ErrNotFound)
	}
	if err != nil {
		s.monitorProblem(c, err)
		return a, false
	}
	return a, true
}

// handleAlert serves GET /v1/alerts/{id}.
func (s *Server) handleAlert(c *gin.Context) {
	if a, ok := s.alertOf(c); ok {
		c.JSON(http.StatusOK, a)
	}
}
