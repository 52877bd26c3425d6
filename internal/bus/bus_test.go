package bus

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestLocalDeliversInOrderToEverySubscriber(t *testing.T) {
	b := NewLocal(16)
	var mu sync.Mutex
	got := map[int][]int64{}
	var wg sync.WaitGroup
	wg.Add(2 * 5)
	for i := 0; i < 2; i++ {
		i := i
		cancel := b.Subscribe(func(e desk.Event) {
			mu.Lock()
			got[i] = append(got[i], e.ConversationID)
			mu.Unlock()
			wg.Done()
		})
		defer cancel()
	}
	for id := int64(1); id <= 5; id++ {
		b.Publish(context.Background(), desk.Event{Type: desk.EventMessageCreated, ConversationID: id})
	}
	wg.Wait()
	for i := 0; i < 2; i++ {
		want := []int64{1, 2, 3, 4, 5}
		if len(got[i]) != len(want) {
			t.Fatalf("subscriber %d got %v, want %v", i, got[i], want)
		}
		for j := range want {
			if got[i][j] != want[j] {
				t.Fatalf("subscriber %d got %v, want %v", i, got[i], want)
			}
		}
	}
}

func TestLocalSlowSubscriberDropsInsteadOfBlocking(t *testing.T) {
	b := NewLocal(2)
	release := make(chan struct{})
	cancel := b.Subscribe(func(desk.Event) { <-release })
	defer cancel()
	for i := 0; i < 10; i++ {
		b.Publish(context.Background(), desk.Event{}) // must not block
	}
	close(release)
	if b.Dropped() == 0 {
		t.Fatalf("Dropped() = 0, want > 0 with a full queue")
	}
}

func TestLocalCancelStopsDelivery(t *testing.T) {
	b := NewLocal(4)
	calls := make(chan struct{}, 10)
	cancel := b.Subscribe(func(desk.Event) { calls <- struct{}{} })
	b.Publish(context.Background(), desk.Event{})
	select {
	case <-calls:
	case <-time.After(5 * time.Second):
		t.Fatal("first event never delivered")
	}
	cancel()
	cancel() // idempotent
	b.Publish(context.Background(), desk.Event{})
	if len(b.subs) != 0 {
		t.Fatalf("subscribers after cancel = %d, want 0", len(b.subs))
	}
}
