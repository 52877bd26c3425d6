package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/routing"
)

// routingStore adds the routing part of the storage contract to the fake
// store, so that the pages run over a real routing.Service.
type routingStore struct {
	*fakeStore
	// The SLA escalation methods are part of the routing contract, but no
	// routing page reaches them: nil, they fail loudly if one ever does.
	desk.SLAEscalationStore
	mu    sync.Mutex
	rules []desk.RoutingRule
	next  int64
}

func (s *routingStore) ListRoutingRules(context.Context) ([]desk.RoutingRule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.rules)
	slices.SortStableFunc(out, func(a, b desk.RoutingRule) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *routingStore) CreateRoutingRule(_ context.Context, r *desk.RoutingRule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	r.ID, r.CreatedAt, r.UpdatedAt = s.next, now, now
	s.rules = append(s.rules, *r)
	return nil
}

func (s *routingStore) UpdateRoutingRule(_ context.Context, r *desk.RoutingRule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.rules {
		if s.rules[i].ID == r.ID {
			s.rules[i] = *r
			return nil
		}
	}
	return notFound("rule", r.ID)
}

func (s *routingStore) DeleteRoutingRule(_ context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.rules)
	s.rules = slices.DeleteFunc(s.rules, func(r desk.RoutingRule) bool { return r.ID == id })
	if len(s.rules) == n {
		return notFound("rule", id)
	}
	return nil
}

func (s *routingStore) ListSLAPolicies(context.Context) ([]desk.SLAPolicy, error) { return nil, nil }
func (s *routingStore) CreateSLAPolicy(context.Context, *desk.SLAPolicy) error    { return nil }
func (s *routingStore) UpdateSLAPolicy(context.Context, *desk.SLAPolicy) error    { return nil }
func (s *routingStore) DeleteSLAPolicy(context.Context, int64) error              { return nil }
func (s *routingStore) SLADue(context.Context, int) ([]desk.Conversation, error)  { return nil, nil }

func (s *routingStore) SetAgentSkills(_ context.Context, id int64, skills []desk.Skill) error {
	s.fakeStore.mu.Lock()
	defer s.fakeStore.mu.Unlock()
	a, ok := s.agents[id]
	if !ok {
		return notFound("agent", id)
	}
	a.Skills = slices.Clone(skills)
	return nil
}

func (s *routingStore) AssigneeLoad(context.Context) (map[int64]map[desk.ChannelKind]int, error) {
	s.fakeStore.mu.Lock()
	defer s.fakeStore.mu.Unlock()
	out := map[int64]map[desk.ChannelKind]int{}
	for _, c := range s.convs {
		if c.AssigneeID != 0 && c.Status != desk.StatusResolved {
			if out[c.AssigneeID] == nil {
				out[c.AssigneeID] = map[desk.ChannelKind]int{}
			}
			out[c.AssigneeID][c.Channel]++
		}
	}
	return out, nil
}

func (s *routingStore) UpdateContact(_ context.Context, c *desk.Contact) error {
	s.fakeStore.mu.Lock()
	defer s.fakeStore.mu.Unlock()
	if _, ok := s.contacts[c.ID]; !ok {
		return notFound("contact", c.ID)
	}
	cp := *c
	s.contacts[c.ID] = &cp
	return nil
}

// nopConversations is never called by the pages' use of routing.
type nopConversations struct{}

func (nopConversations) Update(context.Context, conversation.Actor, int64, conversation.Change) (*desk.Conversation, error) {
	return nil, desk.ErrNotFound
}

func (nopConversations) Reply(context.Context, conversation.Actor, int64, string, []desk.InboundAttachment) (*desk.Message, error) {
	return nil, desk.ErrNotFound
}

type nopBus struct{}

func (nopBus) Publish(context.Context, desk.Event)        {}
func (nopBus) Subscribe(func(desk.Event)) (cancel func()) { return func() {} }

// withRouting wires a routing service over the fixture's store.
func withRouting(t *testing.T) (*fixture, *routingStore) {
	t.Helper()
	f := newFixture(t)
	rs := &routingStore{fakeStore: f.st}
	f.h.d.Routing = routing.NewService(rs, nopConversations{}, nopBus{},
		routing.Options{Clock: desk.ClockFunc(func() time.Time { return now })})
	return f, rs
}

