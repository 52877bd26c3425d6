package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestParseSLAFilter(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  string
	}{
		{"none", "", ""},
		{"at risk", "sla=warning,breached", "warning,breached"},
		{"one order", "sla=breached,warning", "warning,breached"},
		{"spaces, case and repeats", "sla=Breached,+warning,breached", "warning,breached"},
		{"unknown state drops the filter", "sla=late", ""},
		{"none is no state", "sla=,breached", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			f := parseFilter(v)
			if f.SLA != tt.want {
				t.Errorf("SLA = %q, want %q", f.SLA, tt.want)
			}
			if got := f.values().Get("sla"); got != tt.want {
				t.Errorf("values: sla = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestInboxSLAFilter lists only the conversations at risk or breached, in
// the page, the view counts and the live row fragment.
func TestInboxSLAFilter(t *testing.T) {
	f := newSLAFixture(t)
	ids := map[desk.SLAState]int64{desk.SLANone: f.convID}
	for i, st := range []desk.SLAState{desk.SLARunning, desk.SLAWarning, desk.SLABreached} {
		res, err := f.convs.Ingest(f.ctx, desk.Inbound{InboxID: f.inbox.ID, Body: "Vraag " + string(st),
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "klant" + strconv.Itoa(i) + "@example.nl"}})
		if err != nil {
			t.Fatal(err)
		}
		c := res.Conversation
		c.SLAPolicyID, c.SLAState = 1, st
		if err := f.st.UpdateConversation(f.ctx, c); err != nil {
			t.Fatal(err)
		}
		ids[st] = c.ID
	}
	link := func(st desk.SLAState) string {
		return `href="/app/conversations/` + strconv.FormatInt(ids[st], 10) + `"`
	}
	tests := []struct {
		name   string
		target string
		want   []desk.SLAState
	}{
		{"any", "/app?view=all", []desk.SLAState{desk.SLANone, desk.SLARunning, desk.SLAWarning, desk.SLABreached}},
		{"at risk", "/app?view=all&sla=warning,breached", []desk.SLAState{desk.SLAWarning, desk.SLABreached}},
		{"breached", "/app?view=all&sla=breached", []desk.SLAState{desk.SLABreached}},
		{"unknown is any", "/app?view=all&sla=late", []desk.SLAState{desk.SLANone, desk.SLARunning, desk.SLAWarning, desk.SLABreached}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.get(f.agent, tt.target)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s: %d", tt.target, w.Code)
			}
			body := w.Body.String()
			for st := range ids {
				want := false
				for _, s := range tt.want {
					want = want || s == st
				}
				if got := strings.Contains(body, link(st)); got != want {
					t.Errorf("conversation in state %q listed: %v, want %v", st, got, want)
				}
			}
		})
	}

	body := f.get(f.agent, "/app?view=all&sla=breached,warning").Body.String()
	if !strings.Contains(body, `<option value="warning,breached" selected>`) {
		t.Errorf("the at-risk option is not selected:\n%s", body)
	}
	if !strings.Contains(body, `href="/app?sla=warning%2Cbreached&amp;view=all"`) {
		t.Errorf("the view tabs do not keep the SLA filter")
	}

	for _, tt := range []struct {
		st   desk.SLAState
		want int
	}{
		{desk.SLARunning, http.StatusNoContent},
		{desk.SLABreached, http.StatusOK},
	} {
		target := "/app/fragments/conversation-row/" + strconv.FormatInt(ids[tt.st], 10) + "?view=all&sla=warning,breached"
		if got := f.get(f.agent, target).Code; got != tt.want {
			t.Errorf("row fragment of a %s conversation in the at-risk list: %d, want %d", tt.st, got, tt.want)
		}
	}
}
