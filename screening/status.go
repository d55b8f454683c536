package screening

import (
	"fmt"
	"strings"
	"time"

	"github.com/cslscreen/screener/matcher"
)

// Status is how far an answer can be trusted, in one word.
type Status string

// Statuses. Clear is given only when a full list was screened, the name
// could be read, and nothing reached the threshold.
const (
	StatusMatch        Status = "match"        // at least one entry reached the threshold
	StatusClear        Status = "clear"        // a full list was screened and nothing reached it
	StatusUnscreenable Status = "unscreenable" // nothing matched, but the screening cannot vouch for that
)

// Warning is one reason to trust an answer less, with a code a program can
// act on and a sentence a person can read.
type Warning struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Warning codes.
const (
	// WarnBuiltinList: only the small built-in snapshot was screened.
	WarnBuiltinList = "builtin_list"
	// WarnStaleList: the list is older than the configured maximum age.
	WarnStaleList = "stale_list"
	// WarnNameUnscreenable: nothing comparable is left of the name after
	// normalisation, or (part of) it is in a script the matcher cannot read.
	WarnNameUnscreenable = "name_unscreenable"
)

// Unscreenable reasons, for metrics: why an answer was not clear.
const (
	ReasonBuiltinList  = "builtin_list"
	ReasonNoWords      = "no_comparable_words"
	ReasonUnreadScript = "unread_script"
)

// DefaultMaxAge is how old a list may be before answers say it is stale:
// the CSL is re-imported hourly upstream and refreshed hourly here, so two
// days means refreshing has been failing for a long time.
const DefaultMaxAge = 48 * time.Hour

// ListRef says which list an answer used.
type ListRef struct {
	Version     string     `json:"version"`
	Entries     int        `json:"entries"`
	Builtin     bool       `json:"builtin"`
	FetchedAt   *time.Time `json:"fetched_at,omitempty"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

// ref describes the snapshot's list for an answer.
func (s *Snapshot) ref() ListRef {
	v := &s.List.Version
	r := ListRef{Version: v.ID, Entries: v.Entries, Builtin: v.Builtin}
	if !v.FetchedAt.IsZero() {
		t := v.FetchedAt
		r.FetchedAt = &t
	}
	return r
}

// Age is how old the snapshot's list is at now, counted from when its
// source was fetched; for the built-in snapshot, from its snapshot date.
// ok is false when the list says neither.
func (s *Snapshot) Age(now time.Time) (age time.Duration, ok bool) {
	v := &s.List.Version
	from := v.FetchedAt
	if v.Builtin {
		if t, err := time.Parse(time.DateOnly, v.SnapshotDate); err == nil {
			from = t
		}
	}
	if from.IsZero() {
		return 0, false
	}
	return now.Sub(from), true
}

// listWarnings are the warnings every answer from s carries at now.
func (s *Snapshot) listWarnings(now time.Time) []Warning {
	var ws []Warning
	v := &s.List.Version
	if v.Builtin {
		ws = append(ws, Warning{Code: WarnBuiltinList, Detail: fmt.Sprintf(
			"only the built-in snapshot of %d entries (%s) was screened, not a full screening list; configure LIST_URL or LIST_FILE and wait for a list to load",
			v.Entries, v.SnapshotDate)})
	}
	if s.maxAge > 0 {
		if age, ok := s.Age(now); ok && age > s.maxAge {
			ws = append(ws, Warning{Code: WarnStaleList, Detail: fmt.Sprintf(
				"the list was fetched %s ago, more than LIST_MAX_AGE (%s); refreshing may be failing",
				age.Round(time.Minute), s.maxAge)})
		}
	}
	return ws
}

// Verdict is how far one screening can be trusted.
type Verdict struct {
	Status   Status
	Warnings []Warning
	// Reason says why a status is unscreenable (ReasonBuiltinList, …), for
	// metrics; "" otherwise.
	Reason string
}

// judge gives the verdict on screening name against s at now: list
// warnings always; a name warning when part of the name is in a script
// the matcher cannot read, or, when nothing matched, when nothing of it
// could be compared.
func (s *Snapshot) judge(name string, matched bool, now time.Time) Verdict {
	var v Verdict
	v.Warnings = s.listWarnings(now)
	unread := matcher.UnreadScripts(name)
	switch {
	case len(unread) > 0:
		v.Reason = ReasonUnreadScript
		v.Warnings = append(v.Warnings, Warning{Code: WarnNameUnscreenable, Detail: fmt.Sprintf(
			"the name has letters in the %s script, which the matcher cannot read; screen a Latin spelling of it", strings.Join(unread, ", "))})
	case !matched && !matcher.Read(name).Comparable():
		v.Reason = ReasonNoWords
		v.Warnings = append(v.Warnings, Warning{Code: WarnNameUnscreenable,
			Detail: "nothing comparable is left of the name after normalisation (only punctuation, symbols, legal forms or function words)"})
	}
	switch {
	case matched:
		v.Status, v.Reason = StatusMatch, ""
	case v.Reason != "":
		v.Status = StatusUnscreenable
	case s.List.Version.Builtin:
		v.Status, v.Reason = StatusUnscreenable, ReasonBuiltinList
	default:
		v.Status = StatusClear
	}
	return v
}
