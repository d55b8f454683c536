package postgres

import "testing"

// BenchmarkToRow is the service's share of writing a record: what the
// audit writer does to each screening's record before COPY sends it.
func BenchmarkToRow(b *testing.B) {
	r := screeningLike(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := toRow(r); err != nil {
			b.Fatal(err)
		}
	}
}
