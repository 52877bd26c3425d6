package helpcenter

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/kb"
)

// The contact page answers before it offers contact: the customer first
// says what it is about and sees matching articles and flows; the
// company's contact options come after that. Each visit with a question
// is a desk.ContactVisit, marked Answered when an article or flow is
// opened from it and Contacted when a contact option is chosen, so that
// deflection can be counted per topic.

// Limits of the contact page's input.
const (
	maxQuestion     = 300 // runes
	maxName         = 100
	maxMessage      = 5000
	maxCallbackTime = 100
	maxContactForm  = 64 << 10 // bytes of a posted form
	contactResults  = 5        // articles shown for a question
	contactFlows    = 3        // flows shown for a question
)

// contactBody is the contact page's content.
type contactBody struct {
	Query     string
	Error     string // the question could not be searched
	CV        string // the visit's signed token
	FlowRun   string // "<run id>.<visitor key>" of the flow that handed over
	FlowTitle string
	Hits      []searchHit
	Flows     []articleLink
	Searched  bool
	// ShowOptions is set once a question was asked (or help asked for):
	// only then are the contact options shown.
	ShowOptions bool
	StillURL    string // "I still need help"
	Options     contactOptions
	Token       string // the forms' signed token
	Form        contactForm
	Errors      map[string]string
	Sent        string // "email" or "callback" after a form was sent
}

// contactOptions are the ways to reach the company.
type contactOptions struct {
	Chat       bool
	Phone      string       // as written
	PhoneTel   template.URL // tel: URL, made of a normalised number only
	PhoneHours string
	Email      bool
	Callback   bool
	URL        string // the company's own contact page
}

// Any reports whether the company can be reached at all.
func (o contactOptions) Any() bool {
	return o.Chat || o.Phone != "" || o.Email || o.Callback || o.URL != ""
}

// contactForm holds what a customer sent, to fill the form in again after
// a mistake.
type contactForm struct {
	Kind    string // "email" or "callback"
	Name    string
	Email   string
	Message string
	Phone   string
	Time    string
}

func contactPath(loc string) string { return "/help/" + loc + "/contact" }

// contactOptionsOf are the options the company offers now.
func (h *Handler) contactOptionsOf(ctx context.Context, th kb.Theme, widget string) contactOptions {
	o := contactOptions{Chat: widget != "", URL: th.ContactURL}
	cfg, err := ContactSettings(ctx, h.d.Settings)
	if err != nil {
		h.log.Warn("helpcenter: contact settings", "err", err)
		return o
	}
	if cfg.Phone != "" {
		if tel, err := contact.NormalisePhone(cfg.Phone); err == nil {
			// html/template does not know tel: URLs; this one holds
			// only "+" and digits.
			o.Phone, o.PhoneTel, o.PhoneHours = cfg.Phone, template.URL("tel:"+tel), cfg.PhoneHours
		}
	}
	forms := cfg.InboxID != 0 && h.d.Conversations != nil && h.d.Settings != nil
	o.Email = forms && cfg.EmailForm
	o.Callback = forms && cfg.Callback
	return o
}

