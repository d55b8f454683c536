package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cslscreen/screener/client"
	"github.com/cslscreen/screener/service"
)

// Bad flags are refused before anything is sent, naming the flag.
func TestDecideUsage(t *testing.T) {
	f := &fakeAPI{}
	server := startFake(t, f)
	match := []string{"--entry", "e1", "--name", "Acme", "--outcome", "false_positive", "--reason", "a namesake"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no outcome", []string{"--entry", "e1", "--name", "Acme", "--reason", "r"}, "--outcome is required"},
		{"bad outcome", []string{"--entry", "e1", "--name", "Acme", "--outcome", "fp", "--reason", "r"}, `--outcome "fp"`},
		{"no reason", []string{"--entry", "e1", "--name", "Acme", "--outcome", "true_match"}, "--reason is required"},
		{"blank reason", []string{"--entry", "e1", "--name", "Acme", "--outcome", "true_match", "--reason", "  "}, "--reason is required"},
		{"no entry", []string{"--name", "Acme", "--outcome", "true_match", "--reason", "r"}, "--entry is required"},
		{"no name", []string{"--entry", "e1", "--outcome", "true_match", "--reason", "r"}, "--name is required"},
		{"screening and batch", append(match, "--screening-id", "s1", "--batch-job", "j1", "--batch-row", "2"), "--screening-id and --batch-job"},
		{"row without job", append(match, "--batch-row", "2"), "--batch-row needs --batch-job"},
		{"row zero", append(match, "--batch-job", "j1", "--batch-row", "0"), "--batch-row 0"},
		{"alert with entry", []string{"--alert", "al_1", "--entry", "e1", "--outcome", "true_match", "--reason", "r"}, "--entry does not go with --alert"},
		{"alert with for-key", []string{"--alert", "al_1", "--for-key", "app", "--outcome", "true_match", "--reason", "r"}, "--for-key does not go with --alert"},
		{"empty alert", []string{"--alert", "", "--outcome", "true_match", "--reason", "r"}, "--alert is empty"},
		{"an argument", append(match, "Ltd"), `unexpected argument "Ltd"`},
		{"unknown flag", append(match, "--entry-id", "e1"), "-entry-id"},
		{"not a number", append(match, "--batch-job", "j1", "--batch-row", "two"), "-batch-row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"decide", "--server", server}, tt.args...), nil, &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q: want %d and %q", code, stderr.String(), exitUsage, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"decisions", "--outcome", "maybe"}, `--outcome "maybe"`},
		{[]string{"decisions", "--limit", "1001"}, "--limit 1001"},
		{[]string{"decisions", "--limit", "-1"}, "--limit -1"},
		{[]string{"decisions", "now"}, `unexpected argument "now"`},
		{[]string{"alerts", "--status", "pending"}, `--status "pending"`},
		{[]string{"alerts", "--limit", "5000"}, "--limit 5000"},
		{[]string{"alerts", "c-1"}, `unexpected argument "c-1"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{tt.args[0], "--server", server}, tt.args[1:]...), nil, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q: want %d and %q", tt.args, code, stderr.String(), exitUsage, tt.want)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) != 0 {
		t.Errorf("requests sent with bad flags: %v", f.requests)
	}
}

// TestDecideAndDecisions decides a match of a screening and an alert
// through the CLI against the real wiring, with keys and scopes, then
// lists the decisions as a table, a page at a time and as JSON lines.
func TestDecideAndDecisions(t *testing.T) {
	m := startMain(t, map[string]string{
		"LIST_FILE": writeEntriesList(t),
		"API_KEYS":  "app:" + keyHash("k-app") + ",analyst:" + keyHash("k-analyst") + ":decide",
	})
	server := "http://" + m.Addr()
	app := apiClient{t, server, "k-app"}
	cli := func(key string, args ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := run(append([]string{args[0], "--server", server, "--api-key", key}, args[1:]...), nil, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	var sr service.ScreenResponse
	app.call("POST", "/v1/screen", map[string]any{"name": "AO Kaspersky Lab"}, 200, &sr)
	if len(sr.Matches) == 0 || sr.Matches[0].ID != idAOKaspersky {
		t.Fatalf("the screening: %+v", sr.Matches)
	}
	decideMatch := []string{"decide", "--entry", idAOKaspersky, "--source", "EL", "--name", "AO Kaspersky Lab",
		"--outcome", "false_positive", "--reason", "a namesake in Leeds", "--screening-id", sr.ID}

	// The application's key may not decide; the server's refusal is shown.
	code, _, stderr := cli("k-app", decideMatch...)
	if code != exitError || !strings.Contains(stderr, "HTTP 403") || !strings.Contains(stderr, "decide scope") {
		t.Errorf("decided without the scope: exit %d %q", code, stderr)
	}
	// A problem naming a field names its flag.
	code, _, stderr = cli("k-analyst", append(decideMatch, "--for-key", "not a key!")...)
	if code != exitError || !strings.Contains(stderr, "HTTP 400") || !strings.Contains(stderr, "key_id") || !strings.Contains(stderr, "check --for-key") {
		t.Errorf("a bad key id: exit %d %q", code, stderr)
	}
	code, _, stderr = cli("k-analyst", "decide", "--entry", "no-such-entry", "--name", "x", "--outcome", "true_match", "--reason", "r")
	if code != exitError || !strings.Contains(stderr, "HTTP 404") {
		t.Errorf("an unknown entry: exit %d %q", code, stderr)
	}

	code, stdout, stderr := cli("k-analyst", append(decideMatch, "--for-key", "app")...)
	if code != exitOK {
		t.Fatalf("decide: exit %d %s", code, stderr)
	}
	for _, want := range []string{"FALSE_POSITIVE", `"AO Kaspersky Lab"`, "screening " + sr.ID, "entry " + idAOKaspersky, "covers key app, decided by analyst", "reason: a namesake in Leeds", "suppressed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("decide printed no %q:\n%s", want, stdout)
		}
	}
	app.call("POST", "/v1/screen", map[string]any{"name": "AO Kaspersky Lab"}, 200, &sr)
	if len(sr.Suppressed) != 1 || sr.Suppressed[0].ID != idAOKaspersky || !strings.Contains(stdout, "decision "+sr.Suppressed[0].SuppressedBy+":") {
		t.Errorf("the next screening suppressed %+v; decide printed\n%s", sr.Suppressed, stdout)
	}
	matchDecision := sr.Suppressed[0].SuppressedBy

	// An alert of a monitored counterparty, decided with --json.
	var reg service.RegisterResponse
	app.call("POST", "/v1/monitors", service.RegisterRequest{Counterparties: []service.CounterpartyInput{{Reference: "c-uk", Name: "Kaspersky Labs Limited"}}}, 200, &reg)
	if len(reg.Counterparties) != 1 || len(reg.Counterparties[0].Alerts) == 0 {
		t.Fatalf("registered %+v", reg)
	}
	alertID := reg.Counterparties[0].Alerts[0].ID
	code, stdout, stderr = cli("k-app", "alerts", "--reference", "c-uk", "--status", "open")
	if code != exitOK || !strings.Contains(stdout, alertID) || !strings.Contains(stdout, "Kaspersky Labs Limited") ||
		!strings.Contains(stdout, fmt.Sprintf("%d alert(s)", len(reg.Counterparties[0].Alerts))) {
		t.Errorf("alerts: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, _, stderr = cli("k-app", "alerts", "--key", "analyst")
	if code != exitError || !strings.Contains(stderr, "HTTP 400") || !strings.Contains(stderr, "check --key") {
		t.Errorf("another key's alerts without the scope: exit %d %q", code, stderr)
	}
	code, stdout, stderr = cli("k-analyst", "decide", "--alert", alertID, "--outcome", "true_match", "--reason", "it is them", "--json")
	if code != exitOK {
		t.Fatalf("decide --alert: exit %d %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var ad client.AlertDecision
	if err := dec.Decode(&ad); err != nil || ad.Alert.ID != alertID || ad.Alert.Status != client.AlertClosed || ad.Decision.Outcome != client.TrueMatch || ad.Decision.Reference != "c-uk" {
		t.Fatalf("decide --alert --json: %v %+v\n%s", err, ad, stdout)
	}
	code, _, stderr = cli("k-analyst", "decide", "--alert", alertID, "--outcome", "false_positive", "--reason", "changed my mind")
	if code != exitError || !strings.Contains(stderr, "HTTP 409") || !strings.Contains(stderr, "alert "+alertID) {
		t.Errorf("a second decision on the alert: exit %d %q", code, stderr)
	}
	code, stdout, stderr = cli("k-analyst", "alerts", "--status", "closed", "--key", "app", "--all", "--limit", "1", "--json")
	dec = json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var closed client.Alert
	if err := dec.Decode(&closed); code != exitOK || err != nil || closed.ID != alertID || closed.ClosedReason != "decided" || closed.Decision == nil || dec.More() {
		t.Errorf("the closed alerts: exit %d %v %+v\n%s\n%s", code, err, closed, stdout, stderr)
	}

	// The table: newest first, both decisions, for the owning key.
	code, stdout, stderr = cli("k-app", "decisions")
	if code != exitOK {
		t.Fatalf("decisions: exit %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "DECIDED") || lines[3] != "2 decision(s)" {
		t.Fatalf("the table:\n%s", stdout)
	}
	for i, want := range [][]string{
		{ad.Decision.ID, "true_match", "c-uk", "alert " + alertID, "it is them"},
		{matchDecision, "false_positive", "AO Kaspersky Lab", " EL ", "screening ", "a namesake in Leeds", "analyst"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("row %d lacks %q: %q", i+1, w, lines[i+1])
			}
		}
	}
	if stderr != "" {
		t.Errorf("a last page printed %q", stderr)
	}

	// A page of one says how to read the next; --all reads them all.
	code, stdout, stderr = cli("k-analyst", "decisions", "--limit", "1", "--key", "app")
	if code != exitOK || strings.Count(stdout, "\n") != 3 || !strings.Contains(stdout, ad.Decision.ID) || !strings.Contains(stderr, "screener decisions --key app --limit 1 --cursor ") {
		t.Errorf("a page of one: exit %d\n%s\n%s", code, stdout, stderr)
	}
	next := stderr[strings.Index(stderr, "--cursor ")+len("--cursor "):]
	next = strings.Trim(strings.Fields(next)[0], "'")
	code, stdout, _ = cli("k-analyst", "decisions", "--limit", "1", "--key", "app", "--cursor", next)
	if code != exitOK || !strings.Contains(stdout, matchDecision) || strings.Contains(stdout, ad.Decision.ID) {
		t.Errorf("the next page: exit %d\n%s", code, stdout)
	}
	code, stdout, stderr = cli("k-analyst", "decisions", "--limit", "1", "--all", "--json")
	if code != exitOK || stderr != "" {
		t.Fatalf("--all --json: exit %d %s", code, stderr)
	}
	var got []string
	dec = json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	for dec.More() {
		var d client.Decision
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("--json: %v\n%s", err, stdout)
		}
		got = append(got, d.ID)
	}
	if strings.Join(got, " ") != ad.Decision.ID+" "+matchDecision {
		t.Errorf("--all --json: %v, want %s then %s", got, ad.Decision.ID, matchDecision)
	}
	code, stdout, _ = cli("k-analyst", "decisions", "--outcome", "false_positive")
	if code != exitOK || !strings.Contains(stdout, matchDecision) || strings.Contains(stdout, ad.Decision.ID) || !strings.Contains(stdout, "1 decision(s)") {
		t.Errorf("--outcome false_positive: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = cli("k-analyst", "decisions", "--key", "nobody")
	if code != exitOK || strings.TrimSpace(stdout) != "no decisions" {
		t.Errorf("another key's: exit %d\n%s", code, stdout)
	}
	code, _, stderr = cli("k-app", "decisions", "--key", "analyst")
	if code != exitError || !strings.Contains(stderr, "HTTP 400") || !strings.Contains(stderr, "check --key") {
		t.Errorf("another key's without the scope: exit %d %q", code, stderr)
	}

	// A match of a batch row: where it was shown is recorded as given.
	code, stdout, stderr = cli("k-analyst", "decide", "--entry", idOOOKaspersky, "--name", "Kaspersky Labs Limited", "--reference", "R9",
		"--batch-job", "0123456789abcdef01234567", "--batch-row", "3", "--outcome", "true_match", "--reason", "same owners", "--json")
	var row client.Decision
	if err := json.Unmarshal([]byte(stdout), &row); code != exitOK || err != nil || row.BatchJob != "0123456789abcdef01234567" || row.BatchRow != 3 ||
		row.Reference != "R9" || row.KeyID != "analyst" || row.ScreeningID != "" {
		t.Errorf("decide a batch row's match: exit %d %v %+v\n%s", code, err, row, stderr)
	}
	code, stdout, _ = cli("k-analyst", "decisions", "--key", "analyst")
	if code != exitOK || !strings.Contains(stdout, "batch 0123456789abcdef01234567 line 3") || !strings.Contains(stdout, "1 decision(s)") {
		t.Errorf("the batch row's decision: exit %d\n%s", code, stdout)
	}
}
