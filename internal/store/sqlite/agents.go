package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

const agentCols = `id, email, name, role, locale, password_hash, availability, disabled, created_at, updated_at, capacity`

func scanAgent(sc interface{ Scan(...any) error }, a *desk.Agent) error {
	var created, updated int64
	var disabled int
	var capacity string
	if err := sc.Scan(&a.ID, &a.Email, &a.Name, &a.Role, &a.Locale, &a.PasswordHash, &a.Availability, &disabled,
		&created, &updated, &capacity); err != nil {
		return err
	}
	a.Disabled, a.CreatedAt, a.UpdatedAt = disabled != 0, fromMS(created), fromMS(updated)
	var err error
	a.Capacity, err = parseCapacity(capacity)
	return err
}

func (o ops) CreateAgent(ctx context.Context, a *desk.Agent) error {
	a.CreatedAt = nowOr(a.CreatedAt)
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO agents(email, email_key, name, role, locale, password_hash,
			availability, disabled, created_at, updated_at, capacity) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			a.Email, emailKey(a.Email), a.Name, a.Role, a.Locale, a.PasswordHash, a.Availability,
			boolInt(a.Disabled), ms(a.CreatedAt), ms(a.UpdatedAt), capacityText(a.Capacity)).Scan(&a.ID)
		return wrap("create agent", err)
	})
}

func (o ops) UpdateAgent(ctx context.Context, a *desk.Agent) error {
	a.UpdatedAt = nowOr(a.UpdatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE agents SET name = ?, role = ?, locale = ?, password_hash = ?,
			availability = ?, disabled = ?, updated_at = ?, capacity = ? WHERE id = ?`,
			a.Name, a.Role, a.Locale, a.PasswordHash, a.Availability, boolInt(a.Disabled), ms(a.UpdatedAt),
			capacityText(a.Capacity), a.ID)
		return affected("update agent", res, err)
	})
}

func (o ops) AgentByID(ctx context.Context, id int64) (*desk.Agent, error) {
	return o.agentWhere(ctx, "agent by id", `id = ?`, id)
}

func (o ops) AgentByEmail(ctx context.Context, email string) (*desk.Agent, error) {
	return o.agentWhere(ctx, "agent by email", `email_key = ?`, emailKey(email))
}

func (o ops) agentWhere(ctx context.Context, op, where string, arg any) (*desk.Agent, error) {
	var a desk.Agent
	if err := scanAgent(o.read.QueryRowContext(ctx, `SELECT `+agentCols+` FROM agents WHERE `+where, arg), &a); err != nil {
		return nil, wrap(op, err)
	}
	teams, err := o.teamIDs(ctx, []int64{a.ID})
	if err != nil {
		return nil, wrap(op, err)
	}
	a.TeamIDs = teams[a.ID]
	skills, err := o.skills(ctx, []int64{a.ID})
	if err != nil {
		return nil, wrap(op, err)
	}
	a.Skills = skills[a.ID]
	return &a, nil
}

func (o ops) ListAgents(ctx context.Context) ([]desk.Agent, error) {
	return o.listAgents(ctx, "list agents", `SELECT `+agentCols+` FROM agents ORDER BY name, id`)
}

func (o ops) TeamMembers(ctx context.Context, teamID int64) ([]desk.Agent, error) {
	return o.listAgents(ctx, "team members", `SELECT `+agentCols+` FROM agents
		WHERE id IN (SELECT agent_id FROM agent_teams WHERE team_id = ?) ORDER BY name, id`, teamID)
}

func (o ops) listAgents(ctx context.Context, op, query string, args ...any) ([]desk.Agent, error) {
	rows, err := o.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.Agent
	for rows.Next() {
		var a desk.Agent
		if err := scanAgent(rows, &a); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	rows.Close()
	agentIDs := make([]int64, len(out))
	for i := range out {
		agentIDs[i] = out[i].ID
	}
	teams, err := o.teamIDs(ctx, agentIDs)
	if err != nil {
		return nil, wrap(op, err)
	}
	skills, err := o.skills(ctx, agentIDs)
	if err != nil {
		return nil, wrap(op, err)
	}
	for i := range out {
		out[i].TeamIDs = teams[out[i].ID]
		out[i].Skills = skills[out[i].ID]
	}
	return out, nil
}

// teamIDs returns the teams of each agent, in team id order.
func (o ops) teamIDs(ctx context.Context, agentIDs []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(agentIDs) == 0 {
		return out, nil
	}
	var rows *sql.Rows
	var err error
	if len(agentIDs) == 1 {
		rows, err = o.read.QueryContext(ctx, `SELECT agent_id, team_id FROM agent_teams WHERE agent_id = ? ORDER BY team_id`, agentIDs[0])
	} else {
		rows, err = o.read.QueryContext(ctx, `SELECT agent_id, team_id FROM agent_teams ORDER BY agent_id, team_id`)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a, t int64
		if err := rows.Scan(&a, &t); err != nil {
			return nil, err
		}
		out[a] = append(out[a], t)
	}
	return out, rows.Err()
}

func (o ops) SetAgentTeams(ctx context.Context, agentID int64, teamIDs []int64) error {
	teamIDs = slices.Clone(teamIDs)
	slices.Sort(teamIDs)
	teamIDs = slices.Compact(teamIDs)
	return o.write(ctx, func(q *txQuerier) error {
		var one int
		if err := q.QueryRowContext(ctx, `SELECT 1 FROM agents WHERE id = ?`, agentID).Scan(&one); err != nil {
			return wrap("set agent teams", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM agent_teams WHERE agent_id = ?`, agentID); err != nil {
			return wrap("set agent teams", err)
		}
		for _, t := range teamIDs {
			if _, err := q.ExecContext(ctx, `INSERT INTO agent_teams(agent_id, team_id) VALUES (?, ?)`, agentID, t); err != nil {
				return wrap("set agent teams", err)
			}
		}
		return nil
	})
}

