package main

import (
	"fmt"
	"io"
)

// batchCmd screens a file of names. (Being written.)
func batchCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "screener batch: not available in this build yet")
	return 2
}
