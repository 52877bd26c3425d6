package meta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/channel/metagraph/metagraphtest"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

func TestVerify(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, desk.ChannelMessenger, nil)
	noToken := e.inbox(t, desk.ChannelInstagram, map[string]string{SettingVerifyToken: ""})
	tests := []struct {
		name   string
		inbox  desk.Inbox
		query  url.Values
		status int
		body   string
	}{
		{"right token", in, url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"verify-me"}, "hub.challenge": {"1158201444"}}, 200, "1158201444"},
		{"wrong token", in, url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"guess"}, "hub.challenge": {"1"}}, 403, ""},
		{"wrong mode", in, url.Values{"hub.mode": {"unsubscribe"}, "hub.verify_token": {"verify-me"}, "hub.challenge": {"1"}}, 403, ""},
		{"inbox without verify token", noToken, url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {""}, "hub.challenge": {"1"}}, 403, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/hooks/x?"+tc.query.Encode(), nil)
			w := httptest.NewRecorder()
			e.channel(tc.inbox.Channel).Webhook(tc.inbox).ServeHTTP(w, r)
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
	in := e.inbox(t, desk.ChannelMessenger, nil)
	body := e.fixture(t, "messenger_text")
	tests := []struct {
		name      string
		body      []byte
		signature string
	}{
		{"missing", body, ""},
		{"other secret", body, metagraphtest.Sign("not-the-secret", body)},
		{"body changed", []byte(strings.Replace(string(body), "4711", "4712", 1)), metagraphtest.Sign(testSecret, body)},
		{"no prefix", body, strings.TrimPrefix(metagraphtest.Sign(testSecret, body), "sha256=")},
		{"sha1", body, "sha1=" + strings.TrimPrefix(metagraphtest.Sign(testSecret, body), "sha256=")},
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
	if n := e.Graph.Lookups(); n != 0 {
		t.Errorf("asked the Graph API %d times for a refused request, want 0", n)
	}
	if got := e.PostSigned(t, in, body); got != http.StatusOK {
		t.Fatalf("signed: status = %d, want 200", got)
	}
	if got := e.Messages(t, in); len(got) != 1 {
		t.Errorf("signed: stored %d messages, want 1", len(got))
	}
}

