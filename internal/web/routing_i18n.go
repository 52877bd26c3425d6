package web

import (
	"fmt"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/routing"
)

// The rules preview in the admin's language: routing explains its decisions
// as codes with parameters (routing.Check, routing.Reason), which are put
// into words here from the locale catalogues.

// previewNames turns the ids in a preview into what the admin knows them
// by; an id it does not know shows as "#id".
type previewNames struct {
	teams  map[int64]string
	agents map[int64]string
}

func (n previewNames) team(id int64) string  { return nameOr(n.teams, id) }
func (n previewNames) agent(id int64) string { return nameOr(n.agents, id) }

func nameOr(m map[int64]string, id int64) string {
	if s, ok := m[id]; ok && s != "" {
		return s
	}
	return fmt.Sprintf("#%d", id)
}

// pickReasonText is why the preview would give the conversation to an
// agent, or to nobody.
func pickReasonText(c catalog, r routing.Reason, n previewNames) string {
	var parts []string
	if o := r.Owner; o.Code != "" {
		parts = append(parts, ownerSkipText(c, o, r.Channel, n))
	}
	ch := c.T("channel." + string(r.Channel))
	where := c.T("routing.where_any")
	if r.TeamID != 0 {
		where = c.T("routing.where_team", n.team(r.TeamID))
	}
	var main string
	switch r.Code {
	case routing.ReasonOwner:
		main = c.T("routing.reason_owner", ch, r.Load, r.Capacity)
	case routing.ReasonLeastLoaded:
		main = c.T("routing.reason_least_loaded", where, ch, r.Load, r.Capacity, r.Eligible)
	case routing.ReasonRoundRobin:
		main = c.T("routing.reason_round_robin", where, r.Eligible)
	case routing.ReasonManual:
		main = c.T("routing.reason_manual", where)
	case routing.ReasonNoAgents:
		if r.TeamID == 0 {
			main = c.T("routing.reason_no_agents_any")
		} else {
			main = c.T("routing.reason_no_agents", where)
		}
	case routing.ReasonNobodyFree:
		main = c.T("routing.reason_nobody_free", where, r.NotOnline, r.Unskilled, r.Full, ch)
	default:
		// A code added to routing before it got words here: English beats
		// nothing.
		main = r.String()
	}
	return strings.Join(append(parts, main), "; ")
}

// ownerSkipText is why the account owner was passed over.
func ownerSkipText(c catalog, o routing.OwnerSkip, ch desk.ChannelKind, n previewNames) string {
	who := n.agent(o.AgentID)
	switch o.Code {
	case routing.OwnerUnknown:
		return c.T("routing.owner_unknown", who)
	case routing.OwnerNotOnline:
		if o.Status == desk.Away {
			return c.T("routing.owner_away", who)
		}
		return c.T("routing.owner_offline", who)
	case routing.OwnerFull:
		return c.T("routing.owner_full", who, c.T("channel."+string(ch)), o.Load, o.Capacity)
	}
	return string(o.Code)
}

// ruleCheckText is one rule's verdict, after the rule's name.
func ruleCheckText(c catalog, k routing.Check) string {
	switch k.Verdict {
	case routing.Matched:
		return c.T("routing.verdict_matched")
	case routing.Shadowed:
		return c.T("routing.verdict_shadowed")
	}
	got := conditionValue(c, k.Field, k.Got)
	want := make([]string, len(k.Want))
	for i, w := range k.Want {
		want[i] = conditionValue(c, k.Field, w)
	}
	switch {
	case k.Field == "priority":
		return c.T("routing.verdict_priority", got, strings.Join(want, ", "))
	case k.Got == "":
		return c.T("routing.verdict_failed_empty", c.T("routing."+k.Field), strings.Join(want, ", "))
	}
	return c.T("routing.verdict_failed", c.T("routing."+k.Field), got, strings.Join(want, ", "))
}

// conditionValue shows a condition's value as the rest of the UI does:
// channels and priorities by their names, the rest as typed.
func conditionValue(c catalog, field, v string) string {
	switch field {
	case "channel":
		return c.T("channel." + v)
	case "priority":
		if v == "" {
			v = string(desk.PriorityNone)
		}
		return c.T("priority." + v)
	}
	return v
}
