package web

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

// The login form has no session yet, so it is protected against login CSRF
// by a double-submit token: a random value in a cookie and in the form.
const loginCSRFCookie = "balie_login_csrf"

type loginData struct {
	Email string
	Next  string
	Token string
	Error string // catalogue key
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := principal(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.showLogin(w, r, http.StatusOK, loginData{Next: r.URL.Query().Get("next")})
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	d.Token = rand.Text()
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: d.Token, Path: "/login",
		MaxAge: 3600, HttpOnly: true, Secure: h.d.SecureCookies, SameSite: http.SameSiteStrictMode})
	d.Next = safeNext(d.Next)
	q := &req{w: w, r: r, locale: h.locale(r, nil)}
	h.render(w, q, status, "login", "", d)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.showLogin(w, r, http.StatusBadRequest, loginData{Error: "login.failed"})
		return
	}
	d := loginData{Email: strings.TrimSpace(r.PostFormValue("email")), Next: r.PostFormValue("next")}
	ck, err := r.Cookie(loginCSRFCookie)
	form := r.PostFormValue("csrf_token")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(form)) != 1 {
		d.Error = "login.expired"
		h.showLogin(w, r, http.StatusForbidden, d)
		return
	}
	_, sess, cookie, err := h.d.Auth.Login(r.Context(), d.Email, r.PostFormValue("password"), remoteIP(r))
	switch {
	case errors.Is(err, desk.ErrRateLimited):
		d.Error = "login.rate_limited"
		h.showLogin(w, r, http.StatusTooManyRequests, d)
		return
	case errors.Is(err, desk.ErrUnauthorized):
		d.Error = "login.failed"
		h.showLogin(w, r, http.StatusUnauthorized, d)
		return
	case err != nil:
		h.log.Error("web: login", "err", err)
		d.Error = "error.internal"
		h.showLogin(w, r, http.StatusInternalServerError, d)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1,
		HttpOnly: true, Secure: h.d.SecureCookies, SameSite: http.SameSiteStrictMode})
	auth.SetSessionCookie(w, cookie, h.d.Auth.CookieExpires(sess), h.d.SecureCookies)
	http.Redirect(w, r, safeNext(d.Next), http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	p, ok := principal(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := auth.CheckCSRF(r, p); err != nil {
		h.errorPage(w, r, h.locale(r, p.Agent), nil, http.StatusForbidden)
		return
	}
	if c, err := r.Cookie(auth.CookieName); err == nil {
		if err := h.d.Auth.Logout(r.Context(), c.Value); err != nil {
			h.log.Error("web: logout", "err", err)
		}
	}
	if h.d.AgentSignedOut != nil {
		// Closes every live connection of the agent; pages in other
		// browsers still signed in reconnect at once.
		h.d.AgentSignedOut(p.Agent.ID)
	}
	auth.ClearSessionCookie(w, h.d.SecureCookies)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps the redirect after login on this site: a local path, never
// "//host" or "/\host", which browsers treat as another origin.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n\t") {
		return "/app"
	}
	return next
}

// remoteIP is the client address for rate limiting. The server's
// middleware replaces RemoteAddr when it trusts a proxy header.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
