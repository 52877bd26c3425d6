package postgres

import (
	"context"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// FirstMessages reads each conversation's first customer message; the
// message is found through the messages_conversation index.
func (s *Store) FirstMessages(ctx context.Context, since, until time.Time, limit int) ([]desk.FirstMessage, error) {
	const op = "first messages"
	if limit <= 0 {
		limit = 20000
	}
	rows, err := s.q.Query(ctx, `SELECT c.id, c.channel, c.category, c.language, m.body, c.created_at
		FROM conversations c
		JOIN LATERAL (SELECT mm.body FROM messages mm
			WHERE mm.conversation_id = c.id AND mm.sender = 'contact' AND mm.kind = 'message'
			ORDER BY mm.id LIMIT 1) m ON true
		WHERE c.created_at >= $1 AND c.created_at < $2
		ORDER BY c.created_at, c.id LIMIT $3`, ts(since), ts(until), limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.FirstMessage
	for rows.Next() {
		var f desk.FirstMessage
		if err := rows.Scan(&f.ConversationID, &f.Channel, &f.Category, &f.Language, &f.Text, &f.At); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, f)
	}
	return out, wrap(op, rows.Err())
}
