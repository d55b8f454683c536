package audit

import (
	"testing"
	"time"
)

func TestDerivedIDIsStableAndValid(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	a, b := DerivedID(at, "job/17"), DerivedID(at, "job/17")
	if a != b {
		t.Fatalf("the same row gave two ids: %s %s", a, b)
	}
	if c := DerivedID(at, "job/18"); c == a {
		t.Fatalf("two rows share the id %s", a)
	}
	if _, err := ParseID(a); err != nil {
		t.Fatal(err)
	}
	r := Record{ID: a, Time: at, Channel: ChannelBatchRow}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
}
