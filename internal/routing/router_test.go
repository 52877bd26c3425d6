package routing

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// tickClock advances a second on every reading, so that each assignment has
// its own time.
type tickClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *tickClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// ag builds an online agent in teams with a webchat capacity of 3 and an
// email capacity of 10.
func ag(id int64, teams ...int64) AgentState {
	return AgentState{ID: id, TeamIDs: teams, Status: desk.Online,
		Capacity: map[desk.ChannelKind]int{desk.ChannelWebChat: 3, desk.ChannelEmail: 10},
		Load:     map[desk.ChannelKind]int{}}
}

func with(a AgentState, fs ...func(*AgentState)) AgentState {
	for _, f := range fs {
		f(&a)
	}
	return a
}

func newTestRouter(t *testing.T, teams []Team, agents ...AgentState) *Router {
	t.Helper()
	r := NewRouter(&tickClock{now: t0})
	for _, tm := range teams {
		if err := r.SetTeam(tm); err != nil {
			t.Fatalf("SetTeam(%+v): %v", tm, err)
		}
	}
	for _, a := range agents {
		if err := r.SetAgent(a); err != nil {
			t.Fatalf("SetAgent(%d): %v", a.ID, err)
		}
	}
	return r
}

func TestPick(t *testing.T) {
	nl := func(level int) []Skill { return []Skill{{Name: "lang:nl", Level: level}} }
	webchat := Request{ConversationID: 1, Channel: desk.ChannelWebChat}
	email := Request{ConversationID: 1, Channel: desk.ChannelEmail}
	owner := func(req Request, id int64) Request { req.AccountOwnerID = id; return req }
	load := func(webchat, email int) func(*AgentState) {
		return func(a *AgentState) {
			a.Load = map[desk.ChannelKind]int{desk.ChannelWebChat: webchat, desk.ChannelEmail: email}
		}
	}
	status := func(s desk.Availability) func(*AgentState) { return func(a *AgentState) { a.Status = s } }
	skills := func(s ...Skill) func(*AgentState) { return func(a *AgentState) { a.Skills = s } }
	last := func(d time.Duration) func(*AgentState) { return func(a *AgentState) { a.LastAssigned = t0.Add(d) } }

	tests := []struct {
		name       string
		teams      []Team
		agents     []AgentState
		need       Need
		req        Request
		want       int64 // 0: nobody
		wantReason string
	}{
		{"skill level below minimum excluded", nil, []AgentState{
			with(ag(1, 1), skills(Skill{"lang:nl", 2})),
			with(ag(2, 1), skills(Skill{"lang:nl", 4}), load(2, 0)),
		}, Need{TeamID: 1, Skills: nl(3)}, webchat, 2, "least loaded in team 1"},
		{"skill names ignore case", nil, []AgentState{
			with(ag(1, 1), skills(Skill{"Lang:NL", 3})),
		}, Need{TeamID: 1, Skills: []Skill{{Name: "LANG:nl", Level: 3}}}, webchat, 1, ""},
		{"all skills required", nil, []AgentState{
			with(ag(1, 1), skills(Skill{"lang:nl", 5})),
			with(ag(2, 1), skills(Skill{"lang:nl", 5}, Skill{"category:billing", 1}), load(2, 0)),
		}, Need{TeamID: 1, Skills: []Skill{{"lang:nl", 1}, {"category:billing", 1}}}, webchat, 2, ""},
		{"nobody with the skill", nil, []AgentState{ag(1, 1), ag(2, 1)},
			Need{TeamID: 1, Skills: nl(1)}, webchat, 0, "nobody free in team 1: 0 not online, 2 without the skills, 0 at capacity on webchat"},
		{"full on the channel excluded", nil, []AgentState{
			with(ag(1, 1), load(3, 0)),
			with(ag(2, 1), load(2, 0)),
		}, Need{TeamID: 1}, webchat, 2, ""},
		{"capacity is per channel", nil, []AgentState{
			with(ag(1, 1), load(3, 0)),
			with(ag(2, 1), load(2, 1)),
		}, Need{TeamID: 1}, email, 1, "least loaded in team 1: email 0/10"},
		{"channel without capacity not taken", nil, []AgentState{
			with(ag(1, 1), func(a *AgentState) { a.Capacity = map[desk.ChannelKind]int{desk.ChannelEmail: 10} }),
			with(ag(2, 1), load(2, 0)),
		}, Need{TeamID: 1}, webchat, 2, ""},
		{"away and offline excluded", nil, []AgentState{
			with(ag(1, 1), status(desk.Away)),
			with(ag(2, 1), status(desk.Offline)),
			with(ag(3, 1), load(2, 0)),
		}, Need{TeamID: 1}, webchat, 3, ""},
		{"everyone away", nil, []AgentState{
			with(ag(1, 1), status(desk.Away)),
			with(ag(2, 1), load(3, 0)),
		}, Need{TeamID: 1}, webchat, 0, "1 not online, 0 without the skills, 1 at capacity"},
		{"least loaded by ratio", nil, []AgentState{
			with(ag(1, 1), load(0, 3), func(a *AgentState) { a.Capacity[desk.ChannelEmail] = 4 }), // 3/4
			with(ag(2, 1), load(0, 5)), // 5/10
		}, Need{TeamID: 1}, email, 2, ""},
		{"tie goes to longest since last assignment", nil, []AgentState{
			with(ag(1, 1), load(1, 0), last(-time.Minute)),
			with(ag(2, 1), load(1, 0), last(-time.Hour)),
			with(ag(3, 1), load(1, 0), last(-time.Second)),
		}, Need{TeamID: 1}, webchat, 2, ""},
		{"equal ratio, different capacities, is a tie", nil, []AgentState{
			with(ag(1, 1), load(0, 5), last(-time.Minute)),                                                          // 5/10
			with(ag(2, 1), load(0, 2), last(-time.Hour), func(a *AgentState) { a.Capacity[desk.ChannelEmail] = 4 }), // 2/4
		}, Need{TeamID: 1}, email, 2, ""},
		{"full tie goes to lowest id", nil, []AgentState{ag(3, 1), ag(2, 1), ag(5, 1)},
			Need{TeamID: 1}, webchat, 2, ""},
		{"round robin ignores load", []Team{{ID: 1, Mode: ModeRoundRobin}}, []AgentState{
			with(ag(1, 1), load(0, 0), last(-time.Minute)),
			with(ag(2, 1), load(2, 0), last(-time.Hour)),
		}, Need{TeamID: 1}, webchat, 2, "round robin in team 1"},
		{"other teams excluded", nil, []AgentState{ag(1, 2), with(ag(2, 1), load(2, 0))},
			Need{TeamID: 1}, webchat, 2, ""},
		{"no team means anyone", nil, []AgentState{with(ag(1, 2), load(1, 0)), ag(2), with(ag(3, 1), load(2, 0))},
			Need{}, webchat, 2, "least loaded in any team"},
		{"team without agents", nil, []AgentState{ag(1, 2)},
			Need{TeamID: 1}, webchat, 0, "no agents in team 1"},
		{"manual team", []Team{{ID: 1, Mode: ModeManual}}, []AgentState{ag(1, 1)},
			Need{TeamID: 1}, webchat, 0, "team 1 picks by hand"},
		{"account owner preferred over less loaded", nil, []AgentState{ag(1, 1), with(ag(2, 1), load(2, 0))},
			Need{TeamID: 1}, owner(webchat, 2), 2, "account owner 2"},
		{"account owner needs neither team nor skills", nil, []AgentState{with(ag(1, 1), skills(Skill{"lang:nl", 5})), ag(9, 7)},
			Need{TeamID: 1, Skills: nl(3)}, owner(webchat, 9), 9, "account owner 9"},
		{"account owner preferred in a manual team", []Team{{ID: 1, Mode: ModeManual}}, []AgentState{ag(1, 1)},
			Need{TeamID: 1}, owner(webchat, 1), 1, ""},
		{"account owner away falls back to team", nil, []AgentState{ag(1, 1), with(ag(2, 1), status(desk.Away))},
			Need{TeamID: 1}, owner(webchat, 2), 1, "account owner 2 is away; least loaded in team 1"},
		{"account owner full falls back to team", nil, []AgentState{with(ag(1, 1), load(2, 0)), with(ag(2, 1), load(3, 0))},
			Need{TeamID: 1}, owner(webchat, 2), 1, "account owner 2 is at capacity on webchat (3/3)"},
		{"unknown account owner falls back to team", nil, []AgentState{ag(1, 1)},
			Need{TeamID: 1}, owner(webchat, 42), 1, "account owner 42 is not known"},
		{"account owner away in a manual team", []Team{{ID: 1, Mode: ModeManual}}, []AgentState{with(ag(1, 1), status(desk.Offline))},
			Need{TeamID: 1}, owner(webchat, 1), 0, "account owner 1 is offline; team 1 picks by hand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRouter(t, tt.teams, tt.agents...)
			got, reason, ok := r.Pick(tt.need, tt.req)
			if got != tt.want || ok != (tt.want != 0) {
				t.Errorf("Pick() = %d, %v (%s), want %d", got, ok, reason, tt.want)
			}
			if !strings.Contains(reason.String(), tt.wantReason) {
				t.Errorf("Pick() reason = %q, want it to contain %q", reason, tt.wantReason)
			}
		})
	}
}

