package service

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"
)

// formWithParts builds a multipart form of n parts named name+i, each with
// a one-byte value, and then the file part when file is not nil.
func formWithParts(t *testing.T, n int, name string, file []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := range n {
		mw.WriteField(fmt.Sprintf("%s%d", name, i), "x")
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "rows.csv")
		fw.Write(file)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// gzipRepeat returns the gzip of prefix followed by n copies of fill.
func gzipRepeat(prefix string, fill byte, n int) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write([]byte(prefix))
	chunk := bytes.Repeat([]byte{fill}, 64<<10)
	for n > 0 {
		k := min(n, len(chunk))
		zw.Write(chunk[:k])
		n -= k
	}
	zw.Close()
	return b.Bytes()
}

// TestUploadFormPartsBounded: a form of many parts with long names gets a
// short 400; only the first parts are looked through for "file".
func TestUploadFormPartsBounded(t *testing.T) {
	b := newBatchServer(t, batchTestOptions{}, Options{}, true)
	long := strings.Repeat("N", 1000)
	body, ct := formWithParts(t, 2000, long, nil)
	w := b.upload(t, "", body, "Content-Type", ct)
	if w.Code != 400 {
		t.Fatalf("status %d: %.300s", w.Code, w.Body)
	}
	if w.Body.Len() > 2048 {
		t.Errorf("the 400 has %d bytes; the part names must be bounded: %.300s", w.Body.Len(), w.Body)
	}
	if !strings.Contains(w.Body.String(), fmt.Sprintf("first %d parts", maxFormParts)) || !strings.Contains(w.Body.String(), `\"NNNN`) {
		t.Errorf("detail does not say what was looked at: %s", w.Body)
	}
	// The file part past the parts looked at is not found.
	body, ct = formWithParts(t, maxFormParts, "note", []byte(smallCSV))
	if w := b.upload(t, "", body, "Content-Type", ct); w.Code != 400 || !strings.Contains(w.Body.String(), `\"note0\"`) {
		t.Errorf("file as part %d: %d %s", maxFormParts+1, w.Code, w.Body)
	}
	// A malformed part header is not repeated whole either.
	bad := "--b\r\n" + strings.Repeat("X", 100<<10) + "\r\n\r\nx\r\n--b--\r\n"
	if w := b.upload(t, "", []byte(bad), "Content-Type", "multipart/form-data; boundary=b"); w.Code != 400 || w.Body.Len() > 2048 {
		t.Errorf("malformed part header: %d, %d bytes: %.300s", w.Code, w.Body.Len(), w.Body)
	}
	body, ct = formWithParts(t, maxFormParts-1, "note", []byte(smallCSV))
	if w := b.upload(t, "", body, "Content-Type", ct); w.Code != 202 {
		t.Errorf("file as part %d: %d %s", maxFormParts, w.Code, w.Body)
	}
}

// TestUploadDecompressionBounded: every way of compressing an upload is
// bounded after decompression, by BATCH_MAX_BYTES and by the ratio.
func TestUploadDecompressionBounded(t *testing.T) {
	small := newBatchServer(t, batchTestOptions{MaxBytes: 4096}, Options{}, true)
	large := newBatchServer(t, batchTestOptions{}, Options{}, true)

	// A form whose first part is larger than BATCH_MAX_BYTES, gzipped as a
	// whole with Content-Encoding: gzip, before a small file part.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormField("note")
	fw.Write(bytes.Repeat([]byte("a\n"), 1<<20))
	fw, _ = mw.CreateFormFile("file", "rows.csv")
	fw.Write([]byte(smallCSV))
	mw.Close()
	formGz, formGzType := gzipped(form.String()), mw.FormDataContentType()

	// The same with a note that expands far past the ratio.
	form.Reset()
	mw = multipart.NewWriter(&form)
	fw, _ = mw.CreateFormField("note")
	fw.Write(bytes.Repeat([]byte("a\n"), inflateFloor))
	fw, _ = mw.CreateFormFile("file", "rows.csv")
	fw.Write([]byte(smallCSV))
	mw.Close()
	formBomb, formBombType := gzipped(form.String()), mw.FormDataContentType()

	blank := gzipRepeat("name\nAcme\n", '\n', 2*inflateFloor)
	blankForm, blankFormType := multipartBody(t, "", "rows.csv.gz", "application/gzip", blank)

	tests := []struct {
		name    string
		b       *batchServer
		body    []byte
		headers []string
		status  int
		has     []string
	}{
		{"outer gzip past BATCH_MAX_BYTES", small, formGz, []string{"Content-Type", formGzType, "Content-Encoding", "gzip"},
			413, []string{"BATCH_MAX_BYTES", "4096"}},
		{"outer gzip past the ratio", large, formBomb, []string{"Content-Type", formBombType, "Content-Encoding", "gzip"},
			413, []string{fmt.Sprintf("%d times", maxInflateRatio)}},
		{"body gzip past the ratio", large, blank, []string{"Content-Type", "text/csv", "Content-Encoding", "gzip"},
			413, []string{fmt.Sprintf("%d times", maxInflateRatio)}},
		{"file part gzip past the ratio", large, blankForm, []string{"Content-Type", blankFormType},
			413, []string{fmt.Sprintf("%d times", maxInflateRatio)}},
		{"ordinary gzip", large, gzipped(smallCSV), []string{"Content-Type", "text/csv", "Content-Encoding", "gzip"}, 202, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.b.upload(t, "", tt.body, tt.headers...)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %.500s", w.Code, tt.status, w.Body)
			}
			for _, s := range tt.has {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %q: %s", s, w.Body)
				}
			}
		})
	}
}
