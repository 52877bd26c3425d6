package sla

import (
	"slices"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// EventKind is what happened in a conversation, as far as the clocks care.
type EventKind string

const (
	Opened          EventKind = "opened"           // the conversation was created
	CustomerMessage EventKind = "customer_message" // the customer wrote (also reopens and resumes)
	AgentReply      EventKind = "agent_reply"      // a public reply by an agent: not a note, not the bot
	Resolved        EventKind = "resolved"
	Reopened        EventKind = "reopened" // back to open from resolved, pending or snoozed
	Pending         EventKind = "pending"  // set to pending: waiting for the customer
)

// Event is one entry of a conversation's history.
type Event struct {
	At   time.Time
	Kind EventKind
}

// EventsFrom builds a conversation's history from its thread, in order:
// its creation, customer messages, agent replies that were not given up on
// (DeliveryFailed: the customer never got them), and the status changes in
// activity messages. Notes and system messages do not count.
//
// The bot comes first in balie, and what it answers is no agent's to
// answer: customer messages that the bot replied to, or that arrive while
// the bot has the conversation, are left out, and a handover counts as the
// customer writing at that moment (from then on they wait for a person). A
// conversation the bot settles on its own therefore has no response targets.
func EventsFrom(c desk.Conversation, thread []desk.Message) []Event {
	out := make([]Event, 0, len(thread)+1)
	if !c.CreatedAt.IsZero() {
		out = append(out, Event{c.CreatedAt, Opened})
	}
	var held []Event // customer messages not yet known to be the bot's
	withBot := false
	flush := func() { out, held = append(out, held...), nil }
	for _, m := range thread {
		switch m.Kind {
		case desk.KindMessage:
			switch {
			case m.Sender == desk.SenderContact && !withBot:
				held = append(held, Event{m.CreatedAt, CustomerMessage})
			case m.Sender == desk.SenderBot:
				held, withBot = nil, true
			case m.Sender == desk.SenderAgent && m.Delivery != desk.DeliveryFailed:
				flush()
				withBot = false
				out = append(out, Event{m.CreatedAt, AgentReply})
			}
		case desk.KindActivity:
			flush()
			for _, a := range m.Activity {
				switch a.Key {
				case desk.ActivityHandover:
					if withBot {
						withBot = false
						out = append(out, Event{m.CreatedAt, CustomerMessage})
					}
				case desk.ActivityResolved:
					out = append(out, Event{m.CreatedAt, Resolved})
				case desk.ActivityReopened, desk.ActivitySnoozeEnded:
					out = append(out, Event{m.CreatedAt, Reopened})
				case desk.ActivityPending:
					out = append(out, Event{m.CreatedAt, Pending})
				}
			}
		}
	}
	flush()
	slices.SortStableFunc(out, func(a, b Event) int { return a.At.Compare(b.At) })
	return out
}

// Kind names a target.
type Kind string

const (
	FirstResponse Kind = "first_response"
	NextResponse  Kind = "next_response"
	Resolution    Kind = "resolution"
)

// State of a target at one moment.
type State string

const (
	Running  State = "running"
	Warning  State = "warning"  // running, past the policy's warning point
	Breached State = "breached" // running, past due
	Paused   State = "paused"   // resolution only: the conversation is pending
	Met      State = "met"      // stopped on time
	MetLate  State = "met_late" // stopped after it was due
)

// Target is one clock of one conversation.
type Target struct {
	Kind Kind
	Goal time.Duration // the policy's target
	// Start is when the clock started; with Kind it identifies the target
	// across evaluations (each next response cycle has its own Start).
	Start time.Time
	// Due is when the goal is used up; zero while paused before due.
	Due time.Time
	// WarnAt is when the target starts warning; zero without a warning
	// fraction or while paused before it.
	WarnAt time.Time
	// Stopped is when a met or met_late target stopped: the reply or the
	// resolve.
	Stopped time.Time
	State   State
	// Elapsed is the clock's time so far (business time under a business
	// hours policy); for met targets, the time it took.
	Elapsed time.Duration
	// Remaining is the clock's time left while running, warning or
	// paused; Overdue how far past due a breached or met_late target is, in
	// the clock's time (a breach at 17:00 is not more overdue overnight).
	Remaining, Overdue time.Duration
}

// Open reports whether the target is still counting or waiting to count:
// running, warning, breached or paused.
func (t Target) Open() bool {
	return t.State == Running || t.State == Warning || t.State == Breached || t.State == Paused
}

// meter counts time: business time (Hours) or wall-clock time.
type meter interface {
	Add(t time.Time, d time.Duration) time.Time
	Between(a, b time.Time) time.Duration
}

type wallClock struct{}

func (wallClock) Add(t time.Time, d time.Duration) time.Time { return t.Add(d) }
func (wallClock) Between(a, b time.Time) time.Duration       { return b.Sub(a) }

// Evaluate replays a conversation's history under a policy and returns its
// targets at now: first response (when the customer wrote first), the latest
// next response cycle, and resolution, each only when the policy sets it.
// Events after now are ignored, so evaluating at the previous sweep's time
// gives what that sweep saw (see Transitions). h is used when the policy
// counts business hours.
func Evaluate(p Policy, h Hours, events []Event, now time.Time) []Target {
	var m meter = wallClock{}
	if p.BusinessHours {
		m = h
	}
	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b Event) int { return a.At.Compare(b.At) })

	var (
		created   time.Time
		first     *cycle // the first response, when the customer wrote first
		next      *cycle // the latest next response
		current   *cycle // the response clock now running, if any
		agentSeen bool
		res       resolution
	)
	for _, e := range evs {
		if e.At.After(now) {
			break
		}
		if created.IsZero() {
			created = e.At
			res.resume(e.At)
		}
		switch e.Kind {
		case CustomerMessage:
			res.resume(e.At)
			if current != nil {
				break
			}
			current = &cycle{start: e.At}
			if first == nil && !agentSeen && next == nil {
				first = current
			} else {
				next = current
			}
		case AgentReply:
			agentSeen = true
			if current != nil {
				current.stopped, current = e.At, nil
			}
		case Resolved:
			res.stop(m, e.At, true)
			if current != nil {
				current.stopped, current = e.At, nil
			}
		case Reopened:
			res.resume(e.At)
		case Pending:
			res.stop(m, e.At, false)
		}
	}

	var out []Target
	if first != nil && p.FirstResponse > 0 {
		out = append(out, first.target(m, FirstResponse, p.FirstResponse, p.WarnAt, now))
	}
	if next != nil && p.NextResponse > 0 {
		out = append(out, next.target(m, NextResponse, p.NextResponse, p.WarnAt, now))
	}
	if !created.IsZero() && p.Resolution > 0 {
		out = append(out, res.target(m, created, p.Resolution, p.WarnAt, now))
	}
	return out
}