// contact serves the contact page.
func (h *Handler) contact(w http.ResponseWriter, r *http.Request) {
	loc := r.PathValue("locale")
	if !kb.ValidLocale(loc) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	p := h.newPage(r, loc)
	body := &contactBody{Query: strings.TrimSpace(q.Get("q")), Sent: q.Get("sent")}
	if body.Sent != "email" && body.Sent != "callback" {
		body.Sent = ""
	}
	status := http.StatusOK
	if utf8.RuneCountInString(body.Query) > maxQuestion || !utf8.ValidString(body.Query) {
		status, body.Error, body.Query = http.StatusBadRequest, p.L.T("contact.invalid"), ""
	}
	visit := h.visitOf(ctx, q.Get("cv"))
	if body.Query != "" {
		visit = h.recordQuestion(ctx, r, loc, visit, body.Query)
	}
	if open := q.Get("open"); open != "" && body.Error == "" {
		// A suggestion picked while typing: record the question, then
		// go to the answer with the visit.
		if !validOpen(loc, open) {
			h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.bad.text")
			return
		}
		target := open
		if visit != nil {
			if tok, err := h.sign.visitToken(ctx, visit.ID); err == nil {
				target += "?cv=" + tok
			}
		}
		w.Header().Set("Cache-Control", cachePrivate)
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	h.fillContact(w, r, p, body, visit, q.Get("flow_run"), q.Get("need") == "1")
	if body.Query != "" && body.Error == "" {
		if err := h.contactResults(r, p, body); err != nil {
			h.fail(w, r, loc, err)
			return
		}
	}
	h.renderContact(w, r, p, body, status)
}

// fillContact fills in the page's parts that do not depend on a search:
// the visit, the flow that handed over, the options and the form token.
func (h *Handler) fillContact(w http.ResponseWriter, r *http.Request, p *page, body *contactBody, visit *desk.ContactVisit, flowRun string, need bool) {
	ctx := r.Context()
	if visit != nil {
		body.CV, _ = h.sign.visitToken(ctx, visit.ID)
	}
	if rep, ok := h.flowRunOf(ctx, flowRun); ok {
		body.FlowRun, body.FlowTitle = flowRun, rep.Title
	}
	body.Searched = body.Query != ""
	body.ShowOptions = body.Searched || need || body.FlowRun != "" || body.Sent != "" || body.Form.Kind != ""
	v := url.Values{"need": {"1"}}
	if body.CV != "" {
		v.Set("cv", body.CV)
	}
	if body.Query != "" {
		v.Set("q", body.Query)
	}
	body.StillURL = contactPath(p.Locale) + "?" + v.Encode() + "#options"
	th, err := h.d.KB.Theme(ctx)
	if err != nil {
		th = kb.DefaultTheme
	}
	body.Options = h.contactOptionsOf(ctx, th, p.WidgetKey)
	if body.ShowOptions && body.Options.Any() {
		// The forms and the script's report of a chosen option carry it.
		tok, err := h.sign.formToken(ctx, clientIP(r))
		if err != nil {
			h.log.Warn("helpcenter: form token", "err", err)
			body.Options.Email, body.Options.Callback = false, false
		}
		body.Token = tok
	}
	if body.Form.Message == "" && body.Query != "" {
		body.Form.Message = body.Query
	}
}

// contactResults searches the articles and flows for the question.
func (h *Handler) contactResults(r *http.Request, p *page, body *contactBody) error {
	ctx := r.Context()
	loc := p.Locale
	res, err := h.d.KB.Search(ctx, kb.SearchRequest{Query: body.Query, Locale: loc, Source: desk.SourceHelpCenter,
		Context: p.Context, Visitor: kb.Visitor{IP: clientIP(r)}, Limit: contactResults})
	switch {
	case errors.Is(err, desk.ErrInvalid):
		body.Error = p.L.T("contact.invalid")
		return nil
	case err != nil:
		return err
	}
	for _, hit := range res.Hits {
		v := url.Values{}
		if res.SearchID > 0 {
			v.Set("s", strconv.FormatInt(res.SearchID, 10))
		}
		if body.CV != "" {
			v.Set("cv", body.CV)
		}
		u := articlePath(loc, hit.Article.Slug)
		if len(v) > 0 {
			u += "?" + v.Encode()
		}
		snip := highlight(hit.Snippet, hit.Highlights)
		if hit.Snippet == "" {
			snip = template.HTML(template.HTMLEscapeString(description(hit.Article, h.d.KB.Render(hit.Article))))
		}
		body.Hits = append(body.Hits, searchHit{Title: hit.Article.Title, URL: u, Snippet: snip})
	}
	flows, err := h.matchingFlows(ctx, loc, body.Query, contactFlows)
	if err != nil {
		return err
	}
	for _, f := range flows {
		u := flowPath(loc, f.Slug)
		if body.CV != "" {
			u += "?cv=" + url.QueryEscape(body.CV)
		}
		body.Flows = append(body.Flows, articleLink{Title: f.Title, URL: u, Summary: f.Description})
	}
	return nil
}

func (h *Handler) renderContact(w http.ResponseWriter, r *http.Request, p *page, body *contactBody, status int) {
	base := h.baseURL(r)
	loc := p.Locale
	p.Title = p.L.T("contact.title") + " – " + p.SiteName
	p.Description = p.L.T("contact.description", p.Theme.Name)
	p.Canonical = base + contactPath(loc)
	p.Crumbs = append(p.Crumbs, crumb{Name: p.L.T("contact.title")})
	var alts []alternate
	for _, l := range kb.Locales {
		alts = append(alts, alternate{Lang: l, URL: base + contactPath(l), Name: h.cats[l].T("lang.name")})
	}
	p.Alternates = withDefault(alts)
	p.Switch = otherLocales(p.Alternates, loc)
	for i := range p.Switch {
		p.Switch[i].URL = contactPath(p.Switch[i].Lang)
	}
	p.Query = body.Query
	p.Body = body
	// The contact block would send the customer to this very page.
	p.Contact = nil
	cache := cachePublic
	if len(r.URL.RawQuery) > 0 || status != http.StatusOK || r.Method != http.MethodGet {
		// A question, a visit or a form: this visitor's page only.
		p.Robots = "noindex, follow"
		cache = cachePrivate
	}
	h.render(w, r, status, "contact", p, cache)
}

// validOpen reports whether target is a help-center answer of the locale
// that the contact page may send a visitor on to.
var openRe = regexp.MustCompile(`^/help/([a-z]{2})/(a|flows)/[a-z0-9][a-z0-9-]{0,199}$`)

func validOpen(loc, target string) bool {
	m := openRe.FindStringSubmatch(target)
	return m != nil && m[1] == loc
}

// visitOf returns the visit a signed token names, nil for none.
func (h *Handler) visitOf(ctx context.Context, tok string) *desk.ContactVisit {
	if tok == "" || h.d.Visits == nil {
		return nil
	}
	id := h.sign.visitID(ctx, tok)
	if id == 0 {
		return nil
	}
	v, err := h.d.Visits.ContactVisitByID(ctx, id)
	if err != nil {
		if !errors.Is(err, desk.ErrNotFound) {
			h.log.Warn("helpcenter: contact visit", "id", id, "err", err)
		}
		return nil
	}
	return v
}

// recordQuestion stores the question on the visit, or starts a visit. A
// customer rephrasing their question stays one visit. Failing to record
// only loses a count: the customer still gets their answers.
func (h *Handler) recordQuestion(ctx context.Context, r *http.Request, loc string, v *desk.ContactVisit, q string) *desk.ContactVisit {
	if h.d.Visits == nil {
		return v
	}
	topic := h.topicOf(q)
	now := h.d.Clock.Now()
	if v != nil {
		if v.Query == q && v.Topic == topic {
			return v
		}
		v.Query, v.Topic, v.UpdatedAt = q, topic, now
		if err := h.d.Visits.UpdateContactVisit(ctx, v); err != nil {
			h.log.Warn("helpcenter: update contact visit", "err", err)
		}
		return v
	}
	key, err := h.sign.visitorKey(ctx, clientIP(r))
	if err != nil {
		h.log.Warn("helpcenter: visitor key", "err", err)
		return nil
	}
	v = &desk.ContactVisit{Locale: loc, Query: q, Topic: topic, VisitorKey: key, CreatedAt: now, UpdatedAt: now}
	if err := h.d.Visits.CreateContactVisit(ctx, v); err != nil {
		h.log.Warn("helpcenter: create contact visit", "err", err)
		return nil
	}
	return v
}

// topicOf is the category a question is about, "" when the classifier is
// not sure.
func (h *Handler) topicOf(q string) string {
	if h.d.Front == nil || q == "" {
		return ""
	}
	if c := h.d.Front.Classify(q); c.OK {
		return c.Category
	}
	return ""
}

// markAnswered marks the visit a token names as answered: an article or a
// flow was opened from the contact page.
func (h *Handler) markAnswered(ctx context.Context, tok string) {
	v := h.visitOf(ctx, tok)
	if v == nil || v.Answered {
		return
	}
	v.Answered, v.UpdatedAt = true, h.d.Clock.Now()
	if err := h.d.Visits.UpdateContactVisit(ctx, v); err != nil {
		h.log.Warn("helpcenter: mark contact visit answered", "err", err)
	}
}

// markContacted marks a visit as one that contacted the company after all.
func (h *Handler) markContacted(ctx context.Context, v *desk.ContactVisit) {
	if v == nil || v.Contacted {
		return
	}
	v.Contacted, v.UpdatedAt = true, h.d.Clock.Now()
	if err := h.d.Visits.UpdateContactVisit(ctx, v); err != nil {
		h.log.Warn("helpcenter: mark contact visit contacted", "err", err)
	}
}

// flowRunOf reads the flow run a contact link carries ("<id>.<key>"),
// for the hand-over's context.
func (h *Handler) flowRunOf(ctx context.Context, ref string) (flow.RunReport, bool) {
	if ref == "" || h.d.Flows == nil {
		return flow.RunReport{}, false
	}
	n, key, ok := strings.Cut(ref, ".")
	id, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || id <= 0 || key == "" || len(key) > flow.MaxVisitorKey {
		return flow.RunReport{}, false
	}
	run, _, err := h.d.Flows.RunView(ctx, id, key)
	if err != nil {
		return flow.RunReport{}, false
	}
	rep, err := h.d.Flows.Report(ctx, run)
	if err != nil {
		return flow.RunReport{}, false
	}
	return rep, true
}

// contactPost takes the email form and callback requests.
func (h *Handler) contactPost(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		loc := r.PathValue("locale")
		if !kb.ValidLocale(loc) {
			h.notFound(w, r, h.requestLocale(r))
			return
		}
		ctx := r.Context()
		if crossSite(r) {
			h.errorPage(w, r, loc, http.StatusForbidden, "error.forbidden.heading", "error.forbidden.text")
			return
		}
		ip := clientIP(r)
		if !h.forms.allow(limitKey(ip)) {
			w.Header().Set("Retry-After", "120")
			h.errorPage(w, r, loc, http.StatusTooManyRequests, "error.limit.heading", "error.limit.contact")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxContactForm)
		if err := r.ParseForm(); err != nil {
			h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.bad.text")
			return
		}
		f := r.PostForm
		if !h.sign.checkFormToken(ctx, ip, f.Get("token")) {
			h.errorPage(w, r, loc, http.StatusForbidden, "error.forbidden.heading", "error.form.expired")
			return
		}
		th, err := h.d.KB.Theme(ctx)
		if err != nil {
			th = kb.DefaultTheme
		}
		opts := h.contactOptionsOf(ctx, th, "")
		if kind == "email" && !opts.Email || kind == "callback" && !opts.Callback {
			h.notFound(w, r, loc)
			return
		}
		sent := contactPath(loc) + "?sent=" + kind + "#sent"
		// A filled-in hidden field is a bot: it is told it succeeded and
		// nothing is stored.
		if f.Get("website") != "" {
			w.Header().Set("Cache-Control", cachePrivate)
			http.Redirect(w, r, sent, http.StatusSeeOther)
			return
		}
		p := h.newPage(r, loc)
		form := contactForm{Kind: kind, Name: strings.TrimSpace(f.Get("name")), Email: strings.TrimSpace(f.Get("email")),
			Message: strings.TrimSpace(f.Get("message")), Phone: strings.TrimSpace(f.Get("phone")), Time: strings.TrimSpace(f.Get("time"))}
		q := strings.TrimSpace(f.Get("q"))
		if utf8.RuneCountInString(q) > maxQuestion || !utf8.ValidString(q) {
			q = ""
		}
		in, errs := h.inbound(p.L, kind, form, q)
		if len(errs) > 0 {
			body := &contactBody{Query: q, Form: form, Errors: errs}
			h.fillContact(w, r, p, body, h.visitOf(ctx, f.Get("cv")), f.Get("flow_run"), true)
			h.renderContact(w, r, p, body, http.StatusBadRequest)
			return
		}
		cfg, err := ContactSettings(ctx, h.d.Settings)
		if err != nil {
			h.fail(w, r, loc, err)
			return
		}
		in.InboxID = cfg.InboxID
		res, err := h.d.Conversations.Ingest(ctx, in)
		if err != nil {
			h.fail(w, r, loc, fmt.Errorf("helpcenter: contact %s: %w", kind, err))
			return
		}
		if rep, ok := h.flowRunOf(ctx, f.Get("flow_run")); ok {
			// The agent sees the steps the customer already took.
			if _, err := h.d.Conversations.Note(ctx, conversation.Actor{Name: p.L.T("contact.actor")},
				res.Conversation.ID, flowReport(p.L, rep)); err != nil {
				h.log.Warn("helpcenter: flow note", "conversation", res.Conversation.ID, "err", err)
			}
		}
		h.countContact(ctx, r, loc, f.Get("cv"), q, in.Body, res.Contact)
		w.Header().Set("Cache-Control", cachePrivate)
		http.Redirect(w, r, sent, http.StatusSeeOther)
	}
}

