package monitor

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
	"github.com/cslscreen/screener/screening"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configures an Engine. Store and Catalog are required.
type Options struct {
	Store   Store
	Catalog *screening.Catalog
	// Versions loads past list versions for diffs (the list store); when
	// nil, Catalog.Store.
	Versions screening.VersionLoader
	// Threshold is the screening threshold; 0 means matcher.DefaultThreshold.
	Threshold float64
	// Webhooks, when set, delivers each new open alert.
	Webhooks *Webhooks
	Logger   *slog.Logger
	// RunTTL bounds a claimed run: a replica that dies mid-run leaves it to
	// the next after RunTTL. 0 means 10 minutes.
	RunTTL time.Duration
	// Every is how often Run checks that the monitoring has caught up with
	// the served version (and reloads decisions made on other replicas);
	// 0 means 30 seconds.
	Every time.Duration
	// Registerer, when set, gets the monitoring's metrics
	// (docs/MONITORING.md): runs, alerts, deliveries, decisions, and the
	// store's counts at scrape time.
	Registerer prometheus.Registerer
}

// Engine registers counterparties, runs the diff of each new list version
// against them, and takes decisions.
type Engine struct {
	o    Options
	log  *slog.Logger
	poke chan struct{}
	sup  atomic.Pointer[suppressions]
	// reverse is the last reverse index built (reverseIndex).
	reverse atomic.Pointer[reverseCache]
	runMu   sync.Mutex // one catch-up at a time in this process
	metrics *metrics   // nil: none
}

// New returns an engine; Run keeps it caught up.
func New(o Options) *Engine {
	if o.Threshold <= 0 {
		o.Threshold = matcher.DefaultThreshold
	}
	if o.Versions == nil && o.Catalog != nil {
		o.Versions = o.Catalog.Store
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.RunTTL <= 0 {
		o.RunTTL = 10 * time.Minute
	}
	if o.Every <= 0 {
		o.Every = 30 * time.Second
	}
	e := &Engine{o: o, log: o.Logger, poke: make(chan struct{}, 1)}
	if o.Registerer != nil {
		m, err := newMetrics(o.Registerer, o.Store)
		if err != nil {
			o.Logger.Error("monitoring: metrics not registered", "error", err)
		}
		e.metrics = m
	}
	if o.Webhooks != nil {
		if o.Webhooks.Store == nil {
			o.Webhooks.Store = o.Store
		}
		o.Webhooks.metrics = e.metrics
		o.Webhooks.Start()
	}
	e.sup.Store(&suppressions{})
	return e
}

// Store returns the engine's store.
func (e *Engine) Store() Store { return e.o.Store }

// Changed tells the engine a new list version is served (the catalog's
// OnSwap); Run catches up in the background. It never blocks.
func (e *Engine) Changed() {
	select {
	case e.poke <- struct{}{}:
	default:
	}
}

// Run catches up on each Changed and every Options.Every until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	t := time.NewTicker(e.o.Every)
	defer t.Stop()
	for {
		if err := e.ReloadDecisions(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("monitoring: could not load decisions; will try again", "error", err)
		}
		if _, err := e.CatchUp(ctx); err != nil && !errors.Is(err, ErrClaimed) && ctx.Err() == nil {
			e.log.Error("monitoring run failed; will try again", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-e.poke:
		case <-t.C:
		}
	}
}

// RunReport says what one catch-up did.
type RunReport struct {
	From, To                string
	Added, Removed, Changed int
	Counterparties          int
	Candidates              int
	Alerts                  int // new alerts
	Suppressed              int
	Closed                  int
	FullRescreen            bool // the from version was gone: every counterparty was screened
	Took                    time.Duration
}

// CatchUp brings the monitoring up to the served list version: it claims
// the run from the version last caught up with, diffs the two, screens the
// added and changed entries against every counterparty, closes the alerts
// of removed entries, and records the new version. A run another replica
// holds returns ErrClaimed; one already done returns an empty report.
// Alerts are idempotent, so a run redone after a crash adds none twice.
func (e *Engine) CatchUp(ctx context.Context) (RunReport, error) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	start := time.Now()
	snap := e.o.Catalog.Current()
	if snap == nil {
		return RunReport{}, nil
	}
	to := snap.List
	from, err := e.o.Store.LastVersion(ctx)
	if err != nil {
		return RunReport{}, err
	}
	rep := RunReport{From: from, To: to.Version.ID}
	if from == to.Version.ID {
		return rep, nil
	}
	if from == "" {
		// The first version ever: counterparties registered so far were
		// screened against it when registered.
		return rep, e.o.Store.FinishRun(ctx, from, to.Version.ID)
	}
	release, err := e.o.Store.ClaimRun(ctx, from, to.Version.ID, e.o.RunTTL)
	if err != nil {
		return rep, err
	}
	defer release()
	// Another replica may have finished it between our read and the claim.
	if cur, err := e.o.Store.LastVersion(ctx); err != nil || cur != from {
		return rep, err
	}
	rep, err = e.run(ctx, snap, from, rep)
	rep.Took = time.Since(start)
	e.metrics.run(&rep, rep.Took, err)
	if err != nil {
		return rep, err
	}
	e.log.Info("monitoring run done", "from", rep.From, "to", rep.To, "added", rep.Added, "removed", rep.Removed, "changed", rep.Changed,
		"counterparties", rep.Counterparties, "candidates", rep.Candidates, "alerts", rep.Alerts, "suppressed", rep.Suppressed,
		"closed", rep.Closed, "full_rescreen", rep.FullRescreen, "took_ms", rep.Took.Milliseconds())
	return rep, nil
}

