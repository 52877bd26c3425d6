package desk

import (
	"context"
	"time"
)

// Feedback: satisfaction surveys after resolution, compliments, review
// invitations and improvement signals (closing the loop). The rules live in
// internal/feedback; this is what is stored.

// SurveyState is where a survey stands.
type SurveyState string

const (
	// SurveySent: the invitation went out; the customer may answer.
	SurveySent SurveyState = "sent"
	// SurveyAnswered: the customer answered (and may edit for a while).
	SurveyAnswered SurveyState = "answered"
	// SurveySkipped: the conversation got no survey (bot only, no channel
	// to reach the customer, surveys off). Kept so it is decided once.
	SurveySkipped SurveyState = "skipped"
)

// NoNPS is Survey.NPS when the customer gave no NPS score.
const NoNPS = -1

// Survey is the satisfaction survey of one resolved conversation; at most
// one per conversation. The figures of the conversation (agent, team,
// category, channel) are copied when it is sent, so that results stay put
// when the conversation changes later.
type Survey struct {
	ID             int64
	ConversationID int64
	ContactID      int64
	Channel        ChannelKind
	AgentID        int64 // who handled it (the assignee at resolution); 0 none
	TeamID         int64
	Category       string
	Locale         string // the survey page's language, "nl" or "en"
	// TokenHash is the SHA-256 (hex) of the link's token; the token itself
	// is only in the message sent to the customer.
	TokenHash string
	State     SurveyState
	Reason    string // why it was skipped
	SentAt    time.Time
	// The answer: CSAT 1–5 (0 before answering), NPS 0–10 or NoNPS,
	// an optional comment and the company's own questions by id.
	CSAT       int
	NPS        int
	Comment    string
	Answers    map[string]string
	AnsweredAt time.Time // first answer; edits are allowed for a while after it
	UpdatedAt  time.Time
	// FollowUpAt is when a low score opened a follow-up; zero when none.
	FollowUpAt time.Time
	// ReviewInvitedAt is when the thank-you page invited the customer to
	// leave a public review; zero when it did not.
	ReviewInvitedAt time.Time
}

// SurveyDim is what survey results are grouped by.
type SurveyDim string

const (
	SurveyByTotal    SurveyDim = ""
	SurveyByAgent    SurveyDim = "agent"
	SurveyByTeam     SurveyDim = "team"
	SurveyByCategory SurveyDim = "category"
	SurveyByChannel  SurveyDim = "channel"
	SurveyByDay      SurveyDim = "day" // UTC days of SentAt
)

// SurveyStatsQuery selects surveys sent in [From, To) and groups them.
type SurveyStatsQuery struct {
	From, To time.Time
	By       SurveyDim
}

// SurveyStat is the sums of one group of sent (or answered) surveys; the
// feedback package turns them into averages and percentages.
type SurveyStat struct {
	// Key is the group: an agent or team id, a category key, a channel
	// kind, or a day as "2006-01-02"; "" for the total.
	Key       string
	Sent      int // sent or answered
	Answered  int
	CSATSum   int
	Satisfied int // CSAT 4 or 5
	NPSCount  int // answers with an NPS score
	Promoters int // NPS 9–10
	Detract   int // NPS 0–6
}

// SurveyQuery lists answered surveys, newest answer first.
type SurveyQuery struct {
	From, To    time.Time // AnsweredAt in [From, To); zero: unbounded
	WithComment bool      // only answers with a comment
	MaxCSAT     int       // only CSAT <= MaxCSAT; 0: any
	Limit       int       // default 50, at most 500
}

// Compliment is praise a customer left through the help center.
type Compliment struct {
	ID     int64
	Name   string
	Email  string
	Body   string
	Locale string
	// About names whom or what it is about, as the customer wrote it.
	About     string
	CreatedAt time.Time
}

// ImprovementState of a problem.
type ImprovementState string

const (
	ImprovementOpen   ImprovementState = "open"
	ImprovementClosed ImprovementState = "closed" // fixed, and its reporters told
)

