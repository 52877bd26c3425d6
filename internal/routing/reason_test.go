package routing

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// TestPickReason checks the structured reason field by field: the admin UI
// renders these, so a count or id in the wrong field shows a wrong sentence.
func TestPickReason(t *testing.T) {
	webchat := Request{ConversationID: 1, Channel: desk.ChannelWebChat}
	owner := func(id int64) Request { r := webchat; r.AccountOwnerID = id; return r }
	load := func(n int) func(*AgentState) {
		return func(a *AgentState) { a.Load = map[desk.ChannelKind]int{desk.ChannelWebChat: n} }
	}
	away := func(a *AgentState) { a.Status = desk.Away }
	nl := func(a *AgentState) { a.Skills = []Skill{{Name: "lang:nl", Level: 3}} }

	tests := []struct {
		name   string
		teams  []Team
		agents []AgentState
		need   Need
		req    Request
		want   Reason
	}{
		{"least loaded", nil, []AgentState{with(ag(1, 1), load(2)), with(ag(2, 1), load(1)), with(ag(3, 1), away)},
			Need{TeamID: 1}, webchat,
			Reason{Code: ReasonLeastLoaded, AgentID: 2, TeamID: 1, Channel: desk.ChannelWebChat,
				Load: 1, Capacity: 3, Eligible: 2, NotOnline: 1}},
		{"round robin", []Team{{ID: 1, Mode: ModeRoundRobin}}, []AgentState{ag(1, 1), ag(2, 1)},
			Need{TeamID: 1}, webchat,
			Reason{Code: ReasonRoundRobin, AgentID: 1, TeamID: 1, Channel: desk.ChannelWebChat, Eligible: 2}},
		{"any team", nil, []AgentState{ag(4, 2)}, Need{}, webchat,
			Reason{Code: ReasonLeastLoaded, AgentID: 4, Channel: desk.ChannelWebChat, Capacity: 3, Eligible: 1}},
		{"manual", []Team{{ID: 1, Mode: ModeManual}}, []AgentState{ag(1, 1)}, Need{TeamID: 1}, webchat,
			Reason{Code: ReasonManual, TeamID: 1, Channel: desk.ChannelWebChat}},
		{"no agents", nil, []AgentState{ag(1, 2)}, Need{TeamID: 1}, webchat,
			Reason{Code: ReasonNoAgents, TeamID: 1, Channel: desk.ChannelWebChat}},
		{"nobody free counts each cause", nil,
			[]AgentState{with(ag(1, 1), away), with(ag(2, 1), nl, load(3)), ag(3, 1), with(ag(4, 1), nl, away)},
			Need{TeamID: 1, Skills: []Skill{{Name: "lang:nl", Level: 2}}}, webchat,
			Reason{Code: ReasonNobodyFree, TeamID: 1, Channel: desk.ChannelWebChat, NotOnline: 2, Unskilled: 1, Full: 1}},
		{"owner gets it", nil, []AgentState{ag(1, 1), with(ag(9, 7), load(1))}, Need{TeamID: 1}, owner(9),
			Reason{Code: ReasonOwner, AgentID: 9, TeamID: 1, Channel: desk.ChannelWebChat, Load: 1, Capacity: 3}},
		{"owner unknown", nil, []AgentState{ag(1, 1)}, Need{TeamID: 1}, owner(42),
			Reason{Code: ReasonLeastLoaded, AgentID: 1, TeamID: 1, Channel: desk.ChannelWebChat, Capacity: 3, Eligible: 1,
				Owner: OwnerSkip{Code: OwnerUnknown, AgentID: 42}}},
		{"owner away", nil, []AgentState{ag(1, 1), with(ag(2, 1), away)}, Need{TeamID: 1}, owner(2),
			Reason{Code: ReasonLeastLoaded, AgentID: 1, TeamID: 1, Channel: desk.ChannelWebChat, Capacity: 3, Eligible: 1,
				NotOnline: 1, Owner: OwnerSkip{Code: OwnerNotOnline, AgentID: 2, Status: desk.Away}}},
		{"owner full, manual team", []Team{{ID: 1, Mode: ModeManual}}, []AgentState{with(ag(2, 1), load(3))},
			Need{TeamID: 1}, owner(2),
			Reason{Code: ReasonManual, TeamID: 1, Channel: desk.ChannelWebChat,
				Owner: OwnerSkip{Code: OwnerFull, AgentID: 2, Load: 3, Capacity: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRouter(t, tt.teams, tt.agents...)
			id, got, ok := r.Pick(tt.need, tt.req)
			if got != tt.want {
				t.Errorf("Pick() reason =\n %+v\nwant\n %+v", got, tt.want)
			}
			if id != got.AgentID || ok != (got.AgentID != 0) {
				t.Errorf("Pick() = %d, %v; the reason names agent %d", id, ok, got.AgentID)
			}
			// Assign decides the same way.
			if _, again, _ := r.Assign(tt.need, tt.req); again != got {
				t.Errorf("Assign() reason = %+v, want Pick's %+v", again, got)
			}
		})
	}
}

func TestReasonString(t *testing.T) {
	tests := []struct {
		name string
		r    Reason
		want string
	}{
		{"owner", Reason{Code: ReasonOwner, AgentID: 9, Channel: desk.ChannelEmail, Load: 2, Capacity: 10},
			"account owner 9 (email 2/10)"},
		{"least loaded, owner full", Reason{Code: ReasonLeastLoaded, AgentID: 1, TeamID: 3, Channel: desk.ChannelWebChat,
			Load: 1, Capacity: 3, Eligible: 2, Owner: OwnerSkip{Code: OwnerFull, AgentID: 2, Load: 3, Capacity: 3}},
			"account owner 2 is at capacity on webchat (3/3); least loaded in team 3: webchat 1/3, of 2 eligible"},
		{"round robin, owner offline", Reason{Code: ReasonRoundRobin, TeamID: 3, Eligible: 4,
			Owner: OwnerSkip{Code: OwnerNotOnline, AgentID: 2, Status: desk.Offline}},
			"account owner 2 is offline; round robin in team 3: longest since last assignment of 4 eligible"},
		{"manual, owner unknown", Reason{Code: ReasonManual, TeamID: 3, Owner: OwnerSkip{Code: OwnerUnknown, AgentID: 5}},
			"account owner 5 is not known to routing; team 3 picks by hand: waits in the queue"},
		{"no agents anywhere", Reason{Code: ReasonNoAgents}, "no agents in any team"},
		{"nobody free", Reason{Code: ReasonNobodyFree, TeamID: 3, Channel: desk.ChannelEmail, NotOnline: 1, Unskilled: 2, Full: 3},
			"nobody free in team 3: 1 not online, 2 without the skills, 3 at capacity on email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
	// Every code has its own English, not the fallback that quotes the code.
	for _, c := range ReasonCodes() {
		if s := (Reason{Code: c}).String(); strings.Contains(s, `"`+string(c)+`"`) {
			t.Errorf("code %q has no English text: %q", c, s)
		}
	}
}

func TestReasonLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("routing: queued", "why", Reason{Code: ReasonNoAgents, TeamID: 3})
	if want := `"why":"no agents in team 3"`; !strings.Contains(buf.String(), want) {
		t.Errorf("log line = %s, want it to contain %s", buf.String(), want)
	}
}
