// Package demo loads a realistic demo company into an empty balie database:
// Fietsenwinkel De Spaak, a Dutch online bike and e-bike shop, with its
// agents, teams, inboxes, customers and some sixty conversations spread over
// the last two months. `balie demo` calls Seed before it starts serving.
//
// Everything a customer or agent wrote goes through conversation.Service, so
// the demo data is shaped exactly like real data (contacts resolved by email
// and phone, activity entries, previews, waiting times).
//
// demo imports desk, contact, conversation, kb, flow, front and
// analytics/forecast (the arrival pattern of the generated history).
package demo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// Password is the password of every demo agent. It is printed by the CLI:
// the demo is for trying balie out, never for real customer data.
const Password = "demo-balie-2026"

// SettingKey marks a database as seeded; its value is the Result as JSON.
const SettingKey = "demo.seeded"

// Deps is what Seed needs.
type Deps struct {
	Store desk.Store
	// Conversations is the application's service. Seed writes history
	// through a service of its own whose clock it moves back in time, and
	// only tells this one to forget what it cached. May be nil.
	Conversations *conversation.Service
	HashPassword  func(string) (string, error)
	Clock         desk.Clock // nil: the system clock
	// NoHistory leaves out the generated weeks of finished conversations
	// behind the scripted ones (history.go): for tests that count the
	// scripted company.
	NoHistory bool
}

// Login is a demo account.
type Login struct {
	Name     string    `json:"name"`
	Email    string    `json:"email"`
	Password string    `json:"password"`
	Role     desk.Role `json:"role"`
	Locale   string    `json:"locale"`
	Teams    []string  `json:"teams,omitempty"`
}

// Result tells how to use the demo.
type Result struct {
	AdminEmail    string `json:"admin_email"`
	AdminPassword string `json:"admin_password"`
	// Agents are the other demo accounts (supervisor and agents).
	Agents []Login `json:"agents"`
	// WebchatKey is the public key of the "Webshop chat" inbox.
	WebchatKey string `json:"webchat_key"`
}

// Seed loads the demo company. It is idempotent: a database seeded before
// returns the stored Result and nothing is written. A database that already
// holds agents but was not seeded by the demo is refused with ErrConflict, so
// demo customers never end up among real ones.
func Seed(ctx context.Context, d Deps) (*Result, error) {
	if d.Store == nil || d.HashPassword == nil {
		return nil, fmt.Errorf("demo: seed: %w", desk.Invalid("deps", "store and password hasher are required"))
	}
	if d.Clock == nil {
		d.Clock = desk.SystemClock{}
	}
	if res, err := stored(ctx, d.Store); err == nil {
		return res, nil
	} else if !errors.Is(err, desk.ErrNotFound) {
		return nil, fmt.Errorf("demo: seed: %w", err)
	}
	agents, err := d.Store.ListAgents(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: seed: %w", err)
	}
	if len(agents) > 0 {
		return nil, fmt.Errorf("demo: seed: the database already has %d agents (or a half-finished demo); load the demo into an empty data directory: %w",
			len(agents), desk.ErrConflict)
	}

	now := d.Clock.Now().UTC().Truncate(time.Second)
	clock := &movingClock{t: now}
	s := &seeder{
		st:        d.Store,
		now:       now,
		zone:      amsterdam(),
		clock:     clock,
		conv:      conversation.New(d.Store, nopBus{}, clock, slog.New(slog.DiscardHandler), conversation.Options{}),
		hash:      d.HashPassword,
		noHistory: d.NoHistory,
	}
	res, err := s.seed(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: seed: %w", err)
	}
	if d.Conversations != nil {
		d.Conversations.InvalidateCaches()
	}
	return res, nil
}

func stored(ctx context.Context, st desk.SettingStore) (*Result, error) {
	v, err := st.Setting(ctx, SettingKey)
	if err != nil {
		return nil, err
	}
	var res Result
	if err := json.Unmarshal([]byte(v), &res); err != nil {
		return nil, fmt.Errorf("setting %s: %w", SettingKey, err)
	}
	return &res, nil
}

// seeder holds what one Seed call works with.
type seeder struct {
	st        desk.Store
	now       time.Time
	zone      *time.Location
	clock     *movingClock
	conv      *conversation.Service
	hash      func(string) (string, error)
	noHistory bool

	agents    map[string]*desk.Agent // by key
	teams     map[string]*desk.Team
	inboxes   map[string]*desk.Inbox
	customers map[string]customer
	contacts  map[string]int64 // pre-created contacts by customer key
}

