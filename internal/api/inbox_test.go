package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// inboxAPI calls the inbox routes through Serve, as the given role.
type inboxAPI struct {
	h *Handler
}

func newInboxAPI(t *testing.T) inboxAPI {
	return inboxAPI{h: New(Deps{Store: testenv.OpenSQLite(t)})}
}

// call fails only on a missing route; the caller checks the answer.
func (a inboxAPI) call(role desk.Role, method, path string, body any) (int, map[string]any) {
	var rt *Route
	pattern := path
	if i := strings.LastIndex(path, "/"); i >= len("/inboxes") {
		if _, err := strconv.Atoi(path[i+1:]); err == nil {
			pattern = path[:i+1] + "{id}"
		}
	}
	for i := range a.h.routes {
		if a.h.routes[i].Method == method && a.h.routes[i].Path == pattern {
			rt = &a.h.routes[i]
		}
	}
	if rt == nil {
		panic("no route " + method + " " + pattern)
	}
	var b bytes.Buffer
	if body != nil {
		json.NewEncoder(&b).Encode(body)
	}
	r := httptest.NewRequest(method, Prefix+path, &b)
	r.Header.Set("Content-Type", "application/json")
	r.SetPathValue("id", strings.TrimPrefix(path, "/inboxes/"))
	r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Agent: &desk.Agent{ID: 1, Role: role}, ViaToken: true}))
	w := httptest.NewRecorder()
	a.h.Serve(*rt).ServeHTTP(w, r)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

