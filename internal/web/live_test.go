package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// fakePresence is what the hub reports as open right now.
type fakePresence map[int64]map[int64]bool

func (p fakePresence) Viewing() map[int64]map[int64]bool { return p }

func TestLiveBoardRoles(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		path   string
		agent  *desk.Agent
		status int
	}{
		{"agent is refused the board", "/app/live", f.anna, http.StatusForbidden},
		{"agent is refused the fragment", "/app/fragments/live", f.anna, http.StatusForbidden},
		{"supervisor sees the board", "/app/live", f.bram, http.StatusOK},
		{"admin sees the board", "/app/live", f.carla, http.StatusOK},
		{"admin gets the fragment", "/app/fragments/live", f.carla, http.StatusOK},
		{"nobody is sent to login", "/app/live", nil, http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(request(http.MethodGet, tc.path, tc.agent, nil))
			if w.Code != tc.status {
				t.Errorf("GET %s: status = %d, want %d", tc.path, w.Code, tc.status)
			}
		})
	}
	// Only supervisors and admins get the navigation entry.
	for _, tc := range []struct {
		agent *desk.Agent
		want  bool
	}{{f.anna, false}, {f.bram, true}} {
		body := f.do(request(http.MethodGet, "/app", tc.agent, nil)).Body.String()
		if got := strings.Contains(body, `data-testid="nav-live"`); got != tc.want {
			t.Errorf("%s: nav entry shown = %v, want %v", tc.agent.Name, got, tc.want)
		}
	}
}

func TestLiveBoard(t *testing.T) {
	f := newFixture(t)
	// Carla takes one chat at a time and no email.
	f.st.agents[3].Capacity = map[desk.ChannelKind]int{desk.ChannelWebChat: 1, desk.ChannelEmail: 0}
	// Waiting: 42 (no team, 400 days), 43 in Klantenservice for 12
	// minutes, 44 there for 2h05; 45 is assigned, 46 resolved.
	f.st.convs[43] = &desk.Conversation{ID: 43, InboxID: 20, Channel: desk.ChannelWebChat, ContactID: 30, Status: desk.StatusOpen,
		TeamID: 10, Subject: "Levering", LastActivityAt: at(-12), WaitingSince: at(-12), CreatedAt: at(-12)}
	f.st.convs[44] = &desk.Conversation{ID: 44, InboxID: 20, Channel: desk.ChannelEmail, ContactID: 30, Status: desk.StatusOpen,
		TeamID: 10, LastActivityAt: at(-125), WaitingSince: at(-125), CreatedAt: at(-125)}
	f.st.convs[45] = &desk.Conversation{ID: 45, InboxID: 20, Channel: desk.ChannelWebChat, ContactID: 30, Status: desk.StatusOpen,
		TeamID: 10, AssigneeID: 3, LastActivityAt: at(-3), WaitingSince: at(-3), CreatedAt: at(-3)}
	f.st.convs[46] = &desk.Conversation{ID: 46, InboxID: 20, Channel: desk.ChannelWebChat, ContactID: 30, Status: desk.StatusResolved,
		TeamID: 10, LastActivityAt: at(-1), CreatedAt: at(-100)}
	f.h.d.Presence = fakePresence{1: {40: true}, 3: {45: false, 42: false}}

	w := f.do(request(http.MethodGet, "/app/live", f.carla, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", w.Code)
	}
	body := w.Body.String()

	rows := regexp.MustCompile(`data-testid="live-agent" data-id="(\d+)"`).FindAllStringSubmatch(body, -1)
	var order []string
	for _, r := range rows {
		order = append(order, r[1])
	}
	// Anna is online; the others have no availability: offline, by name.
	if got, want := strings.Join(order, ","), "1,2,3"; got != want {
		t.Errorf("agents in order %s, want %s", got, want)
	}
	agentRow := func(id string) string {
		t.Helper()
		start := strings.Index(body, `data-testid="live-agent" data-id="`+id+`"`)
		if start < 0 {
			t.Fatalf("no row for agent %s", id)
		}
		end := strings.Index(body[start:], "</tr>")
		return body[start : start+end]
	}
	checks := []struct {
		name, agent, want string
		present           bool
	}{
		{"Anna's chats against the default capacity", "1", `data-channel="webchat">Web chat: <strong>1</strong> / 3`, true},
		{"Anna's API default", "1", `data-channel="api">API: <strong>0</strong> / 10`, true},
		{"no inbox, no conversations: no row", "1", `data-channel="whatsapp"`, false},
		{"Anna is online", "1", `>Online</span>`, true},
		{"Anna replies in 40", "1", `data-testid="live-viewing" data-id="40"><a href="/app/conversations/40">#40 Jan de Vries</a> <span class="chip chip--note">replying</span>`, true},
		{"Carla is full on chat", "3", `class="board__full" data-testid="live-load" data-channel="webchat">Web chat: <strong>1</strong> / 1`, true},
		{"Carla takes no email", "3", `data-channel="email"`, false},
		{"Carla views 42 without replying", "3", `data-id="42"><a href="/app/conversations/42">#42 &lt;img src=x onerror=alert(1)&gt;</a></li>`, true},
		{"Bram views nothing", "2", `data-testid="live-viewing"`, false},
		{"Bram is offline", "2", `>Offline</span>`, true},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			row := agentRow(c.agent)
			if got := strings.Contains(row, c.want); got != c.present {
				t.Errorf("row has %q = %v, want %v\n%s", c.want, got, c.present, row)
			}
		})
	}

	waiting := regexp.MustCompile(`data-testid="live-waiting" data-id="(\d+)"`).FindAllStringSubmatch(body, -1)
	var ids []string
	for _, m := range waiting {
		ids = append(ids, m[1])
	}
	// Teams in order (Klantenservice, Finance), then no team; oldest first.
	if got, want := strings.Join(ids, ","), "44,43,42"; got != want {
		t.Errorf("waiting = %s, want %s", got, want)
	}
	for _, want := range []string{`data-testid="live-waiting-count">3<`, `waiting 2h 5min`, `waiting 12 min`, `No team`, `Nobody is waiting.`} {
		if !strings.Contains(body, want) {
			t.Errorf("board lacks %q", want)
		}
	}

	golden(t, "live_en.html", w.Body.Bytes())
	carlaNL := *f.carla
	carlaNL.Locale = "nl"
	golden(t, "live_nl.html", f.do(request(http.MethodGet, "/app/live", &carlaNL, nil)).Body.Bytes())

	// The fragment is the board alone, for the script to swap in.
	frag := f.do(request(http.MethodGet, "/app/fragments/live", f.carla, nil)).Body.String()
	if !strings.HasPrefix(frag, `<div class="board" data-board>`) || strings.Contains(frag, "<html") {
		t.Errorf("fragment is not the bare board:\n%.200s", frag)
	}
	if !strings.Contains(frag, `data-testid="live-waiting" data-id="44"`) {
		t.Error("fragment lacks the waiting conversations")
	}
}
