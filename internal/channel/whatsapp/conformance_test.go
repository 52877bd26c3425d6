package whatsapp

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/balie-dev/balie/internal/channel/channeltest"
	"github.com/balie-dev/balie/internal/channel/metagraph/metagraphtest"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestConformance runs the channel suite against the fake Graph API, on
// every store.
func TestConformance(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) { channeltest.Run(t, conformanceHarness(s.Open)) })
	}
}

// conformanceHarness makes channels on stores open makes.
func conformanceHarness(open func(testing.TB) desk.Store) func(t *testing.T) channeltest.Harness {
	return func(t *testing.T) channeltest.Harness {
		e := newEnvOn(t, open)
		in := e.inbox(t, nil)
		signed := func(body []byte) *http.Request { return metagraphtest.SignedRequest(in, body) }
		return channeltest.Harness{
			Kind: desk.ChannelWhatsApp, Store: e.Store, Channel: e.ch, Inbox: in, Blob: e.Blob,
			Status: func(wamid string, state desk.Delivery, reason string) *http.Request {
				return signed(statusPayload(testPNID, wamid, string(state), reason))
			},
			InboundMedia: func(n int, oversize bool) (*http.Request, channeltest.MediaWant) {
				mediaID := fmt.Sprintf("conformance-media-%d", n)
				data := metagraphtest.JPEG()
				e.Graph.SetMedia(mediaID, data)
				if oversize {
					e.Graph.SetLookup(0, DefaultMaxMedia+1)
				}
				return signed(imagePayload(fmt.Sprintf("wamid.conformance-media-%d", n), mediaID, "")),
					channeltest.MediaWant{ContentType: "image/jpeg", Data: data, Thumbnail: true,
						TooLargeNote: "kon niet worden opgehaald (te groot)"}
			},
			Inbound: func(n int, text string) *http.Request {
				return signed(textPayload(testPNID, fmt.Sprintf("wamid.conformance-%d", n),
					fmt.Sprintf("31612345%03d", n), fmt.Sprintf("Klant %d", n), text))
			},
			Tamper: metagraphtest.Tamper,
			Unknown: func() *http.Request {
				return signed([]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update",
"value":{"phone_number":"31201234567","event":"VERIFIED_ACCOUNT"}}]}]}`))
			},
			Sent: func() []string {
				var out []string
				for _, s := range e.Graph.Sent() {
					text, _ := s.Body["text"].(map[string]any)
					body, _ := text["body"].(string)
					out = append(out, body)
				}
				return out
			},
			Fail: e.Graph.FailSends,
		}
	}
}

// TestSenderConformance runs the sender suite (the outbox end to end
// included) against the fake Graph API.
func TestSenderConformance(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			channeltest.RunSender(t, func(t *testing.T) channeltest.SenderHarness {
				e := newEnvOn(t, s.Open)
				in := e.inbox(t, nil)
				return channeltest.SenderHarness{
					Kind: desk.ChannelWhatsApp, Store: e.Store, Channel: e.ch, Inbox: in,
					Customer: func(n int) desk.Contact {
						phone := fmt.Sprintf("+31612345%03d", n)
						return desk.Contact{Name: fmt.Sprint("Klant ", n), Phone: phone,
							Identities: []desk.Identity{{Kind: desk.IdentityPhone, Value: phone}}}
					},
					Got: func() []channeltest.Sent {
						var out []channeltest.Sent
						for _, s := range e.Graph.Sent() {
							text, _ := s.Body["text"].(map[string]any)
							body, _ := text["body"].(string)
							out = append(out, channeltest.Sent{Text: body})
						}
						return out
					},
					Fail: func(status, times int) {
						for range times {
							e.Graph.FailNext(status, `{"error":{"message":"conformance failure","type":"OAuthException","code":1}}`)
						}
					},
					NoIdempotencyKey: "the Cloud API takes no idempotency key (see docs/channels.md)",
				}
			})
		})
	}
}
