package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
	"github.com/balie-dev/balie/internal/slawatch"
)

// Service levels: the SLA policies (admins), a team's routing mode,
// business hours and out-of-hours replies (team managers), the supervisors'
// list of conversations at risk, and the SLA badge and panel every agent
// sees on the inbox rows and the conversation page.

func (h *Handler) slaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/sla", h.slaGuard(desk.RoleAdmin, h.slaPolicies))
	mux.HandleFunc("POST /admin/sla", h.slaGuard(desk.RoleAdmin, h.slaCreate))
	mux.HandleFunc("GET /admin/sla/{id}", h.slaGuard(desk.RoleAdmin, h.slaPolicyPage))
	mux.HandleFunc("POST /admin/sla/{id}", h.slaGuard(desk.RoleAdmin, h.slaUpdate))
	mux.HandleFunc("POST /admin/sla/{id}/delete", h.slaGuard(desk.RoleAdmin, h.slaDelete))
	mux.HandleFunc("POST /admin/sla/{id}/move", h.slaGuard(desk.RoleAdmin, h.slaMove))
	mux.HandleFunc("GET /admin/teams/{id}/hours", h.slaGuard(desk.RoleSupervisor, h.teamHours))
	mux.HandleFunc("POST /admin/teams/{id}/hours", h.slaGuard(desk.RoleSupervisor, h.postTeamHours))
	mux.HandleFunc("GET /app/sla", h.slaGuard(desk.RoleSupervisor, h.slaBoard))
}

// slaGuard lets in agents of at least role min, when service levels are
// wired (404 otherwise).
func (h *Handler) slaGuard(min desk.Role, fn func(*req)) http.HandlerFunc {
	return h.guard(func(r desk.Role) bool { return r.AtLeast(min) }, maxForm, func(q *req) {
		if h.d.SLA == nil {
			h.errorPage(q.w, q.r, q.locale, q, http.StatusNotFound)
			return
		}
		fn(q)
	})
}

// --- durations as the pages show them

// dur is a duration in days, hours and minutes, rounded up to the minute
// (one second left is "1 min", not "0 min").
type dur struct{ D, H, M int }

func durOf(d time.Duration) dur {
	m := int(math.Ceil(d.Minutes()))
	if m < 0 {
		m = 0
	}
	return dur{D: m / (24 * 60), H: m / 60 % 24, M: m % 60}
}

// --- the inbox badge

// slaBadge is the SLA chip of an inbox row.
type slaBadge struct {
	State desk.SLAState
	Left  dur // while running or warning
	Over  dur // when breached
}

// slaBadges fills the rows' SLA chips. A failure leaves the chips off: the
// list matters more than its decoration.
func (h *Handler) slaBadges(ctx context.Context, rows []row) {
	if h.d.SLA == nil || len(rows) == 0 {
		return
	}
	convs := make([]desk.Conversation, len(rows))
	for i, r := range rows {
		convs[i] = r.C
	}
	badges, err := h.d.SLA.Badges(ctx, convs)
	if err != nil {
		h.log.Error("web: sla badges", "err", err)
		return
	}
	for i := range rows {
		if b, ok := badges[rows[i].C.ID]; ok {
			rows[i].SLA = &slaBadge{State: b.State, Left: durOf(b.Left), Over: durOf(b.Over)}
		}
	}
}

// --- the conversation's SLA panel

type slaPanel struct {
	Policy  string
	Hours   bool // counted in business hours
	Targets []slaTargetRow
}

type slaTargetRow struct {
	Kind    sla.Kind
	State   sla.State
	Due     time.Time // in the team's zone
	Left    dur
	Over    dur
	Stopped time.Time
}

