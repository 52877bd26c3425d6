// Package realtime pushes domain events to browsers over WebSockets: every
// event to agents' workspaces, and to web-chat visitors only what concerns
// their own conversations and what a customer may see. It also turns typing
// notices sent by browsers into typing events.
//
// A connection costs one goroutine (its reader, the HTTP handler itself);
// writes run on a short-lived goroutine started only while a connection has
// something queued, so tens of thousands of idle widget visitors stay cheap.
//
// realtime imports desk and wire.
package realtime

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/wire"
)

// Conversations looks up a conversation; typing notices name one.
type Conversations interface {
	ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error)
}

// Typer announces typing; conversation.Service implements it.
type Typer interface {
	Typing(ctx context.Context, conv *desk.Conversation, sender desk.Sender, name string, typing bool)
}

// Options tune a Hub. Zero values take the defaults.
type Options struct {
	// QueueLen is how many messages may wait for a slow connection before
	// it is dropped (default 64).
	QueueLen int
	// PingInterval is how often each connection is pinged (default 30s).
	PingInterval time.Duration
	// WriteTimeout bounds one write or ping (default 10s).
	WriteTimeout time.Duration
	// AgentOrigins are extra origin host patterns (path.Match) allowed for
	// agent connections; the request's own host is always allowed.
	AgentOrigins []string
	Log          *slog.Logger

	// Clock tells the time for presence; tests pass a fixed one.
	Clock desk.Clock
	// ViewTTL is how long a page counts as viewing its conversation
	// without saying so again (default 90s; pages repeat every 20s, and
	// browsers slow timers in background tabs down to once a minute).
	ViewTTL time.Duration
	// ReplyTTL is how long an agent counts as replying after their last
	// typing notice (default 10s).
	ReplyTTL time.Duration
	// PresenceRefresh is how often this node repeats its agents' presence
	// on the bus (default 20s); PresenceTTL how long a node's report is kept
	// without a repeat (default 60s).
	PresenceRefresh time.Duration
	PresenceTTL     time.Duration
}

func (o Options) withDefaults() Options {
	if o.QueueLen <= 0 {
		o.QueueLen = 64
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = desk.SystemClock{}
	}
	if o.ViewTTL <= 0 {
		o.ViewTTL = 90 * time.Second
	}
	if o.ReplyTTL <= 0 {
		o.ReplyTTL = 10 * time.Second
	}
	if o.PresenceRefresh <= 0 {
		o.PresenceRefresh = 20 * time.Second
	}
	if o.PresenceTTL <= 0 {
		o.PresenceTTL = 3 * o.PresenceRefresh
	}
	return o
}

// pingSlots spreads pings over the interval: each tick pings one slot's
// connections instead of all of them at once.
const pingSlots = 30

// readLimit is the largest message a browser may send (typing notices).
const readLimit = 4096

// Visitor is an authenticated widget visitor.
type Visitor struct {
	// Key identifies the visitor before they have a contact (the hashed
	// widget token); BindVisitor attaches the contact later.
	Key       string
	ContactID int64 // 0 until the visitor's first message creates the contact
	InboxID   int64
	Name      string
}

// Hub fans bus events out to WebSocket connections.
type Hub struct {
	bus   desk.Bus
	convs Conversations
	typer Typer
	opts  Options
	log   *slog.Logger

	nextID atomic.Uint64
	ready  chan struct{}

	mu       sync.Mutex
	closed   bool
	agents   map[*client]struct{}
	visitors map[int64]map[*client]struct{}  // by contact id
	unbound  map[string]map[*client]struct{} // visitors without a contact, by key
	// seen is every node's presence reports, by conversation.
	seen map[int64]map[presenceKey]presenceEntry

	// node tells this hub's presence reports from other nodes'.
	node string
	// pubMu orders this node's presence reports; published is what they
	// last said and lastRefresh when they were last all repeated (both
	// guarded by pubMu).
	pubMu       sync.Mutex
	published   map[localKey]localState
	lastRefresh time.Time
}