// cycle is one response clock: from a customer message to the reply (or the
// resolve) that stopped it.
type cycle struct{ start, stopped time.Time }

func (c *cycle) target(m meter, kind Kind, goal time.Duration, warn float64, now time.Time) Target {
	t := Target{Kind: kind, Goal: goal, Start: c.start, Due: m.Add(c.start, goal), Stopped: c.stopped}
	if warn > 0 {
		t.WarnAt = m.Add(c.start, warnGoal(goal, warn))
	}
	end := now
	if !c.stopped.IsZero() {
		end = c.stopped
	}
	t.Elapsed = m.Between(c.start, end)
	t.State = state(t.Due, t.WarnAt, c.stopped, now)
	t.Remaining, t.Overdue = remaining(m, t.State, t.Due, end)
	return t
}

// resolution is the resolution clock, which stops while the conversation is
// resolved or pending and runs on when it comes back.
type resolution struct {
	activeSince time.Time     // zero while stopped
	elapsed     time.Duration // the clock's time in the segments before activeSince
	// segments are the periods the clock ran, to place Due and WarnAt.
	segments []interval
	resolved time.Time // the last resolve, zero while not resolved
	paused   bool
}

func (r *resolution) resume(at time.Time) {
	if r.activeSince.IsZero() {
		r.activeSince, r.resolved, r.paused = at, time.Time{}, false
	}
}

func (r *resolution) stop(m meter, at time.Time, resolved bool) {
	if !r.activeSince.IsZero() {
		r.elapsed += m.Between(r.activeSince, at)
		r.segments = append(r.segments, interval{r.activeSince, at})
		r.activeSince = time.Time{}
	}
	if resolved {
		r.resolved, r.paused = at, false
	} else if r.resolved.IsZero() {
		r.paused = true
	}
}

