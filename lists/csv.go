package lists

import (
	"bytes"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// requiredColumns are the CSV columns without which a file cannot be a CSL.
// "_id" is not among them: older exports lack it, and an id is derived then.
var requiredColumns = []string{"source", "name"}

// maxCSVLine bounds one line of a CSV list. The longest CSL rows are a few
// KB; the CSV reader holds a whole line in memory, growing its buffer, so a
// file of one endless line cost about five times its size.
const maxCSVLine = 1 << 20

// lineLimiter fails a read once a line runs past max bytes.
type lineLimiter struct {
	r    io.Reader
	max  int
	run  int // bytes since the last newline
	over bool
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	// Reads come through the CSV reader's buffer (4 KiB), far below max, so
	// only the line running across reads can be too long.
	if i := bytes.IndexByte(p[:n], '\n'); i < 0 {
		l.run += n
	} else {
		l.run += i
		if l.run <= l.max {
			l.run = n - bytes.LastIndexByte(p[:n], '\n') - 1
		}
	}
	if l.run > l.max {
		l.over = true
		return 0, fmt.Errorf("a line longer than %d bytes", l.max)
	}
	return n, err
}

// parseCSV reads the trade.gov CSL CSV. Columns are found by header name, so
// they may move and unknown extras are ignored.
func parseCSV(r io.Reader, maxRows int) (*Parsed, error) {
	lim := &lineLimiter{r: r, max: maxCSVLine}
	p, err := parseCSVRows(lim, maxRows)
	if lim.over {
		return nil, &FormatError{Format: "csv", Reason: fmt.Sprintf("a line longer than %d bytes; file refused", maxCSVLine)}
	}
	return p, err
}

func parseCSVRows(r io.Reader, maxRows int) (*Parsed, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked per row, so a short row is a row error, not a fatal one
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, &FormatError{Format: "csv", Reason: "empty file"}
		}
		return nil, &FormatError{Format: "csv", Line: 1, Reason: "unreadable header: " + err.Error()}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		if _, dup := col[h]; !dup && h != "" {
			col[h] = i
		}
	}
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		found := header
		if len(found) > 12 {
			found = append(found[:12:12], "…")
		}
		return nil, &FormatError{Format: "csv", Line: 1, Reason: fmt.Sprintf("missing required column(s) %s; header has %s",
			strings.Join(missing, ", "), strings.Join(found, ", "))}
	}
	width := len(header)
	get := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}

	c := newCollector("csv", maxRows)
	for {
		if err := c.full(); err != nil {
			return nil, err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, err // an I/O error (e.g. truncated gzip), not a bad row
			}
			// A broken quote swallows every line up to where the reader
			// recovers; each of those lines counts as bad, so an unterminated
			// quote early in a file gets the file refused rather than
			// silently dropping the rest of it.
			for l := pe.StartLine; l <= pe.Line; l++ {
				c.p.Rows++
				c.bad(RowError{Line: l, Row: c.p.Rows, Reason: pe.Err.Error()})
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != width {
			c.p.Rows++
			c.bad(RowError{Line: line, Row: c.p.Rows, Reason: fmt.Sprintf("%d fields, header has %d", len(rec), width)})
			continue
		}
		e := Entry{
			ID:                     get(rec, "_id"),
			Source:                 get(rec, "source"),
			EntityNumber:           get(rec, "entity_number"),
			Type:                   get(rec, "type"),
			Programs:               splitList(get(rec, "programs")),
			Name:                   collapseSpaces(get(rec, "name")),
			Title:                  get(rec, "title"),
			AltNames:               splitAliases(get(rec, "alt_names")),
			Addresses:              splitAddresses(get(rec, "addresses")),
			FederalRegisterNotice:  get(rec, "federal_register_notice"),
			StartDate:              get(rec, "start_date"),
			EndDate:                get(rec, "end_date"),
			StandardOrder:          get(rec, "standard_order"),
			LicenseRequirement:     get(rec, "license_requirement"),
			LicensePolicy:          get(rec, "license_policy"),
			CallSign:               get(rec, "call_sign"),
			VesselType:             get(rec, "vessel_type"),
			GrossTonnage:           get(rec, "gross_tonnage"),
			GrossRegisteredTonnage: get(rec, "gross_registered_tonnage"),
			VesselFlag:             get(rec, "vessel_flag"),
			VesselOwner:            get(rec, "vessel_owner"),
			Remarks:                get(rec, "remarks"),
			SourceListURL:          get(rec, "source_list_url"),
			SourceInformationURL:   get(rec, "source_information_url"),
			IDs:                    splitIDs(get(rec, "ids")),
			Nationalities:          splitList(get(rec, "nationalities")),
			Citizenships:           splitList(get(rec, "citizenships")),
			DatesOfBirth:           splitList(get(rec, "dates_of_birth")),
			PlacesOfBirth:          splitList(get(rec, "places_of_birth")),
		}
		c.add(e, line)
	}
	return c.p, nil
}

// splitList splits a ";"-separated CSL cell, trimming the double spaces the
// real data has after separators.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ";")
	out := parts[:0]
	for _, p := range parts {
		if p = collapseSpaces(p); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// splitAliases splits alt_names. Besides the ";" separators with double
// spaces, some rows carry a stray "and " before the last alias
// ("A; B; and C"), which is list prose, not part of the name.
func splitAliases(s string) []string {
	out := splitList(s)
	if n := len(out); n > 1 {
		last := out[n-1]
		if len(last) > 4 && strings.EqualFold(last[:4], "and ") {
			out[n-1] = strings.TrimSpace(last[4:])
		}
	}
	return out
}

// splitAddresses splits the addresses cell: addresses are ";"-separated, and
// each ends with its country as a two-letter code.
func splitAddresses(s string) []Address {
	parts := splitList(s)
	if len(parts) == 0 {
		return nil
	}
	out := make([]Address, 0, len(parts))
	for _, p := range parts {
		a := Address{Address: p}
		if i := strings.LastIndexByte(p, ','); i >= 0 {
			if cc := strings.TrimSpace(p[i+1:]); isCountryCode(cc) {
				a.Country = cc
				a.Address = strings.TrimSpace(p[:i])
			}
		} else if isCountryCode(p) {
			a = Address{Country: p}
		}
		out = append(out, a)
	}
	return out
}

// splitIDs parses the ids cell: ";"-separated, each "country, number, type"
// or "number, type".
func splitIDs(s string) []ID {
	parts := splitList(s)
	if len(parts) == 0 {
		return nil
	}
	out := make([]ID, 0, len(parts))
	for _, p := range parts {
		f := strings.Split(p, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		var id ID
		switch {
		case len(f) == 1:
			id.Number = f[0]
		case len(f) >= 3 && isCountryCode(f[0]):
			id.Country = f[0]
			id.Number = strings.Join(f[1:len(f)-1], ", ")
			id.Type = f[len(f)-1]
		default:
			id.Number = strings.Join(f[:len(f)-1], ", ")
			id.Type = f[len(f)-1]
		}
		out = append(out, id)
	}
	return out
}

func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// collapseSpaces trims s and turns every run of white space into one space.
func collapseSpaces(s string) string {
	if !strings.Contains(s, "  ") && !strings.ContainsAny(s, "\t\r\n") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.Fields(s), " ")
}

// derivedID gives an entry without an _id (older CSL exports) a stable id
// from its whole content, so results and audit records can still name it;
// the same name listed twice with different addresses gets two ids.
func derivedID(e *Entry) string {
	b, _ := json.Marshal(e) // cannot fail: plain strings and slices
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])
}