// New returns a hub. Call Run to start delivering events.
func New(bus desk.Bus, convs Conversations, typer Typer, opts Options) *Hub {
	opts = opts.withDefaults()
	return &Hub{bus: bus, convs: convs, typer: typer, opts: opts, log: opts.Log,
		ready: make(chan struct{}), agents: map[*client]struct{}{}, visitors: map[int64]map[*client]struct{}{},
		unbound: map[string]map[*client]struct{}{}, seen: map[int64]map[presenceKey]presenceEntry{},
		node: rand.Text(), published: map[localKey]localState{}}
}

// client is one WebSocket connection.
type client struct {
	id    uint64
	conn  *websocket.Conn
	agent *desk.Agent // nil for visitors
	vis   Visitor     // ContactID guarded by Hub.mu

	// An agent's page: the conversation it shows (0: none), when it last
	// said so, and until when its agent counts as replying. Guarded by
	// Hub.mu.
	viewing    int64
	viewSeen   time.Time
	replyUntil time.Time

	mu      sync.Mutex
	queue   [][]byte
	writing bool
	pinging bool
	dead    bool

	// Inbound rate limit, touched only by the reader goroutine.
	windowStart time.Time
	windowCount int
}

// Run delivers events until ctx ends, then closes every connection with
// "going away" so browsers reconnect elsewhere. http.Server.Shutdown does
// not close hijacked connections: cancel ctx on shutdown.
func (h *Hub) Run(ctx context.Context) error {
	cancel := h.bus.Subscribe(h.dispatch)
	defer cancel()
	close(h.ready)
	tick := time.NewTicker(h.opts.PingInterval / pingSlots)
	defer tick.Stop()
	slot := uint64(0)
	for {
		select {
		case <-ctx.Done():
			h.leaveAll(h.opts.Clock.Now())
			h.shutdown()
			return nil
		case <-tick.C:
			slot = (slot + 1) % pingSlots
			h.pingSlot(slot)
			h.tickPresence(h.opts.Clock.Now())
		}
	}
}

// Ready is closed once Run listens to the bus; events published before that
// are not delivered.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// ServeAgent upgrades an authenticated agent's request to a WebSocket that
// receives every event. Only same-origin pages (and Options.AgentOrigins)
// may connect: the session cookie would otherwise let any site listen in.
func (h *Hub) ServeAgent(w http.ResponseWriter, r *http.Request, agent *desk.Agent) {
	if agent == nil {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	h.serve(w, r, &client{agent: agent}, &websocket.AcceptOptions{OriginPatterns: h.opts.AgentOrigins})
}

// ServeVisitor upgrades a widget visitor's request. Any origin may connect
// (the widget runs on customers' sites); the caller has authenticated the
// visitor by their token, which is not a cookie and so cannot be ridden by
// another site.
func (h *Hub) ServeVisitor(w http.ResponseWriter, r *http.Request, v Visitor) {
	if v.Key == "" || v.InboxID == 0 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	h.serve(w, r, &client{vis: v}, &websocket.AcceptOptions{InsecureSkipVerify: true})
}

func (h *Hub) serve(w http.ResponseWriter, r *http.Request, c *client, opts *websocket.AcceptOptions) {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	opts.CompressionMode = websocket.CompressionDisabled // per-connection flate state is costly
	conn, err := websocket.Accept(w, r, opts)
	if err != nil {
		return // Accept has answered the request
	}
	conn.SetReadLimit(readLimit)
	c.id, c.conn = h.nextID.Add(1), conn
	if !h.add(c) {
		conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer h.remove(c)
	// The request's context ends when this handler returns; reading is
	// what keeps it here, and Read fails once the connection is closed.
	ctx := r.Context()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			c.kill()
			return
		}
		if typ == websocket.MessageText {
			h.inbound(ctx, c, data)
		}
	}
}

func (h *Hub) add(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	switch {
	case c.agent != nil:
		h.agents[c] = struct{}{}
	case c.vis.ContactID != 0:
		addTo(h.visitors, c.vis.ContactID, c)
	default:
		addTo(h.unbound, c.vis.Key, c)
	}
	return true
}