// when is the instant the clock reaches d, and false when it has not yet
// (stopped before d); while running it is in the future.
func (r *resolution) when(m meter, d time.Duration) (time.Time, bool) {
	for _, s := range r.segments {
		n := m.Between(s.start, s.end)
		if n >= d {
			return m.Add(s.start, d), true
		}
		d -= n
	}
	if r.activeSince.IsZero() {
		return time.Time{}, false
	}
	return m.Add(r.activeSince, d), true
}

func (r *resolution) target(m meter, created time.Time, goal time.Duration, warn float64, now time.Time) Target {
	t := Target{Kind: Resolution, Goal: goal, Start: created, Stopped: r.resolved}
	t.Due, _ = r.when(m, goal)
	if warn > 0 {
		t.WarnAt, _ = r.when(m, warnGoal(goal, warn))
	}
	t.Elapsed = r.elapsed
	if !r.activeSince.IsZero() {
		t.Elapsed += m.Between(r.activeSince, now)
	}
	switch {
	case r.paused && (t.Due.IsZero() || !now.After(t.Due)):
		t.State = Paused
		t.Remaining = max(goal-t.Elapsed, 0)
		return t
	case r.paused:
		// Breached before it was paused: it stays breached, by the
		// clock's time up to the pause.
		t.State, t.Overdue = Breached, t.Elapsed-goal
		return t
	}
	t.State = state(t.Due, t.WarnAt, r.resolved, now)
	if t.State == Met || t.State == MetLate {
		t.Remaining, t.Overdue = 0, max(t.Elapsed-goal, 0)
		return t
	}
	t.Remaining, t.Overdue = remaining(m, t.State, t.Due, now)
	return t
}

func warnGoal(goal time.Duration, warn float64) time.Duration {
	return time.Duration(float64(goal) * warn)
}

// state of a target due at due (warning from warnAt, when not zero) that
// stopped at stopped (zero: still running), at now. Arriving exactly on the
// due time is on time.
func state(due, warnAt, stopped, now time.Time) State {
	switch {
	case !stopped.IsZero() && !due.IsZero() && stopped.After(due):
		return MetLate
	case !stopped.IsZero():
		return Met
	case !due.IsZero() && now.After(due):
		return Breached
	case !warnAt.IsZero() && !now.Before(warnAt):
		return Warning
	}
	return Running
}

func remaining(m meter, s State, due, end time.Time) (left, over time.Duration) {
	if due.IsZero() {
		// Business hours that never open again: nothing is ever due.
		return 0, 0
	}
	switch s {
	case Running, Warning:
		return max(m.Between(end, due), 0), 0
	case Breached, MetLate:
		return 0, max(m.Between(due, end), 0)
	}
	return 0, 0
}

// Transition is a target that got worse between two evaluations: it started
// warning, or it breached (also when it was met late between two sweeps
// that both missed the breach).
type Transition struct {
	Target   Target // as it is after
	From, To State
}

// severity orders states by how much a supervisor should hear of them.
func severity(s State) int {
	switch s {
	case Warning:
		return 1
	case Breached, MetLate:
		return 2
	}
	return 0
}

// Transitions compares a conversation's targets before and after a tick and
// returns those that got worse: running to warning, warning or running to
// breached. A sweep that evaluates each conversation at the previous sweep's
// time and at now (Evaluate ignores events after its now) gets every warning
// and breach exactly once, without storing any clock state. A target absent
// before counts as running then.
func Transitions(before, after []Target) []Transition {
	var out []Transition
	for _, a := range after {
		from := Running
		for _, b := range before {
			if b.Kind == a.Kind && b.Start.Equal(a.Start) {
				from = b.State
				break
			}
		}
		if severity(a.State) > severity(from) {
			out = append(out, Transition{Target: a, From: from, To: a.State})
		}
	}
	return out
}

// Urgent returns the open target that is due first (a breached one before
// any other), for the badge on a conversation; false when none is open.
func Urgent(targets []Target) (Target, bool) {
	var best Target
	found := false
	for _, t := range targets {
		if !t.Open() || t.State == Paused {
			continue
		}
		if !found || t.Due.Before(best.Due) {
			best, found = t, true
		}
	}
	return best, found
}
