package postgres

import (
	"context"

	"github.com/balie-dev/balie/internal/desk"
)

// AttachmentsOfContact walks the contact's conversations, their messages
// and the messages' attachments, each by its index.
func (s *Store) AttachmentsOfContact(ctx context.Context, contactID int64, limit int) ([]desk.ContactFile, error) {
	const op = "attachments of contact"
	if limit <= 0 {
		limit = 200
	}
	rows, err := s.q.Query(ctx, `SELECT a.id, a.message_id, a.name, a.content_type, a.size, a.blob_key,
		a.thumb_key, a.width, a.height, a.created_at, m.conversation_id, c.channel, m.sender
		FROM conversations c
		JOIN messages m ON m.conversation_id = c.id
		JOIN attachments a ON a.message_id = m.id
		WHERE c.contact_id = $1
		ORDER BY a.created_at DESC, a.id DESC LIMIT $2`, contactID, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.ContactFile
	for rows.Next() {
		var f desk.ContactFile
		if err := rows.Scan(&f.ID, &f.MessageID, &f.Name, &f.ContentType, &f.Size, &f.BlobKey, &f.ThumbKey,
			&f.Width, &f.Height, &f.CreatedAt, &f.ConversationID, &f.Channel, &f.Sender); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, f)
	}
	return out, wrap(op, rows.Err())
}
