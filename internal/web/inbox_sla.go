package web

import (
	"slices"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// The inbox's SLA filter: "sla=warning,breached" (at risk or breached) or
// "sla=breached", as in the API. The states are kept in one order, so that
// one filter has one URL.

// slaOrder is the order the states are written in.
var slaOrder = []desk.SLAState{desk.SLARunning, desk.SLAWarning, desk.SLABreached}

// parseSLAStates reads a comma-separated list of SLA states; ok is false
// when one is unknown.
func parseSLAStates(v string) (states []desk.SLAState, ok bool) {
	if strings.TrimSpace(v) == "" {
		return nil, true
	}
	for part := range strings.SplitSeq(v, ",") {
		st := desk.SLAState(strings.ToLower(strings.TrimSpace(part)))
		if !st.Valid() {
			return nil, false
		}
		if !slices.Contains(states, st) {
			states = append(states, st)
		}
	}
	slices.SortFunc(states, func(a, b desk.SLAState) int {
		return slices.Index(slaOrder, a) - slices.Index(slaOrder, b)
	})
	return states, true
}

// slaParam is the filter's states as the query string carries them.
func slaParam(states []desk.SLAState) string {
	parts := make([]string, len(states))
	for i, st := range states {
		parts[i] = string(st)
	}
	return strings.Join(parts, ",")
}

// slaChoice is one option of the inbox's SLA select.
type slaChoice struct {
	Value string // the query string value
	Key   string // its locale key
}

// slaChoices are the SLA filters the inbox offers (any is the empty one).
var slaChoices = []slaChoice{
	{"warning,breached", "filter.sla_at_risk"},
	{"breached", "filter.sla_breached"},
}
