package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

const conversationColumns = `c.id, c.inbox_id, c.channel, c.contact_id, c.subject, c.status, c.priority,
	COALESCE(c.assignee_id, 0), COALESCE(c.team_id, 0), c.labels, c.snoozed_until, c.last_activity_at,
	c.last_message, c.waiting_since, c.created_at, c.updated_at, c.resolved_at, c.category, c.category_by,
	c.language, c.first_reply_at, c.handed_over_at, c.reopens, c.sla_policy_id, c.sla_due_at, c.sla_state`

// convRow holds the nullable columns of conversationColumns. Every query of
// conversations scans through it, so that a new column is read everywhere
// or nowhere.
type convRow struct {
	snoozed, waiting, resolved     *time.Time
	firstReply, handedOver, slaDue *time.Time
}

// dest lists where conversationColumns scan to.
func (r *convRow) dest(c *desk.Conversation) []any {
	return []any{&c.ID, &c.InboxID, &c.Channel, &c.ContactID, &c.Subject, &c.Status, &c.Priority,
		&c.AssigneeID, &c.TeamID, &c.Labels, &r.snoozed, &c.LastActivityAt,
		&c.LastMessage, &r.waiting, &c.CreatedAt, &c.UpdatedAt, &r.resolved, &c.Category, &c.CategoryBy,
		&c.Language, &r.firstReply, &r.handedOver, &c.Reopens, &c.SLAPolicyID, &r.slaDue, &c.SLAState}
}

// fill converts what dest scanned into c.
func (r *convRow) fill(c *desk.Conversation) {
	c.SnoozedUntil, c.WaitingSince, c.ResolvedAt = timeOf(r.snoozed), timeOf(r.waiting), timeOf(r.resolved)
	c.FirstReplyAt, c.HandedOverAt, c.SLADueAt = timeOf(r.firstReply), timeOf(r.handedOver), timeOf(r.slaDue)
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
}

// scanConversation reads conversationColumns, then extra.
func scanConversation(row pgx.Row, extra ...any) (desk.Conversation, error) {
	var c desk.Conversation
	var r convRow
	err := row.Scan(append(r.dest(&c), extra...)...)
	r.fill(&c)
	return c, err
}

func (s *Store) queryConversations(ctx context.Context, op string, withContact bool, sql string, args ...any) ([]desk.Conversation, error) {
	rows, err := s.q.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.Conversation
	for rows.Next() {
		var ct desk.Contact
		var extra []any
		if withContact {
			extra = contactDest(&ct)
		}
		c, err := scanConversation(rows, extra...)
		if err != nil {
			return nil, wrap(op, err)
		}
		if withContact {
			if len(ct.Attributes) == 0 {
				ct.Attributes = nil
			}
			c.Contact = &ct
		}
		out = append(out, c)
	}
	return out, wrap(op, rows.Err())
}

// labels normalises labels for storage; never nil, so that it is stored as
// an empty array.
func labels(in []string) []string {
	return desk.NormaliseLabels(in)
}

// CreateConversation stores a new conversation and sets ID and CreatedAt.
// An empty Channel is copied from the inbox; a zero LastActivityAt is
// CreatedAt.
func (s *Store) CreateConversation(ctx context.Context, c *desk.Conversation) error {
	c.CreatedAt = orNow(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	if c.LastActivityAt.IsZero() {
		c.LastActivityAt = c.CreatedAt
	}
	c.UpdatedAt, c.LastActivityAt = ts(c.UpdatedAt), ts(c.LastActivityAt)
	c.Labels = labels(c.Labels)
	// The labels go into conversation_labels in the same statement.
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `WITH c AS (
			INSERT INTO conversations (inbox_id, channel, contact_id, subject, status, priority,
				assignee_id, team_id, labels, snoozed_until, last_activity_at, last_message,
				waiting_since, created_at, updated_at, resolved_at, category, category_by, language,
				first_reply_at, handed_over_at, reopens, sla_policy_id, sla_due_at, sla_state)
			VALUES ($1, COALESCE(NULLIF($2, ''), (SELECT channel FROM inboxes WHERE id = $1), ''),
				$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
				$20, $21, $22, $23, $24, $25)
			RETURNING id, channel, labels, last_activity_at),
		l AS (
			INSERT INTO conversation_labels (conversation_id, label, last_activity_at)
			SELECT c.id, unnest(c.labels), c.last_activity_at FROM c)
		SELECT id, channel FROM c`,
			c.InboxID, c.Channel, c.ContactID, c.Subject, c.Status, c.Priority,
			nullID(c.AssigneeID), nullID(c.TeamID), c.Labels, nullTime(c.SnoozedUntil), c.LastActivityAt, c.LastMessage,
			nullTime(c.WaitingSince), c.CreatedAt, c.UpdatedAt, nullTime(c.ResolvedAt),
			c.Category, c.CategoryBy, c.Language,
			nullTime(c.FirstReplyAt), nullTime(c.HandedOverAt), c.Reopens, c.SLAPolicyID, nullTime(c.SLADueAt), c.SLAState,
		).Scan(&c.ID, &c.Channel)
	})
	return wrap("create conversation", err)
}

