package batch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// FileStore is the in-process Store of a single replica: job status in
// memory, input and result chunks in files under a private directory (so a
// million-row job costs disk, not RAM). Chunks are handed out round-robin
// across jobs, so a small job is not stuck behind a big one. Jobs do not
// survive the process: Close deletes the directory.
type FileStore struct {
	dir string
	ttl time.Duration

	mu      sync.Mutex
	jobs    map[string]*fileJob
	uploads map[string]*upload // admitted uploads not yet submitted
	ring    []*fileJob         // jobs with chunks to hand out
	notify  chan struct{}
	closed  bool
}

// upload is an admitted upload being read.
type upload struct {
	keyID string
	bytes int64
}

type fileJob struct {
	job    Job
	bytes  int64 // stored: input chunks, then results
	next   int   // the next chunk never handed out
	back   []int // chunks handed back, handed out first
	have   []bool
	inRing bool
}

// dirPrefix names the private directories, so leftovers of a crashed
// process can be found and removed.
const dirPrefix = "screener-batch-"

// NewFileStore keeps chunks in a new directory under dir (the OS temp
// directory when empty) and results for ttl after a job finishes. It also
// removes directories that crashed processes left there more than ttl ago.
func NewFileStore(dir string, ttl time.Duration) (*FileStore, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	removeStale(dir, ttl)
	d, err := os.MkdirTemp(dir, dirPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("batch scratch directory: %w", err)
	}
	return &FileStore{dir: d, ttl: ttl, jobs: map[string]*fileJob{}, uploads: map[string]*upload{}, notify: make(chan struct{})}, nil
}

func removeStale(dir string, ttl time.Duration) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), dirPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > ttl+time.Hour {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

func (s *FileStore) path(id, kind string, n int) string {
	return filepath.Join(s.dir, id, fmt.Sprintf("%s-%06d", kind, n))
}

// wake tells waiting workers that something changed. Callers hold mu.
func (s *FileStore) wake() {
	close(s.notify)
	s.notify = make(chan struct{})
}

// PutInput implements Store.
func (s *FileStore) PutInput(_ context.Context, id string, n int, blob []byte) error {
	if n == 0 {
		if err := os.MkdirAll(filepath.Join(s.dir, id), 0o700); err != nil {
			return err
		}
	}
	return os.WriteFile(s.path(id, "in", n), blob, 0o600)
}

// Submit implements Store.
func (s *FileStore) Submit(_ context.Context, j *Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("batch store is closed")
	}
	mj := &fileJob{job: *j, have: make([]bool, j.Chunks)}
	if u := s.uploads[j.ID]; u != nil {
		mj.bytes = u.bytes
		delete(s.uploads, j.ID)
	}
	mj.job.Status = Queued
	if j.Chunks == 0 {
		now := time.Now().UTC()
		mj.job.Status, mj.job.FinishedAt = Done, &now
	} else {
		mj.inRing = true
		s.ring = append(s.ring, mj)
		s.wake()
	}
	s.jobs[j.ID] = mj
	return nil
}

// Discard implements Store.
func (s *FileStore) Discard(_ context.Context, _, id string) error {
	s.mu.Lock()
	delete(s.uploads, id)
	s.mu.Unlock()
	return os.RemoveAll(filepath.Join(s.dir, id))
}

// Admit implements Store.
func (s *FileStore) Admit(_ context.Context, keyID, id string, maxActive int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if maxActive > 0 {
		n := 0
		for _, u := range s.uploads {
			if u.keyID == keyID {
				n++
			}
		}
		for _, mj := range s.jobs {
			if mj.job.KeyID == keyID && !mj.job.Status.Finished() {
				n++
			}
		}
		if n >= maxActive {
			return &QuotaError{What: QuotaActiveJobs, Limit: int64(maxActive)}
		}
	}
	s.uploads[id] = &upload{keyID: keyID}
	return nil
}

// Charge implements Store.
func (s *FileStore) Charge(_ context.Context, keyID, id string, n, maxBytes int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.uploads[id]
	if u == nil {
		return fmt.Errorf("batch: upload %s was not admitted", id)
	}
	if maxBytes > 0 {
		used := n
		for _, o := range s.uploads {
			if o.keyID == keyID {
				used += o.bytes
			}
		}
		for _, mj := range s.jobs {
			if mj.job.KeyID == keyID {
				used += mj.bytes
			}
		}
		if used > maxBytes {
			return &QuotaError{What: QuotaStoredBytes, Limit: maxBytes}
		}
	}
	u.bytes += n
	return nil
}

