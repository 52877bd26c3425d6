package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

var (
	_ desk.IntentExampleStore = (*Store)(nil)
	_ desk.BotSessionStore    = (*Store)(nil)
	_ desk.SavedReplyStore    = (*Store)(nil)
	_ desk.ContactVisitStore  = (*Store)(nil)
)

// The digital front line: the classifier's examples, the bot's memory,
// saved replies and suggestion events, and contact-page visits. Flows are
// in front_flows.go.

// --- intent examples ---

// Limits of ListIntentExamples.
const (
	defaultIntentExampleLimit = 1000
	maxIntentExampleLimit     = 10000
)

// PutIntentExample stores e and sets ID and CreatedAt (when zero). An
// example for a conversation that has one already replaces it, keeping its
// ID.
func (s *Store) PutIntentExample(ctx context.Context, e *desk.IntentExample) error {
	e.CreatedAt = orNow(e.CreatedAt)
	// The conflict target names the partial unique index; examples
	// without a conversation never conflict.
	err := s.q.QueryRow(ctx, `INSERT INTO intent_examples (text, category, locale, source, conversation_id,
			created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (conversation_id) WHERE conversation_id <> 0 DO UPDATE SET text = excluded.text,
			category = excluded.category, locale = excluded.locale, source = excluded.source,
			created_at = excluded.created_at
		RETURNING id`,
		e.Text, e.Category, e.Locale, e.Source, e.ConversationID, e.CreatedAt).Scan(&e.ID)
	return wrap("put intent example", err)
}

// ListIntentExamples returns examples in ID order after afterID, at most
// limit (default 1000, at most 10000).
func (s *Store) ListIntentExamples(ctx context.Context, afterID int64, limit int) ([]desk.IntentExample, error) {
	const op = "list intent examples"
	switch {
	case limit <= 0:
		limit = defaultIntentExampleLimit
	case limit > maxIntentExampleLimit:
		limit = maxIntentExampleLimit
	}
	rows, err := s.q.Query(ctx, `SELECT id, text, category, locale, source, conversation_id, created_at
		FROM intent_examples WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.IntentExample
	for rows.Next() {
		var e desk.IntentExample
		if err := rows.Scan(&e.ID, &e.Text, &e.Category, &e.Locale, &e.Source, &e.ConversationID,
			&e.CreatedAt); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, e)
	}
	return out, wrap(op, rows.Err())
}

// CountIntentExamples counts every example.
func (s *Store) CountIntentExamples(ctx context.Context) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `SELECT count(*) FROM intent_examples`).Scan(&n)
	return n, wrap("count intent examples", err)
}

// DeleteIntentExamples removes the examples of one source ("" every
// example).
func (s *Store) DeleteIntentExamples(ctx context.Context, source string) error {
	_, err := s.q.Exec(ctx, `DELETE FROM intent_examples WHERE $1 = '' OR source = $1`, source)
	return wrap("delete intent examples", err)
}

// --- bot sessions ---

// BotSessionOf returns the bot's session of a conversation; ErrNotFound
// when it has none.
func (s *Store) BotSessionOf(ctx context.Context, conversationID int64) (*desk.BotSession, error) {
	b := desk.BotSession{}
	err := s.q.QueryRow(ctx, `SELECT conversation_id, state, updated_at FROM bot_sessions
		WHERE conversation_id = $1`, conversationID).Scan(&b.ConversationID, &b.State, &b.UpdatedAt)
	if err != nil {
		return nil, wrap("bot session", err)
	}
	return &b, nil
}

// PutBotSession creates or replaces the session of b's conversation and
// sets UpdatedAt when zero. A missing conversation is ErrNotFound.
func (s *Store) PutBotSession(ctx context.Context, b *desk.BotSession) error {
	b.UpdatedAt = orNow(b.UpdatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		_, err := s.q.Exec(ctx, `INSERT INTO bot_sessions (conversation_id, state, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (conversation_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
			b.ConversationID, b.State, b.UpdatedAt)
		return err
	})
	return wrap("put bot session", err)
}

// --- saved replies ---

const savedReplyColumns = `id, team_id, locale, title, body, shortcut, category, uses, agent_id,
	created_at, updated_at`

