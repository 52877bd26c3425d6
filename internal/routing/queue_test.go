package routing

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// waiting builds a webchat request that has waited since t0 plus minutes.
func waiting(id int64, minutes int, p desk.Priority) Request {
	return Request{ConversationID: id, Channel: desk.ChannelWebChat, Priority: p,
		WaitingSince: t0.Add(time.Duration(minutes) * time.Minute)}
}

func ids(entries []Entry) []int64 {
	out := make([]int64, len(entries))
	for i, e := range entries {
		out[i] = e.Request.ConversationID
	}
	return out
}

func TestQueueOrder(t *testing.T) {
	type add struct {
		req  Request
		need Need
	}
	tests := []struct {
		name   string
		adds   []add
		remove []int64
		team   int64
		want   []int64
	}{
		{"oldest first", []add{
			{waiting(1, 5, ""), Need{TeamID: 1}},
			{waiting(2, 1, ""), Need{TeamID: 1}},
			{waiting(3, 3, ""), Need{TeamID: 1}},
		}, nil, 1, []int64{2, 3, 1}},
		{"priority before age", []add{
			{waiting(1, 1, desk.PriorityLow), Need{TeamID: 1}},
			{waiting(2, 9, desk.PriorityUrgent), Need{TeamID: 1}},
			{waiting(3, 5, desk.PriorityHigh), Need{TeamID: 1}},
			{waiting(4, 2, desk.PriorityHigh), Need{TeamID: 1}},
		}, nil, 1, []int64{2, 4, 3, 1}},
		{"the rule's raised priority counts", []add{
			{waiting(1, 1, desk.PriorityLow), Need{TeamID: 1}},
			{waiting(2, 9, desk.PriorityLow), Need{TeamID: 1, Priority: desk.PriorityHigh}},
		}, nil, 1, []int64{2, 1}},
		{"same time by conversation id", []add{
			{waiting(8, 1, ""), Need{TeamID: 1}},
			{waiting(3, 1, ""), Need{TeamID: 1}},
		}, nil, 1, []int64{3, 8}},
		{"one line per team", []add{
			{waiting(1, 1, ""), Need{TeamID: 1}},
			{waiting(2, 2, ""), Need{TeamID: 2}},
			{waiting(3, 3, ""), Need{TeamID: 1}},
		}, nil, 2, []int64{2}},
		{"re-adding moves", []add{
			{waiting(1, 1, ""), Need{TeamID: 1}},
			{waiting(2, 2, ""), Need{TeamID: 1}},
			{waiting(1, 1, ""), Need{TeamID: 2}},
		}, nil, 1, []int64{2}},
		{"re-adding with a new priority reorders", []add{
			{waiting(1, 1, ""), Need{TeamID: 1}},
			{waiting(2, 2, ""), Need{TeamID: 1}},
			{waiting(2, 2, desk.PriorityHigh), Need{TeamID: 1}},
		}, nil, 1, []int64{2, 1}},
		{"removed", []add{
			{waiting(1, 1, ""), Need{TeamID: 1}},
			{waiting(2, 2, ""), Need{TeamID: 1}},
			{waiting(3, 3, ""), Need{TeamID: 1}},
		}, []int64{2, 9}, 1, []int64{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewQueue()
			for _, a := range tt.adds {
				if err := q.Add(a.req, a.need); err != nil {
					t.Fatalf("Add(%d): %v", a.req.ConversationID, err)
				}
			}
			for _, id := range tt.remove {
				q.Remove(id)
			}
			if got := ids(q.List(tt.team)); !slices.Equal(got, tt.want) {
				t.Errorf("List(%d) = %v, want %v", tt.team, got, tt.want)
			}
		})
	}
}

func TestQueueAddInvalid(t *testing.T) {
	err := NewQueue().Add(Request{}, Need{TeamID: 1})
	if !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("Add without a conversation id = %v, want ErrInvalid", err)
	}
}

func TestQueuePosition(t *testing.T) {
	q := NewQueue()
	for _, e := range []struct {
		req  Request
		team int64
	}{
		{waiting(1, 1, ""), 1},
		{waiting(2, 2, ""), 1},
		{waiting(3, 3, ""), 1},
		{waiting(4, 0, ""), 2},
		{waiting(5, 4, desk.PriorityUrgent), 1},
	} {
		if err := q.Add(e.req, Need{TeamID: e.team}); err != nil {
			t.Fatal(err)
		}
	}
	q.Remove(2)
	tests := []struct {
		name      string
		conv      int64
		wantPlace int
		wantAhead int
		wantOK    bool
	}{
		{"urgent jumps the line", 5, 1, 0, true},
		{"oldest normal", 1, 2, 1, true},
		{"moved up after a removal", 3, 3, 2, true},
		{"alone in its team", 4, 1, 0, true},
		{"removed", 2, 0, 0, false},
		{"never queued", 99, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			place, ahead, ok := q.Position(tt.conv)
			if place != tt.wantPlace || ahead != tt.wantAhead || ok != tt.wantOK {
				t.Errorf("Position(%d) = %d, %d, %v, want %d, %d, %v",
					tt.conv, place, ahead, ok, tt.wantPlace, tt.wantAhead, tt.wantOK)
			}
		})
	}
	if got := q.Len(); got != 4 {
		t.Errorf("Len() = %d, want 4", got)
	}
}

