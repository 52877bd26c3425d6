package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// The digital front line: the classifier's examples, guided flows with
// their versions and runs, and the bot's memory per conversation. Saved
// replies, suggestion events and contact-page visits are in replies.go.

var (
	_ desk.IntentExampleStore = (*Store)(nil)
	_ desk.IntentExampleStore = (*txStore)(nil)
	_ desk.FlowStore          = (*Store)(nil)
	_ desk.FlowStore          = (*txStore)(nil)
	_ desk.BotSessionStore    = (*Store)(nil)
	_ desk.BotSessionStore    = (*txStore)(nil)
)

type rowScanner interface{ Scan(...any) error }

// collect reads every row of a query with scan and closes rows; err is the
// query's own error, so that a call site stays one line.
func collect[T any](op string, rows *sql.Rows, err error, scan func(sc rowScanner, v *T) error) ([]T, error) {
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, v)
	}
	return out, wrap(op, rows.Err())
}

// clampLimit applies a list's default and maximum.
func clampLimit(limit, def, most int) int {
	if limit <= 0 {
		return def
	}
	return min(limit, most)
}

// Intent examples.

const exampleCols = `id, text, category, locale, source, conversation_id, created_at`

func scanExample(sc rowScanner, e *desk.IntentExample) error {
	var created int64
	err := sc.Scan(&e.ID, &e.Text, &e.Category, &e.Locale, &e.Source, &e.ConversationID, &created)
	e.CreatedAt = fromMS(created)
	return err
}

// PutIntentExample inserts e or, when its conversation has an example,
// overwrites that one in place (the partial unique index is the arbiter).
func (o ops) PutIntentExample(ctx context.Context, e *desk.IntentExample) error {
	e.CreatedAt = nowOr(e.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO intent_examples(text, category, locale, source, conversation_id,
			created_at) VALUES (?,?,?,?,?,?)
			ON CONFLICT (conversation_id) WHERE conversation_id <> 0 DO UPDATE SET text = excluded.text,
			category = excluded.category, locale = excluded.locale, source = excluded.source,
			created_at = excluded.created_at
			RETURNING id`,
			e.Text, e.Category, e.Locale, e.Source, e.ConversationID, ms(e.CreatedAt)).Scan(&e.ID)
		return wrap("put intent example", err)
	})
}

func (o ops) ListIntentExamples(ctx context.Context, afterID int64, limit int) ([]desk.IntentExample, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT `+exampleCols+` FROM intent_examples WHERE id > ? ORDER BY id LIMIT ?`,
		afterID, clampLimit(limit, 1000, 10000))
	return collect("list intent examples", rows, err, scanExample)
}

func (o ops) CountIntentExamples(ctx context.Context) (int, error) {
	return o.count(ctx, "count intent examples", `SELECT COUNT(*) FROM intent_examples`)
}

func (o ops) DeleteIntentExamples(ctx context.Context, source string) error {
	return o.write(ctx, func(q *txQuerier) error {
		var err error
		if source == "" {
			_, err = q.ExecContext(ctx, `DELETE FROM intent_examples`)
		} else {
			_, err = q.ExecContext(ctx, `DELETE FROM intent_examples WHERE source = ?`, source)
		}
		return wrap("delete intent examples", err)
	})
}

// Flows.

const flowCols = `id, group_id, locale, slug, title, description, status, definition, version, category,
	created_at, updated_at`

func scanFlow(sc rowScanner, f *desk.Flow) error {
	var created, updated int64
	err := sc.Scan(&f.ID, &f.GroupID, &f.Locale, &f.Slug, &f.Title, &f.Description, &f.Status, &f.Definition,
		&f.Version, &f.Category, &created, &updated)
	f.CreatedAt, f.UpdatedAt = fromMS(created), fromMS(updated)
	return err
}

func (o ops) CreateFlow(ctx context.Context, f *desk.Flow) error {
	f.CreatedAt = nowOr(f.CreatedAt)
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = f.CreatedAt
	}
	return o.write(ctx, func(q *txQuerier) error {
		// The group defaults to the row's own id, which only the insert
		// knows; the insert is the statement that can conflict, so it goes
		// first.
		err := q.QueryRowContext(ctx, `INSERT INTO flows(group_id, locale, slug, title, description, status,
			definition, version, category, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			f.GroupID, f.Locale, f.Slug, f.Title, f.Description, f.Status, f.Definition, f.Version, f.Category,
			ms(f.CreatedAt), ms(f.UpdatedAt)).Scan(&f.ID)
		if err != nil {
			return wrap("create flow", err)
		}
		if f.GroupID == 0 {
			f.GroupID = f.ID
			_, err = q.ExecContext(ctx, `UPDATE flows SET group_id = id WHERE id = ?`, f.ID)
		}
		return wrap("create flow", err)
	})
}

// UpdateFlow writes every field but ID, GroupID and CreatedAt, and sets
// UpdatedAt to now.
func (o ops) UpdateFlow(ctx context.Context, f *desk.Flow) error {
	f.UpdatedAt = nowOr(time.Time{})
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE flows SET locale = ?, slug = ?, title = ?, description = ?, status = ?,
			definition = ?, version = ?, category = ?, updated_at = ? WHERE id = ?`,
			f.Locale, f.Slug, f.Title, f.Description, f.Status, f.Definition, f.Version, f.Category,
			ms(f.UpdatedAt), f.ID)
		return affected("update flow", res, err)
	})
}

