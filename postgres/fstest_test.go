package postgres

import (
	"io/fs"
	"testing/fstest"
)

func mapFS(names []string) fs.FS {
	m := fstest.MapFS{}
	for _, n := range names {
		m["m/"+n] = &fstest.MapFile{Data: []byte("SELECT 1")}
	}
	return m
}
