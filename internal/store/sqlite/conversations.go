package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// convCols are a conversation's columns, in the order convRow scans them
// (outboundQuery lists them again under an alias).
const convCols = `id, inbox_id, channel, contact_id, subject, status, priority, assignee_id, team_id, labels,
	snoozed_until, last_activity_at, last_message, waiting_since, created_at, updated_at, resolved_at,
	category, category_by, language, first_reply_at, handed_over_at, reopens, sla_policy_id, sla_due_at, sla_state`

// convRow holds the columns of convCols that need converting. Every query
// of conversations scans through it, so that a new column is read
// everywhere or nowhere.
type convRow struct {
	labels                                             string
	snoozed, activity, waiting, created, updated, done int64
	firstReply, handedOver, slaDue                     int64
}

// dest lists where convCols scan to.
func (r *convRow) dest(c *desk.Conversation) []any {
	return []any{&c.ID, &c.InboxID, &c.Channel, &c.ContactID, &c.Subject, &c.Status, &c.Priority, &c.AssigneeID,
		&c.TeamID, &r.labels, &r.snoozed, &r.activity, &c.LastMessage, &r.waiting, &r.created, &r.updated, &r.done,
		&c.Category, &c.CategoryBy, &c.Language, &r.firstReply, &r.handedOver, &c.Reopens,
		&c.SLAPolicyID, &r.slaDue, &c.SLAState}
}

// fill converts what dest scanned into c.
func (r *convRow) fill(c *desk.Conversation) error {
	c.SnoozedUntil, c.LastActivityAt, c.WaitingSince = fromMS(r.snoozed), fromMS(r.activity), fromMS(r.waiting)
	c.CreatedAt, c.UpdatedAt, c.ResolvedAt = fromMS(r.created), fromMS(r.updated), fromMS(r.done)
	c.FirstReplyAt, c.HandedOverAt, c.SLADueAt = fromMS(r.firstReply), fromMS(r.handedOver), fromMS(r.slaDue)
	var err error
	c.Labels, err = parseStrings(r.labels)
	return err
}

func scanConversation(sc interface{ Scan(...any) error }, c *desk.Conversation) error {
	var r convRow
	if err := sc.Scan(r.dest(c)...); err != nil {
		return err
	}
	return r.fill(c)
}

func (o ops) CreateConversation(ctx context.Context, c *desk.Conversation) error {
	c.CreatedAt = nowOr(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	if c.LastActivityAt.IsZero() {
		c.LastActivityAt = c.CreatedAt
	}
	if c.Priority == "" {
		c.Priority = desk.PriorityNone
	}
	c.Labels = desk.NormaliseLabels(c.Labels)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO conversations(inbox_id, channel, contact_id, subject, status, priority,
			assignee_id, team_id, labels, snoozed_until, last_activity_at, last_message, waiting_since, created_at,
			updated_at, resolved_at, category, category_by, language, first_reply_at, handed_over_at, reopens,
			sla_policy_id, sla_due_at, sla_state)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			c.InboxID, c.Channel, c.ContactID, c.Subject, c.Status, c.Priority, c.AssigneeID, c.TeamID,
			labelsText(c.Labels), ms(c.SnoozedUntil), ms(c.LastActivityAt), c.LastMessage, ms(c.WaitingSince),
			ms(c.CreatedAt), ms(c.UpdatedAt), ms(c.ResolvedAt), c.Category, c.CategoryBy, c.Language,
			ms(c.FirstReplyAt), ms(c.HandedOverAt), c.Reopens, c.SLAPolicyID, ms(c.SLADueAt), c.SLAState).Scan(&c.ID)
		return wrap("create conversation", err)
	})
}

func (o ops) UpdateConversation(ctx context.Context, c *desk.Conversation) error {
	c.UpdatedAt = nowOr(c.UpdatedAt)
	c.Labels = desk.NormaliseLabels(c.Labels)
	return o.write(ctx, func(q *txQuerier) error {
		// A trigger keeps conversation_labels in step when labels change.
		res, err := q.ExecContext(ctx, `UPDATE conversations SET subject = ?, status = ?, priority = ?, assignee_id = ?,
			team_id = ?, labels = ?, snoozed_until = ?, last_activity_at = ?, last_message = ?, waiting_since = ?,
			updated_at = ?, resolved_at = ?, category = ?, category_by = ?, language = ?, first_reply_at = ?,
			handed_over_at = ?, reopens = ?, sla_policy_id = ?, sla_due_at = ?, sla_state = ? WHERE id = ?`,
			c.Subject, c.Status, c.Priority, c.AssigneeID, c.TeamID, labelsText(c.Labels), ms(c.SnoozedUntil),
			ms(c.LastActivityAt), c.LastMessage, ms(c.WaitingSince), ms(c.UpdatedAt), ms(c.ResolvedAt),
			c.Category, c.CategoryBy, c.Language, ms(c.FirstReplyAt), ms(c.HandedOverAt), c.Reopens,
			c.SLAPolicyID, ms(c.SLADueAt), c.SLAState, c.ID)
		return affected("update conversation", res, err)
	})
}

