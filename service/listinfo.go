package service

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/lists"
	"github.com/gin-gonic/gin"
)

// ListsInfo is the body of GET /v1/lists.
type ListsInfo struct {
	// Current is the version this replica screens against.
	Current ServedVersion `json:"current"`
	// Warning is set when the served list is the small built-in snapshot.
	Warning string `json:"warning,omitempty"`
	// Lists counts the current version's entries per list.
	Lists []ListCount `json:"lists"`
	// Versions are the versions in the store, newest first (the current
	// one included); empty when the store cannot be reached.
	Versions []lists.Version `json:"versions"`
	Store    StoreHealth     `json:"store"`
	Refresh  RefreshStatus   `json:"refresh"`
}

// ServedVersion is a version plus when this replica loaded it.
type ServedVersion struct {
	lists.Version
	LoadedAt     time.Time `json:"loaded_at"`
	IndexBuildMS float64   `json:"index_build_ms"`
}

// ListCount is one list's share of a version.
type ListCount struct {
	List    string `json:"list"`
	Source  string `json:"source"`
	Entries int    `json:"entries"`
}

// RefreshStatus says where lists come from, how this replica's last
// attempt to refresh went and when the next one is due.
type RefreshStatus struct {
	Source string `json:"source"`
	Origin string `json:"origin"`
	// Interval is how often the source is checked; "0s" when refreshing is
	// off (no source, or REFRESH_INTERVAL=0).
	Interval string `json:"interval"`
	// LastRefreshed is when any replica last checked the source (from the
	// store).
	LastRefreshed *time.Time `json:"last_refreshed,omitempty"`
	Running       bool       `json:"running"`
	// LastAttempt is this replica's last attempt: when, its outcome
	// (updated, unchanged, refused, failed, skipped), its error, who asked
	// (schedule, request) and whether it was forced past the shrink guard.
	LastAttempt *time.Time `json:"last_attempt,omitempty"`
	LastOutcome string     `json:"last_outcome,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	LastBy      string     `json:"last_by,omitempty"`
	LastForced  bool       `json:"last_forced,omitempty"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
}

// refreshStatus is the refresh status as GET /v1/lists shows it.
func (s *Server) refreshStatus() RefreshStatus {
	st := RefreshStatus{Source: s.refresh.Source, Origin: s.refresh.Origin, Interval: "0s"}
	if s.refresh.Refresher == nil {
		return st
	}
	rs := s.refresh.Refresher.Status()
	st.Source, st.Origin, st.Interval, st.Running = rs.Source, rs.Origin, rs.Interval.String(), rs.Running
	st.LastOutcome, st.LastError, st.LastBy, st.LastForced = rs.LastOutcome, rs.LastError, rs.LastBy, rs.LastForced
	if !rs.LastAttempt.IsZero() {
		t := rs.LastAttempt.UTC()
		st.LastAttempt = &t
	}
	if !rs.NextAttempt.IsZero() {
		t := rs.NextAttempt.UTC()
		st.NextAttempt = &t
	}
	return st
}

// RefreshResponse is the body of POST /v1/lists/refresh.
type RefreshResponse struct {
	// Outcome is updated, unchanged, refused, failed or skipped (another
	// replica holds the refresh lock).
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	// Forced is true when force=true made current a list the shrink guard
	// refused; the audit trail records it.
	Forced bool `json:"forced"`
	// Guard is what the shrink guard objected to, if it did.
	Guard      string         `json:"guard,omitempty"`
	Version    *lists.Version `json:"version,omitempty"`
	DurationMS float64        `json:"duration_ms"`
	Refresh    RefreshStatus  `json:"refresh"`
}

