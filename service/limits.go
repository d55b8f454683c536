package service

import (
	"io"
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

// readJSONBody reads a request body of at most s.maxBody bytes, giving it
// s.jsonBodyTimeout to arrive. A writer that cannot set deadlines (a test
// recorder) keeps the server's.
func (s *Server) readJSONBody(c *gin.Context, maxBody int64) ([]byte, error) {
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Now().Add(s.jsonBodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err == nil {
		// While the handler runs, net/http reads the connection in the
		// background to see the client go; at a deadline that read fails
		// and cancels the request's context. The body is in: lift it.
		_ = rc.SetReadDeadline(time.Time{})
	}
	return body, err
}