// UpdateConversation writes subject, status, priority, assignee, team,
// labels, snooze time, activity fields, UpdatedAt (now when zero), resolved
// time, category with its source, and language.
func (s *Store) UpdateConversation(ctx context.Context, c *desk.Conversation) error {
	c.UpdatedAt = orNow(c.UpdatedAt)
	c.Labels = labels(c.Labels)
	// Labels no longer present are deleted, the others upserted with the
	// new activity time: two sets of rows that never overlap, as the
	// parts of one statement must.
	var id int64
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `WITH c AS (
			UPDATE conversations SET subject = $2, status = $3, priority = $4, assignee_id = $5,
				team_id = $6, labels = $7, snoozed_until = $8, last_activity_at = $9,
				last_message = $10, waiting_since = $11, updated_at = $12, resolved_at = $13,
				category = $14, category_by = $15, language = $16, first_reply_at = $17,
				handed_over_at = $18, reopens = $19, sla_policy_id = $20, sla_due_at = $21, sla_state = $22
			WHERE id = $1
			RETURNING id, labels, last_activity_at),
		gone AS (
			DELETE FROM conversation_labels l USING c
			WHERE l.conversation_id = c.id AND NOT l.label = ANY (c.labels)),
		kept AS (
			INSERT INTO conversation_labels (conversation_id, label, last_activity_at)
			SELECT c.id, unnest(c.labels), c.last_activity_at FROM c
			ON CONFLICT (conversation_id, label) DO UPDATE SET last_activity_at = excluded.last_activity_at)
		SELECT id FROM c`,
			c.ID, c.Subject, c.Status, c.Priority, nullID(c.AssigneeID), nullID(c.TeamID), c.Labels,
			nullTime(c.SnoozedUntil), ts(c.LastActivityAt), c.LastMessage, nullTime(c.WaitingSince), c.UpdatedAt,
			nullTime(c.ResolvedAt), c.Category, c.CategoryBy, c.Language,
			nullTime(c.FirstReplyAt), nullTime(c.HandedOverAt), c.Reopens, c.SLAPolicyID, nullTime(c.SLADueAt), c.SLAState,
		).Scan(&id)
	})
	return wrap("update conversation", err)
}

// ConversationByID returns one conversation, without its contact.
func (s *Store) ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error) {
	c, err := scanConversation(s.q.QueryRow(ctx,
		`SELECT `+conversationColumns+` FROM conversations c WHERE c.id = $1`, id))
	if err != nil {
		return nil, wrap("conversation by id", err)
	}
	return &c, nil
}

// OpenConversationFor returns the newest conversation of the contact in the
// inbox that is not resolved.
func (s *Store) OpenConversationFor(ctx context.Context, inboxID, contactID int64) (*desk.Conversation, error) {
	c, err := scanConversation(s.q.QueryRow(ctx, `SELECT `+conversationColumns+` FROM conversations c
		WHERE c.contact_id = $1 AND c.inbox_id = $2 AND c.status <> 'resolved'
		ORDER BY c.created_at DESC, c.id DESC LIMIT 1`, contactID, inboxID))
	if err != nil {
		return nil, wrap("open conversation", err)
	}
	return &c, nil
}

// ConversationsOfContact lists a contact's conversations, latest activity
// first.
func (s *Store) ConversationsOfContact(ctx context.Context, contactID int64, limit int) ([]desk.Conversation, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	return s.queryConversations(ctx, "conversations of contact", false, `SELECT `+conversationColumns+`
		FROM conversations c WHERE c.contact_id = $1
		ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $2`, contactID, limit)
}

// WakeSnoozed reopens snoozed conversations whose time has come.
func (s *Store) WakeSnoozed(ctx context.Context, now time.Time) ([]desk.Conversation, error) {
	woke, err := s.queryConversations(ctx, "wake snoozed", false, `UPDATE conversations c
		SET status = 'open', snoozed_until = NULL, updated_at = $1
		WHERE c.status = 'snoozed' AND c.snoozed_until <= $1
		RETURNING `+conversationColumns, ts(now))
	if err != nil {
		return nil, err
	}
	return woke, nil
}

// listSQL builds the FROM and WHERE of a conversation list query and its
// arguments. With a label, the scan runs over conversation_labels (alias l),
// whose copy of the activity time keeps the order an index range scan; the
// returned order columns say which table's to sort and page by.
type listSQL struct {
	from, at, id string
	where        []string
	args         []any
	empty        bool // the query matches nothing
}