// run does the claimed run from→snap's version.
func (e *Engine) run(ctx context.Context, snap *screening.Snapshot, from string, rep RunReport) (RunReport, error) {
	to := snap.List
	old, err := e.load(ctx, from)
	switch {
	case errors.Is(err, lists.ErrNoVersion) || errors.Is(err, screening.ErrVersionGone):
		e.log.Warn("monitoring: the previous list version is gone; screening every counterparty against the new one", "from", from, "to", to.Version.ID)
		rep.FullRescreen = true
		err = e.rescreenAll(ctx, snap, &rep)
	case err != nil:
		return rep, fmt.Errorf("load list version %s: %w", from, err)
	default:
		err = e.applyDiff(ctx, Diff(old, to), snap, &rep)
	}
	if err != nil {
		return rep, err
	}
	return rep, e.o.Store.FinishRun(ctx, from, to.Version.ID)
}

func (e *Engine) load(ctx context.Context, id string) (*lists.List, error) {
	if cur := e.o.Catalog.Current(); cur != nil && cur.List.Version.ID == id {
		return cur.List, nil
	}
	if emb := lists.Embedded(); emb.Version.ID == id {
		return emb, nil
	}
	if e.o.Versions == nil {
		return nil, fmt.Errorf("%w: %s", lists.ErrNoVersion, id)
	}
	return e.o.Versions.Load(ctx, id)
}

