package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/casestatus"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
)

// Messages customers get without an agent writing them: status notices on
// their channel (casestatus) and satisfaction surveys (feedback). Both are
// off until an admin turns them on here (/admin/messages).

// Notices reads and stores the company's choice of status notices;
// *casestatus.Service implements it.
type Notices interface {
	Notices(ctx context.Context) (casestatus.NoticeSettings, error)
	SetNotices(ctx context.Context, ns casestatus.NoticeSettings) error
}

// SurveySettings reads and stores the survey settings; *feedback.Service
// implements it.
type SurveySettings interface {
	Settings(ctx context.Context) (feedback.Settings, error)
	SaveSettings(ctx context.Context, set feedback.Settings) error
}

func (h *Handler) messageRoutes(mux *http.ServeMux) {
	admin := func(r desk.Role) bool { return r.AtLeast(desk.RoleAdmin) }
	mux.HandleFunc("GET /admin/messages", h.guard(admin, maxForm, h.messagesPage))
	mux.HandleFunc("POST /admin/messages", h.guard(admin, maxForm, h.postMessages))
}

type messagesData struct {
	Notices casestatus.NoticeSettings
	Survey  feedback.Settings
	// HasNotices and HasSurveys say which parts are wired.
	HasNotices, HasSurveys bool
}

func (h *Handler) messagesData(ctx context.Context) (messagesData, error) {
	var d messagesData
	var err error
	if h.d.Notices != nil {
		d.HasNotices = true
		if d.Notices, err = h.d.Notices.Notices(ctx); err != nil {
			return d, err
		}
	}
	if h.d.Surveys != nil {
		d.HasSurveys = true
		if d.Survey, err = h.d.Surveys.Settings(ctx); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (h *Handler) messagesPage(q *req) {
	d, err := h.messagesData(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "admin_messages", "admin/messages", d)
}

func (h *Handler) postMessages(q *req) {
	ctx, f := q.r.Context(), q.r.PostForm
	d, err := h.messagesData(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	on := func(name string) bool { return f.Get(name) == "1" }
	num := func(name string, def int) int {
		if n, err := strconv.Atoi(strings.TrimSpace(f.Get(name))); err == nil {
			return n
		}
		return def
	}
	if d.HasNotices {
		ns := casestatus.NoticeSettings{Assigned: on("notice_assigned"), Pending: on("notice_pending"), Resolved: on("notice_resolved")}
		if err := h.d.Notices.SetNotices(ctx, ns); err != nil {
			h.failed(q, "/admin/messages", err)
			return
		}
	}
	if d.HasSurveys {
		set := d.Survey // keeps what the form does not show (questions, follow-up agent)
		set.Enabled, set.AskNPS, set.IncludeBotOnly = on("survey_enabled"), on("survey_nps"), on("survey_bot_only")
		set.DelayMinutes = num("survey_delay", set.DelayMinutes)
		set.LowScore = num("survey_low_score", set.LowScore)
		set.ReviewURL = strings.TrimSpace(f.Get("review_url"))
		set.ReviewThreshold = num("review_threshold", set.ReviewThreshold)
		if err := h.d.Surveys.SaveSettings(ctx, set); err != nil {
			h.failed(q, "/admin/messages", err)
			return
		}
	}
	h.back(q, "/admin/messages", flash{Kind: "ok", Key: "flash.saved"})
}
