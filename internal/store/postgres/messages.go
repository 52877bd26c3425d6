package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// messageColumns include the sender's current name, looked up by kind.
const messageColumns = `m.id, m.conversation_id, m.kind, m.sender, m.sender_id,
	COALESCE(CASE m.sender
		WHEN 'agent' THEN (SELECT a.name FROM agents a WHERE a.id = m.sender_id)
		WHEN 'contact' THEN (SELECT ct.name FROM contacts ct WHERE ct.id = m.sender_id)
	END, ''),
	m.body, m.external_id, m.delivery, m.error, m.created_at`

func scanMessage(row pgx.Row) (desk.Message, error) {
	var m desk.Message
	err := row.Scan(&m.ID, &m.ConversationID, &m.Kind, &m.Sender, &m.SenderID, &m.SenderName,
		&m.Body, &m.ExternalID, &m.Delivery, &m.Error, &m.CreatedAt)
	return m, err
}

// CreateMessage stores a message with its attachments, setting their IDs and
// CreatedAt. An ExternalID already stored in the conversation's inbox is
// ErrConflict; a missing conversation ErrNotFound.
func (s *Store) CreateMessage(ctx context.Context, m *desk.Message) error {
	m.CreatedAt = orNow(m.CreatedAt)
	// Activity lines are not searchable: no terms.
	var terms any
	if m.Kind != desk.KindActivity {
		terms = indexTerms(m.Body)
	}
	run := s.guarded
	if len(m.Attachments) > 0 {
		run = s.atomically
	}
	err := run(ctx, func(s *Store) error {
		err := s.q.QueryRow(ctx, `INSERT INTO messages (conversation_id, inbox_id, kind, sender, sender_id,
				body, external_id, delivery, error, terms, created_at)
			SELECT c.id, c.inbox_id, $2, $3, $4, $5, $6, $7, $8, array_to_tsvector($9::text[]), $10
			FROM conversations c WHERE c.id = $1
			ON CONFLICT (inbox_id, external_id) WHERE external_id <> '' DO NOTHING
			RETURNING id`,
			m.ConversationID, m.Kind, m.Sender, m.SenderID, m.Body, m.ExternalID, m.Delivery, m.Error,
			terms, m.CreatedAt).Scan(&m.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			// No row: a duplicate (skipped rather than raised, so that a
			// caller's transaction stays usable) or no such conversation.
			var inbox int64
			err = s.q.QueryRow(ctx, `SELECT inbox_id FROM conversations WHERE id = $1`, m.ConversationID).Scan(&inbox)
			if err == nil {
				err = fmt.Errorf("%w: external id %q already stored", desk.ErrConflict, m.ExternalID)
			}
		}
		if err != nil {
			return err
		}
		for i := range m.Attachments {
			a := &m.Attachments[i]
			a.MessageID = m.ID
			if a.CreatedAt.IsZero() {
				a.CreatedAt = m.CreatedAt
			}
			a.CreatedAt = ts(a.CreatedAt)
			err := s.q.QueryRow(ctx, `INSERT INTO attachments (message_id, name, content_type, size,
					blob_key, thumb_key, width, height, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
				a.MessageID, a.Name, a.ContentType, a.Size, a.BlobKey, a.ThumbKey, a.Width, a.Height, a.CreatedAt,
			).Scan(&a.ID)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		m.ID = 0
	}
	return wrap("create message", err)
}

// MessageByID returns a message with its attachments and sender name.
func (s *Store) MessageByID(ctx context.Context, id int64) (*desk.Message, error) {
	return s.oneMessage(ctx, "message by id", `SELECT `+messageColumns+` FROM messages m WHERE m.id = $1`, id)
}

// MessageByExternalID finds an ingested message by provider id in an inbox.
func (s *Store) MessageByExternalID(ctx context.Context, inboxID int64, externalID string) (*desk.Message, error) {
	if externalID == "" {
		return nil, wrap("message by external id", desk.ErrNotFound)
	}
	return s.oneMessage(ctx, "message by external id", `SELECT `+messageColumns+` FROM messages m
		WHERE m.inbox_id = $1 AND m.external_id = $2`, inboxID, externalID)
}

func (s *Store) oneMessage(ctx context.Context, op, sql string, args ...any) (*desk.Message, error) {
	m, err := scanMessage(s.q.QueryRow(ctx, sql, args...))
	if err != nil {
		return nil, wrap(op, err)
	}
	ms := []desk.Message{m}
	if err := s.attach(ctx, ms); err != nil {
		return nil, wrap(op, err)
	}
	return &ms[0], nil
}

// ListMessages returns a conversation's messages oldest first, with
// attachments and sender names; afterID > 0 returns only later ones. limit
// defaults to 100 and is at most 1000.
func (s *Store) ListMessages(ctx context.Context, conversationID int64, afterID int64, limit int) ([]desk.Message, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	rows, err := s.q.Query(ctx, `SELECT `+messageColumns+` FROM messages m
		WHERE m.conversation_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3`, conversationID, afterID, limit)
	if err != nil {
		return nil, wrap("list messages", err)
	}
	defer rows.Close()
	var out []desk.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, wrap("list messages", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list messages", err)
	}
	return out, wrap("list messages", s.attach(ctx, out))
}

const attachmentColumns = `id, message_id, name, content_type, size, blob_key, thumb_key, width, height, created_at`

func scanAttachment(row pgx.Row) (desk.Attachment, error) {
	var a desk.Attachment
	err := row.Scan(&a.ID, &a.MessageID, &a.Name, &a.ContentType, &a.Size, &a.BlobKey, &a.ThumbKey,
		&a.Width, &a.Height, &a.CreatedAt)
	return a, err
}

// attach fills the attachments of ms with one query.
func (s *Store) attach(ctx context.Context, ms []desk.Message) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]int64, len(ms))
	at := make(map[int64]int, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
		at[m.ID] = i
	}
	rows, err := s.q.Query(ctx, `SELECT `+attachmentColumns+` FROM attachments
		WHERE message_id = ANY ($1::bigint[]) ORDER BY id`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return err
		}
		m := &ms[at[a.MessageID]]
		m.Attachments = append(m.Attachments, a)
	}
	return rows.Err()
}

// SetDelivery records the delivery state of an outgoing message.
func (s *Store) SetDelivery(ctx context.Context, messageID int64, d desk.Delivery, errText string) error {
	err := affected(s.q.Exec(ctx, `UPDATE messages SET delivery = $2, error = $3 WHERE id = $1`,
		messageID, d, errText))
	return wrap("set delivery", err)
}

// AttachmentByID returns one attachment.
func (s *Store) AttachmentByID(ctx context.Context, id int64) (*desk.Attachment, error) {
	a, err := scanAttachment(s.q.QueryRow(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("attachment by id", err)
	}
	return &a, nil
}
