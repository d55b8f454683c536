package service

import (
	"strconv"
	"time"

	"github.com/cslscreen/screener/internal/jsontext"
	"github.com/cslscreen/screener/screening"
)

// The screening response is written by hand rather than by encoding/json:
// reflection over every match's dozen list facts was a tenth of the
// server's time per request (docs/BENCHMARKS.md). An entry's facts do not
// change while its list version is served, so package screening encodes
// them once, when the snapshot is loaded, with encoding/json itself; only
// the per-request parts (id, matched name, score, explanation) are
// appended here. TestRenderMatchesEncodingJSON
// checks the output against encoding/json's for the whole tuning set.

// appendScreenResponse appends r as JSON, byte for byte what encoding/json
// makes of it up to HTML escaping (which JSON does not need).
func appendScreenResponse(b []byte, r *ScreenResponse) []byte {
	b = append(b, `{"id":`...)
	b = jsontext.AppendString(b, r.ID)
	b = append(b, `,"status":`...)
	b = jsontext.AppendString(b, string(r.Status))
	b = append(b, `,"warnings":[`...)
	for i := range r.Warnings {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"code":`...)
		b = jsontext.AppendString(b, r.Warnings[i].Code)
		b = append(b, `,"detail":`...)
		b = jsontext.AppendString(b, r.Warnings[i].Detail)
		b = append(b, '}')
	}
	b = append(b, `],"list_version":`...)
	b = jsontext.AppendString(b, r.ListVersion)
	b = appendListRef(b, &r.List)
	b = append(b, `,"screened_at":"`...)
	b = r.ScreenedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","query":{"name":`...)
	b = jsontext.AppendString(b, r.Query.Name)
	if r.Query.Country != "" {
		b = append(b, `,"country":`...)
		b = jsontext.AppendString(b, r.Query.Country)
	}
	if r.Query.Type != "" {
		b = append(b, `,"type":`...)
		b = jsontext.AppendString(b, r.Query.Type)
	}
	if r.Query.DateOfBirth != "" {
		b = append(b, `,"date_of_birth":`...)
		b = jsontext.AppendString(b, r.Query.DateOfBirth)
	}
	if r.Query.Nationality != "" {
		b = append(b, `,"nationality":`...)
		b = jsontext.AppendString(b, r.Query.Nationality)
	}
	if r.Query.Identifier != "" {
		b = append(b, `,"identifier":`...)
		b = jsontext.AppendString(b, r.Query.Identifier)
	}
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(r.Query.Limit), 10)
	b = append(b, `,"min_score":`...)
	b = jsontext.AppendFloat(b, r.Query.MinScore)
	b = append(b, `},"matches":[`...)
	for i := range r.Matches {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMatch(b, &r.Matches[i])
	}
	b = append(b, ']')
	if len(r.Suppressed) > 0 {
		b = append(b, `,"suppressed":[`...)
		for i := range r.Suppressed {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMatch(b, &r.Suppressed[i].Match)
			b = append(b[:len(b)-1], `,"suppressed_by":`...)
			b = jsontext.AppendString(b, r.Suppressed[i].SuppressedBy)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendListRef(b []byte, l *screening.ListRef) []byte {
	b = append(b, `,"list":{"version":`...)
	b = jsontext.AppendString(b, l.Version)
	b = append(b, `,"entries":`...)
	b = strconv.AppendInt(b, int64(l.Entries), 10)
	b = append(b, `,"builtin":`...)
	b = strconv.AppendBool(b, l.Builtin)
	if l.FetchedAt != nil {
		b = append(b, `,"fetched_at":"`...)
		b = l.FetchedAt.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	if l.PublishedAt != nil {
		b = append(b, `,"published_at":"`...)
		b = l.PublishedAt.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	return append(b, '}')
}

func appendMatch(b []byte, m *screening.Match) []byte {
	b = append(b, `{"id":`...)
	b = jsontext.AppendString(b, m.ID)
	// Every Match the handler renders comes from screening.Screen, which
	// attaches the entry's facts encoded once per snapshot.
	f := m.Encoded()
	b = append(b, ',')
	b = append(b, f.Head...)
	b = append(b, `,"matched_name":`...)
	b = jsontext.AppendString(b, m.MatchedName)
	b = append(b, `,"score":`...)
	b = jsontext.AppendFloat(b, m.Score)
	b = append(b, ',')
	b = append(b, f.Rest...)
	b = append(b, `,"explanation":`...)
	b = appendExplanation(b, &m.Explanation)
	return append(b, '}')
}

func appendExplanation(b []byte, e *screening.Explanation) []byte {
	b = append(b, `{"words":[`...)
	for i := range e.Words {
		w := &e.Words[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"query":`...)
		b = jsontext.AppendString(b, w.Query)
		b = append(b, `,"listed":`...)
		b = jsontext.AppendString(b, w.Listed)
		b = append(b, `,"how":`...)
		b = jsontext.AppendString(b, w.How)
		b = append(b, `,"score":`...)
		b = jsontext.AppendFloat(b, w.Score)
		b = append(b, `,"weight":`...)
		b = jsontext.AppendFloat(b, w.Weight)
		b = append(b, '}')
	}
	b = append(b, ']')
	if len(e.UnmatchedQuery) > 0 {
		b = append(b, `,"unmatched_query":`...)
		b = appendStrings(b, e.UnmatchedQuery)
	}
	if len(e.UnmatchedListed) > 0 {
		b = append(b, `,"unmatched_listed":`...)
		b = appendStrings(b, e.UnmatchedListed)
	}
	if e.CountryPenalty != 0 {
		b = append(b, `,"country_penalty":`...)
		b = jsontext.AppendFloat(b, e.CountryPenalty)
	}
	b = append(b, `,"summary":`...)
	b = jsontext.AppendString(b, e.Summary)
	if len(e.Facts) > 0 {
		b = append(b, `,"facts":[`...)
		for i := range e.Facts {
			f := &e.Facts[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"field":`...)
			b = jsontext.AppendString(b, f.Field)
			b = append(b, `,"query":`...)
			b = jsontext.AppendString(b, f.Query)
			b = append(b, `,"listed":`...)
			b = jsontext.AppendString(b, f.Listed)
			b = append(b, `,"how":`...)
			b = jsontext.AppendString(b, f.How)
			b = append(b, `,"adjust":`...)
			b = jsontext.AppendFloat(b, f.Adjust)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsontext.AppendString(b, s)
	}
	return append(b, ']')
}
