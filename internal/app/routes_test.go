package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/api"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

func apiRoutes(e *env) []api.Route {
	return api.New(api.Deps{Store: e.app.Store}).Routes()
}

// TestEveryRouteChecksItsRole calls every API route as anonymous, agent,
// supervisor and admin: below the route's role the answer is 401 or 403,
// at or above it never is.
func TestEveryRouteChecksItsRole(t *testing.T) {
	e := newEnv(t, testenv.OpenSQLite)
	roles := []desk.Role{"", desk.RoleAgent, desk.RoleSupervisor, desk.RoleAdmin}
	for _, rt := range apiRoutes(e) {
		path := "/api/v1" + strings.NewReplacer("{id}", "999999").Replace(rt.Path)
		for _, role := range roles {
			name := string(role)
			if name == "" {
				name = "anonymous"
			}
			t.Run(rt.Method+" "+rt.Path+" as "+name, func(t *testing.T) {
				var body any
				if rt.Method == "POST" || rt.Method == "PATCH" {
					body = "{}"
				}
				r := e.do(role, rt.Method, path, body)
				allowed := rt.Role == "" || (role != "" && role.AtLeast(rt.Role))
				switch {
				case allowed && (r.status == http.StatusUnauthorized || r.status == http.StatusForbidden):
					// Agents may only PATCH themselves: 403 on another id is the rule, not a role failure.
					if !(rt.Path == "/agents/{id}" && rt.Method == "PATCH") {
						t.Fatalf("status %d for an allowed caller: %s", r.status, r.body)
					}
				case !allowed && role == "" && r.status != http.StatusUnauthorized:
					t.Fatalf("anonymous got %d, want 401", r.status)
				case !allowed && role != "" && r.status != http.StatusForbidden:
					t.Fatalf("%s got %d, want 403", role, r.status)
				}
			})
		}
	}
}

// TestOpenAPIDescribesTheRouter checks that every operation in the served
// OpenAPI document reaches a handler (no mux 404/405), and that every route
// of the table is in the document.
func TestOpenAPIDescribesTheRouter(t *testing.T) {
	e := newEnv(t, testenv.OpenSQLite)
	r := e.do("", "GET", "/api/v1/openapi.json", nil)
	if r.status != 200 {
		t.Fatalf("GET openapi.json = %d", r.status)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	n := 0
	for path, ops := range doc.Paths {
		for method := range ops {
			n++
			m := strings.ToUpper(method)
			var body any
			if m == "POST" || m == "PATCH" {
				body = "{}"
			}
			res := e.do(desk.RoleAdmin, m, "/api/v1"+strings.ReplaceAll(path, "{id}", "1"), body)
			// The mux answers unknown routes in text/plain; every handler of ours
			// answers JSON (or upgrades a WebSocket).
			if (res.status == 404 || res.status == 405) && strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
				t.Errorf("%s %s is documented but not routed (%d)", m, path, res.status)
			}
		}
	}
	if want := len(apiRoutes(e)); n != want {
		t.Errorf("document has %d operations, route table %d", n, want)
	}
}
