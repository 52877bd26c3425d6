package api

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/inboxcfg"
	"github.com/balie-dev/balie/internal/wire"
)

type agentJSON struct {
	ID           int64   `json:"id"`
	Email        string  `json:"email"`
	Name         string  `json:"name"`
	Role         string  `json:"role"`
	Locale       string  `json:"locale"`
	Availability string  `json:"availability"`
	Disabled     bool    `json:"disabled"`
	TeamIDs      []int64 `json:"team_ids"`
	// Skills and Capacity (per channel; a channel left out gets routing's
	// default) are what automatic assignment uses.
	Skills    []skillJSON    `json:"skills"`
	Capacity  map[string]int `json:"capacity"`
	CreatedAt wire.Time      `json:"created_at"`
}

func agentOut(a *desk.Agent) agentJSON {
	teams := a.TeamIDs
	if teams == nil {
		teams = []int64{}
	}
	capacity := make(map[string]int, len(a.Capacity))
	for ch, n := range a.Capacity {
		capacity[string(ch)] = n
	}
	return agentJSON{ID: a.ID, Email: a.Email, Name: a.Name, Role: string(a.Role), Locale: a.Locale,
		Availability: string(a.Availability), Disabled: a.Disabled, TeamIDs: teams, Skills: skillsOut(a.Skills),
		Capacity: capacity, CreatedAt: wire.Time{Time: a.CreatedAt}}
}

func (h *Handler) listAgents(w http.ResponseWriter, r *http.Request) error {
	as, err := h.Store.ListAgents(r.Context())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(as, agentOut))
}

func (h *Handler) getAgent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.Store.AgentByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("agent %d: %w", id, err)
	}
	return write(w, http.StatusOK, agentOut(a))
}

type agentIn struct {
	Email        *string  `json:"email"`
	Name         *string  `json:"name"`
	Role         *string  `json:"role"`
	Locale       *string  `json:"locale"`
	Password     *string  `json:"password"`
	Availability *string  `json:"availability"`
	Disabled     *bool    `json:"disabled"`
	TeamIDs      *[]int64 `json:"team_ids"`
	// Skills replaces the agent's skills; Capacity their capacity per
	// channel. Admins only.
	Skills   *[]skillJSON    `json:"skills"`
	Capacity *map[string]int `json:"capacity"`
}

func (h *Handler) createAgent(w http.ResponseWriter, r *http.Request) error {
	var in agentIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Email == nil || in.Password == nil {
		return desk.Invalid("email", "email and password are required")
	}
	a, err := h.Agents.Create(r.Context(), *in.Email, deref(in.Name), desk.Role(deref(in.Role)), deref(in.Locale), *in.Password)
	if err != nil {
		return err
	}
	if in.TeamIDs != nil {
		if err := h.Store.SetAgentTeams(r.Context(), a.ID, *in.TeamIDs); err != nil {
			return err
		}
		a.TeamIDs = *in.TeamIDs
	}
	if err := h.setRouting(r, a, in); err != nil {
		return err
	}
	return write(w, http.StatusCreated, agentOut(a))
}

func (h *Handler) updateAgent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in agentIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	me := principal(r).Agent
	admin := me.Role.AtLeast(desk.RoleAdmin)
	if !admin && (me.ID != id || in.Role != nil || in.Disabled != nil || in.TeamIDs != nil || in.Email != nil ||
		in.Skills != nil || in.Capacity != nil) {
		return fmt.Errorf("only an admin changes other agents, roles, teams, skills, capacity or email: %w", desk.ErrForbidden)
	}
	a, err := h.Agents.Update(r.Context(), id, AgentChange{Name: in.Name, Role: (*desk.Role)(in.Role),
		Locale: in.Locale, Password: in.Password, Availability: (*desk.Availability)(in.Availability), Disabled: in.Disabled})
	if err != nil {
		return err
	}
	if in.TeamIDs != nil {
		if err := h.Store.SetAgentTeams(r.Context(), a.ID, *in.TeamIDs); err != nil {
			return err
		}
		a.TeamIDs = *in.TeamIDs
	}
	if err := h.setRouting(r, a, in); err != nil {
		return err
	}
	if h.OnAgentChanged != nil {
		h.OnAgentChanged(a.ID)
	}
	return write(w, http.StatusOK, agentOut(a))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

type teamJSON struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Members     []agentJSON `json:"members,omitempty"`
}

func (h *Handler) listTeams(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.Store.ListTeams(r.Context())
	if err != nil {
		return err
	}
	out := make([]teamJSON, len(ts))
	for i, t := range ts {
		out[i] = teamJSON{ID: t.ID, Name: t.Name, Description: t.Description}
	}
	return write(w, http.StatusOK, map[string]any{"items": out})
}