// countContact marks the visit contacted, or records one for a customer
// who came straight to a form (from a flow's hand-over, say).
func (h *Handler) countContact(ctx context.Context, r *http.Request, loc, cv, q, text string, c *desk.Contact) {
	if h.d.Visits == nil {
		return
	}
	if v := h.visitOf(ctx, cv); v != nil {
		h.markContacted(ctx, v)
		return
	}
	if q == "" {
		q = text
	}
	q = clipRunes(q, maxQuestion)
	key, err := h.sign.visitorKey(ctx, clientIP(r))
	if err != nil {
		h.log.Warn("helpcenter: visitor key", "err", err)
		return
	}
	now := h.d.Clock.Now()
	v := &desk.ContactVisit{Locale: loc, Query: q, Topic: h.topicOf(q), Contacted: true, VisitorKey: key,
		CreatedAt: now, UpdatedAt: now}
	if c != nil {
		v.ContactID = c.ID
	}
	if err := h.d.Visits.CreateContactVisit(ctx, v); err != nil {
		h.log.Warn("helpcenter: create contact visit", "err", err)
	}
}

// inbound checks a form and turns it into the customer's message; errs
// holds a message per wrong field.
func (h *Handler) inbound(l catalog, kind string, f contactForm, q string) (desk.Inbound, map[string]string) {
	errs := map[string]string{}
	// The address or number stays the sender's identity, so that replies
	// reach whoever really owns it; the mark only says it is unproven.
	in := desk.Inbound{NewConversation: true, FromName: f.Name,
		Meta: map[string]string{desk.MetaSenderUnverified: desk.SenderFromForm}}
	if utf8.RuneCountInString(f.Name) > maxName || !utf8.ValidString(f.Name) {
		errs["name"] = l.T("contact.error.name")
	}
	switch kind {
	case "email":
		email, err := contact.NormaliseEmail(f.Email)
		if err != nil {
			errs["email"] = l.T("contact.error.email")
		}
		n := utf8.RuneCountInString(f.Message)
		if n == 0 || n > maxMessage || !utf8.ValidString(f.Message) {
			errs["message"] = l.T("contact.error.message", maxMessage)
		}
		in.From = desk.Identity{Kind: desk.IdentityEmail, Value: email}
		in.FromEmail = email
		in.Subject = q
		if in.Subject == "" {
			in.Subject = clipRunes(firstLine(f.Message), 100)
		}
		in.Body = f.Message
	case "callback":
		if f.Name == "" {
			errs["name"] = l.T("contact.error.name")
		}
		phone, err := contact.NormalisePhone(f.Phone)
		if err != nil {
			errs["phone"] = l.T("contact.error.phone")
		}
		if utf8.RuneCountInString(f.Time) > maxCallbackTime || !utf8.ValidString(f.Time) {
			errs["time"] = l.T("contact.error.time", maxCallbackTime)
		}
		in.From = desk.Identity{Kind: desk.IdentityPhone, Value: phone}
		in.FromPhone = phone
		in.Subject = l.T("callback.subject")
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %s, %s", l.T("callback.subject"), f.Name, f.Phone)
		if f.Time != "" {
			fmt.Fprintf(&b, ", %s: %s", l.T("callback.when"), f.Time)
		}
		if q != "" {
			fmt.Fprintf(&b, "\n\n%s: %s", l.T("callback.question"), q)
		}
		in.Body = b.String()
	}
	return in, errs
}

