package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/routing"
)

// Automatic assignment: the routing rules with their preview (admins edit,
// supervisors read), an agent's skills and capacity (on their admin page),
// and a customer's account owner (any agent, from the contact page).

func (h *Handler) routingRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/routing", h.routingGuard(desk.RoleSupervisor, h.routingRules))
	mux.HandleFunc("POST /admin/routing", h.routingGuard(desk.RoleAdmin, h.routingCreate))
	mux.HandleFunc("GET /admin/routing/{id}", h.routingGuard(desk.RoleSupervisor, h.routingRulePage))
	mux.HandleFunc("POST /admin/routing/{id}", h.routingGuard(desk.RoleAdmin, h.routingUpdate))
	mux.HandleFunc("POST /admin/routing/{id}/delete", h.routingGuard(desk.RoleAdmin, h.routingDelete))
	mux.HandleFunc("POST /admin/routing/{id}/move", h.routingGuard(desk.RoleAdmin, h.routingMove))
	mux.HandleFunc("GET /admin/agents/{id}/routing", h.routingGuard(desk.RoleSupervisor, h.agentRouting))
	mux.HandleFunc("POST /admin/agents/{id}/routing", h.routingGuard(desk.RoleAdmin, h.postAgentRouting))
	mux.HandleFunc("GET /app/contacts/{id}/owner", h.routingGuard(desk.RoleAgent, h.contactOwner))
	mux.HandleFunc("POST /app/contacts/{id}/owner", h.routingGuard(desk.RoleAgent, h.postContactOwner))
}

// routingGuard lets in agents of at least role min, when routing is wired
// (404 otherwise).
func (h *Handler) routingGuard(min desk.Role, fn func(*req)) http.HandlerFunc {
	return h.guard(func(r desk.Role) bool { return r.AtLeast(min) }, maxForm, func(q *req) {
		if h.d.Routing == nil {
			h.errorPage(q.w, q.r, q.locale, q, http.StatusNotFound)
			return
		}
		fn(q)
	})
}

// --- rules

// ruleForm is a rule as its form shows it: lists as comma-separated text,
// skills as "name=level" items.
type ruleForm struct {
	ID          int64
	Name        string
	Enabled     bool
	Categories  string
	Languages   string
	Channels    []string
	Segments    string
	MinPriority string
	TeamID      int64
	Skills      string
	Priority    string
}

func ruleFormOf(r *desk.RoutingRule) ruleForm {
	f := ruleForm{ID: r.ID, Name: r.Name, Enabled: r.Enabled, Categories: strings.Join(r.Categories, ", "),
		Languages: strings.Join(r.Languages, ", "), Segments: strings.Join(r.Segments, ", "),
		MinPriority: string(r.MinPriority), TeamID: r.TeamID, Skills: skillsText(r.Skills), Priority: string(r.Priority)}
	for _, ch := range r.Channels {
		f.Channels = append(f.Channels, string(ch))
	}
	return f
}

func skillsText(skills []desk.Skill) string {
	parts := make([]string, len(skills))
	for i, s := range skills {
		parts[i] = s.Name + "=" + strconv.Itoa(s.Level)
	}
	return strings.Join(parts, ", ")
}

// parseSkills reads "lang:nl=4, product:ebike" (no level: 1).
func parseSkills(text string) ([]desk.Skill, error) {
	var out []desk.Skill
	for item := range strings.SplitSeq(text, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, level, found := strings.Cut(item, "=")
		sk := desk.Skill{Name: strings.TrimSpace(name), Level: routing.MinLevel}
		if found {
			n, err := strconv.Atoi(strings.TrimSpace(level))
			if err != nil {
				return nil, desk.Invalid("skills", fmt.Sprintf("%q: the level is a number from 1 to 5", item))
			}
			sk.Level = n
		}
		out = append(out, sk)
	}
	return out, nil
}

