package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// fakeConnections answers the Test connection button with a canned
// result and records what it was asked.
type fakeConnections struct {
	detail string
	err    error
	asked  []string // inbox id and hook URL of each test
}

func (f *fakeConnections) CanTest(kind desk.ChannelKind) bool { return kind == desk.ChannelTelegram }

func (f *fakeConnections) TestConnection(_ context.Context, in desk.Inbox, hookURL string) (string, error) {
	f.asked = append(f.asked, fmt.Sprintf("%d %s", in.ID, hookURL))
	return f.detail, f.err
}

func TestInboxTestConnection(t *testing.T) {
	tests := []struct {
		name   string
		detail string
		err    error
		want   string // what the page says
		status string // the result's role: status (ok) or alert
	}{
		{name: "connected", detail: "@balie_bot", want: "Connected: @balie_bot.", status: "status"},
		{name: "a setting to fix", err: fmt.Errorf("telegram: check: %w", desk.Invalid("bot_token", "Telegram does not know this bot token (401 Unauthorized)")),
			want: "Please check the Bot token: Telegram does not know this bot token (401 Unauthorized)", status: "alert"},
		{name: "a setting without a field", err: desk.Invalid("webhook", "Telegram posts to <https://old.example.com>"),
			want: "Please check the webhook (press Connect): Telegram posts to &lt;https://old.example.com&gt;", status: "alert"},
		{name: "provider down", err: fmt.Errorf("telegram: check: no answer from Telegram, try again later: %w", desk.ErrTemporary),
			want: "The test did not get through: no answer from Telegram, try again later: temporary", status: "alert"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			conns := &fakeConnections{detail: tc.detail, err: tc.err}
			f.h.d.Connections = conns
			f.st.inboxes[22] = &desk.Inbox{ID: 22, Name: "Bot", Channel: desk.ChannelTelegram, PublicKey: "tgkey",
				Settings: map[string]string{"bot_token": "123:secret-token", "secret_token": "s"}}
			w := f.post(f.carla, "/admin/inboxes/22/test", nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", w.Code)
			}
			body := w.Body.String()
			if !strings.Contains(body, tc.want) {
				t.Errorf("the page does not say %q", tc.want)
			}
			if !strings.Contains(body, `role="`+tc.status+`" data-testid="test-result"`) {
				t.Errorf("the result is not shown with role %q", tc.status)
			}
			if strings.Contains(body, "123:secret-token") {
				t.Error("the page shows the bot token")
			}
			if got, want := strings.Join(conns.asked, "|"), "22 http://example.com/hooks/telegram/tgkey"; got != want {
				t.Errorf("tests asked = %q, want %q", got, want)
			}
		})
	}
}

func TestInboxTestConnectionRefused(t *testing.T) {
	f := newFixture(t)
	conns := &fakeConnections{detail: "@balie_bot"}
	f.h.d.Connections = conns
	f.st.inboxes[22] = &desk.Inbox{ID: 22, Name: "Bot", Channel: desk.ChannelTelegram, PublicKey: "tgkey",
		Settings: map[string]string{"bot_token": "1:x", "secret_token": "s"}}
	form := func(a *desk.Agent) url.Values { return url.Values{"csrf_token": {"csrf-" + a.Email}} }
	tests := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"agent", request(http.MethodPost, "/admin/inboxes/22/test", f.anna, form(f.anna)), http.StatusForbidden},
		{"supervisor", request(http.MethodPost, "/admin/inboxes/22/test", f.bram, form(f.bram)), http.StatusForbidden},
		{"admin without the CSRF token", request(http.MethodPost, "/admin/inboxes/22/test", f.carla, url.Values{}), http.StatusForbidden},
		{"a channel without a test", request(http.MethodPost, "/admin/inboxes/20/test", f.carla, form(f.carla)), http.StatusNotFound},
		{"an unknown inbox", request(http.MethodPost, "/admin/inboxes/999/test", f.carla, form(f.carla)), http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if w := f.do(tc.req); w.Code != tc.want {
				t.Errorf("status = %d, want %d", w.Code, tc.want)
			}
		})
	}
	if len(conns.asked) != 0 {
		t.Errorf("refused requests ran tests: %q", conns.asked)
	}

	// The button shows on the inbox pages of channels with a test, to
	// those who may use it.
	page := func(a *desk.Agent, id string) string {
		return f.do(request(http.MethodGet, "/admin/inboxes/"+id, a, nil)).Body.String()
	}
	if !strings.Contains(page(f.carla, "22"), `data-testid="test-connection"`) {
		t.Error("no Test connection button on the Telegram inbox's page")
	}
	if strings.Contains(page(f.carla, "20"), `data-testid="test-connection"`) {
		t.Error("a Test connection button on a web chat inbox's page")
	}
	f.h.d.Connections = nil
	if strings.Contains(page(f.carla, "22"), `data-testid="test-connection"`) {
		t.Error("a Test connection button without connection tests")
	}
	if w := f.post(f.carla, "/admin/inboxes/22/test", nil); w.Code != http.StatusNotFound {
		t.Errorf("test without connection tests: status %d, want 404", w.Code)
	}
}
