package meta

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/channel/channeltest"
	"github.com/balie-dev/balie/internal/channel/metagraph/metagraphtest"
	"github.com/balie-dev/balie/internal/desk"
)

// TestConformance runs the channel suite for Messenger and for Instagram
// against the fake Graph API.
func TestConformance(t *testing.T) {
	for _, k := range []desk.ChannelKind{desk.ChannelMessenger, desk.ChannelInstagram} {
		t.Run(string(k), func(t *testing.T) {
			channeltest.Run(t, func(t *testing.T) channeltest.Harness { return conformanceHarness(t, k) })
		})
	}
}

// conformanceHarness is a channel of kind k with one inbox, on a fresh env.
func conformanceHarness(t *testing.T, k desk.ChannelKind) channeltest.Harness {
	// Messages resolve Messenger's read watermarks; a small media limit
	// lets the oversized file stay small.
	const maxMedia = 1 << 20
	e := newEnv(t, withMessages, func(_ *env, d *Deps) { d.MaxMedia = maxMedia })
	in := e.inbox(t, k, nil)
	object, account := "page", fbPage
	if k == desk.ChannelInstagram {
		object, account = "instagram", igAccount
	}
	// envelope is a signed webhook POST carrying one messaging event.
	envelope := func(event map[string]any) *http.Request {
		body, err := json.Marshal(map[string]any{"object": object, "entry": []any{map[string]any{
			"id": account, "time": 1764150000500, "messaging": []any{event}}}})
		if err != nil {
			t.Fatal(err)
		}
		return metagraphtest.SignedRequest(in, body)
	}
	customer := func(n int) string { return fmt.Sprintf("70000000000%04d", n) }
	// recipient is the customer a sent message went to.
	recipient := func(mid string) string {
		for _, s := range e.Graph.Sent() {
			if s.ID == mid {
				r, _ := s.Body["recipient"].(map[string]any)
				id, _ := r["id"].(string)
				return id
			}
		}
		return customer(9999)
	}
	return channeltest.Harness{
		Kind: k, Store: e.Store, Channel: e.channel(k), Inbox: in, Blob: e.Blob,
		Status: func(mid string, state desk.Delivery, _ string) *http.Request {
			event := map[string]any{
				"sender":    map[string]string{"id": recipient(mid)},
				"recipient": map[string]string{"id": account},
				"timestamp": 1764150000000,
			}
			switch {
			case state == desk.DeliveryDelivered:
				event["delivery"] = map[string]any{"mids": []string{mid}, "watermark": 1764150060000}
			case state == desk.DeliveryRead && k == desk.ChannelInstagram:
				event["read"] = map[string]any{"mid": mid}
			case state == desk.DeliveryRead:
				// Messenger names no message, only "read up to here":
				// later than anything the suite sent.
				event["read"] = map[string]any{"watermark": time.Now().Add(time.Hour).UnixMilli()}
			default:
				return nil // Meta sends no "sent" and no "failed" receipts
			}
			return envelope(event)
		},
		InboundMedia: func(n int, oversize bool) (*http.Request, channeltest.MediaWant) {
			data := metagraphtest.PNG()
			if oversize {
				// Bytes after the end of the image: still a PNG by its
				// signature, but over the limit.
				data = append(data, make([]byte, maxMedia)...)
			}
			path := fmt.Sprintf("/v/conformance-%d.png", n)
			e.Graph.SetCDN(path, data)
			return envelope(map[string]any{
					"sender":    map[string]string{"id": customer(n)},
					"recipient": map[string]string{"id": account},
					"timestamp": 1764150000000,
					"message": map[string]any{"mid": fmt.Sprintf("m_conformance-media-%d", n), "attachments": []any{
						map[string]any{"type": "image", "payload": map[string]string{"url": e.Graph.CDN() + path}}}},
				}), channeltest.MediaWant{ContentType: "image/png", Data: data, Thumbnail: true,
					TooLargeNote: "kon niet worden opgehaald (te groot)"}
		},
		Inbound: func(n int, text string) *http.Request {
			return envelope(map[string]any{
				"sender":    map[string]string{"id": customer(n)},
				"recipient": map[string]string{"id": account},
				"timestamp": 1764150000000,
				"message":   map[string]string{"mid": fmt.Sprintf("m_conformance-%d", n), "text": text},
			})
		},
		Tamper: metagraphtest.Tamper,
		Unknown: func() *http.Request {
			// A referral (the customer came through an ad or m.me link)
			// without a message: nothing to store.
			return envelope(map[string]any{
				"sender":    map[string]string{"id": "700000000009999"},
				"recipient": map[string]string{"id": account},
				"timestamp": 1764150000000,
				"referral":  map[string]string{"ref": "zomeractie", "source": "SHORTLINK", "type": "OPEN_THREAD"},
			})
		},
		Sent: func() []string {
			var out []string
			for _, s := range e.Graph.Sent() {
				m, _ := s.Body["message"].(map[string]any)
				text, _ := m["text"].(string)
				out = append(out, text)
			}
			return out
		},
		Fail: e.Graph.FailSends,
	}
}
