package lists

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"
)

// Version describes one loaded list: what it holds, where it came from and
// when. Every screening names the Version.ID it used, so a result can be tied
// to the exact list content later.
type Version struct {
	// ID is a short content hash: the same entries give the same ID wherever
	// and whenever they were loaded.
	ID string `json:"id"`
	// Hash is the full SHA-256 of the entries' canonical JSON.
	Hash string `json:"hash"`
	// Source says where the list came from: "embedded", "file", or "url".
	Source string `json:"source"`
	// Origin is the file path or URL, or the snapshot's name.
	Origin string `json:"origin"`
	// FetchedAt is how old the copy we hold is: the download time for a
	// URL, the file's modification time for a file (see FileSource.Fetch),
	// the snapshot date for the built-in snapshot.
	FetchedAt time.Time `json:"fetched_at"`
	// PublishedAt is when the publisher last changed the list, when the
	// source says so: a CSL JSON file's newest sources_used[].
	// source_last_updated, else an HTTP response's Last-Modified; the
	// snapshot date for the built-in snapshot. Zero (and left out of JSON)
	// when unknown.
	PublishedAt time.Time `json:"published_at,omitzero"`
	// Entries counts all entries; Counts splits them by list (CSL source).
	Entries int            `json:"entries"`
	Counts  map[string]int `json:"counts"`
	// Rows and BadRows count the data rows read and skipped as malformed.
	Rows    int `json:"rows"`
	BadRows int `json:"bad_rows"`
	// Builtin is true for the small snapshot compiled into the binary;
	// Description and SnapshotDate then say what it holds and how old it is.
	Builtin      bool   `json:"builtin"`
	Description  string `json:"description,omitempty"`
	SnapshotDate string `json:"snapshot_date,omitempty"`
	// ETag and LastModified are the origin's validators, kept for the next
	// conditional fetch.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// List is a version and its entries. A List is never modified after
// NewList returns, so it may be shared between goroutines.
type List struct {
	Version Version
	Entries []Entry
	byID    map[string][]int
}

// NewList computes the version facts (hash, id, counts) of entries and
// returns the list. The caller fills in the origin facts of v (Source,
// Origin, FetchedAt, validators, snapshot facts).
func NewList(v Version, entries []Entry) *List {
	h := sha256.New()
	enc := json.NewEncoder(h)
	counts := map[string]int{}
	for i := range entries {
		enc.Encode(&entries[i]) // a hash.Hash never fails to write
		counts[entries[i].Source]++
	}
	sum := h.Sum(nil)
	v.Hash = hex.EncodeToString(sum)
	v.ID = v.Hash[:16]
	v.Entries = len(entries)
	v.Counts = counts
	if v.Rows == 0 {
		v.Rows = len(entries)
	}
	return newList(v, entries)
}

// newList indexes entries by id without recomputing the version (used when
// loading a stored list whose version is known).
func newList(v Version, entries []Entry) *List {
	l := &List{Version: v, Entries: entries, byID: make(map[string][]int, len(entries))}
	for i := range entries {
		l.byID[entries[i].ID] = append(l.byID[entries[i].ID], i)
	}
	return l
}

// ByID returns the entries with the given id. The CSL reuses an id across
// lists (an OFAC entity on SDN, SSI and CAP), so there may be several.
func (l *List) ByID(id string) []Entry {
	idx := l.byID[id]
	out := make([]Entry, len(idx))
	for i, j := range idx {
		out[i] = l.Entries[j]
	}
	return out
}

// Sources returns the list names present, sorted.
func (v Version) Sources() []string {
	out := make([]string, 0, len(v.Counts))
	for s := range v.Counts {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// redacted returns v with a URL origin passed through RedactURL: versions
// stored before origins were redacted may hold a LIST_URL with its token.
func (v Version) redacted() Version {
	if v.Source == "url" {
		v.Origin = RedactURL(v.Origin)
	}
	return v
}
