package monitor

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries an alert webhook's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>".
const SignatureHeader = "X-Screener-Signature"

// Webhooks delivers each new open alert of a key with a URL, as JSON,
// signed, retried with exponential backoff, at least once: the delivery
// state is kept on the alert in the store, so a replica that dies leaves
// its pending deliveries to the next. A delivery is leased (NextAt) before
// it is sent, so replicas do not send one alert together.
type Webhooks struct {
	// URLs maps an API key id to its endpoint; "*" serves every key
	// without its own (and the open API, whose key id is "").
	URLs   map[string]string
	Secret []byte
	Store  Store
	Client *http.Client
	// MaxAttempts before the delivery is given up (state failed); 0 means 10.
	MaxAttempts int
	// Backoff is the wait after the first failure, doubled after each
	// (at most an hour); 0 means 2 seconds.
	Backoff time.Duration
	// Poll is how often Run looks for due deliveries; 0 means 1 second.
	Poll   time.Duration
	Logger *slog.Logger

	kick    chan struct{}
	metrics *metrics // the engine's; nil: none
}

// ParseWebhookURLs reads WEBHOOK_URLS: "keyid=https://…" items separated
// by commas.
func ParseWebhookURLs(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, u, ok := strings.Cut(item, "=")
		k, u = strings.TrimSpace(k), strings.TrimSpace(u)
		if !ok || k == "" || !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
			return nil, fmt.Errorf("want keyid=https://…, got %q", item)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("key %q appears twice", k)
		}
		out[k] = u
	}
	return out, nil
}

func (w *Webhooks) url(keyID string) string {
	if w == nil {
		return ""
	}
	if u, ok := w.URLs[keyID]; ok {
		return u
	}
	return w.URLs["*"]
}

func (w *Webhooks) wants(keyID string) bool { return w.url(keyID) != "" }

func (w *Webhooks) notify() {
	if w == nil || w.kick == nil {
		return
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Start prepares the webhooks for Run; call it before the engine raises
// alerts.
func (w *Webhooks) Start() {
	if w.kick == nil {
		w.kick = make(chan struct{}, 1)
	}
}

// Run delivers due alerts until ctx ends.
func (w *Webhooks) Run(ctx context.Context) {
	w.Start()
	poll := w.Poll
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := w.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			w.logger().Warn("webhook deliveries: store not usable; will try again", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-t.C:
		}
	}
}

func (w *Webhooks) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}

// DeliverDue sends every pending delivery that is due and returns how many
// it attempted.
func (w *Webhooks) DeliverDue(ctx context.Context) (int, error) {
	n := 0
	for cursor := ""; ; {
		as, next, err := w.Store.ListAlerts(ctx, AlertFilter{AllKeys: true, Undelivered: true, Cursor: cursor, Limit: MaxLimit})
		if err != nil {
			return n, err
		}
		now := time.Now()
		for _, a := range as {
			if a.Delivery.NextAt != nil && a.Delivery.NextAt.After(now) {
				continue
			}
			if w.deliver(ctx, a.ID) {
				n++
			}
		}
		if next == "" {
			return n, nil
		}
		cursor = next
	}
}

const deliveryLease = 30 * time.Second

// deliver leases, sends and records one delivery; false when another
// replica holds it or it is not due.
func (w *Webhooks) deliver(ctx context.Context, id string) bool {
	now := time.Now().UTC()
	errSkip := errors.New("skip")
	a, err := w.Store.UpdateAlert(ctx, id, func(a *Alert) error {
		d := a.Delivery
		if d == nil || d.State != DeliveryPending || d.NextAt != nil && d.NextAt.After(now) {
			return errSkip
		}
		lease := now.Add(deliveryLease)
		d.NextAt = &lease
		d.Attempts++
		return nil
	})
	if err != nil {
		return false
	}
	sendErr := w.send(ctx, a)
	maxAttempts := w.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 10
	}
	outcome := "retry"
	_, err = w.Store.UpdateAlert(ctx, id, func(a *Alert) error {
		d := a.Delivery
		done := time.Now().UTC()
		switch {
		case sendErr == nil:
			d.State, d.NextAt, d.At, d.LastError = DeliveryDelivered, nil, &done, ""
			outcome = "delivered"
		case d.Attempts >= maxAttempts:
			d.State, d.NextAt, d.LastError = DeliveryFailed, nil, sendErr.Error()
			outcome = "failed"
		default:
			next := done.Add(w.backoff(d.Attempts))
			d.NextAt, d.LastError = &next, sendErr.Error()
			outcome = "retry"
		}
		return nil
	})
	w.metrics.delivery(outcome)
	if err != nil {
		w.logger().Warn("webhook: could not record a delivery; it may be sent again", "alert", id, "error", err)
	}
	if sendErr != nil {
		w.logger().Warn("webhook delivery failed", "alert", id, "attempt", a.Delivery.Attempts, "error", sendErr)
	}
	return true
}

func (w *Webhooks) backoff(attempts int) time.Duration {
	b := w.Backoff
	if b <= 0 {
		b = 2 * time.Second
	}
	for i := 1; i < attempts && b < time.Hour; i++ {
		b *= 2
	}
	return min(b, time.Hour)
}

func (w *Webhooks) send(ctx context.Context, a Alert) error {
	u := w.url(a.KeyID)
	if u == "" {
		return fmt.Errorf("no webhook URL for key %q", a.KeyID)
	}
	a.Delivery = nil
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Screener-Alert-Id", a.ID)
	req.Header.Set(SignatureHeader, Sign(w.Secret, time.Now(), body))
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return nil
}

// Sign returns the signature header value of body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against body, as a receiver should:
// the MAC in constant time, and the timestamp within tolerance of now.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("malformed signature header %q", header)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature timestamp is %s off", d)
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, ts, body))) {
		return errors.New("signature does not match")
	}
	return nil
}