// applyDiff screens d's added and changed entries of to against every
// counterparty and closes the alerts of removed entries.
func (e *Engine) applyDiff(ctx context.Context, d ListDiff, snap *screening.Snapshot, rep *RunReport) error {
	to := snap.List
	rep.Added, rep.Removed, rep.Changed = len(d.Added), len(d.Removed), len(d.Changed)
	for _, r := range d.Removed {
		n, err := e.closeEntry(ctx, EntryKey(r.Source, r.ID))
		rep.Closed += n
		if err != nil {
			return err
		}
	}
	if len(d.Added)+len(d.Changed) == 0 {
		return nil
	}
	cps, err := e.o.Store.AllCounterparties(ctx)
	if err != nil {
		return err
	}
	rep.Counterparties = len(cps)
	if len(cps) == 0 {
		return nil
	}
	// In a stable order, so the reverse index of the last run is reused.
	slices.SortFunc(cps, func(a, b Counterparty) int {
		if c := strings.Compare(a.KeyID, b.KeyID); c != 0 {
			return c
		}
		return strings.Compare(a.Reference, b.Reference)
	})
	// The added and changed entries.
	causes := map[string]string{}
	for _, r := range d.Added {
		causes[EntryKey(r.Source, r.ID)] = CauseAdded
	}
	for _, r := range d.Changed {
		causes[EntryKey(r.Source, r.ID)] = CauseChanged
	}
	var sub []*lists.Entry
	for i := range to.Entries {
		if _, ok := causes[EntryKey(to.Entries[i].Source, to.Entries[i].ID)]; ok {
			sub = append(sub, &to.Entries[i])
		}
	}

	// The reverse index: the counterparties' names, queried with each
	// changed entry's names, finds the few worth screening.
	reverse := e.reverseIndex(cps)
	candidates := map[int]bool{}
	for i := range sub {
		for _, name := range sub[i].Names() {
			for _, m := range reverse.Screen(matcher.Query{Name: name, MinScore: reverseThreshold(e.o.Threshold), Limit: 1000, NoExplanation: true}) {
				candidates[m.Record] = true
			}
		}
	}
	rep.Candidates = len(candidates)
	for i := range candidates {
		c := &cps[i]
		// The confirmation is an ordinary screening of the counterparty
		// against the new version (the matcher weighs words by their
		// rarity in the whole list, so only the whole list gives the
		// scores of /v1/screen), keeping the changed entries' matches.
		ms := snap.Index.Screen(matcher.Query{Name: c.Name, Country: c.Country, Type: c.Type, MinScore: e.o.Threshold, Limit: screening.MaxLimit, NoExplanation: true})
		seen := map[string]bool{}
		for _, m := range ms {
			ent := &to.Entries[m.Record]
			k := EntryKey(ent.Source, ent.ID)
			cause, changed := causes[k]
			if !changed || seen[k] {
				continue
			}
			seen[k] = true
			if _, err := e.raiseAlert(ctx, c, ent, m, to.Version.ID, cause, "run:"+d.From+">"+d.To, rep); err != nil {
				return err
			}
		}
	}
	return nil
}

// reverseIndex returns the matcher index over the counterparties' names,
// record i being cps[i]. Building it is most of a run's cost (seconds for
// 100,000 names), so the last one is kept and reused while the
// counterparties are the same ones in the same order.
func (e *Engine) reverseIndex(cps []Counterparty) *matcher.Index {
	h := sha256.New()
	for i := range cps {
		h.Write([]byte(cps[i].KeyID))
		h.Write([]byte{0})
		h.Write([]byte(cps[i].Reference))
		h.Write([]byte{0})
		h.Write([]byte(cps[i].Name))
		h.Write([]byte{0})
	}
	fp := hex.EncodeToString(h.Sum(nil))
	if c := e.reverse.Load(); c != nil && c.fp == fp {
		return c.ix
	}
	recs := make([]matcher.Record, len(cps))
	for i := range cps {
		recs[i] = matcher.Record{ID: cps[i].Reference, Names: []string{cps[i].Name}}
	}
	ix := matcher.Build(recs)
	e.reverse.Store(&reverseCache{fp: fp, ix: ix})
	return ix
}

type reverseCache struct {
	fp string
	ix *matcher.Index
}

// reverseThreshold is the looser threshold of the reverse query: a score
// is not quite symmetric in query and listed name, and the confirmation
// applies the real threshold.
func reverseThreshold(t float64) float64 { return max(0.5, t-0.1) }

// rescreenAll screens every counterparty against snap (when the version
// to diff from is gone).
func (e *Engine) rescreenAll(ctx context.Context, snap *screening.Snapshot, rep *RunReport) error {
	cps, err := e.o.Store.AllCounterparties(ctx)
	if err != nil {
		return err
	}
	rep.Counterparties = len(cps)
	for i := range cps {
		if _, err := e.screenOne(ctx, snap, &cps[i], CauseChanged, "rescreen:"+snap.List.Version.ID, rep); err != nil {
			return err
		}
	}
	return nil
}

// screenOne screens c against the whole snapshot and raises its alerts.
func (e *Engine) screenOne(ctx context.Context, snap *screening.Snapshot, c *Counterparty, cause, run string, rep *RunReport) ([]Alert, error) {
	ms := snap.Index.Screen(matcher.Query{Name: c.Name, Country: c.Country, Type: c.Type, MinScore: e.o.Threshold, Limit: screening.MaxLimit, NoExplanation: true})
	var out []Alert
	seen := map[string]bool{}
	for _, m := range ms {
		ent := &snap.List.Entries[m.Record]
		k := EntryKey(ent.Source, ent.ID)
		if seen[k] {
			continue
		}
		seen[k] = true
		before := rep.Alerts
		a, err := e.raiseAlert(ctx, c, ent, m, snap.List.Version.ID, cause, run, rep)
		if err != nil {
			return out, err
		}
		if rep.Alerts > before {
			out = append(out, a)
		}
	}
	return out, nil
}

