package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// sink is the loopback HTTP endpoint the bench inbox's webhook_url points at:
// agent replies leave the server through its outbox and land here. It counts
// distinct deliveries of agent messages.
type sink struct {
	srv *http.Server
	ln  net.Listener
	url string

	mu    sync.Mutex
	seen  map[string]bool
	count int
	// other counts deliveries that were not agent replies (kept for the report).
	other int
}

func startSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: sink: %w", err)
	}
	s := &sink{ln: ln, seen: map[string]bool{}, url: "http://" + ln.Addr().String() + "/hook"}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	// Serve only returns early if the listener breaks; the drain wait then
	// times out and the report says so.
	go s.srv.Serve(ln)
	return s, nil
}

// delivery is the part of the documented webhook body the sink looks at.
type delivery struct {
	ID   string `json:"id"`
	Data struct {
		Message struct {
			ID     int64  `json:"id"`
			Sender string `json:"sender"`
		} `json:"message"`
	} `json:"data"`
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	var d delivery
	_ = json.Unmarshal(body, &d) // an unknown shape still counts as a delivery
	// De-duplicate retries: the delivery header is stable across them; fall
	// back to the body's id, then to the message id.
	key := r.Header.Get("X-Balie-Delivery")
	if key == "" {
		key = d.ID
	}
	if key == "" && d.Data.Message.ID != 0 {
		key = fmt.Sprint("m", d.Data.Message.ID)
	}
	s.mu.Lock()
	switch {
	case key != "" && s.seen[key]:
	case d.Data.Message.Sender != "" && d.Data.Message.Sender != "agent":
		s.other++
	default:
		if key != "" {
			s.seen[key] = true
		}
		s.count++
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *sink) received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// waitFor polls until at least want replies have arrived; it reports whether
// they did before timeout.
func (s *sink) waitFor(ctx context.Context, want int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.received() < want {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

func (s *sink) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}