func TestRoutingPagesCheckRoles(t *testing.T) {
	f, _ := withRouting(t)
	tests := []struct {
		name   string
		agent  *desk.Agent
		method string
		path   string
		want   int
	}{
		{"an agent may not read the rules", f.anna, http.MethodGet, "/admin/routing", http.StatusForbidden},
		{"a supervisor reads the rules", f.bram, http.MethodGet, "/admin/routing", http.StatusOK},
		{"a supervisor may not add a rule", f.bram, http.MethodPost, "/admin/routing", http.StatusForbidden},
		{"a supervisor may not change skills", f.bram, http.MethodPost, "/admin/agents/1/routing", http.StatusForbidden},
		{"a supervisor reads an agent's skills", f.bram, http.MethodGet, "/admin/agents/1/routing", http.StatusOK},
		{"an agent may not read skills", f.anna, http.MethodGet, "/admin/agents/1/routing", http.StatusForbidden},
		{"an agent opens a contact's owner", f.anna, http.MethodGet, "/app/contacts/30/owner", http.StatusOK},
		{"an admin adds a rule", f.carla, http.MethodPost, "/admin/routing", http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w interface{ Result() *http.Response }
			if tc.method == http.MethodPost {
				w = f.post(tc.agent, tc.path, url.Values{"name": {"Facturen"}, "team": {"11"}})
			} else {
				w = f.do(request(tc.method, tc.path, tc.agent, nil))
			}
			if got := w.Result().StatusCode; got != tc.want {
				t.Fatalf("%s %s as %s: status %d, want %d", tc.method, tc.path, tc.agent.Role, got, tc.want)
			}
		})
	}
}

func TestRoutingPagesWithoutRoutingAre404(t *testing.T) {
	f := newFixture(t)
	if w := f.do(request(http.MethodGet, "/admin/routing", f.carla, nil)); w.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404 when routing is not wired", w.Code)
	}
}

func TestRoutingRuleForm(t *testing.T) {
	tests := []struct {
		name      string
		form      url.Values
		wantFlash string
		want      string // the stored rule as "name team skills priority", "" none
	}{
		{"a rule with skills", url.Values{"name": {" Facturen "}, "team": {"11"}, "enabled": {"on"},
			"categories": {"Billing, refunds"}, "channel": {"webchat", "email"}, "skills": {"lang:nl=3, category:billing"},
			"priority": {"high"}}, "ok|flash.created|", "Facturen 11 lang:nl=3,category:billing=1 high"},
		{"no team", url.Values{"name": {"X"}}, "error|flash.invalid|team", ""},
		{"no name", url.Values{"team": {"11"}}, "error|flash.invalid|name", ""},
		{"a skill without kind", url.Values{"name": {"X"}, "team": {"11"}, "skills": {"dutch=3"}}, "error|flash.invalid|skills", ""},
		{"a level out of range", url.Values{"name": {"X"}, "team": {"11"}, "skills": {"lang:nl=9"}}, "error|flash.invalid|skills", ""},
		{"an unknown channel", url.Values{"name": {"X"}, "team": {"11"}, "channel": {"fax"}}, "error|flash.invalid|channels", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, rs := withRouting(t)
			w := f.post(f.carla, "/admin/routing", tc.form)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", w.Code)
			}
			if got := flashOf(w); got != tc.wantFlash {
				t.Errorf("flash = %q, want %q", got, tc.wantFlash)
			}
			rules, _ := rs.ListRoutingRules(t.Context())
			got := ""
			if len(rules) == 1 {
				r := rules[0]
				var skills []string
				for _, s := range r.Skills {
					skills = append(skills, fmt.Sprintf("%s=%d", s.Name, s.Level))
				}
				got = fmt.Sprintf("%s %d %s %s", r.Name, r.TeamID, strings.Join(skills, ","), r.Priority)
			}
			if got != tc.want {
				t.Errorf("stored rule = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRoutingMoveAndDelete(t *testing.T) {
	f, rs := withRouting(t)
	for _, name := range []string{"Eerste", "Tweede"} {
		if w := f.post(f.carla, "/admin/routing", url.Values{"name": {name}, "team": {"10"}}); flashOf(w) != "ok|flash.created|" {
			t.Fatalf("create %s: flash %q", name, flashOf(w))
		}
	}
	f.post(f.carla, "/admin/routing/2/move", url.Values{"dir": {"up"}})
	rules, _ := rs.ListRoutingRules(t.Context())
	if len(rules) != 2 || rules[0].Name != "Tweede" {
		t.Fatalf("after moving Tweede up, first is %q, want Tweede", rules[0].Name)
	}
	f.post(f.carla, "/admin/routing/1/delete", nil)
	rules, _ = rs.ListRoutingRules(t.Context())
	if len(rules) != 1 || rules[0].Name != "Tweede" {
		t.Fatalf("after deleting Eerste, rules = %v", rules)
	}
}

func TestRoutingPreviewPage(t *testing.T) {
	f, rs := withRouting(t)
	// Anna (team 10, online) has conversation 40 open already.
	if err := rs.CreateRoutingRule(t.Context(), &desk.RoutingRule{Name: "Facturen", Position: 10, Enabled: true,
		Categories: []string{"billing"}, TeamID: 11}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"billing goes to Finance, where nobody is", "category=billing&channel=webchat&team=10",
			[]string{"Rule “Facturen” matches.", "Team: Finance.", "Nobody would get it now", "Facturen: matches"}},
		{"anything else stays with the inbox team", "category=delivery&channel=webchat&team=10",
			[]string{"No rule matches.", "It would go to Anna Jansen now.", "Facturen: category “delivery” is not one of billing"}},
		{"a stored conversation", "conversation=42",
			[]string{"No rule matches.", "Team: Klantenservice.", "It would go to Anna Jansen now."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(request(http.MethodGet, "/admin/routing?preview=1&"+tc.query, f.carla, nil))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200:\n%s", w.Code, w.Body)
			}
			body := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("the preview does not say %q", s)
				}
			}
		})
	}
	w := f.do(request(http.MethodGet, "/admin/routing?preview=1&category=billing&channel=webchat&team=10", f.carla, nil))
	golden(t, "admin_routing_en.html", w.Body.Bytes())
}

