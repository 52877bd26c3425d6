package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/channel/metagraph/metagraphtest"
	"github.com/balie-dev/balie/internal/desk"
)

// outbound is an agent's reply to Anna (+31612345678) in the inbox.
func outbound(in desk.Inbox, body string, atts ...desk.Attachment) desk.Outbound {
	return desk.Outbound{
		Inbox:          in,
		Conversation:   desk.Conversation{ID: 7, InboxID: in.ID, Channel: desk.ChannelWhatsApp},
		Contact:        desk.Contact{ID: 3, Name: "Anna", Phone: "+31612345678"},
		Message:        desk.Message{ID: 11, ConversationID: 7, Kind: desk.KindMessage, Sender: desk.SenderAgent, Body: body, Attachments: atts},
		IdempotencyKey: "send-11",
	}
}

// lastInbound answers the window check with a fixed time.
func lastInbound(at time.Time, err error) func(*Deps) {
	return func(d *Deps) {
		d.LastInbound = func(context.Context, int64) (time.Time, error) { return at, err }
	}
}

func TestSendText(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	id, err := e.ch.Send(context.Background(), outbound(in, "Uw pakket komt morgen."))
	if err != nil {
		t.Fatal(err)
	}
	sent := e.Graph.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %d messages, want 1", len(sent))
	}
	s := sent[0]
	if id != "wamid.out-1" {
		t.Errorf("provider id = %q, want the wamid WhatsApp answered", id)
	}
	if s.Node != testPNID || s.Auth != "Bearer "+testToken {
		t.Errorf("posted to %s with %q, want %s with the bearer token", s.Node, s.Auth, testPNID)
	}
	text, _ := s.Body["text"].(map[string]any)
	if s.Body["messaging_product"] != "whatsapp" || s.Body["to"] != "31612345678" || s.Body["type"] != "text" || text["body"] != "Uw pakket komt morgen." {
		t.Errorf("body = %v, want a whatsapp text to 31612345678", s.Body)
	}
}

func TestSendLongTextSplit(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	long := strings.Repeat("woord ", 1000) // 6000 characters
	if _, err := e.ch.Send(context.Background(), outbound(in, long)); err != nil {
		t.Fatal(err)
	}
	sent := e.Graph.Sent()
	if len(sent) != 2 {
		t.Fatalf("sent %d messages, want 2", len(sent))
	}
	total := 0
	for _, s := range sent {
		body := s.Body["text"].(map[string]any)["body"].(string)
		if n := len([]rune(body)); n > maxText {
			t.Errorf("a part has %d characters, more than %d", n, maxText)
		}
		total += strings.Count(body, "woord")
	}
	if total != 1000 {
		t.Errorf("parts hold %d words, want all 1000", total)
	}
}

