package realtime

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Presence: which agents have a conversation open ("viewing") and which of
// them are typing a reply in it ("replying"), so that two agents do not
// answer the same customer at once and supervisors see who works on what.
//
// Each node knows its own connections. What they view is summed up per
// conversation and agent and published on the bus whenever it changes, and
// again every PresenceRefresh; every node (this one included) keeps what
// the bus tells it, per publishing node, until PresenceTTL passes without a
// refresh. So a node that dies without a word is forgotten within the TTL,
// and an agent with tabs on two nodes stays present while either has one.

// EventPresence (desk.EventPresence) is the bus event carrying one agent's
// presence on one conversation, as one node sees it. It never leaves the
// hub: browsers get the conversation's whole viewer list instead
// (presenceMsg).
const EventPresence = desk.EventPresence

// Presence states on the bus.
const (
	stateViewing  = "viewing"
	stateReplying = "replying"
	stateLeft     = "left"
)

// Viewer is an agent who has a conversation open on some node.
type Viewer struct {
	AgentID  int64  `json:"agent_id"`
	Name     string `json:"name"`
	Replying bool   `json:"replying"`
}

// presenceMsg is what agents' browsers receive when a conversation's
// viewers change: the whole list, so that a page only ever replaces it.
type presenceMsg struct {
	Type           string   `json:"type"`
	ConversationID int64    `json:"conversation_id"`
	Viewers        []Viewer `json:"viewers"`
}

// presence is one agent's state on one conversation as one node reported it.
type presence struct {
	conv     int64
	agent    int64
	name     string
	node     string
	state    string
	replying bool // state == stateReplying
}

// presenceEvent puts p on the bus. desk.Event has no fields for presence
// yet, so the message fields carry it (agent as sender, state as body,
// node as external id); see the contract change proposed with this code.
// The carrier is private to this file: changing it touches nothing else.
func presenceEvent(p presence, at time.Time) desk.Event {
	return desk.Event{Type: EventPresence, ConversationID: p.conv, At: at,
		AgentID: p.agent, AgentName: p.name, Presence: p.state, Node: p.node}
}

// presenceFrom is the inverse of presenceEvent; ok is false for anything
// malformed.
func presenceFrom(e desk.Event) (presence, bool) {
	if e.Type != EventPresence || e.ConversationID <= 0 || e.AgentID <= 0 || e.Node == "" {
		return presence{}, false
	}
	switch e.Presence {
	case stateViewing, stateReplying, stateLeft:
	default:
		return presence{}, false
	}
	return presence{conv: e.ConversationID, agent: e.AgentID, name: e.AgentName, node: e.Node,
		state: e.Presence, replying: e.Presence == stateReplying}, true
}

// presenceKey names one agent on one node.
type presenceKey struct {
	agent int64
	node  string
}

type presenceEntry struct {
	name     string
	replying bool
	expires  time.Time
}

// localKey is an agent on a conversation, summed over this node's tabs.
type localKey struct {
	conv  int64
	agent int64
}

type localState struct {
	name     string
	replying bool
}

// view records that c shows conversation conv (0: none). Replying stops
// when the page changes conversation.
func (h *Hub) view(c *client, conv int64, now time.Time) {
	h.mu.Lock()
	if c.viewing != conv {
		c.replyUntil = time.Time{}
	}
	c.viewing, c.viewSeen = conv, now
	h.mu.Unlock()
	h.syncPresence(now, false)
}

// reply records that c's agent types (or stopped typing) in conv, which
// they then view too.
func (h *Hub) reply(c *client, conv int64, typing bool, now time.Time) {
	h.mu.Lock()
	c.viewing, c.viewSeen = conv, now
	c.replyUntil = time.Time{}
	if typing {
		c.replyUntil = now.Add(h.opts.ReplyTTL)
	}
	h.mu.Unlock()
	h.syncPresence(now, false)
}

// syncPresence expires this node's quiet tabs, sums up what its agents view
// and publishes what changed since the last call; on Run's tick, every
// PresenceRefresh, it publishes everything again so other nodes keep it.
func (h *Hub) syncPresence(now time.Time, tick bool) {
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	refresh := tick && now.Sub(h.lastRefresh) >= h.opts.PresenceRefresh
	if refresh {
		h.lastRefresh = now
	}
	cur := map[localKey]localState{}
	h.mu.Lock()
	for c := range h.agents {
		if c.viewing == 0 {
			continue
		}
		if now.Sub(c.viewSeen) > h.opts.ViewTTL {
			c.viewing, c.replyUntil = 0, time.Time{}
			continue
		}
		k := localKey{conv: c.viewing, agent: c.agent.ID}
		st := cur[k]
		st.name = c.agent.Name
		st.replying = st.replying || now.Before(c.replyUntil)
		cur[k] = st
	}
	h.mu.Unlock()

	var out []presence
	for k, st := range cur {
		if old, ok := h.published[k]; ok && old == st && !refresh {
			continue
		}
		state := stateViewing
		if st.replying {
			state = stateReplying
		}
		out = append(out, presence{conv: k.conv, agent: k.agent, name: st.name, node: h.node, state: state})
	}
	for k, st := range h.published {
		if _, ok := cur[k]; !ok {
			out = append(out, presence{conv: k.conv, agent: k.agent, name: st.name, node: h.node, state: stateLeft})
		}
	}
	h.published = cur
	// Publishing under pubMu keeps one node's reports in order: a "left"
	// never overtakes the "viewing" it ends.
	for _, p := range out {
		h.bus.Publish(context.Background(), presenceEvent(p, now))
	}
}