func scanSavedReply(row pgx.Row) (desk.SavedReply, error) {
	var r desk.SavedReply
	err := row.Scan(&r.ID, &r.TeamID, &r.Locale, &r.Title, &r.Body, &r.Shortcut, &r.Category, &r.Uses,
		&r.AgentID, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

// CreateSavedReply stores a saved reply and sets ID, CreatedAt and
// UpdatedAt (when zero). A shortcut in use in the team and locale is
// ErrConflict.
func (s *Store) CreateSavedReply(ctx context.Context, r *desk.SavedReply) error {
	r.CreatedAt = orNow(r.CreatedAt)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	r.UpdatedAt = ts(r.UpdatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `INSERT INTO saved_replies (team_id, locale, title, body, shortcut, category,
				uses, agent_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			r.TeamID, r.Locale, r.Title, r.Body, r.Shortcut, r.Category, r.Uses, r.AgentID, r.CreatedAt,
			r.UpdatedAt).Scan(&r.ID)
	})
	return wrap("create saved reply", err)
}

// UpdateSavedReply writes team, locale, title, body, shortcut, category
// and author, and sets UpdatedAt to now; Uses is IncSavedReplyUses's. A
// shortcut in use in the team and locale is ErrConflict.
func (s *Store) UpdateSavedReply(ctx context.Context, r *desk.SavedReply) error {
	r.UpdatedAt = now()
	err := s.guarded(ctx, func(s *Store) error {
		return affected(s.q.Exec(ctx, `UPDATE saved_replies SET team_id = $2, locale = $3, title = $4, body = $5,
			shortcut = $6, category = $7, agent_id = $8, updated_at = $9 WHERE id = $1`,
			r.ID, r.TeamID, r.Locale, r.Title, r.Body, r.Shortcut, r.Category, r.AgentID, r.UpdatedAt))
	})
	return wrap("update saved reply", err)
}

// DeleteSavedReply removes a saved reply. Its suggestion events stay: they
// happened.
func (s *Store) DeleteSavedReply(ctx context.Context, id int64) error {
	return wrap("delete saved reply", affected(s.q.Exec(ctx, `DELETE FROM saved_replies WHERE id = $1`, id)))
}

// SavedReplyByID returns one saved reply.
func (s *Store) SavedReplyByID(ctx context.Context, id int64) (*desk.SavedReply, error) {
	r, err := scanSavedReply(s.q.QueryRow(ctx, `SELECT `+savedReplyColumns+` FROM saved_replies WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("saved reply by id", err)
	}
	return &r, nil
}

// ListSavedReplies lists the replies of q's teams and the shared ones (or
// every reply with AllTeams) in q's locale ("" any), by title.
func (s *Store) ListSavedReplies(ctx context.Context, q desk.SavedReplyQuery) ([]desk.SavedReply, error) {
	const op = "list saved replies"
	var a args
	sql := `SELECT ` + savedReplyColumns + ` FROM saved_replies WHERE true`
	if !q.AllTeams {
		sql += ` AND (team_id = 0 OR team_id = ANY (` + a.add(ids(q.TeamIDs)) + `::bigint[]))`
	}
	if q.Locale != "" {
		sql += ` AND locale = ` + a.add(q.Locale)
	}
	sql += ` ORDER BY title COLLATE "C", id`
	rows, err := s.q.Query(ctx, sql, a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.SavedReply
	for rows.Next() {
		r, err := scanSavedReply(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, r)
	}
	return out, wrap(op, rows.Err())
}

// IncSavedReplyUses adds one use; a missing reply is ErrNotFound.
func (s *Store) IncSavedReplyUses(ctx context.Context, id int64) error {
	return wrap("inc saved reply uses", affected(s.q.Exec(ctx,
		`UPDATE saved_replies SET uses = uses + 1 WHERE id = $1`, id)))
}

// --- suggestion events ---

// AddSuggestionEvent stores an event and sets ID and At (when zero).
func (s *Store) AddSuggestionEvent(ctx context.Context, e *desk.SuggestionEvent) error {
	e.At = orNow(e.At)
	err := s.q.QueryRow(ctx, `INSERT INTO suggestion_events (conversation_id, agent_id, kind, ref, category,
			action, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		e.ConversationID, e.AgentID, e.Kind, e.Ref, e.Category, e.Action, e.At).Scan(&e.ID)
	return wrap("add suggestion event", err)
}

// SuggestionStats adds up the events at or after since per kind, ref and
// category, in that order.
func (s *Store) SuggestionStats(ctx context.Context, since time.Time) ([]desk.SuggestionStat, error) {
	const op = "suggestion stats"
	rows, err := s.q.Query(ctx, `SELECT kind, ref, category,
			count(*) FILTER (WHERE action = 'shown'),
			count(*) FILTER (WHERE action = 'picked'),
			count(*) FILTER (WHERE action = 'edited')
		FROM suggestion_events WHERE at >= $1
		GROUP BY kind, ref, category
		ORDER BY kind COLLATE "C", ref COLLATE "C", category COLLATE "C"`, ts(since))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.SuggestionStat
	for rows.Next() {
		var st desk.SuggestionStat
		if err := rows.Scan(&st.Kind, &st.Ref, &st.Category, &st.Shown, &st.Picked, &st.Edited); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, st)
	}
	return out, wrap(op, rows.Err())
}

// --- contact-page visits ---

// CreateContactVisit stores a visit and sets ID, CreatedAt and UpdatedAt
// (when zero).
func (s *Store) CreateContactVisit(ctx context.Context, v *desk.ContactVisit) error {
	v.CreatedAt = orNow(v.CreatedAt)
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.CreatedAt
	}
	v.UpdatedAt = ts(v.UpdatedAt)
	err := s.q.QueryRow(ctx, `INSERT INTO contact_visits (locale, query, topic, answered, contacted,
			visitor_key, contact_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		v.Locale, v.Query, v.Topic, v.Answered, v.Contacted, v.VisitorKey, v.ContactID, v.CreatedAt,
		v.UpdatedAt).Scan(&v.ID)
	return wrap("create contact visit", err)
}

// UpdateContactVisit writes Query, Topic, Answered, Contacted and
// UpdatedAt (now when zero).
func (s *Store) UpdateContactVisit(ctx context.Context, v *desk.ContactVisit) error {
	v.UpdatedAt = orNow(v.UpdatedAt)
	return wrap("update contact visit", affected(s.q.Exec(ctx, `UPDATE contact_visits SET query = $2,
		topic = $3, answered = $4, contacted = $5, updated_at = $6 WHERE id = $1`,
		v.ID, v.Query, v.Topic, v.Answered, v.Contacted, v.UpdatedAt)))
}

// ContactVisitByID returns one visit.
func (s *Store) ContactVisitByID(ctx context.Context, id int64) (*desk.ContactVisit, error) {
	var v desk.ContactVisit
	err := s.q.QueryRow(ctx, `SELECT id, locale, query, topic, answered, contacted, visitor_key, contact_id,
			created_at, updated_at
		FROM contact_visits WHERE id = $1`, id).Scan(&v.ID, &v.Locale, &v.Query, &v.Topic, &v.Answered,
		&v.Contacted, &v.VisitorKey, &v.ContactID, &v.CreatedAt, &v.UpdatedAt)
	if err != nil {
		return nil, wrap("contact visit by id", err)
	}
	return &v, nil
}

// DeflectionStats counts the visits created in [since, until) (zero until:
// no end) per topic, most visits first, then by topic.
func (s *Store) DeflectionStats(ctx context.Context, since, until time.Time) ([]desk.DeflectionStat, error) {
	const op = "deflection stats"
	var a args
	where := `created_at >= ` + a.add(ts(since))
	if !until.IsZero() {
		where += ` AND created_at < ` + a.add(ts(until))
	}
	rows, err := s.q.Query(ctx, `SELECT topic, count(*),
			count(*) FILTER (WHERE answered),
			count(*) FILTER (WHERE contacted),
			count(*) FILTER (WHERE answered AND NOT contacted)
		FROM contact_visits WHERE `+where+`
		GROUP BY topic
		ORDER BY count(*) DESC, topic COLLATE "C"`, a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.DeflectionStat
	for rows.Next() {
		var st desk.DeflectionStat
		if err := rows.Scan(&st.Topic, &st.Visits, &st.Answered, &st.Contacted, &st.Deflected); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, st)
	}
	return out, wrap(op, rows.Err())
}
