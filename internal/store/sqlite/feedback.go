package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Feedback (desk.FeedbackStore): satisfaction surveys, compliments and
// improvement signals.

var (
	_ desk.FeedbackStore = (*Store)(nil)
	_ desk.FeedbackStore = (*txStore)(nil)
)

func (o ops) SurveyCandidates(ctx context.Context, since, before time.Time, limit int) ([]desk.Conversation, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT `+convCols+` FROM conversations c
		WHERE c.status = 'resolved' AND c.resolved_at >= ? AND c.resolved_at < ?
		AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.conversation_id = c.id)
		ORDER BY c.resolved_at, c.id LIMIT ?`, ms(since), ms(before), clampLimit(limit, 100, 1000))
	return collect("survey candidates", rows, err, func(sc rowScanner, c *desk.Conversation) error {
		return scanConversation(sc, c)
	})
}

const surveyCols = `id, conversation_id, contact_id, channel, agent_id, team_id, category, locale,
	COALESCE(token_hash, ''), state, reason, sent_at, csat, nps, comment, answers, answered_at, updated_at,
	follow_up_at, review_invited_at`

func scanSurvey(sc rowScanner, s *desk.Survey) error {
	var sent, answered, updated, follow, invited int64
	var answers string
	if err := sc.Scan(&s.ID, &s.ConversationID, &s.ContactID, &s.Channel, &s.AgentID, &s.TeamID, &s.Category,
		&s.Locale, &s.TokenHash, &s.State, &s.Reason, &sent, &s.CSAT, &s.NPS, &s.Comment, &answers, &answered,
		&updated, &follow, &invited); err != nil {
		return err
	}
	s.SentAt, s.AnsweredAt, s.UpdatedAt = fromMS(sent), fromMS(answered), fromMS(updated)
	s.FollowUpAt, s.ReviewInvitedAt = fromMS(follow), fromMS(invited)
	s.Answers = nil
	if answers != "" && answers != "{}" {
		if err := json.Unmarshal([]byte(answers), &s.Answers); err != nil {
			return fmt.Errorf("survey answers: %w", err)
		}
	}
	return nil
}

// nullText stores "" as NULL, for unique columns that may be empty.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func answersText(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	return jsonText(m)
}

func (o ops) CreateSurvey(ctx context.Context, s *desk.Survey) error {
	const op = "create survey"
	if s.State == "" || s.ConversationID == 0 {
		return fmt.Errorf("sqlite: %s: %w", op, desk.Invalid("survey", "needs a conversation and a state"))
	}
	if s.State != desk.SurveySkipped && s.TokenHash == "" {
		return fmt.Errorf("sqlite: %s: %w", op, desk.Invalid("token", "a sent survey needs a token"))
	}
	if s.CSAT == 0 && s.NPS == 0 {
		s.NPS = desk.NoNPS
	}
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO surveys(conversation_id, contact_id, channel, agent_id, team_id,
			category, locale, token_hash, state, reason, sent_at, csat, nps, comment, answers, answered_at,
			updated_at, follow_up_at, review_invited_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			s.ConversationID, s.ContactID, s.Channel, s.AgentID, s.TeamID, s.Category, s.Locale, nullText(s.TokenHash),
			s.State, s.Reason, ms(s.SentAt), s.CSAT, s.NPS, s.Comment, answersText(s.Answers), ms(s.AnsweredAt),
			ms(s.UpdatedAt), ms(s.FollowUpAt), ms(s.ReviewInvitedAt)).Scan(&s.ID)
		return wrap(op, err)
	})
}

func (o ops) SurveyByTokenHash(ctx context.Context, hash string) (*desk.Survey, error) {
	var s desk.Survey
	if hash == "" {
		return nil, fmt.Errorf("sqlite: survey by token: %w", desk.ErrNotFound)
	}
	if err := scanSurvey(o.read.QueryRowContext(ctx, `SELECT `+surveyCols+` FROM surveys WHERE token_hash = ?`, hash), &s); err != nil {
		return nil, wrap("survey by token", err)
	}
	return &s, nil
}

func (o ops) SurveyByConversation(ctx context.Context, conversationID int64) (*desk.Survey, error) {
	var s desk.Survey
	if err := scanSurvey(o.read.QueryRowContext(ctx, `SELECT `+surveyCols+` FROM surveys WHERE conversation_id = ?`,
		conversationID), &s); err != nil {
		return nil, wrap("survey by conversation", err)
	}
	return &s, nil
}

func (o ops) AnswerSurvey(ctx context.Context, s *desk.Survey) error {
	const op = "answer survey"
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE surveys SET state = ?, csat = ?, nps = ?, comment = ?, answers = ?,
			answered_at = ?, updated_at = ? WHERE id = ? AND state IN ('sent', 'answered')`,
			s.State, s.CSAT, s.NPS, s.Comment, answersText(s.Answers), ms(s.AnsweredAt), ms(s.UpdatedAt), s.ID)
		return stateGuard(ctx, q, op, res, err, `SELECT state FROM surveys WHERE id = ?`, s.ID)
	})
}

