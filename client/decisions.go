package client

import (
	"context"
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Decision outcomes.
const (
	TrueMatch     = "true_match"
	FalsePositive = "false_positive"
)

// MatchDecision is an analyst's decision on a match shown in a screening
// or a batch row (POST /v1/decisions; the key needs the decide scope).
type MatchDecision struct {
	// KeyID is the key whose screenings the decision covers; "" for the
	// deciding key.
	KeyID string `json:"key_id,omitempty"`
	// Name is the name screened (ScreenResponse.Query.Name, the row's
	// name); Reference the row's reference, if any.
	Name      string `json:"name"`
	Reference string `json:"reference,omitempty"`
	// EntryID and Source are the match's ID and Source (or, for a batch
	// row's match, its List).
	EntryID string `json:"entry_id"`
	Source  string `json:"source,omitempty"`
	// Outcome is TrueMatch or FalsePositive; Reason is required.
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
	// ScreeningID (ScreenResponse.ID), or BatchJob and BatchRow (the
	// row's Line), say where the match was shown.
	ScreeningID string `json:"screening_id,omitempty"`
	BatchJob    string `json:"batch_job,omitempty"`
	BatchRow    int    `json:"batch_row,omitempty"`
}

// Decision is a decision as the service keeps it, on an alert (AlertID)
// or on a match.
type Decision struct {
	ID               string    `json:"id"`
	AlertID          string    `json:"alert_id,omitempty"`
	KeyID            string    `json:"key_id,omitempty"`
	DecidedBy        string    `json:"decided_by,omitempty"`
	Reference        string    `json:"reference"`
	CounterpartyName string    `json:"counterparty_name"`
	EntryID          string    `json:"entry_id"`
	Source           string    `json:"source"`
	EntryHash        string    `json:"entry_hash"`
	Outcome          string    `json:"outcome"`
	Reason           string    `json:"reason,omitempty"`
	ListVersion      string    `json:"list_version,omitempty"`
	ScreeningID      string    `json:"screening_id,omitempty"`
	BatchJob         string    `json:"batch_job,omitempty"`
	BatchRow         int       `json:"batch_row,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
}

// Decide records a decision on a match. A false positive suppresses the
// (reference or name, entry) pair in the key's later screenings, batches
// and monitoring runs until the entry changes. Like every call, a 429 or
// 503 answer is retried; a lost answer is not (it could record the
// decision twice).
func (c *Client) Decide(ctx context.Context, d MatchDecision) (*Decision, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, call{
		method: http.MethodPost, path: "/v1/decisions", small: true,
		header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}},
		body:   func(int) (io.Reader, error) { return strings.NewReader(string(b)), nil },
	})
	if err != nil {
		return nil, err
	}
	var out Decision
	return &out, decode(resp, &out)
}

// Decision reads a decision by id (the SuppressedBy of a match).
func (c *Client) Decision(ctx context.Context, id string) (*Decision, error) {
	resp, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/decisions/" + url.PathEscape(id), small: true,
		header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		return nil, err
	}
	var out Decision
	return &out, decode(resp, &out)
}

// DecisionsFilter selects decisions (GET /v1/decisions). Zero fields
// select all the key may see.
type DecisionsFilter struct {
	// Outcome is TrueMatch, FalsePositive or "" for both.
	Outcome string
	// KeyID selects the decisions covering one key's screenings; only a
	// key with the decide scope may name another key (and without KeyID
	// it sees every key's).
	KeyID string
	// Cursor continues a listing (the Next of the page before).
	Cursor string
	// Limit is the page size, 1 to 1000; 0 takes the server's default.
	Limit int
}

func (f *DecisionsFilter) query() url.Values {
	q := url.Values{}
	set(q, "outcome", f.Outcome)
	set(q, "key_id", f.KeyID)
	set(q, "cursor", f.Cursor)
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// DecisionsPage is one page of decisions, on alerts and on matches,
// newest first.
type DecisionsPage struct {
	Decisions []Decision `json:"decisions"`
	// Next continues the listing (DecisionsFilter.Cursor); "" at the end.
	Next string `json:"next"`
}

// Decisions reads one page of decisions.
func (c *Client) Decisions(ctx context.Context, f DecisionsFilter) (*DecisionsPage, error) {
	var out DecisionsPage
	if err := c.getJSON(ctx, "/v1/decisions", f.query(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllDecisions reads every decision f selects, page after page from
// f.Cursor (f.Limit is the page size). It stops at the first error.
//
//	for d, err := range c.AllDecisions(ctx, client.DecisionsFilter{Outcome: client.FalsePositive}) { … }
func (c *Client) AllDecisions(ctx context.Context, f DecisionsFilter) iter.Seq2[*Decision, error] {
	return pages(f.Cursor, func(cursor string) ([]Decision, string, error) {
		f.Cursor = cursor
		p, err := c.Decisions(ctx, f)
		if err != nil {
			return nil, "", err
		}
		return p.Decisions, p.Next, nil
	})
}
