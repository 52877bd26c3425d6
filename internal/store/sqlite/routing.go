package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Routing and service levels (desk.RoutingStore): routing rules, SLA
// policies, agents' skills, and the reads the router and the SLA sweep
// start from.

var (
	_ desk.RoutingStore = (*Store)(nil)
	_ desk.RoutingStore = (*txStore)(nil)
)

// capacityText stores an agent's capacity as a JSON object; none is "".
func capacityText(c map[desk.ChannelKind]int) string {
	if len(c) == 0 {
		return ""
	}
	return jsonText(c)
}

func parseCapacity(s string) (map[desk.ChannelKind]int, error) {
	if s == "" || s == "{}" {
		return nil, nil
	}
	var out map[desk.ChannelKind]int
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("capacity: %w", err)
	}
	return out, nil
}

// skillJSON is a skill in routing_rules.skills.
type skillJSON struct {
	Name  string `json:"name"`
	Level int    `json:"level"`
}

func skillsText(skills []desk.Skill) string {
	if len(skills) == 0 {
		return "[]"
	}
	out := make([]skillJSON, len(skills))
	for i, s := range skills {
		out[i] = skillJSON(s)
	}
	return jsonText(out)
}

func parseSkills(s string) ([]desk.Skill, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var in []skillJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("skills: %w", err)
	}
	out := make([]desk.Skill, len(in))
	for i, sk := range in {
		out[i] = desk.Skill(sk)
	}
	return out, nil
}

// stringsText stores a list of strings (or string kinds) as a JSON array.
func stringsText[T ~string](in []T) string {
	if len(in) == 0 {
		return "[]"
	}
	return jsonText(in)
}