// slaPanelOf is the conversation's SLA panel, nil without a policy (or when
// it cannot be worked out: the page shows without it).
func (h *Handler) slaPanelOf(ctx context.Context, c *desk.Conversation, msgs []desk.Message) *slaPanel {
	if h.d.SLA == nil {
		return nil
	}
	st, ok, err := h.d.SLA.StatusOf(ctx, c, msgs)
	if err != nil {
		h.log.Error("web: sla panel", "conversation", c.ID, "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	p := &slaPanel{Policy: st.Policy.Name, Hours: st.Policy.BusinessHours}
	for _, t := range st.Targets {
		r := slaTargetRow{Kind: t.Kind, State: t.State, Left: durOf(t.Remaining), Over: durOf(t.Overdue), Stopped: t.Stopped}
		if !t.Due.IsZero() {
			r.Due = t.Due.In(st.Location)
		}
		p.Targets = append(p.Targets, r)
	}
	return p
}

// --- the supervisors' list

type slaBoardData struct {
	State string // "", "warning" or "breached"
	Rows  []row
}

const slaBoardLimit = 200

// slaBoard lists the open conversations under a policy, due first, with
// their SLA state; ?state=warning shows those at risk or breached,
// ?state=breached the breached ones.
func (h *Handler) slaBoard(q *req) {
	ctx := q.r.Context()
	d := slaBoardData{State: q.r.URL.Query().Get("state")}
	if d.State != "warning" && d.State != "breached" {
		d.State = ""
	}
	convs, err := h.d.SLA.Due(ctx, slaBoardLimit)
	if err != nil {
		h.fail(q, err)
		return
	}
	n, err := h.names(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	for _, c := range convs {
		if c.Contact == nil {
			if ct, err := h.d.Store.ContactByID(ctx, c.ContactID); err == nil {
				c.Contact = ct
			}
		}
		d.Rows = append(d.Rows, n.row(c))
	}
	h.slaBadges(ctx, d.Rows)
	if d.State != "" {
		d.Rows = slices.DeleteFunc(d.Rows, func(r row) bool {
			return r.SLA == nil || r.SLA.State == desk.SLARunning ||
				d.State == "breached" && r.SLA.State != desk.SLABreached
		})
	}
	h.render(q.w, q, http.StatusOK, "sla_board", "sla", d)
}

// --- policies

// slaPolicyForm is a policy as its form shows it.
type slaPolicyForm struct {
	ID            int64
	Name          string
	Enabled       bool
	Priorities    []string
	Channels      []string
	Segments      string
	First, Next   durField
	Resolution    durField
	WarnAt        string // percent
	BusinessHours bool
}

// durField is a target as a number and a unit ("m" or "h").
type durField struct{ N, Unit string }

func durFieldOf(d time.Duration) durField {
	switch {
	case d == 0:
		return durField{Unit: "h"}
	case d%time.Hour == 0:
		return durField{N: strconv.FormatInt(int64(d/time.Hour), 10), Unit: "h"}
	}
	return durField{N: strconv.FormatInt(int64(d/time.Minute), 10), Unit: "m"}
}

func policyForm(p desk.SLAPolicy) slaPolicyForm {
	f := slaPolicyForm{ID: p.ID, Name: p.Name, Enabled: p.Enabled, Segments: strings.Join(p.Segments, ", "),
		First: durFieldOf(p.FirstResponse), Next: durFieldOf(p.NextResponse), Resolution: durFieldOf(p.Resolution),
		BusinessHours: p.BusinessHours}
	for _, pr := range p.Priorities {
		f.Priorities = append(f.Priorities, string(pr))
	}
	for _, ch := range p.Channels {
		f.Channels = append(f.Channels, string(ch))
	}
	if p.WarnAt > 0 {
		f.WarnAt = strconv.Itoa(int(math.Round(p.WarnAt * 100)))
	}
	return f
}

// readPolicyForm reads the posted form into f and p; the problems name the
// fields that do not parse.
func readPolicyForm(q *req, p *desk.SLAPolicy) (slaPolicyForm, slawatch.Problems) {
	r := q.r
	f := slaPolicyForm{ID: p.ID, Name: r.PostFormValue("name"), Enabled: r.PostFormValue("enabled") == "on",
		Priorities: r.PostForm["priority"], Channels: r.PostForm["channel"], Segments: r.PostFormValue("segments"),
		First:         durField{r.PostFormValue("first_response"), r.PostFormValue("first_response_unit")},
		Next:          durField{r.PostFormValue("next_response"), r.PostFormValue("next_response_unit")},
		Resolution:    durField{r.PostFormValue("resolution"), r.PostFormValue("resolution_unit")},
		WarnAt:        strings.TrimSpace(r.PostFormValue("warn_at")),
		BusinessHours: r.PostFormValue("business_hours") == "on"}
	var probs slawatch.Problems
	bad := func(field, reason string) {
		probs = append(probs, &desk.ValidationError{Field: field, Reason: reason})
	}
	p.Name, p.Enabled, p.BusinessHours = f.Name, f.Enabled, f.BusinessHours
	p.Priorities, p.Channels, p.Segments = nil, nil, nil
	for _, v := range f.Priorities {
		p.Priorities = append(p.Priorities, desk.Priority(v))
	}
	for _, v := range f.Channels {
		p.Channels = append(p.Channels, desk.ChannelKind(v))
	}
	for s := range strings.SplitSeq(f.Segments, ",") {
		if s = strings.TrimSpace(s); s != "" {
			p.Segments = append(p.Segments, s)
		}
	}
	for _, t := range []struct {
		field string
		in    durField
		out   *time.Duration
	}{{"first_response", f.First, &p.FirstResponse}, {"next_response", f.Next, &p.NextResponse},
		{"resolution", f.Resolution, &p.Resolution}} {
		*t.out = 0
		n := strings.TrimSpace(t.in.N)
		if n == "" {
			continue
		}
		v, err := strconv.Atoi(n)
		unit := time.Hour
		if t.in.Unit == "m" {
			unit = time.Minute
		}
		if err != nil || v < 0 || v > 366*24*60 {
			bad(t.field, "a whole number")
			continue
		}
		*t.out = time.Duration(v) * unit
	}
	p.WarnAt = 0
	if f.WarnAt != "" {
		v, err := strconv.Atoi(strings.TrimSuffix(f.WarnAt, "%"))
		if err != nil || v < 0 || v > 99 {
			bad("warn_at", "a percentage from 0 to 99")
		} else {
			p.WarnAt = float64(v) / 100
		}
	}
	return f, probs
}

type slaPoliciesData struct {
	Policies   []slaPolicyRow
	Form       slaPolicyForm
	Errs       slawatch.Problems
	Priorities []desk.Priority
	Channels   []desk.ChannelKind
}

// slaPolicyRow is a policy in the list, with its targets for display.
type slaPolicyRow struct {
	P                desk.SLAPolicy
	First, Next, Res dur
	Last             bool // nothing to move down past
}

func (h *Handler) renderPolicies(q *req, status int, form slaPolicyForm, errs slawatch.Problems) {
	ps, err := h.d.SLA.Policies(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	d := slaPoliciesData{Form: form, Errs: errs, Priorities: priorities, Channels: channels}
	for _, p := range ps {
		d.Policies = append(d.Policies, slaPolicyRow{P: p, First: durOf(p.FirstResponse), Next: durOf(p.NextResponse),
			Res: durOf(p.Resolution)})
	}
	if n := len(d.Policies); n > 0 {
		d.Policies[n-1].Last = true
	}
	h.render(q.w, q, status, "admin_sla", "admin/sla", d)
}

func (h *Handler) slaPolicies(q *req) {
	h.renderPolicies(q, http.StatusOK, slaPolicyForm{Enabled: true, First: durField{Unit: "h"},
		Next: durField{Unit: "h"}, Resolution: durField{Unit: "h"}, WarnAt: "80", BusinessHours: true}, nil)
}

func (h *Handler) slaPolicyPage(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	p, err := h.d.SLA.Policy(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.renderPolicies(q, http.StatusOK, policyForm(*p), nil)
}

// problemsOf turns a validation error into per-field problems; other
// errors are not the form's.
func problemsOf(err error) (slawatch.Problems, bool) {
	if ps, ok := errors.AsType[slawatch.Problems](err); ok {
		return ps, true
	}
	if ve, ok := errors.AsType[*desk.ValidationError](err); ok {
		return slawatch.Problems{ve}, true
	}
	return nil, false
}

func (h *Handler) slaCreate(q *req) {
	p := &desk.SLAPolicy{}
	f, probs := readPolicyForm(q, p)
	if len(probs) == 0 {
		err := h.d.SLA.CreatePolicy(q.r.Context(), p)
		if err == nil {
			h.back(q, "/admin/sla", flash{Kind: "ok", Key: "flash.created"})
			return
		}
		var ok bool
		if probs, ok = problemsOf(err); !ok {
			h.failed(q, "/admin/sla", err)
			return
		}
	}
	h.renderPolicies(q, http.StatusUnprocessableEntity, f, probs)
}

func (h *Handler) slaUpdate(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	p, err := h.d.SLA.Policy(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/admin/sla/" + strconv.FormatInt(id, 10)
	f, probs := readPolicyForm(q, p)
	if len(probs) == 0 {
		err := h.d.SLA.UpdatePolicy(q.r.Context(), p)
		if err == nil {
			h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
			return
		}
		var ok bool
		if probs, ok = problemsOf(err); !ok {
			h.failed(q, to, err)
			return
		}
	}
	h.renderPolicies(q, http.StatusUnprocessableEntity, f, probs)
}

func (h *Handler) slaDelete(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	if err := h.d.SLA.DeletePolicy(q.r.Context(), id); err != nil {
		h.failed(q, "/admin/sla", err)
		return
	}
	h.back(q, "/admin/sla", flash{Kind: "ok", Key: "flash.deleted"})
}

func (h *Handler) slaMove(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	delta := 1
	if q.r.PostFormValue("dir") == "up" {
		delta = -1
	}
	if err := h.d.SLA.MovePolicy(q.r.Context(), id, delta); err != nil {
		h.failed(q, "/admin/sla", err)
		return
	}
	h.back(q, "/admin/sla", flash{Kind: "ok", Key: "flash.saved"})
}

// --- a team's routing mode, hours and out-of-hours replies

type teamHoursData struct {
	T       *desk.Team
	Mode    desk.RoutingMode
	On      bool // the team keeps business hours (else always open)
	In      slawatch.HoursInput
	Days    []teamDay
	AwayNL  string
	AwayEN  string
	Errs    slawatch.Problems
	CanEdit bool
	Modes   []desk.RoutingMode
	Publics []string
}

// teamDay is one weekday's field, Monday first.
type teamDay struct {
	Key, Value string
}

var routingModes = []desk.RoutingMode{desk.RouteLeastLoaded, desk.RouteRoundRobin, desk.RouteManual}

func (d *teamHoursData) days() {
	d.Days = nil
	for i := range 7 {
		wd := (i + 1) % 7 // Monday first
		d.Days = append(d.Days, teamDay{Key: slawatch.WeekdayKeys[wd], Value: d.In.Days[wd]})
	}
}

func (h *Handler) teamHours(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	t, err := h.d.Store.TeamByID(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return
	}
	hours, on := slawatch.TeamHours(t)
	d := teamHoursData{T: t, Mode: t.Mode, On: on, In: slawatch.InputOf(hours, on),
		AwayNL: t.Settings[desk.TeamAwayNL], AwayEN: t.Settings[desk.TeamAwayEN]}
	if d.Mode == "" {
		d.Mode = desk.RouteLeastLoaded
	}
	h.renderTeamHours(q, http.StatusOK, &d)
}

func (h *Handler) renderTeamHours(q *req, status int, d *teamHoursData) {
	d.CanEdit, d.Modes = q.may(auth.TeamsManage), routingModes
	d.Publics = []string{string(sla.PublicNone), string(sla.PublicNL), string(sla.PublicNLGoodFriday)}
	d.days()
	h.render(q.w, q, status, "admin_team_hours", "admin/teams", d)
}

func (h *Handler) postTeamHours(q *req) {
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
	t, err := h.d.Store.TeamByID(ctx, id)
	if err != nil {
		h.fail(q, err)
		return
	}
	r := q.r
	d := teamHoursData{T: t, Mode: desk.RoutingMode(r.PostFormValue("mode")), On: r.PostFormValue("hours") == "on",
		AwayNL: r.PostFormValue("away_nl"), AwayEN: r.PostFormValue("away_en"),
		In: slawatch.HoursInput{Zone: r.PostFormValue("zone"), Public: r.PostFormValue("public"),
			Holidays: r.PostFormValue("holidays")}}
	for wd, key := range slawatch.WeekdayKeys {
		d.In.Days[wd] = r.PostFormValue("day_" + key)
	}
	ch := slawatch.TeamChange{Mode: d.Mode, AwayNL: d.AwayNL, AwayEN: d.AwayEN}
	if d.On {
		hours, err := slawatch.BuildHours(d.In)
		if err != nil {
			d.Errs, _ = problemsOf(err)
			h.renderTeamHours(q, http.StatusUnprocessableEntity, &d)
			return
		}
		ch.Hours = &hours
	}
	to := "/admin/teams/" + strconv.FormatInt(id, 10) + "/hours"
	if err := h.d.SLA.SetTeam(ctx, id, ch); err != nil {
		if probs, ok := problemsOf(err); ok {
			d.Errs = probs
			h.renderTeamHours(q, http.StatusUnprocessableEntity, &d)
			return
		}
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}
