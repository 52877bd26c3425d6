package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Saved replies and what agents do with suggestions; contact-page visits
// and the deflection they add up to.

var (
	_ desk.SavedReplyStore   = (*Store)(nil)
	_ desk.SavedReplyStore   = (*txStore)(nil)
	_ desk.ContactVisitStore = (*Store)(nil)
	_ desk.ContactVisitStore = (*txStore)(nil)
)

// Saved replies.

const savedReplyCols = `id, team_id, locale, title, body, shortcut, category, uses, agent_id, created_at, updated_at`

func scanSavedReply(sc rowScanner, r *desk.SavedReply) error {
	var created, updated int64
	err := sc.Scan(&r.ID, &r.TeamID, &r.Locale, &r.Title, &r.Body, &r.Shortcut, &r.Category, &r.Uses, &r.AgentID,
		&created, &updated)
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return err
}

// CreateSavedReply stores r; a shortcut the team has in the locale is
// ErrConflict (the partial unique index).
func (o ops) CreateSavedReply(ctx context.Context, r *desk.SavedReply) error {
	r.CreatedAt = nowOr(r.CreatedAt)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO saved_replies(team_id, locale, title, body, shortcut, category, uses,
			agent_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			r.TeamID, r.Locale, r.Title, r.Body, r.Shortcut, r.Category, r.Uses, r.AgentID,
			ms(r.CreatedAt), ms(r.UpdatedAt)).Scan(&r.ID)
		return wrap("create saved reply", err)
	})
}

// UpdateSavedReply writes every field but ID, Uses and CreatedAt, and sets
// UpdatedAt to now. Uses are left to IncSavedReplyUses, so that an edit
// does not undo the uses counted while it was open.
func (o ops) UpdateSavedReply(ctx context.Context, r *desk.SavedReply) error {
	r.UpdatedAt = nowOr(time.Time{})
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE saved_replies SET team_id = ?, locale = ?, title = ?, body = ?,
			shortcut = ?, category = ?, agent_id = ?, updated_at = ? WHERE id = ?`,
			r.TeamID, r.Locale, r.Title, r.Body, r.Shortcut, r.Category, r.AgentID, ms(r.UpdatedAt), r.ID)
		return affected("update saved reply", res, err)
	})
}

func (o ops) DeleteSavedReply(ctx context.Context, id int64) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM saved_replies WHERE id = ?`, id)
		return affected("delete saved reply", res, err)
	})
}

func (o ops) SavedReplyByID(ctx context.Context, id int64) (*desk.SavedReply, error) {
	var r desk.SavedReply
	err := scanSavedReply(o.read.QueryRowContext(ctx, `SELECT `+savedReplyCols+` FROM saved_replies WHERE id = ?`, id), &r)
	if err != nil {
		return nil, wrap("saved reply by id", err)
	}
	return &r, nil
}

// ListSavedReplies lists the replies of q's teams and the shared ones (team
// 0), by title.
func (o ops) ListSavedReplies(ctx context.Context, q desk.SavedReplyQuery) ([]desk.SavedReply, error) {
	var where []string
	var args []any
	switch {
	case q.AllTeams:
	case len(q.TeamIDs) == 0:
		where = append(where, "team_id = 0")
	default:
		where = append(where, "(team_id = 0 OR team_id IN (SELECT value FROM json_each(?)))")
		args = append(args, idsJSON(q.TeamIDs))
	}
	if q.Locale != "" {
		where, args = append(where, "locale = ?"), append(args, q.Locale)
	}
	query := `SELECT ` + savedReplyCols + ` FROM saved_replies`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := o.read.QueryContext(ctx, query+` ORDER BY title, id`, args...)
	return collect("list saved replies", rows, err, scanSavedReply)
}

// IncSavedReplyUses counts a use. It leaves UpdatedAt alone: a use is not
// an edit.
func (o ops) IncSavedReplyUses(ctx context.Context, id int64) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE saved_replies SET uses = uses + 1 WHERE id = ?`, id)
		return affected("inc saved reply uses", res, err)
	})
}

// Suggestion events.

func (o ops) AddSuggestionEvent(ctx context.Context, e *desk.SuggestionEvent) error {
	e.At = nowOr(e.At)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO suggestion_events(conversation_id, agent_id, kind, ref, category,
			action, at) VALUES (?,?,?,?,?,?,?) RETURNING id`,
			e.ConversationID, e.AgentID, e.Kind, e.Ref, e.Category, e.Action, ms(e.At)).Scan(&e.ID)
		return wrap("add suggestion event", err)
	})
}

