package whatsapp

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/balie-dev/balie/internal/channel/channeltest"
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
		request := func(body []byte, signature string) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/hooks/whatsapp/"+in.PublicKey, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(SignatureHeader, signature)
			return r
		}
		signed := func(body []byte) *http.Request { return request(body, sign(testSecret, body)) }
		return channeltest.Harness{
			Kind: desk.ChannelWhatsApp, Store: e.st, Channel: e.ch, Inbox: in, Blob: e.blob,
			Status: func(wamid string, state desk.Delivery, reason string) *http.Request {
				return signed(statusPayload(testPNID, wamid, string(state), reason))
			},
			InboundMedia: func(n int, oversize bool) (*http.Request, channeltest.MediaWant) {
				mediaID := fmt.Sprintf("conformance-media-%d", n)
				data := tinyJPEG(t)
				e.graph.setMedia(mediaID, data)
				if oversize {
					e.graph.setLookup(0, DefaultMaxMedia+1)
				}
				return signed(imagePayload(fmt.Sprintf("wamid.conformance-media-%d", n), mediaID, "")),
					channeltest.MediaWant{ContentType: "image/jpeg", Data: data, Thumbnail: true,
						TooLargeNote: "kon niet worden opgehaald (te groot)"}
			},
			Inbound: func(n int, text string) *http.Request {
				return signed(textPayload(testPNID, fmt.Sprintf("wamid.conformance-%d", n),
					fmt.Sprintf("31612345%03d", n), fmt.Sprintf("Klant %d", n), text))
			},
			Tamper: func(r *http.Request) *http.Request {
				// Signed with another app's secret.
				var body bytes.Buffer
				body.ReadFrom(r.Body)
				return request(body.Bytes(), sign("not-"+testSecret, body.Bytes()))
			},
			Unknown: func() *http.Request {
				return signed([]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update",
"value":{"phone_number":"31201234567","event":"VERIFIED_ACCOUNT"}}]}]}`))
			},
			Sent: func() []string {
				var out []string
				for _, s := range e.graph.sentMessages() {
					text, _ := s.Body["text"].(map[string]any)
					body, _ := text["body"].(string)
					out = append(out, body)
				}
				return out
			},
			Fail: func(status int) {
				e.graph.mu.Lock()
				defer e.graph.mu.Unlock()
				e.graph.fail = nil
				if status == 0 {
					return
				}
				// Codes that say nothing of retrying, so that the status
				// alone must decide.
				code := 100 // invalid parameter
				switch {
				case status == http.StatusTooManyRequests || status >= 500:
					code = 1 // unknown error
				case status == http.StatusForbidden:
					code = 200 // permission error
				}
				for range 10 {
					e.graph.fail = append(e.graph.fail, failure{status,
						fmt.Sprintf(`{"error":{"message":"conformance failure","type":"OAuthException","code":%d}}`, code)})
				}
			},
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
					Kind: desk.ChannelWhatsApp, Store: e.st, Channel: e.ch, Inbox: in,
					Customer: func(n int) desk.Contact {
						phone := fmt.Sprintf("+31612345%03d", n)
						return desk.Contact{Name: fmt.Sprint("Klant ", n), Phone: phone,
							Identities: []desk.Identity{{Kind: desk.IdentityPhone, Value: phone}}}
					},
					Got: func() []channeltest.Sent {
						var out []channeltest.Sent
						for _, s := range e.graph.sentMessages() {
							text, _ := s.Body["text"].(map[string]any)
							body, _ := text["body"].(string)
							out = append(out, channeltest.Sent{Text: body})
						}
						return out
					},
					Fail: func(status, times int) {
						for range times {
							e.graph.failNext(status, `{"error":{"message":"conformance failure","type":"OAuthException","code":1}}`)
						}
					},
					NoIdempotencyKey: "the Cloud API takes no idempotency key (see docs/channels.md)",
				}
			})
		})
	}
}
