package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

var _ desk.FlowStore = (*Store)(nil)

// Guided flows: their drafts, published versions and runs.

// --- flows ---

const flowColumns = `id, group_id, locale, slug, title, description, status, definition, version, category,
	created_at, updated_at`

func scanFlow(row pgx.Row) (desk.Flow, error) {
	var f desk.Flow
	err := row.Scan(&f.ID, &f.GroupID, &f.Locale, &f.Slug, &f.Title, &f.Description, &f.Status, &f.Definition,
		&f.Version, &f.Category, &f.CreatedAt, &f.UpdatedAt)
	return f, err
}

// CreateFlow stores a flow and sets ID, GroupID (its own ID when 0),
// CreatedAt and UpdatedAt. A slug in use in the locale is ErrConflict.
func (s *Store) CreateFlow(ctx context.Context, f *desk.Flow) error {
	f.CreatedAt = orNow(f.CreatedAt)
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = f.CreatedAt
	}
	f.UpdatedAt = ts(f.UpdatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		// The id is drawn first so that a new group can take it as its
		// GroupID in the same statement.
		return s.q.QueryRow(ctx, `WITH n AS (SELECT nextval(pg_get_serial_sequence('flows', 'id')) AS id)
			INSERT INTO flows (id, group_id, locale, slug, title, description, status, definition, version,
				category, created_at, updated_at)
			SELECT n.id, COALESCE(NULLIF($1::bigint, 0), n.id), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM n
			RETURNING id, group_id`,
			f.GroupID, f.Locale, f.Slug, f.Title, f.Description, f.Status, f.Definition, f.Version,
			f.Category, f.CreatedAt, f.UpdatedAt).Scan(&f.ID, &f.GroupID)
	})
	return wrap("create flow", err)
}

// UpdateFlow writes every field but ID, GroupID and CreatedAt, and sets
// UpdatedAt to now. A slug in use in the locale is ErrConflict.
func (s *Store) UpdateFlow(ctx context.Context, f *desk.Flow) error {
	f.UpdatedAt = now()
	err := s.guarded(ctx, func(s *Store) error {
		return affected(s.q.Exec(ctx, `UPDATE flows SET locale = $2, slug = $3, title = $4, description = $5,
			status = $6, definition = $7, version = $8, category = $9, updated_at = $10 WHERE id = $1`,
			f.ID, f.Locale, f.Slug, f.Title, f.Description, f.Status, f.Definition, f.Version, f.Category,
			f.UpdatedAt))
	})
	return wrap("update flow", err)
}

// DeleteFlow removes a flow; its versions and runs go with it (ON DELETE
// CASCADE).
func (s *Store) DeleteFlow(ctx context.Context, id int64) error {
	return wrap("delete flow", affected(s.q.Exec(ctx, `DELETE FROM flows WHERE id = $1`, id)))
}

