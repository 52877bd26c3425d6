package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

// may reports whether the agent may make an admin change needing p; the
// pages use it to hide forms, the handlers to refuse.
func (q *req) may(p auth.Permission) bool { return auth.Allowed(q.agent.Role, p) }

// refuse answers a POST the agent's role does not allow.
func (h *Handler) refuse(q *req) { h.errorPage(q.w, q.r, q.locale, q, http.StatusForbidden) }

type overviewData struct {
	Open, Unassigned, Agents, Teams, Inboxes int
}

func (h *Handler) adminOverview(q *req) {
	ctx := q.r.Context()
	var d overviewData
	var err error
	if d.Open, err = h.d.Store.CountConversations(ctx, desk.ConversationQuery{View: desk.ViewAll, Status: desk.StatusOpen}); err != nil {
		h.fail(q, err)
		return
	}
	if d.Unassigned, err = h.d.Store.CountConversations(ctx, desk.ConversationQuery{View: desk.ViewUnassigned, Status: desk.StatusOpen}); err != nil {
		h.fail(q, err)
		return
	}
	agents, err := h.d.Store.ListAgents(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	teams, err := h.d.Store.ListTeams(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	inboxes, err := h.d.Store.ListInboxes(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Agents, d.Teams, d.Inboxes = len(agents), len(teams), len(inboxes)
	h.render(q.w, q, http.StatusOK, "admin_overview", "admin", d)
}

// --- agents

type agentsData struct {
	Agents  []desk.Agent
	Teams   map[int64]string
	Roles   []desk.Role
	CanEdit bool
}

var roles = []desk.Role{desk.RoleAgent, desk.RoleSupervisor, desk.RoleAdmin}

func (h *Handler) adminAgents(q *req) {
	ctx := q.r.Context()
	agents, err := h.d.Store.ListAgents(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	n, err := h.names(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "admin_agents", "admin/agents",
		agentsData{Agents: agents, Teams: n.teams, Roles: roles, CanEdit: q.may(auth.AgentsManage)})
}

func (h *Handler) adminCreateAgent(q *req) {
	if !q.may(auth.AgentsManage) {
		h.refuse(q)
		return
	}
	const to = "/admin/agents"
	if h.d.Agents == nil {
		h.failed(q, to, desk.ErrForbidden)
		return
	}
	f := q.r.PostForm
	a, err := h.d.Agents.Create(q.r.Context(), f.Get("email"), f.Get("name"), desk.Role(f.Get("role")),
		f.Get("locale"), f.Get("password"))
	if err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, "/admin/agents/"+strconv.FormatInt(a.ID, 10), flash{Kind: "ok", Key: "flash.created"})
}

type agentData struct {
	A       *desk.Agent
	Teams   []desk.Team
	Roles   []desk.Role
	CanEdit bool
	Self    bool
}

func (h *Handler) adminAgent(q *req) {
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	a, err := h.d.Store.AgentByID(ctx, id)
	if err != nil {
		h.fail(q, err)
		return
	}
	teams, err := h.d.Store.ListTeams(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "admin_agent", "admin/agents",
		agentData{A: a, Teams: teams, Roles: roles, CanEdit: q.may(auth.AgentsManage), Self: a.ID == q.agent.ID})
}

// adminUpdateAgent saves an agent's profile and teams. The agent change goes
// first, through Agents and its rules; the teams, checked to exist, follow.
// The two are separate writes (Agents cannot join a store transaction), so
// when the team write fails the agent change is undone.
func (h *Handler) adminUpdateAgent(q *req) {
	if !q.may(auth.AgentsManage) {
		h.refuse(q)
		return
	}
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/admin/agents/" + strconv.FormatInt(id, 10)
	if h.d.Agents == nil {
		h.failed(q, to, desk.ErrForbidden)
		return
	}
	f := q.r.PostForm
	name, role, locale := f.Get("name"), desk.Role(f.Get("role")), f.Get("locale")
	disabled := f.Get("disabled") == "1"
	// Admins cannot lock themselves out.
	if id == q.agent.ID && (disabled || role != desk.RoleAdmin) {
		h.failed(q, to, desk.Invalid("role", "you cannot demote or disable yourself"))
		return
	}
	teamIDs, err := h.knownTeams(ctx, f["team"])
	if err != nil {
		h.failed(q, to, err)
		return
	}
	old, err := h.d.Store.AgentByID(ctx, id)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	a, err := h.d.Agents.Update(ctx, id, auth.AgentChange{Name: &name, Role: &role, Locale: &locale, Disabled: &disabled})
	if err != nil {
		h.failed(q, to, err)
		return
	}
	if !sameIDs(old.TeamIDs, teamIDs) {
		if err := h.d.Store.SetAgentTeams(ctx, id, teamIDs); err != nil {
			h.undoAgentChange(ctx, old)
			h.failed(q, to, err)
			return
		}
	}
	h.agentChanged(id)
	if a.Disabled && !old.Disabled && h.d.AgentSignedOut != nil {
		h.d.AgentSignedOut(id)
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}

// undoAgentChange restores the fields adminUpdateAgent changed, even when
// the request was cancelled meanwhile.
func (h *Handler) undoAgentChange(ctx context.Context, old *desk.Agent) {
	ctx = context.WithoutCancel(ctx)
	_, err := h.d.Agents.Update(ctx, old.ID, auth.AgentChange{Name: &old.Name, Role: &old.Role,
		Locale: &old.Locale, Disabled: &old.Disabled})
	if err != nil {
		h.log.Error("web: undo agent change after a failed team change", "agent", old.ID, "err", err)
	}
	h.agentChanged(old.ID)
}

// knownTeams parses the team ids of a form and checks that each exists, so
// that the team write after an agent change fails only on a store fault.
func (h *Handler) knownTeams(ctx context.Context, vals []string) ([]int64, error) {
	ids, err := formIDs(vals)
	if err != nil {
		return nil, err
	}
	teams, err := h.d.Store.ListTeams(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(teams, func(t desk.Team) bool { return t.ID == id }) {
			return nil, desk.Invalid("team", "unknown team")
		}
	}
	return ids, nil
}

// sameIDs reports whether a and b hold the same ids, in any order.
func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for _, id := range a {
		if !slices.Contains(b, id) {
			return false
		}
	}
	return true
}

func (h *Handler) adminAgentPassword(q *req) {
	if !q.may(auth.AgentsManage) {
		h.refuse(q)
		return
	}
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/admin/agents/" + strconv.FormatInt(id, 10)
	if h.d.Agents == nil {
		h.failed(q, to, desk.ErrForbidden)
		return
	}
	pw := q.r.PostFormValue("password")
	if _, err := h.d.Agents.Update(q.r.Context(), id, auth.AgentChange{Password: &pw}); err != nil {
		h.failed(q, to, err)
		return
	}
	h.agentChanged(id)
	h.back(q, to, flash{Kind: "ok", Key: "flash.password_set"})
}

func formIDs(vals []string) ([]int64, error) {
	out := []int64{}
	for _, v := range vals {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, desk.Invalid("team", "not an id")
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// --- teams

type teamsData struct {
	Teams   []teamRow
	CanEdit bool
}

type teamRow struct {
	T       desk.Team
	Members int
}

func (h *Handler) adminTeams(q *req) {
	ctx := q.r.Context()
	teams, err := h.d.Store.ListTeams(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	agents, err := h.d.Store.ListAgents(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	d := teamsData{CanEdit: q.may(auth.TeamsManage)}
	for _, t := range teams {
		r := teamRow{T: t}
		for _, a := range agents {
			if slices.Contains(a.TeamIDs, t.ID) {
				r.Members++
			}
		}
		d.Teams = append(d.Teams, r)
	}
	h.render(q.w, q, http.StatusOK, "admin_teams", "admin/teams", d)
}

func (h *Handler) adminCreateTeam(q *req) {
	if !q.may(auth.TeamsManage) {
		h.refuse(q)
		return
	}
	const to = "/admin/teams"
	t := &desk.Team{Name: strings.TrimSpace(q.r.PostFormValue("name")),
		Description: strings.TrimSpace(q.r.PostFormValue("description")), CreatedAt: h.d.Clock.Now()}
	if err := checkTeam(t); err != nil {
		h.failed(q, to, err)
		return
	}
	if err := h.d.Store.CreateTeam(q.r.Context(), t); err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, "/admin/teams/"+strconv.FormatInt(t.ID, 10), flash{Kind: "ok", Key: "flash.created"})
}

func checkTeam(t *desk.Team) error {
	if t.Name == "" || len(t.Name) > 100 {
		return desk.Invalid("name", "required, at most 100 bytes")
	}
	if len(t.Description) > 1000 {
		return desk.Invalid("description", "at most 1000 bytes")
	}
	return nil
}

type teamData struct {
	T       *desk.Team
	Agents  []desk.Agent
	CanEdit bool
}

func (h *Handler) adminTeam(q *req) {
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	t, err := h.d.Store.TeamByID(ctx, id)
	if err != nil {
		h.fail(q, err)
		return
	}
	agents, err := h.d.Store.ListAgents(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "admin_team", "admin/teams",
		teamData{T: t, Agents: agents, CanEdit: q.may(auth.TeamsManage)})
}

// adminUpdateTeam saves name, description and members. Membership is stored
// per agent, so only agents whose membership changed are written.
func (h *Handler) adminUpdateTeam(q *req) {
	if !q.may(auth.TeamsManage) {
		h.refuse(q)
		return
	}
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/admin/teams/" + strconv.FormatInt(id, 10)
	t, err := h.d.Store.TeamByID(ctx, id)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	t.Name, t.Description = strings.TrimSpace(q.r.PostFormValue("name")), strings.TrimSpace(q.r.PostFormValue("description"))
	if err := checkTeam(t); err != nil {
		h.failed(q, to, err)
		return
	}
	members, err := formIDs(q.r.PostForm["member"])
	if err != nil {
		h.failed(q, to, err)
		return
	}
	if err := h.d.Store.UpdateTeam(ctx, t); err != nil {
		h.failed(q, to, err)
		return
	}
	agents, err := h.d.Store.ListAgents(ctx)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	// One statement set in the store: concurrent edits cannot interleave.
	if err := h.d.Store.SetTeamMembers(ctx, t.ID, members); err != nil {
		h.failed(q, to, err)
		return
	}
	for _, a := range agents {
		if slices.Contains(a.TeamIDs, t.ID) != slices.Contains(members, a.ID) {
			h.agentChanged(a.ID) // cached principals carry team ids
		}
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}

func (h *Handler) adminDeleteTeam(q *req) {
	if !q.may(auth.TeamsManage) {
		h.refuse(q)
		return
	}
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	if err := h.d.Store.DeleteTeam(q.r.Context(), id); err != nil {
		h.failed(q, "/admin/teams/"+strconv.FormatInt(id, 10), err)
		return
	}
	h.back(q, "/admin/teams", flash{Kind: "ok", Key: "flash.deleted"})
}

// agentChanged drops the agent's cached credentials on this node and, with
// Deps.AgentChanged, tells every node (and routing) that they changed.
func (h *Handler) agentChanged(agentID int64) {
	h.d.Auth.InvalidateAgent(agentID)
	if h.d.AgentChanged != nil {
		h.d.AgentChanged(agentID)
	}
}
