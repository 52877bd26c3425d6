package sla

import (
	"reflect"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

var t0 = time.Date(2026, 4, 20, 10, 0, 0, 0, time.UTC) // a Monday

// ev builds an event minutes after t0.
func ev(min int, k EventKind) Event { return Event{t0.Add(time.Duration(min) * time.Minute), k} }

func mins(n int) time.Duration { return time.Duration(n) * time.Minute }

// find returns the target of kind k, failing when there is none.
func find(t *testing.T, ts []Target, k Kind) Target {
	t.Helper()
	for _, x := range ts {
		if x.Kind == k {
			return x
		}
	}
	t.Fatalf("no %s target in %+v", k, ts)
	return Target{}
}

func TestEvaluate(t *testing.T) {
	p := Policy{Name: "standard", FirstResponse: time.Hour, NextResponse: 2 * time.Hour, Resolution: 4 * time.Hour, WarnAt: 0.8}
	type want struct {
		kind      Kind
		state     State
		start     int // minutes after t0
		due       int // minutes after t0; -1 for zero
		elapsed   time.Duration
		remaining time.Duration
		overdue   time.Duration
	}
	tests := []struct {
		name   string
		events []Event
		now    int
		want   []want
		absent []Kind
	}{
		{
			name:   "first response running",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage)},
			now:    30,
			want:   []want{{FirstResponse, Running, 0, 60, mins(30), mins(30), 0}},
			absent: []Kind{NextResponse},
		},
		{
			name:   "first response warning at 80%",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage)},
			now:    48,
			want:   []want{{FirstResponse, Warning, 0, 60, mins(48), mins(12), 0}},
		},
		{
			name:   "first response exactly on due is not yet breached",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage)},
			now:    60,
			want:   []want{{FirstResponse, Warning, 0, 60, mins(60), 0, 0}},
		},
		{
			name:   "first response breached",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage)},
			now:    120,
			want:   []want{{FirstResponse, Breached, 0, 60, mins(120), 0, mins(60)}},
		},
		{
			name:   "first response met",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(30, AgentReply)},
			now:    120,
			want:   []want{{FirstResponse, Met, 0, 60, mins(30), 0, 0}},
			absent: []Kind{NextResponse},
		},
		{
			name:   "first response met late",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(90, AgentReply)},
			now:    120,
			want:   []want{{FirstResponse, MetLate, 0, 60, mins(90), 0, mins(30)}},
		},
		{
			name:   "a second customer message does not restart the first response",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(20, CustomerMessage)},
			now:    30,
			want:   []want{{FirstResponse, Running, 0, 60, mins(30), mins(30), 0}},
			absent: []Kind{NextResponse},
		},
		{
			name:   "outbound conversation: no first response, the answer starts a next response",
			events: []Event{ev(0, Opened), ev(0, AgentReply), ev(60, CustomerMessage)},
			now:    90,
			want:   []want{{NextResponse, Running, 60, 180, mins(30), mins(90), 0}},
			absent: []Kind{FirstResponse},
		},
		{
			name: "next response: the latest cycle, from the first unanswered message",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(10, AgentReply),
				ev(20, CustomerMessage), ev(40, AgentReply), ev(100, CustomerMessage), ev(110, CustomerMessage)},
			now:  300,
			want: []want{{FirstResponse, Met, 0, 60, mins(10), 0, 0}, {NextResponse, Breached, 100, 220, mins(200), 0, mins(80)}},
		},
		{
			name:   "resolving stops the response clock",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(20, Resolved)},
			now:    300,
			want:   []want{{FirstResponse, Met, 0, 60, mins(20), 0, 0}, {Resolution, Met, 0, -1, mins(20), 0, 0}},
		},
		{
			name:   "a message after a resolve reopens and starts a next response",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(20, Resolved), ev(300, CustomerMessage)},
			now:    330,
			want:   []want{{NextResponse, Running, 300, 420, mins(30), mins(90), 0}, {Resolution, Running, 0, 520, mins(50), mins(190), 0}},
		},
		{
			name:   "resolution: time while resolved does not count",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(10, AgentReply), ev(60, Resolved), ev(300, Reopened)},
			now:    360,
			want:   []want{{Resolution, Running, 0, 480, mins(120), mins(120), 0}},
		},
		{
			name:   "resolution paused while pending",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(10, AgentReply), ev(60, Pending)},
			now:    600,
			want:   []want{{Resolution, Paused, 0, -1, mins(60), mins(180), 0}},
		},
		{
			name:   "the customer's answer resumes a pending conversation's clock",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(10, AgentReply), ev(60, Pending), ev(600, CustomerMessage)},
			now:    660,
			want:   []want{{NextResponse, Running, 600, 720, mins(60), mins(60), 0}, {Resolution, Running, 0, 780, mins(120), mins(120), 0}},
		},
		{
			name:   "breached before the pause stays breached",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(10, AgentReply), ev(300, Pending)},
			now:    600,
			want:   []want{{Resolution, Breached, 0, 240, mins(300), 0, mins(60)}},
		},
		{
			name:   "resolution met late",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(10, AgentReply), ev(100, Pending), ev(200, Reopened), ev(400, Resolved)},
			now:    600,
			want:   []want{{Resolution, MetLate, 0, 340, mins(300), 0, mins(60)}},
		},
		{
			name:   "events after now are ignored",
			events: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(30, AgentReply)},
			now:    20,
			want:   []want{{FirstResponse, Running, 0, 60, mins(20), mins(40), 0}},
		},
		{
			name:   "events out of order are sorted",
			events: []Event{ev(30, AgentReply), ev(0, CustomerMessage), ev(0, Opened)},
			now:    40,
			want:   []want{{FirstResponse, Met, 0, 60, mins(30), 0, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(p, Hours{}, tt.events, t0.Add(mins(tt.now)))
			for _, w := range tt.want {
				g := find(t, got, w.kind)
				wantDue := time.Time{}
				if w.due >= 0 {
					wantDue = t0.Add(mins(w.due))
				}
				if g.State != w.state || !g.Start.Equal(t0.Add(mins(w.start))) || !g.Due.Equal(wantDue) ||
					g.Elapsed != w.elapsed || g.Remaining != w.remaining || g.Overdue != w.overdue {
					t.Errorf("%s = {%s start %s due %s elapsed %s remaining %s overdue %s},\nwant {%s start %s due %s elapsed %s remaining %s overdue %s}",
						w.kind, g.State, g.Start.Sub(t0), g.Due, g.Elapsed, g.Remaining, g.Overdue,
						w.state, mins(w.start), wantDue, w.elapsed, w.remaining, w.overdue)
				}
			}
			for _, k := range tt.absent {
				for _, g := range got {
					if g.Kind == k {
						t.Errorf("got a %s target %+v, want none", k, g)
					}
				}
			}
		})
	}
}