func TestSendMedia(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	ctx := context.Background()
	put := func(data []byte, ctype string) string {
		key := blob.NewKey()
		if err := e.Blob.Put(ctx, key, bytes.NewReader(data), int64(len(data)), ctype); err != nil {
			t.Fatal(err)
		}
		return key
	}
	img := metagraphtest.PNG()
	atts := []desk.Attachment{
		{Name: "foto.png", ContentType: "image/png", Size: int64(len(img)), BlobKey: put(img, "image/png")},
		{Name: "factuur.pdf", ContentType: "application/pdf", Size: int64(len(metagraphtest.PDF())), BlobKey: put(metagraphtest.PDF(), "application/pdf")},
	}
	id, err := e.ch.Send(ctx, outbound(in, "Zie de foto en de factuur.", atts...))
	if err != nil {
		t.Fatal(err)
	}
	ups := e.Graph.Uploads()
	if len(ups) != 2 {
		t.Fatalf("uploaded %d files, want 2", len(ups))
	}
	if ups[0].Fields["type"] != "image/png" || ups[0].Name != "foto.png" || !bytes.Equal(ups[0].Data, img) {
		t.Errorf("first upload = %s %q %d bytes, want the PNG", ups[0].Fields["type"], ups[0].Name, len(ups[0].Data))
	}
	if ups[1].Fields["type"] != "application/pdf" || !bytes.Equal(ups[1].Data, metagraphtest.PDF()) {
		t.Errorf("second upload = %s %d bytes, want the PDF", ups[1].Fields["type"], len(ups[1].Data))
	}
	sent := e.Graph.Sent()
	if len(sent) != 2 {
		t.Fatalf("sent %d messages, want 2 (image with caption, document)", len(sent))
	}
	image, _ := sent[0].Body["image"].(map[string]any)
	if sent[0].Body["type"] != "image" || image["id"] != "media-1" || image["caption"] != "Zie de foto en de factuur." {
		t.Errorf("first message = %v, want the uploaded image with the text as caption", sent[0].Body)
	}
	document, _ := sent[1].Body["document"].(map[string]any)
	if sent[1].Body["type"] != "document" || document["id"] != "media-2" || document["filename"] != "factuur.pdf" {
		t.Errorf("second message = %v, want the uploaded PDF as a document", sent[1].Body)
	}
	if id != "wamid.out-3" {
		t.Errorf("provider id = %q, want the first message's (wamid.out-3)", id)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		temporary bool
		mention   string
	}{
		{"rate limited", 429, `{"error":{"message":"Too many calls","code":130429}}`, true, "Too many calls"},
		{"server error", 503, `{"error":{"message":"Service unavailable","code":131016}}`, true, "503"},
		{"rate limit code on 400", 400, `{"error":{"message":"Spam rate limit hit","code":131048}}`, true, "131048"},
		{"bad request", 400, `{"error":{"message":"(#100) Invalid parameter","code":100,"error_data":{"details":"to is not a valid number"}}}`, false, "to is not a valid number"},
		{"bad token", 401, `{"error":{"message":"Invalid OAuth access token ` + testToken + `","code":190}}`, false, "Invalid OAuth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			in := e.inbox(t, nil)
			e.Graph.FailNext(tc.status, tc.body)
			_, err := e.ch.Send(context.Background(), outbound(in, "hallo"))
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, desk.ErrTemporary); got != tc.temporary {
				t.Errorf("temporary = %v, want %v (err %v)", got, tc.temporary, err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q contains the access token", err)
			}
		})
	}
}

func TestSendNetworkErrorIsTemporary(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	e.Graph.Close()
	_, err := e.ch.Send(context.Background(), outbound(in, "hallo"))
	if !errors.Is(err, desk.ErrTemporary) {
		t.Errorf("err = %v, want a temporary error", err)
	}
}

func TestSendPartialFailureIsPermanent(t *testing.T) {
	e := newEnv(t)
	in := e.inbox(t, nil)
	ctx := context.Background()
	key := blob.NewKey()
	e.Blob.Put(ctx, key, bytes.NewReader(metagraphtest.OGG()), int64(len(metagraphtest.OGG())), "audio/ogg")
	// Audio takes no caption: the text goes first, then the audio fails.
	out := outbound(in, "Luister maar.", desk.Attachment{Name: "uitleg.ogg", ContentType: "audio/ogg", BlobKey: key})
	e.Graph.FailNext(200, `{"messages":[{"id":"wamid.text"}]}`) // the text goes through
	e.Graph.FailNext(503, `{"error":{"message":"down"}}`)
	_, err := e.ch.Send(ctx, out)
	if err == nil || errors.Is(err, desk.ErrTemporary) {
		t.Fatalf("err = %v, want a permanent error (a retry would repeat the text)", err)
	}
	if !strings.Contains(err.Error(), "sent 1 of 2 parts") || !strings.Contains(err.Error(), "wamid.text") {
		t.Errorf("error %q does not say what was sent", err)
	}
}