// SuggestionStats adds up the events at or after since per kind, ref and
// category, in that order.
func (o ops) SuggestionStats(ctx context.Context, since time.Time) ([]desk.SuggestionStat, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT kind, ref, category, SUM(action = 'shown'), SUM(action = 'picked'),
		SUM(action = 'edited') FROM suggestion_events WHERE at >= ?
		GROUP BY kind, ref, category ORDER BY kind, ref, category`, ms(since))
	return collect("suggestion stats", rows, err, func(sc rowScanner, s *desk.SuggestionStat) error {
		return sc.Scan(&s.Kind, &s.Ref, &s.Category, &s.Shown, &s.Picked, &s.Edited)
	})
}

// Contact-page visits.

const visitCols = `id, locale, query, topic, answered, contacted, visitor_key, contact_id, created_at, updated_at`

func scanVisit(sc rowScanner, v *desk.ContactVisit) error {
	var answered, contacted int
	var created, updated int64
	err := sc.Scan(&v.ID, &v.Locale, &v.Query, &v.Topic, &answered, &contacted, &v.VisitorKey, &v.ContactID,
		&created, &updated)
	v.Answered, v.Contacted = answered != 0, contacted != 0
	v.CreatedAt, v.UpdatedAt = fromMS(created), fromMS(updated)
	return err
}

func (o ops) CreateContactVisit(ctx context.Context, v *desk.ContactVisit) error {
	v.CreatedAt = nowOr(v.CreatedAt)
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.CreatedAt
	}
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO contact_visits(locale, query, topic, answered, contacted,
			visitor_key, contact_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`,
			v.Locale, v.Query, v.Topic, boolInt(v.Answered), boolInt(v.Contacted), v.VisitorKey, v.ContactID,
			ms(v.CreatedAt), ms(v.UpdatedAt)).Scan(&v.ID)
		return wrap("create contact visit", err)
	})
}

// UpdateContactVisit writes Query, Topic, Answered, Contacted and UpdatedAt
// (now when zero).
func (o ops) UpdateContactVisit(ctx context.Context, v *desk.ContactVisit) error {
	v.UpdatedAt = nowOr(v.UpdatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE contact_visits SET query = ?, topic = ?, answered = ?, contacted = ?,
			updated_at = ? WHERE id = ?`,
			v.Query, v.Topic, boolInt(v.Answered), boolInt(v.Contacted), ms(v.UpdatedAt), v.ID)
		return affected("update contact visit", res, err)
	})
}

func (o ops) ContactVisitByID(ctx context.Context, id int64) (*desk.ContactVisit, error) {
	var v desk.ContactVisit
	if err := scanVisit(o.read.QueryRowContext(ctx, `SELECT `+visitCols+` FROM contact_visits WHERE id = ?`, id), &v); err != nil {
		return nil, wrap("contact visit by id", err)
	}
	return &v, nil
}

// DeflectionStats counts the visits created in [since, until) per topic,
// most visits first, ties by topic.
func (o ops) DeflectionStats(ctx context.Context, since, until time.Time) ([]desk.DeflectionStat, error) {
	const cols = `SELECT topic, COUNT(*), SUM(answered), SUM(contacted), SUM(answered AND NOT contacted)
		FROM contact_visits`
	const order = ` GROUP BY topic ORDER BY COUNT(*) DESC, topic`
	var rows *sql.Rows
	var err error
	if until.IsZero() {
		rows, err = o.read.QueryContext(ctx, cols+` WHERE created_at >= ?`+order, ms(since))
	} else {
		rows, err = o.read.QueryContext(ctx, cols+` WHERE created_at >= ? AND created_at < ?`+order, ms(since), ms(until))
	}
	return collect("deflection stats", rows, err, func(sc rowScanner, s *desk.DeflectionStat) error {
		return sc.Scan(&s.Topic, &s.Visits, &s.Answered, &s.Contacted, &s.Deflected)
	})
}
