package sealed_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/sealed"
	"github.com/balie-dev/balie/internal/store/storetest"
	"github.com/balie-dev/balie/internal/testenv"
)

func box(t *testing.T) *sealed.Box {
	t.Helper()
	k, err := sealed.ParseKey(sealed.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	b, err := sealed.NewBox(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConformance: the sealing store still keeps the whole contract.
func TestConformance(t *testing.T) {
	b := box(t)
	storetest.Run(t, func(t *testing.T) desk.Store { return sealed.Wrap(testenv.OpenSQLite(t), b) })
}

func TestCredentialsAreSealedAtRest(t *testing.T) {
	ctx := context.Background()
	raw := testenv.OpenSQLite(t)
	b := box(t)
	st := sealed.Wrap(raw, b)

	in := &desk.Inbox{Name: "WhatsApp", Channel: desk.ChannelWhatsApp, PublicKey: "wa",
		Settings: map[string]string{"phone_number_id": "123", "access_token": "EAAG-secret", "app_secret": "s3cr3t"}}
	if err := st.InTx(ctx, func(tx desk.Store) error { return tx.CreateInbox(ctx, in) }); err != nil {
		t.Fatal(err)
	}
	if in.Settings["access_token"] != "EAAG-secret" {
		t.Errorf("the caller's settings were changed: %v", in.Settings)
	}
	stored, err := raw.InboxByID(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"access_token", "app_secret"} {
		if !strings.HasPrefix(stored.Settings[k], "sealed:v1:") || strings.Contains(stored.Settings[k], "secret") {
			t.Errorf("stored %s = %q, want it sealed", k, stored.Settings[k])
		}
	}
	if stored.Settings["phone_number_id"] != "123" {
		t.Errorf("a non-secret setting was sealed: %q", stored.Settings["phone_number_id"])
	}
	for name, read := range map[string]func() (*desk.Inbox, error){
		"InboxByID":  func() (*desk.Inbox, error) { return st.InboxByID(ctx, in.ID) },
		"InboxByKey": func() (*desk.Inbox, error) { return st.InboxByKey(ctx, "wa") },
		"ListInboxes": func() (*desk.Inbox, error) {
			ins, err := st.ListInboxes(ctx)
			if err != nil || len(ins) == 0 {
				return nil, err
			}
			return &ins[0], nil
		},
	} {
		got, err := read()
		if err != nil || got.Settings["access_token"] != "EAAG-secret" || got.Settings["app_secret"] != "s3cr3t" {
			t.Errorf("%s = %v, %v; want the credentials opened", name, got, err)
		}
	}

	// Webhook secrets and the AI provider's settings too.
	w := &desk.Webhook{URL: "https://example.com/hook", Secret: "hook-secret-0123456789", Active: true}
	if err := st.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	if rw, _ := raw.WebhookByID(ctx, w.ID); strings.Contains(rw.Secret, "hook-secret") {
		t.Errorf("webhook secret stored in the clear: %q", rw.Secret)
	}
	if got, err := st.WebhookByID(ctx, w.ID); err != nil || got.Secret != "hook-secret-0123456789" {
		t.Errorf("WebhookByID = %v, %v", got, err)
	}
	if err := st.SetSetting(ctx, "front.ai", `{"api_key":"sk-1"}`); err != nil {
		t.Fatal(err)
	}
	if v, _ := raw.Setting(ctx, "front.ai"); strings.Contains(v, "sk-1") {
		t.Errorf("AI settings stored in the clear: %q", v)
	}
	if v, err := st.Setting(ctx, "front.ai"); err != nil || v != `{"api_key":"sk-1"}` {
		t.Errorf("Setting(front.ai) = %q, %v", v, err)
	}

	// A value from before sealing is read as it is; another key is an error.
	legacy := &desk.Inbox{Name: "Old", Channel: desk.ChannelAPI, PublicKey: "old", Settings: map[string]string{"webhook_secret": "plain"}}
	if err := raw.CreateInbox(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if got, err := st.InboxByKey(ctx, "old"); err != nil || got.Settings["webhook_secret"] != "plain" {
		t.Errorf("legacy plain value = %v, %v", got, err)
	}
	other := sealed.Wrap(raw, box(t))
	if _, err := other.InboxByID(ctx, in.ID); !errors.Is(err, sealed.ErrWrongKey) {
		t.Errorf("opening with another key: err = %v, want ErrWrongKey", err)
	}
}

func TestParseKey(t *testing.T) {
	for _, bad := range []string{"", "short", "!!!not base64!!!"} {
		if _, err := sealed.ParseKey(bad); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("ParseKey(%q) err = %v, want ErrInvalid", bad, err)
		}
	}
}