func (h *Handler) getTeam(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.Store.TeamByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("team %d: %w", id, err)
	}
	members, err := h.Store.TeamMembers(r.Context(), id)
	if err != nil {
		return err
	}
	out := teamJSON{ID: t.ID, Name: t.Name, Description: t.Description, Members: []agentJSON{}}
	for i := range members {
		out.Members = append(out.Members, agentOut(&members[i]))
	}
	return write(w, http.StatusOK, out)
}

type teamIn struct {
	Name        *string  `json:"name"`
	Description *string  `json:"description"`
	MemberIDs   *[]int64 `json:"member_ids"`
}

func (in teamIn) apply(t *desk.Team) error {
	if in.Name != nil {
		t.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		t.Description = strings.TrimSpace(*in.Description)
	}
	if t.Name == "" || len(t.Name) > 100 {
		return desk.Invalid("name", "1 to 100 characters")
	}
	if len(t.Description) > 1000 {
		return desk.Invalid("description", "at most 1000 characters")
	}
	return nil
}

func (h *Handler) createTeam(w http.ResponseWriter, r *http.Request) error {
	var in teamIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t := &desk.Team{}
	if err := in.apply(t); err != nil {
		return err
	}
	if err := h.Store.CreateTeam(r.Context(), t); err != nil {
		return err
	}
	if in.MemberIDs != nil {
		if err := h.setMembers(r, t.ID, *in.MemberIDs); err != nil {
			return err
		}
	}
	return write(w, http.StatusCreated, teamJSON{ID: t.ID, Name: t.Name, Description: t.Description})
}

func (h *Handler) updateTeam(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in teamIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := h.Store.TeamByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("team %d: %w", id, err)
	}
	if err := in.apply(t); err != nil {
		return err
	}
	if err := h.Store.UpdateTeam(r.Context(), t); err != nil {
		return err
	}
	if in.MemberIDs != nil {
		if err := h.setMembers(r, t.ID, *in.MemberIDs); err != nil {
			return err
		}
	}
	return h.getTeam(w, r)
}

// setMembers makes exactly ids the members of team, atomically, and drops
// cached principals whose team list changed.
func (h *Handler) setMembers(r *http.Request, teamID int64, ids []int64) error {
	before, err := h.Store.TeamMembers(r.Context(), teamID)
	if err != nil {
		return err
	}
	if err := h.Store.SetTeamMembers(r.Context(), teamID, ids); err != nil {
		return err
	}
	if h.OnAgentChanged != nil {
		for _, a := range before {
			h.OnAgentChanged(a.ID)
		}
		for _, id := range ids {
			h.OnAgentChanged(id)
		}
	}
	return nil
}

func (h *Handler) deleteTeam(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.Store.DeleteTeam(r.Context(), id); err != nil {
		return fmt.Errorf("team %d: %w", id, err)
	}
	h.adminChanged() // inboxes routed to the team are cached
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type inboxJSON struct {
	ID        int64             `json:"id"`
	Name      string            `json:"name"`
	Channel   string            `json:"channel"`
	PublicKey string            `json:"public_key"`
	TeamID    int64             `json:"team_id"`
	Settings  map[string]string `json:"settings"`
	// Secrets says which credentials are set (true) or not (false); their
	// values are write-only, shown in Settings as inboxcfg.Mask.
	Secrets map[string]bool `json:"secrets"`
}

func inboxOut(in *desk.Inbox) inboxJSON {
	s, set := map[string]string{}, map[string]bool{}
	for _, f := range inboxcfg.Fields(in.Channel) {
		if f.Secret {
			set[f.Key] = false
		}
	}
	for k, v := range in.Settings {
		if inboxcfg.Secret(in.Channel, k) {
			set[k] = v != ""
			if v != "" {
				v = inboxcfg.Mask
			}
		}
		s[k] = v
	}
	return inboxJSON{ID: in.ID, Name: in.Name, Channel: string(in.Channel), PublicKey: in.PublicKey, TeamID: in.TeamID,
		Settings: s, Secrets: set}
}

func (h *Handler) listInboxes(w http.ResponseWriter, r *http.Request) error {
	ins, err := h.Store.ListInboxes(r.Context())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(ins, inboxOut))
}

func (h *Handler) getInbox(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in, err := h.Store.InboxByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("inbox %d: %w", id, err)
	}
	return write(w, http.StatusOK, inboxOut(in))
}

// inboxIn is the body of POST and PATCH /inboxes. Settings change by
// inboxcfg.Change's rules: an absent key keeps its value, null removes
// it, "" removes a plain setting but keeps a secret (as does the mask).
type inboxIn struct {
	Name     *string            `json:"name"`
	Channel  *string            `json:"channel"`
	TeamID   *int64             `json:"team_id"`
	Settings map[string]*string `json:"settings"`
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http(s) URL")
	}
	return nil
}

