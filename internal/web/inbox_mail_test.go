package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// fakeMail is balie's mail set-up with a fixed key.
type fakeMail struct{ mx string }

const fakeKey = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAJ5vOWl2FIWcOUiRX1+fhROzSRIUeF0R9v1iBOw7i+1\n-----END PRIVATE KEY-----\n"

func (fakeMail) GenerateDKIMKey(kind string) (string, error) {
	if kind != "rsa" && kind != "ed25519" {
		return "", errors.New("bad kind")
	}
	return fakeKey, nil
}

func (fakeMail) DKIMRecord(pemKey string) (string, error) {
	if pemKey != fakeKey {
		return "", errors.New("unknown key")
	}
	return "v=DKIM1; k=ed25519; p=PUBLICHALF", nil
}

func (m fakeMail) MXHost() string { return m.mx }

func TestEmailInboxSettings(t *testing.T) {
	f := newFixture(t)
	f.h.d.Mail = fakeMail{mx: "mx.balie.example"}
	secrets := []string{"smtp-pass-never-shown", "imap-pass-never-shown", "MC4CAQAwBQYDK2VwBCIEIAJ5vOWl2FIWcOUiRX1"}
	w := f.post(f.carla, "/admin/inboxes", url.Values{"channel": {"email"}, "name": {"Support mail"},
		"email.address": {"support@example.nl"}, "email.from_name": {"De Spaak"},
		"email.smtp_host": {"SMTP.example.nl"}, "email.smtp_port": {"465"}, "email.smtp_tls": {"tls"},
		"email.smtp_username": {"support"}, "email.smtp_password": {secrets[0]},
		"email.imap_host": {"imap.example.nl"}, "email.imap_tls": {"tls"}, "email.imap_password": {secrets[1]},
		"email.imap_interval": {"120"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: status %d, flash %q\n%s", w.Code, flashOf(w), w.Body)
	}
	in := inboxNamed(f, "Support mail")
	want := map[string]string{"address": "support@example.nl", "from_name": "De Spaak", "smtp_host": "smtp.example.nl",
		"smtp_port": "465", "smtp_tls": "tls", "smtp_username": "support", "smtp_password": secrets[0],
		"imap_host": "imap.example.nl", "imap_password": secrets[1], "imap_interval": "120"}
	for k, v := range want {
		if in.Settings[k] != v {
			t.Errorf("setting %s = %q, want %q", k, in.Settings[k], v)
		}
	}
	if len(in.Settings["reply_secret"]) < 16 {
		t.Error("no reply secret generated")
	}
	page := "/admin/inboxes/" + strconv.FormatInt(in.ID, 10)

	// The DKIM button stores a key and the page shows its record.
	w = f.post(f.carla, page+"/dkim", url.Values{"kind": {"ed25519"}, "selector": {"balie2025"}})
	if !strings.HasPrefix(flashOf(w), "ok|flash.dkim_generated") {
		t.Fatalf("dkim: flash %q", flashOf(w))
	}
	in = inboxNamed(f, "Support mail")
	if in.Settings["dkim_private_key"] != fakeKey || in.Settings["dkim_selector"] != "balie2025" {
		t.Errorf("dkim settings = %q / %q", in.Settings["dkim_private_key"], in.Settings["dkim_selector"])
	}
	// A second press without "replace" keeps the key.
	if w = f.post(f.carla, page+"/dkim", url.Values{"kind": {"rsa"}}); !strings.HasPrefix(flashOf(w), "error|flash.invalid|dkim_private_key") {
		t.Errorf("second dkim without replace: flash %q", flashOf(w))
	}

	body := f.do(request(http.MethodGet, page, f.carla, nil)).Body.String()
	for _, s := range secrets {
		if strings.Contains(body, s) {
			t.Errorf("the page shows the secret %q", s)
		}
	}
	for _, want := range []string{`value="balie2025._domainkey.example.nl" data-testid="dkim-record-name"`,
		`data-testid="dkim-record">v=DKIM1; k=ed25519; p=PUBLICHALF<`, `value="mx.balie.example" data-testid="mx-host"`,
		`name="smtp_host" type="text" value="smtp.example.nl"`, `<option value="tls" selected>`,
		`data-testid="dkim-replace"`, `name="smtp_password.clear"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(body, `data-testid="secret-set"`); n != 4 { // reply, smtp, dkim, imap
		t.Errorf("%d secrets shown as set, want 4", n)
	}

	// Saving with empty secrets keeps them; "clear" removes one; a bad
	// port is shown at its field, and nothing is saved.
	form := url.Values{"name": {"Support mail"}, "address": {"support@example.nl"}, "smtp_host": {"smtp.example.nl"},
		"smtp_port": {"99999"}, "smtp_tls": {"tls"}, "smtp_username": {"support"}, "smtp_password": {""},
		"imap_host": {"imap.example.nl"}, "imap_password": {""}, "dkim_selector": {"balie2025"}, "dkim_private_key": {""}}
	w = f.post(f.carla, page, form)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad port: status %d, want 422", w.Code)
	}
	body = w.Body.String()
	if !strings.Contains(body, `id="i-smtp_port-error" class="field__error" data-testid="field-error">a port number from 1 to 65535<`) ||
		!strings.Contains(body, `value="99999"`) {
		t.Errorf("the rejected form does not show the port's problem or the typed value")
	}
	for _, s := range secrets {
		if strings.Contains(body, s) {
			t.Errorf("the rejected form shows the secret %q", s)
		}
	}
	form.Set("smtp_port", "587")
	form.Set("smtp_tls", "starttls")
	form.Set("imap_host", "")
	form.Set("imap_password.clear", "1")
	if w = f.post(f.carla, page, form); !strings.HasPrefix(flashOf(w), "ok|") {
		t.Fatalf("save: status %d flash %q\n%s", w.Code, flashOf(w), w.Body)
	}
	in = inboxNamed(f, "Support mail")
	if in.Settings["smtp_password"] != secrets[0] || in.Settings["dkim_private_key"] != fakeKey {
		t.Error("saving with empty secrets lost them")
	}
	if _, ok := in.Settings["imap_password"]; ok || in.Settings["imap_host"] != "" || in.Settings["smtp_port"] != "587" {
		t.Errorf("after saving: imap_password kept %v, imap_host %q, smtp_port %q", ok, in.Settings["imap_host"], in.Settings["smtp_port"])
	}
}

func TestEmailInboxPageInDutch(t *testing.T) {
	f := newFixture(t)
	f.h.d.Mail = fakeMail{}
	f.st.inboxes[26] = &desk.Inbox{ID: 26, Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mailkey",
		Settings: map[string]string{"address": "support@example.nl", "reply_secret": "0123456789abcdefghij"}}
	carlaNL := *f.carla
	carlaNL.Locale = "nl"
	r := request(http.MethodPost, "/admin/inboxes/26", &carlaNL, url.Values{"csrf_token": {"csrf-" + f.carla.Email},
		"name": {"Mail"}, "address": {"support@example.nl"}, "smtp_host": {"smtp.example.nl"}, "smtp_tls": {"none"}})
	w := f.do(r)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{"zonder versleuteling alleen naar een server op deze machine", `data-testid="mx-none"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestDKIMButtonIsForAdminsAndEmail(t *testing.T) {
	f := newFixture(t)
	f.h.d.Mail = fakeMail{}
	f.st.inboxes[26] = &desk.Inbox{ID: 26, Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mailkey",
		Settings: map[string]string{"address": "support@example.nl", "reply_secret": "0123456789abcdefghij"}}
	tests := []struct {
		name  string
		agent *desk.Agent
		path  string
		want  int
	}{
		{"agent", f.anna, "/admin/inboxes/26/dkim", http.StatusForbidden},
		{"supervisor", f.bram, "/admin/inboxes/26/dkim", http.StatusForbidden},
		{"web chat inbox", f.carla, "/admin/inboxes/20/dkim", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(request(http.MethodPost, tc.path, tc.agent, url.Values{"csrf_token": {"csrf-" + tc.agent.Email}}))
			if w.Code != tc.want {
				t.Errorf("status %d, want %d", w.Code, tc.want)
			}
		})
	}
	if in := f.st.inboxes[26]; in.Settings["dkim_private_key"] != "" {
		t.Error("a refused press stored a key")
	}
}

func TestGoldenEmailInboxPage(t *testing.T) {
	f := newFixture(t)
	f.h.d.Mail = fakeMail{mx: "mx.balie.example"}
	f.st.inboxes[26] = &desk.Inbox{ID: 26, Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mailkey",
		Settings: map[string]string{"address": "support@example.nl", "reply_secret": "reply-secret-never-shown",
			"smtp_host": "smtp.example.nl", "smtp_username": "support", "smtp_password": "smtp-never-shown",
			"dkim_selector": "balie2025", "dkim_private_key": fakeKey}}
	w := f.do(request(http.MethodGet, "/admin/inboxes/26", f.carla, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	for _, s := range []string{"never-shown", "MC4CAQAwBQYDK2VwBCIEIAJ5vOWl2FIWcOUiRX1"} {
		if strings.Contains(w.Body.String(), s) {
			t.Errorf("the page shows the secret %q", s)
		}
	}
	golden(t, "inbox_email_en.html", w.Body.Bytes())
}
