// Package postgres implements desk.Store on PostgreSQL, for running several
// balie nodes against one database. It owns its SQL: hand-written queries and
// embedded, numbered, forward-only migrations. It imports desk and lang only
// (plus pgx).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/balie-dev/balie/internal/desk"
)

// querier is what the store methods need from a database handle: the pool
// for plain calls, a tx inside InTx. Both Store flavours share all method
// code through it.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store is desk.Store on PostgreSQL. Open returns one bound to a connection
// pool; InTx hands fn one bound to a transaction.
type Store struct {
	q    querier
	pool *pool // nil inside a transaction
	tx   *tx   // nil outside a transaction
}

var _ desk.Store = (*Store)(nil)

// DefaultMaxConns is the pool size when the DSN sets no pool_max_conns.
const DefaultMaxConns = 10

// Open connects to the database at dsn (a postgres:// URL or key=value
// string), brings its schema up to date and returns the store. The DSN may
// carry pool_max_conns; other unknown parameters (search_path, ...) are sent
// to the server as run-time settings.
func Open(ctx context.Context, dsn string) (*Store, error) {
	size, dsn, err := poolSize(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	// Times are stored as timestamptz; reading them in UTC keeps round trips
	// exact and comparable.
	cfg.RuntimeParams["timezone"] = "UTC"
	p := newPool(cfg, size)
	s := &Store{q: p, pool: p}
	if err := s.migrate(ctx); err != nil {
		p.close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool's connections. Inside InTx it does nothing.
func (s *Store) Close() error {
	if s.pool != nil {
		s.pool.close()
	}
	return nil
}

// InTx runs fn in one transaction. Called on a Store that is already in a
// transaction, it runs fn in a savepoint of that transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx desk.Store) error) error {
	if s.tx != nil {
		return s.tx.savepoint(ctx, func() error { return fn(s) })
	}
	c, err := s.pool.acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer s.pool.release(c)
	t := &tx{conn: c}
	committed := false
	defer func() {
		if !committed {
			// Also on a panic in fn. The rollback error is of no
			// interest next to fn's.
			t.rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(&Store{q: t, tx: t}); err != nil {
		return err
	}
	committed = true
	if err := t.commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", translate(err))
	}
	return nil
}

// translate turns a driver error into one that also matches the desk
// sentinel it stands for, keeping the original for the message.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return desk.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %s", desk.ErrConflict, pe.ConstraintName)
		case "23503": // foreign_key_violation: a reference to a row that is not there
			return fmt.Errorf("%w: %s", errMissingRef, pe.ConstraintName)
		case "23502", "23514", "22001", "22P02", "22003", "22021", "54000":
			// not null, check, too long, bad text, out of range, bad
			// encoding, too large for an index: bad input.
			return fmt.Errorf("%w: %s", desk.ErrInvalid, pe.Message)
		}
	}
	return err
}

// errMissingRef is a reference to a row that does not exist: invalid input
// that is also a not-found, so it matches both sentinels.
var errMissingRef = missingRef{}

type missingRef struct{}

func (missingRef) Error() string { return "invalid reference: not found" }

func (missingRef) Is(target error) bool {
	return target == desk.ErrInvalid || target == desk.ErrNotFound
}

// wrap annotates err with the operation, translated to desk sentinels.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("postgres: %s: %w", op, translate(err))
}

// now is the store's clock for the times it sets itself (CreatedAt,
// UpdatedAt when zero).
func now() time.Time { return ts(time.Now()) }

// ts normalises a time for storage: UTC at millisecond precision, which both
// store drivers keep, so that a time reads back equal to what was written.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// orNow is t normalised, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return ts(t)
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// nullID stores a zero id as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// timeOf reads a nullable time; NULL is the zero time.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// affected reports ErrNotFound when a write touched no row.
func affected(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return desk.ErrNotFound
	}
	return nil
}