func TestAgentRoutingForm(t *testing.T) {
	tests := []struct {
		name       string
		form       url.Values
		wantFlash  string
		wantSkills string
		wantChat   int // capacity on web chat; -1 default
	}{
		{"skills and a chat limit", url.Values{"skills": {"lang:nl=5, Category:Billing=2"}, "capacity.webchat": {"2"}},
			"ok|flash.saved|", "category:billing=2,lang:nl=5", 2},
		{"defaults", url.Values{"skills": {""}, "capacity.webchat": {""}}, "ok|flash.saved|", "", -1},
		{"a capacity that is not a number", url.Values{"capacity.webchat": {"veel"}}, "error|flash.invalid|capacity", "", -1},
		{"a skill twice", url.Values{"skills": {"lang:nl=2, lang:nl=3"}}, "error|flash.invalid|skills", "", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := withRouting(t)
			w := f.post(f.carla, "/admin/agents/1/routing", tc.form)
			if got := flashOf(w); got != tc.wantFlash {
				t.Errorf("flash = %q, want %q", got, tc.wantFlash)
			}
			a, _ := f.st.AgentByID(t.Context(), 1)
			var skills []string
			for _, s := range a.Skills {
				skills = append(skills, fmt.Sprintf("%s=%d", s.Name, s.Level))
			}
			if got := strings.Join(skills, ","); got != tc.wantSkills {
				t.Errorf("skills = %q, want %q", got, tc.wantSkills)
			}
			chat, ok := a.Capacity[desk.ChannelWebChat]
			if !ok {
				chat = -1
			}
			if chat != tc.wantChat {
				t.Errorf("web chat capacity = %d, want %d", chat, tc.wantChat)
			}
		})
	}
}

func TestContactOwnerForm(t *testing.T) {
	tests := []struct {
		name      string
		owner     string
		wantFlash string
		want      int64
	}{
		{"an agent sets the owner", "3", "ok|flash.saved|", 3},
		{"nobody", "0", "ok|flash.saved|", 0},
		{"an unknown agent", "999", "error|flash.invalid|owner_id", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := withRouting(t)
			w := f.post(f.anna, "/app/contacts/30/owner", url.Values{"owner": {tc.owner}})
			if got := flashOf(w); got != tc.wantFlash {
				t.Errorf("flash = %q, want %q", got, tc.wantFlash)
			}
			c, _ := f.st.ContactByID(t.Context(), 30)
			if c.OwnerID != tc.want {
				t.Errorf("owner = %d, want %d", c.OwnerID, tc.want)
			}
		})
	}
}
