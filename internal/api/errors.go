package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/balie-dev/balie/internal/desk"
)

// Problem is an RFC 9457 problem+json body.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
}

// Status maps an error to its HTTP status. It is the one place where domain
// errors become HTTP.
func Status(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, desk.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest
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

var errBadRequest = errors.New("bad request")

// WriteError answers with a problem+json body. Internal errors are logged by
// the caller's middleware and not shown to the client.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: err.Error()}
	var ve *desk.ValidationError
	if errors.As(err, &ve) {
		p.Field, p.Detail = ve.Field, ve.Error()
	}
	if status == http.StatusInternalServerError {
		p.Detail = "something went wrong on our side; it has been logged"
		if l := loggerFrom(r); l != nil {
			l.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="balie"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}
