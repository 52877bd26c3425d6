package slawatch_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/slawatch"
	"github.com/balie-dev/balie/internal/testenv"
)

// flakyNotes writes notes through the real service, except that the next
// fail calls fail; it counts the calls.
type flakyNotes struct {
	slawatch.Conversations
	mu    sync.Mutex
	fail  int
	calls int
}

var errNoteDown = errors.New("note writer down")

func (f *flakyNotes) NoteOnce(ctx context.Context, by conversation.Actor, id int64, key, body string) (*desk.Message, bool, error) {
	f.mu.Lock()
	f.calls++
	failing := f.fail > 0
	if failing {
		f.fail--
	}
	f.mu.Unlock()
	if failing {
		return nil, false, errNoteDown
	}
	return f.Conversations.NoteOnce(ctx, by, id, key, body)
}

func (f *flakyNotes) failNext(n int) {
	f.mu.Lock()
	f.fail = n
	f.mu.Unlock()
}

// withNotes replaces the fixture's service by one writing notes through
// notes, as a restart would.
func (f *fixture) withNotes(notes slawatch.Conversations, opts slawatch.Options) {
	clock := desk.ClockFunc(func() time.Time { return f.now })
	f.svc = slawatch.New(routingStore(f.t, f.st), notes, f.bus, clock, opts)
}

// sweepErr sweeps at at and returns the sweep's error.
func (f *fixture) sweepErr(at time.Time) error {
	f.now = at
	return f.svc.Sweep(f.ctx)
}

func (f *fixture) escalations(id int64) []desk.SLAEscalation {
	f.t.Helper()
	got, err := f.st.SLAEscalationsOf(f.ctx, id)
	if err != nil {
		f.t.Fatalf("escalations: %v", err)
	}
	return got
}

const warnNote = "SLA: eerste reactie verloopt vandaag 11:00"

func TestFailedNoteIsRetriedOnce(t *testing.T) {
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			f := newFixture(t, open, tuesday, "")
			notes := &flakyNotes{Conversations: f.convs}
			f.withNotes(notes, slawatch.Options{})
			f.policy(desk.SLAPolicy{Name: "Chat", FirstResponse: time.Hour, WarnAt: 0.5})
			id := f.write(0, "Waar blijft mijn pakket?").Conversation.ID
			f.sweepAt(tuesday.Add(time.Minute))

			notes.failNext(1)
			err := f.sweepErr(tuesday.Add(35 * time.Minute))
			if !errors.Is(err, errNoteDown) {
				t.Fatalf("sweep with a failing note: %v, want the note's error", err)
			}
			if got := f.notes(id); len(got) != 0 {
				t.Fatalf("notes %q after the failure, want none", got)
			}
			if got := f.conv(id).SLAState; got != desk.SLAWarning {
				t.Errorf("state %q after the failed note, want warning (stored with the owed escalation)", got)
			}
			esc := f.escalations(id)
			if len(esc) != 1 || !esc[0].DoneAt.IsZero() || esc[0].LastError == "" {
				t.Fatalf("escalations %+v, want one owed, with the error", esc)
			}

			steps := []struct {
				name string
				at   time.Duration
			}{
				{"retried", 36 * time.Minute},
				{"not again", 37 * time.Minute},
				{"not again later", 50 * time.Minute},
			}
			for _, s := range steps {
				f.sweepAt(tuesday.Add(s.at))
				if got := f.notes(id); strings.Join(got, "|") != warnNote {
					t.Errorf("%s: notes %q, want the one warning", s.name, got)
				}
			}
			if got := len(f.bus.alerts()); got != 1 {
				t.Errorf("%d alerts, want 1", got)
			}
			if esc := f.escalations(id); len(esc) != 1 || esc[0].DoneAt.IsZero() || esc[0].GaveUp || esc[0].Attempts != 2 {
				t.Errorf("escalations %+v, want one done after 2 attempts", esc)
			}
		})
	}
}

func TestFailingNoteIsGivenUp(t *testing.T) {
	tests := []struct {
		name      string
		opts      slawatch.Options
		every     time.Duration
		wantCalls int
	}{
		{"after the attempts", slawatch.Options{EscalationAttempts: 3}, time.Minute, 3},
		{"after the age", slawatch.Options{EscalationAttempts: 100, EscalationMaxAge: 90 * time.Second}, time.Minute, 3},
	}
	for _, open := range testenv.Stores() {
		for _, tt := range tests {
			t.Run(open.Name+"/"+tt.name, func(t *testing.T) {
				f := newFixture(t, open, tuesday, "")
				notes := &flakyNotes{Conversations: f.convs, fail: 1000}
				f.withNotes(notes, tt.opts)
				f.policy(desk.SLAPolicy{Name: "Chat", FirstResponse: time.Hour, WarnAt: 0.5})
				id := f.write(0, "Hallo?").Conversation.ID
				f.sweepAt(tuesday.Add(time.Minute))
				for i := range 8 {
					f.sweepErr(tuesday.Add(35*time.Minute + time.Duration(i)*tt.every))
				}
				if notes.calls != tt.wantCalls {
					t.Errorf("%d tries, want %d", notes.calls, tt.wantCalls)
				}
				esc := f.escalations(id)
				if len(esc) != 1 || !esc[0].GaveUp || esc[0].DoneAt.IsZero() || !strings.Contains(esc[0].LastError, errNoteDown.Error()) {
					t.Errorf("escalations %+v, want one given up with the error", esc)
				}
				// The breach is an escalation of its own.
				notes.failNext(0)
				f.sweepAt(tuesday.Add(61 * time.Minute))
				if got := f.notes(id); strings.Join(got, "|") != "SLA geschonden: eerste reactie" {
					t.Errorf("notes %q, want the breach", got)
				}
			})
		}
	}
}