func TestInboundKinds(t *testing.T) {
	e := newEnv(t)
	e.Graph.SetCDN("/file/factuur 2025.pdf", metagraphtest.PDF())
	e.Graph.SetCDN("/audioclip-1764150000-2801.mp4", metagraphtest.M4A())
	e.Graph.SetCDN("/v/t42/video_n.mp4", metagraphtest.MP4())
	tests := []struct {
		fixture string
		kind    desk.ChannelKind
		body    string   // the whole body; "" with atts for none
		atts    []string // "name content-type" of each attachment
		id      string   // the stored external id, when not the fixture's
	}{
		{"messenger_text", desk.ChannelMessenger, "Hoi, waar blijft mijn bestelling 4711?", nil, "m_text01"},
		{"messenger_image", desk.ChannelMessenger, "", []string{"photo_n.png image/png"}, "m_image01"},
		{"messenger_files", desk.ChannelMessenger, "Hier de factuur en een spraakbericht",
			[]string{"factuur 2025.pdf application/pdf", "audioclip-1764150000-2801.mp4 audio/mp4"}, "m_files01"},
		{"messenger_video", desk.ChannelMessenger, "", []string{"video_n.mp4 video/mp4"}, "m_video01"},
		{"messenger_like", desk.ChannelMessenger, "👍", nil, "m_like01"},
		{"messenger_location", desk.ChannelMessenger, "📍 Locatie\nhttps://www.openstreetmap.org/?mlat=52.3676&mlon=4.9041#map=17/52.3676/4.9041", nil, "m_loc01"},
		{"messenger_fallback", desk.ChannelMessenger, "kijk hier\n🔗 Gedeeld: Retourbeleid | Voorbeeld BV https://example.com/retour", nil, "m_fallback01"},
		{"messenger_template", desk.ChannelMessenger, "🔗 Gedeeld: Regenjas Storm – € 89,95", nil, "m_tpl01"},
		{"messenger_quick_reply", desk.ChannelMessenger, "Bezorging", nil, "m_qr01"},
		{"messenger_postback", desk.ChannelMessenger, "Praat met een medewerker", nil, "m_pb01"},
		{"messenger_postback_noid", desk.ChannelMessenger, "GET_STARTED", nil, "postback:" + fbPSID + ":1764150000000"},
		{"messenger_reaction", desk.ChannelMessenger, "reageerde met ❤️ op een bericht", nil, "reaction:m_out01:" + fbPSID + ":1764150000000"},
		{"messenger_edit", desk.ChannelMessenger, "(bewerkt) Hoi, waar blijft bestelling 4712?", nil, "m_text01#edit1"},
		{"messenger_reply", desk.ChannelMessenger, "Ja, die bedoel ik", nil, "m_reply01"},
		{"instagram_text", desk.ChannelInstagram, "Is deze jas er ook in maat M?", nil, "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3"},
		{"instagram_image", desk.ChannelInstagram, "", []string{"image.png image/png"}, "aWdfaW1hZ2UwMQ"},
		{"instagram_story_mention", desk.ChannelInstagram, "📣 Noemde je in een verhaal: https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1790&signature=s", nil, "aWdfc3RvcnltZW50aW9u"},
		{"instagram_story_reply", desk.ChannelInstagram, "↩️ Reactie op je verhaal: https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1791&signature=t\nMooi! Wat kost die?", nil, "aWdfc3RvcnlyZXBseQ"},
		{"instagram_reel", desk.ChannelInstagram, "🔗 Gedeeld: Onze nieuwe collectie https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1792", nil, "aWdfcmVlbA"},
		{"instagram_share", desk.ChannelInstagram, "🔗 Gedeeld: https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1793", nil, "aWdfc2hhcmU"},
		{"instagram_reaction", desk.ChannelInstagram, "reageerde met ❤ op een bericht", nil, "reaction:aWdfb3V0MDE:" + igSID + ":1764150000000"},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			in := e.inbox(t, tc.kind, nil)
			if got := e.PostSigned(t, in, e.fixture(t, tc.fixture)); got != http.StatusOK {
				t.Fatalf("status = %d, want 200", got)
			}
			got := e.Messages(t, in)
			if len(got) != 1 {
				t.Fatalf("stored %d messages, want 1", len(got))
			}
			m := got[0]
			if m.Body != tc.body {
				t.Errorf("body = %q, want %q", m.Body, tc.body)
			}
			if m.ExternalID != tc.id {
				t.Errorf("external id = %q, want %q", m.ExternalID, tc.id)
			}
			var atts []string
			for _, a := range m.Attachments {
				atts = append(atts, a.Name+" "+a.ContentType)
			}
			if strings.Join(atts, "|") != strings.Join(tc.atts, "|") {
				t.Errorf("attachments = %q, want %q", atts, tc.atts)
			}
			for _, a := range m.Attachments {
				rc, err := e.Blob.Open(context.Background(), a.BlobKey)
				if err != nil {
					t.Errorf("attachment %s not in the blob store: %v", a.Name, err)
					continue
				}
				rc.Close()
				if a.ContentType == "image/png" && a.ThumbKey == "" {
					t.Errorf("image %s has no thumbnail", a.Name)
				}
			}
			wantIdentity := desk.Identity{Kind: desk.IdentityMessenger, Value: fbPSID}
			if tc.kind == desk.ChannelInstagram {
				wantIdentity = desk.Identity{Kind: desk.IdentityInstagram, Value: igSID}
			}
			k, err := e.Store.ContactByIdentity(context.Background(), wantIdentity.Kind, wantIdentity.Value)
			if err != nil || k.ID != m.Contact.ID {
				t.Errorf("sender is not the contact with identity %v (err %v)", wantIdentity, err)
			}
		})
	}
	for _, a := range e.Graph.CDNAuth() {
		if a != "" {
			t.Errorf("a CDN download carried Authorization %q; the page token must not leave the Graph API", a)
		}
	}
}