// Improvement is an underlying problem customers ran into ("invoice PDF
// shows the wrong VAT"), owned by a department (team), with the signals
// that reported it.
type Improvement struct {
	ID        int64
	Title     string
	TeamID    int64 // the owning department; 0 none yet
	State     ImprovementState
	CreatedBy int64 // agent
	CreatedAt time.Time
	ClosedAt  time.Time
	ClosedBy  int64
	// Filled on read by ListImprovements and ImprovementByID.
	Signals   int // signals
	Customers int // distinct customers
}

// ImprovementSignal ties a conversation (or a survey's comment) to a
// problem. A conversation signals a problem once.
type ImprovementSignal struct {
	ID             int64
	ImprovementID  int64
	ConversationID int64
	ContactID      int64
	SurveyID       int64 // 0 when not from a survey comment
	Note           string
	CreatedBy      int64
	CreatedAt      time.Time
	NotifiedAt     time.Time // when its customer was told of the fix; zero before
}

// FeedbackStore keeps surveys, compliments and improvement signals.
type FeedbackStore interface {
	// SurveyCandidates lists conversations resolved in [since, before) that
	// are still resolved and have no survey row yet, oldest resolution
	// first, at most limit.
	SurveyCandidates(ctx context.Context, since, before time.Time, limit int) ([]Conversation, error)
	// CreateSurvey stores a survey (sent or skipped). A second survey for
	// the same conversation is ErrConflict: at most one per conversation.
	CreateSurvey(ctx context.Context, s *Survey) error
	// SurveyByTokenHash and SurveyByConversation are ErrNotFound when
	// there is none.
	SurveyByTokenHash(ctx context.Context, hash string) (*Survey, error)
	SurveyByConversation(ctx context.Context, conversationID int64) (*Survey, error)
	// AnswerSurvey writes the answer fields (CSAT, NPS, Comment, Answers,
	// AnsweredAt, UpdatedAt) and State. It acts only on a sent or answered
	// survey: a skipped one is ErrConflict, a missing one ErrNotFound.
	AnswerSurvey(ctx context.Context, s *Survey) error
	// MarkSurveyFollowUp sets FollowUpAt once: ErrConflict when already set.
	MarkSurveyFollowUp(ctx context.Context, id int64, at time.Time) error
	// MarkReviewInvited sets ReviewInvitedAt.
	MarkReviewInvited(ctx context.Context, id int64, at time.Time) error
	// LastReviewInvite is the newest ReviewInvitedAt of any survey of the
	// contact; zero when never.
	LastReviewInvite(ctx context.Context, contactID int64) (time.Time, error)
	SurveyStats(ctx context.Context, q SurveyStatsQuery) ([]SurveyStat, error)
	ListSurveys(ctx context.Context, q SurveyQuery) ([]Survey, error)

	CreateCompliment(ctx context.Context, c *Compliment) error
	// ListCompliments is newest first.
	ListCompliments(ctx context.Context, limit int) ([]Compliment, error)

	CreateImprovement(ctx context.Context, im *Improvement) error
	ImprovementByID(ctx context.Context, id int64) (*Improvement, error)
	// ListImprovements lists problems in state ("" any), most customers
	// first.
	ListImprovements(ctx context.Context, state ImprovementState) ([]Improvement, error)
	// CloseImprovement closes an open problem; ErrConflict when closed.
	CloseImprovement(ctx context.Context, id, by int64, at time.Time) error
	// AddImprovementSignal links a conversation to a problem; the same
	// conversation twice on one problem is ErrConflict, a missing problem
	// ErrNotFound.
	AddImprovementSignal(ctx context.Context, sig *ImprovementSignal) error
	// ImprovementSignals lists a problem's signals, oldest first.
	ImprovementSignals(ctx context.Context, improvementID int64) ([]ImprovementSignal, error)
	// MarkSignalNotified sets NotifiedAt of one signal.
	MarkSignalNotified(ctx context.Context, id int64, at time.Time) error
}
