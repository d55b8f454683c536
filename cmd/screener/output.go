package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// output is where the batch command writes results: standard output; a
// special file (a device such as /dev/null, a FIFO, a socket) written in
// place; or a regular file, written through a temporary file in the same
// directory renamed over it at the end, so a failed run never leaves a
// file that looks complete. Renaming over a special file would replace it
// (as root, /dev/null itself), so that is never done.
type output struct {
	path    string    // as given; "" for standard output
	stdout  io.Writer // when path is ""
	target  string    // path with symbolic links resolved
	tmp     *os.File  // regular files: the temporary file
	special *os.File  // special files, once opened
	fifo    bool      // a FIFO, opened only when the results come (opening blocks until a reader)
	perm    fs.FileMode
}

// openOutput checks -o before anything is uploaded: its directory exists
// and is writable (a temporary file is created there now), or it is a
// special file that can be opened for writing.
func openOutput(path string, stdout io.Writer) (*output, error) {
	if path == "" || path == "-" {
		return &output{stdout: stdout}, nil
	}
	o := &output{path: path, target: path, perm: 0o644}
	if t, err := filepath.EvalSymlinks(path); err == nil {
		o.target = t
	}
	fi, err := os.Stat(o.target)
	switch {
	case err == nil && fi.IsDir():
		return nil, fmt.Errorf("-o %s is a directory", path)
	case err == nil && !fi.Mode().IsRegular():
		if fi.Mode()&fs.ModeNamedPipe != 0 {
			o.fifo = true
			return o, nil
		}
		f, err := os.OpenFile(o.target, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("-o: %w", err)
		}
		o.special = f
		return o, nil
	case err == nil:
		o.perm = fi.Mode().Perm() // replacing a file keeps its mode
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("-o: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(o.target), "."+filepath.Base(o.target)+".*.partial")
	if err != nil {
		return nil, fmt.Errorf("-o %s cannot be written: %w", path, err)
	}
	o.tmp = tmp
	return o, nil
}

// writer is where the results go.
func (o *output) writer() (io.Writer, error) {
	switch {
	case o.tmp != nil:
		return o.tmp, nil
	case o.fifo && o.special == nil:
		f, err := os.OpenFile(o.target, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("-o: %w", err)
		}
		o.special = f
		return f, nil
	case o.special != nil:
		return o.special, nil
	}
	return o.stdout, nil
}

// commit finishes the results: the temporary file gets its mode and is
// renamed over the path.
func (o *output) commit() error {
	if o.special != nil {
		err := o.special.Close()
		o.special = nil
		return err
	}
	if o.tmp == nil {
		return nil
	}
	tmp := o.tmp
	o.tmp = nil
	err := tmp.Chmod(o.perm)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), o.target)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// abort drops unfinished results; after commit it does nothing.
func (o *output) abort() {
	if o.special != nil {
		o.special.Close()
		o.special = nil
	}
	if o.tmp != nil {
		o.tmp.Close()
		os.Remove(o.tmp.Name())
		o.tmp = nil
	}
}

// where names the output for the summary.
func (o *output) where() string {
	if o.path == "" {
		return "standard output"
	}
	return o.path
}