// raiseAlert adds the alert of c on ent unless c already has one open on
// the entry, or one decided (or suppressed) on the same content; a false positive
// decision suppresses the pair (then the alert is kept closed, saying
// which decision suppressed it).
func (e *Engine) raiseAlert(ctx context.Context, c *Counterparty, ent *lists.Entry, m matcher.Match, version, cause, run string, rep *RunReport) (Alert, error) {
	hash := EntryHash(ent)
	prior, _, err := e.o.Store.ListAlerts(ctx, AlertFilter{KeyID: c.KeyID, Reference: c.Reference, Limit: MaxLimit})
	if err != nil {
		return Alert{}, err
	}
	for _, p := range prior {
		if p.EntryID != ent.ID || p.Source != ent.Source || p.CounterpartyName != c.Name {
			continue
		}
		// An alert closed because the entry or the monitor went away does
		// not stand for a pair that is back.
		gone := p.ClosedReason == ClosedEntryRemoved || p.ClosedReason == ClosedMonitorDeleted
		if p.Status == AlertOpen || !gone && p.EntryHash == hash {
			return p, nil
		}
	}
	now := time.Now().UTC()
	a := Alert{
		ID: alertID(c.KeyID, c.Reference, ent, run), KeyID: c.KeyID, Reference: c.Reference, EntryID: ent.ID, Source: ent.Source,
		List: lists.ListCode(ent.Source), ListVersion: version, Name: ent.Name, MatchedName: m.MatchedName, CounterpartyName: c.Name,
		Score: m.Score, EntryHash: hash, Cause: cause, Status: AlertOpen, CreatedAt: now,
	}
	if id := e.sup.Load().lookup(c.KeyID, c.Reference, c.Name, ent.Source, ent.ID, hash); id != "" {
		a.Status, a.ClosedReason, a.SuppressedBy, a.ClosedAt = AlertClosed, ClosedSuppressed, id, &now
	} else if e.o.Webhooks.wants(c.KeyID) {
		a.Delivery = &Delivery{State: DeliveryPending}
	}
	kept, added, err := e.o.Store.AddAlert(ctx, a)
	if err != nil || !added {
		return kept, err
	}
	e.metrics.alertRaised(&kept)
	if kept.Status == AlertOpen {
		rep.Alerts++
		if kept.Delivery != nil {
			e.o.Webhooks.notify()
		}
	} else {
		rep.Suppressed++
	}
	return kept, nil
}

// alertID makes an alert's id from what identifies it, so adding it twice
// (a run redone after a crash) adds it once.
func alertID(keyID, ref string, ent *lists.Entry, run string) string {
	h := sha256.New()
	for _, s := range []string{keyID, ref, ent.Source, ent.ID, run} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "al_" + hex.EncodeToString(h.Sum(nil)[:12])
}

