package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// messageColumns include the sender's current name, looked up by kind (for
// system messages, the acting agent's).
const messageColumns = `m.id, m.conversation_id, m.kind, m.sender, m.sender_id,
	COALESCE(CASE m.sender
		WHEN 'agent' THEN (SELECT a.name FROM agents a WHERE a.id = m.sender_id)
		WHEN 'contact' THEN (SELECT ct.name FROM contacts ct WHERE ct.id = m.sender_id)
		WHEN 'system' THEN (SELECT a.name FROM agents a WHERE a.id = m.sender_id)
	END, ''),
	m.body, m.activity, m.meta, m.external_id, m.delivery, m.error, m.created_at`

func scanMessage(row pgx.Row) (desk.Message, error) {
	var m desk.Message
	var activity, meta string
	err := row.Scan(&m.ID, &m.ConversationID, &m.Kind, &m.Sender, &m.SenderID, &m.SenderName,
		&m.Body, &activity, &meta, &m.ExternalID, &m.Delivery, &m.Error, &m.CreatedAt)
	if err != nil {
		return m, err
	}
	if m.Activity, err = parseActivity(activity); err != nil {
		return m, err
	}
	m.Meta, err = parseMeta(meta)
	return m, err
}

// metaText is the stored form of a message's meta: empty when there is none.
func metaText(meta map[string]string) (string, error) {
	if len(meta) == 0 {
		return "", nil
	}
	b, err := json.Marshal(meta)
	return string(b), err
}

func parseMeta(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	return m, nil
}

// activityJSON is how an activity item is stored in messages.activity.
type activityJSON struct {
	Key  string   `json:"key"`
	Args []string `json:"args,omitempty"`
}

