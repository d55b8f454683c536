//go:build faults

package faults

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The attacks of the hardening issue, one request each, against one
// replica with API keys on and BATCH_MAX_BYTES at 32 MiB. After each the
// replica must be up and its RSS below attackRSSLimit.
const (
	attackKey       = "faults-harness-secret"
	attackMaxBytes  = 32 << 20
	attackRSSLimit  = 300 << 10 // KiB
	attackRSSCap    = 1 << 20   // KiB: the harness kills a replica past 1 GiB
	attackCPULimit  = 5 * time.Second
	attackRespLimit = 60 * time.Second // functional deadline of one attack request
)

func attackReplica(t *testing.T) *replica {
	env, _ := listEnv(t)
	sum := sha256.Sum256([]byte(attackKey))
	env["API_KEYS"] = "faults:" + hex.EncodeToString(sum[:]) + ":admin"
	env["BATCH_MAX_BYTES"] = fmt.Sprint(attackMaxBytes)
	return startReplicaCapped(t, "A", env, attackRSSCap)
}

// gz compresses s as one gzip member; members concatenate into one valid
// gzip stream, so a huge repetitive body costs one small compression.
func gz(s string) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// attackResult is what one attack request did to the replica.
type attackResult struct {
	status int
	err    error
	took   time.Duration
	cpu    time.Duration
}

// upload POSTs body to /v1/batches with the API key and the headers given.
func upload(t *testing.T, rep *replica, body []byte, header map[string]string) attackResult {
	t.Helper()
	cpu0, _ := procCPU(rep.pid())
	req, err := http.NewRequest(http.MethodPost, rep.base+"/v1/batches", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+attackKey)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	res := attackResult{}
	resp, err := (&http.Client{Timeout: attackRespLimit}).Do(req)
	if err == nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 400))
		resp.Body.Close()
		res.status = resp.StatusCode
		t.Logf("answer %d: %s", resp.StatusCode, b)
	}
	res.err, res.took = err, time.Since(start)
	if cpu1, err := procCPU(rep.pid()); err == nil {
		res.cpu = cpu1 - cpu0
	}
	return res
}

// afterAttack checks the replica is up (it answers /healthz) and small.
func afterAttack(t *testing.T, r *row, rep *replica) {
	t.Helper()
	if kb := rep.cappedAt.Load(); kb > 0 {
		r.rss = fmt.Sprintf("> %s: killed by the harness", mb(attackRSSCap))
		r.check(t, false, "RSS reached %s: the harness killed the replica (cap %s)", mb(kb), mb(attackRSSCap))
		return
	}
	c := &http.Client{Timeout: 5 * time.Second}
	code, err := getJSON(context.Background(), c, rep.base+"/healthz", nil)
	r.check(t, err == nil && code == 200 && rep.alive(), "the replica is not answering after the attack (%d, %v):\n%s", code, err, rep.logTail())
	rss, _ := procRSS(rep.pid())
	r.rss = fmt.Sprintf("%s (after %s)", mb(rep.peakRSS()), mb(rss))
	r.check(t, rss < attackRSSLimit, "RSS after the attack is %s (bound %s)", mb(rss), mb(attackRSSLimit))
}

// short is the answer without the figures: the status, or the error class.
func (a attackResult) short() string {
	if a.err != nil {
		return "no answer (" + classify(a.err) + ")"
	}
	return fmt.Sprint(a.status)
}

func (a attackResult) String() string {
	if a.err != nil {
		return fmt.Sprintf("error %v after %v, %v CPU", a.err, a.took.Round(time.Millisecond), a.cpu)
	}
	return fmt.Sprintf("%d after %v, %v CPU", a.status, a.took.Round(time.Millisecond), a.cpu)
}

// 300,000 tiny parts with 1,000-character names, gzipped as the outer
// Content-Encoding (330 MB of multipart from a ~1 MB body). Any 4xx will
// do; what matters is that the replica stays up and small.
func testAttackManyParts(t *testing.T) {
	r := newRow(t, "1 batch upload: gzip multipart, 300,000 parts with 1,000-char names")
	rep := attackReplica(t)
	const boundary = "faultsboundary"
	part := `Content-Disposition: form-data; name="` + strings.Repeat("n", 1000) + "\"\r\n\r\nx\r\n--" + boundary + "\r\n"
	var body bytes.Buffer
	body.Write(gz("--" + boundary + "\r\n"))
	block := gz(strings.Repeat(part, 1000))
	for range 299 {
		body.Write(block)
	}
	body.Write(gz(strings.Repeat(part, 999)))
	body.Write(gz(`Content-Disposition: form-data; name="last"` + "\r\n\r\nx\r\n--" + boundary + "--\r\n"))
	res := upload(t, rep, body.Bytes(), map[string]string{
		"Content-Type": "multipart/form-data; boundary=" + boundary, "Content-Encoding": "gzip"})
	r.requests, r.errors = "1", "—"
	r.note(t, "body %d KB gzip; answer %s", body.Len()>>10, res)
	r.check(t, res.err == nil && res.status >= 400 && res.status < 500, "want a 4xx refusal, got %s", res.short())
	afterAttack(t, r, rep)
}

