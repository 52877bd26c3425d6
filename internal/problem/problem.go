// Package problem turns errors into HTTP answers for the whole product: one
// mapping from error to status (Status) and one RFC 9457 problem+json writer
// (Write). The JSON API, the agent pages and the web-chat widget all use it,
// so that the same error means the same status everywhere.
//
// problem imports desk only.
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/balie-dev/balie/internal/desk"
)

// HTTP-level sentinels for what the domain has no word for. Handlers wrap
// them like the desk sentinels.
var (
	// ErrBadRequest is a request that could not be read: malformed JSON or
	// multipart, a wrong Content-Type.
	ErrBadRequest = errors.New("bad request")
	// ErrUnsupportedType is an upload of a kind of file that is not allowed.
	ErrUnsupportedType = errors.New("unsupported media type")
)

// Status maps an error to its HTTP status. It is the one place where errors
// become HTTP statuses. The order matters where an error matches more than
// one sentinel: a size limit wins, then an unreadable request.
func Status(err error) int {
	switch {
	case errors.As(err, new(*http.MaxBytesError)), errors.Is(err, desk.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnsupportedType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, desk.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, desk.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, desk.ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(err, desk.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, desk.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, desk.ErrRateLimited):
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem+json body.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
}

// Options tune Write.
type Options struct {
	// Log receives 5xx errors; nil: the logger in the request's context
	// (WithLogger), else slog.Default.
	Log *slog.Logger
	// Public is for anonymous callers (the widget's visitors): a 4xx shows
	// only a validation error's own text or a fixed text per status, never
	// the wrapped chain, which names packages, tables and drivers.
	Public bool
	// RetryAfter, when set, is sent as Retry-After on 429 and 503.
	RetryAfter string
	// Detail, when set, is a 4xx's detail instead: a text already in the
	// caller's language ("vul het bestelnummer in").
	Detail string
}

// internalDetail is all a client learns about a 5xx.
const internalDetail = "something went wrong on our side; it has been logged"

// publicDetail is what an anonymous caller reads for a 4xx without a
// validation error.
func publicDetail(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "the request could not be read"
	case http.StatusUnauthorized:
		return "not signed in, or the token is not valid"
	case http.StatusForbidden:
		return "not allowed"
	case http.StatusNotFound:
		return "not found"
	case http.StatusConflict:
		return "this conflicts with the current state; reload and try again"
	case http.StatusRequestEntityTooLarge:
		return "too large"
	case http.StatusUnsupportedMediaType:
		return "this kind of file is not allowed"
	case http.StatusUnprocessableEntity:
		return "invalid input"
	case http.StatusTooManyRequests:
		return "too many requests; wait a moment"
	}
	return http.StatusText(status)
}

// For returns the problem body for err as Write would send it.
func For(err error, opts Options) Problem {
	status := Status(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status}
	var ve *desk.ValidationError
	hasVE := errors.As(err, &ve)
	switch {
	case status >= 500:
		p.Detail = internalDetail
	case hasVE:
		// Its text is written for people, never a chain.
		p.Field, p.Detail = ve.Field, ve.Error()
		if opts.Detail != "" {
			p.Detail = opts.Detail
		}
	case opts.Public:
		p.Detail = publicDetail(status)
	default:
		p.Detail = err.Error()
	}
	return p
}

// Write answers with a problem+json body for err. A 5xx is logged here,
// once, with the request's method and path, and its text is not shown.
func Write(w http.ResponseWriter, r *http.Request, err error, opts Options) {
	p := For(err, opts)
	if p.Status >= 500 {
		log := opts.Log
		if log == nil {
			log = Logger(r.Context())
		}
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", p.Status, "err", err)
	}
	h := w.Header()
	if opts.RetryAfter != "" && (p.Status == http.StatusTooManyRequests || p.Status == http.StatusServiceUnavailable) {
		h.Set("Retry-After", opts.RetryAfter)
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

type loggerKey struct{}

// WithLogger stores the request's logger in ctx for Write.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the logger WithLogger stored in ctx, else slog.Default.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}
