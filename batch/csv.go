package batch

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxColumns bounds the passed-through columns (or JSON fields) a file may
// have.
const MaxColumns = 200

// decoder reads the rows of an upload, one at a time.
type decoder interface {
	// Next returns the next row, io.EOF at the end, or an error of the
	// underlying stream (a *LimitError, an *InputError, a read error).
	Next() (Row, error)
	// Columns are the passed-through columns seen so far.
	Columns() []string
	// RawExtras reports whether passed-through values are JSON texts.
	RawExtras() bool
}

func newDecoder(f Format, r io.Reader) (decoder, error) {
	if f == JSONL {
		return newJSONLDecoder(r), nil
	}
	return newCSVDecoder(r)
}

// csvDecoder reads CSV by physical lines: a record is one line unless a
// quoted field runs on, and a record that is broken in any way is reported
// on the line it starts and reading resumes right after that line.
type csvDecoder struct {
	lr    *lineReader
	comma byte
	cols  int // header fields

	name, ref, country, typ int // column positions; -1 when absent
	dob, nat, ident         int // the same, of columns also passed through
	extraAt                 []int
	columns                 []string

	fields []string
	fbuf   []byte
}

// knownColumns are the header names the service reads, lower case.
var knownColumns = []string{"name", "reference", "id", "country", "type"}

func newCSVDecoder(r io.Reader) (*csvDecoder, error) {
	d := &csvDecoder{lr: newLineReader(r), comma: ',', name: -1, ref: -1, country: -1, typ: -1}
	var first physLine
	for {
		l, err := d.lr.next()
		if err == io.EOF {
			return nil, &InputError{Reason: "the upload is empty: expected a header row with a name column"}
		}
		if err != nil {
			return nil, err
		}
		if l.tooLong {
			return nil, &InputError{Line: l.num, Reason: fmt.Sprintf("the header line is longer than %d bytes", MaxLineBytes)}
		}
		if !blank(l.text) {
			first = l.clone()
			break
		}
	}
	d.comma = guessComma(first.text)
	d.lr.pushBack([]physLine{first})
	header, line, bad, err := d.record()
	if err != nil {
		return nil, err
	}
	if bad != "" {
		return nil, &InputError{Line: line, Reason: "the header row does not parse: " + bad}
	}
	if !utf8.ValidString(strings.Join(header, "")) {
		return nil, &InputError{Line: line, Reason: "the header row is not valid UTF-8"}
	}
	if err := d.mapHeader(header, line); err != nil {
		return nil, err
	}
	return d, nil
}

