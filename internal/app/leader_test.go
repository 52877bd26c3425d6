package app

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// TestWhileLeading: the work runs while the node leads, stops when it loses
// the lead, and starts again when it leads anew; a failing attempt to lead
// is retried.
func TestWhileLeading(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var attempts, runs atomic.Int32
	lead := func(ctx context.Context) (context.Context, error) {
		switch attempts.Add(1) {
		case 2:
			return nil, errors.New("database unreachable")
		case 4:
			cancel() // the node shuts down during its third term
		}
		lctx, lose := context.WithTimeout(ctx, 10*time.Millisecond)
		t.Cleanup(lose)
		return lctx, nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		whileLeading(ctx, lead, slog.New(slog.DiscardHandler), "test", func(lctx context.Context) {
			runs.Add(1)
			<-lctx.Done() // works until the lead is lost
		})
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("whileLeading did not return after the context ended")
	}
	if got := runs.Load(); got < 2 {
		t.Errorf("ran %d terms, want the work started again after the lead was lost and after a failed attempt", got)
	}
}
