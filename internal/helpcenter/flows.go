package helpcenter

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/kb/markdown"
	"github.com/balie-dev/balie/internal/lang"
)

// Guided flows as help-center pages: the flow's first step is a form;
// each answer is posted, the server runs the flow (flow.Service records
// the run) and redirects to the run's next step. The run is named by its
// id and a random key in the page's address and form, not a cookie, so
// the page works without JavaScript and without cookies.

// maxFlowForm bounds a posted answer's form: an answer of flow.MaxInput
// runes, percent-encoded, and a few fields.
const maxFlowForm = 16 << 10

func flowPath(loc, slug string) string { return "/help/" + loc + "/flows/" + url.PathEscape(slug) }

// flowBody is a flow page's content.
type flowBody struct {
	Title       string
	Description string
	Action      string // where answers are posted
	RunID       int64  // 0 before the first answer
	Key         string
	At          int // the run's path length the form answers at
	CV          string
	View        flowView
	Restart     string // the flow's page, to start again
	ContactURL  string // on a hand-over: the contact page, with this run
}

// flowView is one step as the page shows it. Texts are the author's
// Markdown, rendered and sanitised, and the customer's own input, escaped.
type flowView struct {
	Kind     flow.ViewKind
	Step     string
	Messages []template.HTML
	Hint     string
	Text     template.HTML // an end's or an article step's text
	Legend   string        // a question's or input's text, plain
	Options  []flow.Choice
	Question string // after an article: did this solve it?
	Article  *articleLink
	Outcome  desk.FlowOutcome
	Solved   bool
	Handover bool
}

