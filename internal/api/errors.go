package api

import (
	"net/http"

	"github.com/balie-dev/balie/internal/problem"
)

// Problem is an RFC 9457 problem+json body.
type Problem = problem.Problem

// Status maps an error to its HTTP status; see problem.Status, the one
// mapping for the whole product.
func Status(err error) int { return problem.Status(err) }

var errBadRequest = problem.ErrBadRequest

// WriteError answers with a problem+json body (problem.Write). Internal
// errors are logged there, with the request's logger, and not shown to the
// client.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if problem.Status(err) == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="balie"`)
	}
	problem.Write(w, r, err, problem.Options{Log: loggerFrom(r)})
}
