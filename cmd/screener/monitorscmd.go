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
	"time"

	"github.com/cslscreen/screener/client"
)

const monitorsUsage = `Usage:
  screener monitors add --reference R --name NAME [--country CC] [--type T] [--json]
  screener monitors add -f FILE [--json]      CSV or JSON lines, gzip'd or not; - for standard input
  screener monitors list [--limit N] [--all] [--cursor C] [--json]
  screener monitors show [--json] REFERENCE
  screener monitors remove REFERENCE

  Monitors counterparties of the key (--api-key): each is screened once when
  registered, its matches becoming alerts, and again against every new list
  version. add registers (or updates, by reference) and prints the alerts the
  registration raised; decide one with 'screener decide --alert ID'. A CSV has
  a header row naming reference, name and optionally country and type.
  remove stops monitoring a counterparty and closes its open alerts.
  Exit codes: 0 done, 2 usage, 3 error (including a refusal).
`

// monitorsCmd manages the key's monitored counterparties (POST, GET and
// DELETE /v1/monitors). Exit codes: 0 done, 2 usage, 3 error.
func monitorsCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, monitorsUsage)
		return exitUsage
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add":
		return monitorsAdd(args, stdin, stdout, stderr)
	case "list":
		return monitorsList(args, stdout, stderr)
	case "show":
		return monitorsShow(args, stdout, stderr)
	case "remove":
		return monitorsRemove(args, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, monitorsUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "screener monitors: unknown command %q: want add, list, show or remove\n\n%s", sub, monitorsUsage)
	return exitUsage
}

// monitorsFlags is the flag set of a monitors command, with the client's
// flags and the usage line given.
func monitorsFlags(sub, usageLine, about string, stderr io.Writer) (*flag.FlagSet, *clientFlags) {
	fs := flag.NewFlagSet("monitors "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := &clientFlags{}
	cf.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n%s\n  Exit codes: 0 done, 2 usage, 3 error (including a refusal).\n\n", usageLine, about)
		fs.PrintDefaults()
	}
	return fs, cf
}

// parseReference reads the flags of a command taking one reference, the
// flags before or after it.
func parseReference(fs *flag.FlagSet, args []string, usageErr func(string, ...any) int) (string, int) {
	if err := fs.Parse(args); err != nil {
		return "", exitUsage
	}
	if fs.NArg() == 0 {
		return "", usageErr("give the counterparty's reference")
	}
	ref := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", exitUsage
	}
	if fs.NArg() > 0 {
		return "", usageErr("unexpected argument %q: give one reference (quote one with spaces)", fs.Arg(0))
	}
	if strings.TrimSpace(ref) == "" {
		return "", usageErr("the reference is empty")
	}
	return ref, exitOK
}

// monitorsAddFlagOf names the add flag of each field of the one
// counterparty registered with flags.
var monitorsAddFlagOf = map[string]string{
	"counterparties[0].reference": "--reference", "counterparties[0].name": "--name",
	"counterparties[0].country": "--country", "counterparties[0].type": "--type",
}

