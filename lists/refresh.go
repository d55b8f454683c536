package lists

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
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
	ReasonFetch    = "fetch"    // the origin could not be reached or answered an error
	ReasonParse    = "parse"    // the file was unusable (format, truncation, bad rows, size)
	ReasonShrink   = "shrink"   // the new list is much smaller than the high-water mark
	ReasonStore    = "store"    // the store (Redis) failed
	ReasonCanceled = "canceled" // the caller stopped waiting (RefreshNow only; not observed)
)

// Attempt outcomes as an operator reads them, from RefreshResult.Status and
// in RefreshStatus.LastOutcome.
const (
	AttemptUpdated   = "updated"   // a new version is current
	AttemptUnchanged = "unchanged" // the origin had nothing new
	AttemptRefused   = "refused"   // a list was fetched and refused (shrink guard, parser)
	AttemptFailed    = "failed"    // no list could be fetched, or the store failed
	AttemptSkipped   = "skipped"   // another replica held the refresh lock
)

// DefaultHighWaterWindow is how long the shrink guard remembers a large
// list: a new list is compared with the largest list that was current at
// any time in this window, so a run of small cuts cannot add up to a large
// one unnoticed.
const DefaultHighWaterWindow = 30 * 24 * time.Hour

// RefreshRequest asks for a refresh now (RefreshNow).
type RefreshRequest struct {
	// Force publishes a list that the shrink guard refuses. Only the shrink
	// guard is overridden: a list the parser refuses, a failed download or a
	// failing store still fail. A forced list also resets the high-water
	// mark to its own size.
	Force bool
	// By names who asked (a user, an API key id), for logs and audit.
	By string
}

// RefreshResult is what one refresh did.
type RefreshResult struct {
	Outcome string
	Reason  string // set when Outcome is "failed"
	Err     error
	// List is the list fetched, set for "published" (and "unchanged").
	List *List
	// At is when the refresh started; Duration how long it took.
	At       time.Time
	Duration time.Duration
	// By is RefreshRequest.By, or "schedule" for Refresh and Run.
	By string
	// Guard is what the shrink guard said, when it objected: the refusal
	// (Outcome "failed", Reason "shrink") or, with Forced, the objection
	// that Force overrode.
	Guard *ShrinkError
	// Forced is true when Force made current a list the guard refused.
	Forced bool
	// Joined is true when this caller did not start a refresh but waited
	// for the one already running, and got its result.
	Joined bool
}

// Status sums up the outcome for an operator: AttemptUpdated,
// AttemptUnchanged, AttemptRefused, AttemptFailed or AttemptSkipped.
func (r RefreshResult) Status() string {
	switch r.Outcome {
	case OutcomePublished:
		return AttemptUpdated
	case OutcomeUnchanged, OutcomeNotModified:
		return AttemptUnchanged
	case OutcomeLocked:
		return AttemptSkipped
	}
	if r.Reason == ReasonShrink || r.Reason == ReasonParse {
		return AttemptRefused
	}
	return AttemptFailed
}

// ShrinkError refuses a list that lost too many entries compared with the
// high-water mark: the largest list current within the window.
type ShrinkError struct {
	// Old is the high-water mark compared with, New the new list's entries.
	Old, New int
	Max      float64
	// Current is the entry count of the current version; Version the id of
	// the version that set the mark; Window how far back the mark looks.
	// They are zero when the error comes from CheckShrink alone.
	Current int
	Version string
	Window  time.Duration
}

func (e *ShrinkError) Error() string {
	drop := 100 * float64(e.Old-e.New) / float64(e.Old)
	if e.Window <= 0 {
		return fmt.Sprintf("new list has %d entries, current has %d: a drop of %.1f%% is more than the %.0f%% allowed (LIST_MAX_SHRINK); keeping the current list",
			e.New, e.Old, drop, 100*e.Max)
	}
	return fmt.Sprintf("new list has %d entries; the largest list current in the last %s had %d (version %s; the current one has %d): a drop of %.1f%% is more than the %.0f%% allowed (LIST_MAX_SHRINK); keeping the current list",
		e.New, days(e.Window), e.Old, e.Version, e.Current, drop, 100*e.Max)
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if n := d / (24 * time.Hour); n != 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "day"
	}
	return d.String()
}

// RefreshStatus is what this process knows of its refreshes, for GET
// /v1/lists and readiness. It is per process: with several replicas, the
// store's LastRefreshed says when any of them last checked the origin.
type RefreshStatus struct {
	Source string // "url", "file" or "embedded"
	Origin string // redacted for URLs
	// Interval is the schedule of Run; 0 when Run is not running.
	Interval time.Duration
	// Running is true while a refresh is in progress.
	Running bool
	// LastAttempt is when the last refresh started (zero before the first);
	// LastOutcome is its Status(), LastError its error text ("" when none),
	// LastBy who asked, LastForced whether Force overrode the guard.
	LastAttempt time.Time
	LastOutcome string
	LastError   string
	LastBy      string
	LastForced  bool
	// LastUpdated is when a refresh of this process last made a new
	// version current.
	LastUpdated time.Time
	// NextAttempt is when Run will try next; zero when Run is not running.
	NextAttempt time.Time
}

