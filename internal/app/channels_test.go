package app

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// TestTelegramThroughTheServer: a Telegram update posted to the inbox's
// webhook address with the right secret becomes a conversation; a wrong
// secret or another inbox kind stores nothing.
func TestTelegramThroughTheServer(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		in := &desk.Inbox{Name: "Telegram", Channel: desk.ChannelTelegram, PublicKey: "tgkey",
			Settings: map[string]string{"bot_token": "123:abc", "secret_token": "s3cret-token"}}
		if err := e.app.Store.CreateInbox(ctx, in); err != nil {
			t.Fatal(err)
		}
		update := `{"update_id": 1, "message": {"message_id": 7, "date": 1700000000,
			"from": {"id": 4242, "is_bot": false, "first_name": "Jan", "last_name": "de Boer"},
			"chat": {"id": 4242, "type": "private"}, "text": "Mijn fiets is niet geleverd"}}`
		post := func(path, secret string) int {
			req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(update))
			req.Header.Set("Content-Type", "application/json")
			if secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if code := post("/hooks/telegram/tgkey", "wrong"); code != http.StatusUnauthorized {
			t.Errorf("wrong secret = %d, want 401", code)
		}
		if code := post("/hooks/whatsapp/tgkey", "s3cret-token"); code != http.StatusNotFound {
			t.Errorf("the Telegram inbox under /hooks/whatsapp = %d, want 404", code)
		}
		for range 2 {
			if code := post("/hooks/telegram/tgkey", "s3cret-token"); code != http.StatusOK {
				t.Fatalf("update = %d, want 200", code)
			}
		}
		c, err := e.app.Store.ContactByIdentity(ctx, desk.IdentityTelegram, "4242")
		if err != nil {
			t.Fatal(err)
		}
		convs, err := e.app.Store.ConversationsOfContact(ctx, c.ID, 10)
		if err != nil || len(convs) != 1 || convs[0].Channel != desk.ChannelTelegram {
			t.Fatalf("conversations = %+v, %v; want one Telegram conversation", convs, err)
		}
		msgs, _ := e.app.Store.ListMessages(ctx, convs[0].ID, 0, 10)
		if len(msgs) != 1 || msgs[0].Body != "Mijn fiets is niet geleverd" || c.Name != "Jan de Boer" {
			t.Errorf("messages = %+v, contact %q; want the one message from Jan de Boer", msgs, c.Name)
		}
	})
}
