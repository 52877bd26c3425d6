package helpcenter

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
)

// maxFeedbackForm bounds the feedback form's body: a comment of
// kb.MaxComment runes, percent-encoded, and a few fields.
const maxFeedbackForm = 32 << 10

// feedback stores a "was this helpful?" answer and sends the visitor back
// to the article (post/redirect/get), where a thank-you waits.
func (h *Handler) feedback(w http.ResponseWriter, r *http.Request) {
	loc, slug := r.PathValue("locale"), r.PathValue("slug")
	if !kb.ValidLocale(loc) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	// The form has no token to forge: there is no session. What is left
	// to stop is other sites posting votes through visitors' browsers.
	if crossSite(r) {
		h.errorPage(w, r, loc, http.StatusForbidden, "error.forbidden.heading", "error.forbidden.text")
		return
	}
	ip := clientIP(r)
	if !h.posts.allow(limitKey(ip)) {
		w.Header().Set("Retry-After", "60")
		h.errorPage(w, r, loc, http.StatusTooManyRequests, "error.limit.heading", "error.limit.text")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFeedbackForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.bad.text")
		return
	}
	in := kb.FeedbackInput{Visitor: kb.Visitor{IP: ip}}
	switch r.PostForm.Get("helpful") {
	case "yes":
		in.Helpful = true
	case "no":
	default:
		h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.feedback.choice")
		return
	}
	in.Comment = strings.TrimSpace(r.PostForm.Get("comment"))
	if utf8.RuneCountInString(in.Comment) > kb.MaxComment || !utf8.ValidString(in.Comment) {
		h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.feedback.comment")
		return
	}
	if s := r.PostForm.Get("s"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 0 {
			h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.bad.text")
			return
		}
		in.SearchID = id
	}
	ctx := r.Context()
	a, err := h.d.KB.PublicArticle(ctx, loc, slug)
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	in.ArticleID = a.ID
	if err := h.d.KB.Feedback(ctx, in); err != nil {
		if errors.Is(err, desk.ErrInvalid) {
			h.errorPage(w, r, loc, http.StatusBadRequest, "error.bad.heading", "error.feedback.comment")
			return
		}
		h.fail(w, r, loc, err)
		return
	}
	target := articlePath(loc, a.Slug) + "?thanks=1"
	if !in.Helpful {
		target += "&helpful=no"
	}
	if cv := r.PostForm.Get("cv"); cv != "" && h.sign.visitID(ctx, cv) != 0 {
		// The thank-you offers contact on the same contact-page visit.
		target += "&cv=" + url.QueryEscape(cv)
	}
	w.Header().Set("Cache-Control", cachePrivate)
	http.Redirect(w, r, target+"#feedback", http.StatusSeeOther)
}

// crossSite reports whether the browser says the request comes from
// another site. Requests without either header (old browsers, curl) pass.
func crossSite(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		return s == "cross-site"
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == "null"
	}
	u, err := url.Parse(origin)
	return err != nil || !strings.EqualFold(u.Host, r.Host)
}
