package sqlite

import (
	"context"

	"github.com/balie-dev/balie/internal/desk"
)

// AttachmentsOfContact walks the contact's conversations (index
// conversations_contact), their messages and the messages' attachments.
func (o ops) AttachmentsOfContact(ctx context.Context, contactID int64, limit int) ([]desk.ContactFile, error) {
	const op = "attachments of contact"
	if limit <= 0 {
		limit = 200
	}
	rows, err := o.read.QueryContext(ctx, `SELECT a.id, a.message_id, a.name, a.content_type, a.size, a.blob_key,
		a.thumb_key, a.width, a.height, a.created_at, m.conversation_id, c.channel, m.sender
		FROM conversations c
		JOIN messages m ON m.conversation_id = c.id
		JOIN attachments a ON a.message_id = m.id
		WHERE c.contact_id = ?
		ORDER BY a.created_at DESC, a.id DESC LIMIT ?`, contactID, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.ContactFile
	for rows.Next() {
		var f desk.ContactFile
		var at int64
		if err := rows.Scan(&f.ID, &f.MessageID, &f.Name, &f.ContentType, &f.Size, &f.BlobKey, &f.ThumbKey,
			&f.Width, &f.Height, &at, &f.ConversationID, &f.Channel, &f.Sender); err != nil {
			return nil, wrap(op, err)
		}
		f.CreatedAt = fromMS(at)
		out = append(out, f)
	}
	return out, wrap(op, rows.Err())
}