func (h *Hub) remove(c *client) {
	h.mu.Lock()
	delete(h.agents, c)
	removeFrom(h.visitors, c.vis.ContactID, c)
	removeFrom(h.unbound, c.vis.Key, c)
	viewing := c.viewing != 0
	h.mu.Unlock()
	if viewing {
		// The agent may have left the conversation with this tab.
		h.syncPresence(h.opts.Clock.Now(), false)
	}
}

func addTo[K comparable](m map[K]map[*client]struct{}, k K, c *client) {
	set := m[k]
	if set == nil {
		set = map[*client]struct{}{}
		m[k] = set
	}
	set[c] = struct{}{}
}

func removeFrom[K comparable](m map[K]map[*client]struct{}, k K, c *client) {
	if set := m[k]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

// BindVisitor attaches a contact to the connections of a visitor who had
// none: the web-chat channel calls it after the visitor's first message
// created their contact.
func (h *Hub) BindVisitor(key string, contactID int64) {
	if key == "" || contactID == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.unbound[key] {
		c.vis.ContactID = contactID
		addTo(h.visitors, contactID, c)
	}
	delete(h.unbound, key)
}

// DropAgent closes every connection of the agent: after they logged out,
// were disabled or lost their sessions, their open pages must stop receiving
// events. The browsers reconnect and are then refused by authentication.
// It returns at once; the close handshakes finish in the background.
func (h *Hub) DropAgent(agentID int64) {
	var drop []*client
	h.mu.Lock()
	for c := range h.agents {
		if c.agent.ID == agentID {
			drop = append(drop, c)
			delete(h.agents, c) // no event may reach it from now on
		}
	}
	h.mu.Unlock()
	signOut(drop)
}

// DropVisitor closes every connection of a widget visitor, by the key it
// connected with (the hashed token), bound to a contact or not, on every
// node: after the customer signed out on a shared computer (Balie.logout),
// a socket opened before must stop receiving the customer's events,
// wherever the load balancer put it. A reconnect with the same token finds
// no contact any more. This node's connections close at once; the others
// when their hub hears desk.EventVisitorSignedOut. It returns at once.
func (h *Hub) DropVisitor(key string) {
	if key == "" {
		return
	}
	h.dropVisitor(key)
	// Publish never blocks (a full queue drops the event), so no caller's
	// deadline is needed; this node hears it too and finds nothing left.
	h.bus.Publish(context.Background(), desk.Event{Type: desk.EventVisitorSignedOut, VisitorKey: key})
}

// dropVisitor closes this node's connections of the visitor key.
func (h *Hub) dropVisitor(key string) {
	var drop []*client
	h.mu.Lock()
	for c := range h.unbound[key] {
		drop = append(drop, c)
	}
	delete(h.unbound, key)
	// Bound connections are filed by contact; a visitor's sign-out is rare
	// next to the events that look them up by contact, so a scan here is
	// cheaper than a second index kept on every connect.
	for contactID, set := range h.visitors {
		for c := range set {
			if c.vis.Key == key {
				drop = append(drop, c)
				removeFrom(h.visitors, contactID, c) // no event may reach it from now on
			}
		}
	}
	h.mu.Unlock()
	signOut(drop)
}

// signOut closes connections whose user signed out. They are already out
// of the hub's maps.
func signOut(drop []*client) {
	for _, c := range drop {
		c.mu.Lock()
		already := c.dead
		c.dead, c.queue = true, nil
		c.mu.Unlock()
		if !already {
			// Close, not CloseNow: the page learns why (policy violation)
			// and does not take it for a network failure. Close waits a few
			// seconds at most for the peer.
			go c.conn.Close(websocket.StatusPolicyViolation, "signed out")
		}
	}
}

// Counts reports the connected agents and visitors.
func (h *Hub) Counts() (agents, visitors int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.visitors {
		visitors += len(set)
	}
	for _, set := range h.unbound {
		visitors += len(set)
	}
	return len(h.agents), visitors
}

// dispatch runs on the bus's subscriber goroutine and must not block: it
// only encodes once per audience and queues.
// eventSLAAlert is slawatch.EventAlert, an SLA warning or breach (realtime
// does not import services).
const eventSLAAlert = "sla.alert"

func (h *Hub) dispatch(e desk.Event) {
	switch e.Type {
	case EventPresence:
		h.applyPresence(e)
		return
	case desk.EventVisitorSignedOut:
		if e.VisitorKey != "" {
			h.dropVisitor(e.VisitorKey)
		}
		return // between nodes: the key is no browser's business
	case desk.EventAgentChanged, desk.EventArticleChanged, desk.EventKBSettingsChanged:
		return // between nodes: nothing a browser shows
	}
	contactID, inboxID := e.ContactID, e.InboxID
	if e.Conversation != nil {
		contactID, inboxID = e.Conversation.ContactID, e.Conversation.InboxID
	}
	// SLA alerts (slawatch.EventAlert) are for supervisors and admins:
	// they escalate; agents see the note in the thread.
	supervisorsOnly := e.Type == eventSLAAlert
	h.mu.Lock()
	agents := make([]*client, 0, len(h.agents))
	for c := range h.agents {
		if supervisorsOnly && !c.agent.Role.AtLeast(desk.RoleSupervisor) {
			continue
		}
		agents = append(agents, c)
	}
	var visitors []*client
	for c := range h.visitors[contactID] {
		// A contact may also write by email or in another site's widget;
		// a widget shows only its own inbox.
		if c.vis.InboxID == inboxID {
			visitors = append(visitors, c)
		}
	}
	h.mu.Unlock()

	if len(agents) > 0 {
		b, err := json.Marshal(wire.FromEvent(e))
		if err != nil {
			h.log.Error("realtime: encode event", "type", e.Type, "err", err)
			return
		}
		for _, c := range agents {
			h.send(c, b)
		}
	}
	if len(visitors) > 0 && contactID != 0 {
		ve, ok := visitorEvent(e)
		if !ok {
			return
		}
		b, err := json.Marshal(ve)
		if err != nil {
			h.log.Error("realtime: encode visitor event", "type", e.Type, "err", err)
			return
		}
		for _, c := range visitors {
			h.send(c, b)
		}
	}
}

// send queues b for c and starts its writer when idle. A
// connection whose queue is full cannot keep up and is dropped; the widget
// and the workspace reload what they missed when they reconnect.
func (h *Hub) send(c *client, b []byte) {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= h.opts.QueueLen {
		c.mu.Unlock()
		h.log.Info("realtime: dropping slow connection", "conn", c.id)
		c.kill()
		return
	}
	c.queue = append(c.queue, b)
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go h.flush(c)
	}
}