func (o ops) ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error) {
	var c desk.Conversation
	if err := scanConversation(o.read.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations WHERE id = ?`, id), &c); err != nil {
		return nil, wrap("conversation by id", err)
	}
	return &c, nil
}

func (o ops) OpenConversationFor(ctx context.Context, inboxID, contactID int64) (*desk.Conversation, error) {
	var c desk.Conversation
	err := scanConversation(o.read.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations
		WHERE contact_id = ? AND inbox_id = ? AND status <> 'resolved' ORDER BY id DESC LIMIT 1`, contactID, inboxID), &c)
	if err != nil {
		return nil, wrap("open conversation", err)
	}
	return &c, nil
}

func (o ops) ConversationsOfContact(ctx context.Context, contactID int64, limit int) ([]desk.Conversation, error) {
	if limit <= 0 {
		limit = 50
	}
	return o.conversations(ctx, "conversations of contact", `SELECT `+convCols+` FROM conversations
		WHERE contact_id = ? ORDER BY last_activity_at DESC, id DESC LIMIT ?`, contactID, limit)
}

func (o ops) conversations(ctx context.Context, op, query string, args ...any) ([]desk.Conversation, error) {
	rows, err := o.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.Conversation
	for rows.Next() {
		var c desk.Conversation
		if err := scanConversation(rows, &c); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	return out, wrap(op, rows.Err())
}

// convFilter turns a query into WHERE terms. none is true when the query
// cannot match anything (the teams view without teams).
func convFilter(q desk.ConversationQuery) (where []string, args []any, none bool, err error) {
	switch q.View {
	case desk.ViewAll, "":
	case desk.ViewMine:
		where, args = append(where, "assignee_id = ?"), append(args, q.AgentID)
	case desk.ViewUnassigned:
		where = append(where, "assignee_id = 0")
	case desk.ViewMyTeams:
		switch len(q.TeamIDs) {
		case 0:
			return nil, nil, true, nil
		case 1:
			where, args = append(where, "team_id = ?"), append(args, q.TeamIDs[0])
		default:
			where, args = append(where, "team_id IN (SELECT value FROM json_each(?))"), append(args, idsJSON(q.TeamIDs))
		}
	default:
		return nil, nil, false, desk.Invalid("view", fmt.Sprintf("unknown view %q", q.View))
	}
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, q.Status)
	}
	if q.Channel != "" {
		where, args = append(where, "channel = ?"), append(args, q.Channel)
	}
	if q.InboxID != 0 {
		where, args = append(where, "inbox_id = ?"), append(args, q.InboxID)
	}
	if q.TeamID != 0 {
		where, args = append(where, "team_id = ?"), append(args, q.TeamID)
	}
	if q.ContactID != 0 {
		where, args = append(where, "contact_id = ?"), append(args, q.ContactID)
	}
	if q.Category != "" {
		where, args = append(where, "category = ?"), append(args, q.Category)
	}
	if l := strings.ToLower(strings.TrimSpace(q.Label)); l != "" {
		where = append(where, "id IN (SELECT conversation_id FROM conversation_labels WHERE label = ?)")
		args = append(args, l)
	}
	if len(q.SLAStates) > 0 {
		states, err := slaStates(q.SLAStates)
		if err != nil {
			return nil, nil, false, err
		}
		// The constant term is the partial index conversations_sla_state's
		// condition, which SQLite wants to see in the query to use it.
		where = append(where, "sla_state <> ''", "sla_state IN (?"+strings.Repeat(", ?", len(states)-1)+")")
		for _, st := range states {
			args = append(args, st)
		}
	}
	return where, args, false, nil
}

