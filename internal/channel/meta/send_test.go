package meta

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

// outbound is an agent's reply to the fixtures' customer in the inbox.
func outbound(in desk.Inbox, body string, atts ...desk.Attachment) desk.Outbound {
	id := desk.Identity{Kind: desk.IdentityMessenger, Value: fbPSID}
	if in.Channel == desk.ChannelInstagram {
		id = desk.Identity{Kind: desk.IdentityInstagram, Value: igSID}
	}
	return desk.Outbound{
		Inbox:          in,
		Conversation:   desk.Conversation{ID: 7, InboxID: in.ID, Channel: in.Channel},
		Contact:        desk.Contact{ID: 3, Name: "Anna", Identities: []desk.Identity{{Kind: desk.IdentityEmail, Value: "anna@example.com"}, id}},
		Message:        desk.Message{ID: 11, ConversationID: 7, Kind: desk.KindMessage, Sender: desk.SenderAgent, Body: body, Attachments: atts},
		IdempotencyKey: "send-11",
	}
}

// lastInbound answers the window check: the customer wrote ago before now.
func lastInbound(ago time.Duration) func(*env, *Deps) {
	return func(e *env, d *Deps) {
		d.LastInbound = func(context.Context, int64) (time.Time, error) { return e.Now.Add(-ago), nil }
	}
}

func TestSendText(t *testing.T) {
	for _, kind := range []desk.ChannelKind{desk.ChannelMessenger, desk.ChannelInstagram} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, lastInbound(time.Hour))
			in := e.inbox(t, kind, nil)
			id, err := e.channel(kind).Send(context.Background(), outbound(in, "Uw pakket komt morgen."))
			if err != nil {
				t.Fatal(err)
			}
			sent := e.Graph.Sent()
			if len(sent) != 1 {
				t.Fatalf("sent %d messages, want 1", len(sent))
			}
			if id != "m_out-1" {
				t.Errorf("provider id = %q, want the message_id Meta answered", id)
			}
			s := sent[0]
			want := map[string]string{"recipient": fbPSID, "messaging_type": "RESPONSE", "text": "Uw pakket komt morgen."}
			if kind == desk.ChannelInstagram {
				want["recipient"] = igSID
			}
			got := map[string]string{
				"recipient":      s.Body["recipient"].(map[string]any)["id"].(string),
				"messaging_type": s.Body["messaging_type"].(string),
				"text":           s.Body["message"].(map[string]any)["text"].(string),
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if _, ok := s.Body["tag"]; ok {
				t.Errorf("a reply inside the window carries a tag: %v", s.Body)
			}
		})
	}
}

func TestSendLongTextSplit(t *testing.T) {
	tests := []struct {
		kind  desk.ChannelKind
		text  string
		parts int
		limit func(string) int
	}{
		{desk.ChannelMessenger, strings.Repeat("woord ", 500), 2, func(s string) int { return len([]rune(s)) - 2000 }},
		{desk.ChannelInstagram, strings.Repeat("één ", 300), 2, func(s string) int { return len(s) - 1000 }},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			e := newEnv(t)
			in := e.inbox(t, tc.kind, nil)
			if _, err := e.channel(tc.kind).Send(context.Background(), outbound(in, tc.text)); err != nil {
				t.Fatal(err)
			}
			sent := e.Graph.Sent()
			if len(sent) != tc.parts {
				t.Fatalf("sent %d messages, want %d", len(sent), tc.parts)
			}
			var all []string
			for _, s := range sent {
				text := s.Body["message"].(map[string]any)["text"].(string)
				if over := tc.limit(text); over > 0 {
					t.Errorf("a part is %d over the limit", over)
				}
				all = append(all, text)
			}
			if strings.Join(all, " ") != strings.TrimSpace(tc.text) {
				t.Errorf("the parts do not add up to the text")
			}
		})
	}
}

