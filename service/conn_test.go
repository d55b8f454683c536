package service

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// openServer serves s on a free port for the rest of the test.
func openServer(t *testing.T, s *Server) {
	t.Helper()
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(t.Context()) })
}

// dial connects to s; every read and write on the connection fails after
// 5 s, far less than the server's ReadTimeout, so a server waiting for a
// body it does not need shows as a timeout, not as a hung test.
func dial(t *testing.T, s *Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	return conn, bufio.NewReader(conn)
}

// TestEarlyRefusalClosesConnection: a request refused before its body is
// read is answered at once and its connection closed; the server does not
// wait for a body it will not use.
func TestEarlyRefusalClosesConnection(t *testing.T) {
	keys, _ := ParseKeys(strings.NewReader("ops:"+hashKey("k")), "test")
	s := newTestServer(t, Options{Keys: keys})
	openServer(t, s)
	for _, tc := range []struct {
		name, head string
		status     int
	}{
		{"no key, small Content-Length", "POST /v1/screen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", 401},
		{"no key, big Content-Length", "POST /v1/screen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n", 401},
		{"no key, chunked", "POST /v1/screen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", 401},
		{"no such route", "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 404},
		{"wrong media type", "POST /v1/screen HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n", 415},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, br := dial(t, s)
			io.WriteString(conn, tc.head)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != tc.status || !resp.Close {
				t.Errorf("status %d, close %v; want %d and the connection closed", resp.StatusCode, resp.Close, tc.status)
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("after the answer: %v, want the connection closed (EOF)", err)
			}
		})
	}
	// A request whose body was read keeps its connection.
	conn, br := dial(t, s)
	for i := range 2 {
		body := `{"name":"Kaspersky Lab"}`
		fmt.Fprintf(conn, "POST /v1/screen HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d on one connection: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 || resp.Close {
			t.Errorf("request %d: status %d, close %v", i, resp.StatusCode, resp.Close)
		}
	}
}

// TestJSONBodyReadDeadline: a JSON body that stops arriving is given up on
// after the short JSON body deadline, not the server's ReadTimeout.
func TestJSONBodyReadDeadline(t *testing.T) {
	s := newTestServer(t, Options{})
	s.jsonBodyTimeout = 100 * time.Millisecond
	openServer(t, s)
	conn, br := dial(t, s)
	io.WriteString(conn, "POST /v1/screen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":")
	resp, err := http.ReadResponse(br, nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server still waits for the body")
	}
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 400 || !resp.Close {
			t.Errorf("status %d, close %v; want 400 and the connection closed", resp.StatusCode, resp.Close)
		}
	}
	// (err != nil otherwise: the server closed the connection, which is fine.)
}

// TestMaxConnections: past the cap, a new connection waits until one closes.
func TestMaxConnections(t *testing.T) {
	s := newTestServer(t, Options{MaxConnections: 1})
	openServer(t, s)
	get := "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	first, br1 := dial(t, s)
	io.WriteString(first, get)
	if resp, err := http.ReadResponse(br1, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first connection: %v", err)
	}
	second, br2 := dial(t, s)
	io.WriteString(second, get)
	second.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := br2.Peek(1); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection past the cap was served: %v", err)
	}
	first.Close()
	second.SetReadDeadline(time.Now().Add(5 * time.Second))
	if resp, err := http.ReadResponse(br2, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("second connection after the first closed: %v", err)
	}
}
