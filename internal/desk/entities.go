package desk

import (
	"strings"
	"time"
)

// Role is what an agent may do. Roles are ordered: an admin may do all that a
// supervisor may, a supervisor all that an agent may.
type Role string

const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAgent || r == RoleSupervisor || r == RoleAdmin }

func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleSupervisor:
		return 2
	case RoleAgent:
		return 1
	}
	return 0
}

// AtLeast reports whether r includes the rights of min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.rank() > 0 }

// Availability is an agent's presence as they set it.
type Availability string

const (
	Online  Availability = "online"
	Away    Availability = "away"
	Offline Availability = "offline"
)

// Agent is a person who works in balie: answers customers, supervises or
// administers.
type Agent struct {
	ID           int64
	Email        string
	Name         string
	Role         Role
	Locale       string // "nl" or "en"; the UI language
	PasswordHash string // argon2id, PHC string format
	Availability Availability
	Disabled     bool
	TeamIDs      []int64 // filled on read
	Skills       []Skill // filled on read; set with SetAgentSkills
	// Capacity is how many open conversations the agent takes at once per
	// channel (3 chats, 10 emails...); a channel missing from it gets the
	// routing's default, 0 means none of that channel.
	Capacity  map[ChannelKind]int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Team is a department (customer service, finance, logistics...).
type Team struct {
	ID          int64
	Name        string
	Description string
	Mode        RoutingMode // how conversations reach its agents; "" least loaded
	// Settings holds the team's business hours and out-of-hours replies
	// (the Team* keys).
	Settings  map[string]string
	CreatedAt time.Time
}

// ChannelKind names a channel adapter.
type ChannelKind string

const (
	ChannelWebChat   ChannelKind = "webchat"
	ChannelEmail     ChannelKind = "email"
	ChannelAPI       ChannelKind = "api"
	ChannelWhatsApp  ChannelKind = "whatsapp"
	ChannelMessenger ChannelKind = "messenger"
	ChannelInstagram ChannelKind = "instagram"
	ChannelTelegram  ChannelKind = "telegram"
	ChannelPhone     ChannelKind = "phone"
)

// KnownChannel reports whether k is a channel kind balie knows.
func KnownChannel(k ChannelKind) bool {
	switch k {
	case ChannelWebChat, ChannelEmail, ChannelAPI, ChannelWhatsApp, ChannelMessenger,
		ChannelInstagram, ChannelTelegram, ChannelPhone:
		return true
	}
	return false
}

// Inbox is one entry point of one channel: a web-chat widget on a site, a
// mailbox, a WhatsApp number. Every conversation belongs to one inbox.
type Inbox struct {
	ID      int64
	Name    string
	Channel ChannelKind
	// PublicKey identifies the inbox to the outside world (the widget's
	// data-inbox attribute, the /hooks/<kind>/<key> path). Not a secret.
	PublicKey string
	// TeamID is where new conversations go first; 0 for none.
	TeamID int64
	// Settings holds channel-specific configuration (greeting, colour,
	// provider credentials...). Secret values are never logged.
	Settings  map[string]string
	CreatedAt time.Time
}

// Contact is one customer, whatever channels they use.
type Contact struct {
	ID         int64
	Name       string
	Email      string // primary email, may be empty
	Phone      string // primary phone (E.164 where known), may be empty
	Locale     string
	Attributes map[string]string
	// OwnerID is the customer's fixed contact person (account owner), who
	// gets their conversations when available; 0 for none.
	OwnerID    int64
	Identities []Identity // filled on read where useful
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// IdentityKind is a kind of handle by which a contact is known on a channel.
type IdentityKind string

const (
	IdentityEmail   IdentityKind = "email"
	IdentityPhone   IdentityKind = "phone"
	IdentityVisitor IdentityKind = "webchat" // a widget's persistent visitor id (hashed)
	IdentityExtern  IdentityKind = "external"
	// Messaging apps' own user ids (WhatsApp users are known by their
	// phone number: IdentityPhone, E.164).
	IdentityTelegram  IdentityKind = "telegram"
	IdentityMessenger IdentityKind = "messenger" // page-scoped id
	IdentityInstagram IdentityKind = "instagram" // Instagram-scoped id
)

// Identity is a handle (email, phone, visitor id, provider user id) that
// points at one contact. (Kind, Value) is unique.
type Identity struct {
	ID        int64
	ContactID int64
	Kind      IdentityKind
	Value     string
	Verified  bool
	CreatedAt time.Time
}

// Status of a conversation.
type Status string

const (
	StatusOpen     Status = "open"
	StatusPending  Status = "pending" // waiting for the customer
	StatusSnoozed  Status = "snoozed"
	StatusResolved Status = "resolved"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusOpen, StatusPending, StatusSnoozed, StatusResolved:
		return true
	}
	return false
}

// Priority of a conversation.
type Priority string

const (
	PriorityNone   Priority = "none"
	PriorityLow    Priority = "low"
	PriorityMedium Priority = "medium"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool {
	switch p {
	case PriorityNone, PriorityLow, PriorityMedium, PriorityHigh, PriorityUrgent:
		return true
	}
	return false
}

// Conversation is one case of one customer in one inbox: a thread of messages,
// notes and activity.
type Conversation struct {
	ID             int64
	InboxID        int64
	Channel        ChannelKind // copied from the inbox, for filtering
	ContactID      int64
	Subject        string
	Status         Status
	Priority       Priority
	AssigneeID     int64 // 0 when unassigned
	TeamID         int64 // 0 when no team
	Labels         []string
	SnoozedUntil   time.Time // zero unless snoozed
	LastActivityAt time.Time // newest message, note or state change
	LastMessage    string    // short preview of the newest message
	// WaitingSince is when the customer's oldest unanswered message arrived;
	// zero when an agent answered last.
	WaitingSince time.Time
	// Category is what the conversation is about: a key of the company's
	// category list, set by the classifier at first contact or by an agent.
	Category   string
	CategoryBy CategorySource
	// Language is the customer's language as detected ("nl", "en"; ""
	// unknown).
	Language string
	// FirstReplyAt is when an agent first answered the customer (not a
	// note, not the bot); zero until then.
	FirstReplyAt time.Time
	// HandedOverAt is when the bot handed the conversation to people;
	// zero when it never did.
	HandedOverAt time.Time
	// Reopens counts how often the conversation came back after being
	// resolved (first-contact resolution is Reopens == 0).
	Reopens int
	// SLAPolicyID is the policy whose targets apply (0: none); SLADueAt the
	// next target's deadline (zero: none running); SLAState where it
	// stands. Kept by the SLA sweep.
	SLAPolicyID int64
	SLADueAt    time.Time
	SLAState    SLAState
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ResolvedAt  time.Time

	// Filled on read by some queries.
	Contact *Contact
}

// Normalise labels: trimmed, lower case, unique, sorted by first appearance.
func NormaliseLabels(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, l := range in {
		l = strings.ToLower(strings.TrimSpace(l))
		if l == "" || seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	return out
}

// Sender says who wrote a message.
type Sender string

const (
	SenderContact Sender = "contact"
	SenderAgent   Sender = "agent"
	SenderBot     Sender = "bot"
	SenderSystem  Sender = "system"
)

// MessageKind separates what the customer sees from what only agents see.
type MessageKind string

const (
	KindMessage  MessageKind = "message"  // visible to the customer
	KindNote     MessageKind = "note"     // internal, agents only
	KindActivity MessageKind = "activity" // state change ("assigned to Anna")
)

// Delivery is the state of an outgoing message on its channel.
type Delivery string

const (
	DeliveryNone      Delivery = ""          // inbound, notes, activity
	DeliveryQueued    Delivery = "queued"    // waiting in the outbox
	DeliverySent      Delivery = "sent"      // accepted by the provider
	DeliveryDelivered Delivery = "delivered" // reached the customer's device
	DeliveryRead      Delivery = "read"
	DeliveryFailed    Delivery = "failed"
)

// Message is one entry in a conversation's thread.
type Message struct {
	ID             int64
	ConversationID int64
	Kind           MessageKind
	Sender         Sender
	// SenderID is the agent for SenderAgent, the contact for SenderContact,
	// and the acting agent (0: balie itself) for SenderSystem.
	SenderID   int64
	SenderName string // filled on read
	// Body is plain text; never trusted, always escaped on output. For
	// KindActivity it is an English rendering of Activity, for API and
	// webhook consumers and for rows older than Activity.
	Body string
	// Activity is what a KindActivity message records, as catalogue keys
	// with arguments, so that each reader sees it in their own language.
	Activity []ActivityItem
	// ExternalID is the provider's message id, or for a note written with
	// conversation.NoteOnce its idempotency key ("sla-esc>12"); unique per
	// inbox, which makes ingesting and keyed notes idempotent.
	ExternalID  string
	Delivery    Delivery
	Error       string // why delivery failed
	Attachments []Attachment
	// Meta holds what the channel knows about the message beyond its text,
	// for agents to see: the Meta* keys. Nil for most messages.
	Meta      map[string]string
	CreatedAt time.Time
	// SearchTerms are the body's analysed search terms (lang.IndexTerms).
	// Callers may fill them before a transaction so that the analysis runs
	// in parallel rather than in the store's writer; stores compute them
	// when nil. Never read back.
	SearchTerms []string
}

// Message meta keys.
const (
	// MetaEmailAuth is an inbound mail's sender authentication as
	// "spf=pass dkim=pass dmarc=pass", with what was checked after a
	// semicolon: from balie's own MX or the mailbox's
	// Authentication-Results.
	MetaEmailAuth = "email_auth"
	// MetaEmailHTML is the blob key of an inbound mail's HTML version,
	// sanitised, with inline images pointing at the message's attachments.
	MetaEmailHTML = "email_html"
	// MetaEmailTo lists the mail's To and Cc addresses (comma separated).
	MetaEmailTo = "email_to"
	// MetaSenderUnverified marks a customer message whose sender's address
	// was typed in, not proven by the channel; the value says where
	// (SenderFromForm). Agents are warned before they act on the contact's
	// orders or details.
	MetaSenderUnverified = "sender_unverified"
)

// SenderFromForm is MetaSenderUnverified's value for the help center's
// contact forms (email form and callback request).
const SenderFromForm = "contact_form"

// ActivityItem is one change recorded in an activity message: a key (one of
// the Activity* constants) and its arguments as plain strings.
type ActivityItem struct {
	Key  string
	Args []string
}

// Activity keys and their arguments.
const (
	ActivityResolved    = "resolved"
	ActivityReopened    = "reopened"
	ActivityPending     = "pending"
	ActivitySnoozed     = "snoozed"      // until, RFC 3339
	ActivityPriority    = "priority"     // the new Priority
	ActivityLabels      = "labels"       // the labels, comma-joined ("" when none)
	ActivityTeam        = "team"         // the team's name ("" when none)
	ActivityAssigned    = "assigned"     // the agent's name ("" when nobody)
	ActivitySnoozeEnded = "snooze_ended" // the conversation woke up
	ActivityCategory    = "category"     // the category key ("" when none)
	ActivityHandover    = "handover"     // the bot handed over; the team's name ("" when none)
	// The conversation went on in another one, on another channel (or came
	// from one): that conversation's channel kind and id.
	ActivityContinuedIn   = "continued_in"
	ActivityContinuedFrom = "continued_from"
)

// Attachment is a file on a message. The bytes live in the blob store.
type Attachment struct {
	ID          int64
	MessageID   int64
	Name        string
	ContentType string
	Size        int64
	BlobKey     string
	ThumbKey    string // set for images that have a thumbnail
	Width       int
	Height      int
	CreatedAt   time.Time
}

// ContactFile is an attachment with the conversation it came in, for a
// customer's list of files.
type ContactFile struct {
	Attachment
	ConversationID int64
	Channel        ChannelKind
	Sender         Sender // who sent it: the customer or an agent
}

// IsImage reports whether the attachment is an image the browser can show.
func (a Attachment) IsImage() bool {
	switch a.ContentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// Session is a logged-in browser of an agent.
type Session struct {
	// ID is the SHA-256 of the cookie value; the cookie itself is never stored.
	ID        string
	AgentID   int64
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// APIToken authenticates API calls on behalf of an agent.
type APIToken struct {
	ID         int64
	AgentID    int64
	Name       string
	Hash       string // SHA-256 of the token, hex
	Prefix     string // first characters, to recognise it in lists
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// Webhook is an outgoing webhook a company configured.
type Webhook struct {
	ID        int64
	URL       string
	Secret    string   // HMAC-SHA256 key; never logged
	Events    []string // event types; empty means all
	Active    bool
	CreatedAt time.Time
}

// Wants reports whether the webhook subscribes to the event type.
func (w Webhook) Wants(eventType string) bool {
	if !w.Active {
		return false
	}
	if len(w.Events) == 0 {
		return true
	}
	for _, e := range w.Events {
		if e == eventType || e == "*" {
			return true
		}
	}
	return false
}

// OutboxKind says which worker delivers an outbox item.
type OutboxKind string

const (
	OutboxWebhook     OutboxKind = "webhook"      // POST to a configured webhook
	OutboxChannelSend OutboxKind = "channel_send" // send a message on its channel
)

// OutboxState of an item.
type OutboxState string

const (
	OutboxPending OutboxState = "pending"
	OutboxDone    OutboxState = "done"
	OutboxFailed  OutboxState = "failed" // gave up after the last attempt
)

// OutboxItem is one outbound send, written in the same transaction as what
// caused it and delivered by a worker with retries.
type OutboxItem struct {
	ID             int64
	Kind           OutboxKind
	Target         int64  // webhook id or message id
	Payload        []byte // JSON
	IdempotencyKey string // unique; sent to providers that honour one
	State          OutboxState
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	CreatedAt      time.Time
	DoneAt         time.Time
	// Lease identifies the latest claim (ClaimOutbox); 0 before the first.
	// Completing or retrying with an older lease is refused, so a worker
	// that lost its lease cannot undo another worker's result.
	Lease int64
}

// SenderUnproven reports whether a customer message's sender is not proven
// by its channel: the address was typed into a form (MetaSenderUnverified),
// or the mail failed DMARC (or, without a DMARC pass, SPF). Whoever acts
// on such a message's contact — an agent, the bot — should not take it for
// the contact.
func (m Message) SenderUnproven() bool {
	if m.Meta[MetaSenderUnverified] != "" {
		return true
	}
	results, _, _ := strings.Cut(m.Meta[MetaEmailAuth], ";")
	var spf, dmarc string
	for _, f := range strings.Fields(results) {
		switch name, res, _ := strings.Cut(f, "="); name {
		case "spf":
			spf = res
		case "dmarc":
			dmarc = res
		}
	}
	return dmarc == "fail" || dmarc != "pass" && spf == "fail"
}
