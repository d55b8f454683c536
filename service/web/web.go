// Package web is the analysts' page: screen a name and read why it matched,
// upload a batch file and follow it, review alerts and decide them. It is
// three static files (index.html, app.js, app.css; no build step) embedded
// in the binary and served at /. The files need no API key; the page calls
// the /v1 API from the browser with the key the analyst types in.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

//go:embed static/index.html static/app.js static/app.css
var static embed.FS

// ContentSecurityPolicy is the policy every page response carries: only
// the page's own files and API (no inline script or style, no other
// origin), never inside a frame, forms posting only to this origin.
const ContentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// asset is one embedded file, read once at start.
type asset struct {
	path  string // the URL path it is served at
	ctype string
	body  []byte
	etag  string
}

// assets are the page's files; index.html is served at /.
var assets = []asset{
	{path: "/", ctype: "text/html; charset=utf-8", body: mustRead("static/index.html")},
	{path: "/app.js", ctype: "text/javascript; charset=utf-8", body: mustRead("static/app.js")},
	{path: "/app.css", ctype: "text/css; charset=utf-8", body: mustRead("static/app.css")},
}

func init() {
	for i := range assets {
		sum := sha256.Sum256(assets[i].body)
		assets[i].etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	}
}

// mustRead reads an embedded file. The go:embed line above guarantees
// each exists, so a failure is a build defect, found by any test.
func mustRead(name string) []byte {
	b, err := static.ReadFile(name)
	if err != nil {
		panic("web: " + err.Error())
	}
	return b
}

// Mount serves the page on r: GET and HEAD on /, /app.js and /app.css.
// Mount it outside any route group that asks for an API key.
func Mount(r gin.IRoutes) {
	for i := range assets {
		h := handler(&assets[i])
		r.GET(assets[i].path, h)
		r.HEAD(assets[i].path, h)
	}
}

// handler serves one file with the page's security headers. The ETag lets
// a browser revalidate (no-cache) and get a 304 instead of the file.
func handler(a *asset) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", a.ctype)
		h.Set("ETag", a.etag)
		http.ServeContent(c.Writer, c.Request, "", time.Time{}, bytes.NewReader(a.body))
	}
}
