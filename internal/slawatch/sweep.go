package slawatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
)

// Sweep brings every open conversation's SLA fields up to date and
// escalates what started warning or breached since the previous sweep. It
// looks at the conversations under a policy (SLADue) and at those active
// since the previous sweep, which is how new conversations, and ones whose
// priority, channel or thread changed, get their policy. First it tries
// again the escalations earlier sweeps owe (escalate.go).
//
// Each sweep evaluates the targets at the previous sweep's time and now;
// sla.Transitions then yields each warning and breach. The previous
// sweep's time is kept in the store, so a restarted node, or another that
// takes over, goes on where the last sweep left off; the escalations'
// records make seeing a transition twice harmless. Only without a stored
// time (the first sweep ever) does a sweep fall back to reporting what is
// worse than the state stored on the conversation.
func (s *Service) Sweep(ctx context.Context) error {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	now := s.clock.Now()
	prev, err := s.lastSwept(ctx, now)
	if err != nil {
		return fmt.Errorf("slawatch: sweep: %w", err)
	}
	e, err := s.loadEnv(ctx, true)
	if err != nil {
		return fmt.Errorf("slawatch: sweep: %w", err)
	}
	errs := s.retry(ctx, e, now)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	convs, err := s.candidates(ctx, prev, now)
	if err != nil {
		return fmt.Errorf("slawatch: sweep: %w", errors.Join(append(errs, err)...))
	}
	segments := map[int64]string{}
	for i := range convs {
		if err := s.sweepOne(ctx, e, &convs[i], segments, prev, now); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// One conversation's fault must not stop the others'
			// escalations.
			errs = append(errs, fmt.Errorf("conversation %d: %w", convs[i].ID, err))
		}
	}
	s.prev = now
	if err := s.st.SetSetting(ctx, sweptAtKey, now.UTC().Format(time.RFC3339Nano)); err != nil {
		errs = append(errs, fmt.Errorf("store sweep time: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("slawatch: sweep: %w", err)
	}
	return nil
}

// Forget drops this node's previous sweep's time. The stored one, which
// every node reads first, stays: a node that takes over the sweep goes on
// from the last sweep of any node.
func (s *Service) Forget() {
	s.sweepMu.Lock()
	s.prev = time.Time{}
	s.sweepMu.Unlock()
}

// firstLookBack is how far the first sweep after a start looks for
// conversations without a policy yet.
const firstLookBack = 24 * time.Hour

// candidates are the conversations under a policy plus those active since
// the previous sweep (within firstLookBack on the first sweep), each once.
func (s *Service) candidates(ctx context.Context, prev, now time.Time) ([]desk.Conversation, error) {
	due, err := s.st.SLADue(ctx, s.opts.Limit)
	if err != nil {
		return nil, err
	}
	seen := make(map[int64]bool, len(due))
	out := due
	for _, c := range due {
		seen[c.ID] = true
	}
	since := prev
	if since.IsZero() {
		// After a start: whatever became active while balie was down.
		since = now.Add(-firstLookBack)
	}
	// A little overlap: a write committed just after the previous sweep
	// may carry a time from just before it.
	since = since.Add(-5 * time.Second)
	q := desk.ConversationQuery{View: desk.ViewAll, Limit: 200}
	for n := 0; n < s.opts.Limit; {
		page, err := s.st.ListConversations(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Items {
			if c.LastActivityAt.Before(since) {
				return out, nil
			}
			n++
			// A resolved conversation only to store its final state.
			if !seen[c.ID] && (c.Status != desk.StatusResolved || c.SLAPolicyID != 0) {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	return out, nil
}

// sweepOne evaluates one conversation, stores its SLA fields when they
// changed and escalates its transitions.
func (s *Service) sweepOne(ctx context.Context, e *env, c *desk.Conversation, segments map[int64]string, prev, now time.Time) error {
	seg, ok := segments[c.ContactID]
	if !ok {
		var err error
		if seg, err = segmentOf(ctx, s.st, c.ContactID); err != nil && !errors.Is(err, desk.ErrNotFound) {
			return err
		}
		segments[c.ContactID] = seg
	}
	p, ok := sla.Select(e.policies, sla.FactsOf(*c, seg))
	if !ok {
		if c.SLAPolicyID == 0 && c.SLAState == desk.SLANone && c.SLADueAt.IsZero() {
			return nil
		}
		_, _, err := s.store(ctx, c.ID, 0, desk.SLANone, time.Time{}, nil)
		return err
	}
	msgs, err := thread(ctx, s.st, c.ID)
	if err != nil {
		return err
	}
	h, _ := e.hoursOf(c)
	events := sla.EventsFrom(*c, msgs)
	after := sla.Evaluate(p, h, events, now)
	state, due := Summary(after)
	stored := c.SLAState
	var before []sla.Target
	if !prev.IsZero() {
		before = sla.Evaluate(p, h, events, prev)
	}
	var owed []desk.SLAEscalation
	for _, tr := range sla.Transitions(before, after) {
		if prev.IsZero() && severity(stateOf(tr.To)) <= severity(stored) {
			// Reported before (the first sweep ever).
			continue
		}
		owed = append(owed, owe(c, tr, now))
	}
	changed := c.SLAPolicyID != p.ID || c.SLAState != state || !c.SLADueAt.Equal(due)
	if !changed && len(owed) == 0 {
		return nil
	}
	c, fresh, err := s.store(ctx, c.ID, p.ID, state, due, owed)
	if err != nil {
		return err
	}
	var errs []error
	for _, esc := range fresh {
		if err := s.perform(ctx, e, c, esc, now); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Summary is what a conversation stores of its targets: the worst state of
// the open ones, breached also when a target was met late (a miss stays on
// record, for supervisors and reports), and the due time of the most urgent
// running one (zero when none is running).
func Summary(targets []sla.Target) (desk.SLAState, time.Time) {
	state := desk.SLANone
	for _, t := range targets {
		if (t.Open() || t.State == sla.MetLate) && severity(stateOf(t.State)) > severity(state) {
			state = stateOf(t.State)
		}
	}
	u, ok := sla.Urgent(targets)
	if !ok {
		return state, time.Time{}
	}
	return state, u.Due
}

func stateOf(s sla.State) desk.SLAState {
	switch s {
	case sla.Running, sla.Paused:
		return desk.SLARunning
	case sla.Warning:
		return desk.SLAWarning
	case sla.Breached, sla.MetLate:
		return desk.SLABreached
	}
	return desk.SLANone
}

func severity(s desk.SLAState) int {
	switch s {
	case desk.SLARunning:
		return 1
	case desk.SLAWarning:
		return 2
	case desk.SLABreached:
		return 3
	}
	return 0
}

// store writes only the SLA fields of a conversation (the rest is read
// again in the transaction, so that an agent's concurrent change is kept)
// and records the escalations owed with them, so that a stored warning or
// breach always has its escalation on record. It returns the conversation
// and the escalations recorded now, which the caller performs: those seen
// before are done, or owed and tried again by the next sweep.
func (s *Service) store(ctx context.Context, convID, policyID int64, state desk.SLAState, due time.Time, owed []desk.SLAEscalation) (*desk.Conversation, []desk.SLAEscalation, error) {
	var out *desk.Conversation
	var fresh []desk.SLAEscalation
	err := s.st.InTx(ctx, func(tx desk.Store) error {
		fresh = fresh[:0]
		c, err := tx.ConversationByID(ctx, convID)
		if err != nil {
			return err
		}
		if c.SLAPolicyID != policyID || c.SLAState != state || !c.SLADueAt.Equal(due) {
			c.SLAPolicyID, c.SLAState, c.SLADueAt = policyID, state, due
			if err := tx.UpdateConversation(ctx, c); err != nil {
				return err
			}
		}
		out = c
		for _, esc := range owed {
			isNew, err := tx.OweSLAEscalation(ctx, &esc)
			if err != nil {
				return err
			}
			if isNew {
				fresh = append(fresh, esc)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store sla fields: %w", err)
	}
	return out, fresh, nil
}

// balie is who writes the notes.
var balie = conversation.Actor{Name: "balie"}

// escalate writes the escalation's note and tells the supervisors.
func (s *Service) escalate(ctx context.Context, e *env, c *desk.Conversation, esc desk.SLAEscalation, now time.Time) error {
	tr := transitionOf(esc)
	body := NoteText(s.opts.Lang, tr, now, s.location(e, c))
	note, created, err := s.convs.NoteOnce(ctx, balie, c.ID, noteKey(esc.ID), body)
	if err != nil {
		return err
	}
	if !created {
		// An earlier attempt wrote the note and then crashed, or failed to
		// mark the escalation done. Its alert went out with the note, in
		// all likelihood: a second one would be a stale duplicate, and
		// the note in the thread and the SLA list say it all.
		s.log.Info("slawatch: escalation note written before", "conversation", c.ID, "escalation", esc.ID,
			"target", tr.Target.Kind, "state", tr.To)
		return nil
	}
	s.log.Info("slawatch: escalated", "conversation", c.ID, "target", tr.Target.Kind, "state", tr.To)
	if s.bus != nil {
		s.bus.Publish(ctx, desk.Event{Type: EventAlert, ConversationID: c.ID, ContactID: c.ContactID,
			InboxID: c.InboxID, Conversation: c, Message: note, At: now})
	}
	return nil
}

var kindNames = map[string]map[sla.Kind]string{
	"nl": {sla.FirstResponse: "eerste reactie", sla.NextResponse: "volgende reactie", sla.Resolution: "oplossing"},
	"en": {sla.FirstResponse: "first response", sla.NextResponse: "next response", sla.Resolution: "resolution"},
}

// KindName is a target's name in lang ("nl" or "en").
func KindName(lang string, k sla.Kind) string {
	names, ok := kindNames[lang]
	if !ok {
		names = kindNames["en"]
	}
	return names[k]
}

// NoteText is the escalation note: "SLA: eerste reactie verloopt vandaag
// 14:30" for a warning, "SLA geschonden: eerste reactie" for a breach.
func NoteText(lang string, tr sla.Transition, now time.Time, loc *time.Location) string {
	kind := KindName(lang, tr.Target.Kind)
	if tr.To == sla.Warning {
		when := sla.FormatWhen(tr.Target.Due.In(loc), now, lang)
		if lang == "nl" {
			return "SLA: " + kind + " verloopt " + when
		}
		return "SLA: " + kind + " due " + when
	}
	if lang == "nl" {
		return "SLA geschonden: " + kind
	}
	return "SLA breached: " + kind
}
