package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/cslscreen/screener/client"
)

// decideFlagOf names the decide flag of each field of a decision request,
// so that a problem the server names by its JSON field points at a flag.
var decideFlagOf = map[string]string{
	"entry_id": "--entry", "source": "--source", "name": "--name", "reference": "--reference",
	"outcome": "--outcome", "reason": "--reason", "screening_id": "--screening-id",
	"batch_job": "--batch-job", "batch_row": "--batch-row", "key_id": "--for-key",
}

// decideCmd records an analyst's decision on a match of a screening or a
// batch row (POST /v1/decisions), or on an alert (--alert: POST
// /v1/alerts/{id}/decision). Exit codes: 0 recorded, 2 usage, 3 error
// (including the server's refusal).
func decideCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decide", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	alert := fs.String("alert", "", "decide this alert (GET /v1/alerts) instead of a match")
	entry := fs.String("entry", "", "the match's entry id (a screening match's id, a batch row's match_N_id)")
	source := fs.String("source", "", "the match's source or list code, e.g. EL (may be left out when the entry id is on one list only)")
	name := fs.String("name", "", "the name screened (the answer's query.name, the batch row's name)")
	reference := fs.String("reference", "", "the batch row's or counterparty's reference, if any")
	outcome := fs.String("outcome", "", "false_positive or true_match (required)")
	reason := fs.String("reason", "", "why (required; kept in the audit trail)")
	screeningID := fs.String("screening-id", "", "the screening that showed the match (its id)")
	batchJob := fs.String("batch-job", "", "the batch job that showed the match")
	batchRow := fs.Int("batch-row", 0, "with --batch-job: the row's line")
	forKey := fs.String("for-key", "", "the key whose screenings the decision covers (default: the deciding key)")
	asJSON := fs.Bool("json", false, "print the decision as JSON")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage:
  screener decide --entry ID [--source EL] --name NAME [--reference R]
                  --outcome false_positive|true_match --reason TEXT
                  [--screening-id ID | --batch-job J --batch-row N] [--for-key KEY]
  screener decide --alert ALERT_ID --outcome false_positive|true_match --reason TEXT

  Records an analyst's decision on a match shown in a screening or a batch
  row, or on an alert of the monitoring. A false positive suppresses the
  (reference or name, entry) pair in the key's later screenings, batches and
  monitoring runs until the entry changes. The key (--api-key) needs the
  decide scope. Exit codes: 0 recorded, 2 usage, 3 error or refused.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	usageErr := usageError(stderr, "decide")
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q: every value is given by a flag (quote a --name or --reason with spaces)", fs.Arg(0))
	}
	switch *outcome {
	case client.FalsePositive, client.TrueMatch:
	case "":
		return usageErr("--outcome is required: false_positive or true_match")
	default:
		return usageErr("--outcome %q: want false_positive or true_match", *outcome)
	}
	if strings.TrimSpace(*reason) == "" {
		return usageErr("--reason is required: say why, for the audit trail")
	}
	matchFlags := []string{"entry", "source", "name", "reference", "screening-id", "batch-job", "batch-row", "for-key"}
	if given["alert"] {
		if strings.TrimSpace(*alert) == "" {
			return usageErr("--alert is empty: give the alert's id")
		}
		for _, f := range matchFlags {
			if given[f] {
				return usageErr("--%s does not go with --alert: an alert already names its counterparty and entry", f)
			}
		}
	} else {
		switch {
		case strings.TrimSpace(*entry) == "":
			return usageErr("--entry is required (the match's entry id), or --alert to decide an alert")
		case strings.TrimSpace(*name) == "":
			return usageErr("--name is required: the name that was screened")
		case *screeningID != "" && (given["batch-job"] || given["batch-row"]):
			return usageErr("--screening-id and --batch-job/--batch-row both say where the match was shown: give one")
		case given["batch-row"] && *batchRow < 1:
			return usageErr("--batch-row %d: want the row's line, 1 or more", *batchRow)
		case given["batch-row"] && *batchJob == "":
			return usageErr("--batch-row needs --batch-job")
		}
	}
	c, ctx, stop, ok := cf.connect(stderr, "decide")
	if !ok {
		return exitUsage
	}
	defer stop()

	var out any
	if given["alert"] {
		ad, err := c.DecideAlert(ctx, *alert, *outcome, *reason)
		if err != nil {
			return decideFailed(stderr, "alert "+*alert, err)
		}
		out = ad
		if !*asJSON {
			printDecision(stdout, &ad.Decision)
			fmt.Fprintf(stdout, "alert %s is %s", ad.Alert.ID, ad.Alert.Status)
			if ad.Alert.ClosedReason != "" {
				fmt.Fprintf(stdout, " (%s)", ad.Alert.ClosedReason)
			}
			fmt.Fprintln(stdout)
		}
	} else {
		d, err := c.Decide(ctx, client.MatchDecision{
			KeyID: *forKey, Name: *name, Reference: *reference, EntryID: *entry, Source: *source,
			Outcome: *outcome, Reason: *reason, ScreeningID: *screeningID, BatchJob: *batchJob, BatchRow: *batchRow,
		})
		if err != nil {
			return decideFailed(stderr, "the decision", err)
		}
		out = d
		if !*asJSON {
			printDecision(stdout, d)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "screener decide: %v\n", err)
			return exitError
		}
	}
	return exitOK
}

