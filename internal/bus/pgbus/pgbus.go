// Package pgbus is a desk.Bus shared by every balie node on one PostgreSQL
// database, for scale-out without another server to run: an agent's reply
// stored on node B reaches the visitor's WebSocket on node A.
//
// Publish hands an event to this node's subscribers at once (through a
// bus.Local) and queues it for the other nodes. A sender goroutine takes the
// queue in batches and NOTIFYs a channel named after the schema, one
// notification per event. NOTIFY payloads are limited to 8000 bytes and a
// message may carry 64 KiB, so a large event is written to the unlogged table
// balie_bus_events and only its id is notified; listeners fetch it by id.
// Rows older than a minute are deleted. A listener goroutine on a connection
// of its own waits for notifications, skips its own node's, and republishes
// the rest locally. It reconnects with backoff when the connection drops;
// events sent while it was away are lost. Realtime is best effort: durable
// work goes through the outbox.
//
// A notification's payload is "<node>:<seq>:" followed by the event's JSON
// (starting with "{") or by the id of its row. The sequence number keeps two
// identical events in one transaction apart: PostgreSQL folds identical
// notifications of one transaction into one.
//
// pgbus imports desk, bus and pgx.
package pgbus

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/desk"
)

const (
	// queueSize bounds the events waiting to go out; beyond it Publish drops.
	queueSize = 4096
	// maxBatch events go out in one round trip and transaction.
	maxBatch = 128
	// maxInline is the largest payload sent in the notification itself;
	// PostgreSQL refuses 8000 bytes and more.
	maxInline = 7900
	// keepRows is how long large events stay in the table for listeners to
	// fetch.
	keepRows     = time.Minute
	cleanupEvery = 30 * time.Second
	// opTimeout bounds every round trip, so a hung server cannot hold up
	// the sender or Close for long.
	opTimeout  = 5 * time.Second
	minBackoff = 100 * time.Millisecond
	maxBackoff = 30 * time.Second
	// stableConn is how long a connection must have lasted for the next
	// reconnect to start again at minBackoff.
	stableConn = 30 * time.Second
)

// Bus is a desk.Bus over PostgreSQL LISTEN/NOTIFY. Make one with New and
// Close it when done.
type Bus struct {
	local   *bus.Local
	cfg     *pgx.ConnConfig
	log     *slog.Logger
	node    string // random per Bus; tells a node its own notifications
	channel string // NOTIFY channel, one per schema

	queue   chan outgoing
	seq     atomic.Uint64
	dropped atomic.Int64 // events not sent to other nodes
	closed  atomic.Bool

	listenerPID atomic.Uint32 // backend of the listening connection; 0 while down (tests)

	stop      chan struct{} // closed by Close: the sender drains and exits
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// outgoing is an encoded event waiting in the queue.
type outgoing struct {
	seq  uint64
	body []byte
}

var _ desk.Bus = (*Bus)(nil)

// New connects to the database at dsn (a postgres:// URL or key=value
// string, as for store/postgres: pool_* settings are ignored, search_path
// and other parameters are sent to the server), creates balie_bus_events in
// the connection's schema if needed, and starts listening. Events published
// on other nodes reach this node's subscribers from the moment New returns.
func New(ctx context.Context, dsn string, log *slog.Logger) (*Bus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgx.ParseConfig(stripPoolParams(dsn))
	if err != nil {
		return nil, fmt.Errorf("pgbus: open: %w", err)
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "balie bus"
	}
	b := newBus(cfg, log, queueSize)
	conn, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	schema, err := createTable(ctx, conn)
	if err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	b.channel = channelName(schema)
	if err := b.listen(ctx, conn); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.wg.Add(2)
	go b.receiveLoop(bg, conn)
	go b.sendLoop()
	return b, nil
}

// newBus makes a Bus that is not connected yet.
func newBus(cfg *pgx.ConnConfig, log *slog.Logger, queue int) *Bus {
	return &Bus{
		local: bus.NewLocal(0),
		cfg:   cfg,
		log:   log,
		node:  rand.Text(),
		queue: make(chan outgoing, queue),
		stop:  make(chan struct{}),
	}
}

// Publish delivers e to this node's subscribers and queues it for the other
// nodes, without waiting for the network. When the queue is full the event
// reaches this node only, and is counted in Dropped.
func (b *Bus) Publish(ctx context.Context, e desk.Event) {
	b.local.Publish(ctx, e)
	if b.closed.Load() {
		return
	}
	body, err := encode(e)
	if err != nil {
		b.dropped.Add(1)
		b.log.Error("pgbus: publish", "err", err)
		return
	}
	select {
	case b.queue <- outgoing{seq: b.seq.Add(1), body: body}:
	default:
		b.dropped.Add(1)
	}
}

// Subscribe calls fn for every event published on any node, until cancel is
// called. Like bus.Local, a slow fn loses events rather than blocking.
func (b *Bus) Subscribe(fn func(desk.Event)) (cancel func()) { return b.local.Subscribe(fn) }

// Dropped counts events lost on the way: not sent to the other nodes (queue
// full, database unreachable), or not delivered to a slow local subscriber.
func (b *Bus) Dropped() int64 { return b.dropped.Load() + b.local.Dropped() }

// Close sends what is still queued (for a few seconds at most), stops
// listening and waits for both goroutines. Events published after Close
// reach local subscribers only.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		close(b.stop)
		b.cancel()
		b.wg.Wait()
	})
	return nil
}