// Refresher fetches a list from its source and publishes it to the store
// when it changed. With a shared store, a lock makes sure that one replica
// at a time does it.
//
// Concurrency: one refresh runs at a time in a process. A Refresh or a
// RefreshNow that arrives while one runs waits for it and returns its result
// (with Joined set) instead of fetching again, except that a forced request
// does not settle for an unforced run: it waits for it to end, then runs its
// own. Across replicas, the store's lock lets one refresh at a time; the
// others get OutcomeLocked.
type Refresher struct {
	Source Source
	Store  Store
	// MaxShrink is the largest accepted drop in entries (0..1) from the
	// high-water mark; 0 means DefaultMaxShrink, 1 accepts any drop.
	MaxShrink float64
	// HighWaterWindow is how long a large list counts as the baseline of
	// the shrink guard after it stopped being current; 0 means
	// DefaultHighWaterWindow.
	HighWaterWindow time.Duration
	// Timeout bounds one refresh; default 2 minutes.
	Timeout time.Duration
	Logger  *slog.Logger
	// Observe, when set, is told every result (for metrics). Results of
	// joined or abandoned waits are not observed: they are not refreshes.
	Observe func(RefreshResult)
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time

	mu      sync.Mutex
	running *flight
	status  RefreshStatus
}

// flight is one refresh in progress, for callers that arrive meanwhile.
type flight struct {
	done    chan struct{}
	force   bool
	res     RefreshResult
	waiters int // callers waiting on done; tests wait for them
}

func (r *Refresher) timeout() time.Duration {
	if r.Timeout <= 0 {
		return 2 * time.Minute
	}
	return r.Timeout
}

func (r *Refresher) window() time.Duration {
	if r.HighWaterWindow <= 0 {
		return DefaultHighWaterWindow
	}
	return r.HighWaterWindow
}

func (r *Refresher) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.Default()
	}
	return r.Logger
}

// Refresh runs one scheduled refresh, or waits for the one running.
func (r *Refresher) Refresh(ctx context.Context) RefreshResult {
	return r.do(ctx, RefreshRequest{By: "schedule"}, false)
}

// RefreshNow runs a refresh at a caller's request (POST /v1/lists/refresh):
// from the URL, or re-reading the file. The refresh itself is detached from
// ctx (bounded by Timeout), so a client that hangs up does not cut it short
// for the others waiting on it; when ctx ends first, RefreshNow returns an
// OutcomeFailed result with ReasonCanceled and the refresh carries on.
// With req.Force, a list the shrink guard refuses is published anyway, and
// the result carries Forced and Guard for the audit. By defaults to
// "request".
func (r *Refresher) RefreshNow(ctx context.Context, req RefreshRequest) RefreshResult {
	if req.By == "" {
		req.By = "request"
	}
	return r.do(ctx, req, true)
}

// Status returns what this process knows of its refreshes. It does no I/O.
func (r *Refresher) Status() RefreshStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Source, s.Origin = r.Source.Kind(), r.Source.Origin()
	s.Running = r.running != nil
	return s
}

func (r *Refresher) do(ctx context.Context, req RefreshRequest, detach bool) RefreshResult {
	for {
		r.mu.Lock()
		if f := r.running; f != nil {
			f.waiters++
			r.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonCanceled, Err: ctx.Err(), At: r.now(), By: req.By}
			}
			if req.Force && !f.force {
				continue // an unforced result does not answer a forced request
			}
			res := f.res
			res.Joined = true
			return res
		}
		f := &flight{done: make(chan struct{}), force: req.Force}
		r.running = f
		r.mu.Unlock()

		rctx := ctx
		if detach {
			rctx = context.WithoutCancel(ctx)
		}
		go func() {
			res := r.refreshLogged(rctx, req)
			r.mu.Lock()
			f.res = res
			r.running = nil
			r.status.LastAttempt, r.status.LastOutcome, r.status.LastBy, r.status.LastForced = res.At, res.Status(), res.By, res.Forced
			r.status.LastError = ""
			if res.Err != nil {
				r.status.LastError = res.Err.Error()
			}
			if res.Outcome == OutcomePublished {
				r.status.LastUpdated = res.At.Add(res.Duration)
			}
			r.mu.Unlock()
			close(f.done)
		}()
		if !detach {
			<-f.done
			return f.res
		}
		select {
		case <-f.done:
			return f.res
		case <-ctx.Done():
			return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonCanceled, Err: ctx.Err(), At: r.now(), By: req.By}
		}
	}
}

