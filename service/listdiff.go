package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/gin-gonic/gin"
)

// loadVersion returns a list version: the served one, the built-in
// snapshot, or one the store still retains.
func (s *Server) loadVersion(ctx context.Context, id string) (*lists.List, error) {
	if snap := s.catalog.Current(); snap != nil && snap.List.Version.ID == id {
		return snap.List, nil
	}
	if emb := lists.Embedded(); emb.Version.ID == id {
		return emb, nil
	}
	if s.catalog.Store == nil {
		return nil, fmt.Errorf("%w: %s", lists.ErrNoVersion, id)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.catalog.Store.Load(ctx, id)
}

// versionProblem answers 404 for a version that is not retained, 503 for
// a store that cannot say.
func (s *Server) versionProblem(c *gin.Context, param, id string, err error) {
	if errors.Is(err, lists.ErrNoVersion) {
		problem(c, http.StatusNotFound, kindNotFound, fmt.Sprintf("list version %s is not retained (GET /v1/lists names the versions kept)", quoteID(id)),
			FieldError{Field: param, Reason: "unknown or expired list version"})
		return
	}
	s.log.Error("list store failed", "request_id", requestID(c), "error", err)
	c.Header("Retry-After", "1")
	problem(c, http.StatusServiceUnavailable, kindUnavailable, "the list store is not usable; try again")
}

// handleListDiff serves GET /v1/lists/diff?from=&to=: the entries added,
// removed and changed between two retained versions. to defaults to the
// served version, from to the version before to in the store.
func (s *Server) handleListDiff(c *gin.Context) {
	ctx := c.Request.Context()
	snap := s.catalog.Current()
	if snap == nil {
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "no list is loaded yet")
		return
	}
	toID, fromID := c.Query("to"), c.Query("from")
	if toID == "" {
		toID = snap.List.Version.ID
	}
	if fromID == "" {
		vctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		vs, err := s.store.Versions(vctx)
		cancel()
		if err != nil {
			s.versionProblem(c, "from", "", err)
			return
		}
		for i, v := range vs {
			if v.ID == toID && i+1 < len(vs) {
				fromID = vs[i+1].ID
			}
		}
		if fromID == "" {
			badRequest(c, "no version before "+quoteID(toID)+" is retained; name one", FieldError{Field: "from", Reason: "is required here"})
			return
		}
	}
	from, err := s.loadVersion(ctx, fromID)
	if err != nil {
		s.versionProblem(c, "from", fromID, err)
		return
	}
	to, err := s.loadVersion(ctx, toID)
	if err != nil {
		s.versionProblem(c, "to", toID, err)
		return
	}
	c.JSON(http.StatusOK, monitor.Diff(from, to))
}

// handleVersionEntry serves GET /v1/lists/versions/{version}/entries/{id}:
// an entry as it was in a retained version.
func (s *Server) handleVersionEntry(c *gin.Context) {
	vid, id := c.Param("version"), c.Param("id")
	l, err := s.loadVersion(c.Request.Context(), vid)
	if err != nil {
		s.versionProblem(c, "version", vid, err)
		return
	}
	es := l.ByID(id)
	if len(es) == 0 {
		problem(c, http.StatusNotFound, kindNotFound, "no entry with id "+quoteID(id)+" in list version "+l.Version.ID)
		return
	}
	c.JSON(http.StatusOK, EntryResponse{ListVersion: l.Version.ID, ID: id, Entries: es})
}
