package lists

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultMaxBadFraction is the share of malformed rows above which a whole
// file is refused: a list that is mostly readable but has a few broken rows is
// still better than the previous one, a list that is largely broken is not.
const DefaultMaxBadFraction = 0.01

// maxKeptRowErrors bounds the row errors a Parsed keeps; BadRows counts all.
const maxKeptRowErrors = 50

// DefaultMaxBytes bounds a list once decompressed. The full CSL CSV is a
// few tens of megabytes (the JSON a few times that); without a bound, a
// small gzip file can expand to gigabytes in memory (a 326 KB file peaked at
// 1.62 GB). A one-line file at the bound still costs about 5x its size while
// the CSV reader holds the line, so the bound is not set higher.
const DefaultMaxBytes = 256 << 20

// DefaultMaxRows bounds the rows of a list. The CSL has some 15-20 thousand
// rows; a parsed entry costs about 1-2 KB of memory, so short rows within
// DefaultMaxBytes (millions of them) would otherwise cost gigabytes.
const DefaultMaxRows = 250_000

// ParseOptions tunes Parse. The zero value uses the defaults.
type ParseOptions struct {
	// MaxBadFraction is the share of malformed rows (0..1) that still lets a
	// file through; 0 means DefaultMaxBadFraction.
	MaxBadFraction float64
	// MaxBytes bounds the list's size after gzip decompression; a larger
	// one is refused with a *FormatError. 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxRows bounds the data rows, good and bad; a list with more is
	// refused with a *FormatError. 0 means DefaultMaxRows.
	MaxRows int
}

func (o ParseOptions) maxRows() int {
	if o.MaxRows <= 0 {
		return DefaultMaxRows
	}
	return o.MaxRows
}

func (o ParseOptions) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

func (o ParseOptions) maxBad() float64 {
	if o.MaxBadFraction <= 0 {
		return DefaultMaxBadFraction
	}
	return o.MaxBadFraction
}

// Parsed is a successfully read list file.
type Parsed struct {
	// Format is "csv" or "json".
	Format string
	// Entries are the good rows, in file order.
	Entries []Entry
	// Rows counts the data rows read, good and bad.
	Rows int
	// BadRows counts the rows that were skipped as malformed.
	BadRows int
	// Errors holds the first malformed rows' errors (at most 50).
	Errors []RowError
	// PublishedAt is when the file's publisher last changed the list, when
	// the file says so: for CSL JSON, the newest sources_used[].
	// source_last_updated (or, when no source has one, last_imported).
	// Zero for CSV.
	PublishedAt time.Time
	// Snapshot is set when the file describes itself as a built-in snapshot
	// (see the embedded list); nil for official files.
	Snapshot *SnapshotInfo
}

// SnapshotInfo is the self-description a project-written list file carries.
type SnapshotInfo struct {
	Description string `json:"description"`
	Date        string `json:"date"`
	Builtin     bool   `json:"builtin"`
}

// RowError is one malformed row. Line is the 1-based line of the file where
// the row starts (for JSON, the line of the result object); Row is the
// 1-based data row number.
type RowError struct {
	Line   int    `json:"line"`
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

func (e RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d: column %q: %s", e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// FormatError refuses a whole file: unreadable, a required column missing,
// or too many malformed rows. Callers tell it apart from I/O failures with
// errors.As.
type FormatError struct {
	Format string // "csv", "json" or "" when the format could not be told
	Line   int    // where the problem is, when it has one place; 0 otherwise
	Reason string
	// Rows lists example malformed rows when the file was refused for them.
	Rows []RowError
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("list file")
	if e.Format != "" {
		b.WriteString(" (" + e.Format + ")")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	for i, r := range e.Rows {
		if i == 3 {
			fmt.Fprintf(&b, "; …")
			break
		}
		b.WriteString("; ")
		b.WriteString(r.Error())
	}
	return b.String()
}

// Parse reads a CSL file in either official format, telling them apart by
// content: gzip is unwrapped, a leading byte-order mark is skipped, a file
// whose first non-blank byte is '{' is JSON, anything else is CSV. At most
// opts.MaxBytes are read once decompressed.
func Parse(r io.Reader, opts ParseOptions) (*Parsed, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(2)
	var src io.Reader = br
	compressed := ""
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &FormatError{Reason: "bad gzip header: " + err.Error()}
		}
		defer zr.Close()
		src = zr
		compressed = " once decompressed"
	}
	lim := &limitedReader{r: src, n: opts.maxBytes()}
	tooLarge := func() error {
		return &FormatError{Reason: fmt.Sprintf("larger than %d bytes%s (the parser's MaxBytes); file refused", lim.n, compressed)}
	}
	b := bufio.NewReaderSize(lim, 64<<10)
	skipBOM(b)
	first, err := firstNonSpace(b)
	if lim.over {
		return nil, tooLarge()
	}
	if err != nil {
		return nil, err
	}
	var p *Parsed
	if first == '{' {
		p, err = parseJSON(b, opts.maxRows())
	} else {
		p, err = parseCSV(b, opts.maxRows())
	}
	if lim.over {
		return nil, tooLarge()
	}
	if err != nil {
		return nil, wrapGzip(err)
	}
	if len(p.Entries) == 0 {
		return nil, &FormatError{Format: p.Format, Reason: fmt.Sprintf("no usable rows (%d read, %d malformed)", p.Rows, p.BadRows), Rows: p.Errors}
	}
	if p.Rows > 0 && float64(p.BadRows)/float64(p.Rows) > opts.maxBad() {
		return nil, &FormatError{
			Format: p.Format,
			Reason: fmt.Sprintf("%d of %d rows malformed (more than %.1f%%); file refused", p.BadRows, p.Rows, 100*opts.maxBad()),
			Rows:   p.Errors,
		}
	}
	return p, nil
}

// wrapGzip turns a truncated gzip stream into a FormatError, so a cut-off
// download is reported as a bad file rather than an I/O fault.
func wrapGzip(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		var fe *FormatError
		if errors.As(err, &fe) {
			return err
		}
		return &FormatError{Reason: "truncated or corrupt file: " + err.Error()}
	}
	return err
}

