// Package screener screens counterparty names against the US Consolidated
// Screening List. The work is in lists (list data), matcher (name
// matching) and service (HTTP); cmd/screener wires them into a binary.
//
// This root package only carries the API contract, so the binary can serve
// the very document the contract test checks it against.
package screener

import _ "embed"

// OpenAPI is openapi.yaml, the HTTP API contract.
//
//go:embed openapi.yaml
var OpenAPI []byte
