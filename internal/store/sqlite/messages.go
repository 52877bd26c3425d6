package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
)

// msgCols reads a message with its sender's current name (for system
// messages, the acting agent's) and whether it has attachments. Most
// messages have none: the flag, one probe of the attachments index, saves a
// second query for them.
const msgCols = `m.id, m.conversation_id, m.kind, m.sender, m.sender_id,
	COALESCE(CASE m.sender
		WHEN 'agent' THEN (SELECT name FROM agents WHERE id = m.sender_id)
		WHEN 'contact' THEN (SELECT name FROM contacts WHERE id = m.sender_id)
		WHEN 'system' THEN (SELECT name FROM agents WHERE id = m.sender_id)
	END, ''),
	m.body, m.activity, m.meta, m.external_id, m.delivery, m.error, m.created_at,
	EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id)`

// scanMessage reads msgCols into m and reports whether m has attachments.
func scanMessage(sc interface{ Scan(...any) error }, m *desk.Message) (attached bool, err error) {
	var created int64
	var activity, meta string
	err = sc.Scan(&m.ID, &m.ConversationID, &m.Kind, &m.Sender, &m.SenderID, &m.SenderName,
		&m.Body, &activity, &meta, &m.ExternalID, &m.Delivery, &m.Error, &created, &attached)
	if err != nil {
		return false, err
	}
	m.CreatedAt = fromMS(created)
	if m.Activity, err = parseActivity(activity); err != nil {
		return attached, err
	}
	m.Meta, err = parseMeta(meta)
	return attached, err
}