func monitorsAdd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, cf := monitorsFlags("add", "screener monitors add --reference R --name NAME [--country CC] [--type T] | -f FILE  [--json]",
		"  Registers counterparties to monitor, or updates them (by reference), and\n"+
			"  prints each with the alerts its screening raised. -f reads a CSV (a header\n"+
			"  row naming reference, name, and optionally country and type) or JSON lines\n"+
			"  file, gzip'd or not; - for standard input.", stderr)
	reference := fs.String("reference", "", "the counterparty's reference: your own id of it, unique per key")
	name := fs.String("name", "", "the counterparty's name")
	country := fs.String("country", "", "ISO 3166 alpha-2 country of the counterparty")
	typ := fs.String("type", "", "Entity, Individual, Vessel or Aircraft")
	file := fs.String("f", "", "register the counterparties of this CSV or JSON-lines file (- for standard input)")
	asJSON := fs.Bool("json", false, "print one JSON object per counterparty (JSON lines)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	usageErr := usageError(stderr, "monitors add")
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q: every value is given by a flag (quote a --name with spaces)", fs.Arg(0))
	}
	one := []string{"reference", "name", "country", "type"}
	if given["f"] {
		if *file == "" {
			return usageErr("-f is empty: give a file, or - for standard input")
		}
		for _, f := range one {
			if given[f] {
				return usageErr("--%s does not go with -f: the file gives each counterparty's", f)
			}
		}
	} else {
		switch {
		case !given["reference"] && !given["name"]:
			return usageErr("give --reference and --name for one counterparty, or -f FILE for many")
		case strings.TrimSpace(*reference) == "":
			return usageErr("--reference is required: your own id of the counterparty")
		case strings.TrimSpace(*name) == "":
			return usageErr("--name is required: the counterparty's name")
		}
	}
	c, ctx, stop, ok := cf.connect(stderr, "monitors add")
	if !ok {
		return exitUsage
	}
	defer stop()

	var regs []client.Registered
	if given["f"] {
		in, _, fname, err := openInput(*file, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "screener monitors add: %v\n", err)
			return exitError
		}
		regs, err = c.RegisterFile(ctx, in, fname)
		in.Close()
		if err != nil {
			what := *file
			if what == "-" {
				what = "standard input"
			}
			return refused(stderr, "monitors add", "registering "+what, nil, err)
		}
	} else {
		var err error
		regs, err = c.Register(ctx, []client.CounterpartyInput{{Reference: *reference, Name: *name, Country: *country, Type: *typ}})
		if err != nil {
			return refused(stderr, "monitors add", "registering "+*reference, monitorsAddFlagOf, err)
		}
	}
	if *asJSON {
		return printJSONLines(stdout, stderr, "monitors add", regs)
	}
	printRegistered(stdout, regs)
	return exitOK
}

func monitorsList(args []string, stdout, stderr io.Writer) int {
	fs, cf := monitorsFlags("list", "screener monitors list [--limit N] [--all] [--cursor C] [--json]",
		"  Lists the key's monitored counterparties by reference. Without --all one\n"+
			"  page is shown and the command to read the next is printed on standard error.", stderr)
	limit := fs.Int("limit", 0, "counterparties to show, 1 to 1000 (with --all: per request; default: the server's page)")
	all := fs.Bool("all", false, "read every page, not only the first")
	cursor := fs.String("cursor", "", "continue a listing from the cursor printed at the end of a page")
	asJSON := fs.Bool("json", false, "print one JSON object per counterparty (JSON lines)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usageErr := usageError(stderr, "monitors list")
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (to see one counterparty: screener monitors show REFERENCE)", fs.Arg(0))
	}
	if *limit < 0 || *limit > 1000 {
		return usageErr("--limit %d: want 1 to 1000", *limit)
	}
	c, ctx, stop, ok := cf.connect(stderr, "monitors list")
	if !ok {
		return exitUsage
	}
	defer stop()
	f := client.MonitorsFilter{Cursor: *cursor, Limit: *limit}
	return listing[client.Counterparty]{
		cmd: "monitors list", flagOf: map[string]string{"limit": "--limit", "cursor": "--cursor"}, print: printCounterparties,
		page: func(ctx context.Context) ([]client.Counterparty, string, error) {
			p, err := c.Monitors(ctx, f)
			if err != nil {
				return nil, "", err
			}
			return p.Counterparties, p.Next, nil
		},
		every:    func(ctx context.Context) iter.Seq2[*client.Counterparty, error] { return c.AllMonitors(ctx, f) },
		nextArgs: []string{"--limit", limitFlag(*limit)},
	}.run(ctx, stdout, stderr, *all, *asJSON)
}