func (s *seeder) seed(ctx context.Context) (*Result, error) {
	// The company existed before its oldest conversation.
	founded := s.now.Add(-70 * day)
	if err := s.createTeams(ctx, founded); err != nil {
		return nil, err
	}
	res, err := s.createAgents(ctx, founded)
	if err != nil {
		return nil, err
	}
	if err := s.createInboxes(ctx, founded); err != nil {
		return nil, err
	}
	res.WebchatKey = s.inboxes[chat].PublicKey

	scripts := conversations()
	starts := make([]time.Time, len(scripts))
	for i, sc := range scripts {
		starts[i] = s.startOf(sc)
	}
	if err := s.createContacts(ctx, scripts, starts); err != nil {
		return nil, err
	}
	// Oldest first, as it happened: a later conversation may build on what
	// an earlier one linked to the contact.
	order := make([]int, len(scripts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return starts[a].Compare(starts[b]) })
	for _, i := range order {
		if err := s.run(ctx, i, scripts[i], starts[i]); err != nil {
			return nil, fmt.Errorf("conversation %d (%s, %s): %w", i, scripts[i].Customer, scripts[i].Inbox, err)
		}
	}

	if err := s.seedKB(ctx); err != nil {
		return nil, fmt.Errorf("knowledge base: %w", err)
	}
	if err := s.seedFront(ctx); err != nil {
		return nil, fmt.Errorf("front line: %w", err)
	}
	if err := s.seedOrders(ctx); err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	if err := s.seedServiceLevels(ctx); err != nil {
		return nil, fmt.Errorf("service levels: %w", err)
	}
	if err := s.seedHistory(ctx); err != nil {
		return nil, err
	}

	b, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	// Written last: a seed that failed half-way is not taken for a finished one.
	if err := s.st.SetSetting(ctx, SettingKey, string(b)); err != nil {
		return nil, err
	}
	return res, nil
}

func (s *seeder) createTeams(ctx context.Context, at time.Time) error {
	s.teams = map[string]*desk.Team{}
	for _, t := range teamList() {
		team := &desk.Team{Name: t.Name, Description: t.Description, CreatedAt: at}
		if err := s.st.CreateTeam(ctx, team); err != nil {
			return fmt.Errorf("team %s: %w", t.Name, err)
		}
		s.teams[t.Key] = team
	}
	return nil
}

func (s *seeder) createAgents(ctx context.Context, at time.Time) (*Result, error) {
	s.agents = map[string]*desk.Agent{}
	res := &Result{Agents: []Login{}}
	for _, a := range agentList() {
		h, err := s.hash(Password)
		if err != nil {
			return nil, fmt.Errorf("hash password: %w", err)
		}
		ag := &desk.Agent{Email: a.Email, Name: a.Name, Role: a.Role, Locale: a.Locale, PasswordHash: h,
			Availability: a.Availability, CreatedAt: at, UpdatedAt: at}
		if err := s.st.CreateAgent(ctx, ag); err != nil {
			return nil, fmt.Errorf("agent %s: %w", a.Email, err)
		}
		var ids []int64
		var names []string
		for _, k := range a.Teams {
			ids = append(ids, s.teams[k].ID)
			names = append(names, s.teams[k].Name)
		}
		if len(ids) > 0 {
			if err := s.st.SetAgentTeams(ctx, ag.ID, ids); err != nil {
				return nil, fmt.Errorf("agent %s teams: %w", a.Email, err)
			}
			ag.TeamIDs = ids
		}
		s.agents[a.Key] = ag
		if a.Role == desk.RoleAdmin && res.AdminEmail == "" {
			res.AdminEmail, res.AdminPassword = a.Email, Password
			continue
		}
		res.Agents = append(res.Agents, Login{Name: a.Name, Email: a.Email, Password: Password, Role: a.Role,
			Locale: a.Locale, Teams: names})
	}
	return res, nil
}

func (s *seeder) createInboxes(ctx context.Context, at time.Time) error {
	s.inboxes = map[string]*desk.Inbox{}
	for _, in := range inboxList() {
		ib := &desk.Inbox{Name: in.Name, Channel: in.Channel, PublicKey: strings.ToLower(rand.Text()),
			Settings: in.Settings, CreatedAt: at}
		if in.Team != "" {
			ib.TeamID = s.teams[in.Team].ID
		}
		if err := s.st.CreateInbox(ctx, ib); err != nil {
			return fmt.Errorf("inbox %s: %w", in.Name, err)
		}
		s.inboxes[in.Key] = ib
	}
	return nil
}

// createContacts makes the customers who have an account at the shop, a few
// days before their first conversation, with their email and phone as
// identities. The channels' own handles (a widget visitor id, a partner-app
// user id) are linked later by contact.Resolve when their messages arrive.
func (s *seeder) createContacts(ctx context.Context, scripts []script, starts []time.Time) error {
	s.customers, s.contacts = map[string]customer{}, map[string]int64{}
	first := map[string]time.Time{}
	for i, sc := range scripts {
		if t, ok := first[sc.Customer]; !ok || starts[i].Before(t) {
			first[sc.Customer] = starts[i]
		}
	}
	for _, c := range customerList() {
		s.customers[c.Key] = c
		if c.Email == "" && c.Phone == "" {
			continue // an anonymous visitor: Resolve creates them
		}
		since, ok := first[c.Key]
		if !ok {
			return fmt.Errorf("customer %s has no conversation", c.Key)
		}
		since = since.Add(-time.Duration(3+len(c.Key)%9) * day)
		ct := &desk.Contact{Name: c.Name, Locale: c.Locale, CreatedAt: since, UpdatedAt: since,
			Attributes: map[string]string{"plaats": c.City, "klantnummer": c.Number}}
		var ids []desk.Identity
		if c.Email != "" {
			e, err := contact.NormaliseEmail(c.Email)
			if err != nil {
				return fmt.Errorf("customer %s: %w", c.Key, err)
			}
			ct.Email = e
			ids = append(ids, desk.Identity{Kind: desk.IdentityEmail, Value: e, Verified: true})
		}
		if c.Phone != "" {
			p, err := contact.NormalisePhone(c.Phone)
			if err != nil {
				return fmt.Errorf("customer %s: %w", c.Key, err)
			}
			ct.Phone = p
			ids = append(ids, desk.Identity{Kind: desk.IdentityPhone, Value: p, Verified: true})
		}
		if err := s.st.CreateContact(ctx, ct); err != nil {
			return fmt.Errorf("customer %s: %w", c.Key, err)
		}
		for _, id := range ids {
			id.ContactID, id.CreatedAt = ct.ID, since
			if err := s.st.AddIdentity(ctx, &id); err != nil {
				return fmt.Errorf("customer %s identity: %w", c.Key, err)
			}
		}
		s.contacts[c.Key] = ct.ID
	}
	return nil
}

// startOf is when a conversation's first message arrived: on a day and time
// in Amsterdam, or a while ago for today's. A script never ends in the
// future: if it would, it starts earlier.
func (s *seeder) startOf(sc script) time.Time {
	var start time.Time
	if sc.Ago > 0 {
		start = s.now.Add(-sc.Ago)
	} else {
		local := s.now.In(s.zone)
		y, m, d := local.Date()
		start = time.Date(y, m, d-sc.Day, sc.Hour, sc.Minute, 0, 0, s.zone).UTC()
	}
	var total time.Duration
	for _, st := range sc.Steps {
		total += st.Gap
	}
	if latest := s.now.Add(-2 * time.Minute); start.Add(total).After(latest) {
		start = latest.Add(-total)
	}
	return start
}

// run plays one conversation script with the clock set to each step's time.
func (s *seeder) run(ctx context.Context, n int, sc script, start time.Time) error {
	inbox, ok := s.inboxes[sc.Inbox]
	if !ok {
		return fmt.Errorf("unknown inbox %q", sc.Inbox)
	}
	cust, ok := s.customers[sc.Customer]
	if !ok {
		return fmt.Errorf("unknown customer %q", sc.Customer)
	}
	t := start
	var convID int64
	for i, st := range sc.Steps {
		t = t.Add(st.Gap)
		s.clock.set(t)
		if convID == 0 && st.Kind != stepIn {
			return fmt.Errorf("step %d: a conversation starts with a customer message", i)
		}
		var by conversation.Actor
		if st.Kind != stepIn {
			a, ok := s.agents[st.Agent]
			if !ok {
				return fmt.Errorf("step %d: unknown agent %q", i, st.Agent)
			}
			by = conversation.Actor{AgentID: a.ID, Name: a.Name}
		}
		var err error
		switch st.Kind {
		case stepIn:
			in := s.inbound(inbox, cust, n, i, st.Text, t)
			if convID == 0 {
				in.NewConversation, in.Subject = true, sc.Subject
			} else {
				in.ConversationID = convID
			}
			var res *conversation.IngestResult
			res, err = s.conv.Ingest(ctx, in)
			if err == nil {
				convID = res.Conversation.ID
			}
		case stepReply:
			var m *desk.Message
			m, err = s.conv.Reply(ctx, by, convID, st.Text, nil)
			if err == nil && !st.Live {
				err = s.st.SetDelivery(ctx, m.ID, delivered(inbox.Channel), "")
			}
		case stepNote:
			_, err = s.conv.Note(ctx, by, convID, st.Text)
		default:
			var ch conversation.Change
			ch, err = s.change(st)
			if err == nil {
				_, err = s.conv.Update(ctx, by, convID, ch)
			}
		}
		if err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	return nil
}

// inbound is a customer's message as the inbox's channel would hand it over.
func (s *seeder) inbound(inbox *desk.Inbox, c customer, conv, step int, text string, at time.Time) desk.Inbound {
	in := desk.Inbound{InboxID: inbox.ID, FromName: c.Name, Body: text, At: at}
	switch inbox.Channel {
	case desk.ChannelEmail:
		in.From = desk.Identity{Kind: desk.IdentityEmail, Value: c.Email}
		in.ExternalID = fmt.Sprintf("<demo.%d.%d@mail.example.nl>", conv, step)
	case desk.ChannelAPI:
		in.From = desk.Identity{Kind: desk.IdentityExtern, Value: "leasepartner:" + handle(c.Key)}
		in.FromPhone = c.Phone
		in.ExternalID = fmt.Sprintf("app-%d-%d", conv, step)
	default:
		// The widget's pre-chat form asks for an email address and,
		// optionally, a phone number.
		in.From = desk.Identity{Kind: desk.IdentityVisitor, Value: handle("visitor:" + c.Key)}
		in.FromEmail, in.FromPhone = c.Email, c.Phone
	}
	if c.Email == "" && c.Phone == "" && in.FromName == "" {
		in.FromName = "Bezoeker"
	}
	return in
}

func (s *seeder) change(st step) (conversation.Change, error) {
	var ch conversation.Change
	switch st.Kind {
	case stepAssign:
		a, ok := s.agents[st.Target]
		if !ok {
			return ch, fmt.Errorf("unknown agent %q", st.Target)
		}
		ch.AssigneeID = &a.ID
	case stepTransfer:
		t, ok := s.teams[st.Target]
		if !ok {
			return ch, fmt.Errorf("unknown team %q", st.Target)
		}
		var to int64
		if st.To != "" {
			a, ok := s.agents[st.To]
			if !ok {
				return ch, fmt.Errorf("unknown agent %q", st.To)
			}
			to = a.ID
		}
		ch.TeamID, ch.AssigneeID, ch.Note = &t.ID, &to, st.Text
	case stepLabels:
		ch.Labels = &st.Labels
	case stepPriority:
		ch.Priority = &st.Priority
	case stepStatus:
		ch.Status = &st.Status
	case stepSnooze:
		until := s.now.Add(st.Until)
		ch.SnoozedUntil = &until
	default:
		return ch, fmt.Errorf("unknown step kind %d", st.Kind)
	}
	return ch, nil
}

// delivered is the delivery state an old reply reached on its channel. It is
// set so that the outbox worker finds the demo's history already delivered
// and sends nothing to anybody.
func delivered(k desk.ChannelKind) desk.Delivery {
	switch k {
	case desk.ChannelWebChat:
		return desk.DeliveryRead
	case desk.ChannelEmail:
		return desk.DeliverySent
	}
	return desk.DeliveryDelivered
}

// handle is a stable, opaque id for a customer on a channel, like the hashed
// ids channels hand over.
func handle(s string) string {
	sum := sha256.Sum256([]byte("despaak-demo:" + s))
	return hex.EncodeToString(sum[:12])
}

func amsterdam() *time.Location {
	if loc, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		return loc
	}
	// No time zone database on this machine: winter time is close enough
	// for placing demo messages within office hours.
	return time.FixedZone("CET", 3600)
}

// movingClock is the clock of Seed's conversation service: set to each
// step's time so that replies, notes and activity get realistic times.
type movingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *movingClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// nopBus drops events: nobody listens while the demo loads, and realtime
// clients must not see two months of history arrive as news.
type nopBus struct{}

func (nopBus) Publish(context.Context, desk.Event)        {}
func (nopBus) Subscribe(func(desk.Event)) (cancel func()) { return func() {} }
