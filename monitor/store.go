package monitor

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Store keeps the monitoring's records. Every method is safe for
// concurrent use (by every replica sharing the store, for a shared one).
//
// Errors: Get, Delete and UpdateAlert return one wrapping ErrNotFound for
// an unknown key; listings return one wrapping ErrBadCursor for a cursor
// they did not make; anything else is the store failing.
type Store interface {
	// PutCounterparty inserts or replaces the counterparty of (KeyID,
	// Reference), keeping the first CreatedAt; created says which.
	PutCounterparty(ctx context.Context, c Counterparty) (kept Counterparty, created bool, err error)
	GetCounterparty(ctx context.Context, keyID, ref string) (Counterparty, error)
	// ListCounterparties returns a key's counterparties by reference,
	// after cursor, and the next cursor ("" at the end).
	ListCounterparties(ctx context.Context, keyID, cursor string, limit int) ([]Counterparty, string, error)
	DeleteCounterparty(ctx context.Context, keyID, ref string) error
	// AllCounterparties returns every key's counterparties.
	AllCounterparties(ctx context.Context) ([]Counterparty, error)

	// AddAlert stores a unless an alert with its ID is stored already
	// (alert ids are made from what identifies them, AlertID); it returns
	// the alert as kept and whether it was added.
	AddAlert(ctx context.Context, a Alert) (kept Alert, added bool, err error)
	GetAlert(ctx context.Context, id string) (Alert, error)
	// ListAlerts returns alerts newest first.
	ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, string, error)
	// UpdateAlert applies change to the stored alert atomically; an error
	// from change is returned and nothing is stored.
	UpdateAlert(ctx context.Context, id string, change func(*Alert) error) (Alert, error)
	// OpenAlertsOf returns the open alerts on an entry (EntryKey), every key's.
	OpenAlertsOf(ctx context.Context, entryKey string) ([]Alert, error)

	// AddDecision stores a decision; FalsePositives returns every false
	// positive decision (for suppression).
	AddDecision(ctx context.Context, d Decision) error
	FalsePositives(ctx context.Context) ([]Decision, error)
	// GetDecision returns a decision by id; ListDecisions returns
	// decisions newest first (decisions are taken by people: thousands,
	// not millions, so a store may walk them all).
	GetDecision(ctx context.Context, id string) (Decision, error)
	ListDecisions(ctx context.Context, f DecisionFilter) ([]Decision, string, error)

	// Counts returns how many counterparties, open alerts and pending
	// webhook deliveries the store holds, every key's (for metrics).
	Counts(ctx context.Context) (Counts, error)

	// LastVersion is the list version the monitoring has caught up with
	// ("" before the first).
	LastVersion(ctx context.Context) (string, error)
	// ClaimRun takes the run from→to for at most ttl, or returns
	// ErrClaimed. FinishRun records that the monitoring caught up with to,
	// provided it was still at from.
	ClaimRun(ctx context.Context, from, to string, ttl time.Duration) (release func(), err error)
	FinishRun(ctx context.Context, from, to string) error
}

// Counts are what Store.Counts reports.
type Counts struct {
	Counterparties    int64
	OpenAlerts        int64
	PendingDeliveries int64
}

// AlertFilter selects alerts.
type AlertFilter struct {
	KeyID     string // "" with AllKeys: every key's
	AllKeys   bool
	Status    string
	Reference string
	List      string // a list code ("EL") or a full source
	// Undelivered keeps alerts whose webhook delivery is pending. A store
	// may answer it with one page in any order and no cursor.
	Undelivered bool
	Cursor      string
	Limit       int
}

func (f *AlertFilter) keep(a *Alert) bool {
	return (f.AllKeys || a.KeyID == f.KeyID) && (f.Status == "" || a.Status == f.Status) &&
		(f.Reference == "" || a.Reference == f.Reference) && (f.List == "" || strings.EqualFold(a.List, f.List) || a.Source == f.List) &&
		(!f.Undelivered || a.Delivery != nil && a.Delivery.State == DeliveryPending)
}

// Page limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// PageLimit checks a requested page size; 0 means DefaultLimit.
func PageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultLimit, nil
	case n < 1 || n > MaxLimit:
		return 0, fmt.Errorf("%w: limit: must be between 1 and %d", ErrInvalid, MaxLimit)
	}
	return n, nil
}

