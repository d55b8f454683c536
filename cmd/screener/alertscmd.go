package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"strings"
	"text/tabwriter"

	"github.com/cslscreen/screener/client"
)

// alertsCmd lists the monitoring's alerts, newest first (GET /v1/alerts),
// so that an analyst finds the id to give screener decide --alert. Exit
// codes: 0 done, 2 usage, 3 error.
func alertsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("alerts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	status := fs.String("status", "", "only open or closed alerts")
	reference := fs.String("reference", "", "only this counterparty's alerts")
	list := fs.String("list", "", "only alerts on this list, e.g. EL")
	key := fs.String("key", "", "only this key's alerts (needs the decide scope for another key's)")
	limit := fs.Int("limit", 0, "alerts to show, 1 to 1000 (with --all: per request; default: the server's page)")
	all := fs.Bool("all", false, "read every page, not only the first")
	cursor := fs.String("cursor", "", "continue a listing from the cursor printed at the end of a page")
	asJSON := fs.Bool("json", false, "print one JSON object per alert (JSON lines)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: screener alerts [--status open|closed] [--reference R] [--list EL] [--key KEY] [--limit N] [--all] [--json]
  Lists the monitoring's alerts, newest first; decide one with
  'screener decide --alert ID'. A key sees its own alerts; a key with the
  decide scope every key's (--key for one key's). Without --all one page is
  shown and the command to read the next is printed on standard error.
  Exit codes: 0 done, 2 usage, 3 error.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usageErr := usageError(stderr, "alerts")
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	switch *status {
	case "", client.AlertOpen, client.AlertClosed:
	default:
		return usageErr("--status %q: want open or closed", *status)
	}
	if *limit < 0 || *limit > 1000 {
		return usageErr("--limit %d: want 1 to 1000", *limit)
	}
	c, ctx, stop, ok := cf.connect(stderr, "alerts")
	if !ok {
		return exitUsage
	}
	defer stop()
	f := client.AlertsFilter{Status: *status, Reference: *reference, List: *list, KeyID: *key, Cursor: *cursor, Limit: *limit}
	flagOf := map[string]string{"status": "--status", "reference": "--reference", "list": "--list", "key_id": "--key", "limit": "--limit", "cursor": "--cursor"}

	return listing[client.Alert]{
		cmd: "alerts", flagOf: flagOf, print: printAlerts,
		page: func(ctx context.Context) ([]client.Alert, string, error) {
			p, err := c.Alerts(ctx, f)
			if err != nil {
				return nil, "", err
			}
			return p.Alerts, p.Next, nil
		},
		every:    func(ctx context.Context) iter.Seq2[*client.Alert, error] { return c.AllAlerts(ctx, f) },
		nextArgs: []string{"--status", *status, "--reference", *reference, "--list", *list, "--key", *key, "--limit", limitFlag(*limit)},
	}.run(ctx, stdout, stderr, *all, *asJSON)
}

// listing is what the alerts and decisions commands share once their
// flags are read: one page or every page, a table or JSON lines, and the
// command that reads the next page.
type listing[T any] struct {
	cmd      string
	flagOf   map[string]string // a problem's field → the flag that set it
	page     func(context.Context) ([]T, string, error)
	every    func(context.Context) iter.Seq2[*T, error]
	print    func(io.Writer, []T)
	nextArgs []string // flag and value pairs repeated in the next page's command
}

func (l listing[T]) run(ctx context.Context, stdout, stderr io.Writer, all, asJSON bool) int {
	var items []T
	next := ""
	if all {
		for it, err := range l.every(ctx) {
			if err != nil {
				return listFailed(stderr, l.cmd, l.flagOf, err)
			}
			items = append(items, *it)
		}
	} else {
		var err error
		if items, next, err = l.page(ctx); err != nil {
			return listFailed(stderr, l.cmd, l.flagOf, err)
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		for i := range items {
			if err := enc.Encode(&items[i]); err != nil {
				fmt.Fprintf(stderr, "screener %s: %v\n", l.cmd, err)
				return exitError
			}
		}
	} else {
		l.print(stdout, items)
	}
	if next != "" {
		printNextPage(stderr, l.cmd, next, l.nextArgs...)
	}
	return exitOK
}

// usageError returns what prints a usage error of command cmd, with the
// hint to its flags, and gives the usage exit code.
func usageError(stderr io.Writer, cmd string) func(format string, a ...any) int {
	return func(format string, a ...any) int {
		fmt.Fprintf(stderr, "screener %s: %s\n", cmd, fmt.Sprintf(format, a...))
		fmt.Fprintf(stderr, "Run 'screener %s -h' for the flags.\n", cmd)
		return exitUsage
	}
}

// listFailed prints why a listing failed: the server's problem, its
// fields named as the flags that set them.
func listFailed(stderr io.Writer, cmd string, flagOf map[string]string, err error) int {
	var p *client.Problem
	if !errors.As(err, &p) {
		fmt.Fprintf(stderr, "screener %s: %v\n", cmd, err)
		return exitError
	}
	fmt.Fprintf(stderr, "screener %s: refused: %v\n", cmd, err)
	var flags []string
	for _, fe := range p.Errors {
		if f, ok := flagOf[fe.Field]; ok {
			flags = append(flags, f)
		}
	}
	if len(flags) > 0 {
		fmt.Fprintf(stderr, "screener %s: check %s\n", cmd, strings.Join(flags, ", "))
	}
	return exitError
}

func limitFlag(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// printNextPage prints on w the command that reads the page after this
// one: cmd with the flags given (pairs of flag and value; empty values
// left out) and --cursor next.
func printNextPage(w io.Writer, cmd, next string, flagValues ...string) {
	more := []string{"screener", cmd}
	for i := 0; i+1 < len(flagValues); i += 2 {
		if flagValues[i+1] != "" {
			more = append(more, flagValues[i], shellQuote(flagValues[i+1]))
		}
	}
	more = append(more, "--cursor", shellQuote(next))
	fmt.Fprintf(w, "screener %s: more %s: %s (or --all)\n", cmd, cmd, strings.Join(more, " "))
}

// printAlerts prints alerts as a table.
func printAlerts(w io.Writer, as []client.Alert) {
	if len(as) == 0 {
		fmt.Fprintln(w, "no alerts")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RAISED\tID\tSTATUS\tKEY\tREFERENCE\tCOUNTERPARTY\tSCORE\tLIST\tLISTED NAME\tENTRY\tCAUSE")
	for i := range as {
		a := &as[i]
		st := a.Status
		if a.ClosedReason != "" {
			st += " (" + a.ClosedReason + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%s\t%s\t%s\t%s\n",
			a.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), a.ID, st, cell(orDash(a.KeyID)), cell(a.Reference),
			cell(a.CounterpartyName), a.Score, cell(a.List), cell(a.Name), a.EntryID, cell(a.Cause))
	}
	tw.Flush()
	fmt.Fprintf(w, "%s alert(s)\n", numbers.Sprint(len(as)))
}