// DeleteFlow removes a flow; its versions and runs go with it (ON DELETE
// CASCADE).
func (o ops) DeleteFlow(ctx context.Context, id int64) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM flows WHERE id = ?`, id)
		return affected("delete flow", res, err)
	})
}

func (o ops) FlowByID(ctx context.Context, id int64) (*desk.Flow, error) {
	var f desk.Flow
	if err := scanFlow(o.read.QueryRowContext(ctx, `SELECT `+flowCols+` FROM flows WHERE id = ?`, id), &f); err != nil {
		return nil, wrap("flow by id", err)
	}
	return &f, nil
}

func (o ops) FlowBySlug(ctx context.Context, locale, slug string) (*desk.Flow, error) {
	var f desk.Flow
	err := scanFlow(o.read.QueryRowContext(ctx, `SELECT `+flowCols+` FROM flows WHERE locale = ? AND slug = ?`,
		locale, slug), &f)
	if err != nil {
		return nil, wrap("flow by slug", err)
	}
	return &f, nil
}

func (o ops) ListFlows(ctx context.Context, locale string, status desk.ArticleStatus) ([]desk.Flow, error) {
	var where []string
	var args []any
	if locale != "" {
		where, args = append(where, "locale = ?"), append(args, locale)
	}
	if status != "" {
		where, args = append(where, "status = ?"), append(args, status)
	}
	query := `SELECT ` + flowCols + ` FROM flows`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := o.read.QueryContext(ctx, query+` ORDER BY title, id`, args...)
	return collect("list flows", rows, err, scanFlow)
}

// Flow versions.

const flowVersionCols = `flow_id, version, definition, agent_id, created_at`

func scanFlowVersion(sc rowScanner, v *desk.FlowVersion) error {
	var created int64
	err := sc.Scan(&v.FlowID, &v.Version, &v.Definition, &v.AgentID, &created)
	v.CreatedAt = fromMS(created)
	return err
}

// AddFlowVersion stores a version: a number the flow has is ErrConflict
// (the primary key), a missing flow ErrNotFound (the foreign key).
func (o ops) AddFlowVersion(ctx context.Context, v *desk.FlowVersion) error {
	v.CreatedAt = nowOr(v.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO flow_versions(flow_id, version, definition, agent_id, created_at)
			VALUES (?,?,?,?,?)`, v.FlowID, v.Version, v.Definition, v.AgentID, ms(v.CreatedAt))
		return wrap("add flow version", err)
	})
}

func (o ops) FlowVersionOf(ctx context.Context, flowID int64, version int) (*desk.FlowVersion, error) {
	var v desk.FlowVersion
	err := scanFlowVersion(o.read.QueryRowContext(ctx, `SELECT `+flowVersionCols+` FROM flow_versions
		WHERE flow_id = ? AND version = ?`, flowID, version), &v)
	if err != nil {
		return nil, wrap("flow version", err)
	}
	return &v, nil
}

