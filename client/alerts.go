package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Alert states.
const (
	AlertOpen   = "open"
	AlertClosed = "closed"
)

// Alert is a monitored counterparty's new hit on the list, as
// GET /v1/alerts answers it.
type Alert struct {
	ID          string `json:"id"`
	KeyID       string `json:"key_id,omitempty"`
	Reference   string `json:"reference"`
	EntryID     string `json:"entry_id"`
	Source      string `json:"source"`
	List        string `json:"list"`
	ListVersion string `json:"list_version"`
	// Name is the entry's primary name and MatchedName the listed name
	// that matched; CounterpartyName is the monitored name screened.
	Name             string  `json:"name"`
	MatchedName      string  `json:"matched_name"`
	CounterpartyName string  `json:"counterparty_name"`
	Score            float64 `json:"score"`
	EntryHash        string  `json:"entry_hash"`
	// Cause is why the alert was raised (entry_added, entry_changed, …).
	Cause string `json:"cause"`
	// Status is AlertOpen or AlertClosed; ClosedReason says why it closed
	// (decided, entry_removed, monitor_deleted, suppressed).
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

// Delivery is the state of an alert's webhook delivery.
type Delivery struct {
	// State is pending, delivered or failed.
	State     string     `json:"state"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	NextAt    *time.Time `json:"next_at,omitempty"`
	At        *time.Time `json:"delivered_at,omitempty"`
}

// AlertsFilter selects alerts (GET /v1/alerts). Zero fields select all.
type AlertsFilter struct {
	// Status is AlertOpen, AlertClosed or "" for both.
	Status    string
	Reference string
	// List is a list code such as "EL".
	List string
	// KeyID selects one key's alerts; only a key with the decide scope
	// may name another key.
	KeyID string
	// Cursor continues a listing (the Next of the page before).
	Cursor string
	// Limit is the page size, 1 to 1000; 0 takes the server's default.
	Limit int
}

func (f *AlertsFilter) query() url.Values {
	q := url.Values{}
	set(q, "status", f.Status)
	set(q, "reference", f.Reference)
	set(q, "list", f.List)
	set(q, "key_id", f.KeyID)
	set(q, "cursor", f.Cursor)
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

func set(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// AlertsPage is one page of alerts, newest first.
type AlertsPage struct {
	Alerts []Alert `json:"alerts"`
	// Next continues the listing (AlertsFilter.Cursor); "" at the end.
	Next string `json:"next"`
}

// Alerts reads one page of alerts.
func (c *Client) Alerts(ctx context.Context, f AlertsFilter) (*AlertsPage, error) {
	var out AlertsPage
	if err := c.getJSON(ctx, "/v1/alerts", f.query(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllAlerts reads every alert f selects, page after page from f.Cursor.
// It stops at the first error.
//
//	for a, err := range c.AllAlerts(ctx, client.AlertsFilter{Status: client.AlertOpen}) { … }
func (c *Client) AllAlerts(ctx context.Context, f AlertsFilter) iter.Seq2[*Alert, error] {
	return pages(f.Cursor, func(cursor string) ([]Alert, string, error) {
		f.Cursor = cursor
		p, err := c.Alerts(ctx, f)
		if err != nil {
			return nil, "", err
		}
		return p.Alerts, p.Next, nil
	})
}

// Alert reads one alert by id.
func (c *Client) Alert(ctx context.Context, id string) (*Alert, error) {
	var out Alert
	if err := c.getJSON(ctx, alertPath(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func alertPath(id string) string { return "/v1/alerts/" + url.PathEscape(id) }

// AlertDecision is the answer of DecideAlert: the alert, closed, and the
// decision.
type AlertDecision struct {
	Alert    Alert    `json:"alert"`
	Decision Decision `json:"decision"`
}

// DecideAlert records an analyst's decision on an alert (POST
// /v1/alerts/{id}/decision; the key needs the decide scope): outcome is
// TrueMatch or FalsePositive, reason is required. It closes the alert; a
// second decision on the same alert is a *Problem with Status 409. Like
// Decide, a lost answer is not retried.
func (c *Client) DecideAlert(ctx context.Context, alertID, outcome, reason string) (*AlertDecision, error) {
	var out AlertDecision
	if err := c.postJSON(ctx, alertPath(alertID)+"/decision", map[string]string{"outcome": outcome, "reason": reason}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// getJSON is a small GET call whose JSON answer is decoded into out.
func (c *Client) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	resp, err := c.do(ctx, call{method: http.MethodGet, path: path, query: q, small: true,
		header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		return err
	}
	return decode(resp, out)
}

// postJSON is a small POST of in as JSON whose answer is decoded into out.
func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, call{
		method: http.MethodPost, path: path, small: true,
		header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}},
		body:   func(int) (io.Reader, error) { return strings.NewReader(string(b)), nil },
	})
	if err != nil {
		return err
	}
	return decode(resp, out)
}

// errCursorLoop is returned when a server answers a page with the cursor
// it was asked for, which would otherwise be read forever.
var errCursorLoop = errors.New("the server answered the same cursor again")

// pages iterates over the items of the pages fetch reads, following each
// page's next cursor from first until it is "".
func pages[T any](first string, fetch func(cursor string) ([]T, string, error)) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		cursor := first
		for {
			items, next, err := fetch(cursor)
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range items {
				if !yield(&items[i], nil) {
					return
				}
			}
			if next == "" {
				return
			}
			if next == cursor {
				yield(nil, fmt.Errorf("cursor %q: %w", next, errCursorLoop))
				return
			}
			cursor = next
		}
	}
}
