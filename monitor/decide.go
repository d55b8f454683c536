package monitor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/screening"
)

// ErrNoList: no list is served yet, so no entry can be decided on.
var ErrNoList = errors.New("no list is loaded yet")

// MaxSubjectIDLen bounds the screening id and batch job id a match
// decision names.
const MaxSubjectIDLen = 200

// DecideMatch records an analyst's decision on a match of a screening or
// a batch row: d names the key owning the suppression (KeyID), the key
// deciding (DecidedBy), the screened name (CounterpartyName) and, when
// the screening had one, its Reference, the entry (EntryID, and Source
// when the id is on several lists), the outcome and reason, and
// optionally the screening or batch row that showed the match. The entry
// must be on the served list version: its content hash there is what a
// false positive holds for. Bad input returns an error wrapping ErrInvalid
// that names the field; an entry not on the list one wrapping
// ErrNotFound.
func (e *Engine) DecideMatch(ctx context.Context, d Decision) (Decision, error) {
	if err := d.Check(); err != nil {
		return Decision{}, err
	}
	if err := d.checkMatch(); err != nil {
		return Decision{}, err
	}
	snap := e.o.Catalog.Current()
	if snap == nil {
		return Decision{}, ErrNoList
	}
	ent, err := findEntry(snap.List, d.EntryID, d.Source)
	if err != nil {
		return Decision{}, err
	}
	d.Source, d.EntryHash, d.ListVersion = ent.Source, EntryHash(ent), snap.List.Version.ID
	d.ID, d.AlertID, d.CreatedAt = newID("dc_"), "", time.Now().UTC()
	if err := e.o.Store.AddDecision(ctx, d); err != nil {
		return Decision{}, err
	}
	if d.Outcome == FalsePositive {
		e.sup.Load().with(d, &e.sup)
	}
	e.metrics.decided(d.Outcome, "match")
	return d, nil
}

// checkMatch checks and normalises what a match decision names besides
// the outcome and reason.
func (d *Decision) checkMatch() error {
	q, errs := screening.Check(screening.Request{Name: d.CounterpartyName}, 0)
	if len(errs) > 0 {
		return fmt.Errorf("%w: name: %s", ErrInvalid, errs[0].Reason)
	}
	d.CounterpartyName = q.Name
	d.Reference = strings.TrimSpace(d.Reference)
	if d.Reference != "" {
		c := Counterparty{Reference: d.Reference, Name: d.CounterpartyName}
		if err := c.Check(); err != nil {
			return err
		}
	}
	d.EntryID, d.Source = strings.TrimSpace(d.EntryID), strings.TrimSpace(d.Source)
	if d.EntryID == "" {
		return fmt.Errorf("%w: entry_id: is required (the id of the match decided)", ErrInvalid)
	}
	for _, f := range []struct{ name, v string }{{"entry_id", d.EntryID}, {"source", d.Source}, {"screening_id", d.ScreeningID}, {"batch_job", d.BatchJob}} {
		if len(f.v) > MaxSubjectIDLen || !utf8.ValidString(f.v) || strings.ContainsFunc(f.v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fmt.Errorf("%w: %s: must be valid UTF-8 without control characters, at most %d bytes", ErrInvalid, f.name, MaxSubjectIDLen)
		}
	}
	switch {
	case d.BatchRow < 0:
		return fmt.Errorf("%w: batch_row: must be a line number, 2 or more", ErrInvalid)
	case d.BatchRow > 0 && d.BatchJob == "":
		return fmt.Errorf("%w: batch_job: is required with batch_row", ErrInvalid)
	case d.BatchJob != "" && d.ScreeningID != "":
		return fmt.Errorf("%w: screening_id: a decision is on a screening or a batch row, not both", ErrInvalid)
	}
	return nil
}

// findEntry returns the entry of l with id (and source, when given). An
// id on several lists needs the source; entries repeating one (source, id)
// (the CSL repeats a few) are decided on the first, the one a screening
// reports.
func findEntry(l *lists.List, id, source string) (*lists.Entry, error) {
	var found *lists.Entry
	var sources []string
	es := l.ByID(id)
	for i := range es {
		ent := &es[i]
		if source != "" && ent.Source != source && !strings.EqualFold(lists.ListCode(ent.Source), source) {
			continue
		}
		if found == nil {
			found = ent
		}
		if !slices.Contains(sources, ent.Source) {
			sources = append(sources, ent.Source)
		}
	}
	switch {
	case found == nil && source != "":
		return nil, fmt.Errorf("entry %q of %q is not on the served list version %s: %w", id, source, l.Version.ID, ErrNotFound)
	case found == nil:
		return nil, fmt.Errorf("entry %q is not on the served list version %s: %w", id, l.Version.ID, ErrNotFound)
	case len(sources) > 1:
		return nil, fmt.Errorf("%w: source: entry %q is on several lists (%s); name the match's source", ErrInvalid, id, strings.Join(sources, "; "))
	}
	return found, nil
}