func TestSenderName(t *testing.T) {
	tests := []struct {
		name        string
		kind        desk.ChannelKind
		fixture     string
		opts        []func(*env, *Deps)
		wantName    string
		wantLookups int // after two different messages of the same sender
	}{
		{"messenger, known senders not asked again", desk.ChannelMessenger, "messenger_text", []func(*env, *Deps){withMessages}, "Anna de Vries", 1},
		{"instagram username", desk.ChannelInstagram, "instagram_text", []func(*env, *Deps){withMessages}, "@anna.dv", 1},
		{"without look-up asked each time", desk.ChannelMessenger, "messenger_text", nil, "Anna de Vries", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts...)
			in := e.inbox(t, tc.kind, nil)
			body := e.fixture(t, tc.fixture)
			second := strings.Replace(strings.Replace(string(body), `"mid": "`, `"mid": "second-`, 1), `"text": "`, `"text": "Nog een vraag: `, 1)
			for _, b := range [][]byte{body, []byte(second)} {
				if got := e.PostSigned(t, in, b); got != 200 {
					t.Fatalf("status %d", got)
				}
			}
			got := e.Messages(t, in)
			if len(got) != 2 {
				t.Fatalf("stored %d messages, want 2", len(got))
			}
			if got[0].Contact.Name != tc.wantName {
				t.Errorf("contact name = %q, want %q", got[0].Contact.Name, tc.wantName)
			}
			if n := e.Graph.Lookups(); n != tc.wantLookups {
				t.Errorf("profile look-ups = %d, want %d", n, tc.wantLookups)
			}
		})
	}
	t.Run("look-up fails", func(t *testing.T) {
		e := newEnv(t)
		in := e.inbox(t, desk.ChannelMessenger, nil)
		body := strings.ReplaceAll(string(e.fixture(t, "messenger_text")), fbPSID, "1111222233334444")
		if got := e.PostSigned(t, in, []byte(body)); got != 200 {
			t.Fatalf("status %d, want 200 without a name", got)
		}
		if got := e.Messages(t, in); len(got) != 1 || got[0].Contact.Name == "Anna de Vries" {
			t.Errorf("stored %d messages, want 1 from a contact without Anna's name", len(got))
		}
	})
}

func TestReplayStoresOnce(t *testing.T) {
	for _, fixture := range []string{"messenger_text", "messenger_files", "messenger_postback_noid", "messenger_reaction", "instagram_text"} {
		t.Run(fixture, func(t *testing.T) {
			e := newEnv(t)
			e.Graph.SetCDN("/file/factuur 2025.pdf", metagraphtest.PDF())
			e.Graph.SetCDN("/audioclip-1764150000-2801.mp4", metagraphtest.M4A())
			kind := desk.ChannelMessenger
			if strings.HasPrefix(fixture, "instagram") {
				kind = desk.ChannelInstagram
			}
			in := e.inbox(t, kind, nil)
			body := e.fixture(t, fixture)
			for i := range 2 {
				if got := e.PostSigned(t, in, body); got != http.StatusOK {
					t.Fatalf("post %d: status = %d, want 200", i+1, got)
				}
			}
			if got := e.Messages(t, in); len(got) != 1 {
				t.Errorf("stored %d messages after a replay, want 1", len(got))
			}
		})
	}
}