func TestSendAttachments(t *testing.T) {
	for _, kind := range []desk.ChannelKind{desk.ChannelMessenger, desk.ChannelInstagram} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t)
			in := e.inbox(t, kind, nil)
			ctx := context.Background()
			img := metagraphtest.PNG()
			key := blob.NewKey()
			if err := e.Blob.Put(ctx, key, bytes.NewReader(img), int64(len(img)), "image/png"); err != nil {
				t.Fatal(err)
			}
			pdfKey := blob.NewKey()
			if err := e.Blob.Put(ctx, pdfKey, bytes.NewReader(metagraphtest.PDF()), int64(len(metagraphtest.PDF())), "application/pdf"); err != nil {
				t.Fatal(err)
			}
			id, err := e.channel(kind).Send(ctx, outbound(in, "Zie bijlagen.",
				desk.Attachment{Name: "foto.png", ContentType: "image/png", Size: int64(len(img)), BlobKey: key},
				desk.Attachment{Name: "factuur.pdf", ContentType: "application/pdf", Size: int64(len(metagraphtest.PDF())), BlobKey: pdfKey}))
			if err != nil {
				t.Fatal(err)
			}
			ups := e.Graph.Uploads()
			if len(ups) != 2 {
				t.Fatalf("uploaded %d files, want 2", len(ups))
			}
			if !bytes.Equal(ups[0].Data, img) || ups[0].Name != "foto.png" || ups[0].PartType != "image/png" ||
				!strings.Contains(ups[0].Fields["message"], `"type":"image"`) {
				t.Errorf("first upload = %q %s %s, want the PNG as an image", ups[0].Name, ups[0].PartType, ups[0].Fields["message"])
			}
			if !strings.Contains(ups[1].Fields["message"], `"type":"file"`) {
				t.Errorf("second upload message = %s, want a file", ups[1].Fields["message"])
			}
			wantPlatform := ""
			if kind == desk.ChannelInstagram {
				wantPlatform = "instagram"
			}
			if ups[0].Fields["platform"] != wantPlatform {
				t.Errorf("platform = %q, want %q", ups[0].Fields["platform"], wantPlatform)
			}
			sent := e.Graph.Sent()
			if len(sent) != 3 {
				t.Fatalf("sent %d messages, want 3 (text, image, file)", len(sent))
			}
			if id != "m_out-3" {
				t.Errorf("id = %q, want the first message's (m_out-3, after two uploads)", id)
			}
			att := sent[1].Body["message"].(map[string]any)["attachment"].(map[string]any)
			if att["type"] != "image" || att["payload"].(map[string]any)["attachment_id"] != "att-1" {
				t.Errorf("second message = %v, want the uploaded image by attachment id", sent[1].Body)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		temporary bool
	}{
		{"429", 429, `{"error":{"message":"Too many","code":613}}`, true},
		{"500", 500, `{"error":{"message":"oops","code":1}}`, true},
		{"rate limit code on 400", 400, `{"error":{"message":"(#4) Application request limit reached","code":4}}`, true},
		{"page rate limit", 400, `{"error":{"message":"(#32) Page request limit reached","code":32}}`, true},
		{"temporary send failure", 400, `{"error":{"message":"Temporary send message failure","code":1200}}`, true},
		{"no such user", 400, `{"error":{"message":"(#100) No matching user found","code":100,"error_subcode":2018001}}`, false},
		{"bad token", 400, `{"error":{"message":"Invalid OAuth access token ` + testToken + `","code":190}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, lastInbound(time.Hour))
			in := e.inbox(t, desk.ChannelMessenger, nil)
			e.Graph.FailNext(tc.status, tc.body)
			_, err := e.fb.Send(context.Background(), outbound(in, "hallo"))
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, desk.ErrTemporary); got != tc.temporary {
				t.Errorf("temporary = %v, want %v (%v)", got, tc.temporary, err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error text carries the token: %v", err)
			}
		})
	}
	t.Run("network down", func(t *testing.T) {
		e := newEnv(t)
		in := e.inbox(t, desk.ChannelMessenger, map[string]string{SettingAPIBase: "http://127.0.0.1:1/v21.0"})
		_, err := e.fb.Send(context.Background(), outbound(in, "hallo"))
		if !errors.Is(err, desk.ErrTemporary) {
			t.Errorf("err = %v, want temporary", err)
		}
	})
	t.Run("misconfigured", func(t *testing.T) {
		e := newEnv(t)
		in := e.inbox(t, desk.ChannelMessenger, map[string]string{SettingAccessToken: ""})
		if _, err := e.fb.Send(context.Background(), outbound(in, "hallo")); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("no token: err = %v, want invalid", err)
		}
		in = e.inbox(t, desk.ChannelMessenger, nil)
		out := outbound(in, "hallo")
		out.Contact.Identities = nil
		if _, err := e.fb.Send(context.Background(), out); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("no psid: err = %v, want invalid", err)
		}
	})
	t.Run("later part fails permanently", func(t *testing.T) {
		e := newEnv(t)
		in := e.inbox(t, desk.ChannelMessenger, nil)
		e.Graph.FailNext(0, "")
		e.Graph.FailNext(503, `{"error":{"message":"down","code":2}}`)
		_, err := e.fb.Send(context.Background(), outbound(in, strings.Repeat("woord ", 500)))
		if err == nil || errors.Is(err, desk.ErrTemporary) {
			t.Errorf("err = %v, want a permanent error: a retry would send the first part twice", err)
		}
		if err != nil && !strings.Contains(err.Error(), "sent 1 of 2") {
			t.Errorf("err = %v, want it to say what was sent", err)
		}
	})
}

func TestSendWindow(t *testing.T) {
	tests := []struct {
		name    string
		ago     time.Duration
		wantTag bool
		wantErr bool
	}{
		{"inside 24 hours", 23 * time.Hour, false, false},
		{"after 24 hours: human agent", 30 * time.Hour, true, false},
		{"six days: human agent", 6 * 24 * time.Hour, true, false},
		{"beyond 7 days: refused", 8 * 24 * time.Hour, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, lastInbound(tc.ago))
			in := e.inbox(t, desk.ChannelMessenger, nil)
			_, err := e.fb.Send(context.Background(), outbound(in, "Sorry voor het wachten."))
			sent := e.Graph.Sent()
			if tc.wantErr {
				if !errors.Is(err, ErrOutsideWindow) || errors.Is(err, desk.ErrTemporary) {
					t.Errorf("err = %v, want permanent ErrOutsideWindow", err)
				}
				if len(sent) != 0 {
					t.Errorf("sent %d messages outside the window, want none", len(sent))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(sent) != 1 {
				t.Fatalf("sent %d, want 1", len(sent))
			}
			tagged := sent[0].Body["messaging_type"] == "MESSAGE_TAG" && sent[0].Body["tag"] == "HUMAN_AGENT"
			if tagged != tc.wantTag {
				t.Errorf("body = %v, want HUMAN_AGENT tag %v", sent[0].Body, tc.wantTag)
			}
		})
	}
	t.Run("Meta says the window closed", func(t *testing.T) {
		e := newEnv(t) // no LastInbound: balie cannot tell
		in := e.inbox(t, desk.ChannelInstagram, nil)
		e.Graph.FailNext(400, `{"error":{"message":"(#10) This message is sent outside of allowed window.","code":10,"error_subcode":2534022}}`)
		if _, err := e.ig.Send(context.Background(), outbound(in, "Sorry voor het wachten.")); err != nil {
			t.Fatal(err)
		}
		sent := e.Graph.Sent()
		if len(sent) != 1 || sent[0].Body["tag"] != "HUMAN_AGENT" {
			t.Errorf("sent %v, want one message with the HUMAN_AGENT tag", sent)
		}
		e.Graph.FailNext(400, `{"error":{"message":"(#10) This message is sent outside of allowed window.","code":10,"error_subcode":2018278}}`)
		e.Graph.FailNext(400, `{"error":{"message":"(#10) This message is sent outside of allowed window.","code":10,"error_subcode":2018278}}`)
		_, err := e.ig.Send(context.Background(), outbound(in, "Nog een keer."))
		if !errors.Is(err, ErrOutsideWindow) || errors.Is(err, desk.ErrTemporary) {
			t.Errorf("err = %v, want permanent ErrOutsideWindow", err)
		}
	})
}
