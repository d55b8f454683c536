package audit_test

import (
	"testing"

	"github.com/cslscreen/screener/audit"
	"github.com/cslscreen/screener/audit/audittest"
)

func TestMemoryCases(t *testing.T) { audittest.RunCases(t, audit.NewMemoryCases()) }