func (b *listSQL) arg(v any) string {
	b.args = append(b.args, v)
	return fmt.Sprintf("$%d", len(b.args))
}

func (b *listSQL) cond(format string, v any) {
	b.where = append(b.where, fmt.Sprintf(format, b.arg(v)))
}

func (b *listSQL) whereClause() string {
	if len(b.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(b.where, " AND ")
}

func buildList(q desk.ConversationQuery) (*listSQL, error) {
	b := &listSQL{from: "conversations c", at: "c.last_activity_at", id: "c.id"}
	if q.Label != "" {
		b.from = "conversation_labels l JOIN conversations c ON c.id = l.conversation_id"
		b.at, b.id = "l.last_activity_at", "l.conversation_id"
		label := desk.NormaliseLabels([]string{q.Label})
		if len(label) == 0 {
			b.empty = true
			return b, nil
		}
		b.cond("l.label = %s", label[0])
	}
	switch q.View {
	case desk.ViewAll, "":
	case desk.ViewMine:
		b.cond("c.assignee_id = %s", q.AgentID)
	case desk.ViewUnassigned:
		b.where = append(b.where, "c.assignee_id IS NULL")
	case desk.ViewMyTeams:
		if len(q.TeamIDs) == 0 {
			b.empty = true
			return b, nil
		}
		b.cond("c.team_id = ANY (%s::bigint[])", q.TeamIDs)
	default:
		return nil, desk.Invalid("view", fmt.Sprintf("unknown view %q", q.View))
	}
	if q.Status != "" {
		b.cond("c.status = %s", q.Status)
	}
	if q.Channel != "" {
		b.cond("c.channel = %s", q.Channel)
	}
	if q.InboxID != 0 {
		b.cond("c.inbox_id = %s", q.InboxID)
	}
	if q.TeamID != 0 {
		b.cond("c.team_id = %s", q.TeamID)
	}
	if q.ContactID != 0 {
		b.cond("c.contact_id = %s", q.ContactID)
	}
	if q.Category != "" {
		// The redundant condition lets the planner use the partial
		// index conversations_category_idx in a generic plan too.
		b.cond("c.category = %s AND c.category <> ''", q.Category)
	}
	if len(q.SLAStates) > 0 {
		states := make([]string, 0, len(q.SLAStates))
		for _, st := range q.SLAStates {
			if !st.Valid() {
				return nil, desk.Invalid("sla", fmt.Sprintf("unknown SLA state %q", st))
			}
			if !slices.Contains(states, string(st)) {
				states = append(states, string(st))
			}
		}
		// The redundant condition lets the planner use the partial index
		// conversations_sla_state_idx in a generic plan too.
		b.cond("c.sla_state = ANY (%s::text[]) AND c.sla_state <> ''", states)
	}
	return b, nil
}

// ListConversations returns one page of conversations, latest activity
// first, paged by a (LastActivityAt, ID) cursor.
func (s *Store) ListConversations(ctx context.Context, q desk.ConversationQuery) (desk.ConversationPage, error) {
	b, err := buildList(q)
	if err != nil {
		return desk.ConversationPage{}, wrap("list conversations", err)
	}
	if b.empty {
		return desk.ConversationPage{}, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	if q.After != nil {
		b.where = append(b.where, fmt.Sprintf("(%s, %s) < (%s, %s)", b.at, b.id, b.arg(ts(q.After.At)), b.arg(q.After.ID)))
	}
	cols := conversationColumns
	from := b.from
	if q.WithContact {
		cols += ", " + contactColumns("ct")
		from += " JOIN contacts ct ON ct.id = c.contact_id"
	}
	// One more than asked tells whether there is a next page.
	sql := `SELECT ` + cols + ` FROM ` + from + b.whereClause() +
		` ORDER BY ` + b.at + ` DESC, ` + b.id + ` DESC LIMIT ` + b.arg(limit+1)
	items, err := s.queryConversations(ctx, "list conversations", q.WithContact, sql, b.args...)
	if err != nil {
		return desk.ConversationPage{}, err
	}
	page := desk.ConversationPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.Next = &desk.Cursor{At: last.LastActivityAt, ID: last.ID}
	}
	return page, nil
}

// CountConversations counts what ListConversations would list over all
// pages.
func (s *Store) CountConversations(ctx context.Context, q desk.ConversationQuery) (int, error) {
	q.After = nil
	b, err := buildList(q)
	if err != nil {
		return 0, wrap("count conversations", err)
	}
	if b.empty {
		return 0, nil
	}
	var n int
	err = s.q.QueryRow(ctx, `SELECT count(*) FROM `+b.from+b.whereClause(), b.args...).Scan(&n)
	return n, wrap("count conversations", err)
}
