package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/balie-dev/balie/internal/channel/telegram"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/inboxcfg"
)

func inboxNamed(f *fixture, name string) *desk.Inbox {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	for _, in := range f.st.inboxes {
		if in.Name == name {
			c := *in
			return &c
		}
	}
	return nil
}

func TestCreateWhatsAppInbox(t *testing.T) {
	f := newFixture(t)
	w := f.post(f.carla, "/admin/inboxes", url.Values{"channel": {"whatsapp"}, "name": {"WhatsApp NL"},
		"whatsapp.phone_number_id": {"1122334455"}, "whatsapp.access_token": {"EAAG-very-secret-token"},
		"whatsapp.app_secret": {"app-secret-value"}, "whatsapp.verify_token": {"my-verify"},
		"whatsapp.template_name": {"hello"}, "whatsapp.template_lang": {"nl"}, "whatsapp.template_text_param": {"false"},
		// Another channel's fieldset on the same form is ignored.
		"telegram.bot_token": {"123:telegram"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: status %d, flash %q", w.Code, flashOf(w))
	}
	in := inboxNamed(f, "WhatsApp NL")
	if in == nil {
		t.Fatal("no inbox stored")
	}
	want := map[string]string{"phone_number_id": "1122334455", "access_token": "EAAG-very-secret-token",
		"app_secret": "app-secret-value", "verify_token": "my-verify", "template_name": "hello",
		"template_lang": "nl", "template_text_param": "false"}
	for k, v := range want {
		if in.Settings[k] != v {
			t.Errorf("setting %s = %q, want %q", k, in.Settings[k], v)
		}
	}
	if _, ok := in.Settings["bot_token"]; ok {
		t.Error("the Telegram field was stored on a WhatsApp inbox")
	}

	body := f.do(request(http.MethodGet, w.Header().Get("Location"), f.carla, nil)).Body.String()
	for _, secret := range []string{"EAAG-very-secret-token", "app-secret-value"} {
		if strings.Contains(body, secret) {
			t.Errorf("the inbox page shows the secret %q", secret)
		}
	}
	for _, want := range []string{"http://example.com/hooks/whatsapp/" + in.PublicKey, `data-testid="verify-token">my-verify<`,
		`data-testid="secret-set"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the inbox page lacks %q", want)
		}
	}
	// A supervisor sees the page without the form, and without secrets.
	body = f.do(request(http.MethodGet, w.Header().Get("Location"), f.bram, nil)).Body.String()
	if strings.Contains(body, "EAAG-very-secret-token") || strings.Contains(body, "app-secret-value") {
		t.Error("a supervisor sees a secret")
	}

	// Saving with empty secrets keeps them; a new value replaces one.
	w = f.post(f.carla, "/admin/inboxes/"+strconv.FormatInt(in.ID, 10), url.Values{"name": {"WhatsApp NL"}, "phone_number_id": {"1122334455"},
		"access_token": {""}, "app_secret": {"new-app-secret"}, "verify_token": {"my-verify"}, "template_text_param": {"true"}})
	if !strings.HasPrefix(flashOf(w), "ok|") {
		t.Fatalf("save: flash %q", flashOf(w))
	}
	in = inboxNamed(f, "WhatsApp NL")
	if in.Settings["access_token"] != "EAAG-very-secret-token" || in.Settings["app_secret"] != "new-app-secret" {
		t.Errorf("after saving: access_token %q, app_secret %q", in.Settings["access_token"], in.Settings["app_secret"])
	}
}

func TestCreateInboxValidation(t *testing.T) {
	tests := []struct {
		name      string
		form      url.Values
		wantField []string // the inputs marked invalid
	}{
		{"whatsapp without number", url.Values{"channel": {"whatsapp"}, "name": {"W"}}, []string{"i-whatsapp-phone_number_id"}},
		{"email without address", url.Values{"channel": {"email"}, "name": {"E"}}, []string{"i-email-address"}},
		{"email with a bad address", url.Values{"channel": {"email"}, "name": {"E"}, "email.address": {"not an address"}},
			[]string{"i-email-address"}},
		{"email with bad smtp and imap", url.Values{"channel": {"email"}, "name": {"E"}, "email.address": {"a@example.nl"},
			"email.smtp_host": {"smtp.example.nl:587"}, "email.smtp_port": {"x"}, "email.imap_host": {"imap.example.nl"},
			"email.imap_tls": {"none"}}, []string{"i-email-smtp_host", "i-email-smtp_port", "i-email-imap_tls", "i-email-imap_password"}},
		{"bad template option", url.Values{"channel": {"whatsapp"}, "name": {"W"}, "whatsapp.phone_number_id": {"1"},
			"whatsapp.template_text_param": {"maybe"}}, []string{"i-whatsapp-template_text_param"}},
		{"telegram secret with spaces", url.Values{"channel": {"telegram"}, "name": {"T"}, "telegram.secret_token": {"a b"}},
			[]string{"i-telegram-secret_token"}},
		{"no name", url.Values{"channel": {"webchat"}}, []string{"i-name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			n := len(f.st.inboxes)
			w := f.post(f.carla, "/admin/inboxes", tc.form)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422 (flash %q)", w.Code, flashOf(w))
			}
			body := w.Body.String()
			if got := strings.Count(body, `aria-invalid="true"`); got != len(tc.wantField) {
				t.Errorf("%d invalid fields, want %d", got, len(tc.wantField))
			}
			for _, id := range tc.wantField {
				if !strings.Contains(body, `id="`+id+`"`) || !strings.Contains(body, `href="#`+id+`"`) {
					t.Errorf("the page does not list %s as a problem", id)
				}
			}
			// The form keeps what was typed, and the channel chosen.
			if !strings.Contains(body, `value="`+tc.form.Get("channel")+`" checked`) {
				t.Error("the chosen channel is not kept")
			}
			if len(f.st.inboxes) != n {
				t.Error("an invalid inbox was stored")
			}
		})
	}
}

func TestCreateInboxGeneratesTokens(t *testing.T) {
	f := newFixture(t)
	for _, form := range []url.Values{
		{"channel": {"telegram"}, "name": {"Telegram"}, "telegram.bot_token": {"123:abc"}},
		{"channel": {"messenger"}, "name": {"Messenger"}, "messenger.page_id": {"99"}},
		{"channel": {"email"}, "name": {"Mail"}, "email.address": {"support@example.nl"}},
	} {
		if w := f.post(f.carla, "/admin/inboxes", form); w.Code != http.StatusSeeOther || !strings.HasPrefix(flashOf(w), "ok|") {
			t.Fatalf("create %s: status %d flash %q", form.Get("channel"), w.Code, flashOf(w))
		}
	}
	if s := inboxNamed(f, "Telegram").Settings["secret_token"]; len(s) < 40 || strings.ContainsAny(s, "+/= ") {
		t.Errorf("telegram secret_token = %q, want a generated one", s)
	}
	if s := inboxNamed(f, "Messenger").Settings["verify_token"]; len(s) < 16 {
		t.Errorf("messenger verify_token = %q, want a generated one", s)
	}
	if s := inboxNamed(f, "Mail").Settings["reply_secret"]; len(s) < 16 {
		t.Errorf("email reply_secret = %q, want a generated one", s)
	}
}

func TestInboxPagesAreForAdmins(t *testing.T) {
	f := newFixture(t)
	f.st.inboxes[22] = &desk.Inbox{ID: 22, Name: "Bot", Channel: desk.ChannelTelegram, PublicKey: "tg",
		Settings: map[string]string{"bot_token": "1:x", "secret_token": "s"}}
	tests := []struct {
		name string
		req  *http.Request
	}{
		{"list", request(http.MethodGet, "/admin/inboxes", f.anna, nil)},
		{"page", request(http.MethodGet, "/admin/inboxes/22", f.anna, nil)},
		{"create", request(http.MethodPost, "/admin/inboxes", f.anna, url.Values{"csrf_token": {"csrf-" + f.anna.Email},
			"channel": {"telegram"}, "name": {"X"}})},
		{"connect", request(http.MethodPost, "/admin/inboxes/22/telegram/connect", f.anna, url.Values{"csrf_token": {"csrf-" + f.anna.Email}})},
		{"check as supervisor", request(http.MethodPost, "/admin/inboxes/22/telegram/check", f.bram, url.Values{"csrf_token": {"csrf-" + f.bram.Email}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if w := f.do(tc.req); w.Code != http.StatusForbidden {
				t.Errorf("status = %d, want 403", w.Code)
			}
		})
	}
}

// fakeTelegram is the Bot API's getMe and setWebhook.
type fakeTelegram struct {
	mu    sync.Mutex
	calls []string
	hooks []map[string]any
}

func (f *fakeTelegram) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	if !strings.HasPrefix(r.URL.Path, "/bot123:good/") {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"ok":false,"error_code":401,"description":"Unauthorized"}`))
		return
	}
	switch strings.TrimPrefix(r.URL.Path, "/bot123:good/") {
	case "getMe":
		w.Write([]byte(`{"ok":true,"result":{"id":42,"is_bot":true,"first_name":"Balie","username":"balie_bot"}}`))
	case "setWebhook":
		var p map[string]any
		json.NewDecoder(r.Body).Decode(&p)
		f.hooks = append(f.hooks, p)
		w.Write([]byte(`{"ok":true,"result":true}`))
	default:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"ok":false,"error_code":404,"description":"Not Found"}`))
	}
}

func TestTelegramConnectAndCheck(t *testing.T) {
	f := newFixture(t)
	api := &fakeTelegram{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	f.h.d.Telegram = telegram.New(telegram.Deps{})
	const secret = "tg-secret_0123456789"
	f.st.inboxes[22] = &desk.Inbox{ID: 22, Name: "Bot", Channel: desk.ChannelTelegram, PublicKey: "tgkey",
		Settings: map[string]string{"bot_token": "123:good", "secret_token": secret, "api_base": srv.URL}}
	f.st.inboxes[23] = &desk.Inbox{ID: 23, Name: "Bad bot", Channel: desk.ChannelTelegram, PublicKey: "tgbad",
		Settings: map[string]string{"bot_token": "999:wrong", "secret_token": secret, "api_base": srv.URL}}

	tests := []struct {
		name   string
		target string
		want   string
	}{
		{"check", "/admin/inboxes/22/telegram/check", "The bot token works: @balie_bot."},
		{"connect", "/admin/inboxes/22/telegram/connect", "Connected: Telegram now posts to http://example.com/hooks/telegram/tgkey."},
		{"wrong token", "/admin/inboxes/23/telegram/check", "Telegram refused: getMe: 401 Unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.post(f.carla, tc.target, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			body := w.Body.String()
			if !strings.Contains(body, tc.want) {
				t.Errorf("the page does not say %q", tc.want)
			}
			for _, s := range []string{"123:good", "999:wrong", secret} {
				if strings.Contains(body, s) {
					t.Errorf("the page shows the secret %q", s)
				}
			}
		})
	}
	if len(api.hooks) != 1 || api.hooks[0]["url"] != "http://example.com/hooks/telegram/tgkey" || api.hooks[0]["secret_token"] != secret {
		t.Errorf("setWebhook calls = %v", api.hooks)
	}

	// Without the channel the buttons are gone and the routes 404.
	f.h.d.Telegram = nil
	if body := f.do(request(http.MethodGet, "/admin/inboxes/22", f.carla, nil)).Body.String(); strings.Contains(body, "telegram-connect") {
		t.Error("the Connect button shows without a Telegram channel")
	}
	if w := f.post(f.carla, "/admin/inboxes/22/telegram/check", nil); w.Code != http.StatusNotFound {
		t.Errorf("check without a channel: status %d, want 404", w.Code)
	}
	// The buttons are for Telegram inboxes only.
	f.h.d.Telegram = telegram.New(telegram.Deps{})
	if w := f.post(f.carla, "/admin/inboxes/20/telegram/check", nil); w.Code != http.StatusNotFound {
		t.Errorf("check on a web chat inbox: status %d, want 404", w.Code)
	}
}

// TestChannelFieldsHaveTexts checks the catalogue keys the setting fields
// build at run time: label, hint, the invalid-field name and options.
func TestChannelFieldsHaveTexts(t *testing.T) {
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, ch := range inboxcfg.Channels() {
		keys = append(keys, "channel."+string(ch))
		for _, fd := range inboxcfg.Fields(ch) {
			keys = append(keys, "setting."+fd.Key, "setting."+fd.Key+"_hint")
			if fd.Group != "" {
				keys = append(keys, "inbox.group_"+fd.Group, "inbox.group_"+fd.Group+"_hint")
			}
			for _, o := range fd.Options {
				keys = append(keys, "setting."+fd.Key+"."+o)
			}
		}
		if inboxcfg.Hooked(ch) {
			keys = append(keys, "inbox.hook_hint_"+string(ch))
		}
	}
	for _, code := range []string{inboxcfg.CodeRequired, inboxcfg.CodeTooLong, inboxcfg.CodeTooShort, inboxcfg.CodeOneLine,
		inboxcfg.CodeEmail, inboxcfg.CodeURL, inboxcfg.CodeHost, inboxcfg.CodePort, inboxcfg.CodeNumber, inboxcfg.CodeOption,
		inboxcfg.CodeColour, inboxcfg.CodeDomain, inboxcfg.CodeSelector, inboxcfg.CodeKeyPEM, inboxcfg.CodeKeyWeak,
		inboxcfg.CodeKeyType, inboxcfg.CodeLoopback, inboxcfg.CodeTelegramToken, inboxcfg.CodeChannel, inboxcfg.CodeTooMany,
		inboxcfg.CodeKeyName} {
		keys = append(keys, "invalid."+code)
	}
	for _, k := range []desk.IdentityKind{desk.IdentityTelegram, desk.IdentityMessenger, desk.IdentityInstagram} {
		keys = append(keys, "identity."+string(k))
	}
	keys = append(keys, "dup.same_phone", "dup.same_email", "dup.same_order", "telegram.connected", "telegram.checked", "telegram.failed")
	for _, k := range keys {
		for lang, c := range cats {
			if _, ok := c[k]; !ok {
				t.Errorf("key %q missing from %s", k, lang)
			}
		}
	}
}

func TestReasonText(t *testing.T) {
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, locale, in, want string
	}{
		{"phone nl", "nl", "same phone +31612345678", "zelfde telefoonnummer +31612345678"},
		{"email en", "en", "same email jan@example.nl", "same email jan@example.nl"},
		{"order nl", "nl", "same name and order 1004321", "zelfde naam en bestelling 1004321"},
		{"unknown", "nl", "same shoe size", "same shoe size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := reasonText(cats[tc.locale], tc.in); got != tc.want {
				t.Errorf("reasonText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestGoldenIdentityPages(t *testing.T) {
	f := newFixture(t)
	f.st.contacts[32] = &desk.Contact{ID: 32, Name: "J. de Vries", Email: "JAN@example.nl", CreatedAt: at(-60 * 24)}
	f.st.merges = []desk.ContactMerge{
		{ID: 70, KeptID: 30, MergedID: 33, AgentID: 1, Merged: desk.Contact{ID: 33, Name: "Jan", Phone: "+31612345678"},
			Identities: []desk.Identity{{ID: 5, Kind: desk.IdentityTelegram, Value: "777"}}, Conversations: []int64{44},
			Reason: "same phone +31612345678", CreatedAt: at(-60 * 24 * 2)},
		{ID: 69, KeptID: 30, MergedID: 34, Merged: desk.Contact{ID: 34, Name: "Jantje"}, Reason: "same email jan@example.nl",
			CreatedAt: at(-60 * 24 * 5), UndoneAt: at(-60 * 24 * 4)},
	}
	f.st.inboxes[22] = &desk.Inbox{ID: 22, Name: "Telegram", Channel: desk.ChannelTelegram, PublicKey: "tgkey", TeamID: 10,
		Settings: map[string]string{"bot_token": "123:never-shown", "secret_token": "never-shown-either"}}
	f.st.inboxes[24] = &desk.Inbox{ID: 24, Name: "WhatsApp", Channel: desk.ChannelWhatsApp, PublicKey: "wakey",
		Settings: map[string]string{"phone_number_id": "1122", "app_secret": "app-secret-never-shown", "verify_token": "verify-me",
			"template_lang": "nl"}}
	f.h.d.Telegram = telegram.New(telegram.Deps{})
	annaEN := *f.anna
	annaEN.Locale = "en"
	tests := []struct {
		name string
		req  *http.Request
	}{
		{"contact_nl.html", request(http.MethodGet, "/app/contacts/30", f.anna, nil)},
		{"contact_en.html", request(http.MethodGet, "/app/contacts/30", &annaEN, nil)},
		{"inbox_telegram_en.html", request(http.MethodGet, "/admin/inboxes/22", f.carla, nil)},
		{"inbox_whatsapp_en.html", request(http.MethodGet, "/admin/inboxes/24", f.carla, nil)},
		{"inboxes_en.html", request(http.MethodGet, "/admin/inboxes", f.carla, nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(tc.req)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body:\n%s", w.Code, w.Body)
			}
			for _, s := range []string{"never-shown", "app-secret-never-shown"} {
				if strings.Contains(w.Body.String(), s) {
					t.Errorf("the page shows the secret %q", s)
				}
			}
			golden(t, tc.name, w.Body.Bytes())
		})
	}
}
