package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// dedupingProvider is a channel whose provider honours idempotency keys,
// as the API channel's receivers and mail servers (by Message-ID) can: a
// key seen before is answered with the first send's id and not delivered
// again.
type dedupingProvider struct {
	mu        sync.Mutex
	keys      []string          // every request's key, in order
	delivered []string          // bodies that reached the customer
	ids       map[string]string // key → provider id
	// during, when set, runs inside Send after the provider accepted.
	during func()
}

func (*dedupingProvider) Kind() desk.ChannelKind { return desk.ChannelWebChat }

func (p *dedupingProvider) Send(_ context.Context, out desk.Outbound) (string, error) {
	p.mu.Lock()
	p.keys = append(p.keys, out.IdempotencyKey)
	id, seen := p.ids[out.IdempotencyKey]
	if !seen {
		id = fmt.Sprintf("provider-%d", len(p.ids)+1)
		p.ids[out.IdempotencyKey] = id
		p.delivered = append(p.delivered, out.Message.Body)
	}
	during := p.during
	p.during = nil
	p.mu.Unlock()
	if during != nil {
		during()
	}
	return id, nil
}

// crashingStore fails its next transaction when armed: the write that
// records a send as done is lost, as when the node dies between the
// provider's answer and the commit.
type crashingStore struct {
	desk.Store
	armed atomic.Bool
}

func (s *crashingStore) InTx(ctx context.Context, fn func(tx desk.Store) error) error {
	if s.armed.CompareAndSwap(true, false) {
		return errors.New("node crashed before commit")
	}
	return s.Store.InTx(ctx, fn)
}

// TestNothingSentTwiceAfterACrash: a worker's send is accepted by the
// provider but never recorded; once its lease has run out another worker
// sends again with the same idempotency key, the provider drops the repeat,
// and the message ends sent once, with the provider's id.
func TestNothingSentTwiceAfterACrash(t *testing.T) {
	for _, store := range testenv.Stores() {
		t.Run(store.Name, func(t *testing.T) {
			tests := []struct {
				name string
				// arm arranges for the first worker's result to be lost;
				// when another worker claims the item meanwhile, its
				// claim goes to stolen.
				arm func(t *testing.T, f *sendFixture, st *crashingStore, p *dedupingProvider, stolen *desk.OutboxItem)
			}{
				{"record of the send fails", func(_ *testing.T, _ *sendFixture, st *crashingStore, _ *dedupingProvider, _ *desk.OutboxItem) {
					st.armed.Store(true)
				}},
				{"lease runs out during the send", func(t *testing.T, f *sendFixture, _ *crashingStore, p *dedupingProvider, stolen *desk.OutboxItem) {
					// A stalled node: another worker claims the item
					// while the provider is still answering.
					p.during = func() { *stolen = f.claim(t, 3) }
				}},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					f := newSendFixture(t, store.Open)
					st := &crashingStore{Store: f.st}
					p := &dedupingProvider{ids: map[string]string{}}
					log := slog.New(slog.NewTextHandler(io.Discard, nil))
					clock := desk.ClockFunc(func() time.Time { return f.now })
					first := NewOutbox(st, nopBus{}, clock, log, OutboxOptions{Channels: []desk.Channel{p}})
					second := NewOutbox(f.st, nopBus{}, clock, log, OutboxOptions{Channels: []desk.Channel{p}})

					it := f.claim(t, 0)
					var stolen desk.OutboxItem
					tc.arm(t, f, st, p, &stolen)
					first.deliver(t.Context(), it, time.Now().Add(time.Minute))
					if d, _ := f.state(t); d != desk.DeliveryQueued {
						t.Fatalf("after the lost result the message is %q, want still %q", d, desk.DeliveryQueued)
					}

					if stolen.ID == 0 {
						stolen = f.claim(t, 3) // after the first lease ran out
					}
					second.deliver(t.Context(), stolen, time.Now().Add(time.Minute))

					p.mu.Lock()
					keys, delivered := append([]string(nil), p.keys...), append([]string(nil), p.delivered...)
					p.mu.Unlock()
					if len(keys) != 2 || keys[0] != keys[1] || keys[0] != f.item.IdempotencyKey {
						t.Errorf("provider saw keys %q, want %q twice", keys, f.item.IdempotencyKey)
					}
					if len(delivered) != 1 {
						t.Errorf("customer got %d messages (%q), want 1", len(delivered), delivered)
					}
					delivery, item := f.state(t)
					if delivery != desk.DeliverySent || item.State != desk.OutboxDone || item.Attempts != 2 {
						t.Errorf("message %q, item %s after %d attempts; want sent, done after 2", delivery, item.State, item.Attempts)
					}
					m, err := f.st.MessageByID(t.Context(), f.msg.ID)
					if err != nil {
						t.Fatal(err)
					}
					if m.ExternalID != "provider-1" {
						t.Errorf("message's provider id = %q, want the first (only) send's %q", m.ExternalID, "provider-1")
					}
				})
			}
		})
	}
}
