package api

import (
	"fmt"
	"net/http"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/routing"
	"github.com/balie-dev/balie/internal/wire"
)

// Routing rules and their preview. Supervisors read, admins change.

type skillJSON struct {
	Name  string `json:"name"`
	Level int    `json:"level"`
}

type ruleJSON struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	Position    int         `json:"position"`
	Enabled     bool        `json:"enabled"`
	Categories  []string    `json:"categories"`
	Languages   []string    `json:"languages"`
	Channels    []string    `json:"channels"`
	Segments    []string    `json:"segments"`
	MinPriority string      `json:"min_priority"`
	TeamID      int64       `json:"team_id"`
	Skills      []skillJSON `json:"skills"`
	Priority    string      `json:"priority"`
	CreatedAt   wire.Time   `json:"created_at"`
	UpdatedAt   wire.Time   `json:"updated_at"`
}

func skillsOut(in []desk.Skill) []skillJSON {
	out := make([]skillJSON, len(in))
	for i, s := range in {
		out[i] = skillJSON{Name: s.Name, Level: s.Level}
	}
	return out
}

func skillsIn(in []skillJSON) []desk.Skill {
	out := make([]desk.Skill, len(in))
	for i, s := range in {
		out[i] = desk.Skill{Name: s.Name, Level: s.Level}
	}
	return out
}

func ruleOut(r *desk.RoutingRule) ruleJSON {
	chans := make([]string, len(r.Channels))
	for i, c := range r.Channels {
		chans[i] = string(c)
	}
	return ruleJSON{ID: r.ID, Name: r.Name, Position: r.Position, Enabled: r.Enabled,
		Categories: nonNil(r.Categories), Languages: nonNil(r.Languages), Channels: chans, Segments: nonNil(r.Segments),
		MinPriority: string(r.MinPriority), TeamID: r.TeamID, Skills: skillsOut(r.Skills), Priority: string(r.Priority),
		CreatedAt: wire.Time{Time: r.CreatedAt}, UpdatedAt: wire.Time{Time: r.UpdatedAt}}
}

// ruleIn is a whole rule: PUT replaces every field.
type ruleIn struct {
	Name        string      `json:"name"`
	Enabled     bool        `json:"enabled"`
	Categories  []string    `json:"categories"`
	Languages   []string    `json:"languages"`
	Channels    []string    `json:"channels"`
	Segments    []string    `json:"segments"`
	MinPriority string      `json:"min_priority"`
	TeamID      int64       `json:"team_id"`
	Skills      []skillJSON `json:"skills"`
	Priority    string      `json:"priority"`
}

func (in ruleIn) apply(r *desk.RoutingRule) {
	r.Name, r.Enabled, r.Categories, r.Languages, r.Segments = in.Name, in.Enabled, in.Categories, in.Languages, in.Segments
	r.MinPriority, r.TeamID, r.Priority = desk.Priority(in.MinPriority), in.TeamID, desk.Priority(in.Priority)
	r.Channels = make([]desk.ChannelKind, len(in.Channels))
	for i, c := range in.Channels {
		r.Channels[i] = desk.ChannelKind(c)
	}
	r.Skills = skillsIn(in.Skills)
}

// routingService is the routing service, or 404 when balie runs without.
func (h *Handler) routingService() (*routing.Service, error) {
	if h.Routing == nil {
		return nil, fmt.Errorf("routing is not running: %w", desk.ErrNotFound)
	}
	return h.Routing, nil
}

func (h *Handler) listRules(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.routingService()
	if err != nil {
		return err
	}
	rules, err := rs.Rules(r.Context())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(rules, ruleOut))
}

func (h *Handler) createRule(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.routingService()
	if err != nil {
		return err
	}
	var in ruleIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var rule desk.RoutingRule
	in.apply(&rule)
	if err := rs.SaveRule(r.Context(), &rule); err != nil {
		return err
	}
	return write(w, http.StatusCreated, ruleOut(&rule))
}

func (h *Handler) updateRule(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.routingService()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in ruleIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	rule, err := rs.Rule(r.Context(), id)
	if err != nil {
		return err
	}
	in.apply(rule)
	if err := rs.SaveRule(r.Context(), rule); err != nil {
		return err
	}
	return write(w, http.StatusOK, ruleOut(rule))
}

