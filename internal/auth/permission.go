package auth

import "github.com/balie-dev/balie/internal/desk"

// Permission names something an agent may be allowed to do.
type Permission string

// Permissions. Each needs a minimum role (see Allowed); roles are ordered
// agent < supervisor < admin.
const (
	// Agent: the daily work of answering customers.
	ConversationsRead  Permission = "conversations.read"
	ConversationsWrite Permission = "conversations.write" // reply, note, assign, resolve
	ContactsRead       Permission = "contacts.read"
	ContactsWrite      Permission = "contacts.write"

	// Supervisor: running a team and what it knows.
	ConversationsManage Permission = "conversations.manage" // reassign others' work, merge, delete
	ContactsErase       Permission = "contacts.erase"       // GDPR export and erasure, contact merges
	KnowledgeManage     Permission = "knowledge.manage"     // articles, categories, flows, bot answers
	TeamsManage         Permission = "teams.manage"         // teams, skills, business hours, SLA
	ReportsRead         Permission = "reports.read"

	// Admin: the installation itself, including secrets.
	AgentsManage   Permission = "agents.manage" // accounts, roles, others' tokens
	InboxesManage  Permission = "inboxes.manage"
	WebhooksManage Permission = "webhooks.manage"
	SettingsManage Permission = "settings.manage"
)

// Permissions lists every permission, for documentation and admin screens.
func Permissions() []Permission {
	return []Permission{
		ConversationsRead, ConversationsWrite, ContactsRead, ContactsWrite,
		ConversationsManage, ContactsErase, KnowledgeManage, TeamsManage, ReportsRead,
		AgentsManage, InboxesManage, WebhooksManage, SettingsManage,
	}
}

// MinRole returns the lowest role holding p; false for an unknown permission.
func MinRole(p Permission) (desk.Role, bool) {
	switch p {
	case ConversationsRead, ConversationsWrite, ContactsRead, ContactsWrite:
		return desk.RoleAgent, true
	case ConversationsManage, ContactsErase, KnowledgeManage, TeamsManage, ReportsRead:
		return desk.RoleSupervisor, true
	case AgentsManage, InboxesManage, WebhooksManage, SettingsManage:
		return desk.RoleAdmin, true
	}
	return "", false
}

// Allowed reports whether role holds permission p. Unknown roles and
// permissions are denied.
func Allowed(role desk.Role, p Permission) bool {
	min, ok := MinRole(p)
	return ok && role.AtLeast(min)
}