// flush writes c's queue and exits when it is empty.
func (h *Hub) flush(c *client) {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || c.dead {
			c.queue, c.writing = nil, false
			c.mu.Unlock()
			return
		}
		b := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), h.opts.WriteTimeout)
		err := c.conn.Write(ctx, websocket.MessageText, b)
		cancel()
		if err != nil {
			c.kill()
			return
		}
	}
}

// kill closes the connection at once, without a close handshake, so that
// neither the hub nor a stuck writer waits on a peer that does not answer.
func (c *client) kill() {
	c.mu.Lock()
	already := c.dead
	c.dead, c.queue = true, nil
	c.mu.Unlock()
	if !already {
		go c.conn.CloseNow()
	}
}

func (h *Hub) pingSlot(slot uint64) {
	var due []*client
	h.mu.Lock()
	collect := func(c *client) {
		if c.id%pingSlots == slot {
			due = append(due, c)
		}
	}
	for c := range h.agents {
		collect(c)
	}
	for _, set := range h.visitors {
		for c := range set {
			collect(c)
		}
	}
	for _, set := range h.unbound {
		for c := range set {
			collect(c)
		}
	}
	h.mu.Unlock()
	for _, c := range due {
		h.ping(c)
	}
}

// ping checks that the peer still answers. It runs beside the writer (the
// connection serialises frames) so that waiting for the pong never delays
// messages; a peer that does not answer in time is dropped.
func (h *Hub) ping(c *client) {
	c.mu.Lock()
	if c.dead || c.pinging {
		c.mu.Unlock()
		return
	}
	c.pinging = true
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), h.opts.WriteTimeout)
		err := c.conn.Ping(ctx)
		cancel()
		c.mu.Lock()
		c.pinging = false
		c.mu.Unlock()
		if err != nil {
			c.kill()
		}
	}()
}