func parseList[T ~string](s string) ([]T, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var out []T
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// checkSkills refuses what agent_skills cannot hold as meant: a skill
// without a name, a level outside 1 to 5, a name twice.
func checkSkills(skills []desk.Skill) error {
	seen := make(map[string]bool, len(skills))
	for _, s := range skills {
		switch {
		case s.Name == "":
			return desk.Invalid("skills", "a skill needs a name")
		case s.Level < 1 || s.Level > 5:
			return desk.Invalid("skills", fmt.Sprintf("level %d of %q is not from 1 to 5", s.Level, s.Name))
		case seen[s.Name]:
			return desk.Invalid("skills", fmt.Sprintf("%q twice", s.Name))
		}
		seen[s.Name] = true
	}
	return nil
}

// skills returns the skills of each agent, by name. For more than one
// agent it reads the whole (small) table, as teamIDs does.
func (o ops) skills(ctx context.Context, agentIDs []int64) (map[int64][]desk.Skill, error) {
	out := map[int64][]desk.Skill{}
	if len(agentIDs) == 0 {
		return out, nil
	}
	var rows *sql.Rows
	var err error
	if len(agentIDs) == 1 {
		rows, err = o.read.QueryContext(ctx, `SELECT agent_id, name, level FROM agent_skills WHERE agent_id = ?
			ORDER BY name`, agentIDs[0])
	} else {
		rows, err = o.read.QueryContext(ctx, `SELECT agent_id, name, level FROM agent_skills ORDER BY agent_id, name`)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var s desk.Skill
		if err := rows.Scan(&id, &s.Name, &s.Level); err != nil {
			return nil, err
		}
		out[id] = append(out[id], s)
	}
	return out, rows.Err()
}

// SetAgentSkills replaces the agent's skills. A missing agent is
// ErrNotFound, a bad skill ErrInvalid; either way nothing is written.
func (o ops) SetAgentSkills(ctx context.Context, agentID int64, skills []desk.Skill) error {
	const op = "set agent skills"
	if err := checkSkills(skills); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	text := skillsText(skills)
	return o.write(ctx, func(q *txQuerier) error {
		var one int
		if err := q.QueryRowContext(ctx, `SELECT 1 FROM agents WHERE id = ?`, agentID).Scan(&one); err != nil {
			return wrap(op, err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM agent_skills WHERE agent_id = ?`, agentID); err != nil {
			return wrap(op, err)
		}
		_, err := q.ExecContext(ctx, `INSERT INTO agent_skills(agent_id, name, level)
			SELECT ?, value ->> 'name', value ->> 'level' FROM json_each(?)`, agentID, text)
		return wrap(op, err)
	})
}

const ruleCols = `id, name, position, enabled, categories, languages, channels, segments, min_priority,
	team_id, skills, priority, created_at, updated_at`

func scanRule(sc rowScanner, r *desk.RoutingRule) error {
	var enabled int
	var categories, languages, channels, segments, skills string
	var created, updated int64
	if err := sc.Scan(&r.ID, &r.Name, &r.Position, &enabled, &categories, &languages, &channels, &segments,
		&r.MinPriority, &r.TeamID, &skills, &r.Priority, &created, &updated); err != nil {
		return err
	}
	r.Enabled, r.CreatedAt, r.UpdatedAt = enabled != 0, fromMS(created), fromMS(updated)
	var err error
	if r.Categories, err = parseList[string](categories); err != nil {
		return err
	}
	if r.Languages, err = parseList[string](languages); err != nil {
		return err
	}
	if r.Channels, err = parseList[desk.ChannelKind](channels); err != nil {
		return err
	}
	if r.Segments, err = parseList[string](segments); err != nil {
		return err
	}
	r.Skills, err = parseSkills(skills)
	return err
}

// ListRoutingRules lists every rule, enabled or not, by position, then ID.
func (o ops) ListRoutingRules(ctx context.Context) ([]desk.RoutingRule, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT `+ruleCols+` FROM routing_rules ORDER BY position, id`)
	return collect("list routing rules", rows, err, scanRule)
}

// CreateRoutingRule stores a rule and sets ID, a zero CreatedAt to now and
// a zero UpdatedAt to CreatedAt. An unknown team is ErrNotFound.
func (o ops) CreateRoutingRule(ctx context.Context, r *desk.RoutingRule) error {
	r.CreatedAt = nowOr(r.CreatedAt)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO routing_rules(name, position, enabled, categories, languages,
			channels, segments, min_priority, team_id, skills, priority, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			r.Name, r.Position, boolInt(r.Enabled), stringsText(r.Categories), stringsText(r.Languages),
			stringsText(r.Channels), stringsText(r.Segments), r.MinPriority, r.TeamID, skillsText(r.Skills),
			r.Priority, ms(r.CreatedAt), ms(r.UpdatedAt)).Scan(&r.ID)
		return wrap("create routing rule", err)
	})
}

// UpdateRoutingRule writes every field but ID and CreatedAt, and sets
// UpdatedAt to now.
func (o ops) UpdateRoutingRule(ctx context.Context, r *desk.RoutingRule) error {
	r.UpdatedAt = nowOr(time.Time{})
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE routing_rules SET name = ?, position = ?, enabled = ?, categories = ?,
			languages = ?, channels = ?, segments = ?, min_priority = ?, team_id = ?, skills = ?, priority = ?,
			updated_at = ? WHERE id = ?`,
			r.Name, r.Position, boolInt(r.Enabled), stringsText(r.Categories), stringsText(r.Languages),
			stringsText(r.Channels), stringsText(r.Segments), r.MinPriority, r.TeamID, skillsText(r.Skills),
			r.Priority, ms(r.UpdatedAt), r.ID)
		return affected("update routing rule", res, err)
	})
}

func (o ops) DeleteRoutingRule(ctx context.Context, id int64) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM routing_rules WHERE id = ?`, id)
		return affected("delete routing rule", res, err)
	})
}

const policyCols = `id, name, position, enabled, priorities, channels, segments, first_response_ms,
	next_response_ms, resolution_ms, warn_at, business_hours, created_at, updated_at`

func scanPolicy(sc rowScanner, p *desk.SLAPolicy) error {
	var enabled, hours int
	var priorities, channels, segments string
	var first, next, resolution, created, updated int64
	if err := sc.Scan(&p.ID, &p.Name, &p.Position, &enabled, &priorities, &channels, &segments, &first, &next,
		&resolution, &p.WarnAt, &hours, &created, &updated); err != nil {
		return err
	}
	p.Enabled, p.BusinessHours = enabled != 0, hours != 0
	p.FirstResponse = time.Duration(first) * time.Millisecond
	p.NextResponse = time.Duration(next) * time.Millisecond
	p.Resolution = time.Duration(resolution) * time.Millisecond
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	var err error
	if p.Priorities, err = parseList[desk.Priority](priorities); err != nil {
		return err
	}
	if p.Channels, err = parseList[desk.ChannelKind](channels); err != nil {
		return err
	}
	p.Segments, err = parseList[string](segments)
	return err
}

