package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/channel/metagraph/metagraphtest"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

func TestVerify(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	noToken := e.inbox(t, map[string]string{SettingVerifyToken: ""})
	tests := []struct {
		name   string
		inbox  desk.Inbox
		query  url.Values
		status int
		body   string
	}{
		{"right token", in, url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"verify-me"}, "hub.challenge": {"1158201444"}}, 200, "1158201444"},
		{"wrong token", in, url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"guess"}, "hub.challenge": {"1"}}, 403, ""},
		{"no token", in, url.Values{"hub.mode": {"subscribe"}, "hub.challenge": {"1"}}, 403, ""},
		{"wrong mode", in, url.Values{"hub.mode": {"unsubscribe"}, "hub.verify_token": {"verify-me"}, "hub.challenge": {"1"}}, 403, ""},
		{"inbox without verify token", noToken, url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {""}, "hub.challenge": {"1"}}, 403, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/hooks/whatsapp/x?"+tc.query.Encode(), nil)
			w := httptest.NewRecorder()
			e.ch.Webhook(tc.inbox).ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d", w.Code, tc.status)
			}
			if tc.body != "" && w.Body.String() != tc.body {
				t.Errorf("body = %q, want the challenge %q", w.Body.String(), tc.body)
			}
		})
	}
}

func TestSignatureRejected(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	body := textPayload(testPNID, "wamid.sig1", "31612345678", "Anna", "hallo")
	tests := []struct {
		name      string
		body      []byte
		signature string
	}{
		{"missing", body, ""},
		{"other secret", body, metagraphtest.Sign("not-the-secret", body)},
		{"body changed", []byte(strings.Replace(string(body), "hallo", "hallO", 1)), metagraphtest.Sign(testSecret, body)},
		{"no prefix", body, strings.TrimPrefix(metagraphtest.Sign(testSecret, body), "sha256=")},
		{"sha1", body, "sha1=" + strings.TrimPrefix(metagraphtest.Sign(testSecret, body), "sha256=")},
		{"not hex", body, "sha256=zz" + strings.TrimPrefix(metagraphtest.Sign(testSecret, body), "sha256=zz")[4:]},
		{"truncated", body, metagraphtest.Sign(testSecret, body)[:40]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := e.Post(t, in, tc.body, tc.signature); got != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", got)
			}
		})
	}
	if got := e.Messages(t, in); len(got) != 0 {
		t.Errorf("stored %d messages after bad signatures, want none", len(got))
	}
	noSecret := e.inbox(t, map[string]string{SettingAppSecret: ""})
	if got := e.Post(t, noSecret, body, metagraphtest.Sign("", body)); got != http.StatusUnauthorized {
		t.Errorf("inbox without app_secret: status = %d, want 401", got)
	}
	if got := e.Messages(t, noSecret); len(got) != 0 {
		t.Errorf("inbox without app_secret stored %d messages, want none", len(got))
	}
	// The accepted body goes through once signed properly.
	if got := e.PostSigned(t, in, body); got != http.StatusOK {
		t.Fatalf("signed: status = %d, want 200", got)
	}
	if got := e.Messages(t, in); len(got) != 1 {
		t.Errorf("signed: stored %d messages, want 1", len(got))
	}
}

func TestInboundTextAndReplay(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	body := textPayload(testPNID, "wamid.A1", "31612345678", "Anna de Vries", "Waar blijft mijn pakket?")
	for i := range 2 {
		if got := e.PostSigned(t, in, body); got != http.StatusOK {
			t.Fatalf("post %d: status = %d, want 200", i+1, got)
		}
	}
	got := e.Messages(t, in)
	if len(got) != 1 {
		t.Fatalf("stored %d messages after a replay, want 1", len(got))
	}
	m := got[0]
	if m.Body != "Waar blijft mijn pakket?" || m.ExternalID != "wamid.A1" || m.Sender != desk.SenderContact {
		t.Errorf("message = %q (%s, %s), want the text from the contact with its wamid", m.Body, m.ExternalID, m.Sender)
	}
	if m.Contact.Name != "Anna de Vries" || m.Contact.Phone != "+31612345678" {
		t.Errorf("contact = %q %q, want Anna de Vries +31612345678", m.Contact.Name, m.Contact.Phone)
	}
	if want := "2025-11-26T09:40:00Z"; m.CreatedAt.UTC().Format("2006-01-02T15:04:05Z") != want {
		t.Errorf("created at %v, want the WhatsApp timestamp %s", m.CreatedAt, want)
	}
	// A second message of the same customer joins the open conversation.
	if got := e.PostSigned(t, in, textPayload(testPNID, "wamid.A2", "31612345678", "Anna de Vries", "Hallo?")); got != 200 {
		t.Fatalf("second message: status %d", got)
	}
	got = e.Messages(t, in)
	if len(got) != 2 || got[0].ConversationID != got[1].ConversationID {
		t.Errorf("got %d messages, conversations %v, want 2 in one conversation", len(got), got)
	}
}

