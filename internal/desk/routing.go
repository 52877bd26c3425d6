package desk

import (
	"context"
	"time"
)

// Routing and service levels: who answers (teams, skills, capacity, rules)
// and how fast (business hours, SLA policies). The decisions themselves are
// in internal/routing and internal/sla; this is what is stored.

// Skill is something an agent can do, at a level from 1 (some) to 5
// (expert). Names are namespaced by what they match: "lang:nl",
// "category:billing", "channel:email", "product:e-bike".
type Skill struct {
	Name  string
	Level int
}

// RoutingMode is how a team's conversations reach its agents.
type RoutingMode string

const (
	// RouteLeastLoaded gives a conversation to the available agent with
	// the most room on its channel (the default).
	RouteLeastLoaded RoutingMode = "least_loaded"
	// RouteRoundRobin gives it to whoever waited longest since their last.
	RouteRoundRobin RoutingMode = "round_robin"
	// RouteManual leaves it in the team's queue for agents to pick.
	RouteManual RoutingMode = "manual"
)

// KnownRoutingMode reports whether m is a mode balie knows ("" is the
// default, least loaded).
func KnownRoutingMode(m RoutingMode) bool {
	switch m {
	case "", RouteLeastLoaded, RouteRoundRobin, RouteManual:
		return true
	}
	return false
}

// Team settings keys (Team.Settings).
const (
	// TeamHours is the team's business hours as sla.Hours JSON; unset:
	// always open.
	TeamHours = "hours"
	// TeamAwayNL and TeamAwayEN are the auto-reply outside business hours,
	// per language; {{next_open}} is replaced by when the team is back.
	TeamAwayNL = "away_nl"
	TeamAwayEN = "away_en"
)

// RoutingRule says which team, with which skills, a conversation needs,
// from what it is about. Rules are tried by Position (then ID); the first
// whose conditions all hold decides. An empty condition holds for any
// value.
type RoutingRule struct {
	ID       int64
	Name     string
	Position int
	Enabled  bool

	Categories  []string      // conversation category keys
	Languages   []string      // "nl", "en"
	Channels    []ChannelKind //
	Segments    []string      // the contact's "segment" attribute
	MinPriority Priority      // at least this priority; "" any

	TeamID   int64    // where it goes
	Skills   []Skill  // what the agent needs, at least at these levels
	Priority Priority // raise the conversation to this; "" keep

	CreatedAt time.Time
	UpdatedAt time.Time
}

// SLAPolicy sets response and resolution targets for the conversations it
// matches (by Position, then ID; first match). Zero durations are no target.
type SLAPolicy struct {
	ID       int64
	Name     string
	Position int
	Enabled  bool

	Priorities []Priority
	Channels   []ChannelKind
	Segments   []string

	FirstResponse time.Duration
	NextResponse  time.Duration
	Resolution    time.Duration
	// WarnAt is the share of a target after which it is at risk (0.8 warns
	// at 80%); 0: no warning.
	WarnAt float64
	// BusinessHours counts targets in the conversation's team's business
	// hours rather than round the clock.
	BusinessHours bool

	CreatedAt time.Time
	UpdatedAt time.Time
}

// SLAState is where a conversation stands against its policy's targets.
type SLAState string

const (
	SLANone     SLAState = ""         // no policy, or every target met
	SLARunning  SLAState = "running"  // a target is running, in time
	SLAWarning  SLAState = "warning"  // a target is at risk
	SLABreached SLAState = "breached" // a target was missed
)

// RoutingStore keeps routing rules, SLA policies and the agents' skills and
// load. Lists are ordered by Position, then ID.
type RoutingStore interface {
	ListRoutingRules(ctx context.Context) ([]RoutingRule, error)
	CreateRoutingRule(ctx context.Context, r *RoutingRule) error // sets ID, CreatedAt, UpdatedAt
	UpdateRoutingRule(ctx context.Context, r *RoutingRule) error
	DeleteRoutingRule(ctx context.Context, id int64) error

	ListSLAPolicies(ctx context.Context) ([]SLAPolicy, error)
	CreateSLAPolicy(ctx context.Context, p *SLAPolicy) error
	UpdateSLAPolicy(ctx context.Context, p *SLAPolicy) error
	DeleteSLAPolicy(ctx context.Context, id int64) error

	// SetAgentSkills makes exactly skills the agent's skills.
	SetAgentSkills(ctx context.Context, agentID int64, skills []Skill) error

	// AssigneeLoad counts the open (not resolved) conversations assigned to
	// each agent, per channel: the routing's load after a restart.
	AssigneeLoad(ctx context.Context) (map[int64]map[ChannelKind]int, error)
	// SLADue lists the conversations that are not resolved and have an
	// SLA policy, for the SLA sweep; at most limit, those due first.
	SLADue(ctx context.Context, limit int) ([]Conversation, error)

	SLAEscalationStore // sla.go
}