// decideFailed prints why a decision was not recorded: the server's
// problem, its fields named as the flags that set them.
func decideFailed(stderr io.Writer, what string, err error) int {
	var p *client.Problem
	if !errors.As(err, &p) {
		fmt.Fprintf(stderr, "screener decide: %s: %v\n", what, err)
		return exitError
	}
	fmt.Fprintf(stderr, "screener decide: %s was refused: %v\n", what, err)
	var flags []string
	for _, fe := range p.Errors {
		if f, ok := decideFlagOf[fe.Field]; ok {
			flags = append(flags, f)
		}
	}
	if len(flags) > 0 {
		fmt.Fprintf(stderr, "screener decide: check %s\n", strings.Join(flags, ", "))
	}
	if p.Status == 403 {
		fmt.Fprintln(stderr, "screener decide: deciding needs a key with the decide scope (--api-key, env SCREENER_API_KEY)")
	}
	return exitError
}

// printDecision prints a recorded decision for a reader.
func printDecision(w io.Writer, d *client.Decision) {
	fmt.Fprintf(w, "decision %s: %s, %s\n", d.ID, strings.ToUpper(d.Outcome), decisionSubject(d))
	fmt.Fprintf(w, "  on %s\n", decisionOn(d))
	fmt.Fprintf(w, "  entry %s of %s", d.EntryID, d.Source)
	if d.ListVersion != "" {
		fmt.Fprintf(w, " in list version %s", d.ListVersion)
	}
	fmt.Fprintf(w, " (content hash %s)\n", d.EntryHash)
	fmt.Fprintf(w, "  covers key %s, decided by %s at %s\n", orDash(d.KeyID), orDash(d.DecidedBy), d.CreatedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "  reason: %s\n", d.Reason)
	if d.Outcome == client.FalsePositive {
		fmt.Fprintln(w, "  the pair is suppressed in the key's later screenings, batches and monitoring runs until the entry changes")
	}
}

// decisionSubject is the counterparty a decision is about.
func decisionSubject(d *client.Decision) string {
	s := fmt.Sprintf("%q", d.CounterpartyName)
	if d.Reference != "" {
		s += " (reference " + d.Reference + ")"
	}
	return s
}

