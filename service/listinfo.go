package service

import (
	"context"
	"net/http"
	"sort"
	"time"

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

// RefreshStatus says where lists come from and when they were last checked.
type RefreshStatus struct {
	Source        string     `json:"source"`
	Origin        string     `json:"origin"`
	Interval      string     `json:"interval"`
	LastRefreshed *time.Time `json:"last_refreshed,omitempty"`
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
		Refresh:  RefreshStatus{Source: s.refresh.Source, Origin: s.refresh.Origin, Interval: s.refresh.Interval.String()},
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