func splitList(text string) []string {
	var out []string
	for v := range strings.SplitSeq(text, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// readRuleForm reads the posted form into r.
func readRuleForm(q *req, r *desk.RoutingRule) error {
	p := q.r
	team, _ := strconv.ParseInt(p.PostFormValue("team"), 10, 64)
	r.Name, r.Enabled, r.TeamID = p.PostFormValue("name"), p.PostFormValue("enabled") == "on", team
	r.Categories, r.Languages = splitList(p.PostFormValue("categories")), splitList(p.PostFormValue("languages"))
	r.Segments = splitList(p.PostFormValue("segments"))
	r.MinPriority, r.Priority = desk.Priority(p.PostFormValue("min_priority")), desk.Priority(p.PostFormValue("priority"))
	r.Channels = nil
	for _, ch := range p.PostForm["channel"] {
		r.Channels = append(r.Channels, desk.ChannelKind(ch))
	}
	skills, err := parseSkills(p.PostFormValue("skills"))
	r.Skills = skills
	return err
}

type ruleRow struct {
	R    desk.RoutingRule
	Team string
}

type routingData struct {
	Rules      []ruleRow
	Form       ruleForm
	CanEdit    bool
	Teams      []desk.Team
	Channels   []desk.ChannelKind
	Priorities []desk.Priority
	// The preview: what was asked (P), recent conversations to pick from,
	// and the answer (nil before asking).
	P       previewForm
	Recent  []desk.Conversation
	Preview *previewView
}

type previewForm struct {
	Conversation string
	Category     string
	Language     string
	Channel      string
	Segment      string
	Priority     string
	Team         int64
}

type checkView struct {
	Rule    string
	Verdict string
	Text    string // the verdict in the admin's language
}

type previewView struct {
	Rule     string // "" when no rule matched
	Team     string
	Priority desk.Priority
	Skills   string
	Checks   []checkView
	Agent    string // "" when nobody would be assigned
	Reason   string // why, in the admin's language
}

func (h *Handler) renderRouting(q *req, status int, form ruleForm) {
	ctx := q.r.Context()
	rules, err := h.d.Routing.Rules(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	teams, err := h.d.Store.ListTeams(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	names := make(map[int64]string, len(teams))
	for _, t := range teams {
		names[t.ID] = t.Name
	}
	d := routingData{Form: form, CanEdit: q.agent.Role.AtLeast(desk.RoleAdmin), Teams: teams,
		Channels: channels, Priorities: priorities}
	for _, r := range rules {
		d.Rules = append(d.Rules, ruleRow{R: r, Team: names[r.TeamID]})
	}
	page, err := h.d.Store.ListConversations(ctx, desk.ConversationQuery{View: desk.ViewAll, Limit: 20, WithContact: true})
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Recent = page.Items
	if qs := q.r.URL.Query(); qs.Has("preview") {
		d.P = previewForm{Conversation: qs.Get("conversation"), Category: qs.Get("category"), Language: qs.Get("language"),
			Channel: qs.Get("channel"), Segment: qs.Get("segment"), Priority: qs.Get("priority")}
		d.P.Team, _ = strconv.ParseInt(qs.Get("team"), 10, 64)
		pv, err := h.preview(ctx, h.cats[q.locale], d.P, names)
		if err != nil {
			h.fail(q, err)
			return
		}
		d.Preview = pv
	}
	h.render(q.w, q, status, "admin_routing", "admin/routing", d)
}

// preview runs the rules preview for the form and words it from c.
func (h *Handler) preview(ctx context.Context, c catalog, f previewForm, teams map[int64]string) (*previewView, error) {
	var p routing.Preview
	var err error
	if id, perr := strconv.ParseInt(f.Conversation, 10, 64); perr == nil && id > 0 {
		p, err = h.d.Routing.PreviewConversation(ctx, id)
	} else {
		ch := desk.ChannelKind(f.Channel)
		if !desk.KnownChannel(ch) {
			ch = desk.ChannelWebChat
		}
		pr := desk.Priority(f.Priority)
		if !pr.Valid() {
			pr = desk.PriorityNone
		}
		p, err = h.d.Routing.Preview(ctx, routing.Request{Category: strings.TrimSpace(f.Category),
			Language: strings.TrimSpace(f.Language), Channel: ch, Segment: strings.TrimSpace(f.Segment), Priority: pr}, f.Team)
	}
	if err != nil {
		return nil, err
	}
	v := &previewView{Team: teams[p.Need.TeamID], Priority: p.Need.Priority}
	var skills []desk.Skill
	for _, s := range p.Need.Skills {
		skills = append(skills, desk.Skill{Name: s.Name, Level: s.Level})
	}
	v.Skills = skillsText(skills)
	for _, k := range p.Need.Explain {
		if k.Verdict == routing.Matched {
			v.Rule = k.Rule
		}
		v.Checks = append(v.Checks, checkView{Rule: k.Rule, Verdict: string(k.Verdict), Text: ruleCheckText(c, k)})
	}
	n := previewNames{teams: teams, agents: map[int64]string{}}
	for _, id := range []int64{p.AgentID, p.Reason.Owner.AgentID} {
		if id == 0 {
			continue
		}
		a, err := h.d.Store.AgentByID(ctx, id)
		if errors.Is(err, desk.ErrNotFound) && id != p.AgentID {
			continue // an owner since deleted shows as #id
		}
		if err != nil {
			return nil, err
		}
		n.agents[id] = a.Name
	}
	v.Agent = n.agents[p.AgentID]
	v.Reason = pickReasonText(c, p.Reason, n)
	return v, nil
}

func (h *Handler) routingRules(q *req) {
	h.renderRouting(q, http.StatusOK, ruleForm{Enabled: true})
}

func (h *Handler) routingRulePage(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	r, err := h.d.Routing.Rule(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.renderRouting(q, http.StatusOK, ruleFormOf(r))
}

func (h *Handler) routingCreate(q *req) {
	r := &desk.RoutingRule{}
	err := readRuleForm(q, r)
	if err == nil {
		err = h.d.Routing.SaveRule(q.r.Context(), r)
	}
	if err != nil {
		h.failed(q, "/admin/routing", err)
		return
	}
	h.back(q, "/admin/routing", flash{Kind: "ok", Key: "flash.created"})
}

func (h *Handler) routingUpdate(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	r, err := h.d.Routing.Rule(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/admin/routing/" + strconv.FormatInt(id, 10)
	err = readRuleForm(q, r)
	if err == nil {
		err = h.d.Routing.SaveRule(q.r.Context(), r)
	}
	if err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}

func (h *Handler) routingDelete(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	if err := h.d.Routing.DeleteRule(q.r.Context(), id); err != nil {
		h.failed(q, "/admin/routing", err)
		return
	}
	h.back(q, "/admin/routing", flash{Kind: "ok", Key: "flash.deleted"})
}

func (h *Handler) routingMove(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	by := 1
	if q.r.PostFormValue("dir") == "up" {
		by = -1
	}
	if err := h.d.Routing.MoveRule(q.r.Context(), id, by); err != nil {
		h.failed(q, "/admin/routing", err)
		return
	}
	h.back(q, "/admin/routing", flash{Kind: "ok", Key: "flash.saved"})
}

// --- an agent's skills and capacity

type capacityRow struct {
	Channel desk.ChannelKind
	Value   string // "" when the default applies
	Default int
}

type agentRoutingData struct {
	A        *desk.Agent
	Skills   string
	Capacity []capacityRow
	CanEdit  bool
}

func (h *Handler) agentRouting(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	a, err := h.d.Store.AgentByID(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return
	}
	d := agentRoutingData{A: a, Skills: skillsText(a.Skills), CanEdit: q.agent.Role.AtLeast(desk.RoleAdmin)}
	defaults := routing.DefaultCapacity()
	for _, ch := range channels {
		row := capacityRow{Channel: ch, Default: defaults[ch]}
		if n, ok := a.Capacity[ch]; ok {
			row.Value = strconv.Itoa(n)
		}
		d.Capacity = append(d.Capacity, row)
	}
	h.render(q.w, q, http.StatusOK, "admin_agent_routing", "admin/agents", d)
}

func (h *Handler) postAgentRouting(q *req) {
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/admin/agents/" + strconv.FormatInt(id, 10) + "/routing"
	a, err := h.d.Store.AgentByID(ctx, id)
	if err != nil {
		h.fail(q, err)
		return
	}
	capacity := map[desk.ChannelKind]int{}
	for _, ch := range channels {
		v := strings.TrimSpace(q.r.PostFormValue("capacity." + string(ch)))
		if v == "" {
			continue // the default
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			h.failed(q, to, desk.Invalid("capacity", fmt.Sprintf("%s: a whole number", ch)))
			return
		}
		capacity[ch] = n
	}
	if err := routing.ValidateCapacity(capacity); err != nil {
		h.failed(q, to, err)
		return
	}
	skills, err := parseSkills(q.r.PostFormValue("skills"))
	if err == nil {
		skills, err = routing.ValidateSkills(skills)
	}
	if err != nil {
		h.failed(q, to, err)
		return
	}
	a.Capacity = capacity
	if err := h.d.Store.UpdateAgent(ctx, a); err != nil {
		h.failed(q, to, err)
		return
	}
	if _, err := h.d.Routing.SetSkills(ctx, id, skills); err != nil {
		h.failed(q, to, err)
		return
	}
	h.agentChanged(id) // the routing node may be another one
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}

// --- a contact's account owner

type contactOwnerData struct {
	Contact *desk.Contact
	Name    string
	Agents  []desk.Agent
}

func (h *Handler) contactOwner(q *req) {
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	c, err := h.d.Store.ContactByID(ctx, id)
	if err != nil {
		h.fail(q, err)
		return
	}
	agents, err := h.d.Store.ListAgents(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	agents = slices.DeleteFunc(agents, func(a desk.Agent) bool { return a.Disabled && a.ID != c.OwnerID })
	slices.SortStableFunc(agents, func(a, b desk.Agent) int { return cmp.Compare(a.Name, b.Name) })
	h.render(q.w, q, http.StatusOK, "contact_owner", "search", contactOwnerData{Contact: c, Name: contactName(c), Agents: agents})
}

func (h *Handler) postContactOwner(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/app/contacts/" + strconv.FormatInt(id, 10)
	owner, err := strconv.ParseInt(q.r.PostFormValue("owner"), 10, 64)
	if err != nil {
		owner = 0
	}
	if _, err := h.d.Routing.SetOwner(q.r.Context(), id, owner); err != nil {
		h.failed(q, to+"/owner", err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}
