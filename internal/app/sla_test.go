package app

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// TestServiceLevelsThroughTheAPI sets a team's hours and an SLA policy over
// the API and checks what balie does with them: the out-of-hours reply
// (through the real ingest hook and worker) and the policy's validation.
func TestServiceLevelsThroughTheAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		if e.app.SLA == nil {
			t.Fatal("the app has no SLA service")
		}
		team := e.must(desk.RoleAdmin, "POST", "/api/v1/teams", map[string]any{"name": "Klantenservice"}, 201)
		teamPath := "/api/v1/teams/" + strconv.FormatInt(num(team["id"]), 10) + "/hours"
		// Open round the clock, except today: closed as a holiday, back
		// tomorrow at midnight (UTC), whenever the test runs.
		today := e.clock.Now().UTC().Format(time.DateOnly)
		week := map[string]string{}
		for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
			week[d] = "24h"
		}
		hours := map[string]any{"mode": "round_robin", "away_nl": "", "away_en": "Closed, back {{next_open}}.",
			"hours": map[string]any{"zone": "UTC", "week": week,
				"holidays": []map[string]any{{"date": today, "name": "Teamuitje"}}}}
		got := e.must(desk.RoleSupervisor, "PUT", teamPath, hours, 200)
		if got["mode"] != "round_robin" || got["hours"] == nil || got["away_en"] != "Closed, back {{next_open}}." {
			t.Fatalf("PUT hours answered %v", got)
		}
		if r := e.do(desk.RoleAgent, "PUT", teamPath, hours); r.status != 403 {
			t.Errorf("an agent set hours: status %d, want 403", r.status)
		}
		bad := map[string]any{"mode": "least_loaded", "hours": map[string]any{"zone": "UTC", "week": map[string]string{"mon": "9-17"}}}
		if r := e.do(desk.RoleSupervisor, "PUT", teamPath, bad); r.status != 422 || r.json(t)["field"] != "week.mon" {
			t.Errorf("bad hours: status %d %s, want 422 naming week.mon", r.status, r.body)
		}

		inbox := e.must(desk.RoleAdmin, "POST", "/api/v1/inboxes", map[string]any{"name": "Chat", "channel": "webchat",
			"team_id": num(team["id"])}, 201)
		ctx := context.Background()
		res, err := e.app.Conversations.Ingest(ctx, desk.Inbound{InboxID: num(inbox["id"]),
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.com"}, FromName: "Jan",
			Body: "Hello, is anyone there? I have a question about my order please"})
		if err != nil {
			t.Fatal(err)
		}
		var away []string
		deadline := time.Now().Add(10 * time.Second)
		for len(away) == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			msgs, err := e.app.Store.ListMessages(ctx, res.Conversation.ID, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				// Routing may tell the customer their place in the queue.
				if m.Sender == desk.SenderSystem && m.Kind == desk.KindMessage && !strings.Contains(m.Body, "queue") {
					away = append(away, m.Body)
				}
			}
		}
		if len(away) != 1 || !strings.HasPrefix(away[0], "Closed, back tomorrow 00:00") {
			t.Errorf("away replies %q, want one saying back tomorrow 00:00", away)
		}

		policy := map[string]any{"name": "Chat", "enabled": true, "channels": []string{"webchat"},
			"first_response_minutes": 30, "warn_at": 0.8, "business_hours": true}
		p := e.must(desk.RoleAdmin, "POST", "/api/v1/sla/policies", policy, 201)
		if p["position"] != float64(10) || p["first_response_minutes"] != float64(30) {
			t.Errorf("created %v: want position 10, 30 minutes", p)
		}
		if r := e.do(desk.RoleSupervisor, "POST", "/api/v1/sla/policies", policy); r.status != 403 {
			t.Errorf("a supervisor created a policy: status %d, want 403", r.status)
		}
		policy["first_response_minutes"] = 0
		if r := e.do(desk.RoleAdmin, "POST", "/api/v1/sla/policies", policy); r.status != 422 || r.json(t)["field"] != "targets" {
			t.Errorf("no targets: status %d %s, want 422 naming targets", r.status, r.body)
		}
		path := "/api/v1/sla/policies/" + strconv.FormatInt(num(p["id"]), 10)
		policy["first_response_minutes"] = 45
		if got := e.must(desk.RoleAdmin, "PUT", path, policy, 200); got["first_response_minutes"] != float64(45) || got["position"] != float64(10) {
			t.Errorf("PUT answered %v: want 45 minutes, position kept", got)
		}
		if err := e.app.SLA.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := e.app.Store.ConversationByID(ctx, res.Conversation.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.SLAPolicyID != num(p["id"]) || c.SLAState != desk.SLARunning {
			t.Errorf("after a sweep: policy %d state %q, want %d running", c.SLAPolicyID, c.SLAState, num(p["id"]))
		}
		e.must(desk.RoleAdmin, "DELETE", path, nil, 204)
		if r := e.do(desk.RoleSupervisor, "GET", path, nil); r.status != 404 {
			t.Errorf("deleted policy: status %d, want 404", r.status)
		}
	})
}
