package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/kb"
)

// Guided flows in the workspace: supervisors and admins list, write,
// preview, publish and archive them and read how customers went through
// them; admins delete them. The definition is JSON (package flow's),
// edited in a textarea with a readable rendering of its steps below; the
// preview runs the draft step by step with plain forms, keeping the
// runner's state in a hidden field, and stores no runs.

// flowForm bounds a flow's form: a definition may be 256 KiB, which a form
// encoding can triple.
const flowForm = 1 << 20

func (h *Handler) flowRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app/flows", h.flowGuard(desk.RoleSupervisor, maxForm, h.flowList))
	mux.HandleFunc("POST /app/flows", h.flowGuard(desk.RoleSupervisor, maxForm, h.flowCreate))
	mux.HandleFunc("GET /app/flows/{id}", h.flowGuard(desk.RoleSupervisor, maxForm, h.flowEdit))
	mux.HandleFunc("POST /app/flows/{id}", h.flowGuard(desk.RoleSupervisor, flowForm, h.flowUpdate))
	mux.HandleFunc("POST /app/flows/{id}/publish", h.flowGuard(desk.RoleSupervisor, maxForm, h.flowPublish))
	mux.HandleFunc("POST /app/flows/{id}/archive", h.flowGuard(desk.RoleSupervisor, maxForm, h.flowArchive))
	mux.HandleFunc("POST /app/flows/{id}/delete", h.flowGuard(desk.RoleAdmin, maxForm, h.flowDelete))
	mux.HandleFunc("GET /app/flows/{id}/preview", h.flowGuard(desk.RoleSupervisor, maxForm, h.flowPreview))
	mux.HandleFunc("POST /app/flows/{id}/preview", h.flowGuard(desk.RoleSupervisor, flowForm, h.flowPreview))
	mux.HandleFunc("GET /app/flows/{id}/stats", h.flowGuard(desk.RoleSupervisor, maxForm, h.flowStats))
}

// flowGuard admits agents of at least role min, and answers 404 when the
// handler has no flows.
func (h *Handler) flowGuard(min desk.Role, limit int64, fn func(*req)) http.HandlerFunc {
	return h.guard(func(r desk.Role) bool { return r.AtLeast(min) }, limit, func(q *req) {
		if h.d.Flows == nil {
			h.errorPage(q.w, q.r, q.locale, q, http.StatusNotFound)
			return
		}
		fn(q)
	})
}

func flowPath(id int64) string { return "/app/flows/" + strconv.FormatInt(id, 10) }

// categoryNames maps the front line's category keys to names in locale
// (empty without a front line).
func (h *Handler) categoryNames(q *req) ([]front.Category, map[string]string, error) {
	names := map[string]string{}
	if h.d.Front == nil {
		return nil, names, nil
	}
	cats, err := h.d.Front.Categories(q.r.Context())
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cats {
		names[c.Key] = c.Name(q.locale)
	}
	return cats, names, nil
}

// --- list

type flowListData struct {
	Rows       []desk.Flow
	Locale     string
	Status     string
	Locales    []string
	Statuses   []desk.ArticleStatus
	Categories []front.Category
	CatNames   map[string]string
}

func (h *Handler) flowList(q *req) {
	v := q.r.URL.Query()
	d := flowListData{Locale: v.Get("locale"), Status: v.Get("status"), Locales: kb.Locales, Statuses: articleStatuses}
	if !kb.ValidLocale(d.Locale) {
		d.Locale = ""
	}
	if !desk.ArticleStatus(d.Status).Valid() {
		d.Status = ""
	}
	var err error
	if d.Rows, err = h.d.Flows.List(q.r.Context(), d.Locale, desk.ArticleStatus(d.Status)); err != nil {
		h.fail(q, err)
		return
	}
	if d.Categories, d.CatNames, err = h.categoryNames(q); err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "flows", "flows", d)
}

func (h *Handler) flowCreate(q *req) {
	f := q.r.PostForm
	in := flow.Input{Locale: f.Get("locale"), Title: f.Get("title"), Category: f.Get("category")}
	var err error
	if in.TranslationOf, err = formID(q.r, "translation_of"); err != nil {
		h.failed(q, "/app/flows", err)
		return
	}
	fl, err := h.d.Flows.Create(q.r.Context(), in)
	if err != nil {
		h.failed(q, "/app/flows", err)
		return
	}
	h.back(q, flowPath(fl.ID), flash{Kind: "ok", Key: "flash.created"})
}

// --- editor

