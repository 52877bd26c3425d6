package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// tx is a transaction on one pooled connection that saves round trips.
//
// A write transaction on PostgreSQL is several statements that each wait for
// the server: BEGIN, the writes, a SAVEPOINT and a RELEASE around every write
// that may fail (see guarded), COMMIT. tx sends the bookkeeping statements
// lazily, in one pipeline with the next real statement: BEGIN goes out with
// the first statement, a savepoint with the first statement inside it. A
// finished savepoint is not released but left in place, its changes part of
// the transaction all the same, until COMMIT ends them all; only when
// maxSavepoints pile up are they released, again with the next statement. A
// guarded write then costs one round trip instead of three, BEGIN none of
// its own, and the server runs two statements fewer.
//
// Savepoints are named by their place on the server's stack, sp_1, sp_2...,
// so that the names, which pgx prepares and caches like any statement, stay
// few.
type tx struct {
	conn  *pgx.Conn
	begun bool // BEGIN has been sent
	open  int  // savepoints the server holds, sp_1 to sp_open
	// scopes holds, for each savepoint scope fn is in now, outermost first,
	// the number of its savepoint, or 0 while it has sent no statement and
	// so needs none yet. Savepoints no scope holds are finished ones.
	scopes []int
}

// maxSavepoints is how many savepoints may stack up before the finished
// ones are released: each is a subtransaction the server keeps until the
// end.
const maxSavepoints = 16

// prefix returns the bookkeeping statements due before the next statement
// and records them as sent.
func (t *tx) prefix() []string {
	var pre []string
	if !t.begun {
		pre = append(pre, "begin")
		t.begun = true
	}
	for i, sp := range t.scopes {
		if sp != 0 {
			continue
		}
		if t.open >= maxSavepoints {
			// Release the finished savepoints above the innermost
			// scope that has one (releasing one ends those above too).
			base := 0
			if i > 0 {
				base = t.scopes[i-1]
			}
			if t.open > base {
				pre = append(pre, "release savepoint "+spName(base+1))
				t.open = base
			}
		}
		t.open++
		t.scopes[i] = t.open
		pre = append(pre, "savepoint "+spName(t.open))
	}
	return pre
}

func spName(level int) string { return "sp_" + strconv.Itoa(level) }

// send runs the due bookkeeping statements and then sql in one pipeline,
// returning the batch positioned at sql's result, or nil when nothing was
// due.
func (t *tx) send(ctx context.Context, sql string, args ...any) (pgx.BatchResults, error) {
	pre := t.prefix()
	if len(pre) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	for _, s := range pre {
		b.Queue(s)
	}
	b.Queue(sql, args...)
	br := t.conn.SendBatch(ctx, b)
	for range pre {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return nil, err
		}
	}
	return br, nil
}

// Exec runs sql in the transaction.
func (t *tx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br, err := t.send(ctx, sql, args...)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	if br == nil {
		return t.conn.Exec(ctx, sql, args...)
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query runs sql in the transaction.
func (t *tx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br, err := t.send(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	if br == nil {
		return t.conn.Query(ctx, sql, args...)
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow is Query for at most one row.
func (t *tx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := t.Query(ctx, sql, args...)
	return poolRow{rows: rows, err: err}
}

// batchRows are the rows of a pipelined query: closing them also reads the
// end of the pipeline, which frees the connection for the next statement.
type batchRows struct {
	pgx.Rows
	br   pgx.BatchResults
	once sync.Once
	err  error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	r.once.Do(func() { r.err = r.br.Close() })
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// savepoint runs fn so that its failure undoes only what fn wrote and leaves
// the transaction usable.
func (t *tx) savepoint(ctx context.Context, fn func() error) error {
	t.scopes = append(t.scopes, 0)
	level := len(t.scopes) - 1
	defer func() { t.scopes = t.scopes[:level] }()
	if err := fn(); err != nil {
		sp := t.scopes[level]
		if sp == 0 {
			return err // fn sent nothing: there is nothing to undo
		}
		// Also ends the savepoints above sp; sp itself stays, finished.
		if _, rerr := t.conn.Exec(context.WithoutCancel(ctx), "rollback to savepoint "+spName(sp)); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
		t.open = sp
		return err
	}
	return nil
}

// commit ends the transaction; one that never sent a statement has nothing
// to commit.
func (t *tx) commit(ctx context.Context) error {
	if !t.begun {
		return nil
	}
	tag, err := t.conn.Exec(ctx, "commit")
	if err != nil {
		return err
	}
	if tag.String() == "ROLLBACK" {
		// The transaction had failed: the server rolled it back.
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// rollback abandons the transaction. On failure the connection is left in
// a transaction, and the pool closes it rather than reuse it.
func (t *tx) rollback(ctx context.Context) {
	if t.begun {
		_, _ = t.conn.Exec(ctx, "rollback")
	}
}
