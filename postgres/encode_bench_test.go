package postgres

import "testing"

// BenchmarkEncode is the service's share of writing a record: the binary
// COPY tuple each screening's goroutine makes of its record (audit.Queue
// calls Encode in Write) before the writer sends it.
func BenchmarkEncode(b *testing.B) {
	r := screeningLike(1)
	l := &AuditLog{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Encode(&r); err != nil {
			b.Fatal(err)
		}
	}
}
