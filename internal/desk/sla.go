package desk

import (
	"context"
	"time"
)

// Valid reports whether s is a state a conversation under a policy can be
// in: running, warning or breached (SLANone is the absence of one).
func (s SLAState) Valid() bool {
	switch s {
	case SLARunning, SLAWarning, SLABreached:
		return true
	}
	return false
}

// SLAEscalation is a warning or breach of one SLA target that the sweep
// owes a conversation: a note in the thread and an alert to supervisors.
// It is recorded before it is performed and marked done after, so that a
// failed note is retried and a restart, or another node taking over the
// sweep, never escalates the same thing twice.
//
// Conversation, target, start and state make an escalation the same one:
// each target (and each next response cycle, which starts anew) warns once
// and breaches once.
type SLAEscalation struct {
	ID             int64
	ConversationID int64
	// Target is the target's kind ("first_response", "next_response",
	// "resolution": sla.Kind).
	Target string
	// StartedAt is when the target's clock started.
	StartedAt time.Time
	State     SLAState // SLAWarning or SLABreached
	// DueAt is the target's due time when it was recorded, for the note.
	DueAt     time.Time
	CreatedAt time.Time
	// Attempts counts the tries to perform it, the first one included.
	Attempts  int
	LastError string
	// LeaseUntil is how long the sweep that tries it holds it: no other
	// claims it meanwhile.
	LeaseUntil time.Time
	// DoneAt is when it was performed, or given up (GaveUp); zero while
	// it is owed.
	DoneAt time.Time
	GaveUp bool
}

// SLAEscalationStore keeps the escalations the SLA sweep owes and has done.
type SLAEscalationStore interface {
	// OweSLAEscalation records e as owed, held by the caller until
	// e.LeaseUntil and counted as its first attempt, and reports true;
	// it sets ID, and CreatedAt when zero (to now). When the same
	// escalation is recorded already it writes nothing, fills e with the
	// stored one and reports false. A missing conversation is ErrNotFound;
	// a state other than warning or breached ErrInvalid.
	OweSLAEscalation(ctx context.Context, e *SLAEscalation) (bool, error)
	// ClaimSLAEscalations leases up to limit owed escalations whose lease
	// has passed at now (oldest first) until leaseUntil, counting an
	// attempt for each.
	ClaimSLAEscalations(ctx context.Context, now, leaseUntil time.Time, limit int) ([]SLAEscalation, error)
	// FinishSLAEscalation marks an escalation done at at: performed, or,
	// with a non-empty reason, given up (GaveUp, LastError = reason). One
	// done already is ErrConflict, a missing one ErrNotFound.
	FinishSLAEscalation(ctx context.Context, id int64, at time.Time, reason string) error
	// FailSLAEscalation records a failed attempt (LastError) and releases
	// the lease, so that the next claim takes it up again. One done
	// already is ErrConflict, a missing one ErrNotFound.
	FailSLAEscalation(ctx context.Context, id int64, errText string) error
	// SLAEscalationsOf lists a conversation's escalations, oldest first
	// (then by ID).
	SLAEscalationsOf(ctx context.Context, conversationID int64) ([]SLAEscalation, error)
}
