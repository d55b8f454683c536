// Command screener screens counterparty names against the US Consolidated
// Screening List.
//
//	screener                 serve HTTP (configured by environment variables; see README.md)
//	screener screen NAME     screen one name against a running server
//	screener batch FILE      screen a CSV or JSON-lines file (on a server, or --local)
//	screener decide …        decide a match or an alert: a true match or a false positive
//	screener decisions       list decisions, newest first
//	screener alerts          list the monitoring's alerts, newest first
//	screener monitors …      add, list, show or remove monitored counterparties
//	screener --version       print the version
//
// The client subcommands talk to the server through package client, which
// retries answers 429 and 503 as their Retry-After says. Their exit codes:
// 0 done; 1 screen --require-match found no match, or the batch job failed
// or was cancelled; 2 usage; 3 any other error; 4 screen could not screen
// the name (status "unscreenable": neither cleared nor matched). decide and
// decisions (and alerts, monitors) exit 0 done, 2 usage, 3 any other error
// (including a refusal).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/cslscreen/screener/service"
	"github.com/redis/go-redis/v9"
)

// Stamped at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = ""
)

func buildInfo() service.BuildInfo {
	c := commit
	if c == "" {
		c = "unknown"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	return service.BuildInfo{Version: version, Commit: c}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches the subcommands and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
		args = args[1:]
	}
	switch cmd {
	case "serve":
		return serve(stderr)
	case "screen":
		return screenCmd(args, stdout, stderr)
	case "batch":
		return batchCmd(args, stdin, stdout, stderr)
	case "decide":
		return decideCmd(args, stdout, stderr)
	case "decisions":
		return decisionsCmd(args, stdout, stderr)
	case "alerts":
		return alertsCmd(args, stdout, stderr)
	case "monitors":
		return monitorsCmd(args, stdin, stdout, stderr)
	case "version", "--version", "-version", "-v":
		b := buildInfo()
		fmt.Fprintf(stdout, "screener %s (commit %s, %s)\n", b.Version, b.Commit, runtime.Version())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "screener: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

const usage = `Usage:
  screener                       serve HTTP; configured by environment variables (see README.md)
  screener screen [flags] NAME   screen one name against a running server
  screener batch [flags] FILE    screen a CSV or JSON-lines file on a server, or in-process with --local
  screener decide [flags]        decide a match (--entry, --name) or an alert (--alert):
                                 --outcome false_positive|true_match --reason TEXT
  screener decisions [flags]     list decisions, newest first (--outcome, --key, --limit, --all, --json)
  screener alerts [flags]        list the monitoring's alerts, newest first (--status, --reference, --list, --key, …)
  screener monitors add|list|show|remove
                                 monitor counterparties: add --reference R --name NAME (or -f FILE),
                                 list (--limit, --all, --json), show REFERENCE, remove REFERENCE
  screener --version             print the version and exit

Run 'screener COMMAND -h' for a command's flags.

Exit codes: 0 done; 1 screen --require-match found no match, or the batch
job failed or was cancelled; 2 usage; 3 error (for decide and monitors,
also a refusal); 4 screen could not screen the name (unscreenable: neither
cleared nor matched).
`

// redisLogger sends go-redis's own messages (reconnect attempts) to the JSON
// log instead of plain text on stderr.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}

// serve runs the HTTP service until SIGINT or SIGTERM.
func serve(stderr io.Writer) int {
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "screener: %v\n", err)
		return 2
	}
	lw := newLogWriter(os.Stderr, 100*time.Millisecond)
	defer lw.Close()
	log := slog.New(slog.NewJSONHandler(lw, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)
	redis.SetLogger(redisLogger{log})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Config: cfg, Logger: log, Build: buildInfo(), AccessLog: &service.AccessLog{W: lw, Level: cfg.LogLevel}}
	if err := m.Run(ctx); err != nil {
		log.Error("screener failed to start", "error", err)
		m.Close()
		lw.Flush()
		return 1
	}
	<-ctx.Done()
	log.Info("shutting down: readiness off, finishing in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	if err := m.Close(); err != nil {
		log.Error("shutdown", "error", err)
		return 1
	}
	log.Info("stopped")
	return 0
}