type flowEditData struct {
	F *desk.Flow // as stored
	// Form is what the author typed: the stored flow, or a refused save.
	Form flowInput
	// Problems are the reasons a save or publish was refused that name no
	// step; the steps' own are on Steps.
	Problems     []string
	StepProblems bool
	Steps        []stepRow
	Start        string
	Versions     []versionRow
	Translations []desk.Flow
	Missing      []string // locales without a translation
	Categories   []front.Category
	CatNames     map[string]string
	TeamNames    map[int64]string
	CanDelete    bool
}

type flowInput struct {
	Title, Slug, Description, Category, Definition string
}

type stepRow struct {
	S        flow.Step
	Problems []string
}

type versionRow struct {
	V  desk.FlowVersion
	By string
}

func (h *Handler) pathFlow(q *req) (*desk.Flow, bool) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return nil, false
	}
	f, err := h.d.Flows.Flow(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return nil, false
	}
	return f, true
}

func (h *Handler) flowEdit(q *req) {
	f, ok := h.pathFlow(q)
	if !ok {
		return
	}
	h.flowEditor(q, http.StatusOK, f, flowInput{Title: f.Title, Slug: f.Slug, Description: f.Description,
		Category: f.Category, Definition: f.Definition}, nil)
}

// flowEditor renders the editor with in as the form and, when a save or
// publish was refused, why.
func (h *Handler) flowEditor(q *req, status int, f *desk.Flow, in flowInput, refused error) {
	ctx := q.r.Context()
	d := flowEditData{F: f, Form: in, CanDelete: q.kbAdmin()}
	byStep := map[string][]string{}
	if refused != nil {
		for _, p := range validationErrors(refused) {
			if step, ok := strings.CutPrefix(p.Field, "step "); ok {
				byStep[step] = append(byStep[step], p.Reason)
			} else if p.Field != "" {
				d.Problems = append(d.Problems, p.Field+": "+p.Reason)
			} else {
				d.Problems = append(d.Problems, p.Reason)
			}
		}
		if len(d.Problems) == 0 && len(byStep) == 0 {
			d.Problems = []string{h.errorText(q.locale, refused)}
		}
	}
	// The steps as far as the JSON decodes, so that an author sees which
	// step a problem is in ("step 3" for a step without a valid id).
	if def, err := flow.Decode([]byte(in.Definition)); err == nil {
		d.Start = def.Start
		for i, s := range def.Steps {
			key := s.ID
			if _, ok := byStep[key]; !ok || key == "" {
				key = strconv.Itoa(i + 1)
			}
			d.Steps = append(d.Steps, stepRow{S: s, Problems: byStep[key]})
			d.StepProblems = d.StepProblems || len(byStep[key]) > 0
			delete(byStep, key)
		}
	}
	for step, rs := range byStep {
		for _, r := range rs {
			d.Problems = append(d.Problems, "step "+step+": "+r)
		}
	}
	slices.Sort(d.Problems)
	vs, err := h.d.Flows.Versions(ctx, f.ID)
	if err != nil {
		h.fail(q, err)
		return
	}
	n, err := h.names(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	d.TeamNames = n.teams
	for _, v := range vs {
		d.Versions = append(d.Versions, versionRow{V: v, By: n.agents[v.AgentID]})
	}
	if d.Translations, err = h.d.Flows.Translations(ctx, f, false); err != nil {
		h.fail(q, err)
		return
	}
	for _, l := range kb.Locales {
		if l != f.Locale && !slices.ContainsFunc(d.Translations, func(t desk.Flow) bool { return t.Locale == l }) {
			d.Missing = append(d.Missing, l)
		}
	}
	if d.Categories, d.CatNames, err = h.categoryNames(q); err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, status, "flow_edit", "flows", d)
}

