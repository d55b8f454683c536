package postgres

import (
	"testing"

	"github.com/cslscreen/screener/monitor/monitortest"
)

func TestMonitorStore(t *testing.T) {
	_, pool, _ := testDB(t)
	monitortest.RunStore(t, NewMonitorStore(pool))
}

func TestMonitorMatchDecisions(t *testing.T) {
	_, pool, _ := testDB(t)
	monitortest.RunMatchDecisions(t, NewMonitorStore(pool))
}
