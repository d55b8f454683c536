package service

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/cslscreen/screener/internal/jsontext"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/matcher"
)

// The screening response is written by hand rather than by encoding/json:
// reflection over every match's dozen list facts was a tenth of the
// server's time per request. An entry's facts do not change while its list
// version is served, so they are encoded once, when the snapshot is
// loaded, with encoding/json itself; only the per-request parts (id,
// matched name, score, explanation) are appended here. TestRenderMatchesEncodingJSON
// checks the output against encoding/json's for the whole tuning set.

// entryHead and entryFacts are the parts of a Match that depend on the
// entry alone, in the order Match declares them: the head goes before
// matched_name and score, the rest after.
type entryHead struct {
	Source string `json:"source"`
	List   string `json:"list"`
	Name   string `json:"name"`
}

type entryFacts struct {
	Type                  string          `json:"type"`
	Programs              []string        `json:"programs"`
	Addresses             []lists.Address `json:"addresses"`
	FederalRegisterNotice string          `json:"federal_register_notice"`
	StartDate             string          `json:"start_date"`
	EndDate               string          `json:"end_date"`
	LicenseRequirement    string          `json:"license_requirement"`
	LicensePolicy         string          `json:"license_policy"`
	Remarks               string          `json:"remarks"`
	SourceListURL         string          `json:"source_list_url"`
	SourceInformationURL  string          `json:"source_information_url"`
}

// encodedFacts is an entry's facts as JSON members without braces.
type encodedFacts struct {
	head, rest []byte
}

// factsOf returns entry i's encoded facts, or nil for a snapshot made
// without them.
func (s *Snapshot) factsOf(i int) *encodedFacts {
	if i < len(s.facts) {
		return &s.facts[i]
	}
	return nil
}

// encodeFacts encodes every entry's facts.
func encodeFacts(l *lists.List) []encodedFacts {
	out := make([]encodedFacts, len(l.Entries))
	for i := range l.Entries {
		e := &l.Entries[i]
		out[i] = encodeEntryFacts(entryHead{Source: e.Source, List: lists.ListCode(e.Source), Name: e.Name}, entryFacts{
			Type: e.Type, Programs: nonNil(e.Programs), Addresses: nonNilAddr(e.Addresses),
			FederalRegisterNotice: e.FederalRegisterNotice, StartDate: e.StartDate, EndDate: e.EndDate,
			LicenseRequirement: e.LicenseRequirement, LicensePolicy: e.LicensePolicy, Remarks: e.Remarks,
			SourceListURL: e.SourceListURL, SourceInformationURL: e.SourceInformationURL,
		})
	}
	return out
}

func encodeEntryFacts(h entryHead, f entryFacts) encodedFacts {
	return encodedFacts{head: membersOf(h), rest: membersOf(f)}
}

// membersOf encodes v (a struct of plain strings and slices, which cannot
// fail) without HTML escaping, like appendString, and drops the braces.
func membersOf(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return bytes.Clone(b[1 : len(b)-1])
}

// appendScreenResponse appends r as JSON, byte for byte what encoding/json
// makes of it up to HTML escaping (which JSON does not need).
func appendScreenResponse(b []byte, r *ScreenResponse) []byte {
	b = append(b, `{"id":`...)
	b = jsontext.AppendString(b, r.ID)
	b = append(b, `,"list_version":`...)
	b = jsontext.AppendString(b, r.ListVersion)
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
	return append(b, "]}"...)
}

func appendMatch(b []byte, m *Match) []byte {
	b = append(b, `{"id":`...)
	b = jsontext.AppendString(b, m.ID)
	f := m.facts
	if f == nil { // a Match not made by screen()
		e := encodeEntryFacts(entryHead{Source: m.Source, List: m.List, Name: m.Name}, entryFacts{
			Type: m.Type, Programs: m.Programs, Addresses: m.Addresses,
			FederalRegisterNotice: m.FederalRegisterNotice, StartDate: m.StartDate, EndDate: m.EndDate,
			LicenseRequirement: m.LicenseRequirement, LicensePolicy: m.LicensePolicy, Remarks: m.Remarks,
			SourceListURL: m.SourceListURL, SourceInformationURL: m.SourceInformationURL})
		f = &e
	}
	b = append(b, ',')
	b = append(b, f.head...)
	b = append(b, `,"matched_name":`...)
	b = jsontext.AppendString(b, m.MatchedName)
	b = append(b, `,"score":`...)
	b = jsontext.AppendFloat(b, m.Score)
	b = append(b, ',')
	b = append(b, f.rest...)
	b = append(b, `,"explanation":`...)
	b = appendExplanation(b, &m.Explanation)
	return append(b, '}')
}

func appendExplanation(b []byte, e *matcher.Explanation) []byte {
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
