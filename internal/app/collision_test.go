package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// TestReplyCollisionInTheAPI: a reply with if_last_message_id is refused
// with 409 when another agent replied after that message, and goes out
// without it (the client confirmed) or with the newest id.
func TestReplyCollisionInTheAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		inbox := e.must(desk.RoleAdmin, "POST", "/api/v1/inboxes", map[string]any{"name": "Partner", "channel": "api",
			"settings": map[string]string{"webhook_url": "http://127.0.0.1:9/x", "webhook_secret": "a-secret-of-16-chars-or-more"}}, 201)
		created := e.must(desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{"inbox_id": num(inbox["id"]),
			"contact": map[string]any{"email": "jan@example.nl"}, "message": map[string]any{"body": "Waar is mijn pakket?"}}, 201)
		conv := num(created["conversation"].(map[string]any)["id"])
		msgs := fmt.Sprintf("/api/v1/conversations/%d/messages", conv)
		seen := num(created["message"].(map[string]any)["id"])

		// The supervisor answers first.
		e.must(desk.RoleSupervisor, "POST", msgs, map[string]any{"type": "reply", "body": "Onderweg!",
			"if_last_message_id": seen}, 201)

		r := e.do(desk.RoleAgent, "POST", msgs, map[string]any{"type": "reply", "body": "Ik kijk het na.", "if_last_message_id": seen})
		if r.status != 409 {
			t.Fatalf("stale reply: status %d, want 409: %s", r.status, r.body)
		}
		if p := r.json(t); !strings.Contains(fmt.Sprint(p["detail"]), "The supervisor replied") {
			t.Errorf("problem detail = %v, want who replied", p["detail"])
		}
		// newest is the id of the conversation's newest message now.
		newest := func() int64 {
			var list struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			r := e.do(desk.RoleAgent, "GET", msgs+"?limit=100", nil)
			if err := json.Unmarshal(r.body, &list); err != nil || len(list.Items) == 0 {
				t.Fatalf("messages: %v: %s", err, r.body)
			}
			return list.Items[len(list.Items)-1].ID
		}
		// The cases run in order: each sees the replies of those before.
		tests := []struct {
			name   string
			role   desk.Role
			body   func() map[string]any
			status int
		}{
			{"own reply is no collision", desk.RoleSupervisor, func() map[string]any {
				return map[string]any{"type": "reply", "body": "Nog iets?", "if_last_message_id": seen}
			}, 201},
			{"with the newest id", desk.RoleAgent, func() map[string]any {
				return map[string]any{"type": "reply", "body": "Aanvulling.", "if_last_message_id": newest()}
			}, 201},
			{"without the check", desk.RoleAgent, func() map[string]any {
				return map[string]any{"type": "reply", "body": "Toch."}
			}, 201},
			{"negative id", desk.RoleAgent, func() map[string]any {
				return map[string]any{"type": "reply", "body": "x", "if_last_message_id": -1}
			}, 422},
			{"not on notes", desk.RoleAgent, func() map[string]any {
				return map[string]any{"type": "note", "body": "x", "if_last_message_id": seen}
			}, 422},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if r := e.do(tc.role, "POST", msgs, tc.body()); r.status != tc.status {
					t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
			})
		}
	})
}
