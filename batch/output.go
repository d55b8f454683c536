package batch

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/cslscreen/screener/internal/jsontext"
	"github.com/cslscreen/screener/screening"
)

// ResultWriter writes result rows in one format.
type ResultWriter interface {
	// Write writes one result row (the CSV header goes before the first).
	Write(r *Result) error
	// Flush writes out what is buffered; the CSV header is written even
	// when there are no rows.
	Flush() error
}

// NewResultWriter writes results of job j to w in format f.
func NewResultWriter(w io.Writer, f Format, j *Job) ResultWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	if f == JSONL {
		return &jsonlWriter{w: bw, j: j}
	}
	return &csvWriter{w: bw, cw: csv.NewWriter(bw), j: j}
}

// ResultColumns returns the CSV header of job j's results: the fixed
// columns, then the passed-through input columns (prefixed with "input_"
// when a name is taken), then suppressed_by.
func ResultColumns(j *Job) []string {
	cols := []string{"line", "reference", "name", "country", "type", "status", "best_score", "match_count"}
	for i := 1; i <= TopMatches; i++ {
		p := "match_" + strconv.Itoa(i) + "_"
		cols = append(cols, p+"id", p+"list", p+"name", p+"score")
	}
	// warnings came after the others, so that a reader taking columns by
	// position still finds them where they were.
	cols = append(cols, "error", "list_version", "warnings")
	for _, c := range j.Columns {
		for slices.Contains(cols, c) || c == colSuppressedBy {
			c = "input_" + c
		}
		cols = append(cols, c)
	}
	// suppressed_by came last of all, after the passed-through columns,
	// so that every column a reader took by position stays where it was.
	return append(cols, colSuppressedBy)
}

// colSuppressedBy is the CSV column of the ids of the false positive
// decisions that suppressed matches of the row, separated by ";".
const colSuppressedBy = "suppressed_by"

type csvWriter struct {
	w      *bufio.Writer
	cw     *csv.Writer
	j      *Job
	rec    []string
	header bool
}

func (c *csvWriter) writeHeader() error {
	c.header = true
	cols := ResultColumns(c.j)
	c.rec = make([]string, len(cols))
	for i := len(cols) - 1 - len(c.j.Columns); i < len(cols)-1; i++ {
		cols[i] = cell(cols[i]) // the upload's own column names
	}
	return c.cw.Write(cols)
}

func (c *csvWriter) Write(r *Result) error {
	if !c.header {
		if err := c.writeHeader(); err != nil {
			return err
		}
	}
	rec := c.rec
	clear(rec)
	rec[0] = strconv.Itoa(r.Line)
	rec[1], rec[2], rec[3], rec[4], rec[5] = cell(r.Reference), cell(r.Name), cell(r.Country), cell(r.Type), r.Status
	if r.Status == StatusMatch {
		rec[6] = formatScore(r.BestScore)
	}
	if r.Status != StatusError {
		rec[7] = strconv.Itoa(r.MatchCount)
	}
	k := 8
	for i := 0; i < TopMatches; i++ {
		if i < len(r.Matches) {
			m := &r.Matches[i]
			rec[k], rec[k+1], rec[k+2], rec[k+3] = cell(m.ID), cell(m.List), cell(m.Name), formatScore(m.Score)
		}
		k += 4
	}
	rec[k], rec[k+1], rec[k+2] = cell(r.Error), c.j.ListVersion, warningCodes(r.Warnings)
	k += 3
	for _, f := range r.Extra {
		if k+f.Col < len(rec)-1 {
			rec[k+f.Col] = cell(c.plain(f.Value))
		}
	}
	rec[len(rec)-1] = suppressedBy(r.Suppressed)
	return c.cw.Write(rec)
}

// cell makes text a spreadsheet shows as text: a cell starting with =, +,
// -, @, a tab or a carriage return is a formula to Excel, LibreOffice and
// Google Sheets (CSV injection), so it gets a leading single quote, as
// OWASP recommends. Only text from uploads and lists goes through here;
// the numbers the service writes (lines, scores, counts) do not.
func cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// plain turns a passed-through JSON value into cell text: a string
// unquoted, anything else as its JSON.
func (c *csvWriter) plain(v string) string {
	if !c.j.RawExtras || len(v) == 0 || v[0] != '"' {
		return v
	}
	var s string
	if json.Unmarshal([]byte(v), &s) != nil {
		return v
	}
	return s
}

