package auth

import (
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestAllowed(t *testing.T) {
	// Columns: agent, supervisor, admin.
	table := map[Permission][3]bool{
		ConversationsRead:   {true, true, true},
		ConversationsWrite:  {true, true, true},
		ContactsRead:        {true, true, true},
		ContactsWrite:       {true, true, true},
		ConversationsManage: {false, true, true},
		ContactsErase:       {false, true, true},
		KnowledgeManage:     {false, true, true},
		TeamsManage:         {false, true, true},
		ReportsRead:         {false, true, true},
		AgentsManage:        {false, false, true},
		InboxesManage:       {false, false, true},
		WebhooksManage:      {false, false, true},
		SettingsManage:      {false, false, true},
	}
	if len(table) != len(Permissions()) {
		t.Errorf("test covers %d permissions, Permissions() lists %d", len(table), len(Permissions()))
	}
	roles := []desk.Role{desk.RoleAgent, desk.RoleSupervisor, desk.RoleAdmin}
	for _, p := range Permissions() {
		want, ok := table[p]
		if !ok {
			t.Errorf("permission %q missing from the test table", p)
			continue
		}
		for i, role := range roles {
			t.Run(string(p)+"/"+string(role), func(t *testing.T) {
				if got := Allowed(role, p); got != want[i] {
					t.Errorf("Allowed(%s, %s) = %v, want %v", role, p, got, want[i])
				}
			})
		}
		t.Run(string(p)+"/unknown role", func(t *testing.T) {
			for _, r := range []desk.Role{"", "root", "Admin"} {
				if Allowed(r, p) {
					t.Errorf("Allowed(%q, %s) = true, want false", r, p)
				}
			}
		})
	}
	if Allowed(desk.RoleAdmin, "everything") {
		t.Errorf("unknown permission allowed for admin")
	}
}
