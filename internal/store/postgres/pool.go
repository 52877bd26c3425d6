package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// pool is a small connection pool over pgx.Conn.
//
// pgxpool would do, but it needs github.com/jackc/puddle/v2, which go.mod does
// not list yet. pool implements the same querier surface, so moving to
// pgxpool.Pool later only changes Open and InTx.
type pool struct {
	cfg   *pgx.ConnConfig
	slots chan struct{} // one token per open or opening connection in use

	mu     sync.Mutex
	idle   []*pgx.Conn
	closed bool
}

var errPoolClosed = errors.New("pool closed")

func newPool(cfg *pgx.ConnConfig, size int) *pool {
	return &pool{cfg: cfg, slots: make(chan struct{}, size)}
}

// acquire returns a connection for the caller's sole use until release.
func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, errPoolClosed
	}
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if !c.IsClosed() {
			p.mu.Unlock()
			return c, nil
		}
	}
	p.mu.Unlock()
	c, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		<-p.slots
		return nil, err
	}
	// Read timestamptz values in UTC, whatever the process's time zone.
	c.TypeMap().RegisterType(&pgtype.Type{
		Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
	return c, nil
}

// release gives c back. A connection left in a transaction or a broken state
// is closed rather than reused.
func (p *pool) release(c *pgx.Conn) {
	defer func() { <-p.slots }()
	if c.IsClosed() || c.PgConn().IsBusy() || c.PgConn().TxStatus() != 'I' {
		closeConn(c)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		closeConn(c)
		return
	}
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.closed = true
	p.mu.Unlock()
	for _, c := range idle {
		closeConn(c)
	}
}

func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// Exec runs sql on a pooled connection.
func (p *pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer p.release(c)
	return c.Exec(ctx, sql, args...)
}

// Query runs sql on a pooled connection, held until the rows are closed or
// read to the end.
func (p *pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		p.release(c)
		return nil, err
	}
	return &poolRows{Rows: rows, release: func() { p.release(c) }}, nil
}

// QueryRow is Query for at most one row.
func (p *pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := p.Query(ctx, sql, args...)
	return poolRow{rows: rows, err: err}
}

type poolRows struct {
	pgx.Rows
	once    sync.Once
	release func()
}

func (r *poolRows) Close() {
	r.Rows.Close()
	r.once.Do(r.release)
}

func (r *poolRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

type poolRow struct {
	rows pgx.Rows
	err  error
}

func (r poolRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// poolMaxConns matches the pool size setting in a key=value DSN.
var poolMaxConns = regexp.MustCompile(`(^|\s)pool_max_conns\s*=\s*(\S*)\s*`)

// poolSize takes the pool_max_conns setting out of dsn (the server would
// reject it as an unknown parameter) and returns it, or DefaultMaxConns.
func poolSize(dsn string) (int, string, error) {
	raw := ""
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			// pgx reports a bad URL better.
			return DefaultMaxConns, dsn, nil
		}
		q := u.Query()
		if !q.Has("pool_max_conns") {
			return DefaultMaxConns, dsn, nil
		}
		raw = q.Get("pool_max_conns")
		q.Del("pool_max_conns")
		u.RawQuery = q.Encode()
		dsn = u.String()
	} else {
		m := poolMaxConns.FindStringSubmatch(dsn)
		if m == nil {
			return DefaultMaxConns, dsn, nil
		}
		raw = m[2]
		dsn = strings.TrimSpace(poolMaxConns.ReplaceAllString(dsn, "$1"))
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, "", fmt.Errorf("pool_max_conns %q: want a positive number", raw)
	}
	return n, dsn, nil
}
