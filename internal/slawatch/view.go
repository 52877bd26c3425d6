package slawatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
)

// Status is where a conversation stands against its policy, for the SLA
// panel of the conversation page.
type Status struct {
	Policy desk.SLAPolicy
	// Targets are the policy's clocks (sla.Evaluate), in the policy's
	// time: business time when Policy.BusinessHours.
	Targets []sla.Target
	// Location is the team's time zone (or the default), to show Due in.
	Location *time.Location
}

// StatusOf evaluates a conversation's targets now from its thread, with the
// policy that applies to it now (the sweep stores the same within its
// period). It returns false when no policy applies.
func (s *Service) StatusOf(ctx context.Context, c *desk.Conversation, msgs []desk.Message) (*Status, bool, error) {
	e, err := s.loadEnv(ctx, false)
	if err != nil {
		return nil, false, fmt.Errorf("slawatch: status: %w", err)
	}
	seg, err := segmentOf(ctx, s.st, c.ContactID)
	if err != nil && !errors.Is(err, desk.ErrNotFound) {
		return nil, false, fmt.Errorf("slawatch: status: %w", err)
	}
	p, ok := sla.Select(e.policies, sla.FactsOf(*c, seg))
	if !ok {
		return nil, false, nil
	}
	h, _ := e.hoursOf(c)
	return &Status{Policy: e.byID[p.ID], Location: s.location(e, c),
		Targets: sla.Evaluate(p, h, sla.EventsFrom(*c, msgs), s.clock.Now())}, true, nil
}

// Badge is what an inbox row shows of a conversation's SLA.
type Badge struct {
	State desk.SLAState
	// Left is the time until due (business time under a business-hours
	// policy) while running or warning; Over how far past due a breached
	// target is.
	Left, Over time.Duration
}

// Badges computes the badges of conversations from their stored SLA fields
// (kept by the sweep), without reading their threads: one lookup of the
// policies and teams for the whole list. Conversations without a running
// target have no entry.
func (s *Service) Badges(ctx context.Context, convs []desk.Conversation) (map[int64]Badge, error) {
	out := map[int64]Badge{}
	e, err := s.loadEnv(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("slawatch: badges: %w", err)
	}
	now := s.clock.Now()
	for i := range convs {
		c := &convs[i]
		if c.SLAPolicyID == 0 || c.SLAState == desk.SLANone || c.Status == desk.StatusResolved {
			continue
		}
		b := Badge{State: c.SLAState}
		if !c.SLADueAt.IsZero() {
			var between func(a, b time.Time) time.Duration = func(a, b time.Time) time.Duration { return b.Sub(a) }
			if p, ok := e.byID[c.SLAPolicyID]; ok && p.BusinessHours {
				h, _ := e.hoursOf(c)
				between = h.Between
			}
			if now.After(c.SLADueAt) {
				// Past due since the last sweep: breached already.
				b.State, b.Over = desk.SLABreached, between(c.SLADueAt, now)
			} else {
				b.Left = between(now, c.SLADueAt)
			}
		}
		out[c.ID] = b
	}
	return out, nil
}

// Due lists the open conversations under a policy, those due first, for
// the supervisors' list.
func (s *Service) Due(ctx context.Context, limit int) ([]desk.Conversation, error) {
	convs, err := s.st.SLADue(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("slawatch: due: %w", err)
	}
	return convs, nil
}