// ListSLAPolicies lists every policy, enabled or not, by position, then ID.
func (o ops) ListSLAPolicies(ctx context.Context) ([]desk.SLAPolicy, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT `+policyCols+` FROM sla_policies ORDER BY position, id`)
	return collect("list sla policies", rows, err, scanPolicy)
}

// CreateSLAPolicy stores a policy and sets ID, a zero CreatedAt to now and
// a zero UpdatedAt to CreatedAt. Durations are kept in milliseconds.
func (o ops) CreateSLAPolicy(ctx context.Context, p *desk.SLAPolicy) error {
	p.CreatedAt = nowOr(p.CreatedAt)
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO sla_policies(name, position, enabled, priorities, channels,
			segments, first_response_ms, next_response_ms, resolution_ms, warn_at, business_hours, created_at,
			updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			p.Name, p.Position, boolInt(p.Enabled), stringsText(p.Priorities), stringsText(p.Channels),
			stringsText(p.Segments), p.FirstResponse.Milliseconds(), p.NextResponse.Milliseconds(),
			p.Resolution.Milliseconds(), p.WarnAt, boolInt(p.BusinessHours), ms(p.CreatedAt), ms(p.UpdatedAt)).Scan(&p.ID)
		return wrap("create sla policy", err)
	})
}

// UpdateSLAPolicy writes every field but ID and CreatedAt, and sets
// UpdatedAt to now.
func (o ops) UpdateSLAPolicy(ctx context.Context, p *desk.SLAPolicy) error {
	p.UpdatedAt = nowOr(time.Time{})
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE sla_policies SET name = ?, position = ?, enabled = ?, priorities = ?,
			channels = ?, segments = ?, first_response_ms = ?, next_response_ms = ?, resolution_ms = ?, warn_at = ?,
			business_hours = ?, updated_at = ? WHERE id = ?`,
			p.Name, p.Position, boolInt(p.Enabled), stringsText(p.Priorities), stringsText(p.Channels),
			stringsText(p.Segments), p.FirstResponse.Milliseconds(), p.NextResponse.Milliseconds(),
			p.Resolution.Milliseconds(), p.WarnAt, boolInt(p.BusinessHours), ms(p.UpdatedAt), p.ID)
		return affected("update sla policy", res, err)
	})
}

// DeleteSLAPolicy removes the policy and takes it off its conversations:
// their policy and due time are cleared, and a running or warning state
// with them; a breach stays on record.
func (o ops) DeleteSLAPolicy(ctx context.Context, id int64) error {
	const op = "delete sla policy"
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM sla_policies WHERE id = ?`, id)
		if err := affected(op, res, err); err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, `UPDATE conversations SET sla_policy_id = 0, sla_due_at = 0,
			sla_state = CASE sla_state WHEN 'breached' THEN sla_state ELSE '' END
			WHERE sla_policy_id = ?`, id)
		return wrap(op, err)
	})
}

// AssigneeLoad counts the open conversations of each assignee per channel
// (a range of conversations_assignee per agent).
func (o ops) AssigneeLoad(ctx context.Context) (map[int64]map[desk.ChannelKind]int, error) {
	const op = "assignee load"
	rows, err := o.read.QueryContext(ctx, `SELECT assignee_id, channel, COUNT(*) FROM conversations
		WHERE assignee_id <> 0 AND status <> 'resolved' GROUP BY assignee_id, channel`)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := map[int64]map[desk.ChannelKind]int{}
	for rows.Next() {
		var agent int64
		var ch desk.ChannelKind
		var n int
		if err := rows.Scan(&agent, &ch, &n); err != nil {
			return nil, wrap(op, err)
		}
		if out[agent] == nil {
			out[agent] = map[desk.ChannelKind]int{}
		}
		out[agent][ch] = n
	}
	return out, wrap(op, rows.Err())
}

// SLADue lists open conversations under a policy, earliest due first, then
// those with nothing due (by id); limit <= 0 is 100. Both halves are ranges of the partial
// index conversations_sla_due, whose condition the query repeats so that
// SQLite uses it; the outer sort only orders at most twice limit rows.
func (o ops) SLADue(ctx context.Context, limit int) ([]desk.Conversation, error) {
	if limit <= 0 {
		limit = 100
	}
	return o.conversations(ctx, "sla due", slaDueQuery, limit)
}

const slaDueQuery = `SELECT ` + convCols + ` FROM (
		SELECT * FROM (SELECT * FROM conversations
			WHERE sla_policy_id <> 0 AND status <> 'resolved' AND sla_due_at > 0
			ORDER BY sla_due_at, id LIMIT ?1)
		UNION ALL
		SELECT * FROM (SELECT * FROM conversations
			WHERE sla_policy_id <> 0 AND status <> 'resolved' AND sla_due_at = 0
			ORDER BY id LIMIT ?1))
	ORDER BY sla_due_at = 0, sla_due_at, id LIMIT ?1`