const testDKIMKey = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIAJ5vOWl2FIWcOUiRX1+fhROzSRIUeF0R9v1iBOw7i+1
-----END PRIVATE KEY-----
`

func TestCreateInboxOfEveryChannel(t *testing.T) {
	a := newInboxAPI(t)
	secrets := []string{"EAAG-secret-token", "meta-app-secret", "123:telegram-bot", "smtp-pass-word", "imap-pass-word",
		"sign-my-replies-please", "MC4CAQAwBQYDK2VwBCIEIAJ5vOWl2FIWcOUiRX1"}
	tests := []struct {
		channel  string
		settings map[string]any
		secrets  []string // the secret keys that must be set
	}{
		{"webchat", map[string]any{"greeting": "Hoi!", "color": "#AA3300"}, nil},
		{"api", map[string]any{"webhook_url": "https://shop.example.nl/hook", "webhook_secret": "sign-my-replies-please"},
			[]string{"webhook_secret"}},
		{"whatsapp", map[string]any{"phone_number_id": "1122", "access_token": "EAAG-secret-token", "app_secret": "meta-app-secret"},
			[]string{"access_token", "app_secret"}},
		{"messenger", map[string]any{"page_id": "99", "page_access_token": "EAAG-secret-token", "app_secret": "meta-app-secret"},
			[]string{"page_access_token", "app_secret"}},
		{"instagram", map[string]any{"page_id": "98", "page_access_token": "EAAG-secret-token"}, []string{"page_access_token"}},
		{"telegram", map[string]any{"bot_token": "123:telegram-bot"}, []string{"bot_token", "secret_token"}},
		{"email", map[string]any{"address": "support@example.nl", "from_name": "Support", "smtp_host": "smtp.example.nl",
			"smtp_port": "587", "smtp_tls": "starttls", "smtp_username": "support", "smtp_password": "smtp-pass-word",
			"dkim_selector": "balie", "dkim_private_key": testDKIMKey, "imap_host": "imap.example.nl",
			"imap_password": "imap-pass-word"},
			[]string{"smtp_password", "imap_password", "dkim_private_key", "reply_secret"}},
	}
	for _, tc := range tests {
		t.Run(tc.channel, func(t *testing.T) {
			code, out := a.call(desk.RoleAdmin, "POST", "/inboxes", map[string]any{"name": tc.channel + " inbox",
				"channel": tc.channel, "settings": tc.settings})
			if code != http.StatusCreated {
				t.Fatalf("create: status %d, body %v", code, out)
			}
			id := int64(out["id"].(float64))
			for _, body := range []map[string]any{out, a.mustGet(t, id)} {
				raw, _ := json.Marshal(body)
				for _, s := range secrets {
					if bytes.Contains(raw, []byte(s)) {
						t.Errorf("the answer shows the secret %q: %s", s, raw)
					}
				}
				set, _ := body["secrets"].(map[string]any)
				for _, k := range tc.secrets {
					if set[k] != true {
						t.Errorf("secrets[%s] = %v, want true", k, set[k])
					}
					if v := body["settings"].(map[string]any)[k]; v != "********" {
						t.Errorf("settings[%s] = %v, want the mask", k, v)
					}
				}
			}
		})
	}
	// Listing, even for an agent, shows no secret either.
	code, out := a.call(desk.RoleAgent, "GET", "/inboxes", nil)
	raw, _ := json.Marshal(out)
	if code != http.StatusOK || len(out["items"].([]any)) != len(tests) {
		t.Fatalf("list: status %d, %s", code, raw)
	}
	for _, s := range secrets {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the list shows the secret %q", s)
		}
	}
}

func (a inboxAPI) mustGet(t *testing.T, id int64) map[string]any {
	t.Helper()
	code, out := a.call(desk.RoleAgent, "GET", "/inboxes/"+strconv.FormatInt(id, 10), nil)
	if code != http.StatusOK {
		t.Fatalf("get %d: status %d %v", id, code, out)
	}
	return out
}

func TestCreateInboxInvalid(t *testing.T) {
	tests := []struct {
		name      string
		body      map[string]any
		wantField string
	}{
		{"unknown channel", map[string]any{"name": "X", "channel": "pigeon"}, "channel"},
		{"no name", map[string]any{"channel": "webchat"}, "name"},
		{"whatsapp without number", map[string]any{"name": "W", "channel": "whatsapp"}, "phone_number_id"},
		{"email with a bad port", map[string]any{"name": "E", "channel": "email",
			"settings": map[string]any{"address": "a@example.nl", "smtp_port": "99999"}}, "smtp_port"},
		{"email key that is no key", map[string]any{"name": "E", "channel": "email",
			"settings": map[string]any{"address": "a@example.nl", "dkim_selector": "s", "dkim_private_key": "secret"}}, "dkim_private_key"},
		{"api with a short secret", map[string]any{"name": "A", "channel": "api",
			"settings": map[string]any{"webhook_url": "https://example.nl/h", "webhook_secret": "short"}}, "webhook_secret"},
		{"telegram token with spaces", map[string]any{"name": "T", "channel": "telegram",
			"settings": map[string]any{"secret_token": "a b c"}}, "secret_token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newInboxAPI(t)
			code, out := a.call(desk.RoleAdmin, "POST", "/inboxes", tc.body)
			if code != http.StatusUnprocessableEntity || out["field"] != tc.wantField {
				t.Errorf("status %d field %v, want 422 and %q (%v)", code, out["field"], tc.wantField, out["detail"])
			}
			if detail, _ := out["detail"].(string); strings.Contains(detail, "secret") && tc.wantField == "dkim_private_key" {
				t.Errorf("the detail repeats the value: %q", detail)
			}
			if _, list := a.call(desk.RoleAdmin, "GET", "/inboxes", nil); len(list["items"].([]any)) != 0 {
				t.Error("an invalid inbox was stored")
			}
		})
	}
}

func TestCreateInboxIsForAdmins(t *testing.T) {
	a := newInboxAPI(t)
	for _, role := range []desk.Role{desk.RoleAgent, desk.RoleSupervisor} {
		if code, _ := a.call(role, "POST", "/inboxes", map[string]any{"name": "X", "channel": "webchat"}); code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", role, code)
		}
	}
}

func TestPatchInboxSettings(t *testing.T) {
	a := newInboxAPI(t)
	code, out := a.call(desk.RoleAdmin, "POST", "/inboxes", map[string]any{"name": "Mail", "channel": "email",
		"settings": map[string]any{"address": "support@example.nl", "from_name": "Support", "smtp_host": "smtp.example.nl",
			"smtp_username": "support", "smtp_password": "first-password"}})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	path := "/inboxes/" + strconv.FormatInt(id, 10)
	stored := func() map[string]string {
		in, err := a.h.Store.InboxByID(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return in.Settings
	}
	tests := []struct {
		name     string
		settings map[string]any
		want     map[string]string // "" means absent
		status   int
	}{
		{"absent keeps", map[string]any{"smtp_port": "465"},
			map[string]string{"smtp_port": "465", "smtp_password": "first-password", "from_name": "Support"}, 200},
		{"the mask sent back keeps the secret", map[string]any{"smtp_password": "********", "from_name": "Klantenservice"},
			map[string]string{"smtp_password": "first-password", "from_name": "Klantenservice"}, 200},
		{"empty keeps a secret and clears the rest", map[string]any{"smtp_password": "", "smtp_port": ""},
			map[string]string{"smtp_password": "first-password", "smtp_port": ""}, 200},
		{"a new secret", map[string]any{"smtp_password": "second-password"}, map[string]string{"smtp_password": "second-password"}, 200},
		{"null clears a secret", map[string]any{"smtp_password": nil, "smtp_username": nil},
			map[string]string{"smtp_password": "", "smtp_username": ""}, 200},
		{"invalid changes nothing", map[string]any{"smtp_tls": "ssl", "from_name": "Nope"},
			map[string]string{"from_name": "Klantenservice"}, 422},
		{"required cannot be cleared", map[string]any{"address": nil}, map[string]string{"address": "support@example.nl"}, 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := a.call(desk.RoleAdmin, "PATCH", path, map[string]any{"settings": tc.settings})
			if code != tc.status {
				t.Fatalf("status %d, want %d: %v", code, tc.status, out)
			}
			got := stored()
			for k, want := range tc.want {
				if v, ok := got[k]; want == "" && ok {
					t.Errorf("%s = %q, want it removed", k, v)
				} else if want != "" && v != want {
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
		})
	}
	if code, _ := a.call(desk.RoleAdmin, "PATCH", path, map[string]any{"channel": "webchat"}); code != http.StatusUnprocessableEntity {
		t.Errorf("changing the channel: status %d, want 422", code)
	}
}
