package batch

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"unicode/utf8"
)

// Format is a file format of uploads and results.
type Format string

// Formats.
const (
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// ParseFormat reads a ?format= value.
func ParseFormat(s string) (Format, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "csv":
		return CSV, true
	case "jsonl", "ndjson", "json-lines", "jsonlines":
		return JSONL, true
	}
	return "", false
}

// ContentType is the media type results of this format are sent as.
func (f Format) ContentType() string {
	if f == JSONL {
		return "application/x-ndjson"
	}
	return "text/csv; charset=utf-8"
}

// Ext is the usual file name extension of the format.
func (f Format) Ext() string {
	if f == JSONL {
		return ".jsonl"
	}
	return ".csv"
}

// Media is how the sender labelled an upload.
type Media struct {
	ContentType     string // of the body, or of the multipart part
	ContentEncoding string // of the request
	Filename        string // of the multipart part, or given by the client
}

var csvTypes = map[string]bool{"text/csv": true, "application/csv": true, "text/comma-separated-values": true,
	"text/x-csv": true, "application/x-csv": true, "text/tab-separated-values": true}

var jsonlTypes = map[string]bool{"application/x-ndjson": true, "application/ndjson": true, "application/jsonl": true,
	"application/x-jsonl": true, "application/json-lines": true, "application/jsonlines": true,
	"application/x-jsonlines": true, "text/jsonl": true}

// genericTypes say nothing about the content: the file name or the bytes
// decide. Browsers on Windows label .csv files application/vnd.ms-excel.
var genericTypes = map[string]bool{"": true, "application/octet-stream": true, "binary/octet-stream": true,
	"text/plain": true, "application/vnd.ms-excel": true, "application/x-www-form-urlencoded": true}

var gzipTypes = map[string]bool{"application/gzip": true, "application/x-gzip": true, "application/gzip-compressed": true}

// Open works out the format of an upload from its labels and first bytes,
// undoes gzip, and returns a reader of the content that fails with a
// *LimitError past maxBytes (counted after decompression, so a gzip bomb
// stops there). It returns a *MediaTypeError for a type it does not read
// and an *InputError for a corrupt gzip stream.
func Open(body io.Reader, m Media, maxBytes int64) (io.Reader, Format, error) {
	format, gz, err := fromLabels(m)
	if err != nil {
		return nil, "", err
	}
	br := bufio.NewReaderSize(body, 64<<10)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz = true // compressed whatever the label says
	} else if gz {
		if len(head) == 0 {
			return nil, "", &InputError{Reason: "the upload is empty"}
		}
		return nil, "", &InputError{Reason: "the upload is labelled gzip but is not a gzip stream"}
	}
	var r io.Reader = &limitReader{r: br, left: maxBytes, max: maxBytes}
	if gz {
		if r, err = Gunzip(br, maxBytes); err != nil {
			return nil, "", err
		}
	}
	content := bufio.NewReaderSize(r, 64<<10)
	peek, err := content.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", err
	}
	sniffed, err := sniff(peek)
	if err != nil {
		return nil, "", err
	}
	if format == "" {
		format = sniffed
	}
	return content, format, nil
}

// fromLabels reads the declared type, encoding and file name.
func fromLabels(m Media) (Format, bool, error) {
	gz := false
	switch enc := strings.ToLower(strings.TrimSpace(m.ContentEncoding)); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gz = true
	default:
		return "", false, &MediaTypeError{Got: m.ContentEncoding, Reason: fmt.Sprintf("Content-Encoding %q is not supported (only gzip)", m.ContentEncoding)}
	}
	mt := ""
	if strings.TrimSpace(m.ContentType) != "" {
		t, _, err := mime.ParseMediaType(m.ContentType)
		if err != nil {
			return "", false, &MediaTypeError{Got: m.ContentType, Reason: fmt.Sprintf("Content-Type %q does not parse", m.ContentType)}
		}
		mt = t
	}
	if base, ok := strings.CutSuffix(mt, "+gzip"); ok {
		mt, gz = base, true
	}
	var format Format
	switch {
	case csvTypes[mt]:
		format = CSV
	case jsonlTypes[mt]:
		format = JSONL
	case gzipTypes[mt]:
		gz = true
	case genericTypes[mt]:
	default:
		return "", false, &MediaTypeError{Got: m.ContentType}
	}
	if format == "" {
		name := strings.ToLower(path.Base(strings.ReplaceAll(m.Filename, `\`, "/")))
		if base, ok := strings.CutSuffix(name, ".gz"); ok {
			name, gz = base, true
		}
		switch path.Ext(name) {
		case ".csv", ".tsv", ".txt":
			format = CSV
		case ".jsonl", ".ndjson", ".jsonlines", ".json":
			format = JSONL
		case ".xlsx", ".xls", ".ods", ".zip":
			return "", false, &MediaTypeError{Got: m.Filename, Reason: fmt.Sprintf("%q is a spreadsheet or archive; export it as CSV", m.Filename)}
		}
	}
	return format, gz, nil
}

// sniff guesses the format from the first bytes of the content and refuses
// what is plainly not a text file of rows.
func sniff(b []byte) (Format, error) {
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		return "", &MediaTypeError{Got: "application/zip", Reason: "the upload is a ZIP archive (an .xlsx spreadsheet?); export it as CSV"}
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) > 0 && t[0] == '[' {
		return "", &MediaTypeError{Got: "application/json", Reason: "the upload is a JSON array; send JSON lines (one object per line)"}
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return "", &MediaTypeError{Got: "application/octet-stream", Reason: "the upload is binary (it has NUL bytes), not CSV or JSON lines"}
	}
	if len(t) > 0 && t[0] == '{' {
		return JSONL, nil
	}
	// Text that is not valid UTF-8 is still read as CSV: its bad rows are
	// reported one by one. Only the leading bytes are looked at here.
	if n := len(b); n > 0 && !utf8.Valid(b[:max(0, n-utf8.UTFMax)]) && invalidShare(b) > 0.3 {
		return "", &MediaTypeError{Got: "application/octet-stream", Reason: "the upload is not text"}
	}
	return CSV, nil
}

func invalidShare(b []byte) float64 {
	bad := 0
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			bad++
		}
		i += n
	}
	return float64(bad) / float64(len(b))
}

// Gunzip returns a reader of the content of the gzip stream r that fails
// with a *LimitError past maxBytes decompressed bytes, so a gzip bomb stops
// there, and with an *InputError for a corrupt or cut-off stream.
func Gunzip(r io.Reader, maxBytes int64) (io.Reader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, &InputError{Reason: "the gzip stream is corrupt: " + err.Error()}
	}
	return &limitReader{r: &gzipErrors{zr}, left: maxBytes, max: maxBytes}, nil
}

// limitReader fails with a *LimitError once more than max bytes were read.
type limitReader struct {
	r         io.Reader
	left, max int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, &LimitError{What: "bytes", Max: l.max}
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, &LimitError{What: "bytes", Max: l.max}
	}
	return n, err
}

// gzipErrors marks errors of the compressed data as input errors, so a
// truncated or corrupt upload is a 400 and not a server fault. Errors of the
// body itself (a transport limit, a client gone) pass through.
type gzipErrors struct{ r io.Reader }

func (g *gzipErrors) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	var ce flate.CorruptInputError
	switch {
	case err == nil || err == io.EOF:
	case errors.As(err, &ce), errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		err = &InputError{Reason: "the gzip stream is corrupt: " + err.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = &InputError{Reason: "the gzip stream is cut off"}
	}
	return n, err
}
