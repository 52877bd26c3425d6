package desk

import (
	"context"
	"time"
)

// The digital front line: the bot's first contact, guided troubleshooting
// flows, categorising conversations, saved replies and suggestions, and the
// contact page that answers before it offers contact.

// CategorySource says who set a conversation's category.
type CategorySource string

const (
	CategoryByBot   CategorySource = "bot"   // the classifier, at first contact
	CategoryByAgent CategorySource = "agent" // an agent set or corrected it
)

// IntentExample is one labelled text the classifier learns from: an
// agent's (correction of a) category on a conversation's first message, or
// an example an admin imported.
type IntentExample struct {
	ID             int64
	Text           string
	Category       string // a category key
	Locale         string
	Source         string // "agent", "import"
	ConversationID int64  // 0 for imported examples; unique per conversation otherwise
	CreatedAt      time.Time
}

// IntentExampleStore keeps training data.
type IntentExampleStore interface {
	// PutIntentExample stores e; an example for a conversation that
	// already has one replaces it (an agent's correction wins, CreatedAt
	// included), keeping its ID, which is written back to e.ID.
	PutIntentExample(ctx context.Context, e *IntentExample) error
	// ListIntentExamples returns examples in ID order after afterID, at
	// most limit (default 1000, at most 10000).
	ListIntentExamples(ctx context.Context, afterID int64, limit int) ([]IntentExample, error)
	CountIntentExamples(ctx context.Context) (int, error)
	// DeleteIntentExamples removes the examples of one source ("" every
	// example).
	DeleteIntentExamples(ctx context.Context, source string) error
}

