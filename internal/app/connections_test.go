package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestInboxConnectionTestAPI drives POST /api/v1/inboxes/{id}/test through
// the real router, with the Telegram channel talking to a fake Bot API.
func TestInboxConnectionTestAPI(t *testing.T) {
	e := newEnv(t, testenv.OpenSQLite)
	ctx := context.Background()
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bot1:good/getMe":
			fmt.Fprint(w, `{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"Spaak","username":"spaak_bot"}}`)
		case "/bot1:good/getWebhookInfo":
			fmt.Fprint(w, `{"ok":true,"result":{"url":"https://help.example.nl/hooks/telegram/tgkey","pending_update_count":0}}`)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		}
	}))
	t.Cleanup(bot.Close)
	inbox := func(name, key, token string) int64 {
		in := &desk.Inbox{Name: name, Channel: desk.ChannelTelegram, PublicKey: key, Settings: map[string]string{
			"bot_token": token, "secret_token": "s", "api_base": bot.URL}}
		if err := e.app.Store.CreateInbox(ctx, in); err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	good, bad := inbox("Bot", "tgkey", "1:good"), inbox("Bad bot", "tgbad", "1:wrong")
	chat := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "chat", Settings: map[string]string{}}
	if err := e.app.Store.CreateInbox(ctx, chat); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		role   desk.Role
		id     int64
		status int
		want   map[string]any // fields of the answer
	}{
		{name: "connected", role: desk.RoleAdmin, id: good, status: 200, want: map[string]any{"ok": true, "detail": "@spaak_bot"}},
		{name: "bad token", role: desk.RoleAdmin, id: bad, status: 200, want: map[string]any{"ok": false, "field": "bot_token"}},
		{name: "a channel without a test", role: desk.RoleAdmin, id: chat.ID, status: 422},
		{name: "unknown inbox", role: desk.RoleAdmin, id: 9999, status: 404},
		{name: "supervisor", role: desk.RoleSupervisor, id: good, status: 403},
		{name: "anonymous", id: good, status: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.role, "POST", fmt.Sprintf("/api/v1/inboxes/%d/test", tc.id), nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.want == nil {
				return
			}
			got := r.json(t)
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v (%s)", k, got[k], v, r.body)
				}
			}
			if got["ok"] == false && !strings.Contains(fmt.Sprint(got["error"]), "Unauthorized") {
				t.Errorf("error = %v, want Telegram's reason", got["error"])
			}
			if strings.Contains(string(r.body), "1:wrong") || strings.Contains(string(r.body), "1:good") {
				t.Errorf("the answer carries the bot token: %s", r.body)
			}
		})
	}
}