// metaText is the stored form of a message's meta: empty when there is none.
func metaText(meta map[string]string) string {
	if len(meta) == 0 {
		return ""
	}
	return jsonText(meta)
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
func activityText(items []desk.ActivityItem) string {
	if len(items) == 0 {
		return ""
	}
	out := make([]activityJSON, len(items))
	for i, it := range items {
		out[i] = activityJSON{Key: it.Key, Args: it.Args}
	}
	return jsonText(out)
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

// searchable reports whether a message kind goes into the full-text index:
// what was said and noted, not the activity log.
func searchable(k desk.MessageKind) bool { return k == desk.KindMessage || k == desk.KindNote }

// CreateMessage stores the message, its attachments and its search terms.
// The insert that can conflict (external id) comes first, so a duplicate
// leaves nothing behind.
func (o ops) CreateMessage(ctx context.Context, m *desk.Message) error {
	m.CreatedAt = nowOr(m.CreatedAt)
	var doc string
	if searchable(m.Kind) {
		terms := m.SearchTerms
		if terms == nil {
			terms = lang.IndexTerms(m.Body)
		}
		doc = ftsDoc(terms)
	}
	return o.write(ctx, func(q *txQuerier) error {
		// INSERT ... SELECT inserts nothing when the conversation is missing.
		res, err := q.ExecContext(ctx, `INSERT INTO messages(conversation_id, inbox_id, kind, sender, sender_id, body,
			activity, meta, external_id, delivery, error, created_at)
			SELECT id, inbox_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM conversations WHERE id = ?`,
			m.Kind, m.Sender, m.SenderID, m.Body, activityText(m.Activity), metaText(m.Meta), m.ExternalID, m.Delivery, m.Error,
			ms(m.CreatedAt), m.ConversationID)
		if m.ID, err = insertedID("create message", res, err); err != nil {
			return err
		}
		for i := range m.Attachments {
			a := &m.Attachments[i]
			a.MessageID, a.CreatedAt = m.ID, nowOr(a.CreatedAt)
			err := q.QueryRowContext(ctx, `INSERT INTO attachments(message_id, name, content_type, size, blob_key,
				thumb_key, width, height, created_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`,
				a.MessageID, a.Name, a.ContentType, a.Size, a.BlobKey, a.ThumbKey, a.Width, a.Height, ms(a.CreatedAt)).Scan(&a.ID)
			if err != nil {
				return wrap("create attachment", err)
			}
		}
		q.index(ftsMessage, m.ID, doc)
		return nil
	})
}

func (o ops) MessageByID(ctx context.Context, id int64) (*desk.Message, error) {
	return o.messageWhere(ctx, "message by id", `m.id = ?`, id)
}

func (o ops) MessageByExternalID(ctx context.Context, inboxID int64, externalID string) (*desk.Message, error) {
	if externalID == "" {
		return nil, wrap("message by external id", sql.ErrNoRows)
	}
	return o.messageWhere(ctx, "message by external id", `m.inbox_id = ? AND m.external_id = ? AND m.external_id <> ''`, inboxID, externalID)
}

func (o ops) messageWhere(ctx context.Context, op, where string, args ...any) (*desk.Message, error) {
	var m desk.Message
	attached, err := scanMessage(o.read.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages m WHERE `+where, args...), &m)
	if err != nil {
		return nil, wrap(op, err)
	}
	if attached {
		if err := o.fillAttachments(ctx, []*desk.Message{&m}); err != nil {
			return nil, wrap(op, err)
		}
	}
	return &m, nil
}

func (o ops) ListMessages(ctx context.Context, conversationID int64, afterID int64, limit int) ([]desk.Message, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	rows, err := o.read.QueryContext(ctx, `SELECT `+msgCols+` FROM messages m
		WHERE m.conversation_id = ? AND m.id > ? ORDER BY m.id LIMIT ?`, conversationID, afterID, limit)
	if err != nil {
		return nil, wrap("list messages", err)
	}
	defer rows.Close()
	var out []desk.Message
	var attached []int // indexes in out of messages with attachments
	for rows.Next() {
		var m desk.Message
		has, err := scanMessage(rows, &m)
		if err != nil {
			return nil, wrap("list messages", err)
		}
		if has {
			attached = append(attached, len(out))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list messages", err)
	}
	rows.Close()
	if len(attached) > 0 {
		msgs := make([]*desk.Message, len(attached))
		for i, at := range attached {
			msgs[i] = &out[at]
		}
		if err := o.fillAttachments(ctx, msgs); err != nil {
			return nil, wrap("list messages", err)
		}
	}
	return out, nil
}

const attachmentCols = `id, message_id, name, content_type, size, blob_key, thumb_key, width, height, created_at`

func scanAttachment(sc interface{ Scan(...any) error }, a *desk.Attachment) error {
	var created int64
	err := sc.Scan(&a.ID, &a.MessageID, &a.Name, &a.ContentType, &a.Size, &a.BlobKey, &a.ThumbKey, &a.Width, &a.Height, &created)
	a.CreatedAt = fromMS(created)
	return err
}

// fillAttachments loads the attachments of msgs with one query.
func (o ops) fillAttachments(ctx context.Context, msgs []*desk.Message) error {
	ids := make([]int64, len(msgs))
	byID := make(map[int64]*desk.Message, len(msgs))
	for i, m := range msgs {
		ids[i], byID[m.ID] = m.ID, m
	}
	// A lookup by key: not worth a cancellable context (see QueryRowContext).
	rows, err := o.read.QueryContext(context.WithoutCancel(ctx), `SELECT `+attachmentCols+` FROM attachments
		WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY id`, idsJSON(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a desk.Attachment
		if err := scanAttachment(rows, &a); err != nil {
			return err
		}
		m := byID[a.MessageID]
		m.Attachments = append(m.Attachments, a)
	}
	return rows.Err()
}

func (o ops) SetDelivery(ctx context.Context, messageID int64, d desk.Delivery, errText string) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE messages SET delivery = ?, error = ? WHERE id = ?`, d, errText, messageID)
		return affected("set delivery", res, err)
	})
}

// SetExternalID sets a sent message's provider id, once.
func (o ops) SetExternalID(ctx context.Context, messageID int64, externalID string) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE messages SET external_id = ? WHERE id = ? AND external_id = ''`, externalID, messageID)
		if err != nil {
			return wrap("set external id", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var exists int
			err := q.QueryRowContext(ctx, `SELECT 1 FROM messages WHERE id = ?`, messageID).Scan(&exists)
			return wrap("set external id", err) // nil when it already had an id
		}
		return nil
	})
}

func (o ops) AttachmentByID(ctx context.Context, id int64) (*desk.Attachment, error) {
	var a desk.Attachment
	if err := scanAttachment(o.read.QueryRowContext(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE id = ?`, id), &a); err != nil {
		return nil, wrap("attachment by id", err)
	}
	return &a, nil
}

