package web

import (
	"context"
	"errors"
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
	badToken := &desk.CheckError{Code: desk.CheckBadToken, Setting: "bot_token",
		Detail: "Telegram does not know this bot token (401 Unauthorized)"}
	tests := []struct {
		name   string
		detail string
		err    error
		want   string // what the page says, in the admin's language
		below  string // the adapter's words beneath it; "" for none
		code   string // the result's data-code
		status string // the result's role: status (ok) or alert
	}{
		{name: "connected", detail: "@balie_bot", want: "Connected: @balie_bot.", status: "status"},
		{name: "a coded failure", err: fmt.Errorf("telegram: check: %w", badToken),
			want:  "The provider refuses the token: it is mistyped, revoked or has expired. Setting to check: Bot token.",
			below: "Telegram does not know this bot token (401 Unauthorized)", code: "bad_token", status: "alert"},
		{name: "a plain validation error", err: desk.Invalid("webhook", "Telegram posts to <https://old.example.com>"),
			want:  "A setting is empty or not valid. Setting to check: webhook (press Connect).",
			below: "Telegram posts to &lt;https://old.example.com&gt;", code: "invalid_setting", status: "alert"},
		{name: "provider down", err: fmt.Errorf("telegram: check: no answer from Telegram, try again later: %w", desk.ErrTemporary),
			want:  "The server could not be reached or did not answer: check the address, or try again later.",
			below: "no answer from Telegram, try again later: temporary failure", code: "unreachable", status: "alert"},
		{name: "an unexplained error", err: errors.New("telegram: check: decode result: unexpected EOF"),
			want: "The provider gave an unexpected answer.", below: "decode result: unexpected EOF", code: "other", status: "alert"},
		{name: "a code the locale files do not know", err: &desk.CheckError{Code: "brand_new", Detail: "something new"},
			want: "The provider gave an unexpected answer.", below: "something new", code: "brand_new", status: "alert"},
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
			result := `role="` + tc.status + `" data-testid="test-result"`
			if tc.code != "" {
				result += ` data-code="` + tc.code + `"`
			}
			if !strings.Contains(body, result+">"+tc.want) {
				t.Errorf("the page does not say %q in a result with %s", tc.want, result)
			}
			gotBelow := strings.Contains(body, `data-testid="test-detail">`+tc.below+"</p>")
			if tc.below != "" && !gotBelow {
				t.Errorf("the page does not show the detail %q", tc.below)
			}
			if tc.below == "" && strings.Contains(body, `data-testid="test-detail"`) {
				t.Error("the page shows a detail line, want none")
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

// TestInboxTestConnectionInDutch: a Dutch admin reads the failure in
// Dutch, with the provider's English words as the detail beneath.
func TestInboxTestConnectionInDutch(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "bad token", err: &desk.CheckError{Code: desk.CheckBadToken, Setting: "bot_token", Detail: "Telegram does not know this bot token"},
			want: "De aanbieder weigert het token: het is verkeerd overgenomen, ingetrokken of verlopen. Te controleren instelling: Bottoken."},
		{name: "rate limited", err: &desk.CheckError{Code: desk.CheckRateLimited, Detail: "Telegram asks to slow down"},
			want: "De aanbieder vraagt het rustiger aan te doen: probeer het over een paar minuten opnieuw."},
		{name: "webhook", err: &desk.CheckError{Code: desk.CheckWebhook, Setting: "webhook", Detail: "the bot @x works, but has no webhook"},
			want: "De bot werkt, maar zijn berichten komen niet bij balie aan: druk op Koppelen. Te controleren instelling: webhook (druk op Koppelen)."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.h.d.Connections = &fakeConnections{err: tc.err}
			f.st.inboxes[22] = &desk.Inbox{ID: 22, Name: "Bot", Channel: desk.ChannelTelegram, PublicKey: "tgkey",
				Settings: map[string]string{"bot_token": "1:x", "secret_token": "s"}}
			dutch := *f.carla
			dutch.Locale = "nl"
			w := f.do(request(http.MethodPost, "/admin/inboxes/22/test", &dutch, url.Values{"csrf_token": {"csrf-" + dutch.Email}}))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", w.Code)
			}
			body := w.Body.String()
			if !strings.Contains(body, tc.want) {
				t.Errorf("the page does not say %q", tc.want)
			}
			ce := desk.CheckErrorOf(tc.err)
			if !strings.Contains(body, `data-testid="test-detail">`+ce.Detail+"</p>") {
				t.Errorf("the page does not show the adapter's detail %q", ce.Detail)
			}
			for _, english := range []string{"The provider", "Setting to check", "slow down:", "press Connect."} {
				if strings.Contains(body, english) {
					t.Errorf("the Dutch page says %q", english)
				}
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
