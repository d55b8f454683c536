// Package monitor is ongoing monitoring as a domain: the counterparties a
// customer monitors, the alerts a new list version raises against them,
// the decisions analysts take on alerts, and the engine that, when a new
// list version becomes current, screens only what changed (Diff) against
// every monitored counterparty through a reverse index. It knows nothing
// of HTTP; package service mounts its routes.
//
// Stores (Store) keep counterparties, alerts, decisions and the version the
// monitoring last caught up with; MemoryStore serves one replica,
// RedisStore every replica sharing a Redis.
package monitor

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cslscreen/screener/screening"
)

// Errors a caller tells apart (wrapped).
var (
	// ErrNotFound: no counterparty, alert or decision with that key.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a counterparty or decision breaks a rule; the message
	// names the field.
	ErrInvalid = errors.New("invalid")
	// ErrBadCursor: a cursor this store did not make.
	ErrBadCursor = errors.New("not a cursor returned by this listing")
	// ErrClaimed: another replica holds the run.
	ErrClaimed = errors.New("the monitoring run is claimed by another replica")
	// ErrConflict: the alert was already decided or is closed.
	ErrConflict = errors.New("conflicts with the alert's state")
)

// Counterparty is a party a customer monitors: screened once when
// registered, then against every list change. Its reference is the
// customer's own id, unique per API key.
type Counterparty struct {
	KeyID     string    `json:"key_id,omitempty"`
	Reference string    `json:"reference"`
	Name      string    `json:"name"`
	Country   string    `json:"country,omitempty"`
	Type      string    `json:"type,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MaxReferenceLen bounds a reference.
const MaxReferenceLen = 200

// Check applies the rules of a screening query to the counterparty's name,
// country and type (screening.Check), normalises them, and checks the
// reference.
func (c *Counterparty) Check() error {
	ref := strings.TrimSpace(c.Reference)
	switch {
	case ref == "":
		return fmt.Errorf("%w: reference: is required", ErrInvalid)
	case len(ref) > MaxReferenceLen || !utf8.ValidString(ref) || strings.ContainsFunc(ref, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%w: reference: must be valid UTF-8 without control characters, at most %d bytes", ErrInvalid, MaxReferenceLen)
	}
	q, errs := screening.Check(screening.Request{Name: c.Name, Country: c.Country, Type: c.Type}, 0)
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, errs[0].Field, errs[0].Reason)
	}
	c.Reference, c.Name, c.Country, c.Type = ref, q.Name, q.Country, q.Type
	return nil
}

// Alert statuses.
const (
	AlertOpen   = "open"
	AlertClosed = "closed"
)

// Why an alert was raised (Alert.Cause) and why it was closed.
const (
	CauseRegistered = "registered"    // screened when the counterparty was registered
	CauseAdded      = "entry_added"   // the entry is new in list_version
	CauseChanged    = "entry_changed" // the entry changed in list_version

	ClosedDecided        = "decided"
	ClosedEntryRemoved   = "entry_removed"
	ClosedMonitorDeleted = "monitor_deleted"
	ClosedSuppressed     = "suppressed" // a false positive decision covers the pair: raised closed
)

// Alert is a monitored counterparty that resembles a list entry: raised
// once per (key, reference, entry, list version).
type Alert struct {
	ID          string `json:"id"`
	KeyID       string `json:"key_id,omitempty"`
	Reference   string `json:"reference"`
	EntryID     string `json:"entry_id"`
	Source      string `json:"source"`
	List        string `json:"list"`
	ListVersion string `json:"list_version"`
	// Name is the entry's primary name and MatchedName the listed name
	// that matched, as in a screening's matches; CounterpartyName is the
	// monitored name screened.
	Name             string  `json:"name"`
	MatchedName      string  `json:"matched_name"`
	CounterpartyName string  `json:"counterparty_name"`
	Score            float64 `json:"score"`
	// EntryHash is the entry's content hash in ListVersion: a false
	// positive decided on the alert holds until it changes.
	EntryHash    string     `json:"entry_hash"`
	Cause        string     `json:"cause"`
	Status       string     `json:"status"`
	ClosedReason string     `json:"closed_reason,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	// SuppressedBy is the false positive decision that suppressed the
	// alert (ClosedReason "suppressed").
	SuppressedBy string    `json:"suppressed_by,omitempty"`
	Decision     *Decision `json:"decision,omitempty"`
	Delivery     *Delivery `json:"delivery,omitempty"`
}

// Decision outcomes.
const (
	TrueMatch     = "true_match"
	FalsePositive = "false_positive"
)

// Decision is an analyst's decision on an alert, or on a match of a
// screening or a batch row (AlertID empty). A false positive suppresses
// the (counterparty reference or name, entry) pair in later screenings,
// batches and monitoring runs until the entry's content changes.
type Decision struct {
	ID string `json:"id"`
	// AlertID is the alert decided; "" for a decision on a match.
	AlertID string `json:"alert_id,omitempty"`
	// KeyID owns the alert or the screening (and so the suppression);
	// DecidedBy is the key that decided.
	KeyID            string `json:"key_id,omitempty"`
	DecidedBy        string `json:"decided_by,omitempty"`
	Reference        string `json:"reference"`
	CounterpartyName string `json:"counterparty_name"`
	EntryID          string `json:"entry_id"`
	Source           string `json:"source"`
	EntryHash        string `json:"entry_hash"`
	Outcome          string `json:"outcome"`
	Reason           string `json:"reason,omitempty"`
	// ListVersion is the list version whose entry a match decision was
	// taken on (its EntryHash); ScreeningID, BatchJob and BatchRow say,
	// as the analyst gave them, which screening or batch row showed the
	// match.
	ListVersion string    `json:"list_version,omitempty"`
	ScreeningID string    `json:"screening_id,omitempty"`
	BatchJob    string    `json:"batch_job,omitempty"`
	BatchRow    int       `json:"batch_row,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// DecisionFilter selects decisions (Store.ListDecisions).
type DecisionFilter struct {
	KeyID   string // "" with AllKeys: every key's
	AllKeys bool
	Outcome string // "": both
	Cursor  string
	Limit   int
}

func (f *DecisionFilter) keep(d *Decision) bool {
	return (f.AllKeys || d.KeyID == f.KeyID) && (f.Outcome == "" || d.Outcome == f.Outcome)
}

// MaxReasonLen bounds a decision's reason.
const MaxReasonLen = 2000

// Check checks the outcome and reason.
func (d *Decision) Check() error {
	if d.Outcome != TrueMatch && d.Outcome != FalsePositive {
		return fmt.Errorf("%w: outcome: %q is not true_match or false_positive", ErrInvalid, d.Outcome)
	}
	d.Reason = strings.TrimSpace(d.Reason)
	if d.Reason == "" {
		return fmt.Errorf("%w: reason: is required", ErrInvalid)
	}
	if utf8.RuneCountInString(d.Reason) > MaxReasonLen || !utf8.ValidString(d.Reason) {
		return fmt.Errorf("%w: reason: must be valid UTF-8 of at most %d characters", ErrInvalid, MaxReasonLen)
	}
	return nil
}

// Delivery states of an alert's webhook.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // gave up after MaxAttempts
)

// Delivery is the state of an alert's webhook delivery.
type Delivery struct {
	State     string     `json:"state"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	NextAt    *time.Time `json:"next_at,omitempty"`
	At        *time.Time `json:"delivered_at,omitempty"`
}

// normName is the form a name takes in suppression keys: lower case,
// spaces collapsed.
func normName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