// NewPublicKey returns a random inbox key (not a secret).
func NewPublicKey() string {
	var b [10]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

func (h *Handler) createInbox(w http.ResponseWriter, r *http.Request) error {
	var in inboxIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ib := &desk.Inbox{Name: strings.TrimSpace(deref(in.Name)), Channel: desk.ChannelKind(deref(in.Channel)),
		TeamID: deref(in.TeamID), Settings: map[string]string{}, PublicKey: NewPublicKey()}
	if err := inboxcfg.Apply(ib, in.Settings); err != nil {
		return fmt.Errorf("api: create inbox: %w", err)
	}
	if err := h.Store.CreateInbox(r.Context(), ib); err != nil {
		return err
	}
	h.adminChanged()
	return write(w, http.StatusCreated, inboxOut(ib))
}

func (h *Handler) updateInbox(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in inboxIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ib, err := h.Store.InboxByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("inbox %d: %w", id, err)
	}
	if in.Channel != nil && desk.ChannelKind(*in.Channel) != ib.Channel {
		return desk.Invalid("channel", "an inbox's channel cannot change")
	}
	if in.Name != nil {
		ib.Name = strings.TrimSpace(*in.Name)
	}
	if in.TeamID != nil {
		ib.TeamID = *in.TeamID
	}
	ib.Settings = maps.Clone(ib.Settings)
	if err := inboxcfg.Apply(ib, in.Settings); err != nil {
		return fmt.Errorf("api: update inbox %d: %w", id, err)
	}
	if err := h.Store.UpdateInbox(r.Context(), ib); err != nil {
		return err
	}
	h.adminChanged()
	return write(w, http.StatusOK, inboxOut(ib))
}

// connectionTest is the answer of POST /inboxes/{id}/test. A provider
// that refuses or is down is an answer (ok false), not an API error.
type connectionTest struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"` // what answered, when ok
	Error  string `json:"error,omitempty"`  // what went wrong, when not
	// Field is the setting to fix, when the error is about one
	// ("webhook": the Telegram bot's webhook is not balie's).
	Field string `json:"field,omitempty"`
	// Code is what kind of failure, when not ok (desk.CheckCode:
	// bad_token, unreachable...), for clients that word it themselves.
	Code desk.CheckCode `json:"code,omitempty"`
}

func (h *Handler) testInbox(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if h.Connections == nil {
		return fmt.Errorf("connection tests are not available: %w", desk.ErrNotFound)
	}
	in, err := h.Store.InboxByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("inbox %d: %w", id, err)
	}
	if !h.Connections.CanTest(in.Channel) {
		return desk.Invalid("channel", "a "+string(in.Channel)+" inbox has no connection test")
	}
	// The API does not know the address the provider reaches balie at:
	// "" compares the webhook's path only.
	detail, err := h.Connections.TestConnection(r.Context(), *in, "")
	out := connectionTest{OK: err == nil, Detail: detail}
	if err != nil {
		ce := desk.CheckErrorOf(err)
		out.Code, out.Field, out.Error = ce.Code, ce.Setting, ce.Detail
		if l := loggerFrom(r); l != nil {
			l.Info("api: test connection", "inbox", in.ID, "channel", in.Channel, "err", err)
		}
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) adminChanged() {
	if h.AdminChanged != nil {
		h.AdminChanged()
	}
}

type webhookJSON struct {
	ID     int64    `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Active bool     `json:"active"`
}

func (h *Handler) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	ws, err := h.Store.ListWebhooks(r.Context())
	if err != nil {
		return err
	}
	out := make([]webhookJSON, len(ws))
	for i, wh := range ws {
		out[i] = webhookJSON{ID: wh.ID, URL: wh.URL, Events: nonNil(wh.Events), Active: wh.Active}
	}
	return write(w, http.StatusOK, map[string]any{"items": out})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

var webhookEvents = map[string]bool{desk.EventMessageCreated: true, desk.EventMessageUpdated: true,
	desk.EventConversationCreated: true, desk.EventConversationUpdated: true, desk.EventConversationAssigned: true, "*": true}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhookIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := checkURL(in.URL); err != nil {
		return desk.Invalid("url", err.Error())
	}
	if len(in.Secret) < 16 {
		return desk.Invalid("secret", "at least 16 characters")
	}
	for _, e := range in.Events {
		if !webhookEvents[e] {
			return desk.Invalid("events", "unknown event "+e)
		}
	}
	wh := &desk.Webhook{URL: in.URL, Secret: in.Secret, Events: in.Events, Active: in.Active == nil || *in.Active}
	if err := h.Store.CreateWebhook(r.Context(), wh); err != nil {
		return err
	}
	h.adminChanged()
	return write(w, http.StatusCreated, webhookJSON{ID: wh.ID, URL: wh.URL, Events: nonNil(wh.Events), Active: wh.Active})
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.Store.DeleteWebhook(r.Context(), id); err != nil {
		return fmt.Errorf("webhook %d: %w", id, err)
	}
	h.adminChanged()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