// SetTeamMembers replaces the team's members. Everything is checked before
// the first write, so a failure inside a caller's transaction leaves nothing
// half-done.
func (o ops) SetTeamMembers(ctx context.Context, teamID int64, agentIDs []int64) error {
	agentIDs = slices.Clone(agentIDs)
	slices.Sort(agentIDs)
	agentIDs = slices.Compact(agentIDs)
	members := idsJSON(agentIDs)
	return o.write(ctx, func(q *txQuerier) error {
		var one int
		if err := q.QueryRowContext(ctx, `SELECT 1 FROM teams WHERE id = ?`, teamID).Scan(&one); err != nil {
			return wrap("set team members", err)
		}
		var known int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM agents WHERE id IN (SELECT value FROM json_each(?))`,
			members).Scan(&known); err != nil {
			return wrap("set team members", err)
		}
		if known != len(agentIDs) {
			return fmt.Errorf("sqlite: set team members: %w", desk.Invalid("agents", "unknown agent"))
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM agent_teams WHERE team_id = ?
			AND agent_id NOT IN (SELECT value FROM json_each(?))`, teamID, members); err != nil {
			return wrap("set team members", err)
		}
		_, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO agent_teams(agent_id, team_id)
			SELECT value, ? FROM json_each(?)`, teamID, members)
		return wrap("set team members", err)
	})
}

func (o ops) CreateTeam(ctx context.Context, t *desk.Team) error {
	t.CreatedAt = nowOr(t.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO teams(name, description, mode, settings, created_at)
			VALUES (?,?,?,?,?) RETURNING id`,
			t.Name, t.Description, t.Mode, mapText(t.Settings), ms(t.CreatedAt)).Scan(&t.ID)
		return wrap("create team", err)
	})
}

func (o ops) UpdateTeam(ctx context.Context, t *desk.Team) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE teams SET name = ?, description = ?, mode = ?, settings = ? WHERE id = ?`,
			t.Name, t.Description, t.Mode, mapText(t.Settings), t.ID)
		return affected("update team", res, err)
	})
}

// DeleteTeam removes the team; memberships go with it (cascade), and
// conversations, inboxes and routing rules that pointed at it keep no team.
func (o ops) DeleteTeam(ctx context.Context, id int64) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM teams WHERE id = ?`, id)
		if err := affected("delete team", res, err); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `UPDATE conversations SET team_id = 0 WHERE team_id = ?`, id); err != nil {
			return wrap("delete team", err)
		}
		if _, err := q.ExecContext(ctx, `UPDATE inboxes SET team_id = 0 WHERE team_id = ?`, id); err != nil {
			return wrap("delete team", err)
		}
		if _, err := q.ExecContext(ctx, `UPDATE routing_rules SET team_id = 0 WHERE team_id = ?`, id); err != nil {
			return wrap("delete team", err)
		}
		return nil
	})
}

const teamCols = `id, name, description, mode, settings, created_at`

func scanTeam(sc interface{ Scan(...any) error }, t *desk.Team) error {
	var settings string
	var created int64
	if err := sc.Scan(&t.ID, &t.Name, &t.Description, &t.Mode, &settings, &created); err != nil {
		return err
	}
	t.CreatedAt = fromMS(created)
	var err error
	t.Settings, err = parseMap(settings)
	return err
}

func (o ops) TeamByID(ctx context.Context, id int64) (*desk.Team, error) {
	var t desk.Team
	if err := scanTeam(o.read.QueryRowContext(ctx, `SELECT `+teamCols+` FROM teams WHERE id = ?`, id), &t); err != nil {
		return nil, wrap("team by id", err)
	}
	return &t, nil
}

func (o ops) ListTeams(ctx context.Context) ([]desk.Team, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT `+teamCols+` FROM teams ORDER BY name, id`)
	if err != nil {
		return nil, wrap("list teams", err)
	}
	defer rows.Close()
	var out []desk.Team
	for rows.Next() {
		var t desk.Team
		if err := scanTeam(rows, &t); err != nil {
			return nil, wrap("list teams", err)
		}
		out = append(out, t)
	}
	return out, wrap("list teams", rows.Err())
}

// idsJSON renders ids as a JSON array for `IN (SELECT value FROM
// json_each(?))`, which keeps the statement text (and so the prepared
// statement) the same whatever the number of ids.
func idsJSON(ids []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte(']')
	return b.String()
}
