package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestWebhookRoles(t *testing.T) {
	tests := []struct {
		name       string
		who        func(f *fixture) *desk.Agent
		method     string
		path       string
		wantStatus int
		wantForms  bool // the add form and delete buttons are shown
	}{
		{"agent may not list", func(f *fixture) *desk.Agent { return f.anna }, http.MethodGet, "/admin/webhooks", http.StatusForbidden, false},
		{"supervisor lists read-only", func(f *fixture) *desk.Agent { return f.bram }, http.MethodGet, "/admin/webhooks", http.StatusOK, false},
		{"admin lists with forms", func(f *fixture) *desk.Agent { return f.carla }, http.MethodGet, "/admin/webhooks", http.StatusOK, true},
		{"agent may not add", func(f *fixture) *desk.Agent { return f.anna }, http.MethodPost, "/admin/webhooks", http.StatusForbidden, false},
		{"supervisor may not add", func(f *fixture) *desk.Agent { return f.bram }, http.MethodPost, "/admin/webhooks", http.StatusForbidden, false},
		{"supervisor may not delete", func(f *fixture) *desk.Agent { return f.bram }, http.MethodPost, "/admin/webhooks/60/delete", http.StatusForbidden, false},
		{"nobody is sent to login", func(f *fixture) *desk.Agent { return nil }, http.MethodGet, "/admin/webhooks", http.StatusSeeOther, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			who := tc.who(f)
			var w = f.do(request(tc.method, tc.path, who, nil))
			if tc.method == http.MethodPost {
				w = f.post(who, tc.path, url.Values{"url": {"https://x.example/h"}, "secret": {"0123456789abcdef"}})
			}
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			if tc.method == http.MethodPost && (len(f.st.webhooks) != 2 || f.adminChanged != 0) {
				t.Errorf("webhooks = %d, AdminChanged calls = %d after a refused post; want 2 and 0", len(f.st.webhooks), f.adminChanged)
			}
			if w.Code != http.StatusOK {
				return
			}
			body := w.Body.String()
			gotForms := strings.Contains(body, `action="/admin/webhooks"`) || strings.Contains(body, `/delete"`)
			if gotForms != tc.wantForms {
				t.Errorf("forms shown = %v, want %v", gotForms, tc.wantForms)
			}
			if !strings.Contains(body, "https://crm.example/hook") {
				t.Error("the list lacks a webhook's URL")
			}
			for _, secret := range []string{"stored-secret-never-shown", "another-stored-secret"} {
				if strings.Contains(body, secret) {
					t.Errorf("the list shows a stored secret %q", secret)
				}
			}
		})
	}
}

func TestWebhookCSRF(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/admin/webhooks", "/admin/webhooks/60/delete"} {
		form := url.Values{"url": {"https://x.example/h"}, "csrf_token": {"csrf-someone-else"}}
		if w := f.do(request(http.MethodPost, path, f.carla, form)); w.Code != http.StatusForbidden {
			t.Errorf("%s with a wrong token: status %d, want 403", path, w.Code)
		}
	}
	if len(f.st.webhooks) != 2 || f.adminChanged != 0 {
		t.Errorf("webhooks = %d, AdminChanged = %d, want 2 and 0", len(f.st.webhooks), f.adminChanged)
	}
}