func TestPickChangesNothing(t *testing.T) {
	r := newTestRouter(t, nil, ag(1, 1))
	for range 5 {
		if got, _, _ := r.Pick(Need{TeamID: 1}, Request{Channel: desk.ChannelWebChat}); got != 1 {
			t.Fatalf("Pick() = %d, want 1", got)
		}
	}
	a, _ := r.Agent(1)
	if a.Load[desk.ChannelWebChat] != 0 || !a.LastAssigned.IsZero() {
		t.Errorf("after Pick, load = %d and last assigned = %v, want 0 and zero", a.Load[desk.ChannelWebChat], a.LastAssigned)
	}
}

func TestAssignSequence(t *testing.T) {
	tests := []struct {
		name   string
		mode   Mode
		agents []AgentState
		want   []int64 // one Assign each; 0: nobody
	}{
		{"round robin rotates", ModeRoundRobin, []AgentState{ag(1, 1), ag(2, 1), ag(3, 1)},
			[]int64{1, 2, 3, 1, 2, 3, 1, 2, 3, 0}},
		{"round robin skips the full", ModeRoundRobin, []AgentState{ag(1, 1), with(ag(2, 1), func(a *AgentState) {
			a.Load = map[desk.ChannelKind]int{desk.ChannelWebChat: 2}
		}), ag(3, 1)},
			[]int64{1, 2, 3, 1, 3, 1, 3, 0}},
		{"least loaded fills evenly", ModeLeastLoaded, []AgentState{ag(1, 1), with(ag(2, 1), func(a *AgentState) {
			a.Capacity = map[desk.ChannelKind]int{desk.ChannelWebChat: 6}
		})},
			[]int64{1, 2, 2, 1, 2, 2, 1, 2, 2, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRouter(t, []Team{{ID: 1, Mode: tt.mode}}, tt.agents...)
			var got []int64
			for i := range tt.want {
				id, _, _ := r.Assign(Need{TeamID: 1}, Request{ConversationID: int64(i + 1), Channel: desk.ChannelWebChat})
				got = append(got, id)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Assign sequence = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAssignCounts(t *testing.T) {
	r := newTestRouter(t, nil, ag(1, 1))
	id, _, ok := r.Assign(Need{TeamID: 1}, Request{Channel: desk.ChannelEmail})
	if !ok || id != 1 {
		t.Fatalf("Assign() = %d, %v, want 1, true", id, ok)
	}
	a, _ := r.Agent(1)
	if got := a.Load[desk.ChannelEmail]; got != 1 {
		t.Errorf("email load after Assign = %d, want 1", got)
	}
	if want := t0.Add(time.Second); !a.LastAssigned.Equal(want) {
		t.Errorf("LastAssigned = %v, want %v", a.LastAssigned, want)
	}
}

func TestRouterUpdates(t *testing.T) {
	webchat := Request{Channel: desk.ChannelWebChat}
	tests := []struct {
		name   string
		update func(t *testing.T, r *Router)
		need   Need
		want   int64
	}{
		{"moved to another team", func(t *testing.T, r *Router) {
			if err := r.SetAgent(ag(1, 2)); err != nil {
				t.Fatal(err)
			}
		}, Need{TeamID: 1}, 2},
		{"moved team is found there", func(t *testing.T, r *Router) {
			if err := r.SetAgent(ag(1, 2)); err != nil {
				t.Fatal(err)
			}
		}, Need{TeamID: 2}, 1},
		{"removed", func(t *testing.T, r *Router) { r.RemoveAgent(1) }, Need{TeamID: 1}, 2},
		{"removed from no-team candidates", func(t *testing.T, r *Router) { r.RemoveAgent(1) }, Need{}, 2},
		{"went away", func(t *testing.T, r *Router) {
			if err := r.SetStatus(1, desk.Away); err != nil {
				t.Fatal(err)
			}
		}, Need{TeamID: 1}, 2},
		{"load added", func(t *testing.T, r *Router) {
			if err := r.AddLoad(1, desk.ChannelWebChat, 2); err != nil {
				t.Fatal(err)
			}
		}, Need{TeamID: 1}, 2},
		{"load never negative", func(t *testing.T, r *Router) {
			if err := r.AddLoad(1, desk.ChannelWebChat, -5); err != nil {
				t.Fatal(err)
			}
			if err := r.AddLoad(1, desk.ChannelWebChat, 1); err != nil {
				t.Fatal(err)
			}
		}, Need{TeamID: 1}, 2},
		{"caller's maps are copied", func(t *testing.T, r *Router) {
			a := ag(3, 1)
			if err := r.SetAgent(a); err != nil {
				t.Fatal(err)
			}
			a.Capacity[desk.ChannelWebChat] = 0
		}, Need{TeamID: 1}, 3},
		{"team becomes manual", func(t *testing.T, r *Router) {
			if err := r.SetTeam(Team{ID: 1, Mode: ModeManual}); err != nil {
				t.Fatal(err)
			}
		}, Need{TeamID: 1}, 0},
		{"team mode forgotten", func(t *testing.T, r *Router) {
			if err := r.SetTeam(Team{ID: 1, Mode: ModeManual}); err != nil {
				t.Fatal(err)
			}
			r.RemoveTeam(1)
		}, Need{TeamID: 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Agent 1 is free; agent 2 has one chat and waited longer since
			// the last; agent 3 (when added) is free and never had one.
			r := newTestRouter(t, nil, with(ag(1, 1), func(a *AgentState) { a.LastAssigned = t0 }), with(ag(2, 1), func(a *AgentState) {
				a.Load[desk.ChannelWebChat] = 1
				a.LastAssigned = t0.Add(-time.Hour)
			}))
			tt.update(t, r)
			if got, reason, _ := r.Pick(tt.need, webchat); got != tt.want {
				t.Errorf("Pick() = %d (%s), want %d", got, reason, tt.want)
			}
		})
	}
}

func TestRouterErrors(t *testing.T) {
	r := newTestRouter(t, nil, ag(1, 1))
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"agent id zero", r.SetAgent(AgentState{Status: desk.Online}), desk.ErrInvalid},
		{"agent status unknown", r.SetAgent(AgentState{ID: 2, Status: "busy"}), desk.ErrInvalid},
		{"status unknown", r.SetStatus(1, "lunch"), desk.ErrInvalid},
		{"status of unknown agent", r.SetStatus(9, desk.Away), desk.ErrNotFound},
		{"load of unknown agent", r.AddLoad(9, desk.ChannelEmail, 1), desk.ErrNotFound},
		{"team id zero", r.SetTeam(Team{Mode: ModeManual}), desk.ErrInvalid},
		{"team mode unknown", r.SetTeam(Team{ID: 1, Mode: "lottery"}), desk.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("error = %v, want %v", tt.err, tt.want)
			}
			if tt.err != nil && !strings.HasPrefix(tt.err.Error(), "routing: ") {
				t.Errorf("error %q does not start with the package name", tt.err)
			}
		})
	}
}

func TestAgentSnapshot(t *testing.T) {
	r := newTestRouter(t, nil, with(ag(1, 3, 1, 3), func(a *AgentState) {
		a.Skills = []Skill{{"Lang:NL", 2}, {"lang:nl", 4}, {"category:billing", 1}}
	}))
	got, ok := r.Agent(1)
	if !ok {
		t.Fatal("Agent(1) not found")
	}
	if want := []int64{1, 3}; !slices.Equal(got.TeamIDs, want) {
		t.Errorf("TeamIDs = %v, want %v", got.TeamIDs, want)
	}
	if want := []Skill{{"category:billing", 1}, {"lang:nl", 4}}; !slices.Equal(got.Skills, want) {
		t.Errorf("Skills = %v, want %v", got.Skills, want)
	}
	got.Capacity[desk.ChannelWebChat] = 0
	if again, _ := r.Agent(1); again.Capacity[desk.ChannelWebChat] != 3 {
		t.Errorf("changing a snapshot changed the router: capacity %d", again.Capacity[desk.ChannelWebChat])
	}
	if _, ok := r.Agent(2); ok {
		t.Error("Agent(2) found, want not found")
	}
}

// TestRouterConcurrent is for -race: updates, picks, assignments and queue
// offers at once.
func TestRouterConcurrent(t *testing.T) {
	r := NewRouter(&tickClock{now: t0})
	q := NewQueue()
	for i := range int64(20) {
		if err := r.SetAgent(ag(i+1, i%4+1)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 300 {
				id := int64((w*300+i)%20 + 1)
				team := int64(i%4 + 1)
				req := Request{ConversationID: int64(w*1000 + i + 1), Channel: desk.ChannelWebChat, WaitingSince: t0}
				switch i % 6 {
				case 0:
					if err := r.SetAgent(ag(id, team)); err != nil {
						t.Error(err)
					}
				case 1:
					r.Pick(Need{TeamID: team}, req)
				case 2:
					if got, _, ok := r.Assign(Need{TeamID: team}, req); ok {
						_ = r.AddLoad(got, desk.ChannelWebChat, -1)
					}
				case 3:
					if err := q.Add(req, Need{TeamID: team}); err != nil {
						t.Error(err)
					}
					q.Position(req.ConversationID)
				case 4:
					r.NextFor(q, id, desk.ChannelWebChat)
				case 5:
					_ = r.SetStatus(id, []desk.Availability{desk.Online, desk.Away}[i%2])
					r.Agent(id)
					q.List(team)
				}
			}
		})
	}
	wg.Wait()
	for id := range int64(20) {
		a, ok := r.Agent(id + 1)
		if !ok {
			t.Fatalf("agent %d lost", id+1)
		}
		if l, c := a.Load[desk.ChannelWebChat], a.Capacity[desk.ChannelWebChat]; l < 0 || l > c {
			t.Errorf("agent %d webchat load %d, want 0..%d", id+1, l, c)
		}
	}
	// Every conversation still waiting has a place in its line.
	for team := range int64(5) {
		for _, e := range q.List(team) {
			if _, _, ok := q.Position(e.Request.ConversationID); !ok {
				t.Errorf("conversation %d listed but has no position", e.Request.ConversationID)
			}
		}
	}
}