// SaveDone implements Store.
func (s *FileStore) SaveDone(_ context.Context, j *Job, results [][]byte) error {
	if err := os.MkdirAll(filepath.Join(s.dir, j.ID), 0o700); err != nil {
		return err
	}
	for n, b := range results {
		if err := os.WriteFile(s.path(j.ID, "out", n), b, 0o600); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mj := &fileJob{job: *j, next: j.Chunks, have: make([]bool, j.Chunks)}
	if u := s.uploads[j.ID]; u != nil {
		mj.bytes = u.bytes
		delete(s.uploads, j.ID)
	}
	for i := range mj.have {
		mj.have[i] = true
	}
	s.jobs[j.ID] = mj
	return nil
}

// Next implements Store.
func (s *FileStore) Next(ctx context.Context, wait time.Duration) (*Task, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if t := s.take(); t != nil || s.closed {
			s.mu.Unlock()
			return t, nil
		}
		ch := s.notify
		s.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// take hands out the next chunk of the job at the head of the ring, then
// moves that job to the back. Callers hold mu.
func (s *FileStore) take() *Task {
	for len(s.ring) > 0 {
		mj := s.ring[0]
		s.ring = s.ring[1:]
		if mj.job.Status.Finished() {
			mj.inRing = false
			continue
		}
		var n int
		if len(mj.back) > 0 {
			n, mj.back = mj.back[0], mj.back[1:]
		} else {
			n = mj.next
			mj.next++
		}
		if len(mj.back) > 0 || mj.next < mj.job.Chunks {
			s.ring = append(s.ring, mj)
		} else {
			mj.inRing = false
		}
		return &Task{Job: mj.job.ID, Chunk: n}
	}
	return nil
}

// Input implements Store.
func (s *FileStore) Input(_ context.Context, t *Task) ([]byte, error) {
	return readIfExists(s.path(t.Job, "in", t.Chunk))
}

func readIfExists(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// Start implements Store.
func (s *FileStore) Start(_ context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mj := s.jobs[id]; mj != nil && mj.job.Status == Queued {
		mj.job.Status, mj.job.StartedAt = Running, &at
	}
	return nil
}

// Complete implements Store. The result file is written under the lock, so
// a concurrent Delete never leaves one behind.
func (s *FileStore) Complete(_ context.Context, t *Task, blob []byte, c Counts, at time.Time) (bool, *Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mj := s.jobs[t.Job]
	if mj == nil || mj.job.Status.Finished() || mj.have[t.Chunk] {
		return false, nil, nil
	}
	if err := os.WriteFile(s.path(t.Job, "out", t.Chunk), blob, 0o600); err != nil {
		return false, nil, err
	}
	in := s.path(t.Job, "in", t.Chunk)
	if fi, err := os.Stat(in); err == nil {
		mj.bytes -= fi.Size()
	}
	mj.bytes += int64(len(blob))
	os.Remove(in)
	mj.have[t.Chunk] = true
	j := &mj.job
	if j.Status == Queued {
		j.Status, j.StartedAt = Running, &at
	}
	j.ChunksDone++
	j.RowsDone += c.Rows
	j.RowsWithMatches += c.Matches
	j.RowsWithErrors += c.Errors
	j.RowsUnscreenable += c.Unscreenable
	if j.ChunksDone < j.Chunks {
		return true, nil, nil
	}
	j.Status, j.FinishedAt = Done, &at
	return true, s.view(mj), nil
}

// Drop implements Store.
func (s *FileStore) Drop(context.Context, *Task) error { return nil }

// Release implements Store.
func (s *FileStore) Release(_ context.Context, t *Task) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mj := s.jobs[t.Job]
	if mj == nil || mj.job.Status.Finished() || mj.have[t.Chunk] || slices.Contains(mj.back, t.Chunk) {
		return nil
	}
	mj.back = append(mj.back, t.Chunk)
	if !mj.inRing {
		mj.inRing = true
		s.ring = append(s.ring, mj)
	}
	s.wake()
	return nil
}

// Fail implements Store.
func (s *FileStore) Fail(_ context.Context, id, reason string, at time.Time) (*Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mj := s.jobs[id]
	if mj == nil || mj.job.Status.Finished() {
		return nil, nil
	}
	mj.job.Status, mj.job.Error, mj.job.FinishedAt = Failed, reason, &at
	return s.view(mj), nil
}

// view copies a job for callers, with its expiry. Callers hold mu.
func (s *FileStore) view(mj *fileJob) *Job {
	j := mj.job
	j.Columns = slices.Clone(j.Columns)
	if j.FinishedAt != nil {
		e := j.FinishedAt.Add(s.ttl)
		j.ExpiresAt = &e
	}
	return &j
}

// Get implements Store.
func (s *FileStore) Get(_ context.Context, id string) (*Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mj := s.jobs[id]
	if mj == nil {
		return nil, ErrNotFound
	}
	return s.view(mj), nil
}

// Result implements Store.
func (s *FileStore) Result(_ context.Context, id string, n int) ([]byte, error) {
	return readIfExists(s.path(id, "out", n))
}

// Delete implements Store.
func (s *FileStore) Delete(_ context.Context, id string, at time.Time) (*Job, error) {
	s.mu.Lock()
	mj := s.jobs[id]
	if mj == nil {
		s.mu.Unlock()
		return nil, ErrNotFound
	}
	prev := s.view(mj)
	if mj.job.Status.Finished() {
		delete(s.jobs, id)
	} else {
		mj.job.Status, mj.job.FinishedAt = Cancelled, &at
	}
	mj.bytes = 0 // its files go
	s.mu.Unlock()
	return prev, os.RemoveAll(filepath.Join(s.dir, id))
}

// Sweep implements Store: it deletes jobs whose results have expired.
func (s *FileStore) Sweep(_ context.Context, now time.Time) {
	var gone []string
	s.mu.Lock()
	for id, mj := range s.jobs {
		if f := mj.job.FinishedAt; f != nil && now.Sub(*f) >= s.ttl {
			delete(s.jobs, id)
			gone = append(gone, id)
		}
	}
	s.mu.Unlock()
	for _, id := range gone {
		os.RemoveAll(filepath.Join(s.dir, id))
	}
}

// Active returns the jobs queued or running.
func (s *FileStore) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, mj := range s.jobs {
		if !mj.job.Status.Finished() {
			n++
		}
	}
	return n
}

// Close implements Store.
func (s *FileStore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.wake()
	s.mu.Unlock()
	return os.RemoveAll(s.dir)
}
