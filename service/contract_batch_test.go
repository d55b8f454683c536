package service

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"testing"
	"time"
)

// batchContractCases are the contract test's requests to the batch routes.
// It makes two jobs first (one to read, one to delete) so the cases can
// name them.
func batchContractCases(t *testing.T, s *Server, auth []string) []contractCase {
	t.Helper()
	csv := "reference,name,country,customer_segment\nC-1,Kaspersky Lab,RU,retail\nC-2,Zzyzx Qwertyuiop Plumbing,US,smb\nC-3,,GB,retail\n"
	create := func() string {
		w := do(t, s.Handler(), "POST", "/v1/batches", "text/csv", csv, auth...)
		if w.Code != 202 {
			t.Fatalf("create: %d %s", w.Code, w.Body)
		}
		var st BatchStatus
		json.Unmarshal(w.Body.Bytes(), &st)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			json.Unmarshal(do(t, s.Handler(), "GET", "/v1/batches/"+st.ID, "", "", auth...).Body.Bytes(), &st)
			if st.Status == "done" {
				return st.ID
			}
		}
		t.Fatalf("job %s did not finish", st.ID)
		return ""
	}
	read, del := create(), create()

	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "names.csv")
	fw.Write([]byte(csv))
	mw.Close()

	jsonl := `{"reference":"J-1","name":"OOO Kaspersky Group"}` + "\n" + `{"reference":"J-2","name":7}` + "\n"
	return []contractCase{
		{name: "batch create", method: "POST", path: "/v1/batches", contentType: "text/csv", body: csv, headers: auth, status: 202},
		{name: "batch create multipart", method: "POST", path: "/v1/batches", contentType: mw.FormDataContentType(), body: mp.String(), headers: auth, status: 202},
		{name: "batch wait csv", method: "POST", path: "/v1/batches?wait=true", contentType: "text/csv", body: csv, headers: auth, status: 200},
		{name: "batch wait jsonl", method: "POST", path: "/v1/batches?wait=true", contentType: "application/x-ndjson", body: jsonl, headers: auth, status: 200},
		{name: "batch no name column", method: "POST", path: "/v1/batches", contentType: "text/csv", body: "reference,company\n1,Acme\n", headers: auth, status: 400},
		{name: "batch bad format", method: "POST", path: "/v1/batches?wait=true&format=xlsx", contentType: "text/csv", body: csv, headers: auth, status: 400, invalid: true},
		{name: "batch unsupported type", method: "POST", path: "/v1/batches", contentType: "application/pdf", body: "%PDF-1.4", headers: auth, status: 415, invalid: true},
		{name: "batch no key", method: "POST", path: "/v1/batches", contentType: "text/csv", body: csv, status: 401},
		{name: "batch status", method: "GET", path: "/v1/batches/" + read, headers: auth, status: 200},
		{name: "batch status missing", method: "GET", path: "/v1/batches/nope", headers: auth, status: 404},
		{name: "batch results csv", method: "GET", path: "/v1/batches/" + read + "/results", headers: auth, status: 200},
		{name: "batch results jsonl", method: "GET", path: "/v1/batches/" + read + "/results?format=jsonl", headers: auth, status: 200},
		{name: "batch results by accept", method: "GET", path: "/v1/batches/" + read + "/results", headers: append([]string{"Accept", "application/x-ndjson"}, auth...), status: 200},
		{name: "batch results missing", method: "GET", path: "/v1/batches/nope/results", headers: auth, status: 404},
		{name: "batch delete", method: "DELETE", path: "/v1/batches/" + del, headers: auth, status: 204},
		{name: "batch delete missing", method: "DELETE", path: "/v1/batches/nope", headers: auth, status: 404},
	}
}
