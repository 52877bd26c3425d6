package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/problems"
)

// Problems is the recurring-problems report the /app/problems page shows;
// *problems.Service implements it.
type Problems interface {
	Latest(ctx context.Context) (*problems.Report, error)
	Refresh(ctx context.Context, force bool) (*problems.Report, error)
}

func (h *Handler) problemRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app/problems", h.problemGuard(h.problemsPage))
	mux.HandleFunc("POST /app/problems/refresh", h.problemGuard(h.problemsRefresh))
}

// problemGuard admits supervisors and admins when the report is wired.
func (h *Handler) problemGuard(fn func(*req)) http.HandlerFunc {
	return h.guard(func(r desk.Role) bool { return r.AtLeast(desk.RoleSupervisor) }, maxForm, func(q *req) {
		if h.d.Problems == nil {
			h.errorPage(q.w, q.r, q.locale, q, http.StatusNotFound)
			return
		}
		fn(q)
	})
}

type problemsData struct {
	R          *problems.Report // nil before the first run
	Categories map[string]string
	// KB: the agent may turn an example into a draft article.
	KB bool
}

func (h *Handler) problemsPage(q *req) {
	d := problemsData{KB: h.d.KB != nil}
	rep, err := h.d.Problems.Latest(q.r.Context())
	switch {
	case errors.Is(err, desk.ErrNotFound):
	case err != nil:
		h.fail(q, err)
		return
	default:
		d.R = rep
	}
	if _, d.Categories, err = h.categoryNames(q); err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "problems", "problems", d)
}

// problemsRefresh computes the report now rather than at the next hour.
func (h *Handler) problemsRefresh(q *req) {
	if _, err := h.d.Problems.Refresh(q.r.Context(), true); err != nil {
		h.failed(q, "/app/problems", err)
		return
	}
	h.back(q, "/app/problems", flash{Kind: "ok", Key: "problems.refreshed"})
}