// activityText is the stored form of items: empty when there are none.
func activityText(items []desk.ActivityItem) (string, error) {
	if len(items) == 0 {
		return "", nil
	}
	out := make([]activityJSON, len(items))
	for i, it := range items {
		out[i] = activityJSON{Key: it.Key, Args: it.Args}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func parseActivity(s string) ([]desk.ActivityItem, error) {
	if s == "" {
		return nil, nil
	}
	var in []activityJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("activity: %w", err)
	}
	out := make([]desk.ActivityItem, len(in))
	for i, it := range in {
		out[i] = desk.ActivityItem{Key: it.Key, Args: it.Args}
	}
	return out, nil
}

// CreateMessage stores a message with its attachments, setting their IDs and
// CreatedAt. An ExternalID already stored in the conversation's inbox is
// ErrConflict; a missing conversation ErrNotFound.
func (s *Store) CreateMessage(ctx context.Context, m *desk.Message) error {
	m.CreatedAt = orNow(m.CreatedAt)
	// Activity lines are not searchable: no terms.
	var terms any
	if m.Kind != desk.KindActivity {
		if m.SearchTerms != nil {
			terms = fitTerms(m.SearchTerms)
		} else {
			terms = indexTerms(m.Body)
		}
	}
	activity, err := activityText(m.Activity)
	if err != nil {
		return wrap("create message", err)
	}
	meta, err := metaText(m.Meta)
	if err != nil {
		return wrap("create message", err)
	}
	run := s.guarded
	if len(m.Attachments) > 0 {
		run = s.atomically
	}
	err = run(ctx, func(s *Store) error {
		err := s.q.QueryRow(ctx, `INSERT INTO messages (conversation_id, inbox_id, kind, sender, sender_id,
				body, external_id, delivery, error, terms, created_at, activity, meta)
			SELECT c.id, c.inbox_id, $2, $3, $4, $5, $6, $7, $8, array_to_tsvector($9::text[]), $10, $11, $12
			FROM conversations c WHERE c.id = $1
			ON CONFLICT (inbox_id, external_id) WHERE external_id <> '' DO NOTHING
			RETURNING id`,
			m.ConversationID, m.Kind, m.Sender, m.SenderID, m.Body, m.ExternalID, m.Delivery, m.Error,
			terms, m.CreatedAt, activity, meta).Scan(&m.ID)
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

// SetExternalID sets a sent message's provider id, once.
func (s *Store) SetExternalID(ctx context.Context, messageID int64, externalID string) error {
	return s.guarded(ctx, func(s *Store) error {
		var n int
		err := s.q.QueryRow(ctx, `WITH u AS (UPDATE messages SET external_id = $2 WHERE id = $1 AND external_id = '' RETURNING 1)
			SELECT count(*) FROM messages WHERE id = $1`, messageID, externalID).Scan(&n)
		if err != nil {
			return wrap("set external id", err)
		}
		if n == 0 {
			return fmt.Errorf("postgres: set external id: message %d: %w", messageID, desk.ErrNotFound)
		}
		return nil
	})
}

// AttachmentByID returns one attachment.
func (s *Store) AttachmentByID(ctx context.Context, id int64) (*desk.Attachment, error) {
	a, err := scanAttachment(s.q.QueryRow(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("attachment by id", err)
	}
	return &a, nil
}

// outboundQuery reads a message with its conversation, inbox and contact in
// one row; the contact's identities and the message's attachments come
// along as JSON arrays (times as Unix milliseconds), so that the outbox
// worker's lookups cost one round trip.
const outboundQuery = `SELECT ` + messageColumns + `, ` + conversationColumns + `,
	i.id, i.name, i.channel, i.public_key, COALESCE(i.team_id, 0), i.settings, i.created_at,
	k.id, k.name, k.email, k.phone, k.locale, k.attributes, k.created_at, k.updated_at, COALESCE(k.owner_id, 0),
	` + identitiesJSON + `,
	COALESCE((SELECT json_agg(json_build_object('id', f.id, 'name', f.name, 'type', f.content_type,
			'size', f.size, 'blob', f.blob_key, 'thumb', f.thumb_key, 'w', f.width, 'h', f.height,
			'at', (extract(epoch FROM f.created_at) * 1000)::bigint) ORDER BY f.id)
		FROM attachments f WHERE f.message_id = m.id), '[]')
	FROM messages m
	JOIN conversations c ON c.id = m.conversation_id
	JOIN inboxes i ON i.id = c.inbox_id
	JOIN contacts k ON k.id = c.contact_id
	WHERE m.id = $1`

// attachmentJSON is the shape outboundQuery builds for an attachment.
type attachmentJSON struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	Blob   string `json:"blob"`
	Thumb  string `json:"thumb"`
	Width  int    `json:"w"`
	Height int    `json:"h"`
	At     int64  `json:"at"`
}

// OutboundFor reads what sending a message takes in one query.
func (s *Store) OutboundFor(ctx context.Context, messageID int64) (*desk.Outbound, error) {
	const op = "outbound for"
	var out desk.Outbound
	m, cv, in, c := &out.Message, &out.Conversation, &out.Inbox, &out.Contact
	var cvr convRow
	var idents, files []byte
	var activity, meta string
	dest := []any{&m.ID, &m.ConversationID, &m.Kind, &m.Sender, &m.SenderID, &m.SenderName,
		&m.Body, &activity, &meta, &m.ExternalID, &m.Delivery, &m.Error, &m.CreatedAt}
	dest = append(dest, cvr.dest(cv)...)
	dest = append(dest, &in.ID, &in.Name, &in.Channel, &in.PublicKey, &in.TeamID, &in.Settings, &in.CreatedAt)
	dest = append(dest, contactDest(c)...)
	dest = append(dest, &idents, &files)
	if err := s.q.QueryRow(ctx, outboundQuery, messageID).Scan(dest...); err != nil {
		return nil, wrap(op, err)
	}
	cvr.fill(cv)
	var err error
	if m.Activity, err = parseActivity(activity); err != nil {
		return nil, wrap(op, err)
	}
	if m.Meta, err = parseMeta(meta); err != nil {
		return nil, wrap(op, err)
	}
	if len(in.Settings) == 0 {
		in.Settings = nil
	}
	if len(c.Attributes) == 0 {
		c.Attributes = nil
	}
	if c.Identities, err = parseIdentities(c.ID, idents); err != nil {
		return nil, wrap(op, err)
	}
	var atts []attachmentJSON
	if err := json.Unmarshal(files, &atts); err != nil {
		return nil, wrap(op, err)
	}
	for _, f := range atts {
		m.Attachments = append(m.Attachments, desk.Attachment{ID: f.ID, MessageID: m.ID, Name: f.Name,
			ContentType: f.Type, Size: f.Size, BlobKey: f.Blob, ThumbKey: f.Thumb, Width: f.Width, Height: f.Height,
			CreatedAt: time.UnixMilli(f.At).UTC()})
	}
	return &out, nil
}
