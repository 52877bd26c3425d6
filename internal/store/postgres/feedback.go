package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/balie-dev/balie/internal/desk"
)

// Feedback (desk.FeedbackStore): satisfaction surveys, compliments and
// improvement signals.

var _ desk.FeedbackStore = (*Store)(nil)

func clamp(limit, def, most int) int {
	if limit <= 0 {
		return def
	}
	return min(limit, most)
}

func (s *Store) SurveyCandidates(ctx context.Context, since, before time.Time, limit int) ([]desk.Conversation, error) {
	return s.queryConversations(ctx, "survey candidates", false, `SELECT `+conversationColumns+`
		FROM conversations c
		WHERE c.status = 'resolved' AND c.resolved_at >= $1 AND c.resolved_at < $2
		AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.conversation_id = c.id)
		ORDER BY c.resolved_at, c.id LIMIT $3`, ts(since), ts(before), clamp(limit, 100, 1000))
}

const surveyColumns = `id, conversation_id, contact_id, channel, agent_id, team_id, category, locale,
	COALESCE(token_hash, ''), state, reason, sent_at, csat, nps, comment, answers, answered_at, updated_at,
	follow_up_at, review_invited_at`

func scanSurvey(row pgx.Row) (desk.Survey, error) {
	var s desk.Survey
	var sent, answered, updated, follow, invited *time.Time
	err := row.Scan(&s.ID, &s.ConversationID, &s.ContactID, &s.Channel, &s.AgentID, &s.TeamID, &s.Category,
		&s.Locale, &s.TokenHash, &s.State, &s.Reason, &sent, &s.CSAT, &s.NPS, &s.Comment, &s.Answers, &answered,
		&updated, &follow, &invited)
	s.SentAt, s.AnsweredAt, s.UpdatedAt = timeOf(sent), timeOf(answered), timeOf(updated)
	s.FollowUpAt, s.ReviewInvitedAt = timeOf(follow), timeOf(invited)
	if len(s.Answers) == 0 {
		s.Answers = nil
	}
	return s, err
}

