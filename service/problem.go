package service

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// ProblemContentType is the media type of error bodies (RFC 9457).
const ProblemContentType = "application/problem+json"

// problemTypeBase prefixes the type URI of each problem kind. The URIs
// identify the kind; they are documented in openapi.yaml rather than served.
const problemTypeBase = "https://github.com/cslscreen/screener/blob/main/docs/errors.md#"

// Problem is an RFC 9457 problem details body. Every error the service
// answers has this shape, so a client needs one error parser.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// RequestID ties the error to the server's log line.
	RequestID string `json:"request_id,omitempty"`
	// Errors names each offending field, row or line.
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names one problem with one part of the input.
type FieldError struct {
	// Field is a JSON path ("name", "limit") or an input column.
	Field string `json:"field,omitempty"`
	// Line is the 1-based input line, for files.
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
}

// Problem kinds.
const (
	kindInvalidRequest   = "invalid-request"
	kindUnsupportedMedia = "unsupported-media-type"
	kindTooLarge         = "payload-too-large"
	kindNotFound         = "not-found"
	kindMethod           = "method-not-allowed"
	kindUnauthorized     = "unauthorized"
	kindForbidden        = "forbidden"
	kindNoSource         = "no-list-source"
	kindConflict         = "conflict"
	kindRateLimited      = "rate-limited"
	kindUnavailable      = "unavailable"
	kindInternal         = "internal"
)

var problemTitles = map[string]string{
	kindInvalidRequest:   "The request is invalid",
	kindUnsupportedMedia: "Unsupported media type",
	kindTooLarge:         "Payload too large",
	kindNotFound:         "Not found",
	kindMethod:           "Method not allowed",
	kindUnauthorized:     "Missing or invalid API key",
	kindForbidden:        "The API key may not do this",
	kindNoSource:         "No list source is configured",
	kindConflict:         "Conflicts with the current state",
	kindRateLimited:      "Too many requests",
	kindUnavailable:      "Service unavailable",
	kindInternal:         "Internal server error",
}

// problem writes a problem response and stops the handler chain.
func problem(c *gin.Context, status int, kind, detail string, errs ...FieldError) {
	p := Problem{
		Type:      problemTypeBase + kind,
		Title:     problemTitles[kind],
		Status:    status,
		Detail:    detail,
		Instance:  c.Request.URL.Path,
		RequestID: requestID(c),
		Errors:    errs,
	}
	c.Header("Content-Type", ProblemContentType)
	c.Header("Cache-Control", "no-store")
	// gin's JSON render keeps a Content-Type already set.
	c.AbortWithStatusJSON(status, p)
}

// badRequest is the common 400 for an input that names its fields.
func badRequest(c *gin.Context, detail string, errs ...FieldError) {
	problem(c, http.StatusBadRequest, kindInvalidRequest, detail, errs...)
}