// 200 requests with random 30 KB methods, then /metrics must stay small:
// a method must not become a label value.
func testAttackLongMethods(t *testing.T) {
	r := newRow(t, "200 requests with random 30 KB HTTP methods, then GET /metrics")
	rep := attackReplica(t)
	addr := strings.TrimPrefix(rep.base, "http://")
	rng := rand.New(rand.NewPCG(1, 2))
	method := make([]byte, 30<<10)
	answered := 0
	var firstErr error
	for range 200 {
		for i := range method {
			method[i] = byte('A' + rng.IntN(26))
		}
		status, err := rawRequest(addr, string(method)+" / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if err == nil && status > 0 {
			answered++
		} else if firstErr == nil {
			firstErr = err
		}
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(rep.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.requests, r.errors = "201", "—"
	r.note(t, "%d of 200 answered with a status (first failure: %v); /metrics is %d KB", answered, firstErr, len(b)>>10)
	r.check(t, resp.StatusCode == 200, "/metrics answered %d", resp.StatusCode)
	r.check(t, len(b) < 1<<20, "/metrics grew to %d KB (bound 1 MB)", len(b)>>10)
	afterAttack(t, r, rep)
}

// rawRequest writes req on a new connection and returns the status of the
// answer (0 if none), reading until the server closes or 10 s pass.
func rawRequest(addr, req string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// An unauthenticated upload announcing 10 MB and sending nothing: the 401
// must arrive, and the server must close the connection instead of waiting
// for the body (within 5 s: a functional deadline, the read timeout is
// minutes).
func testAttackUnauthHeld(t *testing.T) {
	r := newRow(t, "unauthenticated POST /v1/batches, Content-Length 10 MB, no body (API_KEYS set)")
	rep := attackReplica(t)
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(rep.base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	c.SetDeadline(start.Add(5 * time.Second))
	io.WriteString(c, "POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 10485760\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	r.requests, r.errors = "1", "—"
	if err != nil {
		r.check(t, false, "no answer within 5 s: %v", err)
		afterAttack(t, r, rep)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	got401 := time.Since(start)
	_, err = br.ReadByte() // EOF when the server closed the connection
	closed := err == io.EOF
	r.note(t, "answer %d after %v; connection closed: %v (%v, after %v)", resp.StatusCode, got401.Round(time.Millisecond), closed, err, time.Since(start).Round(time.Millisecond))
	r.check(t, resp.StatusCode == http.StatusUnauthorized, "want 401, got %d", resp.StatusCode)
	r.check(t, closed, "the connection stayed open waiting for the 10 MB body (%v)", err)
	afterAttack(t, r, rep)
}

// A 2 MB gzip of blank lines (about 2 GB decompressed) as a batch upload:
// refused with 413 once BATCH_MAX_BYTES (32 MiB here) is decompressed, at a
// bounded CPU cost.
func testAttackBlankLines(t *testing.T) {
	r := newRow(t, "batch upload: 2 MB gzip of blank lines (~2 GB), BATCH_MAX_BYTES 32 MiB")
	rep := attackReplica(t)
	member := gz(strings.Repeat("\n", 1<<20))
	var body bytes.Buffer
	body.Write(gz("name\n"))
	for body.Len() < 2<<20 {
		body.Write(member)
	}
	res := upload(t, rep, body.Bytes(), map[string]string{"Content-Type": "text/csv", "Content-Encoding": "gzip"})
	r.requests, r.errors = "1", "—"
	r.note(t, "body %d KB gzip of %d MB; answer %s (CPU bound %v)", body.Len()>>10, (body.Len()/len(member))*(1<<20)>>20, res, attackCPULimit)
	r.check(t, res.err == nil && res.status == http.StatusRequestEntityTooLarge, "want 413, got %s", res.short())
	r.check(t, res.cpu <= attackCPULimit, "the refusal cost %v CPU (bound %v)", res.cpu, attackCPULimit)
	afterAttack(t, r, rep)
}

// An outer Content-Encoding: gzip multipart body whose framing (a 64 MiB
// field before the file part) decompresses past BATCH_MAX_BYTES: 413.
func testAttackMultipartBomb(t *testing.T) {
	r := newRow(t, "batch upload: gzip multipart, 64 MiB field before a 1-row file (BATCH_MAX_BYTES 32 MiB)")
	rep := attackReplica(t)
	const boundary = "faultsboundary"
	var body bytes.Buffer
	body.Write(gz("--" + boundary + "\r\nContent-Disposition: form-data; name=\"junk\"\r\n\r\n"))
	mib := gz(strings.Repeat("a", 1<<20))
	for range 64 {
		body.Write(mib)
	}
	body.Write(gz("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\nContent-Type: text/csv\r\n\r\nname\nAcme Trading LLC\n\r\n--" + boundary + "--\r\n"))
	res := upload(t, rep, body.Bytes(), map[string]string{
		"Content-Type": "multipart/form-data; boundary=" + boundary, "Content-Encoding": "gzip"})
	r.requests, r.errors = "1", "—"
	r.note(t, "body %d KB gzip of 64 MiB; answer %s", body.Len()>>10, res)
	r.check(t, res.err == nil && res.status == http.StatusRequestEntityTooLarge, "want 413, got %s", res.short())
	afterAttack(t, r, rep)
}
