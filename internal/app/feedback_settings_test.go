package app

import (
	"net/http"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// TestFeedbackSettingsAPI: surveys start off; an admin turns them on and
// chooses their questions; others may read but not change them; nonsense
// is refused with the field named.
func TestFeedbackSettingsAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		const X, S, A = desk.RoleAdmin, desk.RoleSupervisor, desk.RoleAgent
		if got := e.must(S, "GET", "/api/v1/settings/feedback", nil, http.StatusOK); got["enabled"] != false {
			t.Fatalf("default settings = %v, want surveys off", got)
		}
		on := map[string]any{"enabled": true, "delay_minutes": 60, "ask_nps": true, "low_score": 2,
			"review_threshold": 5, "review_every_days": 90, "review_url": "https://www.kiyoh.com/de-spaak"}
		if r := e.do(A, "PUT", "/api/v1/settings/feedback", on); r.status != http.StatusForbidden {
			t.Errorf("agent: %d, want 403", r.status)
		}
		if r := e.do(S, "PUT", "/api/v1/settings/feedback", on); r.status != http.StatusForbidden {
			t.Errorf("supervisor: %d, want 403", r.status)
		}
		e.must(X, "PUT", "/api/v1/settings/feedback", on, http.StatusOK)
		got := e.must(S, "GET", "/api/v1/settings/feedback", nil, http.StatusOK)
		if got["enabled"] != true || got["delay_minutes"] != float64(60) || got["review_url"] != "https://www.kiyoh.com/de-spaak" {
			t.Errorf("settings = %v, want what the admin saved", got)
		}
		bad := map[string]any{"enabled": true, "delay_minutes": -5}
		if r := e.do(X, "PUT", "/api/v1/settings/feedback", bad); r.status != http.StatusUnprocessableEntity {
			t.Errorf("negative delay: %d %s, want 422", r.status, r.body)
		}
	})
}
