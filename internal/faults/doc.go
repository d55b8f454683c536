// Package faults holds the load-and-fault harness: tests, behind the build
// tag "faults", that run the real screener binary (two replicas where it
// matters) against a real redis-server, put it under load, inject faults
// (Redis killed or hung, a replica terminated or killed, hostile requests)
// and print a table of what happened. docs/RELIABILITY.md shows the table
// and how to reproduce each row:
//
//	go test -tags faults -short -v ./internal/faults/   # CI: 10 s per scenario
//	go test -tags faults -timeout 30m -v ./internal/faults/   # full: 60 s
//
// FAULTS_DURATION overrides the length of each load scenario, and
// FAULTS_REPORT=path writes the table to a file.
package faults
