package lists

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// DefaultMaxShrink is the largest drop in entry count a refresh accepts: a
// list that suddenly lost a fifth of its entries is more likely a broken
// export than a mass delisting, and screening against it would miss parties.
const DefaultMaxShrink = 0.2

// Refresh outcomes, as reported in RefreshResult.Outcome and in metrics.
const (
	OutcomePublished   = "published"    // a new version is current
	OutcomeUnchanged   = "unchanged"    // fetched, same content as current
	OutcomeNotModified = "not_modified" // the origin said nothing changed
	OutcomeLocked      = "locked"       // another replica is refreshing
	OutcomeFailed      = "failed"       // see Reason and Err
)

// Failure reasons, for RefreshResult.Reason.
const (
	ReasonFetch  = "fetch"  // the origin could not be reached or answered an error
	ReasonParse  = "parse"  // the file was unusable (format, truncation, bad rows)
	ReasonShrink = "shrink" // the new list is much smaller than the current one
	ReasonStore  = "store"  // the store (Redis) failed
)

// RefreshResult is what one refresh did.
type RefreshResult struct {
	Outcome string
	Reason  string // set when Outcome is "failed"
	Err     error
	// List is the list fetched, set for "published" (and "unchanged").
	List     *List
	Duration time.Duration
}

// ShrinkError refuses a list that lost too many entries.
type ShrinkError struct {
	Old, New int
	Max      float64
}

func (e *ShrinkError) Error() string {
	return fmt.Sprintf("new list has %d entries, current has %d: a drop of %.1f%% is more than the %.0f%% allowed (LIST_MAX_SHRINK); keeping the current list",
		e.New, e.Old, 100*float64(e.Old-e.New)/float64(e.Old), 100*e.Max)
}

// Refresher fetches a list from its source and publishes it to the store
// when it changed. With a shared store, a lock makes sure that one replica
// at a time does it.
type Refresher struct {
	Source Source
	Store  Store
	// MaxShrink is the largest accepted drop in entries (0..1); 0 means
	// DefaultMaxShrink, 1 accepts any drop.
	MaxShrink float64
	// Timeout bounds one refresh; default 2 minutes.
	Timeout time.Duration
	Logger  *slog.Logger
	// Observe, when set, is told every result (for metrics).
	Observe func(RefreshResult)
}

func (r *Refresher) timeout() time.Duration {
	if r.Timeout <= 0 {
		return 2 * time.Minute
	}
	return r.Timeout
}

func (r *Refresher) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.Default()
	}
	return r.Logger
}

// Refresh runs one refresh.
func (r *Refresher) Refresh(ctx context.Context) RefreshResult {
	start := time.Now()
	res := r.refresh(ctx)
	res.Duration = time.Since(start)
	log := r.logger().With("source", r.Source.Kind(), "origin", r.Source.Origin(), "outcome", res.Outcome, "duration_ms", res.Duration.Milliseconds())
	switch res.Outcome {
	case OutcomePublished:
		v := res.List.Version
		log.Info("list refreshed: new version published", "version", v.ID, "entries", v.Entries, "bad_rows", v.BadRows)
	case OutcomeFailed:
		log.Error("list refresh failed; the current list stays", "reason", res.Reason, "error", res.Err)
	default:
		log.Debug("list refresh")
	}
	if r.Observe != nil {
		r.Observe(res)
	}
	return res
}

func (r *Refresher) refresh(ctx context.Context) RefreshResult {
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	unlock, err := r.Store.TryLock(ctx, "refresh", r.timeout()+30*time.Second)
	if errors.Is(err, ErrLocked) {
		return RefreshResult{Outcome: OutcomeLocked}
	}
	if err != nil {
		return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonStore, Err: err}
	}
	defer unlock()

	var prev *Version
	cur, err := r.Store.Current(ctx)
	switch {
	case err == nil:
		prev = &cur
	case errors.Is(err, ErrNoVersion):
	default:
		return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonStore, Err: err}
	}

	l, err := r.Source.Fetch(ctx, prev)
	if errors.Is(err, ErrNotModified) {
		r.Store.MarkRefreshed(ctx, time.Now())
		return RefreshResult{Outcome: OutcomeNotModified}
	}
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonParse, Err: err}
		}
		return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonFetch, Err: err}
	}
	if prev != nil && !prev.Builtin {
		if err := CheckShrink(prev.Entries, l.Version.Entries, r.MaxShrink); err != nil {
			return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonShrink, Err: err}
		}
	}
	if prev != nil && prev.ID == l.Version.ID && prev.ETag == l.Version.ETag && prev.LastModified == l.Version.LastModified {
		r.Store.MarkRefreshed(ctx, time.Now())
		return RefreshResult{Outcome: OutcomeUnchanged, List: l}
	}
	if err := r.Store.Publish(ctx, l); err != nil {
		return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonStore, Err: err}
	}
	r.Store.MarkRefreshed(ctx, time.Now())
	return RefreshResult{Outcome: OutcomePublished, List: l}
}

// CheckShrink returns a *ShrinkError when going from old to new entries
// drops more than max (0 means DefaultMaxShrink).
func CheckShrink(old, new int, max float64) error {
	if max <= 0 {
		max = DefaultMaxShrink
	}
	if old > 0 && max < 1 && float64(new) < float64(old)*(1-max) {
		return &ShrinkError{Old: old, New: new, Max: max}
	}
	return nil
}

// Due reports whether a refresh should run now: when the store has no
// version, serves the built-in snapshot, or was last checked more than
// interval ago. Replicas starting up use it so that a fleet restart does not
// download the list once per pod.
func (r *Refresher) Due(ctx context.Context, interval time.Duration) bool {
	cur, err := r.Store.Current(ctx)
	if err != nil || cur.Builtin {
		return true
	}
	last, err := r.Store.LastRefreshed(ctx)
	if err != nil {
		return true
	}
	return time.Since(last) >= interval
}

// Run refreshes every interval (with ±10% jitter so replicas spread out)
// until ctx ends. A failed refresh is retried sooner, at a quarter of the
// interval (at least 30s), since the list may be getting stale.
func (r *Refresher) Run(ctx context.Context, interval time.Duration, onPublish func(*List)) {
	if interval <= 0 {
		return
	}
	wait := jitter(interval)
	if r.Due(ctx, interval) {
		wait = 0
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		res := r.Refresh(ctx)
		wait = jitter(interval)
		switch res.Outcome {
		case OutcomePublished:
			if onPublish != nil {
				onPublish(res.List)
			}
		case OutcomeFailed:
			wait = max(interval/4, 30*time.Second)
			wait = min(wait, interval)
		}
	}
}

func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}