func TestEvaluateBusinessHours(t *testing.T) {
	h := office(t)
	p := Policy{Name: "office", FirstResponse: time.Hour, Resolution: 8 * time.Hour, WarnAt: 0.5, BusinessHours: true}
	friday := ams(t, "2026-04-24 16:30")
	events := []Event{{friday, Opened}, {friday, CustomerMessage}}
	tests := []struct {
		name      string
		now       string
		state     State
		remaining time.Duration
	}{
		{"Friday 16:40: running", "2026-04-24 16:40", Running, 50 * time.Minute},
		{"Friday 17:00: warning from half way", "2026-04-24 17:00", Warning, 30 * time.Minute},
		{"the weekend and Koningsdag do not count", "2026-04-27 12:00", Warning, 30 * time.Minute},
		{"Tuesday 09:30: due, not breached", "2026-04-28 09:30", Warning, 0},
		{"Tuesday 09:31: breached", "2026-04-28 09:31", Breached, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := find(t, Evaluate(p, h, events, ams(t, tt.now)), FirstResponse)
			if want := ams(t, "2026-04-28 09:30"); !got.Due.Equal(want) {
				t.Errorf("due = %s, want %s", got.Due, want)
			}
			if got.State != tt.state || got.Remaining != tt.remaining {
				t.Errorf("state %s remaining %s, want %s remaining %s", got.State, got.Remaining, tt.state, tt.remaining)
			}
		})
	}
	res := find(t, Evaluate(p, h, events, ams(t, "2026-04-28 10:00")), Resolution)
	if want := ams(t, "2026-04-28 16:30"); !res.Due.Equal(want) || res.Elapsed != time.Hour+30*time.Minute {
		t.Errorf("resolution due %s elapsed %s, want due %s elapsed 1h30m", res.Due, res.Elapsed, want)
	}
	// The same history on the wall clock breaches over the weekend.
	p.BusinessHours = false
	if got := find(t, Evaluate(p, h, events, ams(t, "2026-04-25 12:00")), FirstResponse); got.State != Breached {
		t.Errorf("wall clock on Saturday: state %s, want %s", got.State, Breached)
	}
}

func TestEvaluateNoTargets(t *testing.T) {
	p := Policy{Name: "resolution only", Resolution: time.Hour}
	got := Evaluate(p, Hours{}, []Event{ev(0, Opened), ev(0, CustomerMessage)}, t0.Add(time.Hour))
	if len(got) != 1 || got[0].Kind != Resolution {
		t.Errorf("targets = %+v, want only resolution", got)
	}
	if got := Evaluate(p, Hours{}, nil, t0); len(got) != 0 {
		t.Errorf("no history: targets = %+v, want none", got)
	}
}

