package desk

import (
	"context"
	"time"
)

// FirstMessage is what a conversation began with: its first customer
// message, for finding recurring problems.
type FirstMessage struct {
	ConversationID int64
	Channel        ChannelKind
	Category       string
	Language       string
	Text           string
	At             time.Time // the conversation's creation
}

// TopicStore reads what recurring-problem detection needs.
type TopicStore interface {
	// FirstMessages lists the first customer message of each conversation
	// created in [since, until), oldest first, at most limit; conversations
	// without a customer message are left out.
	FirstMessages(ctx context.Context, since, until time.Time, limit int) ([]FirstMessage, error)
}