func TestStaffed(t *testing.T) {
	r := NewRouter(nil)
	for _, a := range []AgentState{
		{ID: 1, TeamIDs: []int64{10}, Status: desk.Online, Capacity: map[desk.ChannelKind]int{desk.ChannelWebChat: 3}},
		{ID: 2, TeamIDs: []int64{20}, Status: desk.Away, Capacity: map[desk.ChannelKind]int{desk.ChannelWebChat: 3}},
		{ID: 3, TeamIDs: []int64{30}, Status: desk.Online, Capacity: map[desk.ChannelKind]int{desk.ChannelEmail: 10}},
	} {
		if err := r.SetAgent(a); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		team int64
		ch   desk.ChannelKind
		want bool
	}{
		{"online with room for chat", 10, desk.ChannelWebChat, true},
		{"only an away agent", 20, desk.ChannelWebChat, false},
		{"online but takes no chat", 30, desk.ChannelWebChat, false},
		{"team without agents", 40, desk.ChannelWebChat, false},
		{"no team: anyone online", 0, desk.ChannelWebChat, true},
	}
	for _, tc := range tests {
		if got := r.Staffed(Need{TeamID: tc.team}, tc.ch); got != tc.want {
			t.Errorf("%s: Staffed = %v, want %v", tc.name, got, tc.want)
		}
	}
}
