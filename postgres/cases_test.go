package postgres

import (
	"testing"

	"github.com/cslscreen/screener/audit/audittest"
)

func TestCaseStore(t *testing.T) {
	_, pool, _ := testDB(t)
	audittest.RunCases(t, NewCaseStore(pool))
}
