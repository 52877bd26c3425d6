package routing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// Store is what the Service reads. Decisions are written through
// Conversations, never straight to the store.
type Store interface {
	ListAgents(ctx context.Context) ([]desk.Agent, error)
	ListTeams(ctx context.Context) ([]desk.Team, error)
	InboxByID(ctx context.Context, id int64) (*desk.Inbox, error)
	ContactByID(ctx context.Context, id int64) (*desk.Contact, error)
	UpdateContact(ctx context.Context, c *desk.Contact) error
	AgentByID(ctx context.Context, id int64) (*desk.Agent, error)
	ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error)
	ListConversations(ctx context.Context, q desk.ConversationQuery) (desk.ConversationPage, error)
	// Rules and skills are edited through the Service (SaveRule,
	// SetSkills...), so that the store need not be handed around.
	desk.RoutingStore
}

// Conversations changes conversations: through the conversation service, so
// that every assignment has its activity line, events and webhooks.
type Conversations interface {
	Update(ctx context.Context, by conversation.Actor, conversationID int64, ch conversation.Change) (*desk.Conversation, error)
	Reply(ctx context.Context, by conversation.Actor, conversationID int64, body string, atts []desk.InboundAttachment) (*desk.Message, error)
}

// Options configure a Service. Zero values are the defaults.
type Options struct {
	Clock desk.Clock
	Log   *slog.Logger
	// Lead blocks until this node may route and returns a context that
	// ends when it may no longer (lost its lock, connection gone). nil: this
	// node always routes, as the single SQLite node does.
	Lead func(ctx context.Context) (context.Context, error)
	// BotHandles reports whether the bot has a conversation, which is then
	// not assigned (nil: the inbox has the bot on, bot=on, and it did not
	// hand the conversation over yet).
	BotHandles func(in *desk.Inbox, c *desk.Conversation) bool
	// SyncEvery is how often agents (presence, skills, capacity, teams),
	// team modes and rules are read again, waiting conversations offered
	// to whoever became free, and queue notices sent (default 10s).
	SyncEvery time.Duration
	// Settle is how long a new conversation waits for its category (set by
	// the classifier just after it arrives) before it is routed without
	// one; any later change routes it at once. Default 2s; negative: none.
	Settle time.Duration
	// LongWait is the estimated wait from which customers are offered
	// alternatives (default 10 minutes).
	LongWait time.Duration
	// NoticeEvery is the least time between two queue notices to one
	// customer, unless their place improved notably (default 5 minutes).
	NoticeEvery time.Duration
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = desk.SystemClock{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.BotHandles == nil {
		o.BotHandles = func(in *desk.Inbox, c *desk.Conversation) bool {
			return in.Settings["bot"] == "on" && c.HandedOverAt.IsZero()
		}
	}
	if o.SyncEvery <= 0 {
		o.SyncEvery = 10 * time.Second
	}
	if o.Settle == 0 {
		o.Settle = 2 * time.Second
	}
	if o.LongWait <= 0 {
		o.LongWait = 10 * time.Minute
	}
	if o.NoticeEvery <= 0 {
		o.NoticeEvery = 5 * time.Minute
	}
	return o
}

// system is who routing acts as: balie itself.
var system = conversation.Actor{Name: "balie"}

// slot is one conversation counted against an agent's capacity.
type slot struct {
	agent int64
	ch    desk.ChannelKind
}

// waiting is what the Service remembers of a conversation in its queue.
type waiter struct {
	req    Request
	team   int64 // the conversation's team when no rule names one
	need   Need
	since  time.Time // entered the queue
	lang   string
	told   time.Time // last queue notice
	toldAt int       // place in the last notice; 0 none yet
}

// sample is one wait from queue to assignment, for estimates.
type sample struct {
	at   time.Time
	wait time.Duration
}

// Service assigns conversations to agents from the store and the bus: it
// keeps a Router and a Queue current, assigns what needs an agent, queues what
// cannot be assigned yet, offers waiting conversations when capacity frees,
// and tells waiting customers their place. Run it on every node; only the
// leader (Options.Lead) routes.
type Service struct {
	st    Store
	conv  Conversations
	bus   desk.Bus
	opts  Options
	clock desk.Clock
	log   *slog.Logger

	// Read by other goroutines (Position); replaced on a full reload.
	mu     sync.RWMutex
	router *Router
	queue  *Queue
	leader bool

	// Owned by the run loop.
	events   chan desk.Event
	dropped  atomic.Bool
	settled  chan int64
	kick     chan struct{}
	rules    []Rule
	held     map[int64]slot // conversation → who holds it, while not resolved
	waits    map[int64]*waiter
	samples  map[int64][]sample // team → recent waits, oldest first
	teamMode map[int64]Mode
}

// NewService returns a Service; Run starts it.
func NewService(st Store, conv Conversations, bus desk.Bus, opts Options) *Service {
	opts = opts.withDefaults()
	return &Service{st: st, conv: conv, bus: bus, opts: opts, clock: opts.Clock, log: opts.Log,
		router: NewRouter(opts.Clock), queue: NewQueue(),
		events: make(chan desk.Event, 4096), settled: make(chan int64, 256), kick: make(chan struct{}, 1),
		held: map[int64]slot{}, waits: map[int64]*waiter{}, samples: map[int64][]sample{}, teamMode: map[int64]Mode{}}
}

// Run routes until ctx ends: it waits to become the leader, loads the state,
// then follows events and syncs periodically; when leadership is lost it
// waits again.
func (s *Service) Run(ctx context.Context) {
	for ctx.Err() == nil {
		lctx := ctx
		if s.opts.Lead != nil {
			var err error
			if lctx, err = s.opts.Lead(ctx); err != nil {
				if ctx.Err() != nil {
					break
				}
				s.log.Warn("routing: waiting for leadership", "err", err)
				sleep(ctx, s.opts.SyncEvery)
				continue
			}
		}
		s.lead(lctx)
	}
}

// lead is one term as the routing node.
func (s *Service) lead(ctx context.Context) {
	// Subscribe before loading, so that nothing between the load and the
	// subscription is missed; handling an event twice is harmless, as each
	// re-reads the conversation.
	cancel := s.subscribe()
	defer cancel()
	for {
		if err := s.load(ctx); err == nil {
			break
		} else if ctx.Err() != nil {
			return
		} else {
			s.log.Error("routing: load", "err", err)
		}
		sleep(ctx, s.opts.SyncEvery)
	}
	s.setLeader(true)
	defer s.setLeader(false)
	s.log.Info("routing: leading")
	tick := time.NewTicker(s.opts.SyncEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-s.events:
			s.handle(ctx, e)
		case id := <-s.settled:
			s.refresh(ctx, id)
		case <-tick.C:
			s.tick(ctx)
		case <-s.kick:
			s.tick(ctx)
		}
	}
}

