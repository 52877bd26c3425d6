package helpcenter

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
	"github.com/balie-dev/balie/internal/kb"
)

// The satisfaction survey (/help/{locale}/survey/{token}, the link balie
// sends after resolution) and the compliment form. Both are plain forms
// that work without JavaScript; neither is indexed.

// maxSurveyForm bounds the survey's and the compliment's form bodies.
const maxSurveyForm = 64 << 10

type surveyBody struct {
	Token     string
	Form      *feedback.Form
	Scale     []int // 1..5
	NPSScale  []int // 0..10
	Error     string
	Thanks    bool
	ReviewURL string
	Answer    feedback.Answer // what the form shows as chosen
}

type complimentBody struct {
	Sent  bool
	Error string
	Name  string
	Email string
	About string
	Text  string
}

func (h *Handler) surveyPage(w http.ResponseWriter, r *http.Request) {
	loc := r.PathValue("locale")
	if !kb.ValidLocale(loc) || h.d.Feedback == nil {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	token := r.PathValue("token")
	form, err := h.d.Feedback.Form(r.Context(), token)
	if err != nil {
		h.surveyError(w, r, loc, err)
		return
	}
	b := &surveyBody{Token: token, Form: form, Answer: feedback.Answer{CSAT: form.Survey.CSAT, NPS: form.Survey.NPS,
		Comment: form.Survey.Comment, Answers: form.Survey.Answers}}
	h.renderSurvey(w, r, loc, http.StatusOK, b)
}

func (h *Handler) surveyPost(w http.ResponseWriter, r *http.Request) {
	loc := r.PathValue("locale")
	if !kb.ValidLocale(loc) || h.d.Feedback == nil {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	if crossSite(r) {
		h.errorPage(w, r, loc, http.StatusForbidden, "error.forbidden.heading", "error.forbidden.text")
		return
	}
	if !h.posts.allow(limitKey(clientIP(r))) {
		w.Header().Set("Retry-After", "60")
		h.errorPage(w, r, loc, http.StatusTooManyRequests, "error.limit.heading", "error.limit.text")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSurveyForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.bad.text")
		return
	}
	token := r.PathValue("token")
	form, err := h.d.Feedback.Form(r.Context(), token)
	if err != nil {
		h.surveyError(w, r, loc, err)
		return
	}
	a := feedback.Answer{NPS: desk.NoNPS, Comment: r.PostForm.Get("comment"), Answers: map[string]string{}}
	a.CSAT, _ = strconv.Atoi(r.PostForm.Get("csat"))
	if v := r.PostForm.Get("nps"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			a.NPS = n
		} else {
			a.NPS = 99 // not a number: refused below
		}
	}
	for _, q := range form.Questions {
		a.Answers[q.ID] = r.PostForm.Get(q.ID)
	}
	res, err := h.d.Feedback.Submit(r.Context(), token, a)
	if err != nil {
		if errors.Is(err, desk.ErrInvalid) {
			msg := h.cats[loc].T("survey.error.invalid")
			if a.CSAT < 1 || a.CSAT > 5 {
				msg = h.cats[loc].T("survey.error.csat")
			}
			h.renderSurvey(w, r, loc, http.StatusUnprocessableEntity, &surveyBody{Token: token, Form: form, Error: msg, Answer: a})
			return
		}
		h.surveyError(w, r, loc, err)
		return
	}
	h.renderSurvey(w, r, loc, http.StatusOK, &surveyBody{Token: token, Form: form, Thanks: true, ReviewURL: res.ReviewURL, Answer: a})
}

func (h *Handler) surveyError(w http.ResponseWriter, r *http.Request, loc string, err error) {
	switch {
	case errors.Is(err, desk.ErrNotFound):
		h.errorPage(w, r, loc, http.StatusNotFound, "survey.notfound.heading", "survey.notfound.text")
	case errors.Is(err, desk.ErrForbidden):
		h.errorPage(w, r, loc, http.StatusGone, "survey.closed.heading", "survey.closed.text")
	default:
		h.log.Error("helpcenter: survey", "err", err)
		h.errorPage(w, r, loc, http.StatusInternalServerError, "error.server.heading", "error.server.text")
	}
}

func (h *Handler) renderSurvey(w http.ResponseWriter, r *http.Request, loc string, status int, b *surveyBody) {
	p := h.newPage(r, loc)
	p.Robots = "noindex"
	p.Title = p.L.T("survey.title") + " – " + p.SiteName
	b.Scale = []int{1, 2, 3, 4, 5}
	b.NPSScale = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	p.Body = b
	// The page carries the survey's token: never in a shared cache, and
	// not sent on as a referrer to the review site.
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.render(w, r, status, "survey", p, cachePrivate)
}

// complimentPage shows the compliment form (GET /help/{locale}/compliment).
func (h *Handler) complimentPage(w http.ResponseWriter, r *http.Request) {
	loc := r.PathValue("locale")
	if !kb.ValidLocale(loc) || h.d.Feedback == nil {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	h.renderCompliment(w, r, loc, http.StatusOK, &complimentBody{Sent: r.URL.Query().Get("sent") == "1"})
}

func (h *Handler) complimentPost(w http.ResponseWriter, r *http.Request) {
	loc := r.PathValue("locale")
	if !kb.ValidLocale(loc) || h.d.Feedback == nil {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	if crossSite(r) {
		h.errorPage(w, r, loc, http.StatusForbidden, "error.forbidden.heading", "error.forbidden.text")
		return
	}
	if !h.forms.allow(limitKey(clientIP(r))) {
		w.Header().Set("Retry-After", "600")
		h.errorPage(w, r, loc, http.StatusTooManyRequests, "error.limit.heading", "error.limit.text")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSurveyForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.bad.text")
		return
	}
	b := &complimentBody{Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email"), About: r.PostForm.Get("about"),
		Text: r.PostForm.Get("body")}
	if r.PostForm.Get("website") != "" {
		// The hidden honeypot field: only robots fill it in. They get
		// the thank-you, and nothing is stored.
		http.Redirect(w, r, "/help/"+loc+"/compliment?sent=1", http.StatusSeeOther)
		return
	}
	_, err := h.d.Feedback.Compliment(r.Context(), desk.Compliment{Name: b.Name, Email: b.Email, About: b.About,
		Body: b.Text, Locale: loc})
	switch {
	case errors.Is(err, desk.ErrInvalid):
		b.Error = h.cats[loc].T("compliment.error")
		h.renderCompliment(w, r, loc, http.StatusUnprocessableEntity, b)
	case err != nil:
		h.log.Error("helpcenter: compliment", "err", err)
		h.errorPage(w, r, loc, http.StatusInternalServerError, "error.server.heading", "error.server.text")
	default:
		http.Redirect(w, r, "/help/"+loc+"/compliment?sent=1", http.StatusSeeOther)
	}
}

func (h *Handler) renderCompliment(w http.ResponseWriter, r *http.Request, loc string, status int, b *complimentBody) {
	p := h.newPage(r, loc)
	p.Robots = "noindex"
	p.Title = p.L.T("compliment.title") + " – " + p.SiteName
	p.Body = b
	h.render(w, r, status, "compliment", p, cachePrivate)
}
