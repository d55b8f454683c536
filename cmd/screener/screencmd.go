package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cslscreen/screener/screening"
	"github.com/cslscreen/screener/service"
)

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
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "request timeout")
}

func (c *clientFlags) request(ctx context.Context, method, path string, body io.Reader, contentType string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.server, "/")+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	return req, nil
}

// problemError reads a problem+json body into an error message.
func problemError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var p service.Problem
	if json.Unmarshal(b, &p) == nil && p.Title != "" {
		msg := fmt.Sprintf("%s (HTTP %d): %s", p.Title, p.Status, p.Detail)
		for _, e := range p.Errors {
			where := e.Field
			if e.Line > 0 {
				where = fmt.Sprintf("line %d %s", e.Line, e.Field)
			}
			msg += fmt.Sprintf("\n  %s: %s", strings.TrimSpace(where), e.Reason)
		}
		return fmt.Errorf("%s", msg)
	}
	return fmt.Errorf("HTTP %s: %s", resp.Status, bytes.TrimSpace(b))
}

// screenCmd screens one name against a running server. Exit codes: 0 done
// (matches or not), 1 with --require-match and no match, 2 usage, 3 error.
func screenCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("screen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	country := fs.String("country", "", "ISO 3166 alpha-2 country of the counterparty")
	typ := fs.String("type", "", "Entity, Individual, Vessel or Aircraft")
	limit := fs.Int("limit", 0, "most matches to return (default: the server's)")
	asJSON := fs.Bool("json", false, "print the server's JSON response")
	require := fs.Bool("require-match", false, "exit 1 when nothing matches (for smoke tests)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: screener screen [flags] NAME")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	name := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(name) == "" {
		fs.Usage()
		return 2
	}
	reqBody := screening.Request{Name: name, Country: *country, Type: *typ}
	if *limit > 0 {
		reqBody.Limit = limit
	}
	b, _ := json.Marshal(reqBody)
	ctx, cancel := context.WithTimeout(context.Background(), cf.timeout)
	defer cancel()
	req, err := cf.request(ctx, http.MethodPost, "/v1/screen", bytes.NewReader(b), "application/json")
	if err != nil {
		fmt.Fprintf(stderr, "screener: %v\n", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "screener: %v\n", err)
		return 3
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "screener: %v\n", problemError(resp))
		return 3
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		fmt.Fprintf(stderr, "screener: %v\n", err)
		return 3
	}
	var sr service.ScreenResponse
	if err := json.Unmarshal(raw, &sr); err != nil {
		fmt.Fprintf(stderr, "screener: bad response: %v\n", err)
		return 3
	}
	if *asJSON {
		stdout.Write(raw)
		fmt.Fprintln(stdout)
	} else {
		fmt.Fprintf(stdout, "%q: %d match(es) against list version %s (screening %s)\n", sr.Query.Name, len(sr.Matches), sr.ListVersion, sr.ID)
		if len(sr.Matches) > 0 {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SCORE\tLIST\tNAME\tMATCHED NAME\tID")
			for _, m := range sr.Matches {
				fmt.Fprintf(tw, "%.3f\t%s\t%s\t%s\t%s\n", m.Score, m.List, m.Name, m.MatchedName, m.ID)
			}
			tw.Flush()
		}
	}
	if *require && len(sr.Matches) == 0 {
		fmt.Fprintln(stderr, "screener: no match, and --require-match was given")
		return 1
	}
	return 0
}
