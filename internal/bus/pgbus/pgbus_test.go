package pgbus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

const dsnEnv = "BALIE_TEST_DATABASE_URL"

// wait bounds how long a test waits for an event that should come; it is a
// guard against hanging, not a measure of speed.
const wait = 15 * time.Second

// schemaDSN creates a fresh schema, dropped when the test ends, and returns
// a DSN whose search_path points at it (with pool_max_conns, as balie's DSNs
// may carry).
func schemaDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skipf("%s is not set", dsnEnv)
	}
	schema := "t_" + hex.EncodeToString([]byte(rand.Text()[:6]))
	admin := adminConn(t)
	if _, err := admin.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("connect: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", dsnEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "8")
	u.RawQuery = q.Encode()
	return u.String()
}

func adminConn(t *testing.T) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(t.Context(), os.Getenv(dsnEnv))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func open(t *testing.T, dsn string) *Bus {
	t.Helper()
	b, err := New(t.Context(), dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// recorder collects the events a subscriber sees.
type recorder struct {
	mu     sync.Mutex
	events []desk.Event
	more   chan struct{} // signalled on every event
}

func record(t *testing.T, b *Bus) *recorder {
	r := &recorder{more: make(chan struct{}, 1)}
	cancel := b.Subscribe(func(e desk.Event) {
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
		select {
		case r.more <- struct{}{}:
		default:
		}
	})
	t.Cleanup(cancel)
	return r
}

func (r *recorder) snapshot() []desk.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]desk.Event(nil), r.events...)
}

// waitFor waits until an event of type typ with conversation id conv has
// arrived, and returns everything seen so far.
func (r *recorder) waitFor(t *testing.T, typ string, conv int64) []desk.Event {
	t.Helper()
	deadline := time.After(wait)
	for {
		got := r.snapshot()
		for _, e := range got {
			if e.Type == typ && e.ConversationID == conv {
				return got
			}
		}
		select {
		case <-r.more:
		case <-deadline:
			t.Fatalf("no %s event for conversation %d within %s; got %d events", typ, conv, wait, len(got))
		}
	}
}

func count(events []desk.Event, typ string, conv int64) int {
	n := 0
	for _, e := range events {
		if e.Type == typ && e.ConversationID == conv {
			n++
		}
	}
	return n
}

const marker = "test.marker"

func TestEventsReachOtherNodeExactlyOnce(t *testing.T) {
	dsn := schemaDSN(t)
	a, b := open(t, dsn), open(t, dsn)
	onA, onB := record(t, a), record(t, b)

	big := everyField(t)
	big.Type, big.ConversationID = desk.EventMessageCreated, 100
	big.Message.Body = strings.Repeat("groot bericht ✓ ", 3500) // 63000 bytes, past NOTIFY's limit
	small := everyField(t)
	small.Type, small.ConversationID = desk.EventConversationUpdated, 101
	typing := desk.Event{Type: desk.EventTyping, ConversationID: 102, TypingSender: desk.SenderContact, Typing: true}
	sent := []desk.Event{big, small, typing, typing} // identical events must not be folded into one

	for _, e := range sent {
		a.Publish(t.Context(), e)
	}
	a.Publish(t.Context(), desk.Event{Type: marker, ConversationID: 1})
	gotB := onB.waitFor(t, marker, 1)
	// B answers with a marker of its own. NOTIFY delivers in commit order,
	// so any echo of A's own events would reach A before B's marker does.
	b.Publish(t.Context(), desk.Event{Type: marker, ConversationID: 2})
	gotA := onA.waitFor(t, marker, 2)

	tests := []struct {
		name string
		got  []desk.Event
	}{
		{"other node", gotB},
		{"publishing node", gotA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []desk.Event
			for _, e := range tc.got {
				if e.Type != marker {
					got = append(got, e)
				}
			}
			if len(got) != len(sent) {
				t.Fatalf("got %d events, want %d (each exactly once)", len(got), len(sent))
			}
			for i := range sent {
				if !reflect.DeepEqual(got[i], sent[i]) {
					t.Errorf("event %d (%s) changed on the way\n got: %+v\nwant: %+v", i, sent[i].Type, got[i], sent[i])
				}
			}
			if tc.name == "other node" && len(got[0].Message.Body) < 60*1024 {
				t.Errorf("big body arrived with %d bytes, want >= 60 KiB", len(got[0].Message.Body))
			}
		})
	}
	if n := count(gotA, marker, 1); n != 1 {
		t.Errorf("A saw its own marker %d times, want once", n)
	}
	if a.Dropped() != 0 || b.Dropped() != 0 {
		t.Errorf("Dropped() = %d on A, %d on B, want 0", a.Dropped(), b.Dropped())
	}
}

