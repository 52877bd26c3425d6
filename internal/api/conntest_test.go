package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

// fakeConnections answers every connection test with err (or detail).
type fakeConnections struct {
	detail string
	err    error
}

func (f fakeConnections) CanTest(kind desk.ChannelKind) bool { return kind == desk.ChannelTelegram }

func (f fakeConnections) TestConnection(context.Context, desk.Inbox, string) (string, error) {
	return f.detail, f.err
}

// TestInboxTestConnectionCode: the answer carries the failure's code
// beside the adapter's English, and the setting to fix.
func TestInboxTestConnectionCode(t *testing.T) {
	tests := []struct {
		name   string
		detail string
		err    error
		want   map[string]any
	}{
		{name: "connected", detail: "@spaak_bot", want: map[string]any{"ok": true, "detail": "@spaak_bot", "code": nil, "error": nil}},
		{name: "bad token", err: fmt.Errorf("telegram: check: %w", &desk.CheckError{Code: desk.CheckBadToken, Setting: "bot_token",
			Detail: "Telegram does not know this bot token (401 Unauthorized)"}),
			want: map[string]any{"ok": false, "code": "bad_token", "field": "bot_token", "error": "Telegram does not know this bot token (401 Unauthorized)"}},
		{name: "rate limited", err: &desk.CheckError{Code: desk.CheckRateLimited, Detail: "Telegram asks to slow down"},
			want: map[string]any{"ok": false, "code": "rate_limited", "field": nil, "error": "Telegram asks to slow down"}},
		{name: "a plain validation error", err: desk.Invalid("bot_token", "the inbox has no bot token"),
			want: map[string]any{"ok": false, "code": "invalid_setting", "field": "bot_token", "error": "the inbox has no bot token"}},
		{name: "down", err: fmt.Errorf("telegram: check: getMe: %w", desk.ErrTemporary),
			want: map[string]any{"ok": false, "code": "unreachable", "error": "telegram: check: getMe: temporary failure"}},
		{name: "anything else", err: errors.New("telegram: check: decode result: unexpected EOF"),
			want: map[string]any{"ok": false, "code": "other", "error": "telegram: check: decode result: unexpected EOF"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newInboxAPI(t)
			a.h.Connections = fakeConnections{detail: tc.detail, err: tc.err}
			in := &desk.Inbox{Name: "Bot", Channel: desk.ChannelTelegram, PublicKey: "tgkey", Settings: map[string]string{"bot_token": "1:x"}}
			if err := a.h.Store.CreateInbox(t.Context(), in); err != nil {
				t.Fatal(err)
			}
			w := testInbox(t, a.h, in.ID)
			if w.Code != 200 {
				t.Fatalf("status %d, want 200: %s", w.Code, w.Body)
			}
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.want {
				if got[k] != want {
					t.Errorf("%s = %v, want %v (%v)", k, got[k], want, got)
				}
			}
		})
	}
}

// testInbox calls POST /inboxes/{id}/test through Serve as an admin.
func testInbox(t *testing.T, h *Handler, id int64) *httptest.ResponseRecorder {
	t.Helper()
	for _, rt := range h.routes {
		if rt.Method != "POST" || rt.Path != "/inboxes/{id}/test" {
			continue
		}
		r := httptest.NewRequest("POST", Prefix+"/inboxes/"+strconv.FormatInt(id, 10)+"/test", nil)
		r.SetPathValue("id", strconv.FormatInt(id, 10))
		r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Agent: &desk.Agent{ID: 1, Role: desk.RoleAdmin}, ViaToken: true}))
		w := httptest.NewRecorder()
		h.Serve(rt).ServeHTTP(w, r)
		return w
	}
	t.Fatal("no route POST /inboxes/{id}/test")
	return nil
}
