package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// CookieName is the session cookie.
const CookieName = "balie_session"

// CSRF token locations: a header for scripts, a form field for HTML forms.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf_token"
)

// Principal is who a request acts for.
type Principal struct {
	Agent   *desk.Agent
	Session *desk.Session // nil for API tokens; Session.CSRFToken goes into forms
	// ViaToken is true for API token (Bearer) authentication.
	ViaToken bool
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, if any.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// errNoCredentials is a request that carried neither a token nor a cookie.
var errNoCredentials = fmt.Errorf("auth: no credentials: %w", desk.ErrUnauthorized)

// Authenticate identifies the agent behind a request: an Authorization
// Bearer token if the header is present (a malformed or wrong one is not
// retried with the cookie), else the session cookie. No credentials and bad
// credentials are both desk.ErrUnauthorized; other errors are the store's.
func (s *Service) Authenticate(r *http.Request) (*Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, fmt.Errorf("auth: authorization scheme: %w", desk.ErrUnauthorized)
		}
		agent, err := s.TokenAgent(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			return nil, err
		}
		return &Principal{Agent: agent, ViaToken: true}, nil
	}
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil, errNoCredentials
	}
	agent, sess, err := s.SessionAgent(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	return &Principal{Agent: agent, Session: sess}, nil
}

// Middleware authenticates each request and, when that succeeds, puts the
// Principal in its context. Requests without valid credentials pass on
// without one (Require turns them away where needed; public pages serve
// them). A cookie-authenticated request with an unsafe method and no valid
// CSRF token is answered with desk.ErrForbidden through ErrorWriter. Store
// failures are answered through ErrorWriter too.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Authenticate(r)
		switch {
		case errors.Is(err, desk.ErrUnauthorized):
			next.ServeHTTP(w, r)
			return
		case err != nil:
			s.opts.ErrorWriter(w, r, err)
			return
		}
		if err := CheckCSRF(r, p); err != nil {
			s.opts.ErrorWriter(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// SetSessionCookie hands the browser its session. secure must be true
// whenever the site is served over HTTPS; only local development over plain
// HTTP may turn it off. Use Service.CookieExpires for expires.
func SetSessionCookie(w http.ResponseWriter, value string, expires time.Time, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/",
		Expires:  expires,
		HttpOnly: true,
		Secure:   secure,
		// Lax: links from mail and other sites into the app keep the agent
		// logged in; cross-site POSTs do not carry the cookie.
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearSessionCookie tells the browser to drop its session cookie.
func ClearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// CheckCSRF requires the session's CSRF token on unsafe requests
// authenticated by cookie, in the X-CSRF-Token header or the csrf_token form
// field. Safe methods, token-authenticated and unauthenticated requests (p
// nil) need none. A missing or wrong token is desk.ErrForbidden.
//
// Reading the form field parses the body; the server must have limited the
// body size (http.MaxBytesReader) before this runs.
func CheckCSRF(r *http.Request, p *Principal) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return nil
	}
	if p == nil || p.ViaToken {
		return nil
	}
	if p.Session == nil || p.Session.CSRFToken == "" {
		return fmt.Errorf("auth: csrf: no session token: %w", desk.ErrForbidden)
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = csrfFormValue(r)
	}
	if got == "" {
		return fmt.Errorf("auth: csrf: missing token: %w", desk.ErrForbidden)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(p.Session.CSRFToken)) != 1 {
		return fmt.Errorf("auth: csrf: wrong token: %w", desk.ErrForbidden)
	}
	return nil
}

// csrfFormValue reads the form field from form bodies only; other bodies
// (JSON) are left for the handler to read.
func csrfFormValue(r *http.Request) string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data":
		return r.PostFormValue(CSRFField)
	}
	return ""
}

// Require lets a request through only if its principal (see Middleware) has
// permission p: without a principal it answers desk.ErrUnauthorized, with a
// role too low desk.ErrForbidden, both through Options.ErrorWriter.
func (s *Service) Require(p Permission) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pr, ok := PrincipalFrom(r.Context())
			if !ok || pr.Agent == nil {
				s.opts.ErrorWriter(w, r, fmt.Errorf("auth: %s: %w", p, desk.ErrUnauthorized))
				return
			}
			if !Allowed(pr.Agent.Role, p) {
				s.opts.ErrorWriter(w, r, fmt.Errorf("auth: %s: %w", p, desk.ErrForbidden))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// plainError is the default ErrorWriter.
func plainError(w http.ResponseWriter, _ *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, desk.ErrUnauthorized):
		code = http.StatusUnauthorized
	case errors.Is(err, desk.ErrForbidden):
		code = http.StatusForbidden
	case errors.Is(err, desk.ErrRateLimited):
		code = http.StatusTooManyRequests
	}
	http.Error(w, http.StatusText(code), code)
}