// guessComma picks the separator that occurs most often (outside quotes)
// in the header line: comma, semicolon (European spreadsheets), tab or bar.
func guessComma(b []byte) byte {
	counts := map[byte]int{}
	in := false
	for _, c := range b {
		switch {
		case c == '"':
			in = !in
		case !in && (c == ',' || c == ';' || c == '\t' || c == '|'):
			counts[c]++
		}
	}
	best := byte(',')
	for _, c := range []byte{';', '\t', '|'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

func (d *csvDecoder) mapHeader(header []string, line int) error {
	d.cols = len(header)
	d.name, d.ref, d.country, d.typ = -1, -1, -1, -1
	pos := map[string][]int{}
	for i, h := range header {
		pos[strings.ToLower(strings.TrimSpace(h))] = append(pos[strings.ToLower(strings.TrimSpace(h))], i)
	}
	for _, k := range knownColumns {
		if len(pos[k]) > 1 {
			return &HeaderError{Line: line, Found: header, Reason: fmt.Sprintf("%d columns are named %q; name it once", len(pos[k]), k)}
		}
	}
	at := func(k string) int {
		if p := pos[k]; len(p) == 1 {
			return p[0]
		}
		return -1
	}
	d.name, d.country, d.typ = at("name"), at("country"), at("type")
	d.dob, d.nat, d.ident = at("date_of_birth"), at("nationality"), at("identifier")
	if d.name < 0 {
		return &HeaderError{Line: line, Found: header, Reason: `no column is named "name"`}
	}
	// reference wins over id; an id column next to a reference column is
	// passed through like any other.
	if d.ref = at("reference"); d.ref < 0 {
		d.ref = at("id")
	}
	seen := map[string]bool{}
	for i, h := range header {
		if i == d.name || i == d.ref || i == d.country || i == d.typ {
			continue
		}
		if len(d.columns) == MaxColumns {
			return &HeaderError{Line: line, Found: header, Reason: fmt.Sprintf("more than %d columns", MaxColumns)}
		}
		h = strings.TrimSpace(h)
		if h == "" {
			h = fmt.Sprintf("column_%d", i+1)
		}
		for base, n := h, 2; seen[h]; n++ {
			h = fmt.Sprintf("%s_%d", base, n)
		}
		seen[h] = true
		d.extraAt = append(d.extraAt, i)
		d.columns = append(d.columns, h)
	}
	return nil
}

func (d *csvDecoder) Columns() []string { return d.columns }
func (d *csvDecoder) RawExtras() bool   { return false }

// Next implements decoder.
func (d *csvDecoder) Next() (Row, error) {
	fields, line, bad, err := d.record()
	if err != nil {
		return Row{}, err
	}
	r := Row{Line: line, Err: bad}
	get := func(i int) string {
		if i < 0 || i >= len(fields) {
			return ""
		}
		return fields[i]
	}
	if bad != "" {
		// A broken row keeps what identifies it when that was read
		// before the break, so its error can be traced to the customer.
		r.Name, r.Reference = get(d.name), strings.TrimSpace(get(d.ref))
		r.Name, r.Reference = strings.ToValidUTF8(r.Name, "\uFFFD"), strings.ToValidUTF8(r.Reference, "\uFFFD")
		return r, nil
	}
	r.Name, r.Reference, r.Country, r.Type = get(d.name), strings.TrimSpace(get(d.ref)), get(d.country), get(d.typ)
	r.DateOfBirth, r.Nationality, r.Identifier = get(d.dob), get(d.nat), get(d.ident)
	if len(fields) != d.cols {
		r.Err = fmt.Sprintf("the row has %d fields; the header has %d", len(fields), d.cols)
	}
	for k, i := range d.extraAt {
		if v := get(i); v != "" {
			r.Extra = append(r.Extra, Field{Col: k, Value: v})
		}
	}
	if r.Err == "" {
		r.Err = checkUTF8(&r, d.columns)
	}
	return r, nil
}

// checkUTF8 replaces invalid UTF-8 (so results stay valid text) and names
// the first column that had it.
func checkUTF8(r *Row, columns []string) string {
	bad := ""
	fix := func(s *string, what string) {
		if !utf8.ValidString(*s) {
			*s = strings.ToValidUTF8(*s, "\uFFFD")
			if bad == "" {
				bad = what + ": is not valid UTF-8"
			}
		}
	}
	fix(&r.Name, "name")
	fix(&r.Reference, "reference")
	fix(&r.Country, "country")
	fix(&r.Type, "type")
	for i := range r.Extra {
		fix(&r.Extra[i].Value, fmt.Sprintf("column %q", columns[r.Extra[i].Col]))
	}
	return bad
}

// record reads the next non-blank record (RFC 4180: a quoted field may run
// over several lines, up to MaxRecordBytes for the whole record). bad is
// set for a record that could not be read, with the fields before the
// break in fields (so the row keeps its reference); lines read ahead for
// it have been pushed back, so the next record starts on the line after
// its first. A quoted field still open past MaxRecordBytes is an
// *InputError for the whole file.
func (d *csvDecoder) record() (fields []string, line int, bad string, err error) {
	var first physLine
	for {
		first, err = d.lr.next()
		if err != nil {
			return nil, 0, "", err
		}
		if first.tooLong {
			return nil, first.num, fmt.Sprintf("the line is longer than %d bytes", MaxLineBytes), nil
		}
		if !blank(first.text) {
			break
		}
	}
	line = first.num
	d.fields = d.fields[:0]
	var ahead []physLine // continuation lines of a quoted field, copied
	size := len(first.text) + 1
	text, i := first.text, 0
	openField := 0 // the field whose quote ran past the end of its line
	// fail reports a broken record with the fields read before the break:
	// complete is how many of d.fields are whole and on the first line.
	fail := func(complete int, reason string) ([]string, int, string, error) {
		if len(ahead) > 0 {
			// However it ended, a record broken over several lines is
			// most likely a quote left open: say so, and read the lines
			// after it again as rows of their own.
			reason = fmt.Sprintf("field %d opens a quote that is not closed on this line", openField)
			complete = openField - 1
			d.lr.pushBack(ahead)
		}
		return d.fields[:min(complete, len(d.fields))], line, reason, nil
	}
	tooBig := func(field int) ([]string, int, string, error) {
		return nil, 0, "", &InputError{Line: line, Reason: fmt.Sprintf(
			"the quoted field %d opened on this line is not closed within %d bytes (%d lines); a row may have at most %d bytes: is a quote not closed?",
			field, MaxRecordBytes, len(ahead)+1, MaxRecordBytes)}
	}
	for {
		if i < len(text) && text[i] == '"' {
			i++
			fb := d.fbuf[:0]
			for {
				j := bytes.IndexByte(text[i:], '"')
				if j < 0 {
					fb = append(fb, text[i:]...)
					if len(ahead) == 0 {
						openField = len(d.fields) + 1
					}
					next, err := d.lr.next()
					if err == io.EOF {
						return fail(len(d.fields), fmt.Sprintf("the quoted field %d is not closed before the end of the file", len(d.fields)+1))
					}
					if err != nil {
						return nil, 0, "", err
					}
					if next.tooLong || size+len(next.text)+1 > MaxRecordBytes {
						return tooBig(len(d.fields) + 1)
					}
					size += len(next.text) + 1
					ahead = append(ahead, next.clone())
					fb = append(fb, '\n')
					text, i = ahead[len(ahead)-1].text, 0
					continue
				}
				fb = append(fb, text[i:i+j]...)
				i += j + 1
				if i < len(text) && text[i] == '"' { // "" is a quote
					fb = append(fb, '"')
					i++
					continue
				}
				break
			}
			d.fbuf = fb
			d.fields = append(d.fields, string(fb))
			if i == len(text) {
				break
			}
			if text[i] != d.comma {
				return fail(len(d.fields)-1, fmt.Sprintf("unexpected text after the closing quote of field %d", len(d.fields)))
			}
			i++
			continue
		}
		// Unquoted: up to the separator. A quote inside is kept as it is
		// (O"Brien), as spreadsheets write it.
		j := bytes.IndexByte(text[i:], d.comma)
		if j < 0 {
			d.fields = append(d.fields, string(text[i:]))
			break
		}
		d.fields = append(d.fields, string(text[i:i+j]))
		i += j + 1
	}
	if len(ahead) > 0 && d.cols > 0 && len(d.fields) != d.cols {
		// A record over several lines is believed when it has the
		// header's fields; otherwise a stray quote has swallowed the
		// lines after it, which are read again as rows of their own.
		return fail(0, "")
	}
	return d.fields, line, "", nil
}
