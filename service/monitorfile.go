package service

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cslscreen/screener/batch"
	"github.com/cslscreen/screener/monitor"
	"github.com/gin-gonic/gin"
)

// monitorFileBytes bounds a registration file after decompression.
const monitorFileBytes = 32 << 20

// readCounterpartyFile reads the counterparties of a CSV (a header row
// naming reference, name and optionally country and type; other columns
// are ignored) or JSON-lines file (one CounterpartyInput a line), raw or
// gzip'd, as batch uploads are labelled. On failure it answers the
// problem and returns false.
func (s *Server) readCounterpartyFile(c *gin.Context) ([]CounterpartyInput, bool) {
	media := batch.Media{ContentType: c.GetHeader("Content-Type"), ContentEncoding: c.GetHeader("Content-Encoding"), Filename: c.Query("filename")}
	body := http.MaxBytesReader(c.Writer, c.Request.Body, monitorFileBytes+1<<20)
	in, format, err := batch.Open(body, media, monitorFileBytes)
	if err != nil {
		s.fileProblem(c, err)
		return nil, false
	}
	var out []CounterpartyInput
	if format == batch.JSONL {
		out, err = readJSONLines(in)
	} else {
		out, err = readCSV(in)
	}
	if err != nil {
		s.fileProblem(c, err)
		return nil, false
	}
	return out, true
}

// lineError names the line of a file at fault.
type lineError struct {
	line   int
	field  string
	reason string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

func (s *Server) fileProblem(c *gin.Context, err error) {
	var (
		le  *lineError
		mte *batch.MediaTypeError
		lim *batch.LimitError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &le):
		badRequest(c, "the counterparties file is invalid: "+le.Error(), FieldError{Field: le.field, Line: le.line, Reason: le.reason})
	case errors.As(err, &mte):
		problem(c, http.StatusUnsupportedMediaType, kindUnsupportedMedia, mte.Error()+"; send JSON, CSV or JSON lines")
	case errors.As(err, &lim), errors.As(err, &mbe):
		problem(c, http.StatusRequestEntityTooLarge, kindTooLarge, fmt.Sprintf("the counterparties file is larger than %d bytes", monitorFileBytes))
	default:
		badRequest(c, "the counterparties file cannot be read: "+err.Error())
	}
}

func tooMany(line int) error {
	return &lineError{line: line, reason: fmt.Sprintf("more than %d counterparties; register them in several requests", monitor.MaxRegister)}
}

func readCSV(r io.Reader) ([]CounterpartyInput, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, &lineError{line: 1, reason: "no header row: " + err.Error()}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"reference", "name"} {
		if _, ok := col[need]; !ok {
			return nil, &lineError{line: 1, field: need, reason: "the header has no " + need + " column"}
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var out []CounterpartyInput
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &lineError{line: pe.Line, reason: pe.Err.Error()}
			}
			return nil, err
		}
		if len(out) == monitor.MaxRegister {
			return nil, tooMany(line)
		}
		out = append(out, CounterpartyInput{Reference: get(rec, "reference"), Name: get(rec, "name"), Country: get(rec, "country"), Type: get(rec, "type")})
	}
}

func readJSONLines(r io.Reader) ([]CounterpartyInput, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []CounterpartyInput
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var in CounterpartyInput
		if err := json.Unmarshal([]byte(text), &in); err != nil {
			fe := jsonFieldError(err)
			return nil, &lineError{line: line, field: fe.Field, reason: fe.Reason}
		}
		if len(out) == monitor.MaxRegister {
			return nil, tooMany(line)
		}
		out = append(out, in)
	}
	return out, sc.Err()
}
