package auth

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	s, _, _, ann := newTestService(t, Options{})
	_, sess, cookie, err := s.Login(ctx, "ann@example.com", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := s.CreateToken(ctx, ann.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		header    string
		cookie    string
		wantErr   error
		wantToken bool
	}{
		{name: "bearer token", header: "Bearer " + token, wantToken: true},
		{name: "bearer scheme case-insensitive", header: "bearer " + token, wantToken: true},
		{name: "session cookie", cookie: cookie},
		{name: "bearer wins over cookie", header: "Bearer " + token, cookie: cookie, wantToken: true},
		{name: "bad bearer not retried with cookie", header: "Bearer balie_nope", cookie: cookie, wantErr: desk.ErrUnauthorized},
		{name: "basic scheme", header: "Basic YWxhZGRpbjpvcGVuc2VzYW1l", wantErr: desk.ErrUnauthorized},
		{name: "bare token without scheme", header: token, wantErr: desk.ErrUnauthorized},
		{name: "unknown cookie", cookie: strings.Repeat("B", 43), wantErr: desk.ErrUnauthorized},
		{name: "nothing", wantErr: desk.ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/conversations", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: CookieName, Value: tc.cookie})
			}
			p, err := s.Authenticate(r)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if p.Agent.ID != ann.ID || p.ViaToken != tc.wantToken {
				t.Errorf("principal = agent %d via token %v; want %d, %v", p.Agent.ID, p.ViaToken, ann.ID, tc.wantToken)
			}
			if tc.wantToken && p.Session != nil {
				t.Errorf("token principal has a session")
			}
			if !tc.wantToken && (p.Session == nil || p.Session.ID != sess.ID) {
				t.Errorf("cookie principal session = %v, want %s", p.Session, sess.ID)
			}
		})
	}
}