// Flow is a guided troubleshooting flow in one locale: steps that ask,
// show, check and end. Its definition (the steps) is JSON owned by package
// flow; the store keeps it as text. Every publish adds a FlowVersion;
// translations share a GroupID.
type Flow struct {
	ID          int64
	GroupID     int64
	Locale      string
	Slug        string // unique per locale
	Title       string
	Description string
	Status      ArticleStatus // draft, published, archived
	Definition  string        // JSON, the draft being edited
	Version     int           // newest published version; 0 never published
	Category    string        // category key it answers, "" none
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// FlowVersion is a published, immutable definition of a flow. Runs refer
// to the version they ran, so that editing a flow does not change history.
type FlowVersion struct {
	FlowID     int64
	Version    int
	Definition string
	AgentID    int64
	CreatedAt  time.Time
}

// FlowOutcome is how a run ended.
type FlowOutcome string

const (
	FlowOpen     FlowOutcome = ""         // still running (or abandoned)
	FlowSolved   FlowOutcome = "solved"   // the customer said it is solved
	FlowArticle  FlowOutcome = "article"  // ended in an article
	FlowHandover FlowOutcome = "handover" // handed to a person
)

// FlowRun is one customer going through one version of a flow.
type FlowRun struct {
	ID             int64
	FlowID         int64
	Version        int
	Source         SearchSource // help, widget, bot (a messaging conversation)
	ConversationID int64        // when it runs in a conversation
	VisitorKey     string
	// Path is the steps taken with the answers given, in order.
	Path      []FlowStepAnswer
	Outcome   FlowOutcome
	StartedAt time.Time
	UpdatedAt time.Time
	EndedAt   time.Time // zero while open
}

// FlowStepAnswer is one step of a run.
type FlowStepAnswer struct {
	Step   string    `json:"step"`
	Answer string    `json:"answer,omitempty"` // the option chosen or text given
	At     time.Time `json:"at"`
}

// FlowStore keeps flows, their versions and runs.
type FlowStore interface {
	CreateFlow(ctx context.Context, f *Flow) error  // sets ID, GroupID when 0, times; slug taken: ErrConflict
	UpdateFlow(ctx context.Context, f *Flow) error  // every field but ID, GroupID, CreatedAt; sets UpdatedAt
	DeleteFlow(ctx context.Context, id int64) error // its versions and runs go with it
	FlowByID(ctx context.Context, id int64) (*Flow, error)
	FlowBySlug(ctx context.Context, locale, slug string) (*Flow, error)
	// ListFlows lists a locale's ("" all) flows by title, ties by ID;
	// status "" any.
	ListFlows(ctx context.Context, locale string, status ArticleStatus) ([]Flow, error)
	// AddFlowVersion stores a published version; a version number the flow
	// has is ErrConflict, a missing flow ErrNotFound. It does not change
	// Flow.Version: the caller updates the flow in the same transaction.
	AddFlowVersion(ctx context.Context, v *FlowVersion) error
	FlowVersionOf(ctx context.Context, flowID int64, version int) (*FlowVersion, error)
	// FlowVersions lists a flow's versions, newest first.
	FlowVersions(ctx context.Context, flowID int64) ([]FlowVersion, error)

	CreateFlowRun(ctx context.Context, r *FlowRun) error // sets ID
	// UpdateFlowRun writes Path, Outcome, UpdatedAt and EndedAt.
	UpdateFlowRun(ctx context.Context, r *FlowRun) error
	FlowRunByID(ctx context.Context, id int64) (*FlowRun, error)
	// FlowRuns lists a flow's runs started in [since, until) (zero until:
	// no end), oldest first, at most limit (default 1000, at most 100000).
	FlowRuns(ctx context.Context, flowID int64, since, until time.Time, limit int) ([]FlowRun, error)
	// ConversationFlowRuns lists the runs in a conversation, oldest first.
	ConversationFlowRuns(ctx context.Context, conversationID int64) ([]FlowRun, error)
}

// BotSession is what the bot remembers of a conversation between turns:
// its state as JSON owned by the bot package.
type BotSession struct {
	ConversationID int64
	State          string
	UpdatedAt      time.Time
}

// BotSessionStore keeps the bot's memory per conversation.
type BotSessionStore interface {
	// BotSessionOf returns the conversation's session; ErrNotFound when the
	// bot has none.
	BotSessionOf(ctx context.Context, conversationID int64) (*BotSession, error)
	// PutBotSession creates or replaces it; a missing conversation is
	// ErrNotFound.
	PutBotSession(ctx context.Context, s *BotSession) error
}

// SavedReply is a ready answer agents send or edit, per team ("0": every
// team) and locale.
type SavedReply struct {
	ID        int64
	TeamID    int64
	Locale    string
	Title     string
	Body      string // may hold {{contact.name}}-style variables
	Shortcut  string // "/retour"; unique per team and locale when set
	Category  string // the category key it answers, "" any
	Uses      int    // times sent or inserted
	AgentID   int64  // who wrote it
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SavedReplyQuery filters saved replies: those of any of TeamIDs plus the
// shared ones (team 0); a locale ("" any).
type SavedReplyQuery struct {
	TeamIDs  []int64
	AllTeams bool // ignore TeamIDs: every reply (admins)
	Locale   string
}

// SuggestionEvent records what an agent did with a suggested reply, so
// that ranking learns: shown, picked (sent as is) or edited before sending.
type SuggestionEvent struct {
	ID             int64
	ConversationID int64
	AgentID        int64
	Kind           string // "saved", "article", "reply" (an earlier agent reply), "draft" (generated)
	Ref            string // id of the saved reply, article or message
	Category       string // the conversation's category then
	Action         string // "shown", "picked", "edited"
	At             time.Time
}

// SuggestionStat counts what agents did with one suggestion in a category.
type SuggestionStat struct {
	Kind, Ref, Category   string
	Shown, Picked, Edited int
}

// SavedReplyStore keeps saved replies and the suggestion events.
type SavedReplyStore interface {
	// CreateSavedReply and UpdateSavedReply: a shortcut the team (0 is its
	// own team) already uses in the locale is ErrConflict. Update writes
	// every field but ID, Uses and CreatedAt and sets UpdatedAt to now.
	CreateSavedReply(ctx context.Context, r *SavedReply) error
	UpdateSavedReply(ctx context.Context, r *SavedReply) error
	DeleteSavedReply(ctx context.Context, id int64) error
	SavedReplyByID(ctx context.Context, id int64) (*SavedReply, error)
	// ListSavedReplies lists by title, ties by ID.
	ListSavedReplies(ctx context.Context, q SavedReplyQuery) ([]SavedReply, error)
	// IncSavedReplyUses adds one use.
	IncSavedReplyUses(ctx context.Context, id int64) error
	AddSuggestionEvent(ctx context.Context, e *SuggestionEvent) error
	// SuggestionStats adds up events since a time, per kind, ref and
	// category, in that order.
	SuggestionStats(ctx context.Context, since time.Time) ([]SuggestionStat, error)
}

// ContactVisit is one visit to the contact page: what the customer said it
// was about, whether an answer was opened and whether they contacted the
// company after all. Deflection is the share of visits that opened an
// answer and did not contact.
type ContactVisit struct {
	ID         int64
	Locale     string
	Query      string
	Topic      string // category key the query was classified as
	Answered   bool   // opened an article or flow from the suggestions
	Contacted  bool   // chose a contact option
	VisitorKey string
	ContactID  int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// DeflectionStat counts contact-page visits of one topic.
type DeflectionStat struct {
	Topic     string
	Visits    int
	Answered  int
	Contacted int
	Deflected int // answered and not contacted
}

// ContactVisitStore keeps contact-page visits.
type ContactVisitStore interface {
	CreateContactVisit(ctx context.Context, v *ContactVisit) error // sets ID
	// UpdateContactVisit writes Query, Topic, Answered, Contacted and
	// UpdatedAt.
	UpdateContactVisit(ctx context.Context, v *ContactVisit) error
	ContactVisitByID(ctx context.Context, id int64) (*ContactVisit, error)
	// DeflectionStats counts the visits created in [since, until) per
	// topic, most visits first, ties by topic.
	DeflectionStats(ctx context.Context, since, until time.Time) ([]DeflectionStat, error)
}