// connect opens a new connection.
func (b *Bus) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, b.cfg.Copy())
	if err != nil {
		return nil, fmt.Errorf("pgbus: connect: %w", err)
	}
	return conn, nil
}

// createTable creates balie_bus_events in the first schema of the search
// path and returns that schema's name.
func createTable(ctx context.Context, conn *pgx.Conn) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var schema *string
	// Two nodes starting together would race on IF NOT EXISTS (it checks,
	// then creates); the lock makes them take turns.
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('balie_bus_events'))"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE UNLOGGED TABLE IF NOT EXISTS balie_bus_events (
			id bigserial PRIMARY KEY,
			node text NOT NULL,
			payload text NOT NULL,
			at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT current_schema()").Scan(&schema)
	})
	if err != nil {
		return "", fmt.Errorf("pgbus: create table: %w", err)
	}
	if schema == nil {
		return "", fmt.Errorf("pgbus: create table: no schema in search_path: %w", desk.ErrInvalid)
	}
	return *schema, nil
}

// channelName is the NOTIFY channel for schema. Channels are per database,
// not per schema; naming them after the schema keeps two balie installations
// (or two tests) in one database apart.
func channelName(schema string) string {
	const prefix = "balie_bus."
	if len(prefix)+len(schema) <= 63 { // longer identifiers are truncated
		return prefix + schema
	}
	sum := sha256.Sum256([]byte(schema))
	return prefix + hex.EncodeToString(sum[:16])
}

// listen subscribes conn to the channel.
func (b *Bus) listen(ctx context.Context, conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return fmt.Errorf("pgbus: listen: %w", err)
	}
	b.listenerPID.Store(conn.PgConn().PID())
	return nil
}

// receiveLoop waits for notifications on conn and, when it breaks, on new
// connections, until ctx is cancelled.
func (b *Bus) receiveLoop(ctx context.Context, conn *pgx.Conn) {
	defer b.wg.Done()
	backoff := minBackoff
	for {
		since := time.Now()
		err := b.receive(ctx, conn)
		b.listenerPID.Store(0)
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(closeCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("pgbus: listening connection lost; reconnecting", "err", err)
		if time.Since(since) > stableConn {
			backoff = minBackoff
		}
		for {
			if !sleep(ctx, jitter(backoff)) {
				return
			}
			backoff = min(backoff*2, maxBackoff)
			conn, err = b.connect(ctx)
			if err == nil {
				if err = b.listen(ctx, conn); err == nil {
					break
				}
				conn.Close(context.Background())
			}
			if ctx.Err() != nil {
				return
			}
			b.log.Warn("pgbus: reconnect failed", "err", err, "retry_in", backoff)
		}
		b.log.Info("pgbus: listening again; events sent by other nodes meanwhile were missed")
	}
}

// receive hands every notification on conn to deliver until the
// connection fails or ctx is cancelled.
func (b *Bus) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == b.channel {
			b.deliver(ctx, conn, n.Payload)
		}
	}
}

// deliver publishes a notified event locally, fetching it from the table
// when the payload carries only its id. A broken connection shows up again
// in the next WaitForNotification, which reconnects.
func (b *Bus) deliver(ctx context.Context, conn *pgx.Conn, payload string) {
	node, rest, ok := strings.Cut(payload, ":")
	if !ok || node == b.node {
		return
	}
	_, rest, ok = strings.Cut(rest, ":")
	if !ok {
		b.log.Warn("pgbus: malformed notification", "payload", truncate(payload, 80))
		return
	}
	body := rest
	if !strings.HasPrefix(rest, "{") {
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			b.log.Warn("pgbus: malformed notification", "payload", truncate(payload, 80))
			return
		}
		qctx, cancel := context.WithTimeout(ctx, opTimeout)
		err = conn.QueryRow(qctx, "SELECT payload FROM balie_bus_events WHERE id = $1", id).Scan(&body)
		cancel()
		if errors.Is(err, pgx.ErrNoRows) {
			b.log.Warn("pgbus: event expired before it was fetched", "id", id)
			return
		}
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("pgbus: fetch event", "id", id, "err", err)
			}
			return
		}
	}
	e, err := decode([]byte(body))
	if err != nil {
		b.log.Warn("pgbus: undecodable event", "err", err)
		return
	}
	b.local.Publish(ctx, e)
}

