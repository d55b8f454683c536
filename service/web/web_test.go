package web

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func newEngine() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	Mount(e)
	return e
}

func get(t *testing.T, h http.Handler, method, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// Every file is served with its type and the page's security headers.
func TestFilesAndHeaders(t *testing.T) {
	e := newEngine()
	for _, tc := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", `<form id="screen-form"`},
		{"/app.js", "text/javascript; charset=utf-8", `"use strict"`},
		{"/app.css", "text/css; charset=utf-8", ".status-unscreenable"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w := get(t, e, "GET", tc.path)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			want := map[string]string{
				"Content-Type":            tc.ctype,
				"Content-Security-Policy": ContentSecurityPolicy,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "DENY",
			}
			for k, v := range want {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Error("the policy does not forbid framing")
			}
			if !strings.Contains(w.Body.String(), tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
			head := get(t, e, "HEAD", tc.path)
			if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("ETag") == "" {
				t.Errorf("HEAD: status %d, %d body bytes, ETag %q", head.Code, head.Body.Len(), head.Header().Get("ETag"))
			}
			again := get(t, e, "GET", tc.path, "If-None-Match", w.Header().Get("ETag"))
			if again.Code != http.StatusNotModified {
				t.Errorf("revalidation: status %d, want 304", again.Code)
			}
		})
	}
}

// The policy allows no inline script or style, so the page must have
// none: every script has a src, no element has a style attribute or an
// on… handler, and every local file the page names is served.
func TestPageHasNothingInline(t *testing.T) {
	page := string(mustRead("static/index.html"))
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`<script(?:(?:\s(?:defer|type="[^"]*"))*)>`),
		regexp.MustCompile(`\sstyle\s*=`),
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\son[a-z]+\s*=`),
		regexp.MustCompile(`(?:src|href)="(?:https?:)?//`), // another origin
	} {
		if m := bad.FindString(page); m != "" {
			t.Errorf("index.html has %q (matched %s)", m, bad)
		}
	}
	e := newEngine()
	for _, m := range regexp.MustCompile(`(?:src|href)="(/[^"]*)"`).FindAllStringSubmatch(page, -1) {
		if m[1] == "/openapi.yaml" { // served by the service, not this package
			continue
		}
		if w := get(t, e, "GET", m[1]); w.Code != http.StatusOK {
			t.Errorf("index.html names %s, which answers %d", m[1], w.Code)
		}
	}
	// The script must not write server data as HTML.
	js := string(mustRead("static/app.js"))
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}

// The labels name real controls: a label whose for= names no id leaves a
// field without an accessible name.
func TestLabelsNameControls(t *testing.T) {
	page := string(mustRead("static/index.html"))
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		ids[m[1]] = true
	}
	fors := regexp.MustCompile(`<label for="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(fors) < 5 {
		t.Fatalf("only %d labels", len(fors))
	}
	for _, m := range fors {
		if !ids[m[1]] {
			t.Errorf("label for=%q names no element", m[1])
		}
	}
}
