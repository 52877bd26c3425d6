package sqlite

import (
	"context"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// FirstMessages reads each conversation's first customer message; the
// message is found through the messages_conversation index.
func (o ops) FirstMessages(ctx context.Context, since, until time.Time, limit int) ([]desk.FirstMessage, error) {
	const op = "first messages"
	if limit <= 0 {
		limit = 20000
	}
	rows, err := o.read.QueryContext(ctx, `SELECT c.id, c.channel, c.category, c.language, m.body, c.created_at
		FROM conversations c
		JOIN messages m ON m.id = (SELECT mm.id FROM messages mm
			WHERE mm.conversation_id = c.id AND mm.sender = 'contact' AND mm.kind = 'message'
			ORDER BY mm.id LIMIT 1)
		WHERE c.created_at >= ? AND c.created_at < ?
		ORDER BY c.created_at, c.id LIMIT ?`, ms(since), ms(until), limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.FirstMessage
	for rows.Next() {
		var f desk.FirstMessage
		var at int64
		if err := rows.Scan(&f.ConversationID, &f.Channel, &f.Category, &f.Language, &f.Text, &at); err != nil {
			return nil, wrap(op, err)
		}
		f.At = fromMS(at)
		out = append(out, f)
	}
	return out, wrap(op, rows.Err())
}