// stateGuard turns an UPDATE that touched no row into ErrNotFound when the
// row is missing (probe finds nothing) and ErrConflict when it is there
// in a state the update does not act on.
func stateGuard(ctx context.Context, q *txQuerier, op string, res sql.Result, err error, probe string, id int64) error {
	if err != nil {
		return wrap(op, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return wrap(op, err)
	}
	var state string
	if err := q.QueryRowContext(ctx, probe, id).Scan(&state); err != nil {
		return wrap(op, err)
	}
	return fmt.Errorf("sqlite: %s: %d is %s: %w", op, id, state, desk.ErrConflict)
}

func (o ops) MarkSurveyFollowUp(ctx context.Context, id int64, at time.Time) error {
	const op = "mark survey follow-up"
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE surveys SET follow_up_at = ? WHERE id = ? AND follow_up_at = 0`,
			ms(nowOr(at)), id)
		return stateGuard(ctx, q, op, res, err, `SELECT 'followed up' FROM surveys WHERE id = ?`, id)
	})
}

func (o ops) MarkReviewInvited(ctx context.Context, id int64, at time.Time) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE surveys SET review_invited_at = ? WHERE id = ?`, ms(nowOr(at)), id)
		return affected("mark review invited", res, err)
	})
}

func (o ops) LastReviewInvite(ctx context.Context, contactID int64) (time.Time, error) {
	var last int64
	err := o.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(review_invited_at), 0) FROM surveys
		WHERE contact_id = ? AND review_invited_at > 0`, contactID).Scan(&last)
	return fromMS(last), wrap("last review invite", err)
}

// surveyDimSQL is the grouping expression of each dimension, as text.
var surveyDimSQL = map[desk.SurveyDim]string{
	desk.SurveyByTotal:    `''`,
	desk.SurveyByAgent:    `CAST(agent_id AS TEXT)`,
	desk.SurveyByTeam:     `CAST(team_id AS TEXT)`,
	desk.SurveyByCategory: `category`,
	desk.SurveyByChannel:  `channel`,
	desk.SurveyByDay:      `strftime('%Y-%m-%d', sent_at / 1000, 'unixepoch')`,
}

func (o ops) SurveyStats(ctx context.Context, q desk.SurveyStatsQuery) ([]desk.SurveyStat, error) {
	dim, ok := surveyDimSQL[q.By]
	if !ok {
		return nil, fmt.Errorf("sqlite: survey stats: %w", desk.Invalid("by", "unknown dimension "+strconv.Quote(string(q.By))))
	}
	to := ms(q.To)
	if to == 0 {
		to = 1<<63 - 1
	}
	rows, err := o.read.QueryContext(ctx, `SELECT `+dim+` AS k, COUNT(*),
		COUNT(*) FILTER (WHERE state = 'answered'),
		COALESCE(SUM(csat) FILTER (WHERE state = 'answered'), 0),
		COUNT(*) FILTER (WHERE state = 'answered' AND csat >= 4),
		COUNT(*) FILTER (WHERE state = 'answered' AND nps >= 0),
		COUNT(*) FILTER (WHERE state = 'answered' AND nps >= 9),
		COUNT(*) FILTER (WHERE state = 'answered' AND nps >= 0 AND nps <= 6)
		FROM surveys WHERE state <> 'skipped' AND sent_at >= ? AND sent_at < ?
		GROUP BY k ORDER BY k`, ms(q.From), to)
	return collect("survey stats", rows, err, func(sc rowScanner, st *desk.SurveyStat) error {
		return sc.Scan(&st.Key, &st.Sent, &st.Answered, &st.CSATSum, &st.Satisfied, &st.NPSCount, &st.Promoters, &st.Detract)
	})
}

func (o ops) ListSurveys(ctx context.Context, q desk.SurveyQuery) ([]desk.Survey, error) {
	query := `SELECT ` + surveyCols + ` FROM surveys WHERE state = 'answered' AND answered_at >= ?`
	args := []any{ms(q.From)}
	if !q.To.IsZero() {
		query += ` AND answered_at < ?`
		args = append(args, ms(q.To))
	}
	if q.WithComment {
		query += ` AND comment <> ''`
	}
	if q.MaxCSAT > 0 {
		query += ` AND csat <= ?`
		args = append(args, q.MaxCSAT)
	}
	query += ` ORDER BY answered_at DESC, id DESC LIMIT ?`
	args = append(args, clampLimit(q.Limit, 50, 500))
	rows, err := o.read.QueryContext(ctx, query, args...)
	return collect("list surveys", rows, err, scanSurvey)
}

func (o ops) CreateCompliment(ctx context.Context, c *desk.Compliment) error {
	const op = "create compliment"
	if c.Body == "" {
		return fmt.Errorf("sqlite: %s: %w", op, desk.Invalid("body", "a compliment needs text"))
	}
	c.CreatedAt = nowOr(c.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO compliments(name, email, body, locale, about, created_at)
			VALUES (?,?,?,?,?,?) RETURNING id`, c.Name, c.Email, c.Body, c.Locale, c.About, ms(c.CreatedAt)).Scan(&c.ID)
		return wrap(op, err)
	})
}

