package service

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Bounds on reading an upload that hold whatever BATCH_MAX_BYTES is, so a
// small request cannot cost much memory or CPU before it is refused.
const (
	// maxFormParts is how many parts of a multipart upload are looked
	// through for the part "file"; forms from browsers and curl have one
	// or two.
	maxFormParts = 16
	// maxPartNames and maxPartNameBytes bound the part names a 400
	// repeats, maxParseErrorBytes the parser's error (which may quote a
	// header line).
	maxPartNames       = 4
	maxPartNameBytes   = 64
	maxParseErrorBytes = 200
	// maxInflateRatio bounds how many times its compressed size an upload
	// may grow when decompressed, once past inflateFloor bytes. Rows of
	// names compress 3 to 10 times; a stream far past that is a bomb, and
	// refusing it early saves decompressing up to BATCH_MAX_BYTES of it.
	maxInflateRatio = 100
	inflateFloor    = 16 << 20
)

// inflateError is an upload refused for growing more than maxInflateRatio
// times its compressed size (413).
type inflateError struct{}

func (inflateError) Error() string {
	return fmt.Sprintf("the upload decompresses to more than %d times its compressed size", maxInflateRatio)
}

// countingReader counts the bytes read through it: the request body as
// sent, which decompressed streams are compared with.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioReader reads a decompressed stream of wire and fails with
// inflateError once it has given more than max(maxInflateRatio × the
// bytes read from wire, inflateFloor) bytes.
type ratioReader struct {
	r    io.Reader
	wire *countingReader
	n    int64
}

func (r *ratioReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if r.n > inflateFloor && r.n > maxInflateRatio*r.wire.n {
		return n, inflateError{}
	}
	return n, err
}

// partNames lists the names of the parts looked through, for a 400: at most
// maxPartNames of them, each cut to maxPartNameBytes.
func partNames(names []string, seen int) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", cutText(n, maxPartNameBytes))
	}
	s := strings.Join(q, ", ")
	if more := seen - len(names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// cutText cuts s to at most n bytes on a rune boundary, marking the cut:
// what a client sent is repeated in an error only so far.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