// leaveAll tells the other nodes that this node's agents are gone: it is
// shutting down.
func (h *Hub) leaveAll(now time.Time) {
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	for k, st := range h.published {
		h.bus.Publish(context.Background(), presenceEvent(presence{conv: k.conv, agent: k.agent, name: st.name,
			node: h.node, state: stateLeft}, now))
	}
	h.published = map[localKey]localState{}
}

// applyPresence keeps what a node reported and tells the agents' pages when
// the conversation's viewers changed. It runs on the bus goroutine.
func (h *Hub) applyPresence(e desk.Event) {
	p, ok := presenceFrom(e)
	if !ok {
		return
	}
	now := h.opts.Clock.Now()
	h.mu.Lock()
	before := viewersOf(h.seen[p.conv])
	k := presenceKey{agent: p.agent, node: p.node}
	if p.state == stateLeft {
		if set := h.seen[p.conv]; set != nil {
			delete(set, k)
			if len(set) == 0 {
				delete(h.seen, p.conv)
			}
		}
	} else {
		set := h.seen[p.conv]
		if set == nil {
			set = map[presenceKey]presenceEntry{}
			h.seen[p.conv] = set
		}
		set[k] = presenceEntry{name: p.name, replying: p.replying, expires: now.Add(h.opts.PresenceTTL)}
	}
	after := viewersOf(h.seen[p.conv])
	h.mu.Unlock()
	if !slices.Equal(before, after) {
		h.broadcastViewers(p.conv, after)
	}
}

// expirePresence forgets what nodes stopped refreshing.
func (h *Hub) expirePresence(now time.Time) {
	changed := map[int64][]Viewer{}
	h.mu.Lock()
	for conv, set := range h.seen {
		gone := false
		for k, e := range set {
			if !now.Before(e.expires) {
				delete(set, k)
				gone = true
			}
		}
		if gone {
			changed[conv] = viewersOf(set)
		}
		if len(set) == 0 {
			delete(h.seen, conv)
		}
	}
	h.mu.Unlock()
	for conv, vs := range changed {
		h.broadcastViewers(conv, vs)
	}
}

// tickPresence runs once a second from Run: quiet tabs and silent nodes
// expire, and this node's presence is refreshed every PresenceRefresh.
func (h *Hub) tickPresence(now time.Time) {
	h.syncPresence(now, true)
	h.expirePresence(now)
}

// viewersOf merges an agent's entries from every node, ordered by name.
// Called with h.mu held.
func viewersOf(set map[presenceKey]presenceEntry) []Viewer {
	by := map[int64]Viewer{}
	for k, e := range set {
		v := by[k.agent]
		v.AgentID, v.Name = k.agent, e.name
		v.Replying = v.Replying || e.replying
		by[k.agent] = v
	}
	out := make([]Viewer, 0, len(by))
	for _, v := range by {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b Viewer) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.AgentID, b.AgentID))
	})
	return out
}

func (h *Hub) broadcastViewers(conv int64, vs []Viewer) {
	b, err := json.Marshal(presenceMsg{Type: "presence", ConversationID: conv, Viewers: vs})
	if err != nil {
		h.log.Error("realtime: encode presence", "err", err)
		return
	}
	h.mu.Lock()
	agents := make([]*client, 0, len(h.agents))
	for c := range h.agents {
		agents = append(agents, c)
	}
	h.mu.Unlock()
	for _, c := range agents {
		h.send(c, b)
	}
}

// sendViewers tells one page who else views conv right now, when it opens.
func (h *Hub) sendViewers(c *client, conv int64) {
	h.mu.Lock()
	vs := viewersOf(h.seen[conv])
	h.mu.Unlock()
	b, err := json.Marshal(presenceMsg{Type: "presence", ConversationID: conv, Viewers: vs})
	if err != nil {
		return
	}
	h.send(c, b)
}

// Viewers lists the agents who have conversation id open on any node.
func (h *Hub) Viewers(id int64) []Viewer {
	h.mu.Lock()
	defer h.mu.Unlock()
	return viewersOf(h.seen[id])
}

// Viewing reports, per agent, the conversations they have open on any node
// and whether they are replying in each: the supervisor's live board.
func (h *Hub) Viewing() map[int64]map[int64]bool {
	out := map[int64]map[int64]bool{}
	h.mu.Lock()
	defer h.mu.Unlock()
	for conv, set := range h.seen {
		for k, e := range set {
			m := out[k.agent]
			if m == nil {
				m = map[int64]bool{}
				out[k.agent] = m
			}
			m[conv] = m[conv] || e.replying
		}
	}
	return out
}