func TestNextFor(t *testing.T) {
	nl := []Skill{{Name: "lang:nl", Level: 3}}
	type add struct {
		req  Request
		need Need
	}
	email := func(r Request) Request { r.Channel = desk.ChannelEmail; return r }
	ownedBy := func(r Request, id int64) Request { r.AccountOwnerID = id; return r }
	tests := []struct {
		name  string
		teams []Team
		agent AgentState
		adds  []add
		ch    desk.ChannelKind
		want  int64 // conversation offered; 0: none
	}{
		{"oldest of the agent's team", nil, ag(1, 1), []add{
			{waiting(1, 5, ""), Need{TeamID: 1}},
			{waiting(2, 1, ""), Need{TeamID: 1}},
			{waiting(3, 0, ""), Need{TeamID: 2}},
		}, desk.ChannelWebChat, 2},
		{"priority before age across teams", nil, ag(1, 1, 2), []add{
			{waiting(1, 0, ""), Need{TeamID: 1}},
			{waiting(2, 9, desk.PriorityHigh), Need{TeamID: 2}},
		}, desk.ChannelWebChat, 2},
		{"oldest across teams", nil, ag(1, 1, 2), []add{
			{waiting(1, 5, ""), Need{TeamID: 1}},
			{waiting(2, 3, ""), Need{TeamID: 2}},
		}, desk.ChannelWebChat, 2},
		{"conversations without a team are for anyone", nil, ag(1, 1), []add{
			{waiting(1, 5, ""), Need{TeamID: 1}},
			{waiting(2, 3, ""), Need{}},
		}, desk.ChannelWebChat, 2},
		{"skips what needs skills the agent lacks", nil, with(ag(1, 1), func(a *AgentState) {
			a.Skills = []Skill{{"lang:nl", 2}}
		}), []add{
			{waiting(1, 1, ""), Need{TeamID: 1, Skills: nl}},
			{waiting(2, 3, ""), Need{TeamID: 1}},
		}, desk.ChannelWebChat, 2},
		{"takes what the agent has the skills for", nil, with(ag(1, 1), func(a *AgentState) {
			a.Skills = []Skill{{"lang:nl", 3}}
		}), []add{
			{waiting(1, 1, ""), Need{TeamID: 1, Skills: nl}},
			{waiting(2, 3, ""), Need{TeamID: 1}},
		}, desk.ChannelWebChat, 1},
		{"only the freed channel", nil, ag(1, 1), []add{
			{email(waiting(1, 1, "")), Need{TeamID: 1}},
			{waiting(2, 3, ""), Need{TeamID: 1}},
		}, desk.ChannelWebChat, 2},
		{"nothing on the channel", nil, ag(1, 1), []add{
			{email(waiting(1, 1, "")), Need{TeamID: 1}},
		}, desk.ChannelWebChat, 0},
		{"manual teams are not offered", []Team{{ID: 1, Mode: ModeManual}}, ag(1, 1, 2), []add{
			{waiting(1, 1, ""), Need{TeamID: 1}},
			{waiting(2, 3, ""), Need{TeamID: 2}},
		}, desk.ChannelWebChat, 2},
		{"account owner gets their customer from another team", nil, ag(1, 1), []add{
			{waiting(1, 1, ""), Need{TeamID: 1}},
			{ownedBy(waiting(2, 0, ""), 1), Need{TeamID: 5, Skills: nl}},
		}, desk.ChannelWebChat, 2},
		{"account owner in a manual team", []Team{{ID: 5, Mode: ModeManual}}, ag(1, 1), []add{
			{ownedBy(waiting(2, 3, ""), 1), Need{TeamID: 5}},
		}, desk.ChannelWebChat, 2},
		{"away agent gets nothing", nil, with(ag(1, 1), func(a *AgentState) { a.Status = desk.Away }), []add{
			{waiting(1, 1, ""), Need{TeamID: 1}},
		}, desk.ChannelWebChat, 0},
		{"full agent gets nothing", nil, with(ag(1, 1), func(a *AgentState) {
			a.Load[desk.ChannelWebChat] = 3
		}), []add{
			{waiting(1, 1, ""), Need{TeamID: 1}},
		}, desk.ChannelWebChat, 0},
		{"unknown agent gets nothing", nil, ag(2, 1), []add{
			{waiting(1, 1, ""), Need{TeamID: 1}},
		}, desk.ChannelWebChat, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRouter(t, tt.teams, tt.agent)
			q := NewQueue()
			for _, a := range tt.adds {
				if err := q.Add(a.req, a.need); err != nil {
					t.Fatal(err)
				}
			}
			e, ok := r.NextFor(q, 1, tt.ch)
			if got := e.Request.ConversationID; got != tt.want || ok != (tt.want != 0) {
				t.Fatalf("NextFor() = %d, %v, want %d", got, ok, tt.want)
			}
			if !ok {
				if q.Len() != len(tt.adds) {
					t.Errorf("queue length = %d after no offer, want %d", q.Len(), len(tt.adds))
				}
				return
			}
			if _, _, still := q.Position(tt.want); still {
				t.Errorf("conversation %d still queued after NextFor", tt.want)
			}
			a, _ := r.Agent(1)
			if got, want := a.Load[tt.ch], tt.agent.Load[tt.ch]+1; got != want {
				t.Errorf("load on %s = %d after NextFor, want %d", tt.ch, got, want)
			}
		})
	}
}

func TestNextForDrainsInOrder(t *testing.T) {
	r := newTestRouter(t, nil, ag(1, 1))
	q := NewQueue()
	for i, m := range []int{4, 2, 7, 1} {
		if err := q.Add(waiting(int64(i+1), m, ""), Need{TeamID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var got []int64
	for {
		e, ok := r.NextFor(q, 1, desk.ChannelWebChat)
		if !ok {
			break
		}
		got = append(got, e.Request.ConversationID)
	}
	// Capacity 3: the fourth waits.
	if want := []int64{4, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("offered %v, want %v", got, want)
	}
	if rest := ids(q.List(1)); !slices.Equal(rest, []int64{3}) {
		t.Errorf("left in queue %v, want [3]", rest)
	}
}