func (o ops) FlowVersions(ctx context.Context, flowID int64) ([]desk.FlowVersion, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT `+flowVersionCols+` FROM flow_versions WHERE flow_id = ?
		ORDER BY version DESC`, flowID)
	return collect("flow versions", rows, err, scanFlowVersion)
}

// Flow runs.

const flowRunCols = `id, flow_id, version, source, conversation_id, visitor_key, path, outcome, started_at,
	updated_at, ended_at`

func scanFlowRun(sc rowScanner, r *desk.FlowRun) error {
	var path string
	var started, updated, ended int64
	if err := sc.Scan(&r.ID, &r.FlowID, &r.Version, &r.Source, &r.ConversationID, &r.VisitorKey, &path, &r.Outcome,
		&started, &updated, &ended); err != nil {
		return err
	}
	r.StartedAt, r.UpdatedAt, r.EndedAt = fromMS(started), fromMS(updated), fromMS(ended)
	var err error
	r.Path, err = parsePath(path)
	return err
}

// pathText stores a run's path as a JSON array, its times at the
// millisecond precision in UTC that every other time is stored with.
func pathText(path []desk.FlowStepAnswer) string {
	if len(path) == 0 {
		return "[]"
	}
	norm := make([]desk.FlowStepAnswer, len(path))
	for i, p := range path {
		norm[i] = p
		if !p.At.IsZero() {
			norm[i].At = p.At.UTC().Truncate(time.Millisecond)
		}
	}
	return jsonText(norm)
}

func parsePath(s string) ([]desk.FlowStepAnswer, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var out []desk.FlowStepAnswer
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	for i := range out {
		if !out[i].At.IsZero() {
			out[i].At = out[i].At.UTC()
		}
	}
	return out, nil
}

// CreateFlowRun stores a run; a missing flow is ErrNotFound (the foreign
// key).
func (o ops) CreateFlowRun(ctx context.Context, r *desk.FlowRun) error {
	r.StartedAt = nowOr(r.StartedAt)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.StartedAt
	}
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO flow_runs(flow_id, version, source, conversation_id, visitor_key,
			path, outcome, started_at, updated_at, ended_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			r.FlowID, r.Version, r.Source, r.ConversationID, r.VisitorKey, pathText(r.Path), r.Outcome,
			ms(r.StartedAt), ms(r.UpdatedAt), ms(r.EndedAt)).Scan(&r.ID)
		return wrap("create flow run", err)
	})
}

// UpdateFlowRun writes Path, Outcome, UpdatedAt (now when zero) and EndedAt.
func (o ops) UpdateFlowRun(ctx context.Context, r *desk.FlowRun) error {
	r.UpdatedAt = nowOr(r.UpdatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE flow_runs SET path = ?, outcome = ?, updated_at = ?, ended_at = ?
			WHERE id = ?`, pathText(r.Path), r.Outcome, ms(r.UpdatedAt), ms(r.EndedAt), r.ID)
		return affected("update flow run", res, err)
	})
}

func (o ops) FlowRunByID(ctx context.Context, id int64) (*desk.FlowRun, error) {
	var r desk.FlowRun
	if err := scanFlowRun(o.read.QueryRowContext(ctx, `SELECT `+flowRunCols+` FROM flow_runs WHERE id = ?`, id), &r); err != nil {
		return nil, wrap("flow run by id", err)
	}
	return &r, nil
}

// FlowRuns is a range scan of flow_runs_flow in list order.
func (o ops) FlowRuns(ctx context.Context, flowID int64, since, until time.Time, limit int) ([]desk.FlowRun, error) {
	limit = clampLimit(limit, 1000, 100000)
	var rows *sql.Rows
	var err error
	if until.IsZero() {
		rows, err = o.read.QueryContext(ctx, `SELECT `+flowRunCols+` FROM flow_runs
			WHERE flow_id = ? AND started_at >= ? ORDER BY started_at, id LIMIT ?`, flowID, ms(since), limit)
	} else {
		rows, err = o.read.QueryContext(ctx, `SELECT `+flowRunCols+` FROM flow_runs
			WHERE flow_id = ? AND started_at >= ? AND started_at < ? ORDER BY started_at, id LIMIT ?`,
			flowID, ms(since), ms(until), limit)
	}
	return collect("flow runs", rows, err, scanFlowRun)
}

func (o ops) ConversationFlowRuns(ctx context.Context, conversationID int64) ([]desk.FlowRun, error) {
	if conversationID == 0 {
		return nil, nil // 0 is "no conversation", not a conversation with runs
	}
	rows, err := o.read.QueryContext(ctx, `SELECT `+flowRunCols+` FROM flow_runs WHERE conversation_id = ?
		ORDER BY started_at, id`, conversationID)
	return collect("conversation flow runs", rows, err, scanFlowRun)
}

// Bot sessions.

func (o ops) BotSessionOf(ctx context.Context, conversationID int64) (*desk.BotSession, error) {
	s := desk.BotSession{ConversationID: conversationID}
	var updated int64
	err := o.read.QueryRowContext(ctx, `SELECT state, updated_at FROM bot_sessions WHERE conversation_id = ?`,
		conversationID).Scan(&s.State, &updated)
	if err != nil {
		return nil, wrap("bot session", err)
	}
	s.UpdatedAt = fromMS(updated)
	return &s, nil
}

// PutBotSession creates or replaces the session; a missing conversation is
// ErrNotFound (the foreign key).
func (o ops) PutBotSession(ctx context.Context, s *desk.BotSession) error {
	s.UpdatedAt = nowOr(s.UpdatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO bot_sessions(conversation_id, state, updated_at) VALUES (?,?,?)
			ON CONFLICT (conversation_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
			s.ConversationID, s.State, ms(s.UpdatedAt))
		return wrap("put bot session", err)
	})
}
