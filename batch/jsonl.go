package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/cslscreen/screener/internal/jsontext"
)

// jsonlDecoder reads JSON lines: one object per line with the fields name,
// reference (or id), country and type; other fields are passed through as
// they are. A line that is not such an object is a row error.
type jsonlDecoder struct {
	lr      *lineReader
	columns []string
	col     map[string]int
}

func newJSONLDecoder(r io.Reader) *jsonlDecoder {
	return &jsonlDecoder{lr: newLineReader(r), col: map[string]int{}}
}

func (d *jsonlDecoder) Columns() []string { return d.columns }
func (d *jsonlDecoder) RawExtras() bool   { return true }

// Next implements decoder.
func (d *jsonlDecoder) Next() (Row, error) {
	var l physLine
	for {
		var err error
		if l, err = d.lr.next(); err != nil {
			return Row{}, err
		}
		if l.tooLong || !blank(l.text) {
			break
		}
	}
	r := Row{Line: l.num}
	switch {
	case l.tooLong:
		r.Err = fmt.Sprintf("the line is longer than %d bytes", MaxLineBytes)
	case !utf8.Valid(l.text):
		r.Err = fmt.Sprintf("the line is not valid UTF-8 (byte %d)", jsontext.FirstInvalidUTF8(l.text)+1)
	default:
		r.Err = d.object(l.text, &r)
	}
	return r, nil
}

// object reads one JSON object into r and returns what was wrong with it.
func (d *jsonlDecoder) object(b []byte, r *Row) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return "malformed JSON: " + jsonReason(err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return fmt.Sprintf("expected a JSON object, got %s", jsonKind(b))
	}
	bad := ""
	setBad := func(s string) {
		if bad == "" {
			bad = s
		}
	}
	var idKey, idRaw string // an "id" beside a "reference" is passed through
	hasRef := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "malformed JSON: " + jsonReason(err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return "malformed JSON: " + jsonReason(err)
		}
		lk := strings.ToLower(key)
		switch lk {
		case "name", "country", "type", "reference", "id":
			if string(raw) == "null" {
				continue
			}
			var s string
			if raw[0] == '"' {
				json.Unmarshal(raw, &s) // valid: the decoder just read it
			} else if (lk == "reference" || lk == "id") && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
				s = string(raw) // numeric customer numbers are common
			} else {
				setBad(fmt.Sprintf("%s: must be a string, got %s", lk, jsonKind(raw)))
				continue
			}
			switch lk {
			case "name":
				r.Name = s
			case "country":
				r.Country = s
			case "type":
				r.Type = s
			case "reference":
				r.Reference, hasRef = strings.TrimSpace(s), true
			case "id":
				if !hasRef && r.Reference == "" {
					r.Reference = strings.TrimSpace(s)
				}
				idKey, idRaw = key, string(raw)
			}
		default:
			c, ok := d.column(key)
			if !ok {
				setBad(fmt.Sprintf("more than %d distinct fields to pass through", MaxColumns))
				continue
			}
			r.Extra = append(r.Extra, Field{Col: c, Value: string(raw)})
			if f := factField(r, lk); f != nil {
				if raw[0] == '"' {
					json.Unmarshal(raw, f) // valid: the decoder just read it
				} else if lk == "identifier" && raw[0] >= '0' && raw[0] <= '9' {
					*f = string(raw) // a number written as one
				}
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return "malformed JSON: " + jsonReason(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "unexpected data after the JSON object"
	}
	if idRaw != "" && hasRef {
		if c, ok := d.column(idKey); ok {
			r.Extra = append(r.Extra, Field{Col: c, Value: idRaw})
		} else {
			setBad(fmt.Sprintf("more than %d distinct fields to pass through", MaxColumns))
		}
	}
	return bad
}

func (d *jsonlDecoder) column(key string) (int, bool) {
	if c, ok := d.col[key]; ok {
		return c, true
	}
	if len(d.columns) == MaxColumns {
		return 0, false
	}
	d.col[key] = len(d.columns)
	d.columns = append(d.columns, key)
	return len(d.columns) - 1, true
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (byte %d)", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "the object is cut off"
	}
	return err.Error()
}

func jsonKind(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch c := b[0]; {
	case c == '"':
		return "a string"
	case c == '[':
		return "an array"
	case c == '{':
		return "an object"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	}
	return "something else"
}

// factField returns the Row field a passed-through key also fills, or nil.
func factField(r *Row, key string) *string {
	switch key {
	case "date_of_birth":
		return &r.DateOfBirth
	case "nationality":
		return &r.Nationality
	case "identifier":
		return &r.Identifier
	}
	return nil
}
