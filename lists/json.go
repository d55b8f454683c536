package lists

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// maxJSONBytes bounds a JSON list file held in memory; the official CSL JSON
// is a few tens of megabytes.
const maxJSONBytes = 1 << 30

// parseJSON reads the trade.gov CSL JSON: {"results": [...], "sources_used":
// [...], "total": N}. Each result is decoded on its own, so one malformed
// result is a row error with its line, not a refused file. A "total" that
// disagrees with the results read means a cut-off download and refuses the file.
func parseJSON(r io.Reader, maxRows int) (*Parsed, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxJSONBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJSONBytes {
		return nil, &FormatError{Format: "json", Reason: fmt.Sprintf("larger than %d bytes", maxJSONBytes)}
	}
	lines := lineCounter{data: data, line: 1}
	dec := json.NewDecoder(bytes.NewReader(data))
	syntaxErr := func(err error) error {
		return &FormatError{Format: "json", Line: lines.at(dec.InputOffset()), Reason: "malformed JSON: " + err.Error()}
	}
	if tok, err := dec.Token(); err != nil {
		return nil, syntaxErr(err)
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &FormatError{Format: "json", Line: 1, Reason: "top level is not an object"}
	}
	c := newCollector("json", maxRows)
	total := -1
	sawResults := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxErr(err)
		}
		key, _ := tok.(string)
		switch key {
		case "results":
			sawResults = true
			if tok, err := dec.Token(); err != nil {
				return nil, syntaxErr(err)
			} else if d, ok := tok.(json.Delim); !ok || d != '[' {
				return nil, &FormatError{Format: "json", Line: lines.at(dec.InputOffset()), Reason: `"results" is not an array`}
			}
			for dec.More() {
				if err := c.full(); err != nil {
					return nil, err
				}
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, syntaxErr(err)
				}
				start := dec.InputOffset() - int64(len(raw))
				line := lines.at(start)
				e, col, reason := decodeJSONEntry(raw)
				if reason != "" {
					c.p.Rows++
					c.bad(RowError{Line: line, Row: c.p.Rows, Column: col, Reason: reason})
					continue
				}
				c.add(e, line)
			}
			if err := c.full(); err != nil {
				return nil, err
			}
			if _, err := dec.Token(); err != nil { // the closing ]
				return nil, syntaxErr(err)
			}
		case "total":
			var n json.Number
			if err := dec.Decode(&n); err == nil {
				if v, err := n.Int64(); err == nil {
					total = int(v)
				}
			}
		case "sources_used":
			var used []struct {
				SourceLastUpdated string `json:"source_last_updated"`
				LastImported      string `json:"last_imported"`
			}
			if err := dec.Decode(&used); err != nil {
				// Only a fact about the list, not the list: a malformed
				// sources_used costs the date, not the file.
				continue
			}
			var updated, imported time.Time
			for _, u := range used {
				if t, ok := parseSourceTime(u.SourceLastUpdated); ok && t.After(updated) {
					updated = t
				}
				if t, ok := parseSourceTime(u.LastImported); ok && t.After(imported) {
					imported = t
				}
			}
			if updated.IsZero() {
				updated = imported
			}
			c.p.PublishedAt = updated
		case "snapshot":
			var s SnapshotInfo
			if err := dec.Decode(&s); err != nil {
				return nil, syntaxErr(err)
			}
			c.p.Snapshot = &s
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, syntaxErr(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return nil, syntaxErr(err)
	}
	if !sawResults {
		return nil, &FormatError{Format: "json", Reason: `no "results" array`}
	}
	if total >= 0 && total != c.p.Rows {
		return nil, &FormatError{Format: "json", Reason: fmt.Sprintf(`"total" says %d results but the file has %d; file refused as incomplete`, total, c.p.Rows)}
	}
	return c.p, nil
}

// parseSourceTime reads the timestamps of the CSL API's sources_used
// ("2024-06-24T14:02:13-04:00"), also without a zone (taken as UTC) or as a
// bare date.
func parseSourceTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// lineCounter maps byte offsets to 1-based line numbers; offsets must not go
// backwards, so the whole file is scanned once.
type lineCounter struct {
	data []byte
	pos  int64
	line int
}

func (l *lineCounter) at(off int64) int {
	if off > int64(len(l.data)) {
		off = int64(len(l.data))
	}
	if off > l.pos {
		l.line += bytes.Count(l.data[l.pos:off], []byte{'\n'})
		l.pos = off
	}
	return l.line
}

