package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
)

// Feedback is what the satisfaction report (/app/reports/csat) and the
// improvement signals (/app/improvements) need; *feedback.Service
// implements it.
type Feedback interface {
	Results(ctx context.Context, from, to time.Time) (*feedback.Report, error)
	Improvements(ctx context.Context, state desk.ImprovementState) ([]desk.Improvement, error)
	Tag(ctx context.Context, agentID int64, sig feedback.Signal) (*desk.Improvement, error)
	NotifyFixed(ctx context.Context, agentID, improvementID int64, body string) (int, error)
}

func (h *Handler) feedbackRoutes(mux *http.ServeMux) {
	supervisor := func(r desk.Role) bool { return r.AtLeast(desk.RoleSupervisor) }
	agent := func(r desk.Role) bool { return r.AtLeast(desk.RoleAgent) }
	mux.HandleFunc("GET /app/reports/csat", h.feedbackGuard(supervisor, h.csatPage))
	mux.HandleFunc("GET /app/improvements", h.feedbackGuard(agent, h.improvementsPage))
	mux.HandleFunc("POST /app/improvements", h.feedbackGuard(agent, h.improvementTag))
	mux.HandleFunc("POST /app/improvements/{id}/notify", h.feedbackGuard(supervisor, h.improvementNotify))
}

func (h *Handler) feedbackGuard(allow func(desk.Role) bool, fn func(*req)) http.HandlerFunc {
	return h.guard(allow, maxForm, func(q *req) {
		if h.d.Feedback == nil {
			h.errorPage(q.w, q.r, q.locale, q, http.StatusNotFound)
			return
		}
		fn(q)
	})
}

type csatData struct {
	R        *feedback.Report
	Days     int // the period shown: the last Days days
	FromDate string
	ToDate   string
}

// csatPage shows the last 30 days (or ?days=7..365).
func (h *Handler) csatPage(q *req) {
	days, err := strconv.Atoi(q.r.URL.Query().Get("days"))
	if err != nil || days < 1 || days > 365 {
		days = 30
	}
	now := h.d.Clock.Now().In(h.loc)
	to := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, h.loc)
	from := to.AddDate(0, 0, -days)
	rep, err := h.d.Feedback.Results(q.r.Context(), from, to)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "csat", "reports", csatData{R: rep, Days: days,
		FromDate: from.Format(time.DateOnly), ToDate: to.AddDate(0, 0, -1).Format(time.DateOnly)})
}

type improvementsData struct {
	Open, Closed []desk.Improvement
	Teams        map[int64]string
	TeamList     []desk.Team
	Supervisor   bool
	// Conversation prefills the tag form (?conversation=ID).
	Conversation string
}

func (h *Handler) improvementsPage(q *req) {
	ims, err := h.d.Feedback.Improvements(q.r.Context(), "")
	if err != nil {
		h.fail(q, err)
		return
	}
	teams, err := h.d.Store.ListTeams(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	d := improvementsData{Teams: map[int64]string{}, TeamList: teams, Supervisor: q.agent.Role.AtLeast(desk.RoleSupervisor),
		Conversation: q.r.URL.Query().Get("conversation")}
	for _, t := range teams {
		d.Teams[t.ID] = t.Name
	}
	for _, im := range ims {
		if im.State == desk.ImprovementOpen {
			d.Open = append(d.Open, im)
		} else {
			d.Closed = append(d.Closed, im)
		}
	}
	h.render(q.w, q, http.StatusOK, "improvements", "improvements", d)
}

// improvementTag tags a conversation as a signal of an existing problem
// or of a new one.
func (h *Handler) improvementTag(q *req) {
	const back = "/app/improvements"
	convID, err := strconv.ParseInt(q.r.PostForm.Get("conversation_id"), 10, 64)
	if err != nil || convID <= 0 {
		h.failed(q, back, desk.Invalid("conversation_id", "a conversation number"))
		return
	}
	sig := feedback.Signal{ConversationID: convID, Title: q.r.PostForm.Get("title"), Note: q.r.PostForm.Get("note")}
	if v := q.r.PostForm.Get("improvement_id"); v != "" && v != "0" {
		if sig.ImprovementID, err = strconv.ParseInt(v, 10, 64); err != nil {
			h.failed(q, back, desk.Invalid("improvement_id", "a problem"))
			return
		}
	}
	if v := q.r.PostForm.Get("team_id"); v != "" {
		sig.TeamID, _ = strconv.ParseInt(v, 10, 64)
	}
	if _, err := h.d.Feedback.Tag(q.r.Context(), q.agent.ID, sig); err != nil {
		h.failed(q, back, err)
		return
	}
	h.back(q, back, flash{Kind: "ok", Key: "improvements.tagged"})
}

// improvementNotify tells every reporter of a problem that it is fixed
// and closes it.
func (h *Handler) improvementNotify(q *req) {
	const back = "/app/improvements"
	id, err := pathID(q.r)
	if err != nil {
		h.failed(q, back, err)
		return
	}
	if _, err := h.d.Feedback.NotifyFixed(q.r.Context(), q.agent.ID, id, q.r.PostForm.Get("body")); err != nil {
		h.failed(q, back, err)
		return
	}
	h.back(q, back, flash{Kind: "ok", Key: "improvements.notified"})
}
