package api

import (
	"fmt"
	"net/http"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/problems"
)

// Recurring problems: the topics customers write about this week and the
// ones growing unusually fast (internal/problems).

func (h *Handler) problemRoutes(r func(method, path string, role desk.Role, summary string, fn func(http.ResponseWriter, *http.Request) error) Route) []Route {
	S := desk.RoleSupervisor
	return []Route{
		r("GET", "/reports/problems", S, "Recurring problems: this week's topics and the ones growing fast (analysed hourly)",
			h.getProblems).io(nil, problems.Report{}),
		r("POST", "/reports/problems/refresh", S, "Analyse the recurring problems now", h.refreshProblems).io(nil, problems.Report{}),
	}
}

func (h *Handler) getProblems(w http.ResponseWriter, r *http.Request) error {
	if h.Problems == nil {
		return fmt.Errorf("recurring problems are not analysed here: %w", desk.ErrNotFound)
	}
	rep, err := h.Problems.Latest(r.Context())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, rep)
}

func (h *Handler) refreshProblems(w http.ResponseWriter, r *http.Request) error {
	if h.Problems == nil {
		return fmt.Errorf("recurring problems are not analysed here: %w", desk.ErrNotFound)
	}
	rep, err := h.Problems.Refresh(r.Context(), true)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, rep)
}