func TestSchemasDoNotShareEvents(t *testing.T) {
	dsn1, dsn2 := schemaDSN(t), schemaDSN(t)
	a, a2 := open(t, dsn1), open(t, dsn1)
	other, mate := open(t, dsn2), open(t, dsn2)
	onA2, onOther := record(t, a2), record(t, other)

	a.Publish(t.Context(), desk.Event{Type: marker, ConversationID: 1})
	onA2.waitFor(t, marker, 1)
	// A's event is committed; NOTIFY delivers in commit order, so had other
	// listened to A's channel it would see A's event before mate's.
	mate.Publish(t.Context(), desk.Event{Type: marker, ConversationID: 2})
	got := onOther.waitFor(t, marker, 2)
	if n := count(got, marker, 1); n != 0 {
		t.Errorf("bus on another schema received %d events, want 0", n)
	}
}

func TestListenerReconnects(t *testing.T) {
	dsn := schemaDSN(t)
	a, b := open(t, dsn), open(t, dsn)
	onB := record(t, b)
	admin := adminConn(t)

	pid := b.listenerPID.Load()
	if pid == 0 {
		t.Fatal("listener has no backend pid after New")
	}
	var ok bool
	if err := admin.QueryRow(t.Context(), "SELECT pg_terminate_backend($1)", int32(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
	deadline := time.Now().Add(wait)
	for {
		if p := b.listenerPID.Load(); p != 0 && p != pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener did not reconnect within %s", wait)
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.Publish(t.Context(), desk.Event{Type: marker, ConversationID: 7})
	got := onB.waitFor(t, marker, 7)
	if n := count(got, marker, 7); n != 1 {
		t.Errorf("got the event %d times after reconnecting, want once", n)
	}
}

func TestSenderRecovers(t *testing.T) {
	dsn := schemaDSN(t)
	a, b := open(t, dsn), open(t, dsn)
	onB := record(t, b)
	a.Publish(t.Context(), desk.Event{Type: marker, ConversationID: 1})
	onB.waitFor(t, marker, 1)

	// Kill A's sending connection: the next batch fails (and is dropped),
	// a later one goes out on a new connection.
	admin := adminConn(t)
	_, err := admin.Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'balie bus' AND pid <> $1 AND pid <> $2`, int32(a.listenerPID.Load()), int32(b.listenerPID.Load()))
	if err != nil {
		t.Fatalf("terminate sender: %v", err)
	}
	deadline := time.Now().Add(wait)
	for conv := int64(100); ; conv++ {
		a.Publish(t.Context(), desk.Event{Type: marker, ConversationID: conv})
		if slices.ContainsFunc(onB.snapshot(), func(e desk.Event) bool { return e.ConversationID >= 100 }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event reached B within %s of killing A's sender", wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCloseIsClean(t *testing.T) {
	dsn := schemaDSN(t)
	b, err := New(t.Context(), dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	other := open(t, dsn)
	onOther := record(t, other)
	onB := record(t, b)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				b.Publish(context.Background(), desk.Event{Type: desk.EventTyping, ConversationID: int64(i*1000 + j)})
			}
		}()
	}
	wg.Wait()
	b.Publish(t.Context(), desk.Event{Type: marker, ConversationID: 1})
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// What was queued before Close went out.
	onOther.waitFor(t, marker, 1)
	// After Close, Publish still reaches local subscribers and never blocks.
	b.Publish(t.Context(), desk.Event{Type: marker, ConversationID: 2})
	onB.waitFor(t, marker, 2)
	if pid := b.listenerPID.Load(); pid != 0 {
		t.Errorf("listener pid = %d after Close, want 0", pid)
	}
}

func TestOldRowsAreDeleted(t *testing.T) {
	dsn := schemaDSN(t)
	b := open(t, dsn)
	c, err := pgx.Connect(t.Context(), stripPoolParams(dsn))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(t.Context(), `INSERT INTO balie_bus_events (node, payload, at) VALUES
		('x', '{}', now() - interval '2 minutes'), ('x', '{}', now())`); err != nil {
		t.Fatalf("insert: %v", err)
	}
	s := sender{b: b, backoff: minBackoff}
	defer s.close()
	s.cleanup()
	var n int
	if err := c.QueryRow(t.Context(), "SELECT count(*) FROM balie_bus_events").Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	if n != 1 {
		t.Errorf("%d rows left after cleanup, want 1 (the recent one)", n)
	}
}