func TestCheckCSRF(t *testing.T) {
	const tok = "the-session-csrf-token-0123456789abcdef"
	cookieP := &Principal{Agent: &desk.Agent{ID: 1}, Session: &desk.Session{CSRFToken: tok}}
	tokenP := &Principal{Agent: &desk.Agent{ID: 1}, ViaToken: true}
	type body struct{ contentType, text string }
	form := func(v string) body {
		return body{"application/x-www-form-urlencoded", url.Values{CSRFField: {v}, "body": {"hi"}}.Encode()}
	}
	multi := func(v string) body {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField(CSRFField, v)
		mw.Close()
		return body{mw.FormDataContentType(), b.String()}
	}
	for _, tc := range []struct {
		name    string
		method  string
		p       *Principal
		header  string
		body    body
		wantErr error
	}{
		{name: "GET needs none", method: http.MethodGet, p: cookieP},
		{name: "HEAD needs none", method: http.MethodHead, p: cookieP},
		{name: "token auth exempt", method: http.MethodPost, p: tokenP},
		{name: "unauthenticated exempt", method: http.MethodPost},
		{name: "POST header right", method: http.MethodPost, p: cookieP, header: tok},
		{name: "DELETE header right", method: http.MethodDelete, p: cookieP, header: tok},
		{name: "POST missing", method: http.MethodPost, p: cookieP, wantErr: desk.ErrForbidden},
		{name: "PATCH missing", method: http.MethodPatch, p: cookieP, wantErr: desk.ErrForbidden},
		{name: "POST header wrong", method: http.MethodPost, p: cookieP, header: tok + "x", wantErr: desk.ErrForbidden},
		{name: "POST header prefix", method: http.MethodPost, p: cookieP, header: tok[:10], wantErr: desk.ErrForbidden},
		{name: "POST form right", method: http.MethodPost, p: cookieP, body: form(tok)},
		{name: "POST form wrong", method: http.MethodPost, p: cookieP, body: form("nope"), wantErr: desk.ErrForbidden},
		{name: "POST multipart right", method: http.MethodPost, p: cookieP, body: multi(tok)},
		{name: "POST JSON body field ignored", method: http.MethodPost, p: cookieP, body: body{"application/json", `{"csrf_token":"` + tok + `"}`}, wantErr: desk.ErrForbidden},
		{name: "session without token", method: http.MethodPost, p: &Principal{Agent: &desk.Agent{}, Session: &desk.Session{}}, header: "", wantErr: desk.ErrForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/app/conversations/1/reply", strings.NewReader(tc.body.text))
			if tc.body.contentType != "" {
				r.Header.Set("Content-Type", tc.body.contentType)
			}
			if tc.header != "" {
				r.Header.Set(CSRFHeader, tc.header)
			}
			err := CheckCSRF(r, tc.p)
			if (err == nil) != (tc.wantErr == nil) || (err != nil && !errors.Is(err, tc.wantErr)) {
				t.Errorf("CheckCSRF = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestRequire(t *testing.T) {
	var gotErr error
	s, _, _, _ := newTestService(t, Options{ErrorWriter: func(w http.ResponseWriter, _ *http.Request, err error) {
		gotErr = err
		w.WriteHeader(499)
	}})
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := s.Require(AgentsManage)(ok)
	for _, tc := range []struct {
		name     string
		p        *Principal
		wantCode int
		wantErr  error
	}{
		{"no principal", nil, 499, desk.ErrUnauthorized},
		{"agent", &Principal{Agent: &desk.Agent{Role: desk.RoleAgent}}, 499, desk.ErrForbidden},
		{"supervisor", &Principal{Agent: &desk.Agent{Role: desk.RoleSupervisor}}, 499, desk.ErrForbidden},
		{"admin", &Principal{Agent: &desk.Agent{Role: desk.RoleAdmin}}, http.StatusNoContent, nil},
		{"admin via token", &Principal{Agent: &desk.Agent{Role: desk.RoleAdmin}, ViaToken: true}, http.StatusNoContent, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotErr = nil
			r := httptest.NewRequest(http.MethodGet, "/admin/agents", nil)
			if tc.p != nil {
				r = r.WithContext(WithPrincipal(r.Context(), tc.p))
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.wantCode {
				t.Errorf("status = %d, want %d", w.Code, tc.wantCode)
			}
			if (gotErr == nil) != (tc.wantErr == nil) || (gotErr != nil && !errors.Is(gotErr, tc.wantErr)) {
				t.Errorf("ErrorWriter got %v, want %v", gotErr, tc.wantErr)
			}
		})
	}
}

func TestRequireDefaultErrorWriter(t *testing.T) {
	s, _, _, _ := newTestService(t, Options{})
	h := s.Require(SettingsManage)(http.NotFoundHandler())
	for _, tc := range []struct {
		name string
		p    *Principal
		want int
	}{
		{"no principal", nil, http.StatusUnauthorized},
		{"agent", &Principal{Agent: &desk.Agent{Role: desk.RoleAgent}}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.p != nil {
				r = r.WithContext(WithPrincipal(r.Context(), tc.p))
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("status = %d, want %d", w.Code, tc.want)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := newTestService(t, Options{})
	_, sess, cookie, err := s.Login(ctx, "ann@example.com", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	var seen *Principal
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = PrincipalFrom(r.Context())
		w.WriteHeader(http.StatusOK)
	})
	h := s.Middleware(next)
	for _, tc := range []struct {
		name          string
		method        string
		cookie        string
		csrf          string
		wantCode      int
		wantPrincipal bool
	}{
		{"anonymous passes without principal", http.MethodGet, "", "", http.StatusOK, false},
		{"stale cookie passes without principal", http.MethodPost, strings.Repeat("C", 43), "", http.StatusOK, false},
		{"cookie GET", http.MethodGet, cookie, "", http.StatusOK, true},
		{"cookie POST with CSRF", http.MethodPost, cookie, sess.CSRFToken, http.StatusOK, true},
		{"cookie POST without CSRF", http.MethodPost, cookie, "", http.StatusForbidden, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			r := httptest.NewRequest(tc.method, "/app", nil)
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: CookieName, Value: tc.cookie})
			}
			if tc.csrf != "" {
				r.Header.Set(CSRFHeader, tc.csrf)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.wantCode {
				t.Errorf("status = %d, want %d", w.Code, tc.wantCode)
			}
			if (seen != nil) != tc.wantPrincipal {
				t.Errorf("handler saw principal %v, want one: %v", seen, tc.wantPrincipal)
			}
		})
	}
}

func TestSessionCookie(t *testing.T) {
	exp := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
	for _, secure := range []bool{true, false} {
		w := httptest.NewRecorder()
		SetSessionCookie(w, "value123", exp, secure)
		c := w.Result().Cookies()
		if len(c) != 1 {
			t.Fatalf("%d cookies set, want 1", len(c))
		}
		got := c[0]
		if got.Name != "balie_session" || got.Value != "value123" || got.Path != "/" || !got.HttpOnly ||
			got.SameSite != http.SameSiteLaxMode || got.Secure != secure || !got.Expires.Equal(exp) {
			t.Errorf("secure=%v: cookie = %+v", secure, got)
		}

		w = httptest.NewRecorder()
		ClearSessionCookie(w, secure)
		c = w.Result().Cookies()
		if len(c) != 1 || c[0].Name != CookieName || c[0].MaxAge >= 0 || c[0].Value != "" || c[0].Secure != secure {
			t.Errorf("secure=%v: clearing cookie = %+v", secure, c)
		}
	}
}

func TestPrincipalContext(t *testing.T) {
	if _, ok := PrincipalFrom(context.Background()); ok {
		t.Errorf("empty context has a principal")
	}
	if _, ok := PrincipalFrom(WithPrincipal(context.Background(), nil)); ok {
		t.Errorf("nil principal reported as present")
	}
	p := &Principal{Agent: &desk.Agent{ID: 7}}
	got, ok := PrincipalFrom(WithPrincipal(context.Background(), p))
	if !ok || got != p {
		t.Errorf("PrincipalFrom = %v, %v; want %v, true", got, ok, p)
	}
}