func newID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// closeEntry closes every open alert on an entry removed from the list.
func (e *Engine) closeEntry(ctx context.Context, entryKey string) (int, error) {
	open, err := e.o.Store.OpenAlertsOf(ctx, entryKey)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range open {
		if err := e.close(ctx, a.ID, ClosedEntryRemoved); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (e *Engine) close(ctx context.Context, id, reason string) error {
	closed := false
	_, err := e.o.Store.UpdateAlert(ctx, id, func(a *Alert) error {
		closed = a.Status == AlertOpen
		if !closed {
			return nil
		}
		now := time.Now().UTC()
		a.Status, a.ClosedReason, a.ClosedAt = AlertClosed, reason, &now
		return nil
	})
	if err == nil && closed {
		e.metrics.alertClosed(reason)
	}
	return err
}

// Registered is one counterparty as registered, and the alerts its first
// screening raised.
type Registered struct {
	Counterparty Counterparty `json:"counterparty"`
	Created      bool         `json:"created"`
	Alerts       []Alert      `json:"alerts"`
}

// MaxRegister bounds the counterparties of one registration.
const MaxRegister = 10_000

// Register checks, upserts (by reference) and screens counterparties of a
// key once against the served list. It checks every counterparty before
// storing any; the error of a bad one wraps ErrInvalid and names its
// position.
func (e *Engine) Register(ctx context.Context, keyID string, cs []Counterparty) ([]Registered, error) {
	if len(cs) == 0 {
		return nil, fmt.Errorf("%w: counterparties: at least one is required", ErrInvalid)
	}
	if len(cs) > MaxRegister {
		return nil, fmt.Errorf("%w: counterparties: at most %d at a time, got %d", ErrInvalid, MaxRegister, len(cs))
	}
	for i := range cs {
		if err := cs[i].Check(); err != nil {
			return nil, fmt.Errorf("counterparties[%d]: %w", i, err)
		}
	}
	now := time.Now().UTC()
	out := make([]Registered, 0, len(cs))
	for i := range cs {
		c := cs[i]
		c.KeyID, c.CreatedAt, c.UpdatedAt = keyID, now, now
		kept, created, err := e.o.Store.PutCounterparty(ctx, c)
		if err != nil {
			return out, err
		}
		r := Registered{Counterparty: kept, Created: created, Alerts: []Alert{}}
		// The snapshot is taken after the counterparty is stored: a run
		// that read the counterparties before it did so after this
		// replica swapped, so the screening here sees the new version.
		if snap := e.o.Catalog.Current(); snap != nil {
			var rep RunReport
			as, err := e.screenOne(ctx, snap, &kept, CauseRegistered, "reg:"+snap.List.Version.ID+":"+kept.UpdatedAt.Format(time.RFC3339Nano), &rep)
			if err != nil {
				return out, err
			}
			if as != nil {
				r.Alerts = as
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Delete stops monitoring a counterparty and closes its open alerts.
func (e *Engine) Delete(ctx context.Context, keyID, ref string) error {
	if err := e.o.Store.DeleteCounterparty(ctx, keyID, ref); err != nil {
		return err
	}
	for cursor := ""; ; {
		as, next, err := e.o.Store.ListAlerts(ctx, AlertFilter{KeyID: keyID, Reference: ref, Status: AlertOpen, Cursor: cursor, Limit: MaxLimit})
		if err != nil {
			return err
		}
		for _, a := range as {
			if err := e.close(ctx, a.ID, ClosedMonitorDeleted); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// Decide records an analyst's decision on an alert and closes it. A false
// positive suppresses the pair from then on. Deciding an alert twice
// returns an error wrapping ErrConflict.
func (e *Engine) Decide(ctx context.Context, alertID, decidedBy string, d Decision) (Alert, Decision, error) {
	if err := d.Check(); err != nil {
		return Alert{}, Decision{}, err
	}
	d.ID, d.AlertID, d.DecidedBy, d.CreatedAt = newID("dc_"), alertID, decidedBy, time.Now().UTC()
	closed := false
	a, err := e.o.Store.UpdateAlert(ctx, alertID, func(a *Alert) error {
		if a.Decision != nil {
			return fmt.Errorf("alert %s: already decided (%s, decision %s): %w", a.ID, a.Decision.Outcome, a.Decision.ID, ErrConflict)
		}
		d.KeyID, d.Reference, d.CounterpartyName, d.EntryID, d.Source, d.EntryHash = a.KeyID, a.Reference, a.CounterpartyName, a.EntryID, a.Source, a.EntryHash
		dd := d
		a.Decision = &dd
		closed = a.Status == AlertOpen
		if closed {
			a.Status, a.ClosedReason, a.ClosedAt = AlertClosed, ClosedDecided, &d.CreatedAt
		}
		return nil
	})
	if err != nil {
		return Alert{}, Decision{}, err
	}
	e.metrics.decided(d.Outcome, "alert")
	if closed {
		e.metrics.alertClosed(ClosedDecided)
	}
	if err := e.o.Store.AddDecision(ctx, d); err != nil {
		return a, d, err
	}
	if d.Outcome == FalsePositive {
		e.sup.Load().with(d, &e.sup)
	}
	return a, d, nil
}

// ReloadDecisions reloads the false positives from the store (those other
// replicas took).
func (e *Engine) ReloadDecisions(ctx context.Context) error {
	ds, err := e.o.Store.FalsePositives(ctx)
	if err != nil {
		return err
	}
	s := &suppressions{}
	for _, d := range ds {
		s.add(d)
	}
	e.sup.Store(s)
	return nil
}
