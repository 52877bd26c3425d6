// Package bus carries domain events (desk.Event) from the services that cause
// them to the subscribers that react: realtime delivery, the bot, analytics.
// Local is the in-process bus of the embedded default; a NATS bus for
// scale-out implements the same desk.Bus port.
//
// bus imports only desk.
package bus

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/balie-dev/balie/internal/desk"
)

// Local is an in-process desk.Bus. Each subscriber has its own buffered
// queue and goroutine, so a slow subscriber never holds up the publisher or
// the other subscribers; when its queue is full, events for it are dropped and
// counted (realtime is best effort; durable work goes through the outbox).
type Local struct {
	mu      sync.RWMutex
	subs    map[int]*subscriber
	nextID  int
	dropped atomic.Int64
	queue   int
}

type subscriber struct {
	ch   chan desk.Event
	done chan struct{}
}

// NewLocal returns a bus whose subscribers each buffer up to queue events.
func NewLocal(queue int) *Local {
	if queue <= 0 {
		queue = 4096
	}
	return &Local{subs: map[int]*subscriber{}, queue: queue}
}

// Publish hands e to every subscriber without blocking.
func (b *Local) Publish(_ context.Context, e desk.Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, s := range b.subs {
		select {
		case s.ch <- e:
		default:
			b.dropped.Add(1)
		}
	}
}

// Subscribe calls fn for each event, in publish order, on a goroutine of its
// own, until cancel is called.
func (b *Local) Subscribe(fn func(desk.Event)) (cancel func()) {
	s := &subscriber{ch: make(chan desk.Event, b.queue), done: make(chan struct{})}
	b.mu.Lock()
	id := b.nextID
	b.nextID++
	b.subs[id] = s
	b.mu.Unlock()
	go func() {
		for {
			select {
			case e := <-s.ch:
				fn(e)
			case <-s.done:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, id)
			b.mu.Unlock()
			close(s.done)
		})
	}
}

// Dropped counts events not delivered because a subscriber was too slow.
func (b *Local) Dropped() int64 { return b.dropped.Load() }
