package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// atomically runs fn in a transaction, for methods that take more than one
// statement. Inside InTx it is a savepoint, like guarded.
func (s *Store) atomically(ctx context.Context, fn func(s *Store) error) error {
	return s.InTx(ctx, func(tx desk.Store) error { return fn(tx.(*Store)) })
}

// guarded runs fn, a write that may break a constraint, so that the error
// leaves the caller's transaction usable: inside InTx it runs in a
// savepoint (PostgreSQL aborts the whole transaction on an error, and
// callers handle ErrConflict and go on); outside, a single statement needs
// nothing.
func (s *Store) guarded(ctx context.Context, fn func(s *Store) error) error {
	if s.tx == nil {
		return fn(s)
	}
	return s.atomically(ctx, fn)
}

// agentColumns reads an agent with its teams and skills (names and levels
// as two arrays in name order) in the same row.
const agentColumns = `a.id, a.email, a.name, a.role, a.locale, a.password_hash, a.availability,
	a.disabled, a.created_at, a.updated_at, a.capacity,
	ARRAY(SELECT t.team_id FROM agent_teams t WHERE t.agent_id = a.id ORDER BY t.team_id),
	ARRAY(SELECT k.name FROM agent_skills k WHERE k.agent_id = a.id ORDER BY k.name),
	ARRAY(SELECT k.level FROM agent_skills k WHERE k.agent_id = a.id ORDER BY k.name)`

func scanAgent(row pgx.Row) (desk.Agent, error) {
	var a desk.Agent
	var capacity string
	var skillNames []string
	var skillLevels []int
	if err := row.Scan(&a.ID, &a.Email, &a.Name, &a.Role, &a.Locale, &a.PasswordHash, &a.Availability,
		&a.Disabled, &a.CreatedAt, &a.UpdatedAt, &capacity, &a.TeamIDs, &skillNames, &skillLevels); err != nil {
		return a, err
	}
	if len(a.TeamIDs) == 0 {
		a.TeamIDs = nil
	}
	if len(skillNames) != len(skillLevels) {
		return a, fmt.Errorf("skills of agent %d: %d names, %d levels", a.ID, len(skillNames), len(skillLevels))
	}
	for i, n := range skillNames {
		a.Skills = append(a.Skills, desk.Skill{Name: n, Level: skillLevels[i]})
	}
	var err error
	a.Capacity, err = parseCapacity(capacity)
	return a, err
}

func (s *Store) queryAgents(ctx context.Context, op, sql string, args ...any) ([]desk.Agent, error) {
	rows, err := s.q.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.Agent
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, a)
	}
	return out, wrap(op, rows.Err())
}