// handleRefresh serves POST /v1/lists/refresh[?force=true]: refresh the
// list now, from LIST_URL or by re-reading LIST_FILE. It needs the admin
// scope when keys are configured. With force=true a list the shrink guard
// refuses is accepted, and the audit trail says so.
func (s *Server) handleRefresh(c *gin.Context) {
	if s.refresh.Refresher == nil {
		problem(c, http.StatusConflict, kindNoSource, "no list source is configured (LIST_URL=off and no LIST_FILE): there is nothing to refresh from")
		return
	}
	force, ok := boolQuery(c, "force")
	if !ok {
		return
	}
	by := "request"
	if id := keyID(c); id != "" {
		by = "request by key " + id
	}
	res := s.refresh.Refresher.RefreshNow(c.Request.Context(), lists.RefreshRequest{Force: force, By: by})
	if res.List != nil && res.Outcome == lists.OutcomePublished && s.refresh.Adopt != nil {
		s.refresh.Adopt(res.List)
	}
	out := RefreshResponse{Outcome: res.Status(), Forced: res.Forced, DurationMS: float64(res.Duration.Microseconds()) / 1000}
	if res.Err != nil {
		out.Error = res.Err.Error()
	}
	if res.Guard != nil {
		out.Guard = res.Guard.Error()
	}
	if res.List != nil {
		v := res.List.Version
		out.Version = &v
	}
	if res.Forced {
		s.auditAdmin(c, audit.EventListRefreshForced, fmt.Sprintf("forced past the shrink guard (%s); version %s made current", out.Guard, out.Version.ID))
	}
	out.Refresh = s.refreshStatus()
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

func (s *Server) handleLists(c *gin.Context) {
	snap := s.catalog.Current()
	if snap == nil {
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "no list is loaded yet")
		return
	}
	v := snap.List.Version
	info := ListsInfo{
		Current:  ServedVersion{Version: v, LoadedAt: snap.LoadedAt, IndexBuildMS: float64(snap.BuildTime.Microseconds()) / 1000},
		Store:    s.storeHealth(c.Request.Context()),
		Versions: []lists.Version{},
		Refresh:  s.refreshStatus(),
	}
	if v.Builtin {
		info.Warning = "Serving the small built-in snapshot (" + v.SnapshotDate + "), not a full screening list: " + v.Description
	}
	for _, src := range v.Sources() {
		info.Lists = append(info.Lists, ListCount{List: lists.ListCode(src), Source: src, Entries: v.Counts[src]})
	}
	sort.SliceStable(info.Lists, func(i, j int) bool { return info.Lists[i].Entries > info.Lists[j].Entries })
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if vs, err := s.store.Versions(ctx); err == nil && vs != nil {
		info.Versions = vs
	}
	if len(info.Versions) == 0 || info.Versions[0].ID != v.ID {
		// The built-in snapshot, or a version the store has lost, is still
		// what this replica serves: show it first.
		info.Versions = append([]lists.Version{v}, info.Versions...)
	}
	if t, err := s.store.LastRefreshed(ctx); err == nil && !t.IsZero() {
		info.Refresh.LastRefreshed = &t
	}
	c.JSON(http.StatusOK, info)
}

// EntryResponse is the body of GET /v1/lists/entries/{id}. The CSL reuses
// an id across lists (one OFAC party on SDN, SSI and CAP), so it holds every
// entry with the id.
type EntryResponse struct {
	ListVersion string        `json:"list_version"`
	ID          string        `json:"id"`
	Entries     []lists.Entry `json:"entries"`
}

func (s *Server) handleEntry(c *gin.Context) {
	snap := s.catalog.Current()
	if snap == nil {
		problem(c, http.StatusServiceUnavailable, kindUnavailable, "no list is loaded yet")
		return
	}
	id := c.Param("id")
	es := snap.List.ByID(id)
	if len(es) == 0 {
		problem(c, http.StatusNotFound, kindNotFound, "no entry with id "+quoteID(id)+" in list version "+snap.List.Version.ID)
		return
	}
	c.JSON(http.StatusOK, EntryResponse{ListVersion: snap.List.Version.ID, ID: id, Entries: es})
}

// quoteID quotes an id for a message, cut short so a huge path cannot
// blow up the response.
func quoteID(id string) string {
	if len(id) > 80 {
		id = id[:80] + "…"
	}
	return `"` + id + `"`
}