func (s *Service) setLeader(v bool) {
	s.mu.Lock()
	s.leader = v
	s.mu.Unlock()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// subscribe queues bus events for the run loop. A full queue drops the
// event and makes the next tick reload everything, which is correct whatever
// was missed.
func (s *Service) subscribe() (cancel func()) {
	return s.bus.Subscribe(func(e desk.Event) {
		switch e.Type {
		case desk.EventConversationCreated, desk.EventConversationUpdated, desk.EventConversationAssigned,
			desk.EventMessageCreated:
		default:
			return
		}
		select {
		case s.events <- e:
		default:
			s.dropped.Store(true)
		}
	})
}

// Kick asks for a sync now rather than at the next tick: an admin changed
// an agent, a team or the rules on this node. Other nodes' changes arrive
// with the tick. It never blocks; a nil Service ignores it.
func (s *Service) Kick() {
	if s == nil {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// pump handles every queued event (tests drive the Service with it).
func (s *Service) pump(ctx context.Context) {
	for {
		select {
		case e := <-s.events:
			s.handle(ctx, e)
		default:
			return
		}
	}
}

// tick re-reads agents, teams and rules, offers waiting conversations to
// whoever has room, and tells waiting customers their place.
func (s *Service) tick(ctx context.Context) {
	if s.dropped.Swap(false) {
		s.log.Warn("routing: events were dropped; reloading")
		if err := s.load(ctx); err != nil {
			s.log.Error("routing: reload", "err", err)
		}
		return
	}
	if err := s.sync(ctx); err != nil {
		s.log.Error("routing: sync", "err", err)
	}
	s.drainAll(ctx)
	s.notifyAll(ctx)
}

// load builds the state from the store: agents and teams, rules, who holds
// which conversation, and the queue of open unassigned conversations; then
// it offers the queue to the agents with room.
func (s *Service) load(ctx context.Context) error {
	r, q := NewRouter(s.clock), NewQueue()
	s.mu.Lock()
	s.router, s.queue = r, q
	s.mu.Unlock()
	s.held, s.waits = map[int64]slot{}, map[int64]*waiter{}
	// The load comes from the conversations themselves rather than
	// AssigneeLoad's counts: a reassignment must know who held the
	// conversation before, and events carry only the state after.
	err := s.eachConversation(ctx, desk.ConversationQuery{View: desk.ViewAll}, func(c *desk.Conversation) {
		if c.AssigneeID != 0 {
			s.held[c.ID] = slot{c.AssigneeID, c.Channel}
		}
	}, desk.StatusOpen, desk.StatusPending, desk.StatusSnoozed)
	if err != nil {
		return err
	}
	if err := s.sync(ctx); err != nil {
		return err
	}
	var open []desk.Conversation
	err = s.eachConversation(ctx, desk.ConversationQuery{View: desk.ViewUnassigned}, func(c *desk.Conversation) {
		open = append(open, *c)
	}, desk.StatusOpen)
	if err != nil {
		return err
	}
	for i := range open {
		c := &open[i]
		in, err := s.st.InboxByID(ctx, c.InboxID)
		if err != nil {
			return fmt.Errorf("routing: load: %w", err)
		}
		if !s.needsAgent(in, c) {
			continue
		}
		req, err := s.request(ctx, c)
		if err != nil {
			return err
		}
		s.enqueue(req, s.teamOf(in, c), c.Language)
	}
	s.drainAll(ctx)
	// Customers who waited before this load were told their place by the
	// previous routing node (or are long gone): from here on they hear
	// only of progress.
	now := s.clock.Now()
	for id, w := range s.waits {
		if place, _, ok := s.queue.Position(id); ok {
			w.told, w.toldAt = now, place
		}
	}
	return nil
}

// eachConversation calls fn for every conversation matching q in each
// status, page by page.
func (s *Service) eachConversation(ctx context.Context, q desk.ConversationQuery, fn func(*desk.Conversation), statuses ...desk.Status) error {
	for _, st := range statuses {
		q.Status, q.After, q.Limit = st, nil, 200
		for {
			page, err := s.st.ListConversations(ctx, q)
			if err != nil {
				return fmt.Errorf("routing: list %s conversations: %w", st, err)
			}
			for i := range page.Items {
				fn(&page.Items[i])
			}
			if page.Next == nil {
				break
			}
			q.After = page.Next
		}
	}
	return nil
}

// sync makes the Router's agents, teams and rules those of the store,
// keeping each agent's load (counted from held) and last assignment.
func (s *Service) sync(ctx context.Context) error {
	agents, err := s.st.ListAgents(ctx)
	if err != nil {
		return fmt.Errorf("routing: sync: %w", err)
	}
	teams, err := s.st.ListTeams(ctx)
	if err != nil {
		return fmt.Errorf("routing: sync: %w", err)
	}
	stored, err := s.st.ListRoutingRules(ctx)
	if err != nil {
		return fmt.Errorf("routing: sync: %w", err)
	}
	r := s.router
	modes := make(map[int64]Mode, len(teams))
	for _, t := range teams {
		m := modeOf(t.Mode)
		modes[t.ID] = m
		if err := r.SetTeam(Team{ID: t.ID, Mode: m}); err != nil {
			return err
		}
	}
	for id := range s.teamMode {
		if _, ok := modes[id]; !ok {
			r.RemoveTeam(id)
		}
	}
	s.teamMode = modes

	load := make(map[int64]map[desk.ChannelKind]int)
	for _, h := range s.held {
		if load[h.agent] == nil {
			load[h.agent] = map[desk.ChannelKind]int{}
		}
		load[h.agent][h.ch]++
	}
	seen := make(map[int64]bool, len(agents))
	for _, a := range agents {
		if a.Disabled {
			continue
		}
		seen[a.ID] = true
		st := AgentStateOf(&a)
		st.Load = load[a.ID]
		if old, ok := r.Agent(a.ID); ok {
			st.LastAssigned = old.LastAssigned
		}
		if err := r.SetAgent(st); err != nil {
			s.log.Warn("routing: agent", "agent", a.ID, "err", err)
		}
	}
	r.mu.RLock()
	var gone []int64
	for id := range r.agents {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	r.mu.RUnlock()
	for _, id := range gone {
		r.RemoveAgent(id)
	}

	rules := RulesOf(stored)
	if !slices.EqualFunc(rules, s.rules, sameRule) {
		s.rules = rules
		// Waiting conversations follow the new rules.
		for id, w := range s.waits {
			w.need = s.match(w.req, w.team)
			if err := s.queue.Add(w.req, w.need); err != nil {
				s.log.Warn("routing: requeue", "conversation", id, "err", err)
			}
		}
	}
	return nil
}

func sameRule(a, b Rule) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Position == b.Position && a.TeamID == b.TeamID &&
		a.MinPriority == b.MinPriority && a.Priority == b.Priority &&
		slices.Equal(a.Categories, b.Categories) && slices.Equal(a.Languages, b.Languages) &&
		slices.Equal(a.Channels, b.Channels) && slices.Equal(a.Segments, b.Segments) && slices.Equal(a.Skills, b.Skills)
}

// modeOf maps a team's stored mode to the Router's ("" is least loaded).
func modeOf(m desk.RoutingMode) Mode {
	switch m {
	case desk.RouteRoundRobin:
		return ModeRoundRobin
	case desk.RouteManual:
		return ModeManual
	}
	return ModeLeastLoaded
}

// AgentStateOf is how the Router sees a stored agent, without load: skills,
// teams, presence, and capacity (DefaultCapacity overlaid with the agent's
// own settings).
func AgentStateOf(a *desk.Agent) AgentState {
	st := AgentState{ID: a.ID, TeamIDs: a.TeamIDs, Status: a.Availability, Capacity: DefaultCapacity()}
	if st.Status == "" {
		st.Status = desk.Offline
	}
	maps.Copy(st.Capacity, a.Capacity)
	for _, sk := range a.Skills {
		st.Skills = append(st.Skills, Skill{Name: sk.Name, Level: sk.Level})
	}
	return st
}

// RulesOf converts the stored rules, leaving out disabled ones.
func RulesOf(stored []desk.RoutingRule) []Rule {
	out := make([]Rule, 0, len(stored))
	for _, r := range stored {
		if !r.Enabled {
			continue
		}
		out = append(out, RuleOf(&r))
	}
	return out
}

// RuleOf converts one stored rule.
func RuleOf(r *desk.RoutingRule) Rule {
	out := Rule{ID: r.ID, Name: r.Name, Position: r.Position, Categories: r.Categories, Languages: r.Languages,
		Channels: r.Channels, Segments: r.Segments, MinPriority: r.MinPriority, TeamID: r.TeamID, Priority: r.Priority}
	for _, sk := range r.Skills {
		out.Skills = append(out.Skills, Skill{Name: sk.Name, Level: sk.Level})
	}
	return out
}

// handle follows one event: the conversation is read again from the store
// (events may arrive late and out of date) and brought in line.
func (s *Service) handle(ctx context.Context, e desk.Event) {
	id := e.ConversationID
	if id == 0 && e.Conversation != nil {
		id = e.Conversation.ID
	}
	if id == 0 {
		return
	}
	switch e.Type {
	case desk.EventMessageCreated:
		// Only a customer writing can change whether the conversation
		// needs someone (it reopens it); everything else comes with its
		// own conversation event.
		if e.Message == nil || e.Message.Sender != desk.SenderContact {
			return
		}
	case desk.EventConversationCreated:
		if s.opts.Settle > 0 {
			// Give the classifier a moment to set the category; its
			// update (or the timer) routes the conversation.
			time.AfterFunc(s.opts.Settle, func() {
				select {
				case s.settled <- id:
				case <-time.After(time.Minute):
				}
			})
			return
		}
	}
	s.refresh(ctx, id)
}

// refresh brings routing in line with one conversation as stored: who holds
// it, whether it needs an agent (then assign or queue it), and offers what
// it freed to others.
func (s *Service) refresh(ctx context.Context, id int64) {
	c, err := s.st.ConversationByID(ctx, id)
	if errors.Is(err, desk.ErrNotFound) {
		s.forget(ctx, id)
		return
	}
	if err != nil {
		s.log.Warn("routing: read conversation", "conversation", id, "err", err)
		return
	}
	if freed, ok := s.hold(c); ok {
		// What was freed goes to who waits first: an agent who gives a
		// conversation back to the queue takes the next one rather than
		// the same one again.
		s.drain(ctx, freed.agent, freed.ch)
	}
	in, err := s.st.InboxByID(ctx, c.InboxID)
	if err != nil {
		s.log.Warn("routing: read inbox", "conversation", id, "err", err)
		return
	}
	if s.needsAgent(in, c) {
		if err := s.route(ctx, in, c); err != nil {
			s.log.Warn("routing: route", "conversation", id, "err", err)
		}
	} else if s.queue.Remove(id) {
		delete(s.waits, id)
	}
}

// forget drops a conversation that is gone.
func (s *Service) forget(ctx context.Context, id int64) {
	s.queue.Remove(id)
	delete(s.waits, id)
	if h, ok := s.held[id]; ok {
		delete(s.held, id)
		s.router.AddLoad(h.agent, h.ch, -1) //nolint:errcheck // an agent routing does not know has no load to give back
		s.drain(ctx, h.agent, h.ch)
	}
}

// hold records who holds c now and adjusts the loads; it returns the slot
// that c freed, if any.
func (s *Service) hold(c *desk.Conversation) (freed slot, ok bool) {
	var now slot
	if c.AssigneeID != 0 && c.Status != desk.StatusResolved {
		now = slot{c.AssigneeID, c.Channel}
	}
	old, had := s.held[c.ID]
	if had && old == now {
		return slot{}, false
	}
	if had {
		s.router.AddLoad(old.agent, old.ch, -1) //nolint:errcheck // unknown agent: nothing counted
		delete(s.held, c.ID)
	}
	if now.agent != 0 {
		// Assigned elsewhere (by hand, by answering): count it and stop
		// offering it.
		s.router.AddLoad(now.agent, now.ch, 1) //nolint:errcheck // unknown agent: nothing to count
		s.held[c.ID] = now
		if s.queue.Remove(c.ID) {
			delete(s.waits, c.ID)
		}
	}
	return old, had
}

// settle re-reads a conversation that changed under a decision and records
// who holds it now, without routing it again (a conflict must not loop).
func (s *Service) settle(ctx context.Context, id int64) {
	c, err := s.st.ConversationByID(ctx, id)
	if err != nil {
		s.log.Warn("routing: read conversation", "conversation", id, "err", err)
		return
	}
	s.hold(c)
	if c.Status != desk.StatusOpen || c.AssigneeID != 0 {
		if s.queue.Remove(id) {
			delete(s.waits, id)
		}
	}
}

// needsAgent reports whether c waits for a person: open, nobody assigned,
// and not in the bot's hands.
func (s *Service) needsAgent(in *desk.Inbox, c *desk.Conversation) bool {
	return c.Status == desk.StatusOpen && c.AssigneeID == 0 && !s.opts.BotHandles(in, c)
}

// teamOf is the team a conversation goes to when no rule names one.
func (s *Service) teamOf(in *desk.Inbox, c *desk.Conversation) int64 {
	if c.TeamID != 0 {
		return c.TeamID
	}
	return in.TeamID
}

// request describes c for Match and Pick.
func (s *Service) request(ctx context.Context, c *desk.Conversation) (Request, error) {
	req := Request{ConversationID: c.ID, Category: c.Category, Language: c.Language, Channel: c.Channel,
		Priority: c.Priority, WaitingSince: c.WaitingSince}
	if req.WaitingSince.IsZero() {
		// Answered before and given back to the queue: it waits from when
		// it came to people.
		req.WaitingSince = c.HandedOverAt
		if req.WaitingSince.IsZero() {
			req.WaitingSince = c.CreatedAt
		}
	}
	if c.ContactID != 0 {
		ct, err := s.st.ContactByID(ctx, c.ContactID)
		if err != nil {
			return req, fmt.Errorf("routing: contact of conversation %d: %w", c.ID, err)
		}
		req.Segment, req.AccountOwnerID = ct.Attributes["segment"], ct.OwnerID
	}
	return req, nil
}

// match runs the rules; without a matching rule the conversation stays
// with team.
func (s *Service) match(req Request, team int64) Need {
	n := Match(s.rules, req)
	if n.TeamID == 0 {
		n.TeamID = team
	}
	n.Explain = nil
	return n
}

// route assigns c, or queues it when nobody can take it now.
func (s *Service) route(ctx context.Context, in *desk.Inbox, c *desk.Conversation) error {
	req, err := s.request(ctx, c)
	if err != nil {
		return err
	}
	team := s.teamOf(in, c)
	if w, ok := s.waits[c.ID]; ok {
		// Already waiting: follow what changed (category, priority,
		// team), keeping its place in time.
		req.WaitingSince = w.req.WaitingSince
		w.req, w.team, w.lang = req, team, c.Language
		w.need = s.match(req, team)
		return s.queue.Add(req, w.need)
	}
	need := s.match(req, team)
	ch := outcome(c, need)
	agent, reason, ok := s.router.Assign(need, req)
	if ok {
		ch.AssigneeID = &agent
	}
	if ch != (conversation.Change{}) {
		ch.IfUnassigned = true
		if _, err := s.conv.Update(ctx, system, c.ID, ch); err != nil {
			if ok {
				s.router.AddLoad(agent, c.Channel, -1) //nolint:errcheck // the agent was just found
			}
			if errors.Is(err, desk.ErrConflict) {
				// Taken or closed since it was read: follow it as it is now
				// (its own event follows too).
				s.settle(ctx, c.ID)
				return nil
			}
			// Keep it waiting, so that it is tried again when capacity frees.
			s.enqueue(req, team, c.Language)
			return fmt.Errorf("routing: store decision for %d: %w", c.ID, err)
		}
	}
	if ok {
		s.held[c.ID] = slot{agent, c.Channel}
		s.log.Debug("routing: assigned", "conversation", c.ID, "agent", agent, "why", reason)
		return nil
	}
	s.log.Debug("routing: queued", "conversation", c.ID, "why", reason)
	s.enqueue(req, team, c.Language)
	s.notify(ctx, c.ID)
	return nil
}

// outcome is what a rule changes on the conversation besides the assignee:
// its team and a raised priority.
func outcome(c *desk.Conversation, n Need) conversation.Change {
	var ch conversation.Change
	if n.RuleID != 0 && n.TeamID != 0 && n.TeamID != c.TeamID {
		team := n.TeamID
		ch.TeamID = &team
	}
	if rank(n.Priority) > rank(c.Priority) {
		p := n.Priority
		ch.Priority = &p
	}
	return ch
}

// enqueue puts a request in the queue and remembers it.
func (s *Service) enqueue(req Request, team int64, lang string) {
	w := s.waits[req.ConversationID]
	if w == nil {
		w = &waiter{since: s.clock.Now()}
		s.waits[req.ConversationID] = w
	}
	w.req, w.team, w.lang = req, team, lang
	w.need = s.match(req, team)
	if err := s.queue.Add(req, w.need); err != nil {
		s.log.Warn("routing: queue", "conversation", req.ConversationID, "err", err)
	}
}

// drainAll offers waiting conversations to every agent on every channel
// they take.
func (s *Service) drainAll(ctx context.Context) {
	if s.queue.Len() == 0 {
		return
	}
	s.router.mu.RLock()
	type pair struct {
		id int64
		ch []desk.ChannelKind
	}
	var all []pair
	for _, a := range s.router.all {
		if a.status != desk.Online {
			continue
		}
		p := pair{id: a.id}
		for ch, n := range a.capacity {
			if a.load[ch] < n {
				p.ch = append(p.ch, ch)
			}
		}
		slices.Sort(p.ch)
		all = append(all, p)
	}
	s.router.mu.RUnlock()
	for _, p := range all {
		for _, ch := range p.ch {
			s.drain(ctx, p.id, ch)
		}
	}
}

// drain gives an agent with room on a channel the waiting conversations they
// may take, oldest first, until they are full or nothing fits.
func (s *Service) drain(ctx context.Context, agent int64, ch desk.ChannelKind) {
	for {
		e, ok := s.router.NextFor(s.queue, agent, ch)
		if !ok {
			return
		}
		id := e.Request.ConversationID
		w := s.waits[id]
		delete(s.waits, id)
		c, err := s.st.ConversationByID(ctx, id)
		if err != nil || c.Status != desk.StatusOpen || c.AssigneeID != 0 {
			// Gone or taken meanwhile: give the slot back and bring the
			// conversation in line.
			s.router.AddLoad(agent, ch, -1) //nolint:errcheck // the agent was just found
			if err == nil {
				s.hold(c)
			}
			continue
		}
		change := outcome(c, e.Need)
		change.AssigneeID, change.IfUnassigned = &agent, true
		if _, err := s.conv.Update(ctx, system, id, change); err != nil {
			if errors.Is(err, desk.ErrConflict) {
				// Taken or closed between the read and the write: give the
				// slot back and offer the next one.
				s.router.AddLoad(agent, ch, -1) //nolint:errcheck // the agent was just found
				s.settle(ctx, id)
				continue
			}
			s.log.Warn("routing: assign from queue", "conversation", id, "agent", agent, "err", err)
			s.router.AddLoad(agent, ch, -1) //nolint:errcheck // the agent was just found
			s.queue.Add(e.Request, e.Need)  //nolint:errcheck // it was in the queue a moment ago
			if w != nil {
				s.waits[id] = w
			}
			return
		}
		s.held[id] = slot{agent, ch}
		if w != nil {
			s.addSample(e.Need.TeamID, s.clock.Now().Sub(w.since))
		}
	}
}

// Leading reports whether this node routes now (it has loaded the state
// and follows the bus).
func (s *Service) Leading() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.leader
}

// Position is a waiting conversation's place in its line (1 is next); ok is
// false when it is not waiting or this node does not route.
func (s *Service) Position(conversationID int64) (place int, ok bool) {
	s.mu.RLock()
	q, leader := s.queue, s.leader
	s.mu.RUnlock()
	if !leader {
		return 0, false
	}
	place, _, ok = q.Position(conversationID)
	return place, ok
}
