// Package sqlite implements desk.Store on an SQLite file with the pure-Go
// modernc.org/sqlite driver. It is the embedded store: one file in the data
// directory, no server.
//
// SQLite is run as a server database: WAL, a busy timeout, foreign keys, one
// writer connection and a pool of readers. All writes go through a single
// writer goroutine that groups concurrent transactions into one SQL
// transaction (each under its own savepoint) and one commit, because the
// fsync, not the SQL, is what limits write throughput.
//
// It imports desk and lang only, besides the driver and the standard library.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/balie-dev/balie/internal/desk"
)

// Option changes how Open sets up the store.
type Option func(*config)

type config struct {
	readers   int
	batch     int
	queue     int
	noMigrate bool
	sync      string
}

// WithReaders sets the size of the reader connection pool.
func WithReaders(n int) Option { return func(c *config) { c.readers = max(1, n) } }

// WithBatch bounds how many transactions one group commit holds.
func WithBatch(n int) Option { return func(c *config) { c.batch = max(1, n) } }

// WithoutMigrate skips running migrations on Open (for `balie migrate` and
// tools that must not change the schema).
func WithoutMigrate() Option { return func(c *config) { c.noMigrate = true } }

// WithSynchronous sets PRAGMA synchronous (NORMAL by default; FULL also
// survives a power cut losing the last commits, at the price of an fsync per
// commit).
func WithSynchronous(mode string) Option { return func(c *config) { c.sync = mode } }

// Store is desk.Store on SQLite. Its methods are safe for concurrent use.
type Store struct {
	ops
	rdb, wdb *sql.DB
	rstmts   *stmtCache
	wq       *txQuerier // the writer's connection; writer goroutine only
	jobs     chan *job
	batch    int

	batches, jobsRun atomic.Int64 // group commit statistics

	closeOnce sync.Once
	stop      chan struct{}
	stopped   chan struct{}
}

var _ desk.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, runs pending
// migrations and starts the writer.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{readers: max(4, runtime.NumCPU()), batch: 128, queue: 1024, sync: "NORMAL"}
	for _, o := range opts {
		o(&cfg)
	}
	// cache_size is negative KiB: 64 MiB for the writer, 16 MiB per reader.
	common := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"
	wdb, err := sql.Open("sqlite", common+"&_pragma=journal_mode(WAL)&_pragma=synchronous("+cfg.sync+
		")&_pragma=cache_size(-65536)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	// Switch the file to WAL before any reader opens it.
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", common+"&_pragma=query_only(1)&_pragma=cache_size(-16384)")
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	rdb.SetMaxOpenConns(cfg.readers)
	rdb.SetMaxIdleConns(cfg.readers)
	rdb.SetConnMaxIdleTime(0)
	rdb.SetConnMaxLifetime(0)

	wconn, err := wdb.Conn(ctx)
	if err != nil {
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	s := &Store{
		rdb: rdb, wdb: wdb,
		rstmts:  newStmtCache(rdb),
		wq:      &txQuerier{conn: wconn, stmts: map[string]*sql.Stmt{}},
		jobs:    make(chan *job, cfg.queue),
		batch:   cfg.batch,
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	s.ops = ops{read: s.rstmts, write: s.writeOne}
	go s.writer()
	if !cfg.noMigrate {
		if err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close stops the writer after the queued transactions and closes the
// database. Calls after Close fail.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.stopped
		s.rstmts.close()
		s.wq.close()
		// A checkpoint on close keeps the WAL file small between runs.
		_, _ = s.wq.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
		err = errors.Join(s.wq.conn.Close(), s.rdb.Close(), s.wdb.Close())
		if err != nil {
			err = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return err
}

// Stats reports how many transactions (InTx calls and single writes) the
// store has run and in how many commits: their ratio is the average group
// commit size.
func (s *Store) Stats() (transactions, commits int64) {
	return s.jobsRun.Load(), s.batches.Load()
}

// InTx runs fn in a transaction. Concurrent calls share one SQL transaction
// and one commit, each under its own savepoint: an fn that fails or panics
// is undone alone. fn runs on the writer goroutine and must only use tx.
func (s *Store) InTx(ctx context.Context, fn func(tx desk.Store) error) error {
	return s.submit(ctx, func(t *txStore) error { return fn(t) })
}

// writeOne runs a write outside InTx as a transaction of its own.
func (s *Store) writeOne(ctx context.Context, fn func(q *txQuerier) error) error {
	return s.submit(ctx, func(t *txStore) error { return fn(t.q) })
}

// querier is what both the reader pool and a writer transaction offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ops implements every desk.Store method except InTx and Close on top of a
// read querier and a write function, so the same code serves the store and
// a transaction.
type ops struct {
	read  querier
	write func(ctx context.Context, fn func(q *txQuerier) error) error
}

// stmtCache prepares each query once per database and reuses it.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st := c.m[query]
	c.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a single-row read without ctx's cancellation. The
// package uses it only for lookups by key, which take microseconds; a
// cancellable context would cost each of them more than that, as
// database/sql and the driver each start a goroutine to watch ctx.Done.
// Counts, lists and searches go through QueryContext and stay cancellable.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	st, err := c.stmt(ctx, query)
	if err != nil {
		// sql.Row cannot be built with an error from outside; fall back to
		// an unprepared query, which reports the same error on Scan.
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