func TestIgnoredEventsAcknowledged(t *testing.T) {
	tests := []struct {
		fixture string
		kind    desk.ChannelKind
		log     string
	}{
		{"messenger_echo", desk.ChannelMessenger, "echo"},
		{"messenger_unreact", desk.ChannelMessenger, "reaction removed"},
		{"messenger_referral", desk.ChannelMessenger, "event ignored"},
		{"messenger_optin", desk.ChannelMessenger, "event ignored"},
		{"messenger_delivery", desk.ChannelMessenger, "did not send"},
		{"instagram_echo", desk.ChannelInstagram, "echo"},
		{"instagram_deleted", desk.ChannelInstagram, "deleted"},
		{"instagram_unsupported", desk.ChannelInstagram, "unsupported"},
		{"instagram_read", desk.ChannelInstagram, "did not send"},
		{"messenger_text", desk.ChannelInstagram, "object=page"}, // Messenger's payload on an Instagram inbox
	}
	for _, tc := range tests {
		t.Run(tc.fixture+" on "+string(tc.kind), func(t *testing.T) {
			e := newEnv(t)
			in := e.inbox(t, tc.kind, nil)
			if got := e.PostSigned(t, in, e.fixture(t, tc.fixture)); got != http.StatusOK {
				t.Fatalf("status = %d, want 200", got)
			}
			if got := e.Messages(t, in); len(got) != 0 {
				t.Errorf("stored %d messages, want none", len(got))
			}
			if !strings.Contains(e.Logs.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, e.Logs.String())
			}
		})
	}
	t.Run("another page", func(t *testing.T) {
		e := newEnv(t)
		in := e.inbox(t, desk.ChannelMessenger, map[string]string{SettingPageID: "999"})
		if got := e.PostSigned(t, in, e.fixture(t, "messenger_text")); got != 200 {
			t.Fatalf("status %d", got)
		}
		if got := e.Messages(t, in); len(got) != 0 {
			t.Errorf("stored %d messages for another page, want none", len(got))
		}
	})
}

