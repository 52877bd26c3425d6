package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/kb"
)

// Saved replies: every agent reads those of their teams and the shared
// ones; supervisors and admins write them, for every team.

type repliesData struct {
	Rows       []desk.SavedReply
	Locale     string // the list's filter ("" every language)
	TeamID     int64  // the list's filter (0 every team)
	Teams      []desk.Team
	TeamNames  map[int64]string
	Categories []front.Category
	CatNames   map[string]string
	Locales    []string
	CanEdit    bool
	// F is the form: a new reply, or the one being edited (F.ID).
	F     replyForm
	Error string
}

type replyForm struct {
	ID       int64
	Title    string
	Body     string
	Shortcut string
	Category string
	Locale   string
	TeamID   int64
}

func (h *Handler) repliesPage(q *req, status int, f replyForm, errText string) {
	ctx := q.r.Context()
	v := q.r.URL.Query()
	d := repliesData{Locale: v.Get("locale"), Locales: kb.Locales, CanEdit: q.author(), F: f, Error: errText,
		TeamNames: map[int64]string{}, CatNames: map[string]string{}}
	if !kb.ValidLocale(d.Locale) {
		d.Locale = ""
	}
	d.TeamID, _ = strconv.ParseInt(v.Get("team"), 10, 64)
	by := q.agent
	if q.author() {
		// Supervisors look after every team's replies, not only their own
		// teams': the query's "all teams" is the admins' view.
		all := *q.agent
		all.Role = desk.RoleAdmin
		by = &all
	}
	rows, err := h.d.Front.Replies(ctx, by, d.Locale)
	if err != nil {
		h.fail(q, err)
		return
	}
	for _, r := range rows {
		if d.TeamID == 0 || r.TeamID == d.TeamID {
			d.Rows = append(d.Rows, r)
		}
	}
	if d.Teams, err = h.d.Store.ListTeams(ctx); err != nil {
		h.fail(q, err)
		return
	}
	for _, t := range d.Teams {
		d.TeamNames[t.ID] = t.Name
	}
	if d.Categories, err = h.d.Front.Categories(ctx); err != nil {
		h.fail(q, err)
		return
	}
	for _, c := range d.Categories {
		d.CatNames[c.Key] = c.Name(q.locale)
	}
	if d.F.Locale == "" {
		d.F.Locale = q.locale
	}
	h.render(q.w, q, status, "replies", "replies", d)
}

func (h *Handler) replies(q *req) { h.repliesPage(q, http.StatusOK, replyForm{}, "") }

func (h *Handler) editReply(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	r, err := h.d.Front.Reply(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.repliesPage(q, http.StatusOK, replyForm{ID: r.ID, Title: r.Title, Body: r.Body, Shortcut: r.Shortcut,
		Category: r.Category, Locale: r.Locale, TeamID: r.TeamID}, "")
}

func readReplyForm(r *http.Request) (replyForm, error) {
	f := r.PostForm
	out := replyForm{Title: f.Get("title"), Body: f.Get("body"), Shortcut: strings.TrimSpace(f.Get("shortcut")),
		Category: f.Get("category"), Locale: f.Get("locale")}
	var err error
	out.TeamID, err = formID(r, "team_id")
	return out, err
}

func (f replyForm) apply(r *desk.SavedReply) {
	r.Title, r.Body, r.Shortcut, r.Category, r.Locale, r.TeamID = f.Title, f.Body, f.Shortcut, f.Category, f.Locale, f.TeamID
}

func (h *Handler) createReply(q *req) {
	f, err := readReplyForm(q.r)
	r := &desk.SavedReply{}
	if err == nil {
		f.apply(r)
		err = h.d.Front.SaveReply(q.r.Context(), q.agent, r)
	}
	if err != nil {
		// Shown again with what was typed, and why.
		h.repliesPage(q, statusOf(err), f, h.errorText(q.locale, err))
		return
	}
	h.back(q, "/app/replies", flash{Kind: "ok", Key: "flash.created"})
}

func (h *Handler) updateReply(q *req) {
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	r, err := h.d.Front.Reply(ctx, id)
	if err != nil {
		h.fail(q, err)
		return
	}
	f, err := readReplyForm(q.r)
	f.ID = id
	if err == nil {
		f.apply(r)
		err = h.d.Front.SaveReply(ctx, q.agent, r)
	}
	if err != nil {
		h.repliesPage(q, statusOf(err), f, h.errorText(q.locale, err))
		return
	}
	h.back(q, "/app/replies", flash{Kind: "ok", Key: "flash.saved"})
}

func (h *Handler) deleteReply(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	if err := h.d.Front.DeleteReply(q.r.Context(), id); err != nil {
		h.failed(q, "/app/replies", err)
		return
	}
	h.back(q, "/app/replies", flash{Kind: "ok", Key: "flash.deleted"})
}