// decisionOn says where the decided match was shown.
func decisionOn(d *client.Decision) string {
	switch {
	case d.AlertID != "":
		return "alert " + d.AlertID
	case d.ScreeningID != "":
		return "screening " + d.ScreeningID
	case d.BatchJob != "" && d.BatchRow > 0:
		return fmt.Sprintf("batch %s line %d", d.BatchJob, d.BatchRow)
	case d.BatchJob != "":
		return "batch " + d.BatchJob
	}
	return "a match"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// decisionsCmd lists decisions, newest first (GET /v1/decisions). Exit
// codes: 0 done, 2 usage, 3 error.
func decisionsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decisions", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	outcome := fs.String("outcome", "", "only false_positive or true_match decisions")
	key := fs.String("key", "", "only the decisions covering this key's screenings (needs the decide scope for another key's)")
	limit := fs.Int("limit", 0, "decisions to show, 1 to 1000 (with --all: per request; default: the server's page)")
	all := fs.Bool("all", false, "read every page, not only the first")
	cursor := fs.String("cursor", "", "continue a listing from the cursor printed at the end of a page")
	asJSON := fs.Bool("json", false, "print one JSON object per decision (JSON lines)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: screener decisions [--outcome false_positive|true_match] [--key KEY] [--limit N] [--all] [--json]
  Lists decisions on alerts and on matches, newest first. A key sees the
  decisions covering its screenings; a key with the decide scope every key's
  (--key for one key's). Without --all one page is shown and the command to
  read the next is printed on standard error.
  Exit codes: 0 done, 2 usage, 3 error.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usageErr := usageError(stderr, "decisions")
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	switch *outcome {
	case "", client.FalsePositive, client.TrueMatch:
	default:
		return usageErr("--outcome %q: want false_positive or true_match", *outcome)
	}
	if *limit < 0 || *limit > 1000 {
		return usageErr("--limit %d: want 1 to 1000", *limit)
	}
	c, ctx, stop, ok := cf.connect(stderr, "decisions")
	if !ok {
		return exitUsage
	}
	defer stop()
	f := client.DecisionsFilter{Outcome: *outcome, KeyID: *key, Cursor: *cursor, Limit: *limit}
	flagOf := map[string]string{"outcome": "--outcome", "key_id": "--key", "limit": "--limit", "cursor": "--cursor"}

	return listing[client.Decision]{
		cmd: "decisions", flagOf: flagOf, print: printDecisions,
		page: func(ctx context.Context) ([]client.Decision, string, error) {
			p, err := c.Decisions(ctx, f)
			if err != nil {
				return nil, "", err
			}
			return p.Decisions, p.Next, nil
		},
		every:    func(ctx context.Context) iter.Seq2[*client.Decision, error] { return c.AllDecisions(ctx, f) },
		nextArgs: []string{"--outcome", *outcome, "--key", *key, "--limit", limitFlag(*limit)},
	}.run(ctx, stdout, stderr, *all, *asJSON)
}

// listCode reads the list code a source names, "Entity List (EL) - …" →
// "EL".
var listCode = regexp.MustCompile(`\(([A-Z0-9-]{2,8})\)`)

func shortSource(s string) string {
	if m := listCode.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

// printDecisions prints decisions as a table, the reason last (cut to a
// line's worth; --json has it whole).
func printDecisions(w io.Writer, ds []client.Decision) {
	if len(ds) == 0 {
		fmt.Fprintln(w, "no decisions")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DECIDED\tID\tOUTCOME\tKEY\tBY\tNAME\tREFERENCE\tLIST\tENTRY\tON\tREASON")
	for i := range ds {
		d := &ds[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			d.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), d.ID, d.Outcome, cell(orDash(d.KeyID)), cell(orDash(d.DecidedBy)),
			cell(d.CounterpartyName), cell(orDash(d.Reference)), cell(shortSource(d.Source)), d.EntryID, cell(decisionOn(d)), cut(cell(d.Reason), 60))
	}
	tw.Flush()
	fmt.Fprintf(w, "%s decision(s)\n", numbers.Sprint(len(ds)))
}

// cell makes s one table cell: no tabs or line breaks.
func cell(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// cut shortens s to n characters, marking the cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/=+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
