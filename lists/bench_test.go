package lists

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/cslscreen/screener/internal/fixtures"
)

func readFull(b *testing.B) []byte {
	data, err := os.ReadFile(fixtures.FullCSL(b))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkParseFullCSV parses the full CSL fixture (14,163 rows, gzip'd CSV).
func BenchmarkParseFullCSV(b *testing.B) {
	data := readFull(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse(bytes.NewReader(data), ParseOptions{})
		if err != nil || len(p.Entries) != 14163 {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewListFullCSV hashes and indexes the parsed entries (the
// version id is a content hash).
func BenchmarkNewListFullCSV(b *testing.B) {
	p, err := Parse(bytes.NewReader(readFull(b)), ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		NewList(Version{}, p.Entries)
	}
}

// BenchmarkRedisPublishFull writes the full list to a real Redis and makes
// it current; BenchmarkRedisLoadFull reads it back, as a replica does.
func BenchmarkRedisPublishFull(b *testing.B) {
	s, _ := newRedisStore(b)
	p, _ := Parse(bytes.NewReader(readFull(b)), ParseOptions{})
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// a different version each time, so every iteration writes it whole
		l := NewList(Version{Origin: string(rune('a' + i%26))}, append([]Entry{{ID: "bench", Source: "x", Name: string(rune('a' + i%26))}}, p.Entries...))
		if err := s.Publish(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedisLoadFull(b *testing.B) {
	s, _ := newRedisStore(b)
	p, _ := Parse(bytes.NewReader(readFull(b)), ParseOptions{})
	ctx := context.Background()
	l := NewList(Version{}, p.Entries)
	if err := s.Publish(ctx, l); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.Load(ctx, l.Version.ID)
		if err != nil || len(got.Entries) != 14163 {
			b.Fatal(err)
		}
	}
}