// RefCursor is the cursor of a page of counterparties that ends at ref;
// ParseRefCursor reads it back ("" for ""), or returns an error wrapping
// ErrBadCursor. Every store makes the same cursors.
func RefCursor(ref string) string { return base64.RawURLEncoding.EncodeToString([]byte(ref)) }

// ParseRefCursor: see RefCursor.
func ParseRefCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 {
		return "", fmt.Errorf("cursor %q: %w", c, ErrBadCursor)
	}
	return string(b), nil
}

func decodeSeqCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("cursor %q: %w", c, ErrBadCursor)
	}
	return n, nil
}

// MemoryStore is a Store in process memory, for one replica.
type MemoryStore struct {
	mu        sync.Mutex
	cps       map[string]map[string]Counterparty // key → reference → counterparty
	alerts    map[string]*memAlert
	order     []*memAlert // by seq
	seq       int64
	decisions []Decision
	last      string
	claims    map[string]time.Time
}

type memAlert struct {
	seq int64
	a   Alert
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{cps: map[string]map[string]Counterparty{}, alerts: map[string]*memAlert{}, claims: map[string]time.Time{}}
}

// PutCounterparty implements Store.
func (m *MemoryStore) PutCounterparty(_ context.Context, c Counterparty) (Counterparty, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	byRef := m.cps[c.KeyID]
	if byRef == nil {
		byRef = map[string]Counterparty{}
		m.cps[c.KeyID] = byRef
	}
	old, ok := byRef[c.Reference]
	if ok {
		c.CreatedAt = old.CreatedAt
	}
	byRef[c.Reference] = c
	return c, !ok, nil
}

// GetCounterparty implements Store.
func (m *MemoryStore) GetCounterparty(_ context.Context, keyID, ref string) (Counterparty, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cps[keyID][ref]
	if !ok {
		return Counterparty{}, fmt.Errorf("counterparty %q: %w", ref, ErrNotFound)
	}
	return c, nil
}

// ListCounterparties implements Store.
func (m *MemoryStore) ListCounterparties(_ context.Context, keyID, cursor string, limit int) ([]Counterparty, string, error) {
	after, err := ParseRefCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	m.mu.Lock()
	refs := make([]string, 0, len(m.cps[keyID]))
	for r := range m.cps[keyID] {
		if r > after {
			refs = append(refs, r)
		}
	}
	slices.Sort(refs)
	next := ""
	if len(refs) > limit {
		refs = refs[:limit]
		next = RefCursor(refs[limit-1])
	}
	out := make([]Counterparty, len(refs))
	for i, r := range refs {
		out[i] = m.cps[keyID][r]
	}
	m.mu.Unlock()
	return out, next, nil
}

// DeleteCounterparty implements Store.
func (m *MemoryStore) DeleteCounterparty(_ context.Context, keyID, ref string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.cps[keyID][ref]; !ok {
		return fmt.Errorf("counterparty %q: %w", ref, ErrNotFound)
	}
	delete(m.cps[keyID], ref)
	return nil
}

// AllCounterparties implements Store.
func (m *MemoryStore) AllCounterparties(context.Context) ([]Counterparty, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Counterparty
	for _, byRef := range m.cps {
		for _, c := range byRef {
			out = append(out, c)
		}
	}
	return out, nil
}

// AddAlert implements Store.
func (m *MemoryStore) AddAlert(_ context.Context, a Alert) (Alert, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.alerts[a.ID]; ok {
		return old.a, false, nil
	}
	m.seq++
	ma := &memAlert{seq: m.seq, a: a}
	m.alerts[a.ID] = ma
	m.order = append(m.order, ma)
	return a, true, nil
}

// GetAlert implements Store.
func (m *MemoryStore) GetAlert(_ context.Context, id string) (Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ma, ok := m.alerts[id]
	if !ok {
		return Alert{}, fmt.Errorf("alert %q: %w", id, ErrNotFound)
	}
	return ma.a, nil
}

// ListAlerts implements Store.
func (m *MemoryStore) ListAlerts(_ context.Context, f AlertFilter) ([]Alert, string, error) {
	before, err := decodeSeqCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit, err := PageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Alert
	var lastSeq int64
	for i := len(m.order) - 1; i >= 0; i-- {
		ma := m.order[i]
		if before > 0 && ma.seq >= before || !f.keep(&ma.a) {
			continue
		}
		if len(out) == limit {
			return out, strconv.FormatInt(lastSeq, 10), nil
		}
		out = append(out, ma.a)
		lastSeq = ma.seq
	}
	return out, "", nil
}

