package kb

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/balie-dev/balie/internal/desk"
)

// Searches are logged for analytics and learning, but a customer should not
// wait for that write: a search gets a random id at once (safe in
// JavaScript numbers, and not guessable from the previous one) and its log
// row is written in batches: by Run every flushEvery, when the queue is
// long, and before anything that reads the log (a click, feedback, the
// analytics). Flush writes what is queued; call it before shutting down.

const flushBatch = 500

// searchQueue holds searches not yet written.
type searchQueue struct {
	mu      sync.Mutex
	pending []*desk.SearchLog
	byID    map[int64]bool
	writing sync.Mutex // one flush at a time, so the order stays
}

// newSearchID returns a random id in [1, 2^53).
func newSearchID() int64 {
	var b [8]byte
	rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:])>>11) | 1
}

// queueSearch gives l an id, queues it and returns the id; a long queue is
// written at once. l belongs to the queue afterwards: a flush may write to
// it at any time.
func (s *Service) queueSearch(ctx context.Context, l *desk.SearchLog) int64 {
	id := newSearchID()
	l.ID = id
	q := &s.searches
	q.mu.Lock()
	if q.byID == nil {
		q.byID = map[int64]bool{}
	}
	q.pending = append(q.pending, l)
	q.byID[id] = true
	n := len(q.pending)
	q.mu.Unlock()
	if n >= flushBatch {
		if err := s.Flush(ctx); err != nil {
			s.log.Warn("kb: writing searches", "err", err)
		}
	}
	return id
}

// pendingSearch reports whether a search is queued but not yet written.
func (s *Service) pendingSearch(id int64) bool {
	s.searches.mu.Lock()
	defer s.searches.mu.Unlock()
	return s.searches.byID[id]
}

// Flush writes the queued searches in one transaction. A search whose id
// happens to be taken is dropped (one in 2^53).
func (s *Service) Flush(ctx context.Context) error {
	q := &s.searches
	q.writing.Lock()
	defer q.writing.Unlock()
	q.mu.Lock()
	batch := q.pending
	q.pending = nil
	q.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(st desk.KBStore) error {
		for _, l := range batch {
			if err := st.RecordSearch(ctx, l); err != nil && !errors.Is(err, desk.ErrConflict) {
				return err
			}
		}
		return nil
	})
	q.mu.Lock()
	for _, l := range batch {
		delete(q.byID, l.ID)
	}
	q.mu.Unlock()
	if err != nil {
		return fmt.Errorf("kb: writing %d searches: %w", len(batch), err)
	}
	return nil
}
