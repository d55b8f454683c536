package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the unit of the CPU times in /proc/PID/stat (USER_HZ,
// 100 on every Linux the tests run on).
const clockTicks = 100

// CPUTime returns the CPU time the server has used so far: the postmaster
// and its live children (backends, WAL writer, checkpointer...), plus the
// children it has already reaped. Benchmarks take the difference over a
// run to report what PostgreSQL spent per record, a figure that holds on a
// busy machine where wall-clock rates do not. Linux only.
func (s *Server) CPUTime() (time.Duration, error) {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0, fmt.Errorf("pgtest: the server is not running")
	}
	post := strconv.Itoa(s.cmd.Process.Pid)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var ticks int64
	found := false
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ... utime stime cutime cstime: comm may
		// hold spaces, so count the fields after its closing parenthesis.
		st := string(b)
		f := strings.Fields(st[strings.LastIndexByte(st, ')')+1:])
		if len(f) < 15 {
			continue
		}
		self := e.Name() == post
		if !self && f[1] != post {
			continue
		}
		found = found || self
		n := 2 // utime, stime
		if self {
			n = 4 // and the reaped children's
		}
		for _, v := range f[11 : 11+n] {
			t, _ := strconv.ParseInt(v, 10, 64)
			ticks += t
		}
	}
	if !found {
		return 0, fmt.Errorf("pgtest: no process %s in /proc", post)
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