// validationErrors lists the validation errors in err's tree: package flow joins
// one per problem.
func validationErrors(err error) []desk.ValidationError {
	var out []desk.ValidationError
	var walk func(error)
	walk = func(e error) {
		if ve, ok := e.(*desk.ValidationError); ok {
			out = append(out, *ve)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

func (h *Handler) flowUpdate(q *req) {
	f, ok := h.pathFlow(q)
	if !ok {
		return
	}
	p := q.r.PostForm
	in := flowInput{Title: p.Get("title"), Slug: p.Get("slug"), Description: p.Get("description"),
		Category: p.Get("category"), Definition: p.Get("definition")}
	_, err := h.d.Flows.Update(q.r.Context(), f.ID, flow.Input{Locale: f.Locale, Title: in.Title, Slug: in.Slug,
		Description: in.Description, Category: in.Category, Definition: in.Definition})
	if err != nil {
		h.flowEditor(q, statusOf(err), f, in, err)
		return
	}
	h.back(q, flowPath(f.ID), flash{Kind: "ok", Key: "flash.saved"})
}

func (h *Handler) flowPublish(q *req) {
	f, ok := h.pathFlow(q)
	if !ok {
		return
	}
	if _, err := h.d.Flows.Publish(q.r.Context(), q.agent, f.ID); err != nil {
		if errors.Is(err, desk.ErrInvalid) {
			// An article the flow shows is not published, say: show
			// which step.
			h.flowEditor(q, statusOf(err), f, flowInput{Title: f.Title, Slug: f.Slug, Description: f.Description,
				Category: f.Category, Definition: f.Definition}, err)
			return
		}
		h.failed(q, flowPath(f.ID), err)
		return
	}
	h.back(q, flowPath(f.ID), flash{Kind: "ok", Key: "flash.flow_published"})
}

func (h *Handler) flowArchive(q *req) {
	f, ok := h.pathFlow(q)
	if !ok {
		return
	}
	if _, err := h.d.Flows.Archive(q.r.Context(), f.ID); err != nil {
		h.failed(q, flowPath(f.ID), err)
		return
	}
	h.back(q, flowPath(f.ID), flash{Kind: "ok", Key: "flash.flow_archived"})
}

func (h *Handler) flowDelete(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	if err := h.d.Flows.Delete(q.r.Context(), id); err != nil {
		h.failed(q, flowPath(id), err)
		return
	}
	h.back(q, "/app/flows", flash{Kind: "ok", Key: "flash.deleted"})
}

// --- preview

type flowPreviewData struct {
	F     *desk.Flow
	V     flow.View
	State string // the runner's state, for the next answer
	Path  []flow.Visit
	// Article is the title of the article the view shows, when found.
	Article string
	Error   string
	Team    string
}

// flowPreview runs the draft: GET starts it, POST answers the step the
// posted state waits at. Nothing is stored.
func (h *Handler) flowPreview(q *req) {
	f, ok := h.pathFlow(q)
	if !ok {
		return
	}
	d := flowPreviewData{F: f}
	def, err := flow.Draft(f)
	if err != nil {
		d.Error = h.errorText(q.locale, err)
		h.render(q.w, q, http.StatusOK, "flow_preview", "flows", d)
		return
	}
	st := flow.Start(def)
	if raw := q.r.PostFormValue("state"); q.r.Method == http.MethodPost && raw != "" && q.r.PostFormValue("restart") == "" {
		prev, err := flow.DecodeState([]byte(raw))
		if err == nil {
			st, err = flow.Answer(def, prev, q.r.PostFormValue("answer"))
		}
		if err != nil {
			// The draft changed under the preview, or the run had ended:
			// start again.
			d.Error = h.cats[q.locale].T("flow.preview_restarted")
			st = flow.Start(def)
		}
	}
	d.V, d.State, d.Path = flow.Show(def, st), string(st.Encode()), st.Path
	if a := d.V.Article; a != nil && h.d.KB != nil {
		if arts, err := h.d.KB.Articles(q.r.Context(), desk.ArticleQuery{GroupID: a.GroupID, Locale: f.Locale, Limit: 1}); err == nil && len(arts) > 0 {
			d.Article = arts[0].Title
		}
	}
	if d.V.Team != 0 {
		if t, err := h.d.Store.TeamByID(q.r.Context(), d.V.Team); err == nil {
			d.Team = t.Name
		}
	}
	h.render(q.w, q, http.StatusOK, "flow_preview", "flows", d)
}

// --- analytics

type flowStatsData struct {
	F       *desk.Flow
	Days    int
	Periods []int
	S       *flow.Stats
}

func (h *Handler) flowStats(q *req) {
	f, ok := h.pathFlow(q)
	if !ok {
		return
	}
	d := flowStatsData{F: f, Days: 30, Periods: analyticsPeriods}
	if n, err := strconv.Atoi(q.r.URL.Query().Get("days")); err == nil && slices.Contains(analyticsPeriods, n) {
		d.Days = n
	}
	var err error
	since := h.d.Clock.Now().Add(-time.Duration(d.Days) * 24 * time.Hour)
	if d.S, err = h.d.Flows.Stats(q.r.Context(), f.ID, since, time.Time{}); err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "flow_stats", "flows", d)
}