// UpdateAlert implements Store.
func (m *MemoryStore) UpdateAlert(_ context.Context, id string, change func(*Alert) error) (Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ma, ok := m.alerts[id]
	if !ok {
		return Alert{}, fmt.Errorf("alert %q: %w", id, ErrNotFound)
	}
	a := cloneAlert(ma.a)
	if err := change(&a); err != nil {
		return Alert{}, err
	}
	ma.a = a
	return a, nil
}

// cloneAlert copies the pointers so a change never writes through to the
// stored alert before it is kept.
func cloneAlert(a Alert) Alert {
	if a.Decision != nil {
		d := *a.Decision
		a.Decision = &d
	}
	if a.Delivery != nil {
		d := *a.Delivery
		a.Delivery = &d
	}
	if a.ClosedAt != nil {
		t := *a.ClosedAt
		a.ClosedAt = &t
	}
	return a
}

// OpenAlertsOf implements Store.
func (m *MemoryStore) OpenAlertsOf(_ context.Context, entryKey string) ([]Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Alert
	for _, ma := range m.order {
		if ma.a.Status == AlertOpen && EntryKey(ma.a.Source, ma.a.EntryID) == entryKey {
			out = append(out, ma.a)
		}
	}
	return out, nil
}

// AddDecision implements Store.
func (m *MemoryStore) AddDecision(_ context.Context, d Decision) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.decisions = append(m.decisions, d)
	return nil
}

// FalsePositives implements Store.
func (m *MemoryStore) FalsePositives(context.Context) ([]Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Decision
	for _, d := range m.decisions {
		if d.Outcome == FalsePositive {
			out = append(out, d)
		}
	}
	return out, nil
}

// GetDecision implements Store.
func (m *MemoryStore) GetDecision(_ context.Context, id string) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.decisions {
		if d.ID == id {
			return d, nil
		}
	}
	return Decision{}, fmt.Errorf("decision %q: %w", id, ErrNotFound)
}

// ListDecisions implements Store.
func (m *MemoryStore) ListDecisions(_ context.Context, f DecisionFilter) ([]Decision, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return pageDecisions(m.decisions, f)
}

// pageDecisions pages ds (oldest first, as added) newest first; the
// cursor is the 1-based position of the last decision returned.
func pageDecisions(ds []Decision, f DecisionFilter) ([]Decision, string, error) {
	before, err := decodeSeqCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit, err := PageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	end := int64(len(ds))
	if before > 0 {
		end = min(end, before-1)
	}
	var out []Decision
	var last int64
	for i := end - 1; i >= 0; i-- {
		if !f.keep(&ds[i]) {
			continue
		}
		if len(out) == limit {
			return out, strconv.FormatInt(last+1, 10), nil
		}
		out = append(out, ds[i])
		last = i
	}
	return out, "", nil
}

// Counts implements Store.
func (m *MemoryStore) Counts(context.Context) (Counts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n Counts
	for _, byRef := range m.cps {
		n.Counterparties += int64(len(byRef))
	}
	for _, ma := range m.order {
		if ma.a.Status == AlertOpen {
			n.OpenAlerts++
		}
		if deliveryState(ma.a) == DeliveryPending {
			n.PendingDeliveries++
		}
	}
	return n, nil
}

// LastVersion implements Store.
func (m *MemoryStore) LastVersion(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last, nil
}

// ClaimRun implements Store.
func (m *MemoryStore) ClaimRun(_ context.Context, from, to string, ttl time.Duration) (func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := from + ">" + to
	if until, ok := m.claims[k]; ok && time.Now().Before(until) {
		return nil, ErrClaimed
	}
	m.claims[k] = time.Now().Add(ttl)
	return func() {
		m.mu.Lock()
		delete(m.claims, k)
		m.mu.Unlock()
	}, nil
}

// FinishRun implements Store.
func (m *MemoryStore) FinishRun(_ context.Context, from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == from {
		m.last = to
	}
	return nil
}

// SetLastVersion sets the version the monitoring caught up with (for tests
// of a run redone after a crash).
func (m *MemoryStore) SetLastVersion(v string) {
	m.mu.Lock()
	m.last = v
	m.mu.Unlock()
}