// slaStates checks an SLA filter and drops repeats.
func slaStates(in []desk.SLAState) ([]desk.SLAState, error) {
	out := make([]desk.SLAState, 0, len(in))
	for _, st := range in {
		if !st.Valid() {
			return nil, desk.Invalid("sla", fmt.Sprintf("unknown SLA state %q", st))
		}
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	return out, nil
}

// listQuery is the page query for the filter terms, resuming after the
// cursor; its last argument, the limit, is left to the caller.
func listQuery(where []string, args []any, after *desk.Cursor) (string, []any) {
	return listQueryFrom("conversations", where, args, after)
}

// convTable is the FROM of a list or count query. With an SLA filter it
// names the partial index conversations_sla_state: without statistics
// SQLite prefers an ordered scan of all (open) conversations, filtered,
// while those in the asked states are few, read in one range per state
// and sorted.
func convTable(q desk.ConversationQuery) string {
	if len(q.SLAStates) > 0 {
		return "conversations INDEXED BY conversations_sla_state"
	}
	return "conversations"
}

// listQueryFrom is listQuery from table (convTable).
func listQueryFrom(table string, where []string, args []any, after *desk.Cursor) (string, []any) {
	if after != nil {
		where = append(where, "(last_activity_at, id) < (?, ?)")
		args = append(args, ms(after.At), after.ID)
	}
	query := `SELECT ` + convCols + ` FROM ` + table
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	return query + ` ORDER BY last_activity_at DESC, id DESC LIMIT ?`, args
}

// ListConversations pages newest activity first. Each default view is a
// range scan of one index in (last_activity_at, id) order, resumed after
// the cursor, so a page costs the same at any table size.
func (o ops) ListConversations(ctx context.Context, q desk.ConversationQuery) (desk.ConversationPage, error) {
	var page desk.ConversationPage
	where, args, none, err := convFilter(q)
	if err != nil {
		return page, fmt.Errorf("sqlite: list conversations: %w", err)
	}
	if none {
		return page, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	query, args := listQueryFrom(convTable(q), where, args, q.After)
	items, err := o.conversations(ctx, "list conversations", query, append(args, limit+1)...)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		page.Next = &desk.Cursor{At: last.LastActivityAt, ID: last.ID}
	}
	if q.WithContact {
		if err := o.fillContacts(ctx, items); err != nil {
			return page, wrap("list conversations", err)
		}
	}
	page.Items = items
	return page, nil
}

func (o ops) CountConversations(ctx context.Context, q desk.ConversationQuery) (int, error) {
	where, args, none, err := convFilter(q)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count conversations: %w", err)
	}
	if none {
		return 0, nil
	}
	query := `SELECT COUNT(*) FROM ` + convTable(q)
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	return o.count(ctx, "count conversations", query, args...)
}

// count runs a SELECT COUNT(*) query. It reads through QueryContext, not
// QueryRowContext, so that a count over a large table stays cancellable.
func (o ops) count(ctx context.Context, op, query string, args ...any) (int, error) {
	rows, err := o.read.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, wrap(op, err)
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, wrap(op, err)
		}
	}
	return n, wrap(op, rows.Err())
}

// fillContacts sets Contact on each conversation with one query.
func (o ops) fillContacts(ctx context.Context, cs []desk.Conversation) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ContactID
	}
	rows, err := o.read.QueryContext(ctx, `SELECT `+contactCols+` FROM contacts WHERE id IN (SELECT value FROM json_each(?))`, idsJSON(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	byID := map[int64]*desk.Contact{}
	for rows.Next() {
		var c desk.Contact
		if err := scanContact(rows, &c); err != nil {
			return err
		}
		byID[c.ID] = &c
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range cs {
		if c := byID[cs[i].ContactID]; c != nil {
			cp := *c
			cs[i].Contact = &cp
		}
	}
	return nil
}

// WakeSnoozed reopens snoozed conversations whose snooze time has passed.
// Waking is a state change, so it counts as activity. A snooze without a
// time (until the customer writes) is left alone.
func (o ops) WakeSnoozed(ctx context.Context, now time.Time) ([]desk.Conversation, error) {
	var out []desk.Conversation
	err := o.write(ctx, func(q *txQuerier) error {
		rows, err := q.QueryContext(ctx, `UPDATE conversations SET status = 'open', snoozed_until = 0, updated_at = ?1,
			last_activity_at = MAX(last_activity_at, ?1)
			WHERE status = 'snoozed' AND snoozed_until > 0 AND snoozed_until <= ?1 RETURNING `+convCols, ms(now))
		if err != nil {
			return wrap("wake snoozed", err)
		}
		defer rows.Close()
		out = out[:0]
		for rows.Next() {
			var c desk.Conversation
			if err := scanConversation(rows, &c); err != nil {
				return wrap("wake snoozed", err)
			}
			out = append(out, c)
		}
		return wrap("wake snoozed", rows.Err())
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
