package auth

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// fakeStore is an in-memory Store. Unlike real drivers, SessionByID returns
// expired sessions, so that the service's own expiry check is what tests see.
type fakeStore struct {
	mu       sync.Mutex
	agents   map[int64]*desk.Agent
	sessions map[string]desk.Session
	tokens   map[int64]desk.APIToken
	nextID   int64
	calls    map[string]int
	touches  []time.Time
	// beforeTokenLookup, when set, runs at the start of APITokenByHash
	// without the lock held, so that tests can hold lookups in flight.
	beforeTokenLookup func()
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		agents:   make(map[int64]*desk.Agent),
		sessions: make(map[string]desk.Session),
		tokens:   make(map[int64]desk.APIToken),
		calls:    make(map[string]int),
	}
}

func (f *fakeStore) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeStore) addAgent(a desk.Agent) *desk.Agent {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	a.ID = f.nextID
	f.agents[a.ID] = &a
	c := a
	return &c
}

func (f *fakeStore) setDisabled(id int64, disabled bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents[id].Disabled = disabled
}

func (f *fakeStore) AgentByID(_ context.Context, id int64) (*desk.Agent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["AgentByID"]++
	a, ok := f.agents[id]
	if !ok {
		return nil, desk.ErrNotFound
	}
	c := *a
	return &c, nil
}

func (f *fakeStore) AgentByEmail(_ context.Context, email string) (*desk.Agent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["AgentByEmail"]++
	for _, a := range f.agents {
		if strings.EqualFold(a.Email, email) {
			c := *a
			return &c, nil
		}
	}
	return nil, desk.ErrNotFound
}

func (f *fakeStore) UpdateAgent(_ context.Context, a *desk.Agent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["UpdateAgent"]++
	if _, ok := f.agents[a.ID]; !ok {
		return desk.ErrNotFound
	}
	c := *a
	f.agents[a.ID] = &c
	return nil
}

func (f *fakeStore) CreateSession(_ context.Context, s *desk.Session) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.sessions[s.ID]; ok {
		return desk.ErrConflict
	}
	f.sessions[s.ID] = *s
	return nil
}

func (f *fakeStore) SessionByID(_ context.Context, id string) (*desk.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[id]
	if !ok {
		return nil, desk.ErrNotFound
	}
	return &s, nil
}

func (f *fakeStore) DeleteSession(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.sessions[id]; !ok {
		return desk.ErrNotFound
	}
	delete(f.sessions, id)
	return nil
}

func (f *fakeStore) CreateAPIToken(_ context.Context, t *desk.APIToken) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	t.ID = f.nextID
	f.tokens[t.ID] = *t
	return nil
}

func (f *fakeStore) APITokenByHash(_ context.Context, hash string) (*desk.APIToken, error) {
	f.mu.Lock()
	hook := f.beforeTokenLookup
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["APITokenByHash"]++
	for _, t := range f.tokens {
		if t.Hash == hash {
			return &t, nil
		}
	}
	return nil, desk.ErrNotFound
}

func (f *fakeStore) ListAPITokens(_ context.Context, agentID int64) ([]desk.APIToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []desk.APIToken
	for _, t := range f.tokens {
		if t.AgentID == agentID {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *fakeStore) DeleteAPIToken(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokens[id]; !ok {
		return desk.ErrNotFound
	}
	delete(f.tokens, id)
	return nil
}

func (f *fakeStore) TouchAPIToken(_ context.Context, id int64, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tokens[id]
	if !ok {
		return desk.ErrNotFound
	}
	t.LastUsedAt = at
	f.tokens[id] = t
	f.touches = append(f.touches, at)
	return nil
}

func (f *fakeStore) TouchSession(_ context.Context, id string, expiresAt time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["TouchSession"]++
	s, ok := f.sessions[id]
	if !ok {
		return desk.ErrNotFound
	}
	s.ExpiresAt = expiresAt
	f.sessions[id] = s
	return nil
}

func (f *fakeStore) DeleteAgentSessions(_ context.Context, agentID int64, exceptID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DeleteAgentSessions"]++
	for id, s := range f.sessions {
		if s.AgentID == agentID && id != exceptID {
			delete(f.sessions, id)
		}
	}
	return nil
}

// sessionsOf returns the ids of an agent's stored sessions.
func (f *fakeStore) sessionsOf(agentID int64) map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]bool{}
	for id, s := range f.sessions {
		if s.AgentID == agentID {
			out[id] = true
		}
	}
	return out
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cheapParams keep tests fast; the encoding and checks are the same.
var cheapParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const testPassword = "correct horse battery"

// newTestService returns a service with cheap hashing and one agent,
// ann@example.com, holding testPassword.
func newTestService(t testing.TB, opts Options) (*Service, *fakeStore, *fakeClock, *desk.Agent) {
	t.Helper()
	st := newFakeStore()
	clock := newFakeClock()
	if opts.Params == (Params{}) {
		opts.Params = cheapParams
	}
	h, err := HashPasswordWith(testPassword, opts.Params)
	if err != nil {
		t.Fatal(err)
	}
	ann := st.addAgent(desk.Agent{Email: "ann@example.com", Name: "Ann", Role: desk.RoleAgent, PasswordHash: h})
	return New(st, clock, opts), st, clock, ann
}

func (f *fakeStore) CreateAgent(_ context.Context, a *desk.Agent) error {
	a.ID = f.addAgent(*a).ID
	return nil
}
