package routing

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// ReasonCode is what Pick decided, in a form the admin UI can translate.
type ReasonCode string

const (
	// ReasonOwner: the contact's account owner gets it.
	ReasonOwner ReasonCode = "owner"
	// ReasonLeastLoaded: the eligible agent with the lowest load ratio.
	ReasonLeastLoaded ReasonCode = "least_loaded"
	// ReasonRoundRobin: the eligible agent longest without an assignment.
	ReasonRoundRobin ReasonCode = "round_robin"
	// ReasonManual: the team picks by hand; it waits in the queue.
	ReasonManual ReasonCode = "manual"
	// ReasonNoAgents: the team (or, without one, routing) has no agents.
	ReasonNoAgents ReasonCode = "no_agents"
	// ReasonNobodyFree: there are agents, but none online with the skills
	// and room on the channel.
	ReasonNobodyFree ReasonCode = "nobody_free"
)

// ReasonCodes lists every ReasonCode, so that a UI can check it has a text
// for each.
func ReasonCodes() []ReasonCode {
	return []ReasonCode{ReasonOwner, ReasonLeastLoaded, ReasonRoundRobin, ReasonManual, ReasonNoAgents, ReasonNobodyFree}
}

// OwnerCode says why the account owner was passed over.
type OwnerCode string

const (
	// OwnerUnknown: the owner is not among routing's agents (disabled,
	// deleted).
	OwnerUnknown OwnerCode = "unknown"
	// OwnerNotOnline: the owner is away or offline (OwnerSkip.Status).
	OwnerNotOnline OwnerCode = "not_online"
	// OwnerFull: the owner has no room on the channel.
	OwnerFull OwnerCode = "full"
)

// OwnerCodes lists every OwnerCode.
func OwnerCodes() []OwnerCode {
	return []OwnerCode{OwnerUnknown, OwnerNotOnline, OwnerFull}
}

// OwnerSkip is why the account owner did not get a conversation. Its zero
// value means there was no owner, or the owner got it.
type OwnerSkip struct {
	Code    OwnerCode
	AgentID int64
	Status  desk.Availability // for OwnerNotOnline
	// The owner's load and capacity on the channel, for OwnerFull.
	Load, Capacity int
}

// Reason is why Pick chose an agent or nobody. It is structured so that the
// admin UI can render it in the user's language; String gives English for
// logs and tests.
type Reason struct {
	Code ReasonCode
	// AgentID is the chosen agent; 0 when nobody.
	AgentID int64
	// TeamID is the team whose agents were considered (0: every agent); the
	// team that picks by hand for ReasonManual.
	TeamID  int64
	Channel desk.ChannelKind
	// The chosen agent's load and capacity on Channel, before this
	// conversation (ReasonOwner, ReasonLeastLoaded).
	Load, Capacity int
	// Eligible is how many agents could have taken it (ReasonLeastLoaded,
	// ReasonRoundRobin).
	Eligible int
	// For ReasonNobodyFree: how many candidates were not online, lacked a
	// skill, or had no room on Channel.
	NotOnline, Unskilled, Full int
	// Owner is why the account owner was passed over, if they were.
	Owner OwnerSkip
}

// String is the reason in English.
func (r Reason) String() string {
	var b strings.Builder
	switch o := r.Owner; o.Code {
	case OwnerUnknown:
		fmt.Fprintf(&b, "account owner %d is not known to routing; ", o.AgentID)
	case OwnerNotOnline:
		fmt.Fprintf(&b, "account owner %d is %s; ", o.AgentID, o.Status)
	case OwnerFull:
		fmt.Fprintf(&b, "account owner %d is at capacity on %s (%d/%d); ", o.AgentID, r.Channel, o.Load, o.Capacity)
	}
	where := "any team"
	if r.TeamID != 0 {
		where = fmt.Sprintf("team %d", r.TeamID)
	}
	switch r.Code {
	case ReasonOwner:
		fmt.Fprintf(&b, "account owner %d (%s %d/%d)", r.AgentID, r.Channel, r.Load, r.Capacity)
	case ReasonManual:
		b.WriteString(where + " picks by hand: waits in the queue")
	case ReasonNoAgents:
		b.WriteString("no agents in " + where)
	case ReasonNobodyFree:
		fmt.Fprintf(&b, "nobody free in %s: %d not online, %d without the skills, %d at capacity on %s",
			where, r.NotOnline, r.Unskilled, r.Full, r.Channel)
	case ReasonRoundRobin:
		fmt.Fprintf(&b, "round robin in %s: longest since last assignment of %d eligible", where, r.Eligible)
	case ReasonLeastLoaded:
		fmt.Fprintf(&b, "least loaded in %s: %s %d/%d, of %d eligible", where, r.Channel, r.Load, r.Capacity, r.Eligible)
	default:
		fmt.Fprintf(&b, "%q", r.Code)
	}
	return b.String()
}

// LogValue logs the reason as its English text, built only when the record
// is written.
func (r Reason) LogValue() slog.Value { return slog.StringValue(r.String()) }