// TestRestartNeverEscalatesTwice: a new Service over the same store goes on
// where the last sweep left off: nothing reported twice, nothing skipped,
// including a second target that starts warning while the conversation
// already shows a warning.
func TestRestartNeverEscalatesTwice(t *testing.T) {
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			f := newFixture(t, open, tuesday, "")
			f.policy(desk.SLAPolicy{Name: "Chat", FirstResponse: time.Hour, Resolution: 2 * time.Hour, WarnAt: 0.5})
			id := f.write(0, "Mijn factuur klopt niet").Conversation.ID
			f.sweepAt(tuesday.Add(time.Minute))
			f.sweepAt(tuesday.Add(35 * time.Minute))
			want := []string{warnNote}
			check := func(what string) {
				t.Helper()
				if got := f.notes(id); strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("%s: notes %q, want %q", what, got, want)
				}
			}
			check("first warning")

			f.restart()
			f.sweepAt(tuesday.Add(36 * time.Minute))
			check("restart")

			// Down from 36 to 62 minutes: the first response breached, the
			// resolution started warning (at 60); the stored state was
			// already warning.
			f.restart()
			f.sweepAt(tuesday.Add(62 * time.Minute))
			want = append(want, "SLA geschonden: eerste reactie", "SLA: oplossing verloopt vandaag 12:00")
			if got := f.notes(id); len(got) != 3 {
				t.Fatalf("after the downtime: notes %q, want %q (any order)", got, want)
			}
			for _, w := range want {
				if !strings.Contains(strings.Join(f.notes(id), "|"), w) {
					t.Errorf("after the downtime: no note %q in %q", w, f.notes(id))
				}
			}
			f.restart()
			f.sweepAt(tuesday.Add(63 * time.Minute))
			if got := len(f.notes(id)); got != 3 {
				t.Errorf("after another restart: %d notes, want 3", got)
			}
			if got := len(f.bus.alerts()); got != 3 {
				t.Errorf("%d alerts, want 3", got)
			}
		})
	}
}

// TestTwoNodesSweepAtOnce: during a leader change two nodes may sweep the
// same moment from the same stored time; the escalation's record lets one
// of them write the note.
func TestTwoNodesSweepAtOnce(t *testing.T) {
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			f := newFixture(t, open, tuesday, "")
			f.policy(desk.SLAPolicy{Name: "Chat", FirstResponse: time.Hour, WarnAt: 0.5})
			id := f.write(0, "Hallo").Conversation.ID
			f.sweepAt(tuesday.Add(time.Minute))
			f.now = tuesday.Add(35 * time.Minute)
			clock := desk.ClockFunc(func() time.Time { return tuesday.Add(35 * time.Minute) })
			nodes := []*slawatch.Service{
				slawatch.New(routingStore(t, f.st), f.convs, f.bus, clock, slawatch.Options{}),
				slawatch.New(routingStore(t, f.st), f.convs, f.bus, clock, slawatch.Options{}),
			}
			var wg sync.WaitGroup
			errs := make([]error, len(nodes))
			for i, n := range nodes {
				wg.Go(func() { errs[i] = n.Sweep(f.ctx) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("node %d: %v", i, err)
				}
			}
			if got := f.notes(id); strings.Join(got, "|") != warnNote {
				t.Errorf("notes %q, want the one warning", got)
			}
			if got := len(f.bus.alerts()); got != 1 {
				t.Errorf("%d alerts, want 1", got)
			}
		})
	}
}

// lostTime is a store that loses the sweep's time, like a node that
// crashed after escalating and before storing it.
type lostTime struct {
	slawatch.Store
	lose bool
}

func (s *lostTime) SetSetting(ctx context.Context, key, value string) error {
	if s.lose {
		return errors.New("crashed")
	}
	return s.Store.SetSetting(ctx, key, value)
}

// TestSeenTwiceEscalatedOnce: a sweep whose time was not stored is done
// again from the previous time; what it escalated is not escalated again.
func TestSeenTwiceEscalatedOnce(t *testing.T) {
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			f := newFixture(t, open, tuesday, "")
			st := &lostTime{Store: routingStore(t, f.st)}
			clock := desk.ClockFunc(func() time.Time { return f.now })
			f.svc = slawatch.New(st, f.convs, f.bus, clock, slawatch.Options{})
			f.policy(desk.SLAPolicy{Name: "Chat", FirstResponse: time.Hour, WarnAt: 0.5})
			id := f.write(0, "Hallo").Conversation.ID
			f.sweepAt(tuesday.Add(time.Minute))

			st.lose = true
			if err := f.sweepErr(tuesday.Add(35 * time.Minute)); err == nil {
				t.Fatal("sweep that lost its time: no error")
			}
			st.lose = false
			for _, n := range []*slawatch.Service{
				slawatch.New(st, f.convs, f.bus, clock, slawatch.Options{}), // restarted
				f.svc, // the same node: its own time counts only without a stored one
			} {
				f.svc = n
				f.sweepAt(tuesday.Add(36 * time.Minute))
				if got := f.notes(id); strings.Join(got, "|") != warnNote {
					t.Errorf("notes %q, want the one warning", got)
				}
			}
			if got := len(f.bus.alerts()); got != 1 {
				t.Errorf("%d alerts, want 1", got)
			}
		})
	}
}