func TestWebhookValidation(t *testing.T) {
	tests := []struct {
		name      string
		form      url.Values
		wantField string
	}{
		{"script URL", url.Values{"url": {"javascript:alert(1)"}}, "url"},
		{"ftp URL", url.Values{"url": {"ftp://files.example/x"}}, "url"},
		{"no host", url.Values{"url": {"https://"}}, "url"},
		{"no URL", url.Values{}, "url"},
		{"overlong URL", url.Values{"url": {"https://x.example/" + strings.Repeat("a", 2000)}}, "url"},
		{"short secret", url.Values{"url": {"https://x.example/h"}, "secret": {"0123456789abcde"}}, "secret"},
		{"unknown event", url.Values{"url": {"https://x.example/h"}, "event": {"message.created", "typing"}}, "events"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.post(f.carla, "/admin/webhooks", tc.form)
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/webhooks" {
				t.Fatalf("got %d to %q, want 303 back to the list", w.Code, w.Header().Get("Location"))
			}
			if got, want := flashOf(w), "error|flash.invalid|"+tc.wantField; got != want {
				t.Errorf("flash = %q, want %q", got, want)
			}
			if len(f.st.webhooks) != 2 || f.adminChanged != 0 {
				t.Errorf("webhooks = %d, AdminChanged = %d, want 2 and 0", len(f.st.webhooks), f.adminChanged)
			}
		})
	}
}

func TestWebhookCreateAndDelete(t *testing.T) {
	f := newFixture(t)
	// With a secret of the admin's own: stored, not shown, back to the list.
	w := f.post(f.carla, "/admin/webhooks", url.Values{"url": {" https://erp.example/in "}, "secret": {"my-own-secret-of-24-chars"},
		"event": {"message.created", "conversation.assigned", "message.created"}, "active": {"1"}})
	if w.Code != http.StatusSeeOther || flashOf(w) != "ok|flash.created|" {
		t.Fatalf("create: %d, flash %q", w.Code, flashOf(w))
	}
	got := f.findWebhook("https://erp.example/in")
	if got == nil || got.Secret != "my-own-secret-of-24-chars" || !got.Active ||
		!slices.Equal(got.Events, []string{"message.created", "conversation.assigned"}) || !got.CreatedAt.Equal(now) {
		t.Fatalf("stored webhook = %+v", got)
	}
	if f.adminChanged != 1 {
		t.Errorf("AdminChanged calls = %d, want 1", f.adminChanged)
	}

	// Without one: balie makes one and shows it on this response only.
	w = f.post(f.carla, "/admin/webhooks", url.Values{"url": {"http://localhost:9000/hook"}})
	if w.Code != http.StatusOK {
		t.Fatalf("create with a generated secret: status %d, want 200", w.Code)
	}
	gen := f.findWebhook("http://localhost:9000/hook")
	if gen == nil || len(gen.Secret) < minSecretLen || gen.Active || len(gen.Events) != 0 {
		t.Fatalf("stored webhook = %+v, want an inactive one for all events with a generated secret", gen)
	}
	m := regexp.MustCompile(`data-testid="new-secret-value">([^<]+)<`).FindStringSubmatch(w.Body.String())
	if m == nil || m[1] != gen.Secret {
		t.Errorf("shown secret = %v, want the stored %q", m, gen.Secret)
	}
	list := f.do(request(http.MethodGet, "/admin/webhooks", f.carla, nil)).Body.String()
	for _, s := range []string{gen.Secret, "my-own-secret-of-24-chars"} {
		if strings.Contains(list, s) {
			t.Errorf("the list shows the secret %q again", s)
		}
	}

	// Delete.
	w = f.post(f.carla, "/admin/webhooks/60/delete", nil)
	if w.Code != http.StatusSeeOther || flashOf(w) != "ok|flash.deleted|" {
		t.Fatalf("delete: %d, flash %q", w.Code, flashOf(w))
	}
	if _, ok := f.st.webhooks[60]; ok {
		t.Error("webhook 60 is still there")
	}
	if f.adminChanged != 3 {
		t.Errorf("AdminChanged calls = %d, want 3", f.adminChanged)
	}
	w = f.post(f.carla, "/admin/webhooks/60/delete", nil)
	if flashOf(w) != "error|flash.not_found|" {
		t.Errorf("deleting again: flash %q, want not found", flashOf(w))
	}
}

func (f *fixture) findWebhook(u string) *desk.Webhook {
	for _, w := range f.st.webhooks {
		if w.URL == u {
			return w
		}
	}
	return nil
}