// jsonEntry mirrors one CSL JSON result. Values are decoded leniently: the
// published file has nulls, numbers where strings are expected and, in
// older exports, ";"-joined strings where arrays are expected.
type jsonEntry struct {
	ID           flexString  `json:"id"`
	UnderscoreID flexString  `json:"_id"`
	Source       flexString  `json:"source"`
	EntityNumber flexString  `json:"entity_number"`
	Type         flexString  `json:"type"`
	Programs     flexStrings `json:"programs"`
	Name         flexString  `json:"name"`
	Title        flexString  `json:"title"`
	AltNames     flexStrings `json:"alt_names"`
	Addresses    []struct {
		Address    flexString `json:"address"`
		City       flexString `json:"city"`
		State      flexString `json:"state"`
		PostalCode flexString `json:"postal_code"`
		Country    flexString `json:"country"`
	} `json:"addresses"`
	FederalRegisterNotice  flexString `json:"federal_register_notice"`
	StartDate              flexString `json:"start_date"`
	EndDate                flexString `json:"end_date"`
	StandardOrder          flexString `json:"standard_order"`
	LicenseRequirement     flexString `json:"license_requirement"`
	LicensePolicy          flexString `json:"license_policy"`
	CallSign               flexString `json:"call_sign"`
	VesselType             flexString `json:"vessel_type"`
	GrossTonnage           flexString `json:"gross_tonnage"`
	GrossRegisteredTonnage flexString `json:"gross_registered_tonnage"`
	VesselFlag             flexString `json:"vessel_flag"`
	VesselOwner            flexString `json:"vessel_owner"`
	Remarks                flexString `json:"remarks"`
	SourceListURL          flexString `json:"source_list_url"`
	SourceInformationURL   flexString `json:"source_information_url"`
	IDs                    []struct {
		Type           flexString `json:"type"`
		Number         flexString `json:"number"`
		Country        flexString `json:"country"`
		IssueDate      flexString `json:"issue_date"`
		ExpirationDate flexString `json:"expiration_date"`
	} `json:"ids"`
	Nationalities flexStrings `json:"nationalities"`
	Citizenships  flexStrings `json:"citizenships"`
	DatesOfBirth  flexStrings `json:"dates_of_birth"`
	PlacesOfBirth flexStrings `json:"places_of_birth"`
}

// decodeJSONEntry converts one result; on failure it names the field.
func decodeJSONEntry(raw json.RawMessage) (Entry, string, string) {
	var j jsonEntry
	if err := json.Unmarshal(raw, &j); err != nil {
		col := ""
		if ute, ok := err.(*json.UnmarshalTypeError); ok {
			col = ute.Field
		}
		return Entry{}, col, "malformed result: " + err.Error()
	}
	e := Entry{
		ID:                     string(j.ID),
		Source:                 string(j.Source),
		EntityNumber:           string(j.EntityNumber),
		Type:                   string(j.Type),
		Programs:               []string(j.Programs),
		Name:                   collapseSpaces(string(j.Name)),
		Title:                  string(j.Title),
		AltNames:               []string(j.AltNames),
		FederalRegisterNotice:  string(j.FederalRegisterNotice),
		StartDate:              string(j.StartDate),
		EndDate:                string(j.EndDate),
		StandardOrder:          string(j.StandardOrder),
		LicenseRequirement:     string(j.LicenseRequirement),
		LicensePolicy:          string(j.LicensePolicy),
		CallSign:               string(j.CallSign),
		VesselType:             string(j.VesselType),
		GrossTonnage:           string(j.GrossTonnage),
		GrossRegisteredTonnage: string(j.GrossRegisteredTonnage),
		VesselFlag:             string(j.VesselFlag),
		VesselOwner:            string(j.VesselOwner),
		Remarks:                string(j.Remarks),
		SourceListURL:          string(j.SourceListURL),
		SourceInformationURL:   string(j.SourceInformationURL),
		Nationalities:          []string(j.Nationalities),
		Citizenships:           []string(j.Citizenships),
		DatesOfBirth:           []string(j.DatesOfBirth),
		PlacesOfBirth:          []string(j.PlacesOfBirth),
	}
	if e.ID == "" {
		e.ID = string(j.UnderscoreID)
	}
	if n := len(e.AltNames); n > 1 { // same stray "and " as in the CSV
		if last := e.AltNames[n-1]; len(last) > 4 && strings.EqualFold(last[:4], "and ") {
			e.AltNames[n-1] = strings.TrimSpace(last[4:])
		}
	}
	for _, a := range j.Addresses {
		e.Addresses = append(e.Addresses, Address{
			Address: string(a.Address), City: string(a.City), State: string(a.State),
			PostalCode: string(a.PostalCode), Country: strings.ToUpper(string(a.Country)),
		})
	}
	for _, id := range j.IDs {
		e.IDs = append(e.IDs, ID{
			Type: string(id.Type), Number: string(id.Number), Country: string(id.Country),
			IssueDate: string(id.IssueDate), ExpirationDate: string(id.ExpirationDate),
		})
	}
	return e, "", ""
}

// flexString decodes a JSON string, number, boolean or null into a trimmed string.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(strings.TrimSpace(s))
	case b[0] == 't' || b[0] == 'f':
		*f = flexString(b)
	default:
		if _, err := strconv.ParseFloat(string(b), 64); err != nil {
			return fmt.Errorf("expected a string, number or null, got %.20s", b)
		}
		*f = flexString(b)
	}
	return nil
}

// flexStrings decodes an array of scalars, a ";"-joined string, or null.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*f = nil
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = splitList(s)
		return nil
	}
	var items []flexString
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s := collapseSpaces(string(it)); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	*f = out
	return nil
}