// flowPage shows a flow: its first step, or where a run is now.
func (h *Handler) flowPage(w http.ResponseWriter, r *http.Request) {
	loc, slug := r.PathValue("locale"), r.PathValue("slug")
	if !kb.ValidLocale(loc) || h.d.Flows == nil {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	ctx := r.Context()
	f, def, err := h.d.Flows.PublicFlow(ctx, loc, slug)
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	q := r.URL.Query()
	body := &flowBody{Title: f.Title, Description: f.Description, Action: flowPath(loc, f.Slug), Restart: flowPath(loc, f.Slug)}
	if cv := q.Get("cv"); cv != "" && h.sign.visitID(ctx, cv) != 0 {
		body.CV = cv
		h.markAnswered(ctx, cv)
	}
	var view flow.View
	inRun := q.Get("run") != ""
	if inRun {
		id, err := strconv.ParseInt(q.Get("run"), 10, 64)
		key := q.Get("k")
		if err != nil || id <= 0 || key == "" || len(key) > flow.MaxVisitorKey {
			h.notFound(w, r, loc)
			return
		}
		run, v, err := h.d.Flows.RunView(ctx, id, key)
		if err == nil && run.FlowID != f.ID {
			err = desk.ErrNotFound
		}
		if err != nil {
			h.fail(w, r, loc, err)
			return
		}
		view, body.RunID, body.Key, body.At = v, run.ID, key, len(run.Path)
	} else {
		// Showing the first step records nothing: crawlers read this
		// page, and a run starts with the first answer.
		view = flow.Show(def, flow.Start(def))
	}
	p := h.newPage(r, loc)
	body.View = h.flowView(ctx, loc, view)
	if view.Kind == flow.ViewEnd && view.Outcome == desk.FlowHandover && p.Contact != nil {
		v := url.Values{}
		if body.RunID > 0 {
			v.Set("flow_run", strconv.FormatInt(body.RunID, 10)+"."+body.Key)
		}
		if body.CV != "" {
			v.Set("cv", body.CV)
		}
		body.ContactURL = contactPath(loc)
		if len(v) > 0 {
			body.ContactURL += "?" + v.Encode()
		}
		p.Contact = nil // the hand-over offers it
	} else if p.Contact != nil && body.CV != "" {
		p.Contact.URL += "?cv=" + url.QueryEscape(body.CV)
	}

	base := h.baseURL(r)
	p.Title = f.Title + " – " + p.SiteName
	p.Description = f.Description
	if p.Description == "" {
		p.Description = p.L.T("flow.description", f.Title, p.Theme.Name)
	}
	p.Canonical = base + flowPath(loc, f.Slug)
	p.Crumbs = append(p.Crumbs, crumb{Name: p.L.T("home.flows"), Path: p.Home + "#flows-h"}, crumb{Name: f.Title})
	alts := []alternate{{Lang: loc, URL: p.Canonical, Name: p.L.T("lang.name")}}
	translations, err := h.d.Flows.Translations(ctx, f, true)
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	for _, t := range translations {
		if kb.ValidLocale(t.Locale) {
			alts = append(alts, alternate{Lang: t.Locale, URL: base + flowPath(t.Locale, t.Slug), Name: h.cats[t.Locale].T("lang.name")})
		}
	}
	p.Alternates = withDefault(alts)
	p.Switch = h.switcher(p.Alternates, loc)
	p.JSONLD = append(p.JSONLD, howToLD(p, def), breadcrumbLD(base, p.Crumbs, p.Canonical))
	p.Body = body
	cache := cachePublic
	if inRun || body.CV != "" {
		// A run's page is its visitor's: its address holds the run's key,
		// which must not travel to other sites in a Referer.
		p.Robots = "noindex, follow"
		cache = cachePrivate
		w.Header().Set("Referrer-Policy", "same-origin")
	}
	h.render(w, r, http.StatusOK, "flow", p, cache)
}

// flowView turns the runner's view into the page's.
func (h *Handler) flowView(ctx context.Context, loc string, v flow.View) flowView {
	out := flowView{Kind: v.Kind, Step: v.Step, Hint: v.Hint, Options: v.Options, Question: v.Question, Outcome: v.Outcome}
	for _, m := range v.Messages {
		out.Messages = append(out.Messages, markdown.Render(m, markdown.Options{}).HTML)
	}
	switch v.Kind {
	case flow.ViewQuestion, flow.ViewInput:
		out.Legend = strings.Join(strings.Fields(markdown.Text(v.Text)), " ")
	case flow.ViewEnd:
		out.Solved = v.Outcome == desk.FlowSolved
		out.Handover = v.Outcome == desk.FlowHandover
		fallthrough
	default:
		if v.Text != "" {
			out.Text = markdown.Render(v.Text, markdown.Options{}).HTML
		}
	}
	if v.Article != nil {
		out.Article = h.flowArticle(ctx, loc, v.Article)
	}
	return out
}

// flowArticle links an article a flow shows; nil when it is no longer
// public.
func (h *Handler) flowArticle(ctx context.Context, loc string, ref *flow.ArticleRef) *articleLink {
	title, slug := ref.Title, ref.Slug
	if slug == "" {
		as, err := h.d.KB.Articles(ctx, desk.ArticleQuery{GroupID: ref.GroupID, Locale: loc, Public: true, Limit: 1})
		if err != nil || len(as) == 0 {
			return nil
		}
		title, slug = as[0].Title, as[0].Slug
	}
	return &articleLink{Title: title, URL: articlePath(loc, slug)}
}

// flowAnswer takes an answer to a flow's step (the first starts the run)
// and redirects to what comes next.
func (h *Handler) flowAnswer(w http.ResponseWriter, r *http.Request) {
	loc, slug := r.PathValue("locale"), r.PathValue("slug")
	if !kb.ValidLocale(loc) || h.d.Flows == nil {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	ctx := r.Context()
	if crossSite(r) {
		h.errorPage(w, r, loc, http.StatusForbidden, "error.forbidden.heading", "error.forbidden.text")
		return
	}
	if !h.flowLimit.allow(limitKey(clientIP(r))) {
		w.Header().Set("Retry-After", "60")
		h.errorPage(w, r, loc, http.StatusTooManyRequests, "error.limit.heading", "error.limit.flow")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFlowForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.bad.text")
		return
	}
	form := r.PostForm
	f, _, err := h.d.Flows.PublicFlow(ctx, loc, slug)
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	answer := strings.TrimSpace(form.Get("answer"))
	if !utf8.ValidString(answer) {
		h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.bad.text")
		return
	}
	var (
		run  *desk.FlowRun
		view flow.View
		key  string
		at   = -1
	)
	if form.Get("run") == "" {
		key = newRunKey()
		run, view, err = h.d.Flows.StartRun(ctx, flow.RunInput{FlowID: f.ID, Source: desk.SourceHelpCenter, VisitorKey: key})
		at = len(run.Path)
	} else {
		id, perr := strconv.ParseInt(form.Get("run"), 10, 64)
		key = form.Get("k")
		if perr != nil || id <= 0 || key == "" || len(key) > flow.MaxVisitorKey {
			h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.bad.text")
			return
		}
		run, view, err = h.d.Flows.RunView(ctx, id, key)
		if err == nil && run.FlowID != f.ID {
			err = desk.ErrNotFound
		}
		if n, perr := strconv.Atoi(form.Get("at")); perr == nil {
			at = n
		}
	}
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	// Only the step the form was made for is answered: a form sent twice,
	// or one for a step the run has left, must not answer the next one.
	// An empty answer asks again rather than counting as misunderstood.
	if view.Kind != flow.ViewEnd && answer != "" && view.Step == form.Get("step") && at == len(run.Path) {
		if run, _, err = h.d.Flows.AnswerRun(ctx, run.ID, answer, key); err != nil {
			h.fail(w, r, loc, err)
			return
		}
	}
	v := url.Values{"run": {strconv.FormatInt(run.ID, 10)}, "k": {key}}
	if cv := form.Get("cv"); cv != "" && h.sign.visitID(ctx, cv) != 0 {
		v.Set("cv", cv)
	}
	w.Header().Set("Cache-Control", cachePrivate)
	http.Redirect(w, r, flowPath(loc, f.Slug)+"?"+v.Encode()+"#flow", http.StatusSeeOther)
}

// howToLD is the schema.org HowTo of a flow: its steps that say or ask
// something, in the order the author wrote them.
func howToLD(p *page, def *flow.Definition) template.JS {
	var steps []map[string]any
	for _, s := range def.Steps {
		switch s.Kind {
		case flow.KindQuestion, flow.KindInput, flow.KindMessage:
		default:
			continue
		}
		text := strings.Join(strings.Fields(markdown.Text(s.Text)), " ")
		if text == "" {
			continue
		}
		step := map[string]any{"@type": "HowToStep", "position": len(steps) + 1, "text": text}
		if s.Kind == flow.KindQuestion {
			var opts []string
			for _, o := range s.Options {
				opts = append(opts, o.Label)
			}
			step["name"] = clipRunes(text, 110)
			step["text"] = text + " (" + strings.Join(opts, " / ") + ")"
		}
		steps = append(steps, step)
	}
	ld := map[string]any{"@context": "https://schema.org", "@type": "HowTo", "name": strings.TrimSuffix(p.Title, " – "+p.SiteName),
		"description": p.Description, "inLanguage": p.Locale, "url": p.Canonical, "step": steps}
	return jsonLD(ld)
}

// matchingFlows are the public flows of a locale whose title or
// description shares words with q, best first. Flows are few (tens), so
// they are matched in place rather than indexed.
func (h *Handler) matchingFlows(ctx context.Context, loc, q string, limit int) ([]desk.Flow, error) {
	if h.d.Flows == nil || strings.TrimSpace(q) == "" {
		return nil, nil
	}
	flows, err := h.d.Flows.PublicFlows(ctx, loc)
	if err != nil {
		return nil, err
	}
	terms := lang.IndexTerms(q)
	// The word being typed is matched as a prefix.
	toks := lang.Tokens(q)
	partial := ""
	if n := len(toks); n > 0 && utf8.RuneCountInString(toks[n-1]) >= 3 {
		partial = toks[n-1]
	}
	type scored struct {
		f     desk.Flow
		score int
	}
	var out []scored
	for _, f := range flows {
		score := 0
		for _, field := range []struct {
			text   string
			weight int
		}{{f.Title, 2}, {f.Description, 1}} {
			have := lang.IndexTerms(field.text)
			for _, t := range terms {
				if slices.Contains(have, t) {
					score += field.weight
				}
			}
			if partial != "" && slices.ContainsFunc(lang.Tokens(field.text), func(t string) bool { return strings.HasPrefix(t, partial) }) {
				score += field.weight
			}
		}
		if score > 0 {
			out = append(out, scored{f, score})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int { return b.score - a.score })
	res := make([]desk.Flow, 0, min(limit, len(out)))
	for _, s := range out[:min(limit, len(out))] {
		res = append(res, s.f)
	}
	return res, nil
}

// publicFlows lists a locale's public flows for the home page; a failure
// leaves them out rather than the page.
func (h *Handler) publicFlows(ctx context.Context, loc string) []articleLink {
	if h.d.Flows == nil {
		return nil
	}
	flows, err := h.d.Flows.PublicFlows(ctx, loc)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			h.log.Warn("helpcenter: public flows", "err", err)
		}
		return nil
	}
	out := make([]articleLink, 0, len(flows))
	for _, f := range flows {
		out = append(out, articleLink{Title: f.Title, URL: flowPath(loc, f.Slug), Summary: f.Description})
	}
	return out
}
