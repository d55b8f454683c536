package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cslscreen/screener/client"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Exit codes of the client subcommands.
const (
	exitOK           = 0 // done (for screen: matches or not)
	exitNoMatch      = 1 // screen --require-match found nothing; batch: the job failed or was cancelled
	exitUsage        = 2 // bad flags or arguments
	exitError        = 3 // any other error (network, server, files)
	exitUnscreenable = 4 // screen: the server could not screen the name (status "unscreenable")
)

// numbers formats counts with thousands separators.
var numbers = message.NewPrinter(language.English)

// clientFlags are the flags every client subcommand shares.
type clientFlags struct {
	server  string
	apiKey  string
	timeout time.Duration
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	def := os.Getenv("SCREENER_URL")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	fs.StringVar(&c.server, "server", def, "server base URL (env SCREENER_URL)")
	fs.StringVar(&c.apiKey, "api-key", os.Getenv("SCREENER_API_KEY"), "API key (env SCREENER_API_KEY)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "timeout of each request (uploads and downloads excepted)")
}

// client is the API client the flags describe. 429 and 503 answers are
// retried as the server's Retry-After says.
func (c *clientFlags) client() (*client.Client, error) {
	return client.New(c.server,
		client.WithAPIKey(c.apiKey),
		client.WithTimeout(c.timeout),
		client.WithUserAgent("screener-cli/"+version),
	)
}

// screenCmd screens one name against a running server. Exit codes: 0 done
// (matches or not), 1 with --require-match and no match, 2 usage, 3 error,
// 4 the name could not be screened (status "unscreenable": neither a match
// nor clear).
// connect makes the client of a subcommand that calls the service, and a
// context that Ctrl-C cancels (stop releases it). On a bad --server it
// says so on stderr, naming the command, and returns false.
func (c *clientFlags) connect(stderr io.Writer, cmd string) (*client.Client, context.Context, context.CancelFunc, bool) {
	cl, err := c.client()
	if err != nil {
		fmt.Fprintf(stderr, "screener %s: --server: %v\n", cmd, err)
		return nil, nil, nil, false
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	return cl, ctx, stop, true
}

func screenCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("screen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	country := fs.String("country", "", "ISO 3166 alpha-2 country of the counterparty")
	typ := fs.String("type", "", "Entity, Individual, Vessel or Aircraft")
	limit := fs.Int("limit", 0, "most matches to return (default: the server's)")
	dob := fs.String("dob", "", "date of birth of a person: YYYY, YYYY-MM or YYYY-MM-DD")
	nationality := fs.String("nationality", "", "ISO 3166 alpha-2 nationality of a person")
	identifier := fs.String("id", "", "passport, registration or tax number")
	asJSON := fs.Bool("json", false, "print the server's JSON response")
	require := fs.Bool("require-match", false, "exit 1 when nothing matches (for smoke tests)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: screener screen [flags] NAME
  Screens NAME on the server and prints the outcome (match, clear or
  unscreenable), the matches and the server's warnings (on standard error).
  Exit codes: 0 done, 1 no match with --require-match, 2 usage, 3 error,
  4 the name could not be screened (unscreenable).

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	name := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(name) == "" {
		fs.Usage()
		return exitUsage
	}
	c, err := cf.client()
	if err != nil {
		fmt.Fprintf(stderr, "screener: --server: %v\n", err)
		return exitUsage
	}
	req := client.ScreenRequest{Name: name, Country: *country, Type: *typ, Limit: max(*limit, 0),
		DateOfBirth: *dob, Nationality: *nationality, Identifier: *identifier}
	ctx := context.Background()
	var sr client.ScreenResponse
	var raw json.RawMessage
	if *asJSON {
		err = c.ScreenRaw(ctx, req, &raw)
		if err == nil {
			err = json.Unmarshal(raw, &sr)
		}
	} else {
		err = c.ScreenRaw(ctx, req, &sr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "screener: %v\n", err)
		return exitError
	}
	if *asJSON {
		stdout.Write(raw)
		fmt.Fprintln(stdout)
	} else {
		printScreening(stdout, &sr)
	}
	for _, w := range sr.Warnings {
		fmt.Fprintf(stderr, "screener: WARNING %s: %s\n", w.Code, w.Detail)
	}
	switch {
	case sr.Outcome() == client.StatusUnscreenable:
		fmt.Fprintf(stderr, "screener: %q could not be screened: it is neither cleared nor matched\n", sr.Query.Name)
		return exitUnscreenable
	case *require && len(sr.Matches) == 0:
		fmt.Fprintln(stderr, "screener: no match, and --require-match was given")
		return exitNoMatch
	}
	return exitOK
}

func printScreening(w io.Writer, sr *client.ScreenResponse) {
	fmt.Fprintf(w, "%q: %s, %d match(es) (screening %s)\n", sr.Query.Name, strings.ToUpper(string(sr.Outcome())), len(sr.Matches), sr.ID)
	if l := sr.List; l != nil {
		fmt.Fprint(w, numbers.Sprintf("list version %s: %d entries, fetched %s", l.Version, l.Entries, l.FetchedAt.Format(time.RFC3339)))
		if l.PublishedAt != "" {
			fmt.Fprintf(w, ", published %s", l.PublishedAt)
		}
		if l.Builtin {
			fmt.Fprint(w, " (the small built-in snapshot, NOT the full list)")
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "list version %s\n", sr.ListVersion)
	}
	if len(sr.Matches) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCORE\tLIST\tNAME\tMATCHED NAME\tID")
		for _, m := range sr.Matches {
			fmt.Fprintf(tw, "%.3f\t%s\t%s\t%s\t%s\n", m.Score, m.List, m.Name, m.MatchedName, m.ID)
		}
		tw.Flush()
	}
	if len(sr.Suppressed) > 0 {
		fmt.Fprintf(w, "%d match(es) suppressed by false positive decisions (not counted in the status):\n", len(sr.Suppressed))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCORE\tLIST\tNAME\tID\tDECISION")
		for _, m := range sr.Suppressed {
			fmt.Fprintf(tw, "%.3f\t%s\t%s\t%s\t%s\n", m.Score, m.List, m.Name, m.ID, m.SuppressedBy)
		}
		tw.Flush()
	}
}
