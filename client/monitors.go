package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// CounterpartyInput is one counterparty to monitor, as Register sends it.
type CounterpartyInput struct {
	// Reference is the caller's own id of the counterparty, unique per
	// API key (1 to 200 characters); registering it again updates it.
	Reference string `json:"reference"`
	Name      string `json:"name"`
	// Country is an ISO 3166-1 alpha-2 code, optional.
	Country string `json:"country,omitempty"`
	// Type is Entity, Individual, Vessel or Aircraft, optional.
	Type string `json:"type,omitempty"`
}

// Counterparty is a monitored counterparty as the service keeps it.
type Counterparty struct {
	// KeyID is the API key that registered it ("" on an open API).
	KeyID     string    `json:"key_id,omitempty"`
	Reference string    `json:"reference"`
	Name      string    `json:"name"`
	Country   string    `json:"country,omitempty"`
	Type      string    `json:"type,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Registered is one counterparty of a registration's answer: as kept,
// whether it was new (false: an update of a reference registered before),
// and the alerts its screening raised (none for a pair alerted already).
type Registered struct {
	Counterparty Counterparty `json:"counterparty"`
	Created      bool         `json:"created"`
	Alerts       []Alert      `json:"alerts"`
}

// registerRequest and registerResponse are the bodies of POST /v1/monitors.
type registerRequest struct {
	Counterparties []CounterpartyInput `json:"counterparties"`
}

type registerResponse struct {
	Counterparties []Registered `json:"counterparties"`
}

// Register monitors counterparties of the client's key (POST
// /v1/monitors, at most 10,000 a call), upserting by reference. Each is
// screened once against the served list and its matches become alerts;
// from then on every new list version is screened against it. Every
// counterparty is checked before any is kept: a bad one is a *Problem
// with Status 400 whose Errors name "counterparties[i].field". The
// answer has one Registered per counterparty, in order.
//
// A lost answer is not retried, but registering the same counterparties
// again is harmless: it answers Created false and raises no alert twice.
func (c *Client) Register(ctx context.Context, cps []CounterpartyInput) ([]Registered, error) {
	var out registerResponse
	if err := c.postJSON(ctx, "/v1/monitors", registerRequest{Counterparties: cps}, &out); err != nil {
		return nil, err
	}
	return out.Counterparties, nil
}

// MaxRegisterFile is the largest file RegisterFile sends: the server
// reads at most 32 MiB of counterparties (after gzip) in a body of at
// most 33 MiB.
const MaxRegisterFile = 33 << 20

// RegisterFile monitors the counterparties of a file, as Register does:
// CSV with a header row naming reference, name and optionally country
// and type (other columns are ignored), or JSON lines of
// CounterpartyInput; gzip'd or not. name is the file's name (e.g.
// "customers.csv"), which tells the server the format; with "" (standard
// input) the server tells it from the first bytes. A bad line is a
// *Problem with Status 400 whose Errors give the Line, or for a bad
// counterparty the field "counterparties[i].field", i counting data rows
// from 0.
//
// The file is read into memory (it is at most MaxRegisterFile bytes), so
// that a 429 or 503 answer can be retried.
func (c *Client) RegisterFile(ctx context.Context, r io.Reader, name string) ([]Registered, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxRegisterFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading the counterparties file: %w", err)
	}
	if len(b) > MaxRegisterFile {
		return nil, fmt.Errorf("the counterparties file is larger than %d bytes; register them in several files", MaxRegisterFile)
	}
	o := BatchOptions{Name: name}
	h := http.Header{"Content-Type": {o.contentType()}, "Accept": {"application/json"}}
	q := url.Values{}
	set(q, "filename", name)
	resp, err := c.do(ctx, call{
		method: http.MethodPost, path: "/v1/monitors", query: q, header: h,
		body: func(int) (io.Reader, error) { return bytes.NewReader(b), nil },
	})
	if err != nil {
		return nil, err
	}
	var out registerResponse
	if err := decode(resp, &out); err != nil {
		return nil, err
	}
	return out.Counterparties, nil
}

// MonitorsFilter pages through the key's counterparties (GET
// /v1/monitors).
type MonitorsFilter struct {
	// Cursor continues a listing (the Next of the page before).
	Cursor string
	// Limit is the page size, 1 to 1000; 0 takes the server's default.
	Limit int
}

func (f *MonitorsFilter) query() url.Values {
	q := url.Values{}
	set(q, "cursor", f.Cursor)
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// MonitorsPage is one page of the key's counterparties, by reference.
type MonitorsPage struct {
	Counterparties []Counterparty `json:"counterparties"`
	// Next continues the listing (MonitorsFilter.Cursor); "" at the end.
	Next string `json:"next"`
}

// Monitors reads one page of the key's monitored counterparties.
func (c *Client) Monitors(ctx context.Context, f MonitorsFilter) (*MonitorsPage, error) {
	var out MonitorsPage
	if err := c.getJSON(ctx, "/v1/monitors", f.query(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllMonitors reads every counterparty of the key, page after page from
// f.Cursor (f.Limit is the page size). It stops at the first error.
//
//	for cp, err := range c.AllMonitors(ctx, client.MonitorsFilter{}) { … }
func (c *Client) AllMonitors(ctx context.Context, f MonitorsFilter) iter.Seq2[*Counterparty, error] {
	return pages(f.Cursor, func(cursor string) ([]Counterparty, string, error) {
		f.Cursor = cursor
		p, err := c.Monitors(ctx, f)
		if err != nil {
			return nil, "", err
		}
		return p.Counterparties, p.Next, nil
	})
}

// Monitored is a monitored counterparty and its newest alerts (at most
// 100), as GET /v1/monitors/{reference} answers it.
type Monitored struct {
	Counterparty Counterparty `json:"counterparty"`
	Alerts       []Alert      `json:"alerts"`
}

// Monitor reads one of the key's counterparties by reference; one it does
// not monitor is a *Problem with Status 404.
func (c *Client) Monitor(ctx context.Context, reference string) (*Monitored, error) {
	var out Monitored
	if err := c.getJSON(ctx, monitorPath(reference), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Unmonitor stops monitoring one of the key's counterparties (DELETE
// /v1/monitors/{reference}); its open alerts are closed (ClosedReason
// monitor_deleted), its alerts and decisions kept. One it does not
// monitor is a *Problem with Status 404.
func (c *Client) Unmonitor(ctx context.Context, reference string) error {
	resp, err := c.do(ctx, call{method: http.MethodDelete, path: monitorPath(reference), small: true,
		header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.Body.Close()
}

func monitorPath(reference string) string { return "/v1/monitors/" + url.PathEscape(reference) }
