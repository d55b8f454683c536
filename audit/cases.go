package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The case records: the counterparties a customer monitors, the alerts
// screenings raise, and the decisions reviewers take on them. They sit
// beside the audit trail because they are part of the same compliance
// record (a decision, like an audit record, is never changed once made).
// The features that use them come later; these are the stores.

// ErrConflict is returned (wrapped) when a record would break a
// uniqueness rule, such as a second counterparty with the same reference.
var ErrConflict = errors.New("conflicts with an existing record")

// Counterparty is a party a customer monitors: screened again when a new
// list version arrives.
type Counterparty struct {
	ID          string    `json:"id"`
	KeyID       string    `json:"key_id"`
	Reference   string    `json:"reference"` // the customer's own id, unique per key
	Name        string    `json:"name"`
	Country     string    `json:"country,omitempty"`
	Type        string    `json:"type,omitempty"`
	DateOfBirth string    `json:"date_of_birth,omitempty"`
	Nationality string    `json:"nationality,omitempty"`
	Identifier  string    `json:"identifier,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Alert statuses.
const (
	AlertOpen   = "open"
	AlertClosed = "closed"
)

// Alert is a match that needs a reviewer's decision.
type Alert struct {
	ID             string    `json:"id"`
	KeyID          string    `json:"key_id"`
	AuditID        string    `json:"audit_id"`                  // the screening's audit record
	CounterpartyID string    `json:"counterparty_id,omitempty"` // when a monitored party raised it
	EntryID        string    `json:"entry_id"`
	List           string    `json:"list"`
	Name           string    `json:"name"`
	Score          float64   `json:"score"`
	Status         string    `json:"status"`
	CreatedAt      time.Time `json:"created_at"`
}

// Decision outcomes.
const (
	DecisionTrueMatch     = "true_match"
	DecisionFalsePositive = "false_positive"
	DecisionEscalated     = "escalated"
)

// Decision is a reviewer's decision on an alert. Decisions are only ever
// added: a changed mind is a new decision.
type Decision struct {
	ID        string    `json:"id"`
	AlertID   string    `json:"alert_id"`
	KeyID     string    `json:"key_id"`
	Outcome   string    `json:"outcome"`
	Reason    string    `json:"reason,omitempty"`
	DecidedBy string    `json:"decided_by"`
	CreatedAt time.Time `json:"created_at"`
}

// ListOptions selects a page of case records, oldest first.
type ListOptions struct {
	KeyID   string // empty: every key
	AlertID string // decisions only: those of one alert
	Cursor  string // from the previous page; empty: the first page
	Limit   int    // 1..MaxLimit; 0 means DefaultLimit
}

// CaseStore keeps counterparties, alerts and decisions. Create fills in
// an empty ID (NewID) and CreatedAt (now) and returns the record as kept.
// Get returns an error wrapping ErrNotFound for an unknown id; creating a
// second counterparty with a key's reference, or a decision on an alert
// that does not exist, returns one wrapping ErrConflict or ErrNotFound.
// List returns a page and the cursor of the next ("" at the end). Safe for
// concurrent use.
type CaseStore interface {
	CreateCounterparty(ctx context.Context, c Counterparty) (Counterparty, error)
	GetCounterparty(ctx context.Context, id string) (Counterparty, error)
	ListCounterparties(ctx context.Context, o ListOptions) ([]Counterparty, string, error)

	CreateAlert(ctx context.Context, a Alert) (Alert, error)
	GetAlert(ctx context.Context, id string) (Alert, error)
	ListAlerts(ctx context.Context, o ListOptions) ([]Alert, string, error)

	CreateDecision(ctx context.Context, d Decision) (Decision, error)
	GetDecision(ctx context.Context, id string) (Decision, error)
	ListDecisions(ctx context.Context, o ListOptions) ([]Decision, string, error)
}

// Fill sets an empty ID and CreatedAt and checks the fields every store
// requires; stores call it in Create.
func (c *Counterparty) Fill(now time.Time) error {
	fill(&c.ID, &c.CreatedAt, now)
	switch {
	case c.Reference == "":
		return fmt.Errorf("counterparty: reference is empty")
	case c.Name == "":
		return fmt.Errorf("counterparty %q: name is empty", c.Reference)
	}
	_, err := ParseID(c.ID)
	return err
}

// Fill: see Counterparty.Fill.
func (a *Alert) Fill(now time.Time) error {
	fill(&a.ID, &a.CreatedAt, now)
	if a.Status == "" {
		a.Status = AlertOpen
	}
	if a.Status != AlertOpen && a.Status != AlertClosed {
		return fmt.Errorf("alert: status %q is not open or closed", a.Status)
	}
	if _, err := ParseID(a.AuditID); err != nil {
		return fmt.Errorf("alert: audit_id: %w", err)
	}
	if a.CounterpartyID != "" {
		if _, err := ParseID(a.CounterpartyID); err != nil {
			return fmt.Errorf("alert: counterparty_id: %w", err)
		}
	}
	if a.EntryID == "" {
		return fmt.Errorf("alert: entry_id is empty")
	}
	_, err := ParseID(a.ID)
	return err
}

// Fill: see Counterparty.Fill.
func (d *Decision) Fill(now time.Time) error {
	fill(&d.ID, &d.CreatedAt, now)
	switch d.Outcome {
	case DecisionTrueMatch, DecisionFalsePositive, DecisionEscalated:
	default:
		return fmt.Errorf("decision: outcome %q is not one of true_match, false_positive, escalated", d.Outcome)
	}
	if d.DecidedBy == "" {
		return fmt.Errorf("decision: decided_by is empty")
	}
	if _, err := ParseID(d.AlertID); err != nil {
		return fmt.Errorf("decision: alert_id: %w", err)
	}
	_, err := ParseID(d.ID)
	return err
}

func fill(id *string, at *time.Time, now time.Time) {
	if at.IsZero() {
		*at = now
	}
	*at = at.UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it
	if *id == "" {
		*id = NewID(*at)
	}
}

// PageLimit returns the page size o asks for (DefaultLimit for 0), or an
// error naming the problem.
func (o ListOptions) PageLimit() (int, error) {
	f := Filter{Limit: o.Limit}
	if err := f.Validate(); err != nil {
		return 0, err
	}
	return f.limit(), nil
}

// MemoryCases is a CaseStore in process memory, for tests and
// single-replica development.
type MemoryCases struct {
	mu             sync.Mutex
	counterparties []Counterparty
	alerts         []Alert
	decisions      []Decision
	now            func() time.Time
}

// NewMemoryCases returns an empty store.
func NewMemoryCases() *MemoryCases { return &MemoryCases{now: time.Now} }

func find[T any](xs []T, id string, idOf func(*T) string, what string) (T, error) {
	for i := range xs {
		if idOf(&xs[i]) == id {
			return xs[i], nil
		}
	}
	var zero T
	return zero, fmt.Errorf("%s %q: %w", what, id, ErrNotFound)
}

// page returns the records of xs (kept in creation order) that keep
// selects, after o.Cursor, at most the limit, and the next cursor.
func page[T any](xs []T, o ListOptions, key func(*T) (time.Time, string), keep func(*T) bool) ([]T, string, error) {
	limit, err := o.PageLimit()
	if err != nil {
		return nil, "", err
	}
	var after *Cursor
	if o.Cursor != "" {
		c, err := ParseCursor(o.Cursor)
		if err != nil {
			return nil, "", err
		}
		after = &c
	}
	sorted := slices.Clone(xs)
	slices.SortStableFunc(sorted, func(a, b T) int {
		ta, ia := key(&a)
		tb, ib := key(&b)
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		return cmp.Compare(ia, ib)
	})
	var out []T
	for i := range sorted {
		t, id := key(&sorted[i])
		if !keep(&sorted[i]) || (after != nil && !after.After(t, id)) {
			continue
		}
		if len(out) == limit {
			lt, lid := key(&out[limit-1])
			return out, Cursor{Time: lt, ID: lid}.String(), nil
		}
		out = append(out, sorted[i])
	}
	return out, "", nil
}

// CreateCounterparty implements CaseStore.
func (m *MemoryCases) CreateCounterparty(_ context.Context, c Counterparty) (Counterparty, error) {
	if err := c.Fill(m.now()); err != nil {
		return Counterparty{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.counterparties {
		if o.ID == c.ID || o.KeyID == c.KeyID && o.Reference == c.Reference {
			return Counterparty{}, fmt.Errorf("counterparty %q of key %q: %w", c.Reference, c.KeyID, ErrConflict)
		}
	}
	m.counterparties = append(m.counterparties, c)
	return c, nil
}

// GetCounterparty implements CaseStore.
func (m *MemoryCases) GetCounterparty(_ context.Context, id string) (Counterparty, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return find(m.counterparties, id, func(c *Counterparty) string { return c.ID }, "counterparty")
}

// ListCounterparties implements CaseStore.
func (m *MemoryCases) ListCounterparties(_ context.Context, o ListOptions) ([]Counterparty, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return page(m.counterparties, o, func(c *Counterparty) (time.Time, string) { return c.CreatedAt, c.ID },
		func(c *Counterparty) bool { return o.KeyID == "" || c.KeyID == o.KeyID })
}

// CreateAlert implements CaseStore.
func (m *MemoryCases) CreateAlert(_ context.Context, a Alert) (Alert, error) {
	if err := a.Fill(m.now()); err != nil {
		return Alert{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := find(m.alerts, a.ID, func(a *Alert) string { return a.ID }, "alert"); err == nil {
		return Alert{}, fmt.Errorf("alert %s: %w", a.ID, ErrConflict)
	}
	if a.CounterpartyID != "" {
		if _, err := find(m.counterparties, a.CounterpartyID, func(c *Counterparty) string { return c.ID }, "counterparty"); err != nil {
			return Alert{}, fmt.Errorf("alert: %w", err)
		}
	}
	m.alerts = append(m.alerts, a)
	return a, nil
}

// GetAlert implements CaseStore.
func (m *MemoryCases) GetAlert(_ context.Context, id string) (Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return find(m.alerts, id, func(a *Alert) string { return a.ID }, "alert")
}

// ListAlerts implements CaseStore.
func (m *MemoryCases) ListAlerts(_ context.Context, o ListOptions) ([]Alert, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return page(m.alerts, o, func(a *Alert) (time.Time, string) { return a.CreatedAt, a.ID },
		func(a *Alert) bool { return o.KeyID == "" || a.KeyID == o.KeyID })
}

// CreateDecision implements CaseStore.
func (m *MemoryCases) CreateDecision(_ context.Context, d Decision) (Decision, error) {
	if err := d.Fill(m.now()); err != nil {
		return Decision{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := find(m.alerts, d.AlertID, func(a *Alert) string { return a.ID }, "alert"); err != nil {
		return Decision{}, fmt.Errorf("decision: %w", err)
	}
	if _, err := find(m.decisions, d.ID, func(d *Decision) string { return d.ID }, "decision"); err == nil {
		return Decision{}, fmt.Errorf("decision %s: %w", d.ID, ErrConflict)
	}
	m.decisions = append(m.decisions, d)
	return d, nil
}

// GetDecision implements CaseStore.
func (m *MemoryCases) GetDecision(_ context.Context, id string) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return find(m.decisions, id, func(d *Decision) string { return d.ID }, "decision")
}

// ListDecisions implements CaseStore.
func (m *MemoryCases) ListDecisions(_ context.Context, o ListOptions) ([]Decision, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return page(m.decisions, o, func(d *Decision) (time.Time, string) { return d.CreatedAt, d.ID },
		func(d *Decision) bool {
			return (o.KeyID == "" || d.KeyID == o.KeyID) && (o.AlertID == "" || d.AlertID == o.AlertID)
		})
}
