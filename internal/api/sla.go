package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
	"github.com/balie-dev/balie/internal/slawatch"
)

// Service levels: SLA policies and a team's routing mode, business hours
// and out-of-hours replies. Without Deps.SLA every route answers 404.

func (h *Handler) slaRoutes(r func(method, path string, role desk.Role, summary string, fn func(http.ResponseWriter, *http.Request) error) Route) []Route {
	A, S, X := desk.RoleAgent, desk.RoleSupervisor, desk.RoleAdmin
	return []Route{
		r("GET", "/sla/policies", S, "List SLA policies in evaluation order", h.withSLA(h.listPolicies)).io(nil, list[policyJSON]{}),
		r("POST", "/sla/policies", X, "Create an SLA policy (without a position it goes last)", h.withSLA(h.createPolicy)).io(policyIn{}, policyJSON{}),
		r("GET", "/sla/policies/{id}", S, "Get an SLA policy", h.withSLA(h.getPolicy)).io(nil, policyJSON{}),
		r("PUT", "/sla/policies/{id}", X, "Replace an SLA policy", h.withSLA(h.updatePolicy)).io(policyIn{}, policyJSON{}),
		r("DELETE", "/sla/policies/{id}", X, "Delete an SLA policy", h.withSLA(h.deletePolicy)),
		r("GET", "/teams/{id}/hours", A, "A team's routing mode, business hours and out-of-hours replies", h.withSLA(h.getTeamHours)).io(nil, teamHoursJSON{}),
		r("PUT", "/teams/{id}/hours", S, "Set a team's routing mode, business hours (null: always open) and out-of-hours replies", h.withSLA(h.putTeamHours)).io(teamHoursJSON{}, teamHoursJSON{}),
	}
}

func (h *Handler) withSLA(fn func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if h.SLA == nil {
			return fmt.Errorf("service levels are not available: %w", desk.ErrNotFound)
		}
		return fn(w, r)
	}
}

// policyJSON is an SLA policy; targets are whole minutes, 0 for none.
type policyJSON struct {
	ID                   int64    `json:"id"`
	Name                 string   `json:"name"`
	Position             int      `json:"position"`
	Enabled              bool     `json:"enabled"`
	Priorities           []string `json:"priorities"`
	Channels             []string `json:"channels"`
	Segments             []string `json:"segments"`
	FirstResponseMinutes int64    `json:"first_response_minutes"`
	NextResponseMinutes  int64    `json:"next_response_minutes"`
	ResolutionMinutes    int64    `json:"resolution_minutes"`
	WarnAt               float64  `json:"warn_at"`
	BusinessHours        bool     `json:"business_hours"`
	CreatedAt            string   `json:"created_at"`
	UpdatedAt            string   `json:"updated_at"`
}

func policyOut(p desk.SLAPolicy) policyJSON {
	out := policyJSON{ID: p.ID, Name: p.Name, Position: p.Position, Enabled: p.Enabled,
		Priorities: []string{}, Channels: []string{}, Segments: []string{},
		FirstResponseMinutes: int64(p.FirstResponse / time.Minute), NextResponseMinutes: int64(p.NextResponse / time.Minute),
		ResolutionMinutes: int64(p.Resolution / time.Minute), WarnAt: p.WarnAt, BusinessHours: p.BusinessHours,
		CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: p.UpdatedAt.UTC().Format(time.RFC3339)}
	for _, pr := range p.Priorities {
		out.Priorities = append(out.Priorities, string(pr))
	}
	for _, ch := range p.Channels {
		out.Channels = append(out.Channels, string(ch))
	}
	out.Segments = append(out.Segments, p.Segments...)
	return out
}

// policyIn is a whole policy: PUT replaces every field.
type policyIn struct {
	Name                 string   `json:"name"`
	Position             int      `json:"position"`
	Enabled              bool     `json:"enabled"`
	Priorities           []string `json:"priorities"`
	Channels             []string `json:"channels"`
	Segments             []string `json:"segments"`
	FirstResponseMinutes int64    `json:"first_response_minutes"`
	NextResponseMinutes  int64    `json:"next_response_minutes"`
	ResolutionMinutes    int64    `json:"resolution_minutes"`
	WarnAt               float64  `json:"warn_at"`
	BusinessHours        bool     `json:"business_hours"`
}

// maxTargetMinutes keeps the minutes within what a Duration holds (the
// policy's own check then refuses anything over a year).
const maxTargetMinutes = 10 * 366 * 24 * 60