// sendLoop sends queued events in batches until Close, then sends what is
// left. It owns its connection, opened on first use and again after a
// failure, but not before the backoff has passed: meanwhile events are
// dropped, which keeps the queue moving and Close quick.
func (b *Bus) sendLoop() {
	defer b.wg.Done()
	s := sender{b: b, backoff: minBackoff}
	defer s.close()
	cleanup := time.NewTicker(cleanupEvery)
	defer cleanup.Stop()
	batch := make([]outgoing, 0, maxBatch)
	for {
		select {
		case o := <-b.queue:
			batch = b.fill(append(batch[:0], o))
			s.send(batch)
		case <-cleanup.C:
			s.cleanup()
		case <-b.stop:
			for {
				batch = b.fill(batch[:0])
				if len(batch) == 0 {
					return
				}
				s.send(batch)
			}
		}
	}
}

// fill adds queued events to batch, without waiting, up to maxBatch.
func (b *Bus) fill(batch []outgoing) []outgoing {
	for len(batch) < maxBatch {
		select {
		case o := <-b.queue:
			batch = append(batch, o)
		default:
			return batch
		}
	}
	return batch
}

// sender is the sending side's connection and its reconnect state, used by
// sendLoop's goroutine only.
type sender struct {
	b        *Bus
	conn     *pgx.Conn
	backoff  time.Duration
	nextDial time.Time
}

// ready returns an open connection, or nil while the database is
// unreachable.
func (s *sender) ready() *pgx.Conn {
	if s.conn != nil {
		return s.conn
	}
	if time.Now().Before(s.nextDial) {
		return nil
	}
	conn, err := s.b.connect(context.Background())
	if err != nil {
		s.failed(err)
		return nil
	}
	s.conn = conn
	return conn
}

// failed closes the connection and waits the backoff before the next dial.
func (s *sender) failed(err error) {
	s.b.log.Warn("pgbus: sending events failed", "err", err, "retry_in", s.backoff)
	s.close()
	s.nextDial = time.Now().Add(jitter(s.backoff))
	s.backoff = min(s.backoff*2, maxBackoff)
}

func (s *sender) close() {
	if s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.conn.Close(ctx)
		cancel()
		s.conn = nil
	}
}

// send notifies the batch in one transaction: one notification per event,
// delivered in order, all or none.
func (s *sender) send(batch []outgoing) {
	conn := s.ready()
	if conn == nil {
		s.b.dropped.Add(int64(len(batch)))
		return
	}
	b := s.b
	var q pgx.Batch
	for _, o := range batch {
		header := b.node + ":" + strconv.FormatUint(o.seq, 10) + ":"
		if len(header)+len(o.body) <= maxInline {
			q.Queue("SELECT pg_notify($1, $2)", b.channel, header+string(o.body))
			continue
		}
		q.Queue(`WITH ins AS (INSERT INTO balie_bus_events (node, payload) VALUES ($1, $2) RETURNING id)
			SELECT pg_notify($3, $4::text || id::text) FROM ins`, b.node, string(o.body), b.channel, header)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := conn.SendBatch(ctx, &q).Close(); err != nil {
		b.dropped.Add(int64(len(batch)))
		s.failed(err)
		return
	}
	s.backoff = minBackoff
}

// cleanup deletes rows every listener has had time to fetch.
func (s *sender) cleanup() {
	conn := s.ready()
	if conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	_, err := conn.Exec(ctx, "DELETE FROM balie_bus_events WHERE at < now() - $1::interval",
		fmt.Sprintf("%d seconds", int(keepRows/time.Second)))
	if err != nil {
		s.failed(fmt.Errorf("cleanup: %w", err))
	}
}

// poolParam matches a pool_* setting in a key=value DSN.
var poolParam = regexp.MustCompile(`(^|\s+)pool_\w+\s*=\s*('(?:[^'\\]|\\.)*'|\S*)`)

// stripPoolParams removes the pool_* settings that store/postgres reads
// (pool_max_conns): pgx would send them to the server, which refuses them.
func stripPoolParams(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn // pgx reports a bad URL better
		}
		q := u.Query()
		for k := range q {
			if strings.HasPrefix(k, "pool_") {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(poolParam.ReplaceAllString(dsn, ""))
}

// sleep waits d or until ctx is done, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// jitter spreads d over [d/2, d) so that nodes losing the database together
// do not come back in step.
func jitter(d time.Duration) time.Duration {
	return d/2 + mrand.N(d/2+1)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