// flowReport tells an agent the steps a customer took in a flow before
// asking for contact.
func flowReport(l catalog, rep flow.RunReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", l.T("contact.flow.note"), rep.Title)
	for _, s := range rep.Steps {
		if s.Text == "" && s.Answer == "" {
			continue
		}
		text := clipRunes(strings.Join(strings.Fields(s.Text), " "), 200)
		if s.Answer != "" {
			fmt.Fprintf(&b, "- %s → %s\n", text, s.Answer)
		} else if text != "" {
			fmt.Fprintf(&b, "- %s\n", text)
		}
	}
	return strings.TrimSpace(b.String())
}

// chosen records a contact option picked on the page (chat, phone, the
// company's own page): the script reports it as the customer leaves for
// it. It answers 204 whatever happens: it is a count, not a transaction.
func (h *Handler) chosen(w http.ResponseWriter, r *http.Request) {
	loc := r.PathValue("locale")
	w.Header().Set("Cache-Control", cachePrivate)
	if !kb.ValidLocale(loc) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	ctx := r.Context()
	ip := clientIP(r)
	if crossSite(r) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	if !h.forms.allow(limitKey(ip)) {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !h.sign.checkFormToken(ctx, ip, r.PostForm.Get("token")) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	switch r.PostForm.Get("option") {
	case "chat", "phone", "link":
	default:
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if v := h.visitOf(ctx, r.PostForm.Get("cv")); v != nil {
		h.markContacted(ctx, v)
	}
	w.WriteHeader(http.StatusNoContent)
}

// Deflection counts the contact-page visits created in [since, until) per
// topic: how many found an answer and did not contact the company.
func (h *Handler) Deflection(ctx context.Context, since, until time.Time) ([]desk.DeflectionStat, error) {
	if h.d.Visits == nil {
		return []desk.DeflectionStat{}, nil
	}
	stats, err := h.d.Visits.DeflectionStats(ctx, since, until)
	if err != nil {
		return nil, fmt.Errorf("helpcenter: deflection: %w", err)
	}
	return stats, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}

// clipRunes cuts s to at most n runes.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n]))
}