func (in policyIn) apply(p *desk.SLAPolicy) error {
	for _, m := range []struct {
		field string
		v     int64
	}{{"first_response_minutes", in.FirstResponseMinutes}, {"next_response_minutes", in.NextResponseMinutes},
		{"resolution_minutes", in.ResolutionMinutes}} {
		if m.v < 0 || m.v > maxTargetMinutes {
			return desk.Invalid(m.field, "between 0 (none) and 527040 (366 days)")
		}
	}
	p.Name, p.Position, p.Enabled, p.BusinessHours, p.WarnAt = in.Name, in.Position, in.Enabled, in.BusinessHours, in.WarnAt
	p.Priorities, p.Channels, p.Segments = nil, nil, in.Segments
	for _, pr := range in.Priorities {
		p.Priorities = append(p.Priorities, desk.Priority(pr))
	}
	for _, ch := range in.Channels {
		p.Channels = append(p.Channels, desk.ChannelKind(ch))
	}
	p.FirstResponse = time.Duration(in.FirstResponseMinutes) * time.Minute
	p.NextResponse = time.Duration(in.NextResponseMinutes) * time.Minute
	p.Resolution = time.Duration(in.ResolutionMinutes) * time.Minute
	return nil
}

func (h *Handler) listPolicies(w http.ResponseWriter, r *http.Request) error {
	ps, err := h.SLA.Policies(r.Context())
	if err != nil {
		return err
	}
	out := make([]policyJSON, len(ps))
	for i, p := range ps {
		out[i] = policyOut(p)
	}
	return write(w, http.StatusOK, map[string]any{"items": out})
}

func (h *Handler) getPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := h.SLA.Policy(r.Context(), id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, policyOut(*p))
}

func (h *Handler) createPolicy(w http.ResponseWriter, r *http.Request) error {
	var in policyIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p := &desk.SLAPolicy{}
	if err := in.apply(p); err != nil {
		return err
	}
	if err := h.SLA.CreatePolicy(r.Context(), p); err != nil {
		return err
	}
	return write(w, http.StatusCreated, policyOut(*p))
}

func (h *Handler) updatePolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in policyIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, err := h.SLA.Policy(r.Context(), id)
	if err != nil {
		return err
	}
	pos := p.Position
	if err := in.apply(p); err != nil {
		return err
	}
	if in.Position == 0 {
		p.Position = pos // a PUT without a position keeps the order
	}
	if err := h.SLA.UpdatePolicy(r.Context(), p); err != nil {
		return err
	}
	return write(w, http.StatusOK, policyOut(*p))
}

func (h *Handler) deletePolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.SLA.Policy(r.Context(), id); err != nil {
		return err
	}
	if err := h.SLA.DeletePolicy(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// teamHoursJSON is a team's routing mode, hours and away texts. Hours is
// null for a team that is always open.
type teamHoursJSON struct {
	Mode   string     `json:"mode"`
	Hours  *hoursJSON `json:"hours"`
	AwayNL string     `json:"away_nl"`
	AwayEN string     `json:"away_en"`
}

// hoursJSON is sla.Hours on the wire: days as "09:00-12:30, 13:00-17:00",
// "closed" or "24h"; holidays closed all day without open.
type hoursJSON struct {
	Zone     string            `json:"zone"`
	Week     map[string]string `json:"week"`
	Holidays []holidayJSON     `json:"holidays,omitempty"`
	Public   string            `json:"public,omitempty" enum:",nl,nl+goede-vrijdag"`
}

type holidayJSON struct {
	Date string `json:"date"`
	Name string `json:"name,omitempty"`
	Open string `json:"open,omitempty"`
}

func (h *Handler) getTeamHours(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.Store.TeamByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("team %d: %w", id, err)
	}
	out := teamHoursJSON{Mode: string(t.Mode), AwayNL: t.Settings[desk.TeamAwayNL], AwayEN: t.Settings[desk.TeamAwayEN]}
	if out.Mode == "" {
		out.Mode = string(desk.RouteLeastLoaded)
	}
	if hours, ok := slawatch.TeamHours(t); ok {
		// The same wire form both ways: sla.Hours writes it.
		b, err := json.Marshal(hours)
		if err != nil {
			return err
		}
		out.Hours = &hoursJSON{}
		if err := json.Unmarshal(b, out.Hours); err != nil {
			return err
		}
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) putTeamHours(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in teamHoursJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ch := slawatch.TeamChange{Mode: desk.RoutingMode(in.Mode), AwayNL: in.AwayNL, AwayEN: in.AwayEN}
	if in.Hours != nil {
		b, err := json.Marshal(in.Hours)
		if err != nil {
			return err
		}
		var hours sla.Hours
		if err := json.Unmarshal(b, &hours); err != nil {
			return err // a *desk.ValidationError naming the field
		}
		ch.Hours = &hours
	}
	if err := h.SLA.SetTeam(r.Context(), id, ch); err != nil {
		return err
	}
	return h.getTeamHours(w, r)
}