func (c *csvWriter) Flush() error {
	if !c.header {
		if err := c.writeHeader(); err != nil {
			return err
		}
	}
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.w.Flush()
}

type jsonlWriter struct {
	w   *bufio.Writer
	j   *Job
	buf []byte
}

func (jw *jsonlWriter) Write(r *Result) error {
	b := jw.buf[:0]
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, int64(r.Line), 10)
	b = appendKey(b, "reference", r.Reference)
	b = appendKey(b, "name", r.Name)
	if r.Country != "" {
		b = appendKey(b, "country", r.Country)
	}
	if r.Type != "" {
		b = appendKey(b, "type", r.Type)
	}
	b = appendKey(b, "status", r.Status)
	b = append(b, `,"warnings":[`...)
	for i, w := range r.Warnings {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"code":`...)
		b = jsontext.AppendString(b, w.Code)
		b = appendKey(b, "detail", w.Detail)
		b = append(b, '}')
	}
	b = append(b, ']')
	b = append(b, `,"best_score":`...)
	b = append(b, formatScore(r.BestScore)...)
	b = append(b, `,"match_count":`...)
	b = strconv.AppendInt(b, int64(r.MatchCount), 10)
	b = append(b, `,"matches":[`...)
	for i, m := range r.Matches {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBrief(b, m)
		b = append(b, '}')
	}
	b = append(b, ']')
	if len(r.Suppressed) > 0 {
		b = append(b, `,"suppressed":[`...)
		for i, m := range r.Suppressed {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendBrief(b, m.Brief)
			b = appendKey(b, "suppressed_by", m.SuppressedBy)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Error != "" {
		b = appendKey(b, "error", r.Error)
	}
	b = appendKey(b, "list_version", jw.j.ListVersion)
	if len(r.Extra) > 0 {
		b = append(b, `,"columns":{`...)
		for i, f := range r.Extra {
			if i > 0 {
				b = append(b, ',')
			}
			name := fmt.Sprintf("column_%d", f.Col+1)
			if f.Col < len(jw.j.Columns) {
				name = jw.j.Columns[f.Col]
			}
			b = jsontext.AppendString(b, name)
			b = append(b, ':')
			if jw.j.RawExtras {
				b = append(b, f.Value...)
			} else {
				b = jsontext.AppendString(b, f.Value)
			}
		}
		b = append(b, '}')
	}
	b = append(b, '}', '\n')
	jw.buf = b
	_, err := jw.w.Write(b)
	return err
}

func (jw *jsonlWriter) Flush() error { return jw.w.Flush() }

// warningCodes is a CSV cell of warning codes, separated by ";" (the JSON
// lines results carry each warning's detail too).
func warningCodes(ws []screening.Warning) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0].Code
	}
	codes := make([]string, len(ws))
	for i, w := range ws {
		codes[i] = w.Code
	}
	return strings.Join(codes, ";")
}

// suppressedBy is a CSV cell of the decisions that suppressed matches,
// separated by ";", each once.
func suppressedBy(ms []SuppressedMatch) string {
	switch len(ms) {
	case 0:
		return ""
	case 1:
		return ms[0].SuppressedBy
	}
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		if !slices.Contains(ids, m.SuppressedBy) {
			ids = append(ids, m.SuppressedBy)
		}
	}
	return strings.Join(ids, ";")
}

func formatScore(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func appendKey(b []byte, k, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	return jsontext.AppendString(b, v)
}

// appendBrief appends a match of a result row as a JSON object without its
// closing brace, so a suppressed match can add its decision.
func appendBrief(b []byte, m TopMatch) []byte {
	b = append(b, `{"id":`...)
	b = jsontext.AppendString(b, m.ID)
	b = appendKey(b, "list", m.List)
	b = appendKey(b, "name", m.Name)
	b = appendKey(b, "matched_name", m.MatchedName)
	b = append(b, `,"score":`...)
	return append(b, formatScore(m.Score)...)
}
