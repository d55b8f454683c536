package batch

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/cslscreen/screener/screening"
)

// Chunks are stored (in Redis or in files) as a compact binary encoding of
// their rows or results, deflated. The encoding is private to this package
// and versioned by its first byte, so a replica of another version that
// cannot read a chunk fails loudly instead of misreading it.
const (
	codecRows    byte = 'R'
	codecResults byte = 'S'
	// codecVersion 2 added each result's warnings, 3 each row's date of
	// birth, nationality and identifier, 4 each result's suppressed
	// matches; chunks of older versions (written by an older replica
	// during an upgrade) still read.
	codecVersion byte = 4
)

var errCorrupt = errors.New("batch: corrupt chunk")

var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *encoder) float(f float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f)) }

func (e *encoder) row(r *Row) {
	e.uint(uint64(r.Line))
	e.str(r.Reference)
	e.str(r.Name)
	e.str(r.Country)
	e.str(r.Type)
	e.str(r.DateOfBirth)
	e.str(r.Nationality)
	e.str(r.Identifier)
	e.str(r.Err)
	e.uint(uint64(len(r.Extra)))
	for _, f := range r.Extra {
		e.uint(uint64(f.Col))
		e.str(f.Value)
	}
}

// deflate compresses the encoded bytes.
func (e *encoder) deflate() []byte {
	var out bytes.Buffer
	out.Grow(len(e.b)/3 + 64)
	w := flateWriters.Get().(*flate.Writer)
	w.Reset(&out)
	w.Write(e.b) // a bytes.Buffer does not fail
	w.Close()
	flateWriters.Put(w)
	return out.Bytes()
}

func encodeRows(rows []Row) []byte {
	size := 8
	for i := range rows {
		size += rows[i].size()
	}
	e := encoder{b: make([]byte, 0, size)}
	e.b = append(e.b, codecRows, codecVersion)
	e.uint(uint64(len(rows)))
	for i := range rows {
		e.row(&rows[i])
	}
	return e.deflate()
}

func encodeResults(res []Result) []byte {
	size := 8
	for i := range res {
		size += res[i].Row.size() + 64 + 96*len(res[i].Matches)
	}
	e := encoder{b: make([]byte, 0, size)}
	e.b = append(e.b, codecResults, codecVersion)
	e.uint(uint64(len(res)))
	for i := range res {
		r := &res[i]
		e.row(&r.Row)
		e.str(r.Status)
		e.float(r.BestScore)
		e.uint(uint64(r.MatchCount))
		e.str(r.Error)
		e.uint(uint64(len(r.Matches)))
		for _, m := range r.Matches {
			e.str(m.ID)
			e.str(m.List)
			e.str(m.Name)
			e.str(m.MatchedName)
			e.float(m.Score)
		}
		e.uint(uint64(len(r.Warnings)))
		for _, w := range r.Warnings {
			e.str(w.Code)
			e.str(w.Detail)
		}
		e.uint(uint64(len(r.Suppressed)))
		for _, m := range r.Suppressed {
			e.str(m.ID)
			e.str(m.List)
			e.str(m.Name)
			e.str(m.MatchedName)
			e.float(m.Score)
			e.str(m.SuppressedBy)
		}
	}
	return e.deflate()
}

type decoderState struct {
	b       []byte
	err     error
	version byte
}

func (d *decoderState) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoderState) str() string {
	n := d.uint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoderState) float() float64 {
	if d.err != nil || len(d.b) < 8 {
		d.err = errCorrupt
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return f
}

func (d *decoderState) row(r *Row) {
	r.Line = int(d.uint())
	r.Reference = d.str()
	r.Name = d.str()
	r.Country = d.str()
	r.Type = d.str()
	if d.version >= 3 {
		r.DateOfBirth, r.Nationality, r.Identifier = d.str(), d.str(), d.str()
	}
	r.Err = d.str()
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return
	}
	if n > 0 {
		r.Extra = make([]Field, n)
		for i := range r.Extra {
			r.Extra[i] = Field{Col: int(d.uint()), Value: d.str()}
		}
	}
}

func inflate(blob []byte, kind byte) (*decoderState, int, error) {
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(blob)))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if len(raw) < 2 || raw[0] != kind {
		return nil, 0, errCorrupt
	}
	if raw[1] < 1 || raw[1] > codecVersion {
		return nil, 0, fmt.Errorf("batch: chunk encoding version %d is not known to this build", raw[1])
	}
	d := &decoderState{b: raw[2:], version: raw[1]}
	n := d.uint()
	if n > uint64(len(d.b)) {
		return nil, 0, errCorrupt
	}
	return d, int(n), d.err
}

func decodeRows(blob []byte) ([]Row, error) {
	d, n, err := inflate(blob, codecRows)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, n)
	for i := range rows {
		d.row(&rows[i])
	}
	return rows, d.err
}

func decodeResults(blob []byte) ([]Result, error) {
	d, n, err := inflate(blob, codecResults)
	if err != nil {
		return nil, err
	}
	res := make([]Result, n)
	for i := range res {
		r := &res[i]
		d.row(&r.Row)
		r.Status = d.str()
		r.BestScore = d.float()
		r.MatchCount = int(d.uint())
		r.Error = d.str()
		m := d.uint()
		if m > uint64(len(d.b)) {
			return nil, errCorrupt
		}
		if m > 0 {
			r.Matches = make([]TopMatch, m)
			for k := range r.Matches {
				r.Matches[k] = TopMatch{ID: d.str(), List: d.str(), Name: d.str(), MatchedName: d.str(), Score: d.float()}
			}
		}
		if d.version < 2 {
			continue
		}
		w := d.uint()
		if w > uint64(len(d.b)) {
			return nil, errCorrupt
		}
		if w > 0 {
			r.Warnings = make([]screening.Warning, w)
			for k := range r.Warnings {
				r.Warnings[k] = screening.Warning{Code: d.str(), Detail: d.str()}
			}
		}
		if d.version < 4 {
			continue
		}
		sn := d.uint()
		if sn > uint64(len(d.b)) {
			return nil, errCorrupt
		}
		if sn > 0 {
			r.Suppressed = make([]SuppressedMatch, sn)
			for k := range r.Suppressed {
				s := &r.Suppressed[k]
				s.ID, s.List, s.Name, s.MatchedName, s.Score, s.SuppressedBy = d.str(), d.str(), d.str(), d.str(), d.float(), d.str()
			}
		}
	}
	return res, d.err
}
