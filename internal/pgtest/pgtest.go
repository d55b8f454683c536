// Package pgtest starts a real PostgreSQL server (Debian's binaries) in a
// temporary directory for a test and stops it when the test ends.
//
// PostgreSQL refuses to run as root. Under root (as in the dev container
// and CI) the server runs as the system user "pgtest", which Start creates
// with useradd when it is missing.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL server whose superuser is "postgres"
// (trust authentication, loopback only).
type Server struct {
	Port int
	Dir  string // data directory and unix socket live here
	cmd  *exec.Cmd
	done chan struct{}
	tb   testing.TB
	dbs  atomic.Int64

	durable bool
	cpus    string
}

// DSN returns the URL of database db as user.
func (s *Server) DSN(user, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", user, s.Port, db)
}

// URL returns the superuser's URL of the "postgres" database.
func (s *Server) URL() string { return s.DSN("postgres", "postgres") }

// BinDir finds the directory of initdb and postgres: the newest
// /usr/lib/postgresql/*/bin, else the directory of initdb on PATH.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("initdb not found in /usr/lib/postgresql/*/bin or on PATH")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start initialises a cluster in a temporary directory and runs postgres
// on a free loopback port for the rest of the test. Without PostgreSQL the
// test is skipped, except under CI=true where that is a failure.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb, Options{})
}

// Options change how Start runs the server.
type Options struct {
	// Durable keeps fsync and synchronous commit on, as in production,
	// for benchmarks of commit latency; by default they are off.
	Durable bool
	// CPUs, when set, pins the server (and so every backend it forks) to
	// these CPUs, in taskset's list form ("1", "0,1"): benchmarks use it to
	// give the database a core of its own, as it has a machine of its own
	// in production, instead of competing with the service for the same
	// cores.
	CPUs string
}

// StartWith is Start with options.
func StartWith(tb testing.TB, opt Options) *Server {
	tb.Helper()
	bin, err := BinDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("pgtest: %v: required under CI=true (apt-get install -y postgresql)", err)
		}
		tb.Skipf("pgtest: %v; install it (apt-get install -y postgresql) to run this test", err)
	}
	cred, err := credential()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			tb.Fatalf("pgtest: %v", err)
		}
	}
	s := &Server{Dir: dir, tb: tb, durable: opt.Durable, cpus: opt.CPUs}
	tmpl, err := template(bin, cred)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	if out, err := exec.Command("cp", "-a", tmpl, filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		tb.Fatalf("pgtest: copying the template cluster: %v: %s", err, out)
	}
	for attempt := 0; ; attempt++ {
		if s.Port, err = freePort(); err != nil {
			tb.Fatalf("pgtest: free port: %v", err)
		}
		if err = s.start(bin, cred); err == nil {
			break
		} else if attempt == 4 {
			tb.Fatalf("pgtest: %v", err)
		}
	}
	tb.Cleanup(s.Stop)
	return s
}

// template returns an initialised data directory to copy: initdb takes
// seconds, a copy a fraction of one. It is kept in the temp directory,
// per PostgreSQL version and user, and made once (atomically, by rename)
// for all test processes.
func template(bin string, cred *syscall.Credential) (string, error) {
	uid := os.Geteuid()
	if cred != nil {
		uid = int(cred.Uid)
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("pgtest-template-%d-%d", version(bin), uid))
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp("", "pgtest-initdb-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if cred != nil {
		if err := os.Chown(tmp, int(cred.Uid), int(cred.Gid)); err != nil {
			return "", err
		}
	}
	data := filepath.Join(tmp, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if err := os.Rename(data, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "PG_VERSION")); serr == nil {
			return dir, nil // another process made it first
		}
		return "", err
	}
	return dir, nil
}

func (s *Server) start(bin string, cred *syscall.Credential) error {
	logPath := filepath.Join(s.Dir, "postgres.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	// Durability settings are off: a test server's data need not survive
	// a crash of the machine, and fsync makes tests slow.
	args := []string{"-D", filepath.Join(s.Dir, "data"),
		"-p", strconv.Itoa(s.Port), "-k", s.Dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=60", "-c", "shared_buffers=64MB"}
	if !s.durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	if s.cpus != "" {
		// taskset sets the affinity and execs postgres: the process
		// started is the server, and its children inherit the mask.
		s.cmd = exec.Command("taskset", append([]string{"-c", s.cpus, filepath.Join(bin, "postgres")}, args...)...)
	}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	s.done = done
	go func(c *exec.Cmd) { c.Wait(); logf.Close(); close(done) }(s.cmd)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ping(s.URL()) == nil {
			return nil
		}
		select {
		case <-done: // exited: the port was taken, most likely
			deadline = time.Time{}
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.Stop()
	b, _ := os.ReadFile(logPath)
	return fmt.Errorf("postgres on port %d did not come up: %s", s.Port, b)
}

// Stop shuts the server down (fast shutdown, then kill after 10s).
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// CreateDatabase creates a new empty database and returns its superuser
// URL, so tests can share one server without sharing tables.
func (s *Server) CreateDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("test_%d", s.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return s.DSN("postgres", name)
}

// Exec runs sql as the superuser in the "postgres" database.
func (s *Server) Exec(ctx context.Context, sql string) error {
	c, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}

func ping(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return c.Ping(ctx)
}

// credential is who postgres runs as: nil (the current user) unless that
// is root, then the system user pgtest, created if missing.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("pgtest")
	if err != nil {
		out, aerr := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "pgtest").CombinedOutput()
		if aerr != nil && !strings.Contains(string(out), "already exists") {
			return nil, fmt.Errorf("running as root and cannot create the user pgtest to run postgres as: %v: %s", aerr, out)
		}
		if u, err = user.Lookup("pgtest"); err != nil {
			return nil, err
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