// FlowByID returns one flow.
func (s *Store) FlowByID(ctx context.Context, id int64) (*desk.Flow, error) {
	f, err := scanFlow(s.q.QueryRow(ctx, `SELECT `+flowColumns+` FROM flows WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("flow by id", err)
	}
	return &f, nil
}

// FlowBySlug finds a flow by locale and slug, whatever its status.
func (s *Store) FlowBySlug(ctx context.Context, locale, slug string) (*desk.Flow, error) {
	f, err := scanFlow(s.q.QueryRow(ctx, `SELECT `+flowColumns+` FROM flows WHERE locale = $1 AND slug = $2`,
		locale, slug))
	if err != nil {
		return nil, wrap("flow by slug", err)
	}
	return &f, nil
}

// ListFlows lists a locale's ("" every locale's) flows of a status ("" any)
// by title.
func (s *Store) ListFlows(ctx context.Context, locale string, status desk.ArticleStatus) ([]desk.Flow, error) {
	const op = "list flows"
	var a args
	sql := `SELECT ` + flowColumns + ` FROM flows WHERE true`
	if locale != "" {
		sql += ` AND locale = ` + a.add(locale)
	}
	if status != "" {
		sql += ` AND status = ` + a.add(status)
	}
	sql += ` ORDER BY title COLLATE "C", id`
	rows, err := s.q.Query(ctx, sql, a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.Flow
	for rows.Next() {
		f, err := scanFlow(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, f)
	}
	return out, wrap(op, rows.Err())
}

// --- versions ---

// AddFlowVersion stores a published version and sets CreatedAt when zero. A
// version number the flow has is ErrConflict; a missing flow ErrNotFound.
func (s *Store) AddFlowVersion(ctx context.Context, v *desk.FlowVersion) error {
	v.CreatedAt = orNow(v.CreatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		_, err := s.q.Exec(ctx, `INSERT INTO flow_versions (flow_id, version, definition, agent_id, created_at)
			VALUES ($1, $2, $3, $4, $5)`, v.FlowID, v.Version, v.Definition, v.AgentID, v.CreatedAt)
		return err
	})
	return wrap("add flow version", err)
}

const flowVersionColumns = `flow_id, version, definition, agent_id, created_at`

func scanFlowVersion(row pgx.Row) (desk.FlowVersion, error) {
	var v desk.FlowVersion
	err := row.Scan(&v.FlowID, &v.Version, &v.Definition, &v.AgentID, &v.CreatedAt)
	return v, err
}

// FlowVersionOf returns one published version of a flow.
func (s *Store) FlowVersionOf(ctx context.Context, flowID int64, version int) (*desk.FlowVersion, error) {
	v, err := scanFlowVersion(s.q.QueryRow(ctx, `SELECT `+flowVersionColumns+` FROM flow_versions
		WHERE flow_id = $1 AND version = $2`, flowID, version))
	if err != nil {
		return nil, wrap("flow version", err)
	}
	return &v, nil
}

// FlowVersions lists a flow's versions, newest first.
func (s *Store) FlowVersions(ctx context.Context, flowID int64) ([]desk.FlowVersion, error) {
	const op = "flow versions"
	rows, err := s.q.Query(ctx, `SELECT `+flowVersionColumns+` FROM flow_versions
		WHERE flow_id = $1 ORDER BY version DESC`, flowID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.FlowVersion
	for rows.Next() {
		v, err := scanFlowVersion(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, v)
	}
	return out, wrap(op, rows.Err())
}

// --- runs ---

const flowRunColumns = `id, flow_id, version, source, conversation_id, visitor_key, path, outcome,
	started_at, updated_at, ended_at`

func scanFlowRun(row pgx.Row) (desk.FlowRun, error) {
	var r desk.FlowRun
	var path string
	var ended *time.Time
	if err := row.Scan(&r.ID, &r.FlowID, &r.Version, &r.Source, &r.ConversationID, &r.VisitorKey, &path,
		&r.Outcome, &r.StartedAt, &r.UpdatedAt, &ended); err != nil {
		return r, err
	}
	r.EndedAt = timeOf(ended)
	var err error
	r.Path, err = parsePath(path)
	return r, err
}

// pathText encodes a run's path for storage, its times normalised like
// every stored time. An empty path is stored as "".
func pathText(path []desk.FlowStepAnswer) ([]desk.FlowStepAnswer, string, error) {
	if len(path) == 0 {
		return nil, "", nil
	}
	// A copy, so that the caller's slice is not changed under another
	// holder of it.
	out := make([]desk.FlowStepAnswer, len(path))
	for i, p := range path {
		p.At = ts(p.At)
		out[i] = p
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, "", fmt.Errorf("%w: path: %v", desk.ErrInvalid, err)
	}
	return out, string(b), nil
}

// parsePath decodes what pathText stored; "" is no steps.
func parsePath(s string) ([]desk.FlowStepAnswer, error) {
	if s == "" {
		return nil, nil
	}
	var out []desk.FlowStepAnswer
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// CreateFlowRun stores a run and sets ID, StartedAt when zero, and
// UpdatedAt (StartedAt when zero). A missing flow is ErrNotFound.
func (s *Store) CreateFlowRun(ctx context.Context, r *desk.FlowRun) error {
	const op = "create flow run"
	r.StartedAt = orNow(r.StartedAt)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.StartedAt
	}
	r.UpdatedAt = ts(r.UpdatedAt)
	path, text, err := pathText(r.Path)
	if err != nil {
		return wrap(op, err)
	}
	r.Path = path
	if !r.EndedAt.IsZero() {
		r.EndedAt = ts(r.EndedAt)
	}
	err = s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `INSERT INTO flow_runs (flow_id, version, source, conversation_id, visitor_key,
				path, outcome, started_at, updated_at, ended_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			r.FlowID, r.Version, r.Source, r.ConversationID, r.VisitorKey, text, r.Outcome, r.StartedAt,
			r.UpdatedAt, nullTime(r.EndedAt)).Scan(&r.ID)
	})
	return wrap(op, err)
}

