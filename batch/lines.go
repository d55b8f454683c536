package batch

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// MaxLineBytes bounds one physical line of an upload; a longer line is a
// row error, and reading resumes at the next line.
const MaxLineBytes = 64 << 10

// MaxRecordBytes bounds one CSV record, all its physical lines together
// (a quoted field may run over several). A quoted field still open past it
// refuses the whole file: it is a quote left open or a row no screening
// needs, and reading on would turn every line after it into an error row.
const MaxRecordBytes = MaxLineBytes

// physLine is one physical line of the upload, without its line ending.
type physLine struct {
	num     int
	text    []byte
	tooLong bool
}

// lineReader reads physical lines, numbering them from 1, and lets a
// parser push back lines it read ahead so it can resume after a bad record.
type lineReader struct {
	br   *bufio.Reader
	num  int
	back []physLine // pushed back, next first
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, MaxLineBytes)}
}

// next returns the next line. Its text is valid until the following call
// unless it came from the push-back queue. At the end it returns io.EOF.
func (lr *lineReader) next() (physLine, error) {
	if len(lr.back) > 0 {
		l := lr.back[0]
		lr.back = lr.back[1:]
		return l, nil
	}
	b, err := lr.br.ReadSlice('\n')
	switch {
	case err == nil:
	case errors.Is(err, bufio.ErrBufferFull):
		// Too long: skip to the end of the line, keeping the rest readable.
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = lr.br.ReadSlice('\n')
		}
		if err != nil && err != io.EOF {
			return physLine{}, err
		}
		lr.num++
		return physLine{num: lr.num, tooLong: true}, nil
	case err == io.EOF:
		if len(b) == 0 {
			return physLine{}, io.EOF
		}
	default:
		return physLine{}, err
	}
	lr.num++
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	if lr.num == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a byte order mark
	}
	return physLine{num: lr.num, text: b}, nil
}

// pushBack queues lines (already copied by the caller) to be read again,
// in order, before anything else.
func (lr *lineReader) pushBack(ls []physLine) {
	lr.back = append(append([]physLine(nil), ls...), lr.back...)
}

func (l physLine) clone() physLine {
	l.text = bytes.Clone(l.text)
	return l
}

func blank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }
