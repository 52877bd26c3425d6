package web

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// fakeStore is an in-memory Store with just enough behaviour for the pages.
type fakeStore struct {
	mu       sync.Mutex
	agents   map[int64]*desk.Agent
	teams    map[int64]*desk.Team
	inboxes  map[int64]*desk.Inbox
	contacts map[int64]*desk.Contact
	convs    map[int64]*desk.Conversation
	msgs     map[int64][]desk.Message
	tokens   map[int64]*desk.APIToken
	webhooks map[int64]*desk.Webhook
	nextID   int64
	// merges are ContactMerges's answer; the fake merges nothing itself
	// (the identity tests run on SQLite).
	merges []desk.ContactMerge
	// failSetTeams, when set, is SetAgentTeams's error.
	failSetTeams error
}

func newFakeStore() *fakeStore {
	return &fakeStore{agents: map[int64]*desk.Agent{}, teams: map[int64]*desk.Team{},
		inboxes: map[int64]*desk.Inbox{}, contacts: map[int64]*desk.Contact{},
		convs: map[int64]*desk.Conversation{}, msgs: map[int64][]desk.Message{},
		tokens: map[int64]*desk.APIToken{}, webhooks: map[int64]*desk.Webhook{}, nextID: 100}
}

func (s *fakeStore) id() int64 { s.nextID++; return s.nextID }

func notFound(what string, id int64) error {
	return fmt.Errorf("%s %d: %w", what, id, desk.ErrNotFound)
}

func (s *fakeStore) AgentByID(_ context.Context, id int64) (*desk.Agent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.agents[id]
	if !ok {
		return nil, notFound("agent", id)
	}
	c := *a
	c.TeamIDs = slices.Clone(a.TeamIDs)
	return &c, nil
}

func (s *fakeStore) CreateAgent(_ context.Context, a *desk.Agent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.agents {
		if strings.EqualFold(o.Email, a.Email) {
			return desk.ErrConflict
		}
	}
	if a.ID == 0 {
		a.ID = s.id()
	}
	c := *a
	s.agents[a.ID] = &c
	return nil
}

func (s *fakeStore) UpdateAgent(_ context.Context, a *desk.Agent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.agents[a.ID]
	if !ok {
		return notFound("agent", a.ID)
	}
	c := *a
	c.TeamIDs = old.TeamIDs
	s.agents[a.ID] = &c
	return nil
}

// DeleteAgentSessions has nothing to do: the fake keeps no sessions.
func (s *fakeStore) DeleteAgentSessions(context.Context, int64, string) error { return nil }

func (s *fakeStore) ListAgents(context.Context) ([]desk.Agent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []desk.Agent
	for _, a := range s.agents {
		c := *a
		c.TeamIDs = slices.Clone(a.TeamIDs)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b desk.Agent) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *fakeStore) SetAgentTeams(_ context.Context, agentID int64, teamIDs []int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSetTeams != nil {
		return s.failSetTeams
	}
	a, ok := s.agents[agentID]
	if !ok {
		return notFound("agent", agentID)
	}
	a.TeamIDs = slices.Clone(teamIDs)
	return nil
}

func (s *fakeStore) SetTeamMembers(_ context.Context, teamID int64, agentIDs []int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range agentIDs {
		if _, ok := s.agents[id]; !ok {
			return desk.Invalid("agents", "unknown agent")
		}
	}
	for _, a := range s.agents {
		a.TeamIDs = slices.DeleteFunc(a.TeamIDs, func(x int64) bool { return x == teamID })
		if slices.Contains(agentIDs, a.ID) {
			a.TeamIDs = append(a.TeamIDs, teamID)
		}
	}
	return nil
}

func (s *fakeStore) CreateTeam(_ context.Context, t *desk.Team) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.ID == 0 {
		t.ID = s.id()
	}
	c := *t
	s.teams[t.ID] = &c
	return nil
}

func (s *fakeStore) UpdateTeam(_ context.Context, t *desk.Team) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.teams[t.ID]; !ok {
		return notFound("team", t.ID)
	}
	c := *t
	s.teams[t.ID] = &c
	return nil
}

func (s *fakeStore) DeleteTeam(_ context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.teams[id]; !ok {
		return notFound("team", id)
	}
	delete(s.teams, id)
	return nil
}

func (s *fakeStore) TeamByID(_ context.Context, id int64) (*desk.Team, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.teams[id]
	if !ok {
		return nil, notFound("team", id)
	}
	c := *t
	return &c, nil
}

func (s *fakeStore) ListTeams(context.Context) ([]desk.Team, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []desk.Team
	for _, t := range s.teams {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b desk.Team) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *fakeStore) TeamMembers(ctx context.Context, teamID int64) ([]desk.Agent, error) {
	all, _ := s.ListAgents(ctx)
	return slices.DeleteFunc(all, func(a desk.Agent) bool { return !slices.Contains(a.TeamIDs, teamID) }), nil
}

func (s *fakeStore) CreateInbox(_ context.Context, in *desk.Inbox) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ID == 0 {
		in.ID = s.id()
	}
	c := *in
	s.inboxes[in.ID] = &c
	return nil
}

func (s *fakeStore) UpdateInbox(_ context.Context, in *desk.Inbox) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.inboxes[in.ID]; !ok {
		return notFound("inbox", in.ID)
	}
	c := *in
	s.inboxes[in.ID] = &c
	return nil
}

func (s *fakeStore) InboxByID(_ context.Context, id int64) (*desk.Inbox, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.inboxes[id]
	if !ok {
		return nil, notFound("inbox", id)
	}
	c := *in
	return &c, nil
}

func (s *fakeStore) ListInboxes(context.Context) ([]desk.Inbox, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []desk.Inbox
	for _, in := range s.inboxes {
		out = append(out, *in)
	}
	slices.SortFunc(out, func(a, b desk.Inbox) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *fakeStore) ContactByID(_ context.Context, id int64) (*desk.Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contacts[id]
	if !ok {
		return nil, notFound("contact", id)
	}
	cp := *c
	return &cp, nil
}

func (s *fakeStore) ListContacts(_ context.Context, q desk.ContactQuery) ([]desk.Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []desk.Contact
	for _, c := range s.contacts {
		if strings.Contains(strings.ToLower(c.Name+" "+c.Email+" "+c.Phone), strings.ToLower(q.Search)) {
			out = append(out, *c)
		}
	}
	slices.SortFunc(out, func(a, b desk.Contact) int { return cmp.Compare(b.ID, a.ID) })
	return out, nil
}

func (s *fakeStore) ConversationByID(_ context.Context, id int64) (*desk.Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok {
		return nil, notFound("conversation", id)
	}
	cp := *c
	return &cp, nil
}

// filtered applies a query's filters, newest activity first.
func (s *fakeStore) filtered(q desk.ConversationQuery) []desk.Conversation {
	var out []desk.Conversation
	for _, c := range s.convs {
		switch q.View {
		case desk.ViewMine:
			if c.AssigneeID != q.AgentID {
				continue
			}
		case desk.ViewUnassigned:
			if c.AssigneeID != 0 {
				continue
			}
		case desk.ViewMyTeams:
			if !slices.Contains(q.TeamIDs, c.TeamID) {
				continue
			}
		}
		if (q.Status != "" && c.Status != q.Status) || (q.Channel != "" && c.Channel != q.Channel) ||
			(q.TeamID != 0 && c.TeamID != q.TeamID) || (q.Label != "" && !slices.Contains(c.Labels, q.Label)) ||
			(q.ContactID != 0 && c.ContactID != q.ContactID) {
			continue
		}
		cp := *c
		if q.WithContact {
			if ct, ok := s.contacts[c.ContactID]; ok {
				ctc := *ct
				cp.Contact = &ctc
			}
		}
		out = append(out, cp)
	}
	slices.SortFunc(out, func(a, b desk.Conversation) int {
		if c := b.LastActivityAt.Compare(a.LastActivityAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

func (s *fakeStore) ListConversations(_ context.Context, q desk.ConversationQuery) (desk.ConversationPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.filtered(q)
	if q.After != nil {
		all = slices.DeleteFunc(all, func(c desk.Conversation) bool {
			return c.LastActivityAt.After(q.After.At) || (c.LastActivityAt.Equal(q.After.At) && c.ID >= q.After.ID)
		})
	}
	limit := cmp.Or(q.Limit, 50)
	var p desk.ConversationPage
	if len(all) > limit {
		last := all[limit-1]
		p.Next = &desk.Cursor{At: last.LastActivityAt, ID: last.ID}
		all = all[:limit]
	}
	p.Items = all
	return p, nil
}

func (s *fakeStore) CountConversations(_ context.Context, q desk.ConversationQuery) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.filtered(q)), nil
}

func (s *fakeStore) ConversationsOfContact(_ context.Context, contactID int64, limit int) ([]desk.Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.filtered(desk.ConversationQuery{ContactID: contactID}), nil
}

func (s *fakeStore) SearchConversations(_ context.Context, q desk.SearchQuery) ([]desk.SearchHit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []desk.SearchHit
	for _, c := range s.filtered(desk.ConversationQuery{}) {
		for _, m := range s.msgs[c.ID] {
			if strings.Contains(strings.ToLower(m.Body), strings.ToLower(q.Text)) {
				out = append(out, desk.SearchHit{Conversation: c, MessageID: m.ID, Snippet: m.Body})
				break
			}
		}
	}
	return out, nil
}

func (s *fakeStore) ListMessages(_ context.Context, conversationID, afterID int64, limit int) ([]desk.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs[conversationID]), nil
}

func (s *fakeStore) ListAPITokens(_ context.Context, agentID int64) ([]desk.APIToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []desk.APIToken
	for _, t := range s.tokens {
		if t.AgentID == agentID {
			out = append(out, *t)
		}
	}
	slices.SortFunc(out, func(a, b desk.APIToken) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *fakeStore) CreateWebhook(_ context.Context, w *desk.Webhook) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.ID = s.id()
	c := *w
	c.Events = slices.Clone(w.Events)
	s.webhooks[w.ID] = &c
	return nil
}

func (s *fakeStore) DeleteWebhook(_ context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.webhooks[id]; !ok {
		return notFound("webhook", id)
	}
	delete(s.webhooks, id)
	return nil
}

func (s *fakeStore) ListWebhooks(context.Context) ([]desk.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []desk.Webhook
	for _, w := range s.webhooks {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b desk.Webhook) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// fakeConversations records the calls the pages make.
type fakeConversations struct {
	mu      sync.Mutex
	calls   []string
	changes []conversation.Change
	err     error
}

func (f *fakeConversations) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.err
}

func (f *fakeConversations) Reply(_ context.Context, by conversation.Actor, id int64, body string, atts []desk.InboundAttachment) (*desk.Message, error) {
	call := fmt.Sprintf("reply %d by %d: %s", id, by.AgentID, body)
	for _, a := range atts {
		call += fmt.Sprintf(" [%s %s %d %s]", a.Name, a.ContentType, a.Size, a.BlobKey)
	}
	if err := f.record(call); err != nil {
		return nil, err
	}
	return &desk.Message{ID: 1, ConversationID: id, Body: body}, nil
}

func (f *fakeConversations) Note(_ context.Context, by conversation.Actor, id int64, body string) (*desk.Message, error) {
	if err := f.record(fmt.Sprintf("note %d by %d: %s", id, by.AgentID, body)); err != nil {
		return nil, err
	}
	return &desk.Message{ID: 1, ConversationID: id, Body: body}, nil
}

func (f *fakeConversations) Update(_ context.Context, by conversation.Actor, id int64, ch conversation.Change) (*desk.Conversation, error) {
	if err := f.record(fmt.Sprintf("update %d by %d", id, by.AgentID)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.changes = append(f.changes, ch)
	f.mu.Unlock()
	return &desk.Conversation{ID: id}, nil
}

func (f *fakeConversations) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

type fakeContacts struct{ updated []int64 }

func (f *fakeContacts) Update(_ context.Context, id int64, in contact.Input) (*desk.Contact, error) {
	f.updated = append(f.updated, id)
	return &desk.Contact{ID: id}, nil
}

// recordingAgents is the real auth.Agents, counting calls.
type recordingAgents struct {
	*auth.Agents
	creates, updates int
}

func (r *recordingAgents) Create(ctx context.Context, email, name string, role desk.Role, locale, password string) (*desk.Agent, error) {
	r.creates++
	return r.Agents.Create(ctx, email, name, role, locale, password)
}

func (r *recordingAgents) Update(ctx context.Context, id int64, ch auth.AgentChange) (*desk.Agent, error) {
	r.updates++
	return r.Agents.Update(ctx, id, ch)
}

func checkPW(hash, password string) bool {
	ok, err := auth.CheckPassword(hash, password)
	return err == nil && ok
}

// fakeAuth accepts one password at login; it keeps passwords and tokens in
// the fake store.
type fakeAuth struct {
	st          *fakeStore
	password    string
	limited     bool
	invalidated []int64
	loggedOut   []string
}

func (f *fakeAuth) Login(_ context.Context, email, password, _ string) (*desk.Agent, *desk.Session, string, error) {
	if f.limited {
		return nil, nil, "", desk.ErrRateLimited
	}
	if password != f.password {
		return nil, nil, "", fmt.Errorf("auth: login: %w", desk.ErrUnauthorized)
	}
	return &desk.Agent{ID: 1, Email: email}, &desk.Session{ID: "s", AgentID: 1, CSRFToken: "tok",
		ExpiresAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, "cookie-value", nil
}

func (f *fakeAuth) Logout(_ context.Context, v string) error {
	f.loggedOut = append(f.loggedOut, v)
	return nil
}

func (f *fakeAuth) CookieExpires(s *desk.Session) time.Time { return s.ExpiresAt }

func (f *fakeAuth) InvalidateAgent(id int64) { f.invalidated = append(f.invalidated, id) }

func (f *fakeAuth) SetPassword(ctx context.Context, agentID int64, pw string) error {
	if len(pw) < 10 {
		return fmt.Errorf("auth: set password: %w", desk.Invalid("password", "too short"))
	}
	a, err := f.st.AgentByID(ctx, agentID)
	if err != nil {
		return err
	}
	a.PasswordHash = "set:" + pw
	return f.st.UpdateAgent(ctx, a)
}

func (f *fakeAuth) CreateToken(_ context.Context, agentID int64, name string) (string, *desk.APIToken, error) {
	if strings.TrimSpace(name) == "" {
		return "", nil, desk.Invalid("name", "is required")
	}
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	t := &desk.APIToken{ID: f.st.id(), AgentID: agentID, Name: name, Prefix: "blt_abcd", CreatedAt: now}
	f.st.tokens[t.ID] = t
	return fmt.Sprintf("blt_abcd-secret-%d", t.ID), t, nil
}

func (f *fakeAuth) RevokeToken(_ context.Context, agentID, tokenID int64) error {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	t, ok := f.st.tokens[tokenID]
	if !ok || t.AgentID != agentID {
		return fmt.Errorf("auth: revoke token: %w", desk.ErrNotFound)
	}
	delete(f.st.tokens, tokenID)
	return nil
}

// fakeUploads keeps uploads in memory and refuses ".exe" names.
type fakeUploads struct {
	mu        sync.Mutex
	stored    map[string][]byte
	discarded []string
	n         int
}

func (u *fakeUploads) Store(_ context.Context, name string, r io.Reader) (desk.InboundAttachment, error) {
	if strings.HasSuffix(name, ".exe") {
		return desk.InboundAttachment{}, fmt.Errorf("upload %q: not allowed: %w", name, desk.ErrInvalid)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return desk.InboundAttachment{}, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n++
	key := fmt.Sprintf("key%d", u.n)
	u.stored[key] = b
	return desk.InboundAttachment{Name: name, ContentType: "text/plain; charset=utf-8", Size: int64(len(b)), BlobKey: key}, nil
}

func (u *fakeUploads) Discard(_ context.Context, a desk.InboundAttachment) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.stored, a.BlobKey)
	u.discarded = append(u.discarded, a.BlobKey)
}

// DeflectionStats: the fake has no contact page.
func (s *fakeStore) DeflectionStats(context.Context, time.Time, time.Time) ([]desk.DeflectionStat, error) {
	return nil, nil
}

func (f *fakeConversations) Retry(_ context.Context, messageID int64) (*desk.Message, error) {
	if err := f.record(fmt.Sprintf("retry %d", messageID)); err != nil {
		return nil, err
	}
	return &desk.Message{ID: messageID, Delivery: desk.DeliveryQueued}, nil
}

func (s *fakeStore) MessageByID(_ context.Context, id int64) (*desk.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ms := range s.msgs {
		for i := range ms {
			if ms[i].ID == id {
				m := ms[i]
				return &m, nil
			}
		}
	}
	return nil, notFound("message", id)
}

func (f *fakeConversations) Continue(_ context.Context, by conversation.Actor, fromID, toInbox int64, body string) (*desk.Conversation, *desk.Message, error) {
	if err := f.record(fmt.Sprintf("continue %d in inbox %d by %d: %s", fromID, toInbox, by.AgentID, body)); err != nil {
		return nil, nil, err
	}
	return &desk.Conversation{ID: 900 + fromID, InboxID: toInbox}, &desk.Message{ID: 9000}, nil
}
