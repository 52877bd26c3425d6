package routing

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Mode is how a team's conversations reach its agents.
type Mode string

const (
	// ModeLeastLoaded gives a conversation to the eligible agent with the
	// lowest load ratio on its channel; ties go to the agent who has waited
	// longest since their last assignment.
	ModeLeastLoaded Mode = "least_loaded"
	// ModeRoundRobin gives it to the eligible agent who has waited longest
	// since their last assignment, whatever their load. Rotating on the
	// time of the last assignment rather than a cursor stays fair when
	// agents belong to several teams or come and go.
	ModeRoundRobin Mode = "round_robin"
	// ModeManual assigns nobody: the team's agents pick from the queue.
	ModeManual Mode = "manual"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool {
	return m == ModeLeastLoaded || m == ModeRoundRobin || m == ModeManual
}

// Team is what the Router needs to know about a team. Teams it has not been
// told about are least loaded.
type Team struct {
	ID   int64
	Mode Mode
}

// AgentState is an agent as routing sees them: where they work, what they
// can do, whether they are there and how busy they are.
type AgentState struct {
	ID      int64
	TeamIDs []int64
	Skills  []Skill
	Status  desk.Availability
	// Capacity is how many open conversations the agent takes at once per
	// channel. A channel missing from the map (or 0) is one the agent does
	// not take; see DefaultCapacity.
	Capacity map[desk.ChannelKind]int
	// Load is how many open conversations the agent has per channel.
	Load         map[desk.ChannelKind]int
	LastAssigned time.Time
}

// DefaultCapacity is a starting point for agents without their own
// settings: a few chats at once, more of the asynchronous channels.
func DefaultCapacity() map[desk.ChannelKind]int {
	return map[desk.ChannelKind]int{
		desk.ChannelWebChat:   3,
		desk.ChannelWhatsApp:  5,
		desk.ChannelMessenger: 5,
		desk.ChannelInstagram: 5,
		desk.ChannelTelegram:  5,
		desk.ChannelEmail:     10,
		desk.ChannelAPI:       10,
		desk.ChannelPhone:     1,
	}
}

// agent is the Router's own copy of an AgentState, with skills in a map for
// constant-time checks.
type agent struct {
	id           int64
	teams        []int64
	skills       map[string]int
	status       desk.Availability
	capacity     map[desk.ChannelKind]int
	load         map[desk.ChannelKind]int
	lastAssigned time.Time
}

func (a *agent) free(ch desk.ChannelKind) bool { return a.load[ch] < a.capacity[ch] }

func (a *agent) hasSkills(need []Skill) bool {
	for _, s := range need {
		// Needs from Match are lower case already; ToLower then costs
		// nothing, and a Need built by hand still matches.
		if lvl, ok := a.skills[strings.ToLower(s.Name)]; !ok || lvl < max(s.Level, MinLevel) {
			return false
		}
	}
	return true
}

func (a *agent) state() AgentState {
	s := AgentState{
		ID:           a.id,
		TeamIDs:      slices.Clone(a.teams),
		Status:       a.status,
		Capacity:     maps.Clone(a.capacity),
		Load:         maps.Clone(a.load),
		LastAssigned: a.lastAssigned,
	}
	for name, lvl := range a.skills {
		s.Skills = append(s.Skills, Skill{Name: name, Level: lvl})
	}
	slices.SortFunc(s.Skills, func(x, y Skill) int { return strings.Compare(x.Name, y.Name) })
	return s
}

// Router holds the agents' routing state in memory and picks agents for
// conversations. The caller keeps it current (SetAgent on login, presence and
// settings changes; AddLoad when conversations are assigned elsewhere or
// resolved). It is safe for concurrent use.
type Router struct {
	clock desk.Clock

	mu     sync.RWMutex
	agents map[int64]*agent
	all    []*agent           // by id; the candidates when a need has no team
	byTeam map[int64][]*agent // by id, so that Pick scans only the team
	teams  map[int64]Team
}

// NewRouter returns an empty Router. clock stamps assignments (nil: the
// system clock).
func NewRouter(clock desk.Clock) *Router {
	if clock == nil {
		clock = desk.SystemClock{}
	}
	return &Router{
		clock:  clock,
		agents: make(map[int64]*agent),
		byTeam: make(map[int64][]*agent),
		teams:  make(map[int64]Team),
	}
}

// SetAgent adds the agent or replaces what the Router knows about them. The
// Router keeps its own copy of the maps and slices.
func (r *Router) SetAgent(s AgentState) error {
	if s.ID <= 0 {
		return fmt.Errorf("routing: set agent: %w", desk.Invalid("id", "must be positive"))
	}
	switch s.Status {
	case desk.Online, desk.Away, desk.Offline:
	default:
		return fmt.Errorf("routing: set agent %d: %w", s.ID, desk.Invalid("status", fmt.Sprintf("unknown status %q", s.Status)))
	}
	a := &agent{
		id:           s.ID,
		teams:        slices.Compact(slices.Sorted(slices.Values(s.TeamIDs))),
		skills:       make(map[string]int, len(s.Skills)),
		status:       s.Status,
		capacity:     make(map[desk.ChannelKind]int, len(s.Capacity)),
		load:         make(map[desk.ChannelKind]int, len(s.Load)),
		lastAssigned: s.LastAssigned,
	}
	for _, sk := range s.Skills {
		name := strings.ToLower(sk.Name)
		a.skills[name] = max(a.skills[name], sk.Level)
	}
	for ch, n := range s.Capacity {
		a.capacity[ch] = max(n, 0)
	}
	for ch, n := range s.Load {
		a.load[ch] = max(n, 0)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.remove(s.ID)
	r.agents[a.id] = a
	r.all = insertByID(r.all, a)
	for _, t := range a.teams {
		r.byTeam[t] = insertByID(r.byTeam[t], a)
	}
	return nil
}

// RemoveAgent forgets the agent (disabled, deleted). Unknown ids are fine.
func (r *Router) RemoveAgent(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.remove(id)
}

func (r *Router) remove(id int64) {
	old := r.agents[id]
	if old == nil {
		return
	}
	delete(r.agents, id)
	r.all = removeByID(r.all, id)
	for _, t := range old.teams {
		if rest := removeByID(r.byTeam[t], id); len(rest) > 0 {
			r.byTeam[t] = rest
		} else {
			delete(r.byTeam, t)
		}
	}
}

func insertByID(list []*agent, a *agent) []*agent {
	i, _ := slices.BinarySearchFunc(list, a.id, func(x *agent, id int64) int { return cmpInt(x.id, id) })
	return slices.Insert(list, i, a)
}

func removeByID(list []*agent, id int64) []*agent {
	i, ok := slices.BinarySearchFunc(list, id, func(x *agent, id int64) int { return cmpInt(x.id, id) })
	if !ok {
		return list
	}
	return slices.Delete(list, i, i+1)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Agent returns a copy of what the Router knows about the agent.
func (r *Router) Agent(id int64) (AgentState, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	a := r.agents[id]
	if a == nil {
		return AgentState{}, false
	}
	return a.state(), true
}

// SetStatus changes an agent's presence.
func (r *Router) SetStatus(agentID int64, s desk.Availability) error {
	switch s {
	case desk.Online, desk.Away, desk.Offline:
	default:
		return fmt.Errorf("routing: set status of agent %d: %w", agentID, desk.Invalid("status", fmt.Sprintf("unknown status %q", s)))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.agents[agentID]
	if a == nil {
		return fmt.Errorf("routing: set status of agent %d: %w", agentID, desk.ErrNotFound)
	}
	a.status = s
	return nil
}

// AddLoad changes an agent's load on a channel by delta (+1 when a
// conversation is assigned to them outside Assign and NextFor, -1 when one is
// resolved, transferred or unassigned). Load never drops below zero.
func (r *Router) AddLoad(agentID int64, ch desk.ChannelKind, delta int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.agents[agentID]
	if a == nil {
		return fmt.Errorf("routing: add load of agent %d: %w", agentID, desk.ErrNotFound)
	}
	a.load[ch] = max(a.load[ch]+delta, 0)
	return nil
}

// SetTeam sets a team's assignment mode.
func (r *Router) SetTeam(t Team) error {
	if t.ID <= 0 {
		return fmt.Errorf("routing: set team: %w", desk.Invalid("id", "must be positive"))
	}
	if !t.Mode.Valid() {
		return fmt.Errorf("routing: set team %d: %w", t.ID, desk.Invalid("mode", fmt.Sprintf("unknown mode %q", t.Mode)))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.teams[t.ID] = t
	return nil
}

// RemoveTeam forgets a team's mode; its agents keep their memberships until
// SetAgent says otherwise.
func (r *Router) RemoveTeam(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.teams, id)
}

func (r *Router) mode(teamID int64) Mode {
	if t, ok := r.teams[teamID]; ok {
		return t.Mode
	}
	return ModeLeastLoaded
}

// Pick chooses an agent for a conversation without changing anything (the
// rules preview uses it; to assign, use Assign). ok is false when nobody is
// free now: the conversation waits in the Queue. why says how it was
// decided, for logs and the preview.
//
// The account owner comes first when online with capacity on the channel,
// whatever their team and skills: a fixed contact person is the point of the
// relationship, and they can transfer when the question is beyond them. Next
// come the agents of the need's team (every agent when TeamID is 0) who are
// online, have every skill at least at its level and have capacity on the
// channel, chosen by the team's Mode. A manual team gets nobody.
func (r *Router) Pick(n Need, req Request) (agentID int64, why Reason, ok bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	a, why := r.pick(n, req)
	if a == nil {
		return 0, why, false
	}
	return a.id, why, true
}

// Staffed reports whether an agent who could ever take the need's
// conversations on ch is online now (full or not): someone is there to
// work the queue. With nobody online — the team is closed — a place in the
// queue means nothing to the customer.
func (r *Router) Staffed(n Need, ch desk.ChannelKind) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	cands := r.all
	if n.TeamID != 0 {
		cands = r.byTeam[n.TeamID]
	}
	for _, a := range cands {
		if a.status == desk.Online && a.capacity[ch] > 0 {
			return true
		}
	}
	return false
}

// Assign is Pick that also counts the assignment: the agent's load on the
// channel goes up by one and their last assignment is now, in one step, so
// that concurrent conversations do not overfill one agent. When the caller
// then fails to store the assignment it must give the slot back with
// AddLoad(agentID, channel, -1). It must not count it again from the
// assignment event.
func (r *Router) Assign(n Need, req Request) (agentID int64, why Reason, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, why := r.pick(n, req)
	if a == nil {
		return 0, why, false
	}
	a.load[req.Channel]++
	a.lastAssigned = r.clock.Now()
	return a.id, why, true
}

// pick runs under r.mu (read or write).
func (r *Router) pick(n Need, req Request) (*agent, Reason) {
	ch := req.Channel
	why := Reason{TeamID: n.TeamID, Channel: ch}
	if id := req.AccountOwnerID; id != 0 {
		switch o := r.agents[id]; {
		case o == nil:
			why.Owner = OwnerSkip{Code: OwnerUnknown, AgentID: id}
		case o.status != desk.Online:
			why.Owner = OwnerSkip{Code: OwnerNotOnline, AgentID: id, Status: o.status}
		case !o.free(ch):
			why.Owner = OwnerSkip{Code: OwnerFull, AgentID: id, Load: o.load[ch], Capacity: o.capacity[ch]}
		default:
			why.Code, why.AgentID, why.Load, why.Capacity = ReasonOwner, id, o.load[ch], o.capacity[ch]
			return o, why
		}
	}

	candidates := r.all
	if n.TeamID != 0 {
		candidates = r.byTeam[n.TeamID]
	}
	mode := r.mode(n.TeamID)
	if mode == ModeManual {
		why.Code = ReasonManual
		return nil, why
	}
	if len(candidates) == 0 {
		why.Code = ReasonNoAgents
		return nil, why
	}

	var best *agent
	for _, a := range candidates {
		switch {
		case a.status != desk.Online:
			why.NotOnline++
		case !a.hasSkills(n.Skills):
			why.Unskilled++
		case !a.free(ch):
			why.Full++
		default:
			why.Eligible++
			if best == nil || better(a, best, ch, mode) {
				best = a
			}
		}
	}
	if best == nil {
		why.Code = ReasonNobodyFree
		return nil, why
	}
	why.AgentID = best.id
	if mode == ModeRoundRobin {
		why.Code = ReasonRoundRobin
		return best, why
	}
	why.Code, why.Load, why.Capacity = ReasonLeastLoaded, best.load[ch], best.capacity[ch]
	return best, why
}

// better reports whether a should be chosen over b for a conversation on ch.
// Both have capacity left on ch, so their capacities are positive.
func better(a, b *agent, ch desk.ChannelKind, mode Mode) bool {
	if mode == ModeLeastLoaded {
		// Compare load/capacity ratios without division.
		ra, rb := a.load[ch]*b.capacity[ch], b.load[ch]*a.capacity[ch]
		if ra != rb {
			return ra < rb
		}
	}
	if !a.lastAssigned.Equal(b.lastAssigned) {
		return a.lastAssigned.Before(b.lastAssigned)
	}
	return a.id < b.id
}
