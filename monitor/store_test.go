package monitor_test

import (
	"testing"

	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/monitor/monitortest"
)

// TestStores holds every Store to the same contract.
func TestStores(t *testing.T) {
	for name, mk := range map[string]func(t *testing.T) monitor.Store{
		"memory": func(*testing.T) monitor.Store { return monitor.NewMemoryStore() },
		"redis":  func(t *testing.T) monitor.Store { s, _ := newRedisStore(t); return s },
	} {
		t.Run(name, func(t *testing.T) { monitortest.RunStore(t, mk(t)) })
	}
}

// TestMatchDecisions holds decisions on matches to the same rules with
// every store, two replicas sharing it.
func TestMatchDecisions(t *testing.T) {
	for name, mk := range map[string]func(t *testing.T) monitor.Store{
		"memory": func(*testing.T) monitor.Store { return monitor.NewMemoryStore() },
		"redis":  func(t *testing.T) monitor.Store { s, _ := newRedisStore(t); return s },
	} {
		t.Run(name, func(t *testing.T) { monitortest.RunMatchDecisions(t, mk(t)) })
	}
}
