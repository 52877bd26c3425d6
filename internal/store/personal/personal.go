// Package personal is the catalogue of the tables that hold personal data,
// shared by both store drivers: export (desk.PrivacyStore.PersonalData) and
// erasure read and delete exactly these, in this order. A new table with a
// customer's data is one line in Tables; a table that does not exist (yet)
// in a database is skipped, so a line may come before its migration.
//
// The residue scan (FindResidue) does not use the catalogue: it walks the
// whole schema, so a table missing here shows up as residue in the erasure
// test instead of going unnoticed.
//
// personal also holds what export, erasure and the residue scan do alike
// in both drivers (scope.go, erase.go, residue.go): the drivers hand it a
// DB, their querier with the few conditions whose SQL differs, and hooks
// for the rest. It imports desk and the standard library, no driver.
package personal

// Key says what kind of id (or value) a column holds.
type Key int

const (
	// Contact: the column holds a contact id.
	Contact Key = iota
	// Conversation: the column holds a conversation id.
	Conversation
	// Message: the column holds a message id.
	Message
	// Email: the column holds an email address, matched in any case.
	Email
)

// Match is one way a table's row belongs to a customer: Column holds a
// Key, and Cond (SQL valid in both dialects, may be "") must hold too.
type Match struct {
	Column string
	Key    Key
	Cond   string
}

// Table is a table with personal data; a row is the customer's when any
// of its matches holds.
type Table struct {
	Name  string
	Match []Match
	// Conversation marks the per-conversation content: erased by retention
	// too, not only with the whole customer.
	Conversation bool
}

func by(column string, k Key) Match { return Match{Column: column, Key: k} }

// Tables lists the catalogue, children before parents: erasure deletes in
// this order, so foreign keys never block it. The conversations and
// contacts rows come last; full-text entries are the drivers' own.
func Tables() []Table {
	conv := func(name string, m ...Match) Table { return Table{Name: name, Match: m, Conversation: true} }
	cust := func(name string, m ...Match) Table { return Table{Name: name, Match: m} }
	return []Table{
		conv("attachments", by("message_id", Message)),
		// Sends of the customer's messages; webhook rows carry them in
		// their payload and are matched by the drivers (JSON).
		conv("outbox", Match{Column: "target", Key: Message, Cond: "kind = 'channel_send'"}),
		conv("messages", by("conversation_id", Conversation)),
		conv("conversation_labels", by("conversation_id", Conversation)),
		conv("bot_sessions", by("conversation_id", Conversation)),
		conv("flow_runs", by("conversation_id", Conversation)),
		// The classifier's examples are the customer's own words.
		conv("intent_examples", by("conversation_id", Conversation)),
		conv("suggestion_events", by("conversation_id", Conversation)),
		conv("action_logs", by("conversation_id", Conversation), by("contact_id", Contact)),
		conv("status_links", by("conversation_id", Conversation)),
		conv("status_notices", by("conversation_id", Conversation)),
		conv("improvement_signals", by("conversation_id", Conversation), by("contact_id", Contact)),
		conv("sla_escalations", by("conversation_id", Conversation)),
		conv("surveys", by("conversation_id", Conversation), by("contact_id", Contact)),
		// Handled by the drivers: deleted (or stripped, keepShell) last of
		// the conversation's rows.
		cust("conversations", by("id", Conversation), by("contact_id", Contact)),
		cust("identities", by("contact_id", Contact)),
		// Both sides: the kept profile's history names the merged one.
		cust("contact_merges", by("kept_id", Contact), by("merged_id", Contact)),
		cust("orders", by("contact_id", Contact)),
		cust("subscriptions", by("contact_id", Contact)),
		cust("kb_search_logs", by("contact_id", Contact)),
		cust("kb_views", by("contact_id", Contact)),
		cust("kb_feedback", by("contact_id", Contact)),
		cust("contact_visits", by("contact_id", Contact)),
		cust("magic_links", by("contact_id", Contact)),
		cust("customer_sessions", by("contact_id", Contact)),
		// Compliments are anonymous unless the customer left an address.
		cust("compliments", by("email", Email)),
		cust("contacts", by("id", Contact)),
	}
}

// Unscanned are the tables FindResidue leaves out: the accountability
// records, which hold ids on purpose and no other personal data, and
// bookkeeping.
func Unscanned() []string {
	return []string{"personal_data_access", "erasure_reports", "schema_migrations"}
}

// IDColumns maps the integer column names the residue scan checks to the
// kind of id they hold, in every table.
func IDColumns() map[string]Key {
	return map[string]Key{
		"contact_id":      Contact,
		"kept_id":         Contact,
		"merged_id":       Contact,
		"conversation_id": Conversation,
		"message_id":      Message,
	}
}

// MinValueLen is the shortest value the residue scan looks for: shorter
// ones would match unrelated text everywhere.
const MinValueLen = 4
