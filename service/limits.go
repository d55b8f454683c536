package service

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// DefaultMaxConnections is the cap on open connections unless configured
// otherwise (Options.MaxConnections).
const DefaultMaxConnections = 1024

// defaultJSONBodyTimeout is how long a JSON request body (at most
// Options.MaxBodyBytes, 64 KiB by default) may take to arrive. The
// server's ReadTimeout is minutes long for batch uploads; a screening
// request needs seconds.
const defaultJSONBodyTimeout = 10 * time.Second

// setJSONBodyDeadline gives the rest of a small JSON body s.jsonBodyTimeout
// to arrive. A writer that cannot set deadlines (a test recorder) keeps the
// server's.
func (s *Server) setJSONBodyDeadline(c *gin.Context) {
	_ = http.NewResponseController(c.Writer).SetReadDeadline(time.Now().Add(s.jsonBodyTimeout))
}
