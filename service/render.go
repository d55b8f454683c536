package service

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

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
	b = appendString(b, r.ID)
	b = append(b, `,"list_version":`...)
	b = appendString(b, r.ListVersion)
	b = append(b, `,"screened_at":"`...)
	b = r.ScreenedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","query":{"name":`...)
	b = appendString(b, r.Query.Name)
	if r.Query.Country != "" {
		b = append(b, `,"country":`...)
		b = appendString(b, r.Query.Country)
	}
	if r.Query.Type != "" {
		b = append(b, `,"type":`...)
		b = appendString(b, r.Query.Type)
	}
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(r.Query.Limit), 10)
	b = append(b, `,"min_score":`...)
	b = appendFloat(b, r.Query.MinScore)
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
	b = appendString(b, m.ID)
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
	b = appendString(b, m.MatchedName)
	b = append(b, `,"score":`...)
	b = appendFloat(b, m.Score)
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
		b = appendString(b, w.Query)
		b = append(b, `,"listed":`...)
		b = appendString(b, w.Listed)
		b = append(b, `,"how":`...)
		b = appendString(b, w.How)
		b = append(b, `,"score":`...)
		b = appendFloat(b, w.Score)
		b = append(b, `,"weight":`...)
		b = appendFloat(b, w.Weight)
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
		b = appendFloat(b, e.CountryPenalty)
	}
	b = append(b, `,"summary":`...)
	b = appendString(b, e.Summary)
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendFloat formats f as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0') // never produced; keeps the output valid JSON
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // 1e-07 -> 1e-7, as encoding/json writes it
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029
// escaped as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