func TestSendWindow(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tpl := map[string]string{SettingTemplateName: "reactie_klantenservice", SettingTemplateLang: "nl"}
	tests := []struct {
		name     string
		last     time.Time
		lastErr  error
		settings map[string]string
		wantType string // "" when the send must fail
		wantErr  string
		param    string // the template's body parameter; "" for none
	}{
		{"inside the window", now.Add(-23 * time.Hour), nil, tpl, "text", "", ""},
		{"outside, template", now.Add(-25 * time.Hour), nil, tpl, "template", "", "Uw pakket komt morgen. Groet, Piet"},
		{"never wrote, template", time.Time{}, desk.ErrNotFound, tpl, "template", "", "Uw pakket komt morgen. Groet, Piet"},
		{"outside, template without parameter", now.Add(-48 * time.Hour), nil,
			map[string]string{SettingTemplateName: "heropen", SettingTemplateTextParam: "false"}, "template", "", ""},
		{"outside, no template", now.Add(-25 * time.Hour), nil, nil, "", "outside WhatsApp's 24-hour window and no template configured", ""},
		{"store down", time.Time{}, errors.New("database is locked"), tpl, "", "database is locked", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, lastInbound(tc.last, tc.lastErr))
			in := e.inbox(t, tc.settings)
			id, err := e.ch.Send(context.Background(), outbound(in, "Uw pakket komt morgen.\n\nGroet,   Piet"))
			sent := e.Graph.Sent()
			if tc.wantType == "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if len(sent) != 0 {
					t.Errorf("sent %d messages, want none", len(sent))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(sent) != 1 || sent[0].Body["type"] != tc.wantType || id == "" {
				t.Fatalf("sent %v (id %q), want one %s message", sent, id, tc.wantType)
			}
			if tc.wantType != "template" {
				return
			}
			tp := sent[0].Body["template"].(map[string]any)
			if tp["name"] != in.Settings[SettingTemplateName] {
				t.Errorf("template = %v, want %q", tp["name"], in.Settings[SettingTemplateName])
			}
			if lang := tp["language"].(map[string]any)["code"]; lang != "nl" {
				t.Errorf("language = %v, want nl", lang)
			}
			comps, _ := tp["components"].([]any)
			if tc.param == "" {
				if len(comps) != 0 {
					t.Errorf("components = %v, want none", comps)
				}
				return
			}
			if len(comps) != 1 {
				t.Fatalf("components = %v, want one body", comps)
			}
			p := comps[0].(map[string]any)["parameters"].([]any)[0].(map[string]any)
			if p["type"] != "text" || p["text"] != tc.param {
				t.Errorf("parameter = %v, want text %q (no newlines, no runs of spaces)", p, tc.param)
			}
		})
	}
}

func TestSendReengagementFallsBackToTemplate(t *testing.T) {
	e := newEnv(t) // no LastInbound: WhatsApp tells balie the window closed
	in := e.inbox(t, map[string]string{SettingTemplateName: "heropen"})
	e.Graph.FailNext(400, `{"error":{"message":"(#131047) Re-engagement message","code":131047,"error_data":{"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}}`)
	id, err := e.ch.Send(context.Background(), outbound(in, "Nog vragen?"))
	if err != nil {
		t.Fatal(err)
	}
	sent := e.Graph.Sent()
	if len(sent) != 1 || sent[0].Body["type"] != "template" || id == "" {
		t.Fatalf("sent %v, want the template after WhatsApp refused the text", sent)
	}
	// Without a template the refusal is a clear, permanent error.
	bare := e.inbox(t, nil)
	e.Graph.FailNext(400, `{"error":{"message":"(#131047) Re-engagement message","code":131047}}`)
	_, err = e.ch.Send(context.Background(), outbound(bare, "Nog vragen?"))
	if err == nil || errors.Is(err, desk.ErrTemporary) || !errors.Is(err, ErrOutsideWindow) {
		t.Errorf("err = %v, want ErrOutsideWindow, permanent", err)
	}
}

func TestSendMisconfigured(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		inbox   desk.Inbox
		contact desk.Contact
	}{
		{"no phone number id", e.inbox(t, map[string]string{SettingPhoneNumberID: ""}), desk.Contact{Phone: "+31612345678"}},
		{"no token", e.inbox(t, map[string]string{SettingAccessToken: ""}), desk.Contact{Phone: "+31612345678"}},
		{"contact without phone", e.inbox(t, nil), desk.Contact{Email: "anna@example.nl"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := outbound(tc.inbox, "hallo")
			out.Contact = tc.contact
			_, err := e.ch.Send(context.Background(), out)
			if !errors.Is(err, desk.ErrInvalid) || errors.Is(err, desk.ErrTemporary) {
				t.Errorf("err = %v, want a permanent invalid error", err)
			}
		})
	}
	if n := len(e.Graph.Sent()); n != 0 {
		t.Errorf("sent %d messages, want none", n)
	}
}

func TestRecipient(t *testing.T) {
	tests := []struct {
		name string
		c    desk.Contact
		want string
	}{
		{"primary phone", desk.Contact{Phone: "+31612345678"}, "31612345678"},
		{"phone identity", desk.Contact{Identities: []desk.Identity{{Kind: desk.IdentityEmail, Value: "a@b.nl"}, {Kind: desk.IdentityPhone, Value: "+4915112345678"}}}, "4915112345678"},
		{"not a number", desk.Contact{Phone: "+31 6 1234"}, ""},
		{"none", desk.Contact{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := recipient(tc.c); got != tc.want {
				t.Errorf("recipient = %q, want %q", got, tc.want)
			}
		})
	}
}
