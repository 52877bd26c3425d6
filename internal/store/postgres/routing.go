package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// Routing and service levels (desk.RoutingStore): routing rules, SLA
// policies, agents' skills, and the reads the router and the SLA sweep
// start from.

var _ desk.RoutingStore = (*Store)(nil)

// capacityText stores an agent's capacity as a JSON object; none is "".
func capacityText(c map[desk.ChannelKind]int) string {
	if len(c) == 0 {
		return ""
	}
	b, err := json.Marshal(c)
	if err != nil {
		// A map of strings to ints always marshals.
		panic(fmt.Sprintf("postgres: marshal capacity: %v", err))
	}
	return string(b)
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

// skillsJSON is what routing_rules.skills stores; never nil, so that it is
// an empty array rather than JSON null.
func skillsJSON(skills []desk.Skill) []skillJSON {
	out := make([]skillJSON, len(skills))
	for i, s := range skills {
		out[i] = skillJSON(s)
	}
	return out
}

func fromSkillsJSON(in []skillJSON) []desk.Skill {
	if len(in) == 0 {
		return nil
	}
	out := make([]desk.Skill, len(in))
	for i, s := range in {
		out[i] = desk.Skill(s)
	}
	return out
}

// texts converts a list of string kinds for a text[] column; never nil,
// so that it is stored as an empty array rather than NULL.
func texts[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

// fromTexts is the inverse of texts; an empty array is nil.
func fromTexts[T ~string](in []string) []T {
	if len(in) == 0 {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = T(v)
	}
	return out
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

// SetAgentSkills replaces the agent's skills in one transaction, the agent
// row locked (as setAgentTeams does). A missing agent is ErrNotFound, a bad
// skill ErrInvalid; either way nothing is written.
func (s *Store) SetAgentSkills(ctx context.Context, agentID int64, skills []desk.Skill) error {
	const op = "set agent skills"
	if err := checkSkills(skills); err != nil {
		return wrap(op, err)
	}
	names, levels := make([]string, len(skills)), make([]int32, len(skills))
	for i, sk := range skills {
		names[i], levels[i] = sk.Name, int32(sk.Level)
	}
	err := s.atomically(ctx, func(s *Store) error {
		var id int64
		if err := s.q.QueryRow(ctx, `SELECT id FROM agents WHERE id = $1 FOR UPDATE`, agentID).Scan(&id); err != nil {
			return err
		}
		if _, err := s.q.Exec(ctx, `DELETE FROM agent_skills WHERE agent_id = $1`, agentID); err != nil {
			return err
		}
		if len(skills) == 0 {
			return nil
		}
		_, err := s.q.Exec(ctx, `INSERT INTO agent_skills (agent_id, name, level)
			SELECT $1, n, l FROM unnest($2::text[], $3::integer[]) AS k (n, l)`, agentID, names, levels)
		return err
	})
	return wrap(op, err)
}

const ruleColumns = `id, name, position, enabled, categories, languages, channels, segments, min_priority,
	COALESCE(team_id, 0), skills, priority, created_at, updated_at`

func scanRule(row pgx.Row) (desk.RoutingRule, error) {
	var r desk.RoutingRule
	var channels []string
	var skills []skillJSON
	err := row.Scan(&r.ID, &r.Name, &r.Position, &r.Enabled, &r.Categories, &r.Languages, &channels, &r.Segments,
		&r.MinPriority, &r.TeamID, &skills, &r.Priority, &r.CreatedAt, &r.UpdatedAt)
	r.Categories, r.Languages, r.Segments = fromTexts[string](r.Categories), fromTexts[string](r.Languages),
		fromTexts[string](r.Segments)
	r.Channels, r.Skills = fromTexts[desk.ChannelKind](channels), fromSkillsJSON(skills)
	return r, err
}

// ListRoutingRules lists every rule, enabled or not, by position, then ID.
func (s *Store) ListRoutingRules(ctx context.Context) ([]desk.RoutingRule, error) {
	rows, err := s.q.Query(ctx, `SELECT `+ruleColumns+` FROM routing_rules ORDER BY position, id`)
	if err != nil {
		return nil, wrap("list routing rules", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.RoutingRule, error) { return scanRule(row) })
	return out, wrap("list routing rules", err)
}

// CreateRoutingRule stores a rule and sets ID, a zero CreatedAt to now and
// a zero UpdatedAt to CreatedAt. An unknown team is ErrNotFound.
func (s *Store) CreateRoutingRule(ctx context.Context, r *desk.RoutingRule) error {
	r.CreatedAt = orNow(r.CreatedAt)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	r.UpdatedAt = ts(r.UpdatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `INSERT INTO routing_rules (name, position, enabled, categories, languages,
				channels, segments, min_priority, team_id, skills, priority, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			r.Name, r.Position, r.Enabled, texts(r.Categories), texts(r.Languages), texts(r.Channels),
			texts(r.Segments), r.MinPriority, nullID(r.TeamID), skillsJSON(r.Skills), r.Priority,
			r.CreatedAt, r.UpdatedAt).Scan(&r.ID)
	})
	return wrap("create routing rule", err)
}

// UpdateRoutingRule writes every field but ID and CreatedAt, and sets
// UpdatedAt to now.
func (s *Store) UpdateRoutingRule(ctx context.Context, r *desk.RoutingRule) error {
	r.UpdatedAt = now()
	err := s.guarded(ctx, func(s *Store) error {
		return affected(s.q.Exec(ctx, `UPDATE routing_rules SET name = $2, position = $3, enabled = $4,
				categories = $5, languages = $6, channels = $7, segments = $8, min_priority = $9, team_id = $10,
				skills = $11, priority = $12, updated_at = $13 WHERE id = $1`,
			r.ID, r.Name, r.Position, r.Enabled, texts(r.Categories), texts(r.Languages), texts(r.Channels),
			texts(r.Segments), r.MinPriority, nullID(r.TeamID), skillsJSON(r.Skills), r.Priority, r.UpdatedAt))
	})
	return wrap("update routing rule", err)
}

func (s *Store) DeleteRoutingRule(ctx context.Context, id int64) error {
	return wrap("delete routing rule", affected(s.q.Exec(ctx, `DELETE FROM routing_rules WHERE id = $1`, id)))
}

const policyColumns = `id, name, position, enabled, priorities, channels, segments, first_response_ms,
	next_response_ms, resolution_ms, warn_at, business_hours, created_at, updated_at`

func scanPolicy(row pgx.Row) (desk.SLAPolicy, error) {
	var p desk.SLAPolicy
	var priorities, channels []string
	var first, next, resolution int64
	err := row.Scan(&p.ID, &p.Name, &p.Position, &p.Enabled, &priorities, &channels, &p.Segments, &first, &next,
		&resolution, &p.WarnAt, &p.BusinessHours, &p.CreatedAt, &p.UpdatedAt)
	p.Priorities, p.Channels = fromTexts[desk.Priority](priorities), fromTexts[desk.ChannelKind](channels)
	p.Segments = fromTexts[string](p.Segments)
	p.FirstResponse = time.Duration(first) * time.Millisecond
	p.NextResponse = time.Duration(next) * time.Millisecond
	p.Resolution = time.Duration(resolution) * time.Millisecond
	return p, err
}

// ListSLAPolicies lists every policy, enabled or not, by position, then ID.
func (s *Store) ListSLAPolicies(ctx context.Context) ([]desk.SLAPolicy, error) {
	rows, err := s.q.Query(ctx, `SELECT `+policyColumns+` FROM sla_policies ORDER BY position, id`)
	if err != nil {
		return nil, wrap("list sla policies", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.SLAPolicy, error) { return scanPolicy(row) })
	return out, wrap("list sla policies", err)
}

// CreateSLAPolicy stores a policy and sets ID, a zero CreatedAt to now and
// a zero UpdatedAt to CreatedAt. Durations are kept in milliseconds.
func (s *Store) CreateSLAPolicy(ctx context.Context, p *desk.SLAPolicy) error {
	p.CreatedAt = orNow(p.CreatedAt)
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	p.UpdatedAt = ts(p.UpdatedAt)
	err := s.q.QueryRow(ctx, `INSERT INTO sla_policies (name, position, enabled, priorities, channels, segments,
			first_response_ms, next_response_ms, resolution_ms, warn_at, business_hours, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		p.Name, p.Position, p.Enabled, texts(p.Priorities), texts(p.Channels), texts(p.Segments),
		p.FirstResponse.Milliseconds(), p.NextResponse.Milliseconds(), p.Resolution.Milliseconds(), p.WarnAt,
		p.BusinessHours, p.CreatedAt, p.UpdatedAt).Scan(&p.ID)
	return wrap("create sla policy", err)
}

// UpdateSLAPolicy writes every field but ID and CreatedAt, and sets
// UpdatedAt to now.
func (s *Store) UpdateSLAPolicy(ctx context.Context, p *desk.SLAPolicy) error {
	p.UpdatedAt = now()
	err := affected(s.q.Exec(ctx, `UPDATE sla_policies SET name = $2, position = $3, enabled = $4, priorities = $5,
			channels = $6, segments = $7, first_response_ms = $8, next_response_ms = $9, resolution_ms = $10,
			warn_at = $11, business_hours = $12, updated_at = $13 WHERE id = $1`,
		p.ID, p.Name, p.Position, p.Enabled, texts(p.Priorities), texts(p.Channels), texts(p.Segments),
		p.FirstResponse.Milliseconds(), p.NextResponse.Milliseconds(), p.Resolution.Milliseconds(), p.WarnAt,
		p.BusinessHours, p.UpdatedAt))
	return wrap("update sla policy", err)
}

// DeleteSLAPolicy removes the policy and takes it off its conversations:
// their policy and due time are cleared, and a running or warning state
// with them; a breach stays on record.
func (s *Store) DeleteSLAPolicy(ctx context.Context, id int64) error {
	err := s.atomically(ctx, func(s *Store) error {
		if err := affected(s.q.Exec(ctx, `DELETE FROM sla_policies WHERE id = $1`, id)); err != nil {
			return err
		}
		_, err := s.q.Exec(ctx, `UPDATE conversations SET sla_policy_id = 0, sla_due_at = NULL,
			sla_state = CASE sla_state WHEN 'breached' THEN sla_state ELSE '' END
			WHERE sla_policy_id = $1`, id)
		return err
	})
	return wrap("delete sla policy", err)
}

// AssigneeLoad counts the open conversations of each assignee per channel.
func (s *Store) AssigneeLoad(ctx context.Context) (map[int64]map[desk.ChannelKind]int, error) {
	const op = "assignee load"
	rows, err := s.q.Query(ctx, `SELECT assignee_id, channel, count(*) FROM conversations
		WHERE assignee_id IS NOT NULL AND status <> 'resolved' GROUP BY assignee_id, channel`)
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

// SLADue lists open conversations under a policy, earliest due first, those
// with nothing due (NULL sorts last) after them, ties by id; limit <= 0 is
// 100. The order is conversations_sla_due_idx's, so this is a short range
// scan of it.
func (s *Store) SLADue(ctx context.Context, limit int) ([]desk.Conversation, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.queryConversations(ctx, "sla due", false, `SELECT `+conversationColumns+` FROM conversations c
		WHERE c.sla_policy_id <> 0 AND c.status <> 'resolved'
		ORDER BY c.sla_due_at, c.id LIMIT $1`, limit)
}
