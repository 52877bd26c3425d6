package app

import (
	"fmt"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// Routing through the real server: rules, preview and skills over the API,
// and a new conversation assigned to the one agent who can take it.
func TestRoutingThroughTheAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		team := e.must(desk.RoleAdmin, "POST", "/api/v1/teams", map[string]any{"name": "Finance"}, 201)
		teamID := num(team["id"])
		agent := e.agents[desk.RoleAgent]
		got := e.must(desk.RoleAdmin, "PATCH", fmt.Sprintf("/api/v1/agents/%d", agent.ID), map[string]any{
			"availability": "online", "team_ids": []int64{teamID},
			"skills": []map[string]any{{"name": "lang:NL", "level": 4}}, "capacity": map[string]int{"api": 1}}, 200)
		if s := got["skills"].([]any); len(s) != 1 || s[0].(map[string]any)["name"] != "lang:nl" {
			t.Fatalf("agent skills = %v, want lang:nl", got["skills"])
		}
		if c := got["capacity"].(map[string]any); num(c["api"]) != 1 {
			t.Fatalf("agent capacity = %v, want api: 1", got["capacity"])
		}
		// Skills are the admin's to set, even on oneself.
		e.must(desk.RoleAgent, "PATCH", fmt.Sprintf("/api/v1/agents/%d", agent.ID), map[string]any{"capacity": map[string]int{"api": 9}}, 403)

		rule := map[string]any{"name": "Dutch to Finance", "enabled": true, "languages": []string{"nl"}, "team_id": teamID,
			"skills": []map[string]any{{"name": "lang:nl", "level": 3}}, "priority": "high"}
		e.must(desk.RoleSupervisor, "POST", "/api/v1/routing/rules", rule, 403)
		created := e.must(desk.RoleAdmin, "POST", "/api/v1/routing/rules", rule, 201)
		e.must(desk.RoleAdmin, "POST", "/api/v1/routing/rules", map[string]any{"name": "No team"}, 422)
		list := e.must(desk.RoleSupervisor, "GET", "/api/v1/routing/rules", nil, 200)
		if items := list["items"].([]any); len(items) != 1 {
			t.Fatalf("rules = %v, want the one created", items)
		}

		pv := e.must(desk.RoleSupervisor, "POST", "/api/v1/routing/preview",
			map[string]any{"language": "nl", "channel": "api"}, 200)
		if num(pv["rule_id"]) != num(created["id"]) || num(pv["agent_id"]) != agent.ID || pv["priority"] != "high" {
			t.Fatalf("preview = %v, want the rule, agent %d and priority high", pv, agent.ID)
		}
		pv = e.must(desk.RoleSupervisor, "POST", "/api/v1/routing/preview",
			map[string]any{"language": "en", "channel": "api", "team_id": teamID}, 200)
		if num(pv["rule_id"]) != 0 || len(pv["explain"].([]any)) != 1 {
			t.Fatalf("preview of English = %v, want no rule and one explanation", pv)
		}
		e.must(desk.RoleAgent, "POST", "/api/v1/routing/preview", map[string]any{}, 403)

		inbox := e.must(desk.RoleAdmin, "POST", "/api/v1/inboxes", map[string]any{"name": "App", "channel": "api",
			"settings": map[string]string{"webhook_url": "http://127.0.0.1:9/hook"}}, 201)
		conv := e.must(desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{
			"inbox_id": num(inbox["id"]), "contact": map[string]any{"name": "Jan", "email": "jan@example.nl"},
			"message": map[string]any{"body": "Goedemorgen, ik heb een vraag over mijn factuur van deze maand."}}, 201)
		path := fmt.Sprintf("/api/v1/conversations/%d", num(conv["conversation"].(map[string]any)["id"]))
		eventually(t, "the conversation to be assigned", func() bool {
			c := e.must(desk.RoleAgent, "GET", path, nil, 200)
			return num(c["assignee_id"]) == agent.ID && num(c["team_id"]) == teamID && c["priority"] == "high"
		})

		contactID := num(conv["conversation"].(map[string]any)["contact_id"])
		owner := e.must(desk.RoleAgent, "PUT", fmt.Sprintf("/api/v1/contacts/%d/owner", contactID),
			map[string]any{"owner_id": agent.ID}, 200)
		if num(owner["owner_id"]) != agent.ID {
			t.Fatalf("contact owner = %v, want %d", owner["owner_id"], agent.ID)
		}
		e.must(desk.RoleAgent, "PUT", fmt.Sprintf("/api/v1/contacts/%d/owner", contactID), map[string]any{"owner_id": 99999}, 422)
	})
}