func (h *Hub) shutdown() {
	h.mu.Lock()
	h.closed = true
	var all []*client
	for c := range h.agents {
		all = append(all, c)
	}
	for _, set := range h.visitors {
		for c := range set {
			all = append(all, c)
		}
	}
	for _, set := range h.unbound {
		for c := range set {
			all = append(all, c)
		}
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range all {
		wg.Go(func() {
			c.mu.Lock()
			c.dead = true
			c.mu.Unlock()
			// Close waits at most a few seconds for the peer's answer.
			c.conn.Close(websocket.StatusGoingAway, "server shutting down")
		})
	}
	wg.Wait()
}

// inboundMsg is what browsers send: typing notices, and agents' pages
// saying which conversation they show ("view", repeated while open) or
// that they no longer do ("leave").
type inboundMsg struct {
	Type           string `json:"type"`
	ConversationID int64  `json:"conversation_id"`
	Typing         bool   `json:"typing"`
}

// Inbound limits: a browser may send this many messages per window; more
// are ignored (the widget throttles typing notices far below this).
const (
	inboundMax    = 10
	inboundWindow = 5 * time.Second
)

func (h *Hub) inbound(ctx context.Context, c *client, data []byte) {
	now := time.Now()
	if now.Sub(c.windowStart) > inboundWindow {
		c.windowStart, c.windowCount = now, 0
	}
	c.windowCount++
	if c.windowCount > inboundMax {
		return
	}
	var m inboundMsg
	if err := json.Unmarshal(data, &m); err != nil || m.ConversationID <= 0 {
		return
	}
	switch m.Type {
	case "typing":
	case "view", "leave":
		if c.agent != nil {
			h.viewInbound(ctx, c, m)
		}
		return
	default:
		return
	}
	conv, err := h.convs.ConversationByID(ctx, m.ConversationID)
	if err != nil {
		if !errors.Is(err, desk.ErrNotFound) {
			h.log.Warn("realtime: typing: load conversation", "conversation", m.ConversationID, "err", err)
		}
		return
	}
	if c.agent != nil {
		h.typer.Typing(ctx, conv, desk.SenderAgent, c.agent.Name, m.Typing)
		h.reply(c, conv.ID, m.Typing, h.opts.Clock.Now())
		return
	}
	h.mu.Lock()
	contactID := c.vis.ContactID
	h.mu.Unlock()
	if contactID == 0 || conv.ContactID != contactID || conv.InboxID != c.vis.InboxID {
		return // not this visitor's conversation
	}
	h.typer.Typing(ctx, conv, desk.SenderContact, c.vis.Name, m.Typing)
}

// viewInbound handles an agent page's "view" and "leave".
func (h *Hub) viewInbound(ctx context.Context, c *client, m inboundMsg) {
	now := h.opts.Clock.Now()
	if m.Type == "leave" {
		h.mu.Lock()
		showing := c.viewing == m.ConversationID
		h.mu.Unlock()
		if showing {
			h.view(c, 0, now)
		}
		return
	}
	h.mu.Lock()
	repeat := c.viewing == m.ConversationID
	h.mu.Unlock()
	if !repeat {
		// Only conversations that exist are viewed; a repeat was checked.
		if _, err := h.convs.ConversationByID(ctx, m.ConversationID); err != nil {
			if !errors.Is(err, desk.ErrNotFound) {
				h.log.Warn("realtime: view: load conversation", "conversation", m.ConversationID, "err", err)
			}
			return
		}
	}
	h.view(c, m.ConversationID, now)
	if !repeat {
		h.sendViewers(c, m.ConversationID)
	}
}
