package telegram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/channel/channeltest"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestConformance runs the channel suite against the fake Bot API, on
// every store.
func TestConformance(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) { channeltest.Run(t, conformanceHarness(s.Open)) })
	}
}

// conformanceHarness makes channels on stores open makes.
func conformanceHarness(open func(testing.TB) desk.Store) func(t *testing.T) channeltest.Harness {
	return func(t *testing.T) channeltest.Harness {
		// A small file limit lets the oversized photo stay small.
		const maxFile = 1 << 20
		e := newEnv(t, open, maxFile)
		disk, err := blob.NewDisk(e.blobDir) // the channel's blob store
		if err != nil {
			t.Fatal(err)
		}
		request := func(body []byte, secret string) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/hooks/telegram/"+e.inbox.PublicKey, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(SecretHeader, secret)
			return r
		}
		// The fake records refused calls too: failed holds the indexes of
		// the sendMessage calls answered with an error.
		failed, failingFrom := map[int]bool{}, -1
		return channeltest.Harness{
			Kind: desk.ChannelTelegram, Store: e.st, Channel: e.ch, Inbox: e.inbox, Blob: disk,
			// Status stays nil: the Bot API reports neither delivery nor
			// reading of a bot's messages.
			InboundMedia: func(n int, oversize bool) (*http.Request, channeltest.MediaWant) {
				data := pngBytes(t, 40, 30)
				size := len(data)
				if oversize {
					size = maxFile + 1 // as Telegram declares it: refused before the download
				}
				fileID := fmt.Sprintf("conformance-photo-%d", n)
				e.api.mu.Lock()
				e.api.files[fileID] = fakeFile{Path: fmt.Sprintf("photos/file_%d.png", n), Data: data}
				e.api.mu.Unlock()
				user := 7000000 + n
				body, err := json.Marshal(map[string]any{"update_id": 910000 + n, "message": map[string]any{
					"message_id": 80 + n, "date": 1764150000,
					"from":  map[string]any{"id": user, "is_bot": false, "first_name": "Klant"},
					"chat":  map[string]any{"id": user, "type": "private", "first_name": "Klant"},
					"photo": []map[string]any{{"file_id": fileID, "width": 40, "height": 30, "file_size": size}},
				}})
				if err != nil {
					t.Fatal(err)
				}
				return request(body, testSecret), channeltest.MediaWant{ContentType: "image/png", Data: data,
					Thumbnail: true, TooLargeNote: "kon niet worden opgehaald (te groot)"}
			},
			Inbound: func(n int, text string) *http.Request {
				// A private chat's id is its user's id.
				user := 7000000 + n
				body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1764150000,
"from":{"id":%d,"is_bot":false,"first_name":"Klant","last_name":"%d","language_code":"nl"},
"chat":{"id":%d,"type":"private","first_name":"Klant","last_name":"%d"},"text":%q}}`,
					900000+n, 40+n, user, n, user, n, text)
				return request([]byte(body), testSecret)
			},
			Tamper: func(r *http.Request) *http.Request {
				r.Header.Set(SecretHeader, testSecret+"x")
				return r
			},
			Unknown: func() *http.Request {
				// A poll's state: Telegram may send the type to any bot's
				// webhook, and balie has nothing to store for it.
				return request([]byte(`{"update_id":999999,"poll":{"id":"5368","question":"Welke kleur?",
"options":[{"text":"Rood","voter_count":1}],"total_voter_count":1,"is_closed":false,"is_anonymous":true,
"type":"regular","allows_multiple_answers":false}}`), testSecret)
			},
			Sent: func() []string {
				var out []string
				for i, c := range e.api.Calls("sendMessage") {
					if !failed[i] {
						out = append(out, c.Params["text"])
					}
				}
				return out
			},
			Fail: func(status int) {
				n := len(e.api.Calls("sendMessage"))
				if failingFrom >= 0 {
					for i := failingFrom; i < n; i++ {
						failed[i] = true
					}
					failingFrom = -1
				}
				if status == 0 {
					e.api.clearFail("sendMessage")
					return
				}
				failingFrom = n
				body := fmt.Sprintf(`{"ok":false,"error_code":%d,"description":%q}`, status, http.StatusText(status))
				if status >= 500 {
					body = "" // a front end's plain-text page, not the Bot API's JSON
				}
				e.api.setFail("sendMessage", failure{Status: status, Body: body})
			},
		}
	}
}
