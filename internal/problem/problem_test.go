package problem

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"max bytes", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 1}), 413},
		{"too large", fmt.Errorf("x: %w", desk.ErrTooLarge), 413},
		{"too large beats invalid", fmt.Errorf("%w: %w", desk.ErrInvalid, desk.ErrTooLarge), 413},
		{"bad request", fmt.Errorf("json: %w", ErrBadRequest), 400},
		{"unsupported type", fmt.Errorf("upload: %w", ErrUnsupportedType), 415},
		{"not found", fmt.Errorf("a: b: %w", desk.ErrNotFound), 404},
		{"not found beats invalid", fmt.Errorf("%w: %w", desk.ErrInvalid, desk.ErrNotFound), 404},
		{"conflict", desk.ErrConflict, 409},
		{"validation error", desk.Invalid("email", "bad"), 422},
		{"invalid", desk.ErrInvalid, 422},
		{"unauthorized", desk.ErrUnauthorized, 401},
		{"forbidden", desk.ErrForbidden, 403},
		{"rate limited", desk.ErrRateLimited, 429},
		{"anything else", errors.New("disk on fire"), 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Status(tt.err); got != tt.want {
				t.Errorf("Status(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	chain := fmt.Errorf("webchat: inbox: sqlite: no such row in inboxes: %w", desk.ErrNotFound)
	tests := []struct {
		name       string
		err        error
		opts       Options
		wantStatus int
		wantDetail string
		wantField  string
		wantLogged bool
		retryAfter string
	}{
		{name: "agent sees the chain", err: chain, wantStatus: 404, wantDetail: chain.Error()},
		{name: "public sees no chain", err: chain, opts: Options{Public: true}, wantStatus: 404, wantDetail: "not found"},
		{name: "validation error text only", err: fmt.Errorf("webchat: details: %w", desk.Invalid("email", "not an email address")),
			opts: Options{Public: true}, wantStatus: 422, wantDetail: "invalid email: not an email address", wantField: "email"},
		{name: "5xx hidden and logged", err: errors.New("sqlite: database is locked"), wantStatus: 500,
			wantDetail: internalDetail, wantLogged: true},
		{name: "public 5xx hidden and logged", err: errors.New("sqlite: database is locked"), opts: Options{Public: true},
			wantStatus: 500, wantDetail: internalDetail, wantLogged: true},
		{name: "retry after on 429", err: fmt.Errorf("webchat: %w", desk.ErrRateLimited), opts: Options{Public: true, RetryAfter: "10"},
			wantStatus: 429, wantDetail: "too many requests; wait a moment", retryAfter: "10"},
		{name: "no retry after on 404", err: chain, opts: Options{RetryAfter: "10"}, wantStatus: 404, wantDetail: chain.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			tt.opts.Log = slog.New(slog.NewTextHandler(&logBuf, nil))
			rec := httptest.NewRecorder()
			Write(rec, httptest.NewRequest(http.MethodPost, "/x", nil), tt.err, tt.opts)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/problem+json" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if p.Status != tt.wantStatus || p.Title != http.StatusText(tt.wantStatus) || p.Type != "about:blank" {
				t.Errorf("problem = %+v, want status %d with its title", p, tt.wantStatus)
			}
			if p.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", p.Detail, tt.wantDetail)
			}
			if p.Field != tt.wantField {
				t.Errorf("field = %q, want %q", p.Field, tt.wantField)
			}
			if logged := strings.Contains(logBuf.String(), "request failed"); logged != tt.wantLogged {
				t.Errorf("logged = %v, want %v (log %q)", logged, tt.wantLogged, logBuf.String())
			}
		})
	}
}

func TestWriteUsesContextLogger(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	r := httptest.NewRequest(http.MethodGet, "/y", nil)
	r = r.WithContext(WithLogger(r.Context(), l))
	Write(httptest.NewRecorder(), r, errors.New("boom"), Options{})
	if !strings.Contains(buf.String(), "boom") || !strings.Contains(buf.String(), "path=/y") {
		t.Errorf("context logger got %q, want the error and path", buf.String())
	}
}
