package slawatch_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/slawatch"
	"github.com/balie-dev/balie/internal/testenv"
)

var errCrash = errors.New("crashed")

// lostMark is a store whose next FinishSLAEscalation is lost: the node
// wrote the note (and sent the alert) and crashed before marking the
// escalation done.
type lostMark struct {
	slawatch.Store
	lose bool
}

func (s *lostMark) FinishSLAEscalation(ctx context.Context, id int64, at time.Time, reason string) error {
	if s.lose {
		s.lose = false
		return errCrash
	}
	return s.Store.FinishSLAEscalation(ctx, id, at, reason)
}

// lostAnswer writes the note and then reports a failure, as when the
// commit's answer is lost: the note is there, the sweep thinks it failed
// and sent no alert.
type lostAnswer struct {
	slawatch.Conversations
	lose bool
}

func (c *lostAnswer) NoteOnce(ctx context.Context, by conversation.Actor, id int64, key, body string) (*desk.Message, bool, error) {
	m, created, err := c.Conversations.NoteOnce(ctx, by, id, key, body)
	if err == nil && c.lose {
		c.lose = false
		return nil, false, errCrash
	}
	return m, created, err
}

// TestCrashAfterNoteWritesNoSecondNote: an escalation whose note was
// written but which was not marked done is taken up again when its lease
// ends; the next sweep finds the note by its key and marks the escalation
// done, without a second note or alert.
func TestCrashAfterNoteWritesNoSecondNote(t *testing.T) {
	tests := []struct {
		name string
		// crash makes the next escalation's note or done mark fail after
		// the note is written, with the services of a node that crashes.
		crash      func(st *lostMark, convs *lostAnswer)
		wantAlerts int
	}{
		{"done mark lost", func(st *lostMark, _ *lostAnswer) { st.lose = true }, 1},
		// The alert of a note written before is not sent again, so here
		// supervisors get none: the note in the thread and the SLA list
		// remain (see escalate).
		{"note's answer lost", func(_ *lostMark, convs *lostAnswer) { convs.lose = true }, 0},
	}
	for _, open := range testenv.Stores() {
		for _, tt := range tests {
			t.Run(open.Name+"/"+tt.name, func(t *testing.T) {
				f := newFixture(t, open, tuesday, "")
				st := &lostMark{Store: routingStore(t, f.st)}
				convs := &lostAnswer{Conversations: f.convs}
				clock := desk.ClockFunc(func() time.Time { return f.now })
				f.svc = slawatch.New(st, convs, f.bus, clock, slawatch.Options{})
				f.policy(desk.SLAPolicy{Name: "Chat", FirstResponse: time.Hour, WarnAt: 0.5})
				id := f.write(0, "Waar blijft mijn pakket?").Conversation.ID
				f.sweepAt(tuesday.Add(time.Minute))

				tt.crash(st, convs)
				if err := f.sweepErr(tuesday.Add(35 * time.Minute)); !errors.Is(err, errCrash) {
					t.Fatalf("sweep that crashed: %v, want the crash", err)
				}
				esc := f.escalations(id)
				if len(esc) != 1 || !esc[0].DoneAt.IsZero() {
					t.Fatalf("escalations after the crash %+v, want one owed", esc)
				}
				if got := f.notes(id); strings.Join(got, "|") != warnNote {
					t.Fatalf("notes after the crash %q, want the warning", got)
				}

				// Another node takes over: within the lease (the done
				// mark lost) or at once (the note failed as far as the
				// sweep knows) it tries again, and writes nothing.
				f.restart()
				for _, at := range []time.Duration{36 * time.Minute, 38 * time.Minute, 40 * time.Minute} {
					f.sweepAt(tuesday.Add(at))
				}
				if got := f.notes(id); strings.Join(got, "|") != warnNote {
					t.Errorf("notes %q, want the one warning", got)
				}
				if got := len(f.bus.alerts()); got != tt.wantAlerts {
					t.Errorf("%d alerts, want %d", got, tt.wantAlerts)
				}
				esc = f.escalations(id)
				if len(esc) != 1 || esc[0].DoneAt.IsZero() || esc[0].GaveUp || esc[0].Attempts != 2 {
					t.Errorf("escalations %+v, want one done (not given up) after 2 attempts", esc)
				}
			})
		}
	}
}