func (h *Handler) deleteRule(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.routingService()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := rs.DeleteRule(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type moveIn struct {
	By int `json:"by"` // -1 earlier, 1 later
}

func (h *Handler) moveRule(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.routingService()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in moveIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.By != -1 && in.By != 1 {
		return desk.Invalid("by", "must be -1 (earlier) or 1 (later)")
	}
	if err := rs.MoveRule(r.Context(), id, in.By); err != nil {
		return err
	}
	return h.listRules(w, r)
}

// previewIn is a conversation to test the rules against: a stored one, or
// typed in.
type previewIn struct {
	ConversationID int64  `json:"conversation_id"`
	Category       string `json:"category"`
	Language       string `json:"language"`
	Channel        string `json:"channel"`
	Segment        string `json:"segment"`
	Priority       string `json:"priority"`
	TeamID         int64  `json:"team_id"` // the team when no rule names one
	AccountOwnerID int64  `json:"account_owner_id"`
}

type checkJSON struct {
	RuleID  int64    `json:"rule_id"`
	Rule    string   `json:"rule"`
	Verdict string   `json:"verdict"` // matched, failed, shadowed
	Field   string   `json:"field,omitempty"`
	Got     string   `json:"got,omitempty"`
	Want    []string `json:"want,omitempty"`
	Text    string   `json:"text"` // in English
}

type previewOut struct {
	RuleID   int64       `json:"rule_id"` // 0: no rule matched
	TeamID   int64       `json:"team_id"`
	Skills   []skillJSON `json:"skills"`
	Priority string      `json:"priority"`
	Explain  []checkJSON `json:"explain"`
	AgentID  int64       `json:"agent_id"` // 0: it would wait in the queue
	Reason   string      `json:"reason"`   // in English
	// ReasonCode is how the agent was picked, for clients that show the
	// reason in their own words: owner, least_loaded, round_robin, manual,
	// no_agents, nobody_free.
	ReasonCode string `json:"reason_code"`
	// OwnerCode is why the account owner was passed over: unknown,
	// not_online, full; empty when there is none or they get it.
	OwnerCode string `json:"owner_code,omitempty"`
}

func (h *Handler) previewRouting(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.routingService()
	if err != nil {
		return err
	}
	var in previewIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var p routing.Preview
	if in.ConversationID != 0 {
		p, err = rs.PreviewConversation(r.Context(), in.ConversationID)
	} else {
		if in.Channel != "" && !desk.KnownChannel(desk.ChannelKind(in.Channel)) {
			return desk.Invalid("channel", fmt.Sprintf("unknown channel %q", in.Channel))
		}
		if in.Priority != "" && !desk.Priority(in.Priority).Valid() {
			return desk.Invalid("priority", fmt.Sprintf("unknown priority %q", in.Priority))
		}
		p, err = rs.Preview(r.Context(), routing.Request{Category: in.Category, Language: in.Language,
			Channel: desk.ChannelKind(in.Channel), Segment: in.Segment, Priority: desk.Priority(in.Priority),
			AccountOwnerID: in.AccountOwnerID}, in.TeamID)
	}
	if err != nil {
		return err
	}
	out := previewOut{RuleID: p.Need.RuleID, TeamID: p.Need.TeamID, Priority: string(p.Need.Priority),
		Explain: []checkJSON{}, AgentID: p.AgentID, Reason: p.Reason.String(), Skills: []skillJSON{},
		ReasonCode: string(p.Reason.Code), OwnerCode: string(p.Reason.Owner.Code)}
	for _, s := range p.Need.Skills {
		out.Skills = append(out.Skills, skillJSON{Name: s.Name, Level: s.Level})
	}
	for _, c := range p.Need.Explain {
		out.Explain = append(out.Explain, checkJSON{RuleID: c.RuleID, Rule: c.Rule, Verdict: string(c.Verdict),
			Field: c.Field, Got: c.Got, Want: c.Want, Text: c.String()})
	}
	return write(w, http.StatusOK, out)
}

// setRouting stores an agent's skills and capacity when in has them.
func (h *Handler) setRouting(r *http.Request, a *desk.Agent, in agentIn) error {
	if in.Capacity != nil {
		c := make(map[desk.ChannelKind]int, len(*in.Capacity))
		for ch, n := range *in.Capacity {
			c[desk.ChannelKind(ch)] = n
		}
		if err := routing.ValidateCapacity(c); err != nil {
			return err
		}
		a.Capacity = c
		if err := h.Store.UpdateAgent(r.Context(), a); err != nil {
			return fmt.Errorf("agent %d: %w", a.ID, err)
		}
	}
	if in.Skills != nil {
		rs, err := h.routingService()
		if err != nil {
			return err
		}
		if a.Skills, err = rs.SetSkills(r.Context(), a.ID, skillsIn(*in.Skills)); err != nil {
			return err
		}
	}
	return nil
}

type ownerIn struct {
	OwnerID int64 `json:"owner_id"` // 0: none
}

// setOwner sets a contact's account owner; any agent may.
func (h *Handler) setOwner(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.routingService()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in ownerIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := rs.SetOwner(r.Context(), id, in.OwnerID)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, wire.FromContact(c))
}