func (o ops) ListCompliments(ctx context.Context, limit int) ([]desk.Compliment, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT id, name, email, body, locale, about, created_at FROM compliments
		ORDER BY created_at DESC, id DESC LIMIT ?`, clampLimit(limit, 50, 500))
	return collect("list compliments", rows, err, func(sc rowScanner, c *desk.Compliment) error {
		var created int64
		err := sc.Scan(&c.ID, &c.Name, &c.Email, &c.Body, &c.Locale, &c.About, &created)
		c.CreatedAt = fromMS(created)
		return err
	})
}

const improvementCols = `i.id, i.title, i.team_id, i.state, i.created_by, i.created_at, i.closed_at, i.closed_by,
	(SELECT COUNT(*) FROM improvement_signals g WHERE g.improvement_id = i.id),
	(SELECT COUNT(DISTINCT g.contact_id) FROM improvement_signals g WHERE g.improvement_id = i.id)`

func scanImprovement(sc rowScanner, im *desk.Improvement) error {
	var created, closed int64
	err := sc.Scan(&im.ID, &im.Title, &im.TeamID, &im.State, &im.CreatedBy, &created, &closed, &im.ClosedBy,
		&im.Signals, &im.Customers)
	im.CreatedAt, im.ClosedAt = fromMS(created), fromMS(closed)
	return err
}

func (o ops) CreateImprovement(ctx context.Context, im *desk.Improvement) error {
	const op = "create improvement"
	if im.Title == "" {
		return fmt.Errorf("sqlite: %s: %w", op, desk.Invalid("title", "a problem needs a title"))
	}
	im.CreatedAt = nowOr(im.CreatedAt)
	if im.State == "" {
		im.State = desk.ImprovementOpen
	}
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO improvements(title, team_id, state, created_by, created_at,
			closed_at, closed_by) VALUES (?,?,?,?,?,?,?) RETURNING id`, im.Title, im.TeamID, im.State, im.CreatedBy,
			ms(im.CreatedAt), ms(im.ClosedAt), im.ClosedBy).Scan(&im.ID)
		return wrap(op, err)
	})
}

func (o ops) ImprovementByID(ctx context.Context, id int64) (*desk.Improvement, error) {
	var im desk.Improvement
	if err := scanImprovement(o.read.QueryRowContext(ctx, `SELECT `+improvementCols+` FROM improvements i WHERE i.id = ?`,
		id), &im); err != nil {
		return nil, wrap("improvement by id", err)
	}
	return &im, nil
}

func (o ops) ListImprovements(ctx context.Context, state desk.ImprovementState) ([]desk.Improvement, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT `+improvementCols+` FROM improvements i
		WHERE ? = '' OR i.state = ? ORDER BY 10 DESC, i.created_at DESC, i.id DESC`, state, state)
	return collect("list improvements", rows, err, scanImprovement)
}

func (o ops) CloseImprovement(ctx context.Context, id, by int64, at time.Time) error {
	const op = "close improvement"
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE improvements SET state = 'closed', closed_at = ?, closed_by = ?
			WHERE id = ? AND state = 'open'`, ms(nowOr(at)), by, id)
		return stateGuard(ctx, q, op, res, err, `SELECT state FROM improvements WHERE id = ?`, id)
	})
}

func (o ops) AddImprovementSignal(ctx context.Context, sig *desk.ImprovementSignal) error {
	const op = "add improvement signal"
	sig.CreatedAt = nowOr(sig.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO improvement_signals(improvement_id, conversation_id, contact_id,
			survey_id, note, created_by, created_at, notified_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id`,
			sig.ImprovementID, sig.ConversationID, sig.ContactID, sig.SurveyID, sig.Note, sig.CreatedBy,
			ms(sig.CreatedAt), ms(sig.NotifiedAt)).Scan(&sig.ID)
		return wrap(op, err)
	})
}

func (o ops) ImprovementSignals(ctx context.Context, improvementID int64) ([]desk.ImprovementSignal, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT id, improvement_id, conversation_id, contact_id, survey_id, note,
		created_by, created_at, notified_at FROM improvement_signals WHERE improvement_id = ? ORDER BY created_at, id`,
		improvementID)
	return collect("improvement signals", rows, err, func(sc rowScanner, g *desk.ImprovementSignal) error {
		var created, notified int64
		err := sc.Scan(&g.ID, &g.ImprovementID, &g.ConversationID, &g.ContactID, &g.SurveyID, &g.Note, &g.CreatedBy,
			&created, &notified)
		g.CreatedAt, g.NotifiedAt = fromMS(created), fromMS(notified)
		return err
	})
}

func (o ops) MarkSignalNotified(ctx context.Context, id int64, at time.Time) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE improvement_signals SET notified_at = ? WHERE id = ?`, ms(nowOr(at)), id)
		return affected("mark signal notified", res, err)
	})
}
