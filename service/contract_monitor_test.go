package service

import (
	"encoding/json"
	"testing"
)

// plainKey has the screen scope only.
const plainKey = "contract-plain-key"

// monitorContractCases registers counterparties, decides one alert a false
// positive, and returns the cases of the monitoring routes.
func monitorContractCases(t *testing.T, s *Server, auth []string) []contractCase {
	t.Helper()
	h := s.Handler()
	register := func(body string) RegisterResponse {
		w := do(t, h, "POST", "/v1/monitors", "application/json", body, auth...)
		if w.Code != 200 {
			t.Fatalf("register: %d %s", w.Code, w.Body)
		}
		var r RegisterResponse
		json.Unmarshal(w.Body.Bytes(), &r)
		return r
	}
	fp := register(`{"counterparties":[{"reference":"c-fp","name":"Kaspersky Labs Limited"}]}`)
	one := register(`{"counterparties":[{"reference":"c-1","name":"AO Kaspersky Lab","country":"RU"},{"reference":"c-del","name":"Acme"}]}`)
	if len(fp.Counterparties[0].Alerts) == 0 || len(one.Counterparties[0].Alerts) == 0 {
		t.Fatalf("registration raised no alerts: %+v %+v", fp, one)
	}
	fpAlert, toDecide := fp.Counterparties[0].Alerts[0].ID, one.Counterparties[0].Alerts[0].ID
	if w := do(t, h, "POST", "/v1/alerts/"+fpAlert+"/decision", "application/json", `{"outcome":"false_positive","reason":"not them"}`, auth...); w.Code != 200 {
		t.Fatalf("decide: %d %s", w.Code, w.Body)
	}
	w := do(t, h, "POST", "/v1/decisions", "application/json", `{"name":"AO Kaspersky Lab","entry_id":"`+idAOKaspersky+`","outcome":"true_match","reason":"the same company"}`, auth...)
	if w.Code != 201 {
		t.Fatalf("decide a match: %d %s", w.Code, w.Body)
	}
	var matchDecision struct{ ID string }
	json.Unmarshal(w.Body.Bytes(), &matchDecision)
	version := s.catalog.Current().List.Version.ID
	plain := []string{"Authorization", "Bearer " + plainKey}
	return []contractCase{
		{name: "screen suppressed", method: "POST", path: "/v1/screen", contentType: "application/json", body: `{"name":"Kaspersky Labs Limited"}`, headers: auth, status: 200},
		{name: "monitors register", method: "POST", path: "/v1/monitors", contentType: "application/json", body: `{"counterparties":[{"reference":"c-2","name":"OOO Kaspersky Group","type":"entity"},{"reference":"c-3","name":"Zzyzx Plumbing"}]}`, headers: auth, status: 200},
		{name: "monitors register csv", method: "POST", path: "/v1/monitors", contentType: "text/csv", body: "reference,name\nc-4,Zzyzx Qwertyuiop Plumbing\n", headers: auth, status: 200},
		{name: "monitors register jsonl", method: "POST", path: "/v1/monitors", contentType: "application/x-ndjson", body: `{"reference":"c-5","name":"Zzyzx"}` + "\n", headers: auth, status: 200},
		{name: "monitors register empty", method: "POST", path: "/v1/monitors", contentType: "application/json", body: `{"counterparties":[]}`, headers: auth, status: 400, invalid: true},
		{name: "monitors register no reference", method: "POST", path: "/v1/monitors", contentType: "application/json", body: `{"counterparties":[{"name":"x"}]}`, headers: auth, status: 400, invalid: true},
		{name: "monitors list", method: "GET", path: "/v1/monitors?limit=2", headers: auth, status: 200},
		{name: "monitors bad limit", method: "GET", path: "/v1/monitors?limit=0", headers: auth, status: 400, invalid: true},
		{name: "monitor", method: "GET", path: "/v1/monitors/c-1", headers: auth, status: 200},
		{name: "monitor missing", method: "GET", path: "/v1/monitors/nobody", headers: auth, status: 404},
		{name: "monitor delete", method: "DELETE", path: "/v1/monitors/c-del", headers: auth, status: 204},
		{name: "monitor delete missing", method: "DELETE", path: "/v1/monitors/c-del", headers: auth, status: 404},
		{name: "alerts", method: "GET", path: "/v1/alerts", headers: auth, status: 200},
		{name: "alerts filtered", method: "GET", path: "/v1/alerts?status=closed&reference=c-fp&list=EL&limit=1", headers: auth, status: 200},
		{name: "alerts bad status", method: "GET", path: "/v1/alerts?status=maybe", headers: auth, status: 400, invalid: true},
		{name: "alert", method: "GET", path: "/v1/alerts/" + fpAlert, headers: auth, status: 200},
		{name: "alert missing", method: "GET", path: "/v1/alerts/al_nope", headers: auth, status: 404},
		{name: "decision", method: "POST", path: "/v1/alerts/" + toDecide + "/decision", contentType: "application/json", body: `{"outcome":"true_match","reason":"the same company"}`, headers: auth, status: 200},
		{name: "decision again", method: "POST", path: "/v1/alerts/" + fpAlert + "/decision", contentType: "application/json", body: `{"outcome":"true_match","reason":"changed my mind"}`, headers: auth, status: 409},
		{name: "decision bad outcome", method: "POST", path: "/v1/alerts/" + toDecide + "/decision", contentType: "application/json", body: `{"outcome":"maybe","reason":"x"}`, headers: auth, status: 400, invalid: true},
		{name: "decision without scope", method: "POST", path: "/v1/alerts/" + toDecide + "/decision", contentType: "application/json", body: `{"outcome":"true_match","reason":"x"}`, headers: plain, status: 403},
		{name: "decide match", method: "POST", path: "/v1/decisions", contentType: "application/json", body: `{"name":"Kaspersky Lab","reference":"r-9","entry_id":"` + idAOKaspersky + `","source":"EL","outcome":"false_positive","reason":"a shop in Leeds","screening_id":"0190b4c6-0b5e-7a3c-9d1e-2f3a4b5c6d7e"}`, headers: auth, status: 201},
		{name: "decide match in a batch row", method: "POST", path: "/v1/decisions", contentType: "application/json", body: `{"key_id":"plain","name":"Kaspersky Lab","entry_id":"` + idAOKaspersky + `","outcome":"false_positive","reason":"x","batch_job":"b_1","batch_row":2}`, headers: auth, status: 201},
		{name: "decide match unknown entry", method: "POST", path: "/v1/decisions", contentType: "application/json", body: `{"name":"Kaspersky Lab","entry_id":"no-such-entry","outcome":"false_positive","reason":"x"}`, headers: auth, status: 404},
		{name: "decide match no name", method: "POST", path: "/v1/decisions", contentType: "application/json", body: `{"name":"","entry_id":"x","outcome":"false_positive","reason":"x"}`, headers: auth, status: 400, invalid: true},
		{name: "decide match no reason", method: "POST", path: "/v1/decisions", contentType: "application/json", body: `{"name":"x","entry_id":"x","outcome":"false_positive"}`, headers: auth, status: 400, invalid: true},
		{name: "decide match row without job", method: "POST", path: "/v1/decisions", contentType: "application/json", body: `{"name":"x","entry_id":"` + idAOKaspersky + `","outcome":"false_positive","reason":"x","batch_row":3}`, headers: auth, status: 400},
		{name: "decide match without scope", method: "POST", path: "/v1/decisions", contentType: "application/json", body: `{"name":"x","entry_id":"x","outcome":"true_match","reason":"x"}`, headers: plain, status: 403},
		{name: "decisions", method: "GET", path: "/v1/decisions?limit=2", headers: auth, status: 200},
		{name: "decisions of a key", method: "GET", path: "/v1/decisions?outcome=false_positive", headers: plain, status: 200},
		{name: "decisions bad outcome", method: "GET", path: "/v1/decisions?outcome=maybe", headers: auth, status: 400, invalid: true},
		{name: "decision by id", method: "GET", path: "/v1/decisions/" + matchDecision.ID, headers: auth, status: 200},
		{name: "decision by id of another key", method: "GET", path: "/v1/decisions/" + matchDecision.ID, headers: plain, status: 404},
		{name: "decision missing", method: "GET", path: "/v1/decisions/dc_nope", headers: auth, status: 404},
		{name: "list diff", method: "GET", path: "/v1/lists/diff?from=" + version + "&to=" + version, headers: auth, status: 200},
		{name: "list diff gone", method: "GET", path: "/v1/lists/diff?from=0000000000000000", headers: auth, status: 404},
		{name: "version entry", method: "GET", path: "/v1/lists/versions/" + version + "/entries/" + idAOKaspersky, headers: auth, status: 200},
		{name: "version entry gone", method: "GET", path: "/v1/lists/versions/0000000000000000/entries/" + idAOKaspersky, headers: auth, status: 404},
	}
}
