package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// AgentStore is what managing agents needs.
type AgentStore interface {
	CreateAgent(ctx context.Context, a *desk.Agent) error
	UpdateAgent(ctx context.Context, a *desk.Agent) error
	AgentByID(ctx context.Context, id int64) (*desk.Agent, error)
	DeleteAgentSessions(ctx context.Context, agentID int64, exceptID string) error
}

// Agents creates and changes agents: it validates fields, hashes passwords
// and drops cached credentials of agents that were disabled or demoted.
type Agents struct {
	st   AgentStore
	auth *Service
}

// NewAgents returns the agent manager.
func NewAgents(st AgentStore, s *Service) *Agents { return &Agents{st: st, auth: s} }

// AgentChange lists the fields to change; nil fields stay.
type AgentChange struct {
	Name         *string
	Role         *desk.Role
	Locale       *string
	Password     *string
	Availability *desk.Availability
	Disabled     *bool
}

// Create adds an agent.
func (m *Agents) Create(ctx context.Context, email, name string, role desk.Role, locale, password string) (*desk.Agent, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 || len(email) > 254 || strings.ContainsAny(email, " <>\"") {
		return nil, desk.Invalid("email", "not an email address")
	}
	if role == "" {
		role = desk.RoleAgent
	}
	if !role.Valid() {
		return nil, desk.Invalid("role", "must be admin, supervisor or agent")
	}
	if locale == "" {
		locale = "nl"
	}
	if locale != "nl" && locale != "en" {
		return nil, desk.Invalid("locale", "must be nl or en")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = email[:strings.IndexByte(email, '@')]
	}
	if len(name) > 100 {
		return nil, desk.Invalid("name", "at most 100 characters")
	}
	if err := ValidatePassword(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	a := &desk.Agent{Email: email, Name: name, Role: role, Locale: locale, PasswordHash: hash, Availability: desk.Offline}
	if err := m.st.CreateAgent(ctx, a); err != nil {
		return nil, fmt.Errorf("auth: create agent %s: %w", email, err)
	}
	return a, nil
}

// Update changes an agent. A new password, or disabling the agent, ends the
// agent's sessions, except the session of the request in ctx when it is the
// agent's own (changing one's own password does not sign one out).
func (m *Agents) Update(ctx context.Context, id int64, ch AgentChange) (*desk.Agent, error) {
	a, err := m.st.AgentByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("auth: agent %d: %w", id, err)
	}
	if ch.Name != nil {
		n := strings.TrimSpace(*ch.Name)
		if n == "" || len(n) > 100 {
			return nil, desk.Invalid("name", "1 to 100 characters")
		}
		a.Name = n
	}
	if ch.Role != nil {
		if !ch.Role.Valid() {
			return nil, desk.Invalid("role", "must be admin, supervisor or agent")
		}
		a.Role = *ch.Role
	}
	if ch.Locale != nil {
		if *ch.Locale != "nl" && *ch.Locale != "en" {
			return nil, desk.Invalid("locale", "must be nl or en")
		}
		a.Locale = *ch.Locale
	}
	if ch.Availability != nil {
		switch *ch.Availability {
		case desk.Online, desk.Away, desk.Offline:
			a.Availability = *ch.Availability
		default:
			return nil, desk.Invalid("availability", "must be online, away or offline")
		}
	}
	if ch.Disabled != nil {
		a.Disabled = *ch.Disabled
	}
	if ch.Password != nil {
		if err := ValidatePassword(*ch.Password); err != nil {
			return nil, err
		}
		h, err := HashPassword(*ch.Password)
		if err != nil {
			return nil, err
		}
		a.PasswordHash = h
	}
	if err := m.st.UpdateAgent(ctx, a); err != nil {
		return nil, fmt.Errorf("auth: update agent %d: %w", id, err)
	}
	switch {
	case ch.Disabled != nil && *ch.Disabled:
		// A disabled agent keeps no session, not even this one.
		err = m.st.DeleteAgentSessions(ctx, id, "")
	case ch.Password != nil:
		err = m.st.DeleteAgentSessions(ctx, id, ownSessionID(ctx, id))
	}
	if err != nil {
		return nil, fmt.Errorf("auth: update agent %d: end sessions: %w", id, err)
	}
	if m.auth != nil {
		m.auth.InvalidateAgent(id)
	}
	return a, nil
}
