package slawatch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
)

// Escalations exactly once. The sweep records each warning and breach it
// owes (desk.SLAEscalation) in the same transaction that stores the
// conversation's SLA state, then writes the note, alerts the supervisors
// and marks the escalation done. One whose note fails stays owed and is
// tried again by the next sweep, on any node; the escalation's key
// (conversation, target, start, state) makes a second record of the same
// warning or breach impossible, however often it is seen.
//
// The note and the done mark are two writes (the conversation service
// writes the note in a transaction of its own). The note therefore carries
// the escalation's id as its idempotency key (noteKey): an attempt after a
// crash between the two, or by a sweep that took over an expired lease,
// finds the note written and only marks the escalation done, without a
// second note or alert.

// sweptAtKey is the setting that keeps the last sweep's time, so that a
// restarted node, or another that takes over the sweep, goes on from
// where the last sweep left off.
const sweptAtKey = "sla.swept_at"

// escalationLease is how long a sweep holds an escalation it performs:
// far longer than writing a note takes.
const escalationLease = 2 * time.Minute

// Defaults of Options.EscalationAttempts and EscalationMaxAge.
const (
	defaultEscalationAttempts = 10
	defaultEscalationMaxAge   = 6 * time.Hour
)

// retryLimit bounds the owed escalations one sweep tries again.
const retryLimit = 100

// lastSwept is the previous sweep's time: the stored one, else this
// node's own (zero before its first sweep, or after Forget). A stored time
// in the future (another node's clock ahead) counts as none.
func (s *Service) lastSwept(ctx context.Context, now time.Time) (time.Time, error) {
	v, err := s.st.Setting(ctx, sweptAtKey)
	if errors.Is(err, desk.ErrNotFound) {
		return s.prev, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || t.After(now) {
		s.log.Warn("slawatch: stored sweep time ignored", "value", v)
		return s.prev, nil
	}
	return t, nil
}

// noteKey is the idempotency key of an escalation's note. Keys share the
// messages' external ids, and a mail's Message-ID becomes one: the '>' is
// what no Message-ID can hold, so a sender cannot take an escalation's key
// in advance.
func noteKey(escID int64) string { return "sla-esc>" + strconv.FormatInt(escID, 10) }

// owe is the record of the escalation a transition calls for.
func owe(c *desk.Conversation, tr sla.Transition, now time.Time) desk.SLAEscalation {
	return desk.SLAEscalation{ConversationID: c.ID, Target: string(tr.Target.Kind), StartedAt: tr.Target.Start,
		State: stateOf(tr.To), DueAt: tr.Target.Due, CreatedAt: now, LeaseUntil: now.Add(escalationLease), Attempts: 1}
}

// transitionOf is the transition a recorded escalation reports, as much
// of it as the note needs.
func transitionOf(esc desk.SLAEscalation) sla.Transition {
	to := sla.Breached
	if esc.State == desk.SLAWarning {
		to = sla.Warning
	}
	return sla.Transition{Target: sla.Target{Kind: sla.Kind(esc.Target), Start: esc.StartedAt, Due: esc.DueAt, State: to}, To: to}
}

// retry claims the escalations earlier sweeps owe and performs them.
func (s *Service) retry(ctx context.Context, e *env, now time.Time) []error {
	owed, err := s.st.ClaimSLAEscalations(ctx, now, now.Add(escalationLease), retryLimit)
	if err != nil {
		return []error{fmt.Errorf("claim escalations: %w", err)}
	}
	var errs []error
	for _, esc := range owed {
		c, err := s.st.ConversationByID(ctx, esc.ConversationID)
		if err == nil {
			err = s.perform(ctx, e, c, esc, now)
		} else {
			err = s.failed(ctx, esc, fmt.Errorf("conversation: %w", err), now)
		}
		if err != nil {
			if ctx.Err() != nil {
				return append(errs, ctx.Err())
			}
			errs = append(errs, fmt.Errorf("escalation %d of conversation %d: %w", esc.ID, esc.ConversationID, err))
		}
	}
	return errs
}

// perform writes the escalation's note, alerts the supervisors and marks
// it done; a failure is recorded for the next sweep to try again.
func (s *Service) perform(ctx context.Context, e *env, c *desk.Conversation, esc desk.SLAEscalation, now time.Time) error {
	if err := s.escalate(ctx, e, c, esc, now); err != nil {
		return s.failed(ctx, esc, err, now)
	}
	err := s.st.FinishSLAEscalation(ctx, esc.ID, now, "")
	if errors.Is(err, desk.ErrConflict) {
		// Done already: a sweep that took over the expired lease was first.
		return nil
	}
	if err != nil {
		// The note is written: once the lease ends, the next sweep finds
		// it by its key and marks the escalation done.
		return fmt.Errorf("mark escalation %d done: %w", esc.ID, err)
	}
	return nil
}

// failed records a failed attempt. After the last attempt, past the
// maximum age, or when the conversation is gone, the escalation is given
// up: logged here, and not returned, since nothing further will come of
// it. Otherwise the error is returned for the sweep to report.
func (s *Service) failed(ctx context.Context, esc desk.SLAEscalation, cause error, now time.Time) error {
	if ctx.Err() != nil {
		// Shutting down: the lease runs out and another sweep goes on.
		return ctx.Err()
	}
	gone := errors.Is(cause, desk.ErrNotFound)
	if gone || esc.Attempts >= s.opts.EscalationAttempts || now.Sub(esc.CreatedAt) >= s.opts.EscalationMaxAge {
		if err := s.st.FinishSLAEscalation(ctx, esc.ID, now, cause.Error()); err != nil {
			return fmt.Errorf("give up escalation %d: %w (after: %w)", esc.ID, err, cause)
		}
		s.log.Error("slawatch: escalation given up", "conversation", esc.ConversationID, "target", esc.Target,
			"state", esc.State, "attempts", esc.Attempts, "err", cause)
		return nil
	}
	if err := s.st.FailSLAEscalation(ctx, esc.ID, cause.Error()); err != nil {
		return fmt.Errorf("record failed escalation %d: %w (after: %w)", esc.ID, err, cause)
	}
	return fmt.Errorf("escalate (attempt %d, tried again next sweep): %w", esc.Attempts, cause)
}
