package monitor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"github.com/cslscreen/screener/lists"
)

// EntryKey identifies an entry across versions: its list (source) and id.
func EntryKey(source, id string) string { return source + "\x00" + id }

// EntryHash is the content hash of an entry: the SHA-256 of its JSON, 16
// bytes in hex.
func EntryHash(e *lists.Entry) string {
	b, _ := json.Marshal(e) // an Entry always encodes
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// EntryRef describes one entry of a diff.
type EntryRef struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	List   string `json:"list"`
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"`
	Hash   string `json:"hash"`
	// Changes names what changed, for a changed entry: "names" (primary
	// name or aliases) and/or "content" (anything else).
	Changes []string `json:"changes,omitempty"`
	// Record is the entry's position in its list (the new one for added
	// and changed entries, the old one for removed).
	Record int `json:"-"`
}

// ListDiff is what changed between two list versions, each part sorted by
// list then id.
type ListDiff struct {
	From    string     `json:"from"`
	To      string     `json:"to"`
	Added   []EntryRef `json:"added"`
	Removed []EntryRef `json:"removed"`
	Changed []EntryRef `json:"changed"`
}

type keyed struct {
	rec   int
	hash  string
	names []string
}

// group indexes l's entries by EntryKey. The CSL repeats a few ids within
// one list; such entries count as one, with a hash over all of them.
func group(l *lists.List) map[string]keyed {
	m := make(map[string]keyed, len(l.Entries))
	for i := range l.Entries {
		e := &l.Entries[i]
		k := EntryKey(e.Source, e.ID)
		h := EntryHash(e)
		names := e.Names()
		if g, ok := m[k]; ok {
			sum := sha256.Sum256([]byte(g.hash + h))
			g.hash = hex.EncodeToString(sum[:16])
			g.names = append(g.names, names...)
			m[k] = g
			continue
		}
		m[k] = keyed{rec: i, hash: h, names: names}
	}
	return m
}

func ref(l *lists.List, g keyed) EntryRef {
	e := &l.Entries[g.rec]
	return EntryRef{ID: e.ID, Source: e.Source, List: lists.ListCode(e.Source), Name: e.Name, Type: e.Type, Hash: g.hash, Record: g.rec}
}

// Diff compares two versions: entries added, removed, and changed (the same
// list and id with different content). A nil from counts as empty.
func Diff(from, to *lists.List) ListDiff {
	d := ListDiff{To: to.Version.ID, Added: []EntryRef{}, Removed: []EntryRef{}, Changed: []EntryRef{}}
	old := map[string]keyed{}
	if from != nil {
		d.From = from.Version.ID
		old = group(from)
	}
	cur := group(to)
	for k, g := range cur {
		o, ok := old[k]
		switch {
		case !ok:
			d.Added = append(d.Added, ref(to, g))
		case o.hash != g.hash:
			r := ref(to, g)
			if !sameNames(o.names, g.names) {
				r.Changes = append(r.Changes, "names")
			}
			if a, b := stripNames(from, k), stripNames(to, k); a != b {
				r.Changes = append(r.Changes, "content")
			}
			d.Changed = append(d.Changed, r)
		}
	}
	for k, o := range old {
		if _, ok := cur[k]; !ok {
			d.Removed = append(d.Removed, ref(from, o))
		}
	}
	for _, part := range [][]EntryRef{d.Added, d.Removed, d.Changed} {
		slices.SortFunc(part, func(a, b EntryRef) int {
			if c := strings.Compare(a.Source, b.Source); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
	}
	return d
}

func sameNames(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// stripNames hashes the entries of key k in l without their names.
func stripNames(l *lists.List, k string) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	source, id, _ := strings.Cut(k, "\x00")
	for _, e := range l.ByID(id) {
		if e.Source != source {
			continue
		}
		e.Name, e.AltNames = "", nil
		enc.Encode(&e)
	}
	return hex.EncodeToString(h.Sum(nil))
}
