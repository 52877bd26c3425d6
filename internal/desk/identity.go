package desk

import (
	"context"
	"time"
)

// One customer across channels: profiles that belong to one person are
// merged, and a merge can be undone from its record.

// ContactMerge records one merge: what the merged profile was, so that it
// can be restored.
type ContactMerge struct {
	ID       int64
	KeptID   int64 // the profile that stays
	MergedID int64 // the profile that was folded into it (gone until undone)
	AgentID  int64 // who merged (0: the system)
	// Merged is the merged profile as it was (name, email, phone, locale,
	// attributes), Identities its identities, Conversations the ids of its
	// conversations: what an undo gives back.
	Merged        Contact
	Identities    []Identity
	Conversations []int64
	Reason        string // the evidence shown to the agent ("same phone", ...)
	CreatedAt     time.Time
	UndoneAt      time.Time // zero while in force
}

// IdentityStore merges, undoes and splits profiles.
type IdentityStore interface {
	// MergeContacts folds merged into kept in one transaction: its
	// identities and conversations move to kept, kept's empty name, email,
	// phone and locale are filled from merged, attributes kept has not
	// are added, merged is deleted, and the merge is recorded (returned,
	// with ID). Merging a contact into itself is ErrInvalid; a missing
	// one ErrNotFound.
	MergeContacts(ctx context.Context, keptID, mergedID, agentID int64, reason string) (*ContactMerge, error)
	// UndoMerge restores the merged profile with its own ID, identities
	// and conversations (those still with kept; an identity only while it is
	// the one recorded, by id, kind and value), and marks the merge
	// undone. An undone merge is ErrConflict, and so is an undo while kept
	// is itself merged away (undo that merge first); a missing one
	// ErrNotFound. Fields filled into kept by the merge stay.
	UndoMerge(ctx context.Context, mergeID int64, at time.Time) (*ContactMerge, error)
	// ContactMerges lists the merges into a contact, newest first.
	ContactMerges(ctx context.Context, keptID int64) ([]ContactMerge, error)
	// MoveIdentity gives an identity to another contact (a split: a new
	// profile takes the identities and conversations that are not this
	// person's).
	MoveIdentity(ctx context.Context, identityID, toContactID int64) error
	// MoveConversation gives a conversation to another contact; the
	// customer's messages in it follow.
	MoveConversation(ctx context.Context, conversationID, toContactID int64) error
	// ContactsWithPhone and ContactsWithEmail find the contacts whose
	// primary phone or any phone identity (E.164), or whose primary email
	// or any email identity (any case), is the given one: merge candidates.
	ContactsWithPhone(ctx context.Context, e164 string) ([]Contact, error)
	ContactsWithEmail(ctx context.Context, email string) ([]Contact, error)
}