func TestOtherNumberIgnored(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	if got := e.PostSigned(t, in, textPayload("999999", "wamid.B1", "31612345678", "Anna", "hoi")); got != http.StatusOK {
		t.Fatalf("status = %d, want 200", got)
	}
	if got := e.Messages(t, in); len(got) != 0 {
		t.Errorf("stored %d messages for another number, want none", len(got))
	}
	if !strings.Contains(e.Logs.String(), "another number") {
		t.Errorf("no log line for the other number; logs:\n%s", e.Logs)
	}
}

func TestUnknownEventsAcknowledged(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	tests := []struct {
		name, body, log string
	}{
		{"unknown field", `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"brand_new_thing","value":{"x":1}}]}]}`, "brand_new_thing"},
		{"unknown object", `{"object":"page","entry":[]}`, "object=page"},
		{"unknown message type", `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"from":"31612345678","id":"wamid.U1","timestamp":"1","type":"hologram","hologram":{}}]}}]}]}`, "hologram"},
		{"unknown status", `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.U2","status":"teleported"}]}}]}]}`, "teleported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := e.PostSigned(t, in, []byte(tc.body)); got != http.StatusOK {
				t.Fatalf("status = %d, want 200", got)
			}
			if !strings.Contains(e.Logs.String(), tc.log) {
				t.Errorf("no log line mentioning %q; logs:\n%s", tc.log, e.Logs)
			}
		})
	}
	if got := e.Messages(t, in); len(got) != 0 {
		t.Errorf("stored %d messages, want none", len(got))
	}
}

func TestStatusesUpdateDelivery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := e.inbox(t, nil)
	if got := e.PostSigned(t, in, textPayload(testPNID, "wamid.C1", "31612345678", "Anna", "hallo")); got != 200 {
		t.Fatalf("inbound: status %d", got)
	}
	conv := e.Messages(t, in)[0].ConversationID
	agent := &desk.Agent{Email: "piet@example.com", Name: "Piet", Role: desk.RoleAgent, Locale: "nl", Availability: desk.Online}
	if err := e.Store.CreateAgent(ctx, agent); err != nil {
		t.Fatal(err)
	}
	reply := func(ext string) int64 {
		m, err := e.Conversations.Reply(ctx, conversation.Actor{AgentID: agent.ID, Name: agent.Name}, conv, "Het komt morgen.", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Store.SetExternalID(ctx, m.ID, ext); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	delivered, failed := reply("wamid.out-1"), reply("wamid.out-2")
	steps := []struct {
		name    string
		msg     int64
		status  string
		errText string
		want    desk.Delivery
		wantErr string
	}{
		{"sent", delivered, "sent", "", desk.DeliverySent, ""},
		{"delivered", delivered, "delivered", "", desk.DeliveryDelivered, ""},
		{"read", delivered, "read", "", desk.DeliveryRead, ""},
		{"late sent does not go back", delivered, "sent", "", desk.DeliveryRead, ""},
		{"failed", failed, "failed", "Message undeliverable", desk.DeliveryFailed, "Message undeliverable"},
	}
	wamids := map[int64]string{delivered: "wamid.out-1", failed: "wamid.out-2"}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if got := e.PostSigned(t, in, statusPayload(testPNID, wamids[s.msg], s.status, s.errText)); got != 200 {
				t.Fatalf("status = %d, want 200", got)
			}
			m, err := e.Store.MessageByID(ctx, s.msg)
			if err != nil {
				t.Fatal(err)
			}
			if m.Delivery != s.want {
				t.Errorf("delivery = %q, want %q", m.Delivery, s.want)
			}
			if !strings.Contains(m.Error, s.wantErr) {
				t.Errorf("error = %q, want it to mention %q", m.Error, s.wantErr)
			}
		})
	}
	// A status of a message balie never sent is acknowledged.
	if got := e.PostSigned(t, in, statusPayload(testPNID, "wamid.elsewhere", "read", "")); got != 200 {
		t.Errorf("status of an unknown message: %d, want 200", got)
	}
}

// failingConversations fails every ingest and receipt, as a store that is
// down would.
type failingConversations struct{}

