package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"

	"github.com/balie-dev/balie/internal/desk"
)

// errClosed is returned for work submitted after Close.
var errClosed = errors.New("sqlite: store closed")

// job is one InTx call waiting for the writer.
type job struct {
	ctx  context.Context
	fn   func(t *txStore) error
	err  error
	done chan struct{}

	panicked bool
	panicVal any
}

// submit queues fn for the writer and waits for its commit (or failure).
// A panic in fn is re-raised here, in the caller's goroutine.
func (s *Store) submit(ctx context.Context, fn func(t *txStore) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &job{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case s.jobs <- j:
	case <-s.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the job is waited for regardless of ctx: the writer may
	// already be running it, and the caller must learn whether it committed.
	select {
	case <-j.done:
	case <-s.stopped:
		// The writer drains the queue before it stops; a job that slipped
		// in after that never ran.
		select {
		case <-j.done:
		default:
			return errClosed
		}
	}
	if j.panicked {
		panic(j.panicVal)
	}
	return j.err
}

// writer is the single goroutine that owns the write connection.
func (s *Store) writer() {
	defer close(s.stopped)
	batch := make([]*job, 0, s.batch)
	for {
		var first *job
		select {
		case first = <-s.jobs:
		case <-s.stop:
			// Finish what was queued before Close.
			for {
				select {
				case j := <-s.jobs:
					s.runBatch([]*job{j})
				default:
					return
				}
			}
		}
		// Let the goroutines that are about to submit a transaction do so
		// before the batch is taken: under load this makes groups about
		// half as large again (4 → 6 transactions per commit in the W1
		// benchmark), and each commit costs the same whatever its size.
		runtime.Gosched()
		batch = append(batch[:0], first)
	fill:
		for len(batch) < s.batch {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		s.runBatch(batch)
		clear(batch)
	}
}

// runBatch runs jobs in one transaction and commits once. Each job runs
// under its own savepoint so that a failing job is undone without touching
// the others.
func (s *Store) runBatch(jobs []*job) {
	defer func() {
		for _, j := range jobs {
			close(j.done)
		}
	}()
	// The transaction is not tied to any caller's context: one caller giving
	// up must not roll back the others' work.
	s.batches.Add(1)
	s.jobsRun.Add(int64(len(jobs)))
	bg := context.Background()
	tx := s.wq
	if _, err := tx.ExecContext(bg, "BEGIN IMMEDIATE"); err != nil {
		for _, j := range jobs {
			j.err = fmt.Errorf("sqlite: begin: %w", err)
		}
		return
	}
	t := &txStore{q: tx}
	t.ops = ops{read: t.q, write: t.write}

	single := len(jobs) == 1
	ok := 0
	var fatal error
	for _, j := range jobs {
		if err := j.ctx.Err(); err != nil {
			j.err = err
			continue
		}
		mark := len(tx.fts)
		if single {
			// No savepoint needed: a failure rolls back the whole transaction.
			runJob(j, t)
			if j.err == nil && !j.panicked {
				ok++
			}
			break
		}
		if _, err := tx.ExecContext(bg, "SAVEPOINT job"); err != nil {
			fatal = err
			break
		}
		runJob(j, t)
		if j.err != nil || j.panicked {
			tx.fts = tx.fts[:mark]
			if _, err := tx.ExecContext(bg, "ROLLBACK TO job"); err != nil {
				fatal = err
				break
			}
		} else {
			ok++
		}
		if _, err := tx.ExecContext(bg, "RELEASE job"); err != nil {
			fatal = err
			break
		}
	}
	if fatal == nil && ok > 0 {
		fatal = tx.flushFTS()
	}
	tx.fts = tx.fts[:0]
	if fatal != nil || ok == 0 {
		// SQLite may already have rolled back after a hard error; then
		// this fails harmlessly.
		_, _ = tx.conn.ExecContext(bg, "ROLLBACK")
		if fatal != nil {
			failAll(jobs, fmt.Errorf("sqlite: transaction: %w", fatal))
		}
		return
	}
	if _, err := tx.ExecContext(bg, "COMMIT"); err != nil {
		_, _ = tx.conn.ExecContext(bg, "ROLLBACK")
		failAll(jobs, fmt.Errorf("sqlite: commit: %w", err))
	}
}

// failAll reports err to every job that thought it had succeeded.
func failAll(jobs []*job, err error) {
	for _, j := range jobs {
		if j.err == nil && !j.panicked {
			j.err = err
		}
	}
}

func runJob(j *job, t *txStore) {
	defer func() {
		if r := recover(); r != nil {
			j.panicked, j.panicVal = true, r
		}
	}()
	j.err = j.fn(t)
}

// txStore is the desk.Store handed to an InTx function. Reads and writes go
// to the writer's transaction, so reads see the transaction's own writes.
type txStore struct {
	ops
	q *txQuerier
}

var _ desk.Store = (*txStore)(nil)

// write runs fn directly: the job's savepoint already makes it atomic with
// the rest of the job. Methods order their statements so that the one that
// can conflict comes first and nothing is half-written when it fails.
func (t *txStore) write(_ context.Context, fn func(q *txQuerier) error) error { return fn(t.q) }

// InTx inside a transaction nests: fn's writes are undone alone if it fails.
func (t *txStore) InTx(ctx context.Context, fn func(tx desk.Store) error) (err error) {
	bg := context.Background()
	if _, err := t.q.conn.ExecContext(bg, "SAVEPOINT nested"); err != nil {
		return fmt.Errorf("sqlite: savepoint: %w", err)
	}
	panicked := true
	mark := len(t.q.fts)
	defer func() {
		if panicked || err != nil {
			t.q.fts = t.q.fts[:mark]
			_, _ = t.q.conn.ExecContext(bg, "ROLLBACK TO nested")
		}
		_, _ = t.q.conn.ExecContext(bg, "RELEASE nested")
	}()
	err = fn(t)
	panicked = false
	return err
}

// Close is a no-op: the transaction ends when InTx returns.
func (t *txStore) Close() error { return nil }

// txQuerier runs statements on the writer connection, inside the
// transaction the writer opened with plain BEGIN/COMMIT statements. Holding
// one *sql.Conn lets prepared statements live as long as the store, instead
// of being prepared again for every transaction. Only the writer goroutine
// uses it. Contexts lose their cancellation here: interrupting a statement
// would roll back the whole shared transaction.
type txQuerier struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	fts   []ftsOp // full-text changes of the running batch
}

// FTS tables written by the store.
const (
	ftsMessage = "message_fts"
	ftsContact = "contact_fts"
)

// ftsOp is a change to a full-text table, applied when the batch commits.
// FTS5 flushes its pending terms to disk at every savepoint, so writing
// them inside each job's savepoint would make one tiny segment per job;
// queued, a whole batch becomes one segment. The price: searches inside a
// transaction do not see its own new messages.
type ftsOp struct {
	table string
	rowid int64
	doc   string // "" deletes
}

func (q *txQuerier) index(table string, rowid int64, doc string) {
	if doc != "" {
		q.fts = append(q.fts, ftsOp{table, rowid, doc})
	}
}

func (q *txQuerier) unindex(table string, rowid int64) {
	q.fts = append(q.fts, ftsOp{table: table, rowid: rowid})
}

func (q *txQuerier) flushFTS() error {
	bg := context.Background()
	for _, op := range q.fts {
		var err error
		if op.doc == "" {
			_, err = q.ExecContext(bg, `DELETE FROM `+op.table+` WHERE rowid = ?`, op.rowid)
		} else {
			_, err = q.ExecContext(bg, `INSERT INTO `+op.table+`(rowid, terms) VALUES (?, ?)`, op.rowid, op.doc)
		}
		if err != nil {
			return fmt.Errorf("index %s: %w", op.table, err)
		}
	}
	return nil
}

func (q *txQuerier) stmt(query string) (*sql.Stmt, error) {
	if st := q.stmts[query]; st != nil {
		return st, nil
	}
	st, err := q.conn.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	q.stmts[query] = st
	return st, nil
}

func (q *txQuerier) close() {
	for k, st := range q.stmts {
		st.Close()
		delete(q.stmts, k)
	}
}

func (q *txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(context.WithoutCancel(ctx), args...)
}

func (q *txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(context.WithoutCancel(ctx), args...)
}

func (q *txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.stmt(query)
	if err != nil {
		return q.conn.QueryRowContext(context.WithoutCancel(ctx), query, args...)
	}
	return st.QueryRowContext(context.WithoutCancel(ctx), args...)
}
