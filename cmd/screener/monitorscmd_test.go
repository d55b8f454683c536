package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cslscreen/screener/client"
	"github.com/cslscreen/screener/service"
)

// Bad flags and arguments are refused before anything is sent, naming the
// problem.
func TestMonitorsUsage(t *testing.T) {
	f := &fakeAPI{}
	server := startFake(t, f)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"frob"}, `unknown command "frob"`},
		{"add nothing", []string{"add"}, "give --reference and --name"},
		{"add no name", []string{"add", "--reference", "c-1"}, "--name is required"},
		{"add blank name", []string{"add", "--reference", "c-1", "--name", "  "}, "--name is required"},
		{"add no reference", []string{"add", "--name", "Acme"}, "--reference is required"},
		{"add a file and a name", []string{"add", "-f", "cps.csv", "--name", "Acme"}, "--name does not go with -f"},
		{"add an empty file name", []string{"add", "-f", ""}, "-f is empty"},
		{"add an argument", []string{"add", "--reference", "c-1", "--name", "Acme", "Ltd"}, `unexpected argument "Ltd"`},
		{"add an unknown flag", []string{"add", "--ref", "c-1"}, "-ref"},
		{"list a bad limit", []string{"list", "--limit", "1001"}, "--limit 1001"},
		{"list an argument", []string{"list", "c-1"}, `unexpected argument "c-1"`},
		{"show no reference", []string{"show"}, "give the counterparty's reference"},
		{"show two references", []string{"show", "c-1", "c-2"}, `unexpected argument "c-2"`},
		{"show an empty reference", []string{"show", ""}, "the reference is empty"},
		{"remove no reference", []string{"remove"}, "give the counterparty's reference"},
		{"remove a flag after", []string{"remove", "c-1", "--bogus"}, "-bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"monitors"}
			if len(tt.args) > 0 {
				args = append(args, tt.args[0], "--server", server)
				args = append(args, tt.args[1:]...)
			}
			var stdout, stderr bytes.Buffer
			code := run(args, strings.NewReader(""), &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q: want %d and %q", code, stderr.String(), exitUsage, tt.want)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"monitors", "help"}, nil, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "screener monitors add") {
		t.Errorf("monitors help: exit %d %q", code, stdout.String())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) != 0 {
		t.Errorf("requests sent with bad flags: %v", f.requests)
	}
}