func (failingConversations) Ingest(context.Context, desk.Inbound) (*conversation.IngestResult, error) {
	return nil, fmt.Errorf("conversation: ingest: database is locked")
}

func (failingConversations) Receipt(context.Context, int64, string, desk.Delivery, string) error {
	return errors.New("conversation: receipt: database is locked")
}

func TestStoreFailureAsksForRetry(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Conversations = failingConversations{} })
	in := e.inbox(t, nil)
	tests := []struct {
		name string
		body []byte
	}{
		{"message", textPayload(testPNID, "wamid.D1", "31612345678", "Anna", "hallo")},
		{"status", statusPayload(testPNID, "wamid.D2", "read", "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := e.PostSigned(t, in, tc.body); got != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500 so that Meta retries", got)
			}
		})
	}
}

func imagePayload(wamid, mediaID, caption string) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
"metadata":{"phone_number_id":%q},"contacts":[{"profile":{"name":"Anna"},"wa_id":"31612345678"}],
"messages":[{"from":"31612345678","id":%q,"timestamp":"1764150000","type":"image","image":{"id":%q,"mime_type":"image/jpeg","caption":%q}}]}}]}]}`,
		testPNID, wamid, mediaID, caption))
}

func TestInboundMedia(t *testing.T) {
	jpg := metagraphtest.JPEG()
	tests := []struct {
		name        string
		max         int64
		declared    int64 // file_size the lookup claims; 0: the real size
		lookupFails int
		wantStatus  int
		wantAtt     bool
		wantBody    string
	}{
		{"stored with thumbnail", 0, 0, 0, 200, true, "kijk"},
		{"larger than the limit", 100, 0, 0, 200, false, "kijk\n\n📎 Afbeelding kon niet worden opgehaald (te groot)"},
		{"declared larger than the limit", 0, 1 << 40, 0, 200, false, "(te groot)"},
		{"graph api down", 0, 0, http.StatusServiceUnavailable, 500, false, ""},
		{"media expired", 0, 0, http.StatusNotFound, 200, false, "(niet beschikbaar)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(d *Deps) { d.MaxMedia = tc.max })
			in := e.inbox(t, nil)
			e.Graph.SetMedia("m1", jpg)
			e.Graph.SetLookup(tc.lookupFails, tc.declared)
			if got := e.PostSigned(t, in, imagePayload("wamid.M1", "m1", "kijk")); got != tc.wantStatus {
				t.Fatalf("status = %d, want %d", got, tc.wantStatus)
			}
			got := e.Messages(t, in)
			if tc.wantStatus != 200 {
				if len(got) != 0 {
					t.Errorf("stored %d messages on a temporary failure, want none (Meta retries)", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("stored %d messages, want 1", len(got))
			}
			m := got[0]
			if !strings.Contains(m.Body, tc.wantBody) {
				t.Errorf("body = %q, want it to contain %q", m.Body, tc.wantBody)
			}
			if !tc.wantAtt {
				if len(m.Attachments) != 0 {
					t.Errorf("got %d attachments, want none", len(m.Attachments))
				}
				return
			}
			if len(m.Attachments) != 1 {
				t.Fatalf("got %d attachments, want 1", len(m.Attachments))
			}
			a := m.Attachments[0]
			if a.ContentType != "image/jpeg" || a.Name != "image.jpg" || a.Size != int64(len(jpg)) || a.ThumbKey == "" || a.Width != 8 || a.Height != 6 {
				t.Errorf("attachment = %+v, want image.jpg, image/jpeg, %d bytes, 8x6 with thumbnail", a, len(jpg))
			}
			rc, err := e.Blob.Open(context.Background(), a.BlobKey)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			if string(data) != string(jpg) {
				t.Errorf("stored %d bytes that differ from the %d served", len(data), len(jpg))
			}
		})
	}
}

func TestMediaRecoversAfterRetry(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	body := imagePayload("wamid.R1", "m2", "")
	e.Graph.SetLookup(http.StatusBadGateway, 0)
	if got := e.PostSigned(t, in, body); got != 500 {
		t.Fatalf("first try: status = %d, want 500", got)
	}
	e.Graph.SetLookup(0, 0)
	if got := e.PostSigned(t, in, body); got != 200 {
		t.Fatalf("retry: status = %d, want 200", got)
	}
	if got := e.Messages(t, in); len(got) != 1 || len(got[0].Attachments) != 1 {
		t.Fatalf("after the retry: %d messages, want 1 with the image", len(got))
	}
}