func skipBOM(b *bufio.Reader) {
	if p, _ := b.Peek(3); bytes.Equal(p, []byte{0xEF, 0xBB, 0xBF}) {
		b.Discard(3)
	}
}

// firstNonSpace peeks at the first byte that is not white space, leaving it unread.
func firstNonSpace(b *bufio.Reader) (byte, error) {
	for i := 1; ; i++ {
		p, err := b.Peek(i)
		if len(p) < i {
			if err == nil || err == io.EOF {
				return 0, &FormatError{Reason: "empty file"}
			}
			return 0, wrapGzip(err)
		}
		c := p[i-1]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c, nil
		}
		if i > 4096 {
			return 0, &FormatError{Reason: "no content in the first 4 KiB"}
		}
	}
}

// rowCollector gathers the entries and row errors of one parse.
type rowCollector struct {
	p       *Parsed
	maxRows int
}

func newCollector(format string, maxRows int) *rowCollector {
	return &rowCollector{p: &Parsed{Format: format}, maxRows: maxRows}
}

// full returns the error refusing the file once it has more than maxRows rows.
func (c *rowCollector) full() error {
	if c.p.Rows > c.maxRows {
		return &FormatError{Format: c.p.Format, Reason: fmt.Sprintf("more than %d rows (the parser's MaxRows); file refused", c.maxRows)}
	}
	return nil
}

func (c *rowCollector) bad(e RowError) {
	c.p.BadRows++
	if len(c.p.Errors) < maxKeptRowErrors {
		c.p.Errors = append(c.p.Errors, e)
	}
}

// add validates a decoded entry and keeps it, or records why not.
func (c *rowCollector) add(e Entry, line int) {
	c.p.Rows++
	row := c.p.Rows
	if col, reason := validate(&e); reason != "" {
		c.bad(RowError{Line: line, Row: row, Column: col, Reason: reason})
		return
	}
	if e.ID == "" {
		e.ID = derivedID(&e)
	}
	// Every valid row is kept, even one repeating another's id: the CSL
	// reuses an id across lists (an OFAC entity on SDN, SSI and CAP is three
	// rows with one _id) and now and then within one list.
	c.p.Entries = append(c.p.Entries, e)
}

// validate checks the facts every entry must have. It returns the offending
// column and a reason, or "" when the entry is fine.
func validate(e *Entry) (string, string) {
	if strings.TrimSpace(e.Name) == "" {
		return "name", "empty name"
	}
	if strings.TrimSpace(e.Source) == "" {
		return "source", "empty source"
	}
	for col, s := range map[string]string{"name": e.Name, "source": e.Source, "_id": e.ID} {
		if !utf8.ValidString(s) {
			return col, "invalid UTF-8"
		}
	}
	for _, a := range e.AltNames {
		if !utf8.ValidString(a) {
			return "alt_names", "invalid UTF-8"
		}
	}
	if len(e.Name) > 2000 {
		return "name", fmt.Sprintf("name of %d bytes is too long", len(e.Name))
	}
	return "", ""
}