func monitorsShow(args []string, stdout, stderr io.Writer) int {
	fs, cf := monitorsFlags("show", "screener monitors show [--json] REFERENCE",
		"  Shows a monitored counterparty and its newest alerts (at most 100).", stderr)
	asJSON := fs.Bool("json", false, "print the counterparty and its alerts as JSON")
	ref, code := parseReference(fs, args, usageError(stderr, "monitors show"))
	if code != exitOK {
		return code
	}
	c, ctx, stop, ok := cf.connect(stderr, "monitors show")
	if !ok {
		return exitUsage
	}
	defer stop()
	m, err := c.Monitor(ctx, ref)
	if err != nil {
		return refused(stderr, "monitors show", "reading "+ref, nil, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil {
			fmt.Fprintf(stderr, "screener monitors show: %v\n", err)
			return exitError
		}
		return exitOK
	}
	cp := &m.Counterparty
	fmt.Fprintf(stdout, "counterparty %s: %q\n", cp.Reference, cp.Name)
	if cp.Country != "" || cp.Type != "" {
		fmt.Fprintf(stdout, "  country %s, type %s\n", orDash(cp.Country), orDash(cp.Type))
	}
	fmt.Fprintf(stdout, "  key %s, registered %s, updated %s\n", orDash(cp.KeyID),
		cp.CreatedAt.UTC().Format(time.RFC3339), cp.UpdatedAt.UTC().Format(time.RFC3339))
	printAlerts(stdout, m.Alerts)
	return exitOK
}

func monitorsRemove(args []string, stdout, stderr io.Writer) int {
	fs, cf := monitorsFlags("remove", "screener monitors remove REFERENCE",
		"  Stops monitoring a counterparty; its open alerts are closed (monitor_deleted),\n"+
			"  its alerts and decisions kept.", stderr)
	ref, code := parseReference(fs, args, usageError(stderr, "monitors remove"))
	if code != exitOK {
		return code
	}
	c, ctx, stop, ok := cf.connect(stderr, "monitors remove")
	if !ok {
		return exitUsage
	}
	defer stop()
	if err := c.Unmonitor(ctx, ref); err != nil {
		return refused(stderr, "monitors remove", "removing "+ref, nil, err)
	}
	fmt.Fprintf(stdout, "counterparty %s is no longer monitored; its open alerts are closed\n", ref)
	return exitOK
}

// refused prints why a call failed: the server's problem, its fields
// named as the flags that set them.
func refused(stderr io.Writer, cmd, what string, flagOf map[string]string, err error) int {
	var p *client.Problem
	if !errors.As(err, &p) {
		fmt.Fprintf(stderr, "screener %s: %s: %v\n", cmd, what, err)
		return exitError
	}
	fmt.Fprintf(stderr, "screener %s: %s was refused: %v\n", cmd, what, err)
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

// printJSONLines prints each of vs as one line of JSON.
func printJSONLines[T any](stdout, stderr io.Writer, cmd string, vs []T) int {
	enc := json.NewEncoder(stdout)
	for i := range vs {
		if err := enc.Encode(&vs[i]); err != nil {
			fmt.Fprintf(stderr, "screener %s: %v\n", cmd, err)
			return exitError
		}
	}
	return exitOK
}

// printRegistered prints a registration's counterparties as a table, then
// the alerts it raised.
func printRegistered(w io.Writer, regs []client.Registered) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tNAME\tCOUNTRY\tTYPE\tREGISTERED\tALERTS")
	created, alerts := 0, []client.Alert{}
	for i := range regs {
		r := &regs[i]
		st := "updated"
		if r.Created {
			st = "created"
			created++
		}
		cp := &r.Counterparty
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", cell(cp.Reference), cell(cp.Name), orDash(cell(cp.Country)), orDash(cell(cp.Type)), st, len(r.Alerts))
		alerts = append(alerts, r.Alerts...)
	}
	tw.Flush()
	fmt.Fprintf(w, "%s counterparty(ies): %s created, %s updated; %s alert(s) raised\n",
		numbers.Sprint(len(regs)), numbers.Sprint(created), numbers.Sprint(len(regs)-created), numbers.Sprint(len(alerts)))
	if len(alerts) > 0 {
		fmt.Fprintln(w)
		printAlerts(w, alerts)
		fmt.Fprintln(w, "decide one with: screener decide --alert ID --outcome true_match|false_positive --reason TEXT")
	}
}

// printCounterparties prints counterparties as a table.
func printCounterparties(w io.Writer, cps []client.Counterparty) {
	if len(cps) == 0 {
		fmt.Fprintln(w, "no counterparties")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tNAME\tCOUNTRY\tTYPE\tKEY\tREGISTERED\tUPDATED")
	for i := range cps {
		cp := &cps[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(cp.Reference), cell(cp.Name), orDash(cell(cp.Country)), orDash(cell(cp.Type)),
			cell(orDash(cp.KeyID)), cp.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), cp.UpdatedAt.UTC().Format("2006-01-02 15:04:05Z"))
	}
	tw.Flush()
	fmt.Fprintf(w, "%s counterparty(ies)\n", numbers.Sprint(len(cps)))
}
