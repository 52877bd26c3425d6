package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
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

// TestWhatsAppThroughTheServer: Meta's verification handshake, then a
// signed message event becomes a conversation of the customer's phone
// number; an unsigned one stores nothing.
func TestWhatsAppThroughTheServer(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		in := &desk.Inbox{Name: "WhatsApp", Channel: desk.ChannelWhatsApp, PublicKey: "wakey",
			Settings: map[string]string{"phone_number_id": "1234", "access_token": "EAAG", "app_secret": "app-secret",
				"verify_token": "verify-me"}}
		if err := e.app.Store.CreateInbox(ctx, in); err != nil {
			t.Fatal(err)
		}
		res, err := http.Get(e.srv.URL + "/hooks/whatsapp/wakey?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != "42" {
			t.Errorf("handshake = %d %q, want 200 42", res.StatusCode, body)
		}
		event := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
			"messaging_product":"whatsapp","metadata":{"display_phone_number":"31201234567","phone_number_id":"1234"},
			"contacts":[{"profile":{"name":"Fatima"},"wa_id":"31612345678"}],
			"messages":[{"from":"31612345678","id":"wamid.ABC","timestamp":"1700000000","type":"text","text":{"body":"Is mijn fiets al onderweg?"}}]}}]}]}`
		post := func(sign bool) int {
			req, _ := http.NewRequest("POST", e.srv.URL+"/hooks/whatsapp/wakey", strings.NewReader(event))
			req.Header.Set("Content-Type", "application/json")
			if sign {
				m := hmac.New(sha256.New, []byte("app-secret"))
				m.Write([]byte(event))
				req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if code := post(false); code != http.StatusUnauthorized {
			t.Errorf("unsigned event = %d, want 401", code)
		}
		if code := post(true); code != http.StatusOK {
			t.Fatalf("signed event = %d, want 200", code)
		}
		c, err := e.app.Store.ContactByIdentity(ctx, desk.IdentityPhone, "+31612345678")
		if err != nil {
			t.Fatal(err)
		}
		convs, _ := e.app.Store.ConversationsOfContact(ctx, c.ID, 10)
		if len(convs) != 1 || convs[0].Channel != desk.ChannelWhatsApp || c.Name != "Fatima" {
			t.Errorf("conversations = %+v, contact %q; want one WhatsApp conversation with Fatima", convs, c.Name)
		}
	})
}