// TestMonitorsCommands registers counterparties through the CLI against
// the real wiring, one with flags and many from files, lists them a page
// at a time, shows one and removes it.
func TestMonitorsCommands(t *testing.T) {
	m := startMain(t, map[string]string{
		"LIST_FILE": writeEntriesList(t),
		"API_KEYS":  "app:" + keyHash("k-app") + ",other:" + keyHash("k-other"),
	})
	server := "http://" + m.Addr()
	app := apiClient{t, server, "k-app"}
	cli := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		key := "k-app"
		if args[0] == "as-other" {
			key, args = "k-other", args[1:]
		}
		all := append([]string{"monitors", args[0], "--server", server, "--api-key", key}, args[1:]...)
		code := run(all, strings.NewReader(stdin), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	// One counterparty with flags: a listed name raises alerts.
	code, stdout, stderr := cli("", "add", "--reference", "c-uk", "--name", "Kaspersky Labs Limited", "--country", "GB", "--type", "Entity")
	if code != exitOK {
		t.Fatalf("add: exit %d %s", code, stderr)
	}
	var shown service.MonitorResponse
	app.call("GET", "/v1/monitors/c-uk", nil, 200, &shown)
	if shown.Counterparty.Name != "Kaspersky Labs Limited" || shown.Counterparty.Country != "GB" || len(shown.Alerts) == 0 {
		t.Fatalf("registered %+v", shown)
	}
	for _, want := range []string{"REFERENCE", "c-uk", "Kaspersky Labs Limited", "GB", "Entity", "created",
		"1 counterparty(ies): 1 created, 0 updated", "screener decide --alert ID"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("add printed no %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stdout, "; "+itoa(len(shown.Alerts))+" alert(s) raised") {
		t.Errorf("add printed another count of alerts than %d:\n%s", len(shown.Alerts), stdout)
	}
	for _, a := range shown.Alerts {
		if !strings.Contains(stdout, a.ID) {
			t.Errorf("add did not print alert %s:\n%s", a.ID, stdout)
		}
	}
	code, stdout, _ = cli("", "add", "--reference", "c-uk", "--name", "Kaspersky Labs Limited", "--country", "GB", "--type", "Entity")
	if code != exitOK || !strings.Contains(stdout, "updated") || !strings.Contains(stdout, "0 alert(s) raised") || strings.Contains(stdout, "RAISED") {
		t.Errorf("added again: exit %d\n%s", code, stdout)
	}

	// Many from a CSV file and from JSON lines on standard input.
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "cps.csv")
	if err := os.WriteFile(csvFile, []byte("reference,name,country\nf-1,AO Kaspersky Lab,RU\nf-2,Blue Harbour Bakery,GB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = cli("", "add", "-f", csvFile)
	if code != exitOK || !strings.Contains(stdout, "2 counterparty(ies): 2 created") || !strings.Contains(stdout, "f-1") || !strings.Contains(stdout, "Blue Harbour Bakery") {
		t.Errorf("add -f %s: exit %d\n%s\n%s", csvFile, code, stdout, stderr)
	}
	jsonl := `{"reference":"j-1","name":"OOO Kaspersky Lab"}` + "\n" + `{"reference":"j-2","name":"Acme Widgets","type":"Entity"}` + "\n"
	code, stdout, stderr = cli(jsonl, "add", "-f", "-", "--json")
	if code != exitOK {
		t.Fatalf("add -f - --json: exit %d %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var regs []client.Registered
	for dec.More() {
		var r client.Registered
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("add --json: %v\n%s", err, stdout)
		}
		regs = append(regs, r)
	}
	if len(regs) != 2 || regs[0].Counterparty.Reference != "j-1" || len(regs[0].Alerts) == 0 || regs[1].Counterparty.Type != "Entity" || !regs[1].Created {
		t.Errorf("add -f - --json: %+v", regs)
	}

	// Refusals: the server's field, as a flag when one set it.
	for _, tt := range []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"a bad country", "", []string{"add", "--reference", "x", "--name", "Acme", "--country", "Narnia"},
			[]string{"registering x was refused", "HTTP 400", "counterparties[0].country", "check --country"}},
		{"a row without a name", "reference,name\nx,Acme\ny,\n", []string{"add", "-f", "-"},
			[]string{"registering standard input was refused", "HTTP 400", "counterparties[1].name"}},
		{"a CSV without a name column", "reference,nom\nx,Acme\n", []string{"add", "-f", "-"},
			[]string{"HTTP 400", "line 1 name"}},
		{"no such file", "", []string{"add", "-f", filepath.Join(dir, "nope.csv")}, []string{"nope.csv", "no such file"}},
		{"show an unknown reference", "", []string{"show", "nope"}, []string{"reading nope was refused", "HTTP 404"}},
		{"remove an unknown reference", "", []string{"remove", "nope"}, []string{"removing nope was refused", "HTTP 404"}},
		{"another key's counterparty", "", []string{"as-other", "show", "c-uk"}, []string{"HTTP 404"}},
	} {
		code, stdout, stderr := cli(tt.stdin, tt.args...)
		if code != exitError {
			t.Errorf("%s: exit %d, want %d\n%s%s", tt.name, code, exitError, stdout, stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q: %q", tt.name, w, stderr)
			}
		}
	}

	// A page of two says how to read the next; --all reads them all.
	want := []string{"c-uk", "f-1", "f-2", "j-1", "j-2"}
	var paged []string
	args := []string{"list", "--limit", "2"}
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatalf("more pages than counterparties: %q", paged)
		}
		code, stdout, stderr := cli("", args...)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if code != exitOK || len(lines) < 2 || !strings.HasPrefix(lines[0], "REFERENCE") || !strings.HasSuffix(lines[len(lines)-1], "counterparty(ies)") {
			t.Fatalf("list %q: exit %d\n%s\n%s", args, code, stdout, stderr)
		}
		for _, l := range lines[1 : len(lines)-1] {
			paged = append(paged, strings.Fields(l)[0])
		}
		i := strings.Index(stderr, "screener monitors list --limit 2 --cursor ")
		if i < 0 {
			if stderr != "" {
				t.Errorf("the last page printed %q", stderr)
			}
			break
		}
		next := strings.Trim(strings.Fields(stderr[i+len("screener monitors list --limit 2 --cursor "):])[0], "'")
		args = []string{"list", "--limit", "2", "--cursor", next}
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged %q, want %q", paged, want)
	}
	code, stdout, stderr = cli("", "list", "--all", "--limit", "2", "--json")
	dec = json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var every []string
	for dec.More() {
		var cp client.Counterparty
		if err := dec.Decode(&cp); err != nil {
			t.Fatalf("list --json: %v\n%s", err, stdout)
		}
		if cp.KeyID != "app" {
			t.Errorf("listed another key's counterparty: %+v", cp)
		}
		every = append(every, cp.Reference)
	}
	if code != exitOK || stderr != "" || !slices.Equal(every, want) {
		t.Errorf("list --all --json: exit %d %q, read %q, want %q", code, stderr, every, want)
	}
	code, stdout, _ = cli("", "as-other", "list")
	if code != exitOK || strings.TrimSpace(stdout) != "no counterparties" {
		t.Errorf("another key's list: exit %d\n%s", code, stdout)
	}

	// Show, as text and (the flag after the reference) as JSON.
	code, stdout, stderr = cli("", "show", "c-uk")
	if code != exitOK || !strings.Contains(stdout, `counterparty c-uk: "Kaspersky Labs Limited"`) || !strings.Contains(stdout, "country GB, type Entity") ||
		!strings.Contains(stdout, itoa(len(shown.Alerts))+" alert(s)") || !strings.Contains(stdout, shown.Alerts[0].ID) {
		t.Errorf("show: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = cli("", "show", "c-uk", "--json")
	dec = json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var mon client.Monitored
	if err := dec.Decode(&mon); code != exitOK || err != nil || mon.Counterparty.Reference != "c-uk" || len(mon.Alerts) != len(shown.Alerts) {
		t.Errorf("show --json: exit %d %v %+v\n%s", code, err, mon, stderr)
	}

	// Remove: no longer shown, its open alerts closed.
	code, stdout, stderr = cli("", "remove", "c-uk")
	if code != exitOK || !strings.Contains(stdout, "c-uk is no longer monitored") {
		t.Fatalf("remove: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, _, stderr = cli("", "show", "c-uk")
	if code != exitError || !strings.Contains(stderr, "HTTP 404") {
		t.Errorf("show after remove: exit %d %q", code, stderr)
	}
	var open service.AlertsPage
	app.call("GET", "/v1/alerts?reference=c-uk&status=open", nil, 200, &open)
	if len(open.Alerts) != 0 {
		t.Errorf("open alerts after remove: %+v", open.Alerts)
	}
}

func itoa(n int) string { return numbers.Sprint(n) }