// sentReply stores an agent's reply in the conversation as sent with the
// given Messenger id.
func (e *env) sentReply(t *testing.T, conv int64, mid string) int64 {
	t.Helper()
	ctx := context.Background()
	agent := &desk.Agent{Email: mid + "@example.com", Name: "Piet", Role: desk.RoleAgent, Locale: "nl", Availability: desk.Online}
	if err := e.Store.CreateAgent(ctx, agent); err != nil {
		t.Fatal(err)
	}
	m, err := e.Conversations.Reply(ctx, conversation.Actor{AgentID: agent.ID, Name: agent.Name}, conv, "Het komt morgen.", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetExternalID(ctx, m.ID, mid); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetDelivery(ctx, m.ID, desk.DeliverySent, ""); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func (e *env) delivery(t *testing.T, id int64) desk.Delivery {
	t.Helper()
	m, err := e.Store.MessageByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Delivery
}

func TestReceipts(t *testing.T) {
	t.Run("messenger delivery then read watermark", func(t *testing.T) {
		e := newEnv(t, withMessages)
		in := e.inbox(t, desk.ChannelMessenger, nil)
		if got := e.PostSigned(t, in, e.fixture(t, "messenger_text")); got != 200 {
			t.Fatalf("inbound: status %d", got)
		}
		conv := e.Messages(t, in)[0].ConversationID
		out1 := e.sentReply(t, conv, "m_out01")
		if got := e.PostSigned(t, in, e.fixture(t, "messenger_delivery")); got != 200 {
			t.Fatalf("delivery: status %d", got)
		}
		if got := e.delivery(t, out1); got != desk.DeliveryDelivered {
			t.Errorf("after delivery: %q, want delivered", got)
		}
		// The read watermark is set to now: it covers the replies stored so
		// far, not the one stored a minute later.
		read := strings.Replace(string(e.fixture(t, "messenger_read")), "1764150120000",
			fmt.Sprint(e.Now.UnixMilli()), 1)
		out2 := e.sentReply(t, conv, "m_out02")
		e.Now = e.Now.Add(time.Minute)
		later := e.sentReply(t, conv, "m_out03") // after the watermark
		if got := e.PostSigned(t, in, []byte(read)); got != 200 {
			t.Fatalf("read: status %d", got)
		}
		for _, tc := range []struct {
			name string
			id   int64
			want desk.Delivery
		}{
			{"delivered one", out1, desk.DeliveryRead},
			{"sent one", out2, desk.DeliveryRead},
			{"after the watermark", later, desk.DeliverySent},
		} {
			if got := e.delivery(t, tc.id); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}
	})
	t.Run("instagram read by mid", func(t *testing.T) {
		e := newEnv(t)
		in := e.inbox(t, desk.ChannelInstagram, nil)
		if got := e.PostSigned(t, in, e.fixture(t, "instagram_text")); got != 200 {
			t.Fatalf("inbound: status %d", got)
		}
		out := e.sentReply(t, e.Messages(t, in)[0].ConversationID, "aWdfb3V0MDE")
		if got := e.PostSigned(t, in, e.fixture(t, "instagram_read")); got != 200 {
			t.Fatalf("read: status %d", got)
		}
		if got := e.delivery(t, out); got != desk.DeliveryRead {
			t.Errorf("delivery = %q, want read", got)
		}
	})
	t.Run("watermark without look-up is ignored", func(t *testing.T) {
		e := newEnv(t)
		in := e.inbox(t, desk.ChannelMessenger, nil)
		if got := e.PostSigned(t, in, e.fixture(t, "messenger_read")); got != 200 {
			t.Fatalf("read: status %d", got)
		}
		if !strings.Contains(e.Logs.String(), "watermark receipt ignored") {
			t.Errorf("log lacks the ignored watermark:\n%s", e.Logs.String())
		}
	})
}

// failingConversations fails every ingest and receipt, as a store that is
// down would.
type failingConversations struct{}

func (failingConversations) Ingest(context.Context, desk.Inbound) (*conversation.IngestResult, error) {
	return nil, errors.New("conversation: ingest: database is locked")
}

func (failingConversations) Receipt(context.Context, int64, string, desk.Delivery, string) error {
	return errors.New("conversation: receipt: database is locked")
}

func TestStoreFailureAsksForRetry(t *testing.T) {
	e := newEnv(t, func(_ *env, d *Deps) { d.Conversations = failingConversations{} })
	in := e.inbox(t, desk.ChannelMessenger, nil)
	for _, fixture := range []string{"messenger_text", "messenger_delivery"} {
		t.Run(fixture, func(t *testing.T) {
			if got := e.PostSigned(t, in, e.fixture(t, fixture)); got != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500 so that Meta retries", got)
			}
		})
	}
}

func TestMediaTrouble(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(e *env)
		status    int
		wantBody  string
		wantAtts  int
		maxMedia  int64
		wantStore int // messages stored
	}{
		{"CDN down: retry", func(e *env) { e.Graph.SetCDNStatus(503) }, 500, "", 0, 0, 0},
		{"link expired: note", func(e *env) { e.Graph.SetCDNStatus(404) }, 200, "📎 Afbeelding kon niet worden opgehaald (niet beschikbaar)", 0, 0, 1},
		{"executable: note", func(e *env) { e.Graph.SetCDN("/v/t1.15752-9/photo_n.png", metagraphtest.EXE()) }, 200, "📎 Afbeelding kon niet worden opgehaald (bestandstype niet toegestaan)", 0, 0, 1},
		{"too large: note", func(e *env) {}, 200, "📎 Afbeelding kon niet worden opgehaald (te groot)", 0, 10, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(_ *env, d *Deps) { d.MaxMedia = tc.maxMedia })
			tc.setup(e)
			in := e.inbox(t, desk.ChannelMessenger, nil)
			if got := e.PostSigned(t, in, e.fixture(t, "messenger_image")); got != tc.status {
				t.Fatalf("status = %d, want %d", got, tc.status)
			}
			got := e.Messages(t, in)
			if len(got) != tc.wantStore {
				t.Fatalf("stored %d messages, want %d", len(got), tc.wantStore)
			}
			if tc.wantStore == 1 && (got[0].Body != tc.wantBody || len(got[0].Attachments) != tc.wantAtts) {
				t.Errorf("message = %q with %d attachments, want %q with %d", got[0].Body, len(got[0].Attachments), tc.wantBody, tc.wantAtts)
			}
		})
	}
	t.Run("recovers after retry", func(t *testing.T) {
		e := newEnv(t)
		in := e.inbox(t, desk.ChannelMessenger, nil)
		e.Graph.SetCDNStatus(503)
		if got := e.PostSigned(t, in, e.fixture(t, "messenger_image")); got != 500 {
			t.Fatalf("first: status %d, want 500", got)
		}
		e.Graph.SetCDNStatus(0)
		if got := e.PostSigned(t, in, e.fixture(t, "messenger_image")); got != 200 {
			t.Fatalf("retry: status %d, want 200", got)
		}
		if got := e.Messages(t, in); len(got) != 1 || len(got[0].Attachments) != 1 {
			t.Errorf("after the retry: %d messages, want 1 with the image", len(got))
		}
	})
}