func nullText(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func answersOf(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (s *Store) CreateSurvey(ctx context.Context, sv *desk.Survey) error {
	const op = "create survey"
	if sv.State == "" || sv.ConversationID == 0 {
		return wrap(op, desk.Invalid("survey", "needs a conversation and a state"))
	}
	if sv.State != desk.SurveySkipped && sv.TokenHash == "" {
		return wrap(op, desk.Invalid("token", "a sent survey needs a token"))
	}
	if sv.CSAT == 0 && sv.NPS == 0 {
		sv.NPS = desk.NoNPS
	}
	err := s.q.QueryRow(ctx, `INSERT INTO surveys (conversation_id, contact_id, channel, agent_id, team_id,
			category, locale, token_hash, state, reason, sent_at, csat, nps, comment, answers, answered_at,
			updated_at, follow_up_at, review_invited_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19) RETURNING id`,
		sv.ConversationID, sv.ContactID, sv.Channel, sv.AgentID, sv.TeamID, sv.Category, sv.Locale,
		nullText(sv.TokenHash), sv.State, sv.Reason, nullTime(sv.SentAt), sv.CSAT, sv.NPS, sv.Comment,
		answersOf(sv.Answers), nullTime(sv.AnsweredAt), nullTime(sv.UpdatedAt), nullTime(sv.FollowUpAt),
		nullTime(sv.ReviewInvitedAt)).Scan(&sv.ID)
	return wrap(op, err)
}

func (s *Store) SurveyByTokenHash(ctx context.Context, hash string) (*desk.Survey, error) {
	if hash == "" {
		return nil, wrap("survey by token", desk.ErrNotFound)
	}
	sv, err := scanSurvey(s.q.QueryRow(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE token_hash = $1`, hash))
	if err != nil {
		return nil, wrap("survey by token", err)
	}
	return &sv, nil
}

func (s *Store) SurveyByConversation(ctx context.Context, conversationID int64) (*desk.Survey, error) {
	sv, err := scanSurvey(s.q.QueryRow(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE conversation_id = $1`,
		conversationID))
	if err != nil {
		return nil, wrap("survey by conversation", err)
	}
	return &sv, nil
}

// guardedUpdate runs an UPDATE that acts on rows in some states only: no
// row touched is ErrNotFound when probe finds no row, else ErrConflict.
func (s *Store) guardedUpdate(ctx context.Context, op, probe string, id int64, sql string, args ...any) error {
	return wrap(op, s.guarded(ctx, func(s *Store) error {
		var tag pgconn.CommandTag
		tag, err := s.q.Exec(ctx, sql, args...)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		var state string
		if err := s.q.QueryRow(ctx, probe, id).Scan(&state); err != nil {
			return err
		}
		return fmt.Errorf("%d is %s: %w", id, state, desk.ErrConflict)
	}))
}

func (s *Store) AnswerSurvey(ctx context.Context, sv *desk.Survey) error {
	return s.guardedUpdate(ctx, "answer survey", `SELECT state FROM surveys WHERE id = $1`, sv.ID,
		`UPDATE surveys SET state = $1, csat = $2, nps = $3, comment = $4, answers = $5, answered_at = $6,
			updated_at = $7 WHERE id = $8 AND state IN ('sent', 'answered')`,
		sv.State, sv.CSAT, sv.NPS, sv.Comment, answersOf(sv.Answers), nullTime(sv.AnsweredAt), nullTime(sv.UpdatedAt), sv.ID)
}

func (s *Store) MarkSurveyFollowUp(ctx context.Context, id int64, at time.Time) error {
	return s.guardedUpdate(ctx, "mark survey follow-up", `SELECT 'followed up' FROM surveys WHERE id = $1`, id,
		`UPDATE surveys SET follow_up_at = $1 WHERE id = $2 AND follow_up_at IS NULL`, orNow(at), id)
}

func (s *Store) MarkReviewInvited(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.q.Exec(ctx, `UPDATE surveys SET review_invited_at = $1 WHERE id = $2`, orNow(at), id)
	if err == nil && tag.RowsAffected() == 0 {
		err = desk.ErrNotFound
	}
	return wrap("mark review invited", err)
}

func (s *Store) LastReviewInvite(ctx context.Context, contactID int64) (time.Time, error) {
	var last *time.Time
	err := s.q.QueryRow(ctx, `SELECT MAX(review_invited_at) FROM surveys WHERE contact_id = $1`, contactID).Scan(&last)
	return timeOf(last), wrap("last review invite", err)
}

var surveyDimSQL = map[desk.SurveyDim]string{
	desk.SurveyByTotal:    `''`,
	desk.SurveyByAgent:    `agent_id::text`,
	desk.SurveyByTeam:     `team_id::text`,
	desk.SurveyByCategory: `category`,
	desk.SurveyByChannel:  `channel`,
	desk.SurveyByDay:      `to_char(sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
}

func (s *Store) SurveyStats(ctx context.Context, q desk.SurveyStatsQuery) ([]desk.SurveyStat, error) {
	const op = "survey stats"
	dim, ok := surveyDimSQL[q.By]
	if !ok {
		return nil, wrap(op, desk.Invalid("by", "unknown dimension "+strconv.Quote(string(q.By))))
	}
	var a args
	sql := `SELECT ` + dim + ` AS k, COUNT(*),
		COUNT(*) FILTER (WHERE state = 'answered'),
		COALESCE(SUM(csat) FILTER (WHERE state = 'answered'), 0),
		COUNT(*) FILTER (WHERE state = 'answered' AND csat >= 4),
		COUNT(*) FILTER (WHERE state = 'answered' AND nps >= 0),
		COUNT(*) FILTER (WHERE state = 'answered' AND nps >= 9),
		COUNT(*) FILTER (WHERE state = 'answered' AND nps BETWEEN 0 AND 6)
		FROM surveys WHERE state <> 'skipped' AND sent_at >= ` + a.add(ts(q.From))
	if !q.To.IsZero() {
		sql += ` AND sent_at < ` + a.add(ts(q.To))
	}
	sql += ` GROUP BY k ORDER BY k`
	rows, err := s.q.Query(ctx, sql, a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.SurveyStat, error) {
		var st desk.SurveyStat
		err := row.Scan(&st.Key, &st.Sent, &st.Answered, &st.CSATSum, &st.Satisfied, &st.NPSCount, &st.Promoters, &st.Detract)
		return st, err
	})
	return out, wrap(op, err)
}

func (s *Store) ListSurveys(ctx context.Context, q desk.SurveyQuery) ([]desk.Survey, error) {
	var a args
	sql := `SELECT ` + surveyColumns + ` FROM surveys WHERE state = 'answered'`
	if !q.From.IsZero() {
		sql += ` AND answered_at >= ` + a.add(ts(q.From))
	}
	if !q.To.IsZero() {
		sql += ` AND answered_at < ` + a.add(ts(q.To))
	}
	if q.WithComment {
		sql += ` AND comment <> ''`
	}
	if q.MaxCSAT > 0 {
		sql += ` AND csat <= ` + a.add(q.MaxCSAT)
	}
	sql += ` ORDER BY answered_at DESC, id DESC LIMIT ` + a.add(clamp(q.Limit, 50, 500))
	rows, err := s.q.Query(ctx, sql, a...)
	if err != nil {
		return nil, wrap("list surveys", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.Survey, error) { return scanSurvey(row) })
	return out, wrap("list surveys", err)
}

func (s *Store) CreateCompliment(ctx context.Context, c *desk.Compliment) error {
	const op = "create compliment"
	if c.Body == "" {
		return wrap(op, desk.Invalid("body", "a compliment needs text"))
	}
	c.CreatedAt = orNow(c.CreatedAt)
	err := s.q.QueryRow(ctx, `INSERT INTO compliments (name, email, body, locale, about, created_at)
		VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`, c.Name, c.Email, c.Body, c.Locale, c.About, c.CreatedAt).Scan(&c.ID)
	return wrap(op, err)
}

func (s *Store) ListCompliments(ctx context.Context, limit int) ([]desk.Compliment, error) {
	rows, err := s.q.Query(ctx, `SELECT id, name, email, body, locale, about, created_at FROM compliments
		ORDER BY created_at DESC, id DESC LIMIT $1`, clamp(limit, 50, 500))
	if err != nil {
		return nil, wrap("list compliments", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.Compliment, error) {
		var c desk.Compliment
		err := row.Scan(&c.ID, &c.Name, &c.Email, &c.Body, &c.Locale, &c.About, &c.CreatedAt)
		c.CreatedAt = c.CreatedAt.UTC()
		return c, err
	})
	return out, wrap("list compliments", err)
}

const improvementColumns = `i.id, i.title, i.team_id, i.state, i.created_by, i.created_at, i.closed_at, i.closed_by,
	(SELECT COUNT(*) FROM improvement_signals g WHERE g.improvement_id = i.id),
	(SELECT COUNT(DISTINCT g.contact_id) FROM improvement_signals g WHERE g.improvement_id = i.id)`

func scanImprovement(row pgx.Row) (desk.Improvement, error) {
	var im desk.Improvement
	var closed *time.Time
	err := row.Scan(&im.ID, &im.Title, &im.TeamID, &im.State, &im.CreatedBy, &im.CreatedAt, &closed, &im.ClosedBy,
		&im.Signals, &im.Customers)
	im.CreatedAt, im.ClosedAt = im.CreatedAt.UTC(), timeOf(closed)
	return im, err
}

func (s *Store) CreateImprovement(ctx context.Context, im *desk.Improvement) error {
	const op = "create improvement"
	if im.Title == "" {
		return wrap(op, desk.Invalid("title", "a problem needs a title"))
	}
	im.CreatedAt = orNow(im.CreatedAt)
	if im.State == "" {
		im.State = desk.ImprovementOpen
	}
	err := s.q.QueryRow(ctx, `INSERT INTO improvements (title, team_id, state, created_by, created_at, closed_at,
		closed_by) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`, im.Title, im.TeamID, im.State, im.CreatedBy,
		im.CreatedAt, nullTime(im.ClosedAt), im.ClosedBy).Scan(&im.ID)
	return wrap(op, err)
}

func (s *Store) ImprovementByID(ctx context.Context, id int64) (*desk.Improvement, error) {
	im, err := scanImprovement(s.q.QueryRow(ctx, `SELECT `+improvementColumns+` FROM improvements i WHERE i.id = $1`, id))
	if err != nil {
		return nil, wrap("improvement by id", err)
	}
	return &im, nil
}

func (s *Store) ListImprovements(ctx context.Context, state desk.ImprovementState) ([]desk.Improvement, error) {
	rows, err := s.q.Query(ctx, `SELECT `+improvementColumns+` FROM improvements i
		WHERE $1 = '' OR i.state = $1 ORDER BY 10 DESC, i.created_at DESC, i.id DESC`, string(state))
	if err != nil {
		return nil, wrap("list improvements", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.Improvement, error) { return scanImprovement(row) })
	return out, wrap("list improvements", err)
}

func (s *Store) CloseImprovement(ctx context.Context, id, by int64, at time.Time) error {
	return s.guardedUpdate(ctx, "close improvement", `SELECT state FROM improvements WHERE id = $1`, id,
		`UPDATE improvements SET state = 'closed', closed_at = $1, closed_by = $2 WHERE id = $3 AND state = 'open'`,
		orNow(at), by, id)
}

func (s *Store) AddImprovementSignal(ctx context.Context, sig *desk.ImprovementSignal) error {
	sig.CreatedAt = orNow(sig.CreatedAt)
	err := s.q.QueryRow(ctx, `INSERT INTO improvement_signals (improvement_id, conversation_id, contact_id, survey_id,
		note, created_by, created_at, notified_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`,
		sig.ImprovementID, sig.ConversationID, sig.ContactID, sig.SurveyID, sig.Note, sig.CreatedBy, sig.CreatedAt,
		nullTime(sig.NotifiedAt)).Scan(&sig.ID)
	return wrap("add improvement signal", err)
}

func (s *Store) ImprovementSignals(ctx context.Context, improvementID int64) ([]desk.ImprovementSignal, error) {
	rows, err := s.q.Query(ctx, `SELECT id, improvement_id, conversation_id, contact_id, survey_id, note, created_by,
		created_at, notified_at FROM improvement_signals WHERE improvement_id = $1 ORDER BY created_at, id`, improvementID)
	if err != nil {
		return nil, wrap("improvement signals", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.ImprovementSignal, error) {
		var g desk.ImprovementSignal
		var notified *time.Time
		err := row.Scan(&g.ID, &g.ImprovementID, &g.ConversationID, &g.ContactID, &g.SurveyID, &g.Note, &g.CreatedBy,
			&g.CreatedAt, &notified)
		g.CreatedAt, g.NotifiedAt = g.CreatedAt.UTC(), timeOf(notified)
		return g, err
	})
	return out, wrap("improvement signals", err)
}

func (s *Store) MarkSignalNotified(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.q.Exec(ctx, `UPDATE improvement_signals SET notified_at = $1 WHERE id = $2`, orNow(at), id)
	if err == nil && tag.RowsAffected() == 0 {
		err = desk.ErrNotFound
	}
	return wrap("mark signal notified", err)
}
