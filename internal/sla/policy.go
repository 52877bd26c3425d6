package sla

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Policy is a set of SLA targets and the conversations they apply to.
type Policy struct {
	ID   int64
	Name string
	// Position orders the policies: Select takes the first that matches,
	// so put the specific ones (urgent VIP e-mail) before the broad ones.
	Position int

	// Conditions; an empty list matches anything.
	Priorities []desk.Priority
	Channels   []desk.ChannelKind
	Segments   []string // customer segments ("vip", "business"), compared without case

	// Targets; zero means none.
	FirstResponse time.Duration
	NextResponse  time.Duration
	Resolution    time.Duration

	// WarnAt is the fraction of a target after which it warns: 0.8 warns
	// when 80% of the time is used. Zero means no warning.
	WarnAt float64
	// BusinessHours counts the targets in the team's business hours rather
	// than around the clock.
	BusinessHours bool
}

// maxTarget bounds a target: a year is already not a service level.
const maxTarget = 366 * 24 * time.Hour

// Validate checks the policy. Errors match desk.ErrInvalid and name the
// field.
func (p Policy) Validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return desk.Invalid("name", "required")
	}
	for _, pr := range p.Priorities {
		if !pr.Valid() {
			return desk.Invalid("priorities", fmt.Sprintf("unknown priority %q", string(pr)))
		}
	}
	for _, ch := range p.Channels {
		if !desk.KnownChannel(ch) {
			return desk.Invalid("channels", fmt.Sprintf("unknown channel %q", string(ch)))
		}
	}
	for _, t := range []struct {
		field string
		d     time.Duration
	}{{"first_response", p.FirstResponse}, {"next_response", p.NextResponse}, {"resolution", p.Resolution}} {
		if t.d < 0 || t.d > maxTarget {
			return desk.Invalid(t.field, "between 0 (none) and 366 days")
		}
	}
	if p.FirstResponse == 0 && p.NextResponse == 0 && p.Resolution == 0 {
		return desk.Invalid("targets", "set at least one target")
	}
	// The negated form also refuses NaN.
	if !(p.WarnAt >= 0 && p.WarnAt < 1) {
		return desk.Invalid("warn_at", "a fraction from 0 (no warning) up to but not including 1")
	}
	return nil
}

// Facts are what a policy's conditions look at.
type Facts struct {
	Priority desk.Priority
	Channel  desk.ChannelKind
	Segment  string
}

// FactsOf takes the facts of a conversation; the segment comes from the
// customer (a contact attribute, a CRM tier) and is the caller's to find.
func FactsOf(c desk.Conversation, segment string) Facts {
	return Facts{Priority: c.Priority, Channel: c.Channel, Segment: segment}
}

// Matches reports whether the policy's conditions hold for f.
func (p Policy) Matches(f Facts) bool {
	if len(p.Priorities) > 0 && !slices.Contains(p.Priorities, f.Priority) {
		return false
	}
	if len(p.Channels) > 0 && !slices.Contains(p.Channels, f.Channel) {
		return false
	}
	if len(p.Segments) > 0 && !slices.ContainsFunc(p.Segments, func(s string) bool {
		return strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(f.Segment))
	}) {
		return false
	}
	return true
}

// Select returns the first policy by Position (then ID) whose conditions
// match f, and false when none does. The slice is not reordered.
func Select(policies []Policy, f Facts) (Policy, bool) {
	var best *Policy
	for i := range policies {
		p := &policies[i]
		if !p.Matches(f) {
			continue
		}
		if best == nil || cmp.Or(cmp.Compare(p.Position, best.Position), cmp.Compare(p.ID, best.ID)) < 0 {
			best = p
		}
	}
	if best == nil {
		return Policy{}, false
	}
	return *best, true
}
