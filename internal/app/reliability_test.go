package app

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// TestOutboxUnderAFlakyProvider: replies go to a partner API that fails
// 30% of calls (503). Every reply is processed by the partner exactly once
// and none is lost: each ends up sent. The partner de-duplicates on the
// delivery id (X-Balie-Delivery), as docs/api.md asks receivers to: a
// delivery whose lease ran out mid-flight (here: the test's clock jumps)
// is sent again with the same id.
func TestOutboxUnderAFlakyProvider(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		var mu sync.Mutex
		got := map[string]int{}   // message id → deliveries processed
		seen := map[string]bool{} // delivery ids processed
		calls, failed, repeats := 0, 0, 0
		rng := rand.New(rand.NewPCG(7, 8))
		partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			calls++
			if rng.Float64() < 0.3 {
				failed++
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			var p struct {
				Message struct {
					ID int64 `json:"id"`
				} `json:"message"`
			}
			json.Unmarshal(b, &p)
			key := r.Header.Get("X-Balie-Delivery")
			if seen[key] {
				repeats++
				return
			}
			seen[key] = true
			got[fmt.Sprint(p.Message.ID)]++
		}))
		defer partner.Close()
		inbox := e.must(desk.RoleAdmin, "POST", "/api/v1/inboxes", map[string]any{"name": "Partner", "channel": "api",
			"settings": map[string]string{"webhook_url": partner.URL, "webhook_secret": "a-secret-of-16-chars-or-more"}}, 201)
		created := e.must(desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{"inbox_id": num(inbox["id"]),
			"contact": map[string]any{"email": "jan@example.nl"}, "message": map[string]any{"body": "Hoi"}}, 201)
		convID := num(created["conversation"].(map[string]any)["id"])
		const n = 120
		var ids []int64
		for i := range n {
			m := e.must(desk.RoleAgent, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convID),
				map[string]any{"type": "reply", "body": fmt.Sprintf("Antwoord %d", i)}, 201)
			ids = append(ids, num(m["id"]))
		}
		allSent := func() bool {
			for _, id := range ids {
				m, err := e.app.Store.MessageByID(t.Context(), id)
				if err != nil || m.Delivery != desk.DeliverySent {
					return false
				}
			}
			return true
		}
		// Retries are due after their backoff: move the clock on between
		// rounds, never while deliveries may be in flight.
		for round := 0; round < 400 && !allSent(); round++ {
			e.app.Outbox.Kick()
			time.Sleep(50 * time.Millisecond)
			e.clock.Add(time.Minute)
		}
		if !allSent() {
			t.Fatalf("not every reply was sent")
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if c := got[fmt.Sprint(id)]; c != 1 {
				t.Errorf("message %d accepted %d times, want exactly once", id, c)
			}
		}
		t.Logf("%d replies, %d calls, %d refused (%.0f%%), %d repeated deliveries dropped by id: each processed once",
			n, calls, failed, 100*float64(failed)/float64(calls), repeats)
	})
}