// outboundQuery reads a message with its conversation, inbox and contact,
// one row per identity of the contact (one row of zeros when it has none):
// the outbox worker's four lookups as one statement.
const outboundQuery = `SELECT ` + msgCols + `,
	cv.id, cv.inbox_id, cv.channel, cv.contact_id, cv.subject, cv.status, cv.priority, cv.assignee_id, cv.team_id,
	cv.labels, cv.snoozed_until, cv.last_activity_at, cv.last_message, cv.waiting_since, cv.created_at,
	cv.updated_at, cv.resolved_at, cv.category, cv.category_by, cv.language, cv.first_reply_at,
	cv.handed_over_at, cv.reopens, cv.sla_policy_id, cv.sla_due_at, cv.sla_state,
	i.id, i.name, i.channel, i.public_key, i.team_id, i.settings, i.created_at,
	c.id, c.name, c.email, c.phone, c.locale, c.attributes, c.created_at, c.updated_at, c.owner_id,
	COALESCE(ci.id, 0), COALESCE(ci.kind, ''), COALESCE(ci.value, ''), COALESCE(ci.verified, 0), COALESCE(ci.created_at, 0)
	FROM messages m
	JOIN conversations cv ON cv.id = m.conversation_id
	JOIN inboxes i ON i.id = cv.inbox_id
	JOIN contacts c ON c.id = cv.contact_id
	LEFT JOIN identities ci ON ci.contact_id = c.id
	WHERE m.id = ? ORDER BY ci.id`

// OutboundFor reads what sending a message takes in one query, plus one
// for attachments when the message has any.
func (o ops) OutboundFor(ctx context.Context, messageID int64) (*desk.Outbound, error) {
	const op = "outbound for"
	// A lookup by key: not worth a cancellable context (see QueryRowContext).
	rows, err := o.read.QueryContext(context.WithoutCancel(ctx), outboundQuery, messageID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out *desk.Outbound
	var attached bool
	for rows.Next() {
		var (
			row               desk.Outbound
			m                 = &row.Message
			cv                = &row.Conversation
			in                = &row.Inbox
			c                 = &row.Contact
			msgCreated        int64
			cvr               convRow
			cr                contactRow
			settings          string
			msgActivity, meta string
			inCreated         int64
			idCreated         int64
			id                desk.Identity
			verified          int
		)
		dest := []any{&m.ID, &m.ConversationID, &m.Kind, &m.Sender, &m.SenderID, &m.SenderName,
			&m.Body, &msgActivity, &meta, &m.ExternalID, &m.Delivery, &m.Error, &msgCreated, &attached}
		dest = append(dest, cvr.dest(cv)...)
		dest = append(dest, &in.ID, &in.Name, &in.Channel, &in.PublicKey, &in.TeamID, &settings, &inCreated)
		dest = append(dest, cr.dest(c)...)
		dest = append(dest, &id.ID, &id.Kind, &id.Value, &verified, &idCreated)
		if err := rows.Scan(dest...); err != nil {
			return nil, wrap(op, err)
		}
		if out == nil {
			m.CreatedAt = fromMS(msgCreated)
			if m.Activity, err = parseActivity(msgActivity); err != nil {
				return nil, wrap(op, err)
			}
			if m.Meta, err = parseMeta(meta); err != nil {
				return nil, wrap(op, err)
			}
			if err = cvr.fill(cv); err != nil {
				return nil, wrap(op, err)
			}
			in.CreatedAt = fromMS(inCreated)
			if err = cr.fill(c); err != nil {
				return nil, wrap(op, err)
			}
			if in.Settings, err = parseMap(settings); err != nil {
				return nil, wrap(op, err)
			}
			out = &row
		}
		if id.ID != 0 {
			id.ContactID, id.Verified, id.CreatedAt = out.Contact.ID, verified != 0, fromMS(idCreated)
			out.Contact.Identities = append(out.Contact.Identities, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	rows.Close()
	if out == nil {
		return nil, wrap(op, sql.ErrNoRows)
	}
	if attached {
		if err := o.fillAttachments(ctx, []*desk.Message{&out.Message}); err != nil {
			return nil, wrap(op, err)
		}
	}
	return out, nil
}
