package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

var sessionTests = []test{
	{"session lifecycle", func(t *testing.T, s desk.Store) {
		a := newAgent(t, s, "Anna", "anna@example.com")
		now := time.Now().UTC()
		live := &desk.Session{ID: "sha-live", AgentID: a.ID, CSRFToken: "csrf1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		old := &desk.Session{ID: "sha-old", AgentID: a.ID, CSRFToken: "csrf2", CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Minute)}
		must(t, s.CreateSession(ctx(t), live), "CreateSession live")
		must(t, s.CreateSession(ctx(t), old), "CreateSession old")
		wantErr(t, s.CreateSession(ctx(t), &desk.Session{ID: "sha-live", AgentID: a.ID, ExpiresAt: now.Add(time.Hour)}),
			desk.ErrConflict, "CreateSession duplicate id")

		got, err := s.SessionByID(ctx(t), "sha-live")
		must(t, err, "SessionByID")
		if got.ID != "sha-live" || got.AgentID != a.ID || got.CSRFToken != "csrf1" {
			t.Errorf("SessionByID = %+v", got)
		}
		checkTime(t, "ExpiresAt", got.ExpiresAt, live.ExpiresAt)
		_, err = s.SessionByID(ctx(t), "sha-old")
		wantErr(t, err, desk.ErrNotFound, "SessionByID expired")
		_, err = s.SessionByID(ctx(t), "sha-none")
		wantErr(t, err, desk.ErrNotFound, "SessionByID missing")

		must(t, s.DeleteSession(ctx(t), "sha-live"), "DeleteSession")
		_, err = s.SessionByID(ctx(t), "sha-live")
		wantErr(t, err, desk.ErrNotFound, "SessionByID after delete")
		must(t, s.DeleteSession(ctx(t), "sha-live"), "DeleteSession twice")
	}},
	{"touch extends an unexpired session", func(t *testing.T, s desk.Store) {
		a := newAgent(t, s, "Anna", "anna@example.com")
		now := time.Now().UTC()
		live := &desk.Session{ID: "live", AgentID: a.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		old := &desk.Session{ID: "old", AgentID: a.ID, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Minute)}
		must(t, s.CreateSession(ctx(t), live), "CreateSession live")
		must(t, s.CreateSession(ctx(t), old), "CreateSession old")

		must(t, s.TouchSession(ctx(t), "live", now.Add(5*time.Hour)), "TouchSession")
		got, err := s.SessionByID(ctx(t), "live")
		must(t, err, "SessionByID")
		checkTime(t, "ExpiresAt after touch", got.ExpiresAt, now.Add(5*time.Hour))
		checkTime(t, "CreatedAt after touch", got.CreatedAt, now)

		tests := []struct {
			name, id string
		}{
			{"expired", "old"},
			{"missing", "none"},
		}
		for _, tc := range tests {
			wantErr(t, s.TouchSession(ctx(t), tc.id, now.Add(time.Hour)), desk.ErrNotFound, "TouchSession "+tc.name)
		}
		_, err = s.SessionByID(ctx(t), "old")
		wantErr(t, err, desk.ErrNotFound, "expired session after a touch")
	}},
	{"delete an agent's sessions", func(t *testing.T, s desk.Store) {
		a := newAgent(t, s, "Anna", "anna@example.com")
		b := newAgent(t, s, "Bram", "bram@example.com")
		exp := time.Now().UTC().Add(time.Hour)
		for _, sess := range []*desk.Session{
			{ID: "a1", AgentID: a.ID, ExpiresAt: exp},
			{ID: "a2", AgentID: a.ID, ExpiresAt: exp},
			{ID: "a3", AgentID: a.ID, ExpiresAt: exp},
			{ID: "b1", AgentID: b.ID, ExpiresAt: exp},
		} {
			must(t, s.CreateSession(ctx(t), sess), "CreateSession "+sess.ID)
		}
		alive := func(id string) bool {
			t.Helper()
			_, err := s.SessionByID(ctx(t), id)
			if err != nil && !errors.Is(err, desk.ErrNotFound) {
				t.Fatalf("SessionByID %s: %v", id, err)
			}
			return err == nil
		}
		steps := []struct {
			name    string
			agent   int64
			except  string
			alive   []string
			deleted []string
		}{
			{"all but the current one", a.ID, "a2", []string{"a2", "b1"}, []string{"a1", "a3"}},
			{"again: idempotent", a.ID, "a2", []string{"a2", "b1"}, nil},
			{"except another agent's session", a.ID, "b1", []string{"b1"}, []string{"a2"}},
			{"all", b.ID, "", nil, []string{"b1"}},
			{"agent without sessions", 999, "", nil, nil},
		}
		for _, st := range steps {
			must(t, s.DeleteAgentSessions(ctx(t), st.agent, st.except), "DeleteAgentSessions "+st.name)
			for _, id := range st.alive {
				if !alive(id) {
					t.Errorf("%s: session %s gone, want it kept", st.name, id)
				}
			}
			for _, id := range st.deleted {
				if alive(id) {
					t.Errorf("%s: session %s kept, want it deleted", st.name, id)
				}
			}
		}
	}},
	{"delete expired", func(t *testing.T, s desk.Store) {
		a := newAgent(t, s, "Anna", "anna@example.com")
		now := time.Now().UTC()
		for _, sess := range []*desk.Session{
			{ID: "one-hour", AgentID: a.ID, ExpiresAt: now.Add(time.Hour)},
			{ID: "two-hours", AgentID: a.ID, ExpiresAt: now.Add(2 * time.Hour)},
		} {
			must(t, s.CreateSession(ctx(t), sess), "CreateSession")
		}
		// Deleting as if 90 minutes had passed removes the first for good,
		// even though by the real clock it is still valid.
		must(t, s.DeleteExpiredSessions(ctx(t), now.Add(90*time.Minute)), "DeleteExpiredSessions")
		_, err := s.SessionByID(ctx(t), "one-hour")
		wantErr(t, err, desk.ErrNotFound, "one-hour")
		_, err = s.SessionByID(ctx(t), "two-hours")
		must(t, err, "two-hours")
	}},
	{"api tokens", func(t *testing.T, s desk.Store) {
		a := newAgent(t, s, "Anna", "anna@example.com")
		b := newAgent(t, s, "Bram", "bram@example.com")
		t1 := &desk.APIToken{AgentID: a.ID, Name: "crm", Hash: "h1", Prefix: "bal_ab", CreatedAt: at(0)}
		t2 := &desk.APIToken{AgentID: a.ID, Name: "shop", Hash: "h2", Prefix: "bal_cd"}
		t3 := &desk.APIToken{AgentID: b.ID, Name: "bi", Hash: "h3", Prefix: "bal_ef"}
		for _, tk := range []*desk.APIToken{t1, t2, t3} {
			must(t, s.CreateAPIToken(ctx(t), tk), "CreateAPIToken "+tk.Name)
			if tk.ID == 0 || tk.CreatedAt.IsZero() {
				t.Errorf("CreateAPIToken did not set ID/CreatedAt: %+v", tk)
			}
		}
		wantErr(t, s.CreateAPIToken(ctx(t), &desk.APIToken{AgentID: b.ID, Name: "dup", Hash: "h1"}), desk.ErrConflict, "duplicate hash")

		got, err := s.APITokenByHash(ctx(t), "h1")
		must(t, err, "APITokenByHash")
		if got.ID != t1.ID || got.AgentID != a.ID || got.Name != "crm" || got.Prefix != "bal_ab" || !got.LastUsedAt.IsZero() {
			t.Errorf("APITokenByHash = %+v, want %+v", got, t1)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, at(0))

		must(t, s.TouchAPIToken(ctx(t), t1.ID, at(30)), "TouchAPIToken")
		got, err = s.APITokenByHash(ctx(t), "h1")
		must(t, err, "APITokenByHash after touch")
		checkTime(t, "LastUsedAt", got.LastUsedAt, at(30))

		list, err := s.ListAPITokens(ctx(t), a.ID)
		must(t, err, "ListAPITokens")
		if gotIDs := ids(list, func(t desk.APIToken) int64 { return t.ID }); !sameIDs(gotIDs, []int64{t1.ID, t2.ID}) {
			t.Errorf("ListAPITokens = %v, want %v", gotIDs, []int64{t1.ID, t2.ID})
		}

		must(t, s.DeleteAPIToken(ctx(t), t1.ID), "DeleteAPIToken")
		_, err = s.APITokenByHash(ctx(t), "h1")
		wantErr(t, err, desk.ErrNotFound, "APITokenByHash after delete")
		wantErr(t, s.DeleteAPIToken(ctx(t), t1.ID), desk.ErrNotFound, "DeleteAPIToken twice")
		wantErr(t, s.TouchAPIToken(ctx(t), t1.ID, at(31)), desk.ErrNotFound, "TouchAPIToken deleted")
	}},
}

var webhookTests = []test{
	{"crud", func(t *testing.T, s desk.Store) {
		w := &desk.Webhook{URL: "https://crm.example.com/hook", Secret: "s3cret",
			Events: []string{desk.EventMessageCreated, desk.EventConversationAssigned}, Active: true, CreatedAt: at(0)}
		must(t, s.CreateWebhook(ctx(t), w), "CreateWebhook")
		all := &desk.Webhook{URL: "https://bi.example.com/hook", Secret: "x"}
		must(t, s.CreateWebhook(ctx(t), all), "CreateWebhook all events")
		if w.ID == 0 || all.CreatedAt.IsZero() {
			t.Fatalf("CreateWebhook did not set ID/CreatedAt")
		}
		got, err := s.WebhookByID(ctx(t), w.ID)
		must(t, err, "WebhookByID")
		if got.URL != w.URL || got.Secret != "s3cret" || !got.Active || !sameStrings(got.Events, w.Events) {
			t.Errorf("WebhookByID = %+v, want %+v", got, w)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, at(0))

		w.URL, w.Secret, w.Events, w.Active = "https://crm.example.com/v2", "new", nil, false
		must(t, s.UpdateWebhook(ctx(t), w), "UpdateWebhook")
		got, err = s.WebhookByID(ctx(t), w.ID)
		must(t, err, "WebhookByID after update")
		if got.URL != w.URL || got.Secret != "new" || got.Active || len(got.Events) != 0 {
			t.Errorf("after update = %+v", got)
		}

		list, err := s.ListWebhooks(ctx(t))
		must(t, err, "ListWebhooks")
		if gotIDs := ids(list, func(w desk.Webhook) int64 { return w.ID }); !sameIDs(gotIDs, []int64{w.ID, all.ID}) {
			t.Errorf("ListWebhooks = %v, want %v", gotIDs, []int64{w.ID, all.ID})
		}
		must(t, s.DeleteWebhook(ctx(t), w.ID), "DeleteWebhook")
		_, err = s.WebhookByID(ctx(t), w.ID)
		wantErr(t, err, desk.ErrNotFound, "WebhookByID after delete")
		wantErr(t, s.DeleteWebhook(ctx(t), w.ID), desk.ErrNotFound, "DeleteWebhook twice")
		wantErr(t, s.UpdateWebhook(ctx(t), w), desk.ErrNotFound, "UpdateWebhook deleted")
	}},
}

var settingTests = []test{
	{"set and get", func(t *testing.T, s desk.Store) {
		_, err := s.Setting(ctx(t), "branding")
		wantErr(t, err, desk.ErrNotFound, "Setting unset")
		must(t, s.SetSetting(ctx(t), "branding", `{"color":"#0a0"}`), "SetSetting")
		must(t, s.SetSetting(ctx(t), "hours", `[]`), "SetSetting other")
		must(t, s.SetSetting(ctx(t), "branding", `{"color":"#f00"}`), "SetSetting overwrite")
		for _, tc := range []struct{ key, want string }{{"branding", `{"color":"#f00"}`}, {"hours", `[]`}} {
			got, err := s.Setting(ctx(t), tc.key)
			must(t, err, "Setting "+tc.key)
			if got != tc.want {
				t.Errorf("Setting(%q) = %q, want %q", tc.key, got, tc.want)
			}
		}
	}},
}