// waiting returns how many callers wait for the running refresh.
func (r *Refresher) waiting() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running == nil {
		return 0
	}
	return r.running.waiters
}

func (r *Refresher) now() time.Time { return now(r.Now) }

func (r *Refresher) refreshLogged(ctx context.Context, req RefreshRequest) RefreshResult {
	start := r.now()
	t0 := time.Now()
	res := r.refresh(ctx, req)
	res.At, res.Duration, res.By = start, time.Since(t0), req.By
	log := r.logger().With("source", r.Source.Kind(), "origin", r.Source.Origin(), "outcome", res.Outcome,
		"duration_ms", res.Duration.Milliseconds(), "by", req.By)
	switch {
	case res.Forced:
		v := res.List.Version
		log.Warn("list refreshed: a list the shrink guard refused was published by force", "version", v.ID, "entries", v.Entries,
			"guard", res.Guard.Error())
	case res.Outcome == OutcomePublished:
		v := res.List.Version
		log.Info("list refreshed: new version published", "version", v.ID, "entries", v.Entries, "bad_rows", v.BadRows)
	case res.Outcome == OutcomeFailed:
		log.Error("list refresh failed; the current list stays", "reason", res.Reason, "error", res.Err)
	default:
		log.Debug("list refresh")
	}
	if r.Observe != nil {
		r.Observe(res)
	}
	return res
}

func (r *Refresher) refresh(ctx context.Context, req RefreshRequest) RefreshResult {
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
	// The high-water mark: the stored one while it is recent, raised to the
	// current version when that is as large.
	stored, err := r.Store.HighWater(ctx)
	if err != nil {
		return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonStore, Err: err}
	}
	now := r.now()
	mark := stored
	if now.Sub(mark.Seen) > r.window() {
		mark = HighWater{}
	}
	if prev != nil && !prev.Builtin {
		mark = mark.raise(*prev, now)
	}
	saveMark := func(m HighWater) {
		if m != stored {
			if err := r.Store.SetHighWater(ctx, m); err != nil {
				r.logger().Warn("cannot store the list high-water mark", "error", err)
			}
		}
	}

	l, err := r.Source.Fetch(ctx, prev)
	if errors.Is(err, ErrNotModified) {
		saveMark(mark)
		r.Store.MarkRefreshed(ctx, time.Now())
		return RefreshResult{Outcome: OutcomeNotModified}
	}
	if err != nil {
		saveMark(mark)
		var fe *FormatError
		if errors.As(err, &fe) {
			return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonParse, Err: err}
		}
		return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonFetch, Err: err}
	}
	var guard *ShrinkError
	if prev != nil && !prev.Builtin {
		if err := CheckShrink(mark.Entries, l.Version.Entries, r.MaxShrink); err != nil {
			guard = err.(*ShrinkError)
			guard.Current, guard.Version, guard.Window = prev.Entries, mark.Version, r.window()
			if !req.Force {
				saveMark(mark)
				return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonShrink, Err: guard, Guard: guard}
			}
		}
	}
	if prev != nil && prev.ID == l.Version.ID && prev.ETag == l.Version.ETag && prev.LastModified == l.Version.LastModified {
		saveMark(mark)
		r.Store.MarkRefreshed(ctx, time.Now())
		return RefreshResult{Outcome: OutcomeUnchanged, List: l}
	}
	if err := r.Store.Publish(ctx, l); err != nil {
		return RefreshResult{Outcome: OutcomeFailed, Reason: ReasonStore, Err: err, Guard: guard}
	}
	if guard != nil {
		mark = HighWater{} // the operator accepted this size: it is the new baseline
	}
	saveMark(mark.raise(l.Version, now))
	r.Store.MarkRefreshed(ctx, time.Now())
	return RefreshResult{Outcome: OutcomePublished, List: l, Guard: guard, Forced: guard != nil}
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
// until ctx ends, handing each newly published list to onPublish. A failed
// refresh is retried sooner, at a quarter of the interval (at least 30s),
// since the list may be getting stale. While it runs, Status reports the
// interval and the next attempt.
func (r *Refresher) Run(ctx context.Context, interval time.Duration, onPublish func(*List)) {
	if interval <= 0 {
		return
	}
	defer r.schedule(0, time.Time{})
	wait := jitter(interval)
	if r.Due(ctx, interval) {
		wait = 0
	}
	for {
		r.schedule(interval, time.Now().Add(wait))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
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

func (r *Refresher) schedule(interval time.Duration, next time.Time) {
	r.mu.Lock()
	r.status.Interval, r.status.NextAttempt = interval, next
	r.mu.Unlock()
}

func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}
