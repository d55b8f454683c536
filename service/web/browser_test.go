package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cslscreen/screener/batch"
	"github.com/cslscreen/screener/lists"
	"github.com/cslscreen/screener/monitor"
	"github.com/cslscreen/screener/screening"
	"github.com/cslscreen/screener/service"
)

// testKey is the API key the test server requires and the analyst types in.
const testKey = "web-test-secret"

// chromium finds the browser, skipping the test when there is none, except
// under CI=true, where .ci/run installs it and its absence is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found on PATH: required under CI=true (apt-get install -y chromium)")
	}
	t.Skip("chromium not found on PATH (apt-get install -y chromium, or set CHROMIUM); skipping the browser test")
	return ""
}

// startServer runs the real service (screening, batches with workers, API
// keys, decisions on matches, and with monitoring its counterparties and
// alerts) on the embedded list loaded as a full, non-built-in list.
func startServer(t *testing.T, monitoring bool) string {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cat := &screening.Catalog{}
	emb := lists.Embedded()
	cat.Load(lists.NewList(lists.Version{Source: "file", Origin: "testdata/embedded-entries", FetchedAt: time.Now().UTC()}, emb.Entries))

	st, err := batch.NewFileStore(t.TempDir(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bm := batch.New(batch.Options{Store: st, Catalog: cat, Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bm.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; bm.Close() })

	sum := sha256.Sum256([]byte(testKey))
	keys, err := service.ParseKeys(strings.NewReader("web:"+hex.EncodeToString(sum[:])+":decide"), "test")
	if err != nil {
		t.Fatal(err)
	}
	opt := service.Options{Catalog: cat, Logger: quiet, Keys: keys, Batches: service.NewBatches(bm, 1<<20, quiet)}
	if monitoring {
		opt.Monitor = monitor.New(monitor.Options{Store: monitor.NewMemoryStore(), Catalog: cat, Logger: quiet})
	}
	ts := httptest.NewServer(service.New(opt).Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// apiCall makes one call of the service's API with the test's key and
// decodes a 200's JSON body into out.
func apiCall(t *testing.T, method, url, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", testKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: %v in %s", method, url, err, b)
	}
}

// TestPageInBrowser drives the page in headless Chromium against the real
// service: screening with and without a key, a match decided a false
// positive with the keyboard and suppressed in the next screening, an
// unscreenable name, a batch from upload to download, and alerts absent
// then decided.
// Screenshots of each step go to $SCREENSHOT_DIR (default a temporary
// directory).
func TestPageInBrowser(t *testing.T) {
	exe := chromium(t)
	shots := os.Getenv("SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	base := startServer(t, true)
	bare := startServer(t, false) // no monitoring: no alerts

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // the test may run as root in a container
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTime()

	// Exceptions in app.js and errors in the browser log (a Content
	// Security Policy violation is one) fail the test; the 401 and 404
	// answers the test provokes are expected, and a 400 from a server that
	// does not take a date of birth.
	cctx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(cctx)
	var problems []string
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			expected := strings.Contains(m.Text, "status of 401") || strings.Contains(m.Text, "status of 404") ||
				strings.Contains(m.Text, "status of 400") && strings.HasSuffix(m.URL, "/v1/screen")
			if m.IsException() || (m.Type == chromedp.ConsoleError && !expected) {
				problems = append(problems, m.String()+" at "+m.URL)
			}
		}
	}()
	// The list of problems is read once the console is stopped.
	checkConsole := func() {
		stopConsole()
		<-consoleDone
		for _, p := range problems {
			t.Errorf("browser console: %s", p)
		}
	}

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	// waitFor polls a JavaScript condition; on timeout it fails with what
	// the page shows.
	waitFor := func(step, cond string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			body, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("main")))
			t.Fatalf("%s: waiting for %s: %v\npage:\n%s", step, cond, err, body)
		}
	}

	// A server without monitoring says it has no alerts; the page loads
	// without a key and asks for one to show alerts.
	run("open a server without alerts", chromedp.Navigate(bare+"/"), chromedp.WaitVisible(chromedp.ID("name")))
	waitFor("alerts absent", `document.getElementById("alerts-status").textContent.includes("Alerts are not available")`)
	run("open", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("name")))
	waitFor("alerts need a key", `document.getElementById("alerts-status").textContent.includes("Enter your API key above to see alerts")`)
	shot("01-start")

	// Keyboard focus is visible: Tab to the skip link, then to the key field.
	for i, want := range []string{"A", "INPUT"} {
		run("tab", chromedp.KeyEvent(kb.Tab))
		focus, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ Tag, Outline, Width string }](
			`(() => { const e = document.activeElement, s = getComputedStyle(e); return {tag: e.tagName, outline: s.outlineStyle, width: s.outlineWidth}; })()`))
		if err != nil {
			t.Fatal(err)
		}
		if focus.Tag != want || focus.Outline != "solid" || focus.Width != "3px" {
			t.Errorf("tab %d: focus on %s with outline %s %s; want %s with a 3px solid outline", i+1, focus.Tag, focus.Outline, focus.Width, want)
		}
	}

	// Screening without the key: a clear message, no result.
	run("screen without key", chromedp.SendKeys(chromedp.ID("name"), "Kaspersky Lab"+kb.Enter))
	waitFor("401 message", `!document.getElementById("screen-error").hidden`)
	if msg := text("#screen-error"); !strings.Contains(msg, "API key is missing or not valid") {
		t.Errorf("401 message %q", msg)
	}
	shot("02-no-key")

	// The key, typed and submitted with Enter, then the name again.
	run("enter key", chromedp.SendKeys(chromedp.ID("api-key"), testKey+kb.Enter))
	waitFor("key saved", `sessionStorage.getItem("screener.apiKey") === "`+testKey+`"`)
	run("screen", chromedp.SendKeys(chromedp.ID("name"), kb.Enter))
	waitFor("match", `document.querySelector("#screen-status[data-status=match]")`)
	if s := text("#screen-status"); s != "Status: MATCH" {
		t.Errorf("status %q", s)
	}
	if s := text("#screen-announce"); s != "Status MATCH: 3 matches." {
		t.Errorf("announced %q", s)
	}
	el, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`article.match[data-list="EL"]`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Kaspersky", "89 FR 52362", "License requirement", "Presumption of denial", "Why it matched", "exact"} {
		if !strings.Contains(el, want) {
			t.Errorf("the EL match does not show %q:\n%s", want, el)
		}
	}
	if !strings.Contains(text("#screen-result"), "List version") {
		t.Error("the answer does not name its list version")
	}
	if hidden, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("screen-error").hidden`)); !hidden {
		t.Error("the 401 message stays after a good answer")
	}
	shot("03-match")
	checkContrast(t, ctx, "#screen-status", ".status-note", ".help", "button", "button[type=button]", ".listref", "th", "code", "dl.facts dt", ".badge",
		".match-decide legend", ".match-decide label")

	// The first match decided a false positive with the keyboard: Space
	// picks the outcome, Enter in the reason submits; without a reason the
	// page asks for one and puts the focus there.
	entry, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#screen-result form.match-decide").dataset.entry`))
	if err != nil || entry == "" {
		t.Fatalf("no decision form on the first match (%q, %v)", entry, err)
	}
	run("decide without a reason", chromedp.Focus(chromedp.ID("decide-0-fp")), chromedp.KeyEvent(" "), chromedp.Focus(chromedp.ID("decide-0-reason")), chromedp.KeyEvent(kb.Enter))
	waitFor("reason asked", `!document.getElementById("decide-0-error").hidden`)
	if msg := text("#decide-0-error"); !strings.Contains(msg, "give a reason") {
		t.Errorf("no reason: %q", msg)
	}
	if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); f != "decide-0-reason" {
		t.Errorf("after a missing reason the focus is on %q, want the reason", f)
	}
	run("decide a match", chromedp.SendKeys(chromedp.ID("decide-0-reason"), "a namesake, checked the address"+kb.Enter))
	waitFor("match decided", `!!document.getElementById("decide-0-status").dataset.decision`)
	decision, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("decide-0-status").dataset.decision`))
	if err != nil || !strings.HasPrefix(decision, "dc_") {
		t.Fatalf("decision id %q, %v", decision, err)
	}
	if s := text("#decide-0-status"); !strings.Contains(s, "Decided: false positive — a namesake, checked the address (decision "+decision+")") {
		t.Errorf("decided status %q", s)
	}
	if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); f != "decide-0-status" {
		t.Errorf("after deciding the focus is on %q, want the status", f)
	}
	shot("03a-match-decided")
	run("screen again", chromedp.SendKeys(chromedp.ID("name"), kb.Enter))
	waitFor("suppressed", `document.querySelector("#screen-suppressed li[data-decision='`+decision+`']")`)
	if s := text("#screen-announce"); s != "Status MATCH: 2 matches; 1 suppressed by decisions." {
		t.Errorf("announced %q", s)
	}
	if s := text("#screen-suppressed"); !strings.Contains(s, entry) || !strings.Contains(s, "suppressed by decision "+decision) {
		t.Errorf("the suppressed match: %q", s)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#screen-result article form.match-decide[data-entry='`+entry+`']").length`)); n != 0 {
		t.Error("the suppressed entry is still among the matches")
	}
	shot("03b-suppressed")
	checkContrast(t, ctx, "#screen-suppressed h3", "#screen-suppressed li")

	// A date of birth is sent; a server that does not screen by it yet
	// refuses the field, and the page screens the name without it and says so.
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("screen-result").dataset.id`))
	if err != nil || before == "" {
		t.Fatalf("the answer's id is not on the page (%q, %v)", before, err)
	}
	run("screen with a date of birth", chromedp.SendKeys(chromedp.ID("dob"), "1997"+kb.Enter))
	waitFor("answer with a date of birth", `(() => { const r = document.getElementById("screen-result"); return r.dataset.id && r.dataset.id !== "`+before+`" || !document.getElementById("screen-error").hidden; })()`)
	if s := text("#screen-announce"); !strings.HasPrefix(s, "Status MATCH") {
		t.Errorf("with a date of birth: announced %q", s)
	}
	// Either the server took the date (its echo of the query has it) or
	// the page says it screened without it.
	if s := text("#screen-result"); !strings.Contains(s, "date of birth 1997") && !strings.Contains(s, "does not screen by date of birth") {
		t.Errorf("with a date of birth, the answer neither echoes it nor says it was left out:\n%s", s)
	}
	if hidden, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("screen-error").hidden`)); !hidden {
		t.Errorf("screening with a date of birth failed: %s", text("#screen-error"))
	}
	shot("03c-date-of-birth")
	run("clear the date of birth", chromedp.Evaluate[chromedp.Void](`document.getElementById("dob").value = ""`))

	// A name that cannot be read: unscreenable, with its warning, never clear.
	run("screen !!!", chromedp.Evaluate[chromedp.Void](`document.getElementById("name").value = ""`), chromedp.SendKeys(chromedp.ID("name"), "!!!"+kb.Enter))
	waitFor("unscreenable", `document.querySelector("#screen-status[data-status=unscreenable]")`)
	res := text("#screen-result")
	for _, want := range []string{"Status: UNSCREENABLE", "Not clear", "name_unscreenable"} {
		if !strings.Contains(res, want) {
			t.Errorf("the unscreenable answer does not show %q:\n%s", want, res)
		}
	}
	if s := text("#screen-announce"); s != "Status UNSCREENABLE: 0 matches; warnings: name_unscreenable." {
		t.Errorf("announced %q", s)
	}
	if strings.Contains(res, "CLEAR") {
		t.Errorf("an unscreenable answer reads as clear:\n%s", res)
	}
	shot("04-unscreenable")
	checkContrast(t, ctx, "#screen-status", ".warnings li")

	// A batch: upload, progress to done, download the CSV results.
	csv := filepath.Join(t.TempDir(), "names.csv")
	if err := os.WriteFile(csv, []byte("reference,name,country\nC1,Kaspersky Lab,RU\nC2,Acme Widgets Ltd,US\nC3,!!!,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("upload", chromedp.SetUploadFiles(chromedp.ID("batch-file"), []string{csv}), chromedp.Click(chromedp.ID("batch-submit")))
	waitFor("batch done", `document.getElementById("batch-status").dataset.status === "done"`)
	counts := text("#batch-counts")
	for _, want := range []string{"Rows3", "Screened3", "With matches1", "Unscreenable1"} {
		if !strings.Contains(counts, want) {
			t.Errorf("batch counts %q lack %q", counts, want)
		}
	}
	shot("05-batch-done")

	downloads := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	run("download", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptr(true),
		})
		return err
	}), chromedp.Click(chromedp.ID("batch-csv")))
	var got []byte
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			if got, err = os.ReadFile(filepath.Join(downloads, ev.GUID)); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "line,reference,name") || !strings.Contains(lines[1], "Kaspersky") || !strings.Contains(lines[1], "match") {
		t.Errorf("downloaded results:\n%s", got)
	}
	waitFor("download noted", `document.getElementById("batch-download-status").textContent.includes("Results downloaded")`)

	// Alerts: a counterparty registered through the API raises a real one,
	// which the page lists and an analyst decides with the keyboard.
	var reg struct {
		Counterparties []monitor.Registered `json:"counterparties"`
	}
	apiCall(t, "POST", base+"/v1/monitors", `{"counterparties":[{"reference":"CP-7","name":"Kaspersky Labs Limited"}]}`, &reg)
	if len(reg.Counterparties) != 1 || len(reg.Counterparties[0].Alerts) == 0 {
		t.Fatalf("registering a listed name raised no alert: %+v", reg)
	}
	al := reg.Counterparties[0].Alerts[0].ID
	row := `#alerts-list tr[data-alert=` + al + `]`
	run("alerts", chromedp.Click(chromedp.ID("alerts-load")))
	waitFor("alerts listed", `document.querySelector("`+row+` form")`)
	shot("06-alerts")
	run("decide",
		chromedp.Click(chromedp.ID("alert-"+al+"-fp")),
		chromedp.SendKeys(chromedp.ID("alert-"+al+"-reason"), "different company, same words"+kb.Enter))
	waitFor("decided", `document.getElementById("alerts-status").textContent.includes("decided: false positive")`)
	waitFor("decided row gone from the open alerts", `!document.querySelector("`+row+`")`)
	run("all alerts", chromedp.Click(chromedp.ID("alerts-open")))
	waitFor("decided row", `(document.querySelector("`+row+` td.state") || {}).textContent === "closed: false positive (by web) — different company, same words"`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("`+row+` form").length`)); n != 0 {
		t.Error("a closed alert can still be decided")
	}
	shot("07-decided")
	var kept monitor.Alert
	apiCall(t, "GET", base+"/v1/alerts/"+al, "", &kept)
	if kept.Status != "closed" || kept.Decision == nil || kept.Decision.Outcome != "false_positive" ||
		kept.Decision.Reason != "different company, same words" || kept.Decision.DecidedBy != "web" {
		t.Errorf("the alert as the API keeps it: status %q, decision %+v", kept.Status, kept.Decision)
	}

	checkConsole()
	t.Logf("screenshots in %s", shots)
}

func ptr[T any](v T) *T { return &v }

// contrastJS computes, for the first element a selector finds, the WCAG
// contrast ratio of its text colour on the first opaque background behind
// it, and whether its text is large (AA asks 4.5:1, or 3:1 for large text).
const contrastJS = `((sel) => {
  const e = document.querySelector(sel);
  if (!e) return {missing: true};
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let bg = [255, 255, 255];
  for (let n = e; n; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { bg = c; break; }
  }
  const st = getComputedStyle(e);
  const fg = rgb(st.color);
  const [a, b] = [lum(fg) + 0.05, lum(bg) + 0.05];
  const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
  return {ratio: Math.max(a, b) / Math.min(a, b), large: size >= 24 || (bold && size >= 18.66)};
})`

// checkContrast fails for an element whose text does not meet WCAG AA.
func checkContrast(t *testing.T, ctx context.Context, selectors ...string) {
	t.Helper()
	for _, sel := range selectors {
		q, _ := json.Marshal(sel)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
			Missing bool
			Ratio   float64
			Large   bool
		}](contrastJS+"("+string(q)+")"))
		if err != nil {
			t.Fatalf("contrast of %s: %v", sel, err)
		}
		want := 4.5
		if got.Large {
			want = 3
		}
		switch {
		case got.Missing:
			t.Errorf("contrast: nothing matches %s", sel)
		case got.Ratio < want:
			t.Errorf("contrast of %s is %.2f:1, want at least %.1f:1", sel, got.Ratio, want)
		}
	}
}