func TestEventsFrom(t *testing.T) {
	at := func(min int) time.Time { return t0.Add(mins(min)) }
	msg := func(min int, s desk.Sender) desk.Message {
		return desk.Message{Kind: desk.KindMessage, Sender: s, CreatedAt: at(min)}
	}
	act := func(min int, keys ...string) desk.Message {
		m := desk.Message{Kind: desk.KindActivity, Sender: desk.SenderSystem, CreatedAt: at(min)}
		for _, k := range keys {
			m.Activity = append(m.Activity, desk.ActivityItem{Key: k})
		}
		return m
	}
	failed := msg(3, desk.SenderAgent)
	failed.Delivery = desk.DeliveryFailed
	note := msg(2, desk.SenderAgent)
	note.Kind = desk.KindNote
	tests := []struct {
		name   string
		thread []desk.Message
		want   []Event
	}{
		{
			name: "agents only: notes, failed replies and system messages do not count",
			thread: []desk.Message{msg(0, desk.SenderContact), note, failed, msg(4, desk.SenderAgent),
				act(5, desk.ActivityAssigned, desk.ActivityPending), act(6, desk.ActivityReopened),
				act(7, desk.ActivityResolved), msg(8, desk.SenderSystem)},
			want: []Event{ev(0, Opened), ev(0, CustomerMessage), ev(4, AgentReply), ev(5, Pending), ev(6, Reopened), ev(7, Resolved)},
		},
		{
			name: "the bot settles it: no customer waits for an agent",
			thread: []desk.Message{msg(0, desk.SenderContact), msg(0, desk.SenderBot), msg(1, desk.SenderContact),
				msg(1, desk.SenderBot), act(2, desk.ActivityResolved)},
			want: []Event{ev(0, Opened), ev(2, Resolved)},
		},
		{
			name: "handover: the customer waits from the handover",
			thread: []desk.Message{msg(0, desk.SenderContact), msg(0, desk.SenderBot), msg(1, desk.SenderContact),
				act(2, desk.ActivityHandover), msg(3, desk.SenderContact), msg(10, desk.SenderAgent)},
			want: []Event{ev(0, Opened), ev(2, CustomerMessage), ev(3, CustomerMessage), ev(10, AgentReply)},
		},
		{
			name:   "a customer message the bot has not answered yet counts",
			thread: []desk.Message{msg(0, desk.SenderContact)},
			want:   []Event{ev(0, Opened), ev(0, CustomerMessage)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EventsFrom(desk.Conversation{CreatedAt: at(0)}, tt.thread)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("EventsFrom =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestTransitions(t *testing.T) {
	p := Policy{Name: "standard", FirstResponse: time.Hour, NextResponse: time.Hour, WarnAt: 0.5}
	events := []Event{ev(0, Opened), ev(0, CustomerMessage), ev(100, AgentReply), ev(110, CustomerMessage), ev(150, AgentReply)}
	type tr struct {
		kind     Kind
		from, to State
	}
	tests := []struct {
		name      string
		prev, now int
		want      []tr
	}{
		{"nothing yet", 0, 20, nil},
		{"became warning", 20, 40, []tr{{FirstResponse, Running, Warning}}},
		{"warning again is not news", 40, 50, nil},
		{"became breached", 50, 70, []tr{{FirstResponse, Warning, Breached}}},
		{"breached again is not news", 70, 80, nil},
		{"warning and breach within one tick", 10, 70, []tr{{FirstResponse, Running, Breached}}},
		{"met late between ticks, breach never seen", 10, 105, []tr{{FirstResponse, Running, MetLate}}},
		{"a new cycle starts running", 105, 130, nil},
		{"the new cycle warns", 130, 145, []tr{{NextResponse, Running, Warning}}},
		{"met after a warning is not news", 145, 160, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := Evaluate(p, Hours{}, events, t0.Add(mins(tt.prev)))
			after := Evaluate(p, Hours{}, events, t0.Add(mins(tt.now)))
			var got []tr
			for _, x := range Transitions(before, after) {
				got = append(got, tr{x.Target.Kind, x.From, x.To})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Transitions = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUrgent(t *testing.T) {
	ts := []Target{
		{Kind: FirstResponse, State: Met, Due: t0},
		{Kind: NextResponse, State: Warning, Due: t0.Add(time.Hour)},
		{Kind: Resolution, State: Running, Due: t0.Add(30 * time.Minute)},
	}
	if got, ok := Urgent(ts); !ok || got.Kind != Resolution {
		t.Errorf("Urgent = %s, %v; want %s", got.Kind, ok, Resolution)
	}
	if _, ok := Urgent(ts[:1]); ok {
		t.Errorf("Urgent of met targets: found one, want none")
	}
}