// UpdateFlowRun writes Path, Outcome, UpdatedAt (now when zero) and
// EndedAt.
func (s *Store) UpdateFlowRun(ctx context.Context, r *desk.FlowRun) error {
	const op = "update flow run"
	r.UpdatedAt = orNow(r.UpdatedAt)
	path, text, err := pathText(r.Path)
	if err != nil {
		return wrap(op, err)
	}
	r.Path = path
	if !r.EndedAt.IsZero() {
		r.EndedAt = ts(r.EndedAt)
	}
	return wrap(op, affected(s.q.Exec(ctx, `UPDATE flow_runs SET path = $2, outcome = $3, updated_at = $4,
		ended_at = $5 WHERE id = $1`, r.ID, text, r.Outcome, r.UpdatedAt, nullTime(r.EndedAt))))
}

// FlowRunByID returns one run.
func (s *Store) FlowRunByID(ctx context.Context, id int64) (*desk.FlowRun, error) {
	r, err := scanFlowRun(s.q.QueryRow(ctx, `SELECT `+flowRunColumns+` FROM flow_runs WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("flow run by id", err)
	}
	return &r, nil
}

// Limits of FlowRuns.
const (
	defaultFlowRunLimit = 1000
	maxFlowRunLimit     = 100000
)

// FlowRuns lists a flow's runs started in [since, until) (zero until: no
// end), oldest first, at most limit (default 1000, at most 100000).
func (s *Store) FlowRuns(ctx context.Context, flowID int64, since, until time.Time, limit int) ([]desk.FlowRun, error) {
	switch {
	case limit <= 0:
		limit = defaultFlowRunLimit
	case limit > maxFlowRunLimit:
		limit = maxFlowRunLimit
	}
	var a args
	sql := `SELECT ` + flowRunColumns + ` FROM flow_runs WHERE flow_id = ` + a.add(flowID) +
		` AND started_at >= ` + a.add(ts(since))
	if !until.IsZero() {
		sql += ` AND started_at < ` + a.add(ts(until))
	}
	sql += ` ORDER BY started_at, id LIMIT ` + a.add(limit)
	return s.queryFlowRuns(ctx, "flow runs", sql, a...)
}

// ConversationFlowRuns lists the runs in a conversation, oldest first.
func (s *Store) ConversationFlowRuns(ctx context.Context, conversationID int64) ([]desk.FlowRun, error) {
	if conversationID == 0 {
		// 0 is "in no conversation", not a conversation.
		return nil, nil
	}
	return s.queryFlowRuns(ctx, "conversation flow runs", `SELECT `+flowRunColumns+` FROM flow_runs
		WHERE conversation_id = $1 ORDER BY started_at, id`, conversationID)
}

func (s *Store) queryFlowRuns(ctx context.Context, op, sql string, args ...any) ([]desk.FlowRun, error) {
	rows, err := s.q.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.FlowRun
	for rows.Next() {
		r, err := scanFlowRun(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, r)
	}
	return out, wrap(op, rows.Err())
}
