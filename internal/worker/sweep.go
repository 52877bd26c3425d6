package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Sweeper runs periodic housekeeping.
type Sweeper struct {
	Every time.Duration
	Jobs  []Job
	Log   *slog.Logger
}

// Job is one periodic task.
type Job struct {
	Name string
	Run  func(ctx context.Context) error
}

// Run runs every job once per period until ctx is done.
func (s *Sweeper) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, j := range s.Jobs {
			if err := j.Run(ctx); err != nil && ctx.Err() == nil {
				s.Log.Error("sweep failed", "job", j.Name, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ExpiredSessions deletes sessions past their expiry.
func ExpiredSessions(st desk.SessionStore, clock desk.Clock) Job {
	return Job{Name: "expired sessions", Run: func(ctx context.Context) error {
		return st.DeleteExpiredSessions(ctx, clock.Now())
	}}
}