// CreateAgent stores a new agent with its teams and sets ID and CreatedAt.
// An email already in use, in any case, is ErrConflict.
func (s *Store) CreateAgent(ctx context.Context, a *desk.Agent) error {
	a.CreatedAt = orNow(a.CreatedAt)
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	a.UpdatedAt = ts(a.UpdatedAt)
	run := s.guarded
	if len(a.TeamIDs) > 0 {
		run = s.atomically
	}
	err := run(ctx, func(s *Store) error {
		err := s.q.QueryRow(ctx, `INSERT INTO agents
			(email, name, role, locale, password_hash, availability, disabled, created_at, updated_at, capacity)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			a.Email, a.Name, a.Role, a.Locale, a.PasswordHash, a.Availability, a.Disabled, a.CreatedAt, a.UpdatedAt,
			capacityText(a.Capacity),
		).Scan(&a.ID)
		if err != nil || len(a.TeamIDs) == 0 {
			return err
		}
		return s.setAgentTeams(ctx, a.ID, a.TeamIDs)
	})
	return wrap("create agent", err)
}

// UpdateAgent writes name, role, locale, password, availability, disabled
// and capacity.
func (s *Store) UpdateAgent(ctx context.Context, a *desk.Agent) error {
	a.UpdatedAt = orNow(a.UpdatedAt)
	err := affected(s.q.Exec(ctx, `UPDATE agents SET name = $2, role = $3, locale = $4,
		password_hash = $5, availability = $6, disabled = $7, updated_at = $8, capacity = $9 WHERE id = $1`,
		a.ID, a.Name, a.Role, a.Locale, a.PasswordHash, a.Availability, a.Disabled, a.UpdatedAt,
		capacityText(a.Capacity)))
	return wrap("update agent", err)
}

// AgentByID returns the agent with its team ids.
func (s *Store) AgentByID(ctx context.Context, id int64) (*desk.Agent, error) {
	a, err := scanAgent(s.q.QueryRow(ctx, `SELECT `+agentColumns+` FROM agents a WHERE a.id = $1`, id))
	if err != nil {
		return nil, wrap("agent by id", err)
	}
	return &a, nil
}

// AgentByEmail finds an agent by email, ignoring case.
func (s *Store) AgentByEmail(ctx context.Context, email string) (*desk.Agent, error) {
	a, err := scanAgent(s.q.QueryRow(ctx,
		`SELECT `+agentColumns+` FROM agents a WHERE lower(a.email) = lower($1)`, email))
	if err != nil {
		return nil, wrap("agent by email", err)
	}
	return &a, nil
}

// ListAgents returns all agents by name.
func (s *Store) ListAgents(ctx context.Context) ([]desk.Agent, error) {
	return s.queryAgents(ctx, "list agents",
		`SELECT `+agentColumns+` FROM agents a ORDER BY lower(a.name), a.name, a.id`)
}

// SetAgentTeams replaces the agent's team memberships.
func (s *Store) SetAgentTeams(ctx context.Context, agentID int64, teamIDs []int64) error {
	err := s.atomically(ctx, func(s *Store) error { return s.setAgentTeams(ctx, agentID, teamIDs) })
	return wrap("set agent teams", err)
}

func (s *Store) setAgentTeams(ctx context.Context, agentID int64, teamIDs []int64) error {
	// Locking the agent row serialises concurrent replacements and tells a
	// missing agent apart.
	var id int64
	if err := s.q.QueryRow(ctx, `SELECT id FROM agents WHERE id = $1 FOR UPDATE`, agentID).Scan(&id); err != nil {
		return err
	}
	if _, err := s.q.Exec(ctx, `DELETE FROM agent_teams WHERE agent_id = $1`, agentID); err != nil {
		return err
	}
	if len(teamIDs) == 0 {
		return nil
	}
	_, err := s.q.Exec(ctx, `INSERT INTO agent_teams (agent_id, team_id)
		SELECT $1, t FROM unnest($2::bigint[]) AS t ON CONFLICT DO NOTHING`, agentID, teamIDs)
	return err
}

// CreateTeam stores a new team and sets ID and CreatedAt.
func (s *Store) CreateTeam(ctx context.Context, t *desk.Team) error {
	t.CreatedAt = orNow(t.CreatedAt)
	err := s.q.QueryRow(ctx, `INSERT INTO teams (name, description, mode, settings, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		t.Name, t.Description, t.Mode, nonNil(t.Settings), t.CreatedAt).Scan(&t.ID)
	return wrap("create team", err)
}

// UpdateTeam writes name, description, mode and settings.
func (s *Store) UpdateTeam(ctx context.Context, t *desk.Team) error {
	err := affected(s.q.Exec(ctx, `UPDATE teams SET name = $2, description = $3, mode = $4, settings = $5
		WHERE id = $1`, t.ID, t.Name, t.Description, t.Mode, nonNil(t.Settings)))
	return wrap("update team", err)
}

// DeleteTeam removes a team. The foreign keys clear it from conversations,
// inboxes and routing rules and drop its memberships.
func (s *Store) DeleteTeam(ctx context.Context, id int64) error {
	return wrap("delete team", affected(s.q.Exec(ctx, `DELETE FROM teams WHERE id = $1`, id)))
}

const teamColumns = `id, name, description, mode, settings, created_at`

func scanTeam(row pgx.Row) (desk.Team, error) {
	var t desk.Team
	err := row.Scan(&t.ID, &t.Name, &t.Description, &t.Mode, &t.Settings, &t.CreatedAt)
	if len(t.Settings) == 0 {
		t.Settings = nil
	}
	return t, err
}

// TeamByID returns one team.
func (s *Store) TeamByID(ctx context.Context, id int64) (*desk.Team, error) {
	t, err := scanTeam(s.q.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("team by id", err)
	}
	return &t, nil
}

// ListTeams returns all teams by name.
func (s *Store) ListTeams(ctx context.Context) ([]desk.Team, error) {
	rows, err := s.q.Query(ctx, `SELECT `+teamColumns+` FROM teams ORDER BY lower(name), name, id`)
	if err != nil {
		return nil, wrap("list teams", err)
	}
	defer rows.Close()
	var out []desk.Team
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return nil, wrap("list teams", err)
		}
		out = append(out, t)
	}
	return out, wrap("list teams", rows.Err())
}

// SetTeamMembers replaces the team's members: the team row is locked, the
// agents checked, then the memberships changed, all in one transaction.
func (s *Store) SetTeamMembers(ctx context.Context, teamID int64, agentIDs []int64) error {
	agentIDs = slices.Clone(agentIDs)
	slices.Sort(agentIDs)
	agentIDs = slices.Compact(agentIDs)
	if agentIDs == nil {
		agentIDs = []int64{} // an empty array, not NULL
	}
	err := s.atomically(ctx, func(s *Store) error {
		var id int64
		if err := s.q.QueryRow(ctx, `SELECT id FROM teams WHERE id = $1 FOR UPDATE`, teamID).Scan(&id); err != nil {
			return err
		}
		var known int
		if err := s.q.QueryRow(ctx, `SELECT count(*) FROM agents WHERE id = ANY ($1::bigint[])`, agentIDs).Scan(&known); err != nil {
			return err
		}
		if known != len(agentIDs) {
			return desk.Invalid("agents", "unknown agent")
		}
		if _, err := s.q.Exec(ctx, `DELETE FROM agent_teams WHERE team_id = $1 AND NOT (agent_id = ANY ($2::bigint[]))`,
			teamID, agentIDs); err != nil {
			return err
		}
		_, err := s.q.Exec(ctx, `INSERT INTO agent_teams (agent_id, team_id)
			SELECT a, $1 FROM unnest($2::bigint[]) AS a ON CONFLICT DO NOTHING`, teamID, agentIDs)
		return err
	})
	return wrap("set team members", err)
}

// TeamMembers returns the agents of a team by name.
func (s *Store) TeamMembers(ctx context.Context, teamID int64) ([]desk.Agent, error) {
	return s.queryAgents(ctx, "team members", `SELECT `+agentColumns+` FROM agents a
		JOIN agent_teams m ON m.agent_id = a.id AND m.team_id = $1
		ORDER BY lower(a.name), a.name, a.id`, teamID)
}
