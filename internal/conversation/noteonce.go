package conversation

import (
	"context"
	"fmt"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// maxKey bounds an idempotency key: it is stored as the note's ExternalID,
// which holds at most 255 bytes (see Ingest).
const maxKey = 255

// NoteOnce stores an internal note under an idempotency key, for work
// that may be done again after a crash (an SLA escalation): the first call
// with a key writes the note (created true); every later one, on any node
// and also while the first is still running, returns that note with
// created false and writes nothing, publishes nothing. The first body
// wins: a retry may word the same note differently.
//
// The key is kept as the note's ExternalID, whose unique index per inbox
// makes the write atomic. Callers prefix their keys ("sla-esc:12") so
// that they never meet a provider's message id; a key that another
// message of the inbox already holds (another conversation's note, a
// customer's message) is ErrConflict. Notes are never shown to customers
// nor sent on a channel, so neither is the key.
func (s *Service) NoteOnce(ctx context.Context, by Actor, conversationID int64, key, body string) (*desk.Message, bool, error) {
	if strings.TrimSpace(key) != key || key == "" || len(key) > maxKey {
		return nil, false, fmt.Errorf("conversation: note on %d: %w", conversationID,
			desk.Invalid("key", fmt.Sprintf("1 to %d bytes, no surrounding space", maxKey)))
	}
	return s.addAgentMessage(ctx, by, conversationID, desk.KindNote, body, nil, nil, key)
}

// keyed finds the message of kind stored under key in the conversation:
// ErrNotFound when there is none, ErrConflict when the key is another
// message's.
func keyed(ctx context.Context, st desk.MessageStore, inboxID, convID int64, kind desk.MessageKind, key string) (*desk.Message, error) {
	m, err := st.MessageByExternalID(ctx, inboxID, key)
	if err != nil {
		return nil, err
	}
	if m.ConversationID != convID || m.Kind != kind {
		return nil, fmt.Errorf("key %q is message %d's, a %s in conversation %d: %w", key, m.ID, m.Kind, m.ConversationID, desk.ErrConflict)
	}
	return m, nil
}
