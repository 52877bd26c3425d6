package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// dataDir holds the shared Telegram updates (../shared/data/SOURCES.md),
// read in place, never copied here.
const dataDir = "../../../../shared/data/channels/telegram"

const testSecret = "s3cret_TOKEN-1"

// env is a Telegram inbox on a real store, with a fake Bot API.
type env struct {
	st      desk.Store
	api     *fakeAPI
	ch      *Channel
	inbox   desk.Inbox
	blobDir string
	hook    http.Handler
}

func newEnv(t *testing.T, open func(testing.TB) desk.Store, maxFile int64) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{st: open(t), api: newFakeAPI(t), blobDir: t.TempDir()}
	e.inbox = desk.Inbox{Name: "Bot", Channel: desk.ChannelTelegram, PublicKey: "tg-key", Settings: map[string]string{
		SettingBotToken: testToken, SettingSecretToken: testSecret, SettingAPIBase: e.api.URL()}}
	if err := e.st.CreateInbox(ctx, &e.inbox); err != nil {
		t.Fatalf("create inbox: %v", err)
	}
	disk, err := blob.NewDisk(e.blobDir)
	if err != nil {
		t.Fatalf("blob: %v", err)
	}
	convs := conversation.New(e.st, bus.NewLocal(0), desk.SystemClock{}, nil, conversation.Options{})
	e.ch = New(Deps{Conversations: convs, Blob: disk, Client: e.api.srv.Client(), MaxFile: maxFile})
	e.hook = e.ch.Webhook(e.inbox)
	return e
}

// post sends body to the webhook with secret (none when empty).
func (e *env) post(t *testing.T, body []byte, secret string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks/telegram/tg-key", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(SecretHeader, secret)
	}
	rec := httptest.NewRecorder()
	e.hook.ServeHTTP(rec, req)
	return rec
}

// messages returns every message stored in the inbox, oldest first.
func (e *env) messages(t *testing.T) []desk.Message {
	t.Helper()
	ctx := context.Background()
	page, err := e.st.ListConversations(ctx, desk.ConversationQuery{InboxID: e.inbox.ID, Limit: 200})
	if err != nil {
		t.Fatalf("list conversations: %v", err)
	}
	var out []desk.Message
	for _, c := range page.Items {
		ms, err := e.st.ListMessages(ctx, c.ID, 0, 100)
		if err != nil {
			t.Fatalf("list messages: %v", err)
		}
		out = append(out, ms...)
	}
	return out
}

// blobFiles counts the files in the blob store.
func (e *env) blobFiles(t *testing.T) int {
	t.Helper()
	n := 0
	filepath.WalkDir(e.blobDir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{200, 10, 10, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Files the fake serves in the replay, standing in for the real media.
var (
	mp3Bytes  = append([]byte("ID3\x03\x00\x00\x00\x00\x00\x00"), bytes.Repeat([]byte{0}, 100)...)
	oggBytes  = append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{1}, 100)...)
	movBytes  = append([]byte("\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00"), bytes.Repeat([]byte{2}, 100)...)
	pdfBytes  = []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	docxBytes = append([]byte("PK\x03\x04\x14\x00\x06\x00"), bytes.Repeat([]byte{3}, 100)...)
)

// replayCase is what one shared update must become.
type replayCase struct {
	ignored  bool
	user     string // telegram user id
	name     string // contact name
	body     string
	file     *fakeFile // served for any file_id
	attName  string
	attType  string
	thumb    bool
	callback string // answerCallbackQuery id expected in the reply
}

func replayCases(t *testing.T) map[string]replayCase {
	photo := pngBytes(t, 95, 32)
	const osm = "https://www.openstreetmap.org/?mlat=55.693416&mlon=37.624605#map=17/55.693416/37.624605"
	return map[string]replayCase{
		"illemius/message":                         {user: "12345678", name: "FirstName LastName", body: "Hi, world!"},
		"illemius/edited_message":                  {user: "12345678", name: "Name", body: "bewerkt: hi there (edited)"},
		"illemius/forwarded_message":               {user: "12345678", name: "Name", body: "doorgestuurd van Name:\nmessage text"},
		"illemius/reply_message":                   {user: "12345678", name: "Name", body: "> Quoted message\nReply to quoted message"},
		"illemius/message_with_location":           {user: "12345678", name: "Name", body: "📍 " + osm},
		"illemius/message_with_sticker":            {user: "12345678", name: "Name", body: "🛠"},
		"illemius/message_with_photo":              {user: "12345678", name: "Name", body: "photo description", file: &fakeFile{Path: "photos/file_3.jpg", Data: photo}, attName: "file_3.jpg", attType: "image/png", thumb: true},
		"illemius/message_with_document":           {user: "12345678", name: "Name", body: "doc description", file: &fakeFile{Path: "documents/file_9.docx", Data: docxBytes}, attName: "test.docx", attType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		"illemius/message_with_audio":              {user: "12345678", name: "Name", body: "", file: &fakeFile{Path: "music/file_1.mp3", Data: mp3Bytes}, attName: "file_1.mp3", attType: "audio/mpeg"},
		"illemius/message_with_voice":              {user: "12345678", name: "Name", body: "", file: &fakeFile{Path: "voice/file_2.oga", Data: oggBytes}, attName: "file_2.oga", attType: "audio/ogg"},
		"illemius/message_with_video":              {user: "12345678", name: "Name", body: "description", file: &fakeFile{Path: "videos/file_4.mov", Data: movBytes}, attName: "file_4.mov", attType: "video/quicktime"},
		"illemius/message_with_game":               {ignored: true},
		"illemius/message_with_invoice":            {ignored: true}, // a bare Message, not an Update
		"illemius/message_with_successful_payment": {ignored: true},
		"illemius/inline_query":                    {ignored: true}, // {"test":"ok"}
		"illemius/pre_checkout_query":              {ignored: true},
		"illemius/shipping_query":                  {ignored: true},

		"docs/message_text_curl_tls12":   {user: "1111111", name: "Test Test Lastname", body: "/start"}, // chat without a type
		"docs/message_text":              {user: "1111111", name: "Test Firstname Test Lastname", body: "/start"},
		"docs/forwarded_message":         {user: "1111111", name: "Test Firstname Test Lastname", body: "doorgestuurd van Forward Firstname Forward Lastname:\n/start"},
		"docs/forwarded_channel_message": {user: "1111111", name: "Test Firstname Test Lastname", body: "doorgestuurd van Test channel:\n/start"},
		"docs/message_with_reply":        {user: "1111111", name: "Test Firstname Test Lastname", body: "> Original\n/start"},
		"docs/edited_message":            {user: "1111111", name: "Test Firstname Test Lastname", body: "bewerkt: Edited text"},
		"docs/message_with_entities":     {user: "1111111", name: "Test Firstname Test Lastname", body: "Bold and italics"},
		"docs/message_with_audio":        {user: "1111111", name: "Test Firstname Test Lastname", body: "🎵 Test music file", file: &fakeFile{Path: "music/file_5.mp3", Data: mp3Bytes}, attName: "file_5.mp3", attType: "audio/mpeg"},
		"docs/voice_message":             {user: "1111111", name: "Test Firstname Test Lastname", body: "", file: &fakeFile{Path: "voice/file_6.oga", Data: oggBytes}, attName: "file_6.oga", attType: "audio/ogg"},
		"docs/message_with_document":     {user: "1111111", name: "Test Firstname Test Lastname", body: "", file: &fakeFile{Path: "documents/file_7.pdf", Data: pdfBytes}, attName: "Testfile.pdf", attType: "application/pdf"},
		"docs/inline_query":              {ignored: true},
		"docs/chosen_inline_result":      {ignored: true},
		"docs/callback_query":            {user: "1111111", name: "Test Firstname Test Lastname", body: "knop: Data from button callback", callback: "4382bfdwdsb323b2d9"},
	}
}

// sharedUpdates reads every update in the shared folder, by case name.
func sharedUpdates(t *testing.T) map[string][]byte {
	t.Helper()
	if _, err := os.Stat(dataDir); err != nil {
		t.Skipf("shared data missing: %v", err)
	}
	out := map[string][]byte{}
	err := filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if filepath.Base(p) == "update_examples.json" {
			var doc struct {
				Examples map[string]json.RawMessage `json:"examples"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				return err
			}
			for k, v := range doc.Examples {
				out["docs/"+k] = v
			}
			return nil
		}
		out["illemius/"+strings.TrimSuffix(filepath.Base(p), ".json")] = raw
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", dataDir, err)
	}
	if len(out) == 0 {
		t.Skip("no updates in the shared data")
	}
	return out
}

// TestReplaySharedUpdates sends every shared update through the webhook,
// twice, and checks what was stored.
func TestReplaySharedUpdates(t *testing.T) {
	updates := sharedUpdates(t)
	cases := replayCases(t)
	names := make([]string, 0, len(updates))
	for n := range updates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, o := range testenv.Stores() {
		for _, name := range names {
			t.Run(o.Name+"/"+name, func(t *testing.T) {
				want, ok := cases[name]
				if !ok {
					t.Fatalf("no expectation for %s: add one", name)
				}
				e := newEnv(t, o.Open, 0)
				e.api.anyFile = want.file
				ctx := context.Background()

				rec := e.post(t, updates[name], testSecret)
				if rec.Code != http.StatusOK {
					t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
				}
				if want.callback != "" {
					var reply map[string]string
					if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil {
						t.Fatalf("reply %q: %v", rec.Body, err)
					}
					if reply["method"] != "answerCallbackQuery" || reply["callback_query_id"] != want.callback {
						t.Errorf("reply = %v, want answerCallbackQuery for %s", reply, want.callback)
					}
				}
				blobs := e.blobFiles(t)
				if rec := e.post(t, updates[name], testSecret); rec.Code != http.StatusOK {
					t.Fatalf("replay: status = %d, want 200", rec.Code)
				}
				if got := e.blobFiles(t); got != blobs {
					t.Errorf("blob files after replay = %d, want %d (the duplicate's download is discarded)", got, blobs)
				}

				msgs := e.messages(t)
				if want.ignored {
					if len(msgs) != 0 {
						t.Fatalf("stored %d messages of an ignored update: %+v", len(msgs), msgs)
					}
					return
				}
				if len(msgs) != 1 {
					t.Fatalf("stored %d messages after two deliveries, want 1", len(msgs))
				}
				m := msgs[0]
				if m.Body != want.body {
					t.Errorf("body = %q, want %q", m.Body, want.body)
				}
				if m.Sender != desk.SenderContact || m.Kind != desk.KindMessage {
					t.Errorf("sender/kind = %s/%s, want contact/message", m.Sender, m.Kind)
				}
				c, err := e.st.ContactByIdentity(ctx, desk.IdentityTelegram, want.user)
				if err != nil {
					t.Fatalf("contact by telegram id %s: %v", want.user, err)
				}
				if c.Name != want.name {
					t.Errorf("contact name = %q, want %q", c.Name, want.name)
				}
				if m.SenderID != c.ID {
					t.Errorf("message sender = %d, want contact %d", m.SenderID, c.ID)
				}
				conv, err := e.st.ConversationByID(ctx, m.ConversationID)
				if err != nil {
					t.Fatal(err)
				}
				if conv.Channel != desk.ChannelTelegram || conv.InboxID != e.inbox.ID || conv.ContactID != c.ID {
					t.Errorf("conversation = %s inbox %d contact %d, want telegram inbox %d contact %d",
						conv.Channel, conv.InboxID, conv.ContactID, e.inbox.ID, c.ID)
				}
				if want.attType == "" {
					if len(m.Attachments) != 0 {
						t.Errorf("attachments = %+v, want none", m.Attachments)
					}
					return
				}
				if len(m.Attachments) != 1 {
					t.Fatalf("attachments = %d, want 1", len(m.Attachments))
				}
				a := m.Attachments[0]
				if a.Name != want.attName || a.ContentType != want.attType || a.Size != int64(len(want.file.Data)) {
					t.Errorf("attachment = %q %s %d bytes, want %q %s %d bytes", a.Name, a.ContentType, a.Size,
						want.attName, want.attType, len(want.file.Data))
				}
				if (a.ThumbKey != "") != want.thumb {
					t.Errorf("thumbnail key = %q, want one: %v", a.ThumbKey, want.thumb)
				}
				rc, err := e.ch.blob.Open(ctx, a.BlobKey)
				if err != nil {
					t.Fatalf("open blob: %v", err)
				}
				defer rc.Close()
				var got bytes.Buffer
				got.ReadFrom(rc)
				if !bytes.Equal(got.Bytes(), want.file.Data) {
					t.Errorf("stored %d bytes, not the %d the fake served", got.Len(), len(want.file.Data))
				}
			})
		}
	}
}

func textUpdate(chatID int64, chatType string, msgID int64, text string) []byte {
	u := map[string]any{"update_id": 1, "message": map[string]any{
		"message_id": msgID, "date": 1700000000, "text": text,
		"from": map[string]any{"id": 777, "is_bot": false, "first_name": "Anna", "last_name": "de Vries"},
		"chat": map[string]any{"id": chatID, "type": chatType, "title": "Group"},
	}}
	b, _ := json.Marshal(u)
	return b
}

// TestSecretToken: without the right secret nothing is stored.
func TestSecretToken(t *testing.T) {
	body := textUpdate(777, "private", 1, "hallo")
	tests := []struct {
		name     string
		secret   string // sent
		inboxSet string // configured; "-" keeps testSecret
		want     int
	}{
		{"missing", "", "-", http.StatusUnauthorized},
		{"wrong", "s3cret_TOKEN-2", "-", http.StatusUnauthorized},
		{"prefix", "s3cret", "-", http.StatusUnauthorized},
		{"inbox without a secret accepts nothing", "", "", http.StatusUnauthorized},
		{"right", testSecret, "-", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, testenv.OpenSQLite, 0)
			if tc.inboxSet != "-" {
				e.inbox.Settings[SettingSecretToken] = tc.inboxSet
				e.hook = e.ch.Webhook(e.inbox)
			}
			rec := e.post(t, body, tc.secret)
			if rec.Code != tc.want {
				t.Fatalf("status = %d, want %d", rec.Code, tc.want)
			}
			wantMsgs := 0
			if tc.want == http.StatusOK {
				wantMsgs = 1
			}
			if got := len(e.messages(t)); got != wantMsgs {
				t.Errorf("messages = %d, want %d", got, wantMsgs)
			}
		})
	}
}

// TestWebhookRequests covers what is not an update balie stores.
func TestWebhookRequests(t *testing.T) {
	tests := []struct {
		name   string
		method string
		body   []byte
		want   int
	}{
		{"group chat is acknowledged and ignored", http.MethodPost, textUpdate(-100123, "group", 1, "hallo groep"), http.StatusOK},
		{"supergroup is ignored", http.MethodPost, textUpdate(-100123, "supergroup", 2, "hallo"), http.StatusOK},
		{"channel post is ignored", http.MethodPost, []byte(`{"update_id":3,"channel_post":{"message_id":1,"date":1,"chat":{"id":-1001,"type":"channel"},"text":"x"}}`), http.StatusOK},
		{"membership change is ignored", http.MethodPost, []byte(`{"update_id":4,"my_chat_member":{"chat":{"id":777,"type":"private"}}}`), http.StatusOK},
		{"message from a bot is ignored", http.MethodPost, []byte(`{"update_id":5,"message":{"message_id":1,"date":1,"from":{"id":9,"is_bot":true,"first_name":"B"},"chat":{"id":9,"type":"private"},"text":"x"}}`), http.StatusOK},
		{"malformed JSON", http.MethodPost, []byte(`{"update_id":`), http.StatusBadRequest},
		{"too large", http.MethodPost, append([]byte(`{"update_id":1,"x":"`), bytes.Repeat([]byte("a"), maxUpdate)...), http.StatusRequestEntityTooLarge},
		{"GET", http.MethodGet, nil, http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, testenv.OpenSQLite, 0)
			req := httptest.NewRequest(tc.method, "/hooks/telegram/tg-key", bytes.NewReader(tc.body))
			req.Header.Set(SecretHeader, testSecret)
			rec := httptest.NewRecorder()
			e.hook.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.want, rec.Body)
			}
			if got := len(e.messages(t)); got != 0 {
				t.Errorf("messages = %d, want 0", got)
			}
		})
	}
}

func photoUpdate(msgID int64, fileSize int64) []byte {
	u := map[string]any{"update_id": 1, "message": map[string]any{
		"message_id": msgID, "date": 1700000000, "caption": "kapot bij aankomst",
		"from":  map[string]any{"id": 777, "first_name": "Anna"},
		"chat":  map[string]any{"id": 777, "type": "private"},
		"photo": []map[string]any{{"file_id": "small", "width": 90, "height": 90, "file_size": 10}, {"file_id": "big", "width": 900, "height": 900, "file_size": fileSize}},
	}}
	b, _ := json.Marshal(u)
	return b
}

// TestMediaDownload covers getFile and the download: the size limit, a
// refused type, and Telegram being down.
func TestMediaDownload(t *testing.T) {
	const limit = 2000
	small := pngBytes(t, 20, 10)
	large := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), limit)...)
	tests := []struct {
		name      string
		file      fakeFile
		declared  int64 // file_size in the update
		downFail  *failure
		wantCode  int
		wantBody  string
		wantAtt   bool
		wantCalls []string // Bot API calls, in order
	}{
		{"largest photo is fetched", fakeFile{Path: "photos/p.png", Data: small}, 300, nil, 200,
			"kapot bij aankomst", true, []string{"getFile", "download"}},
		{"declared too large: not even asked for", fakeFile{Path: "photos/p.png", Data: small}, limit + 1, nil, 200,
			"kapot bij aankomst\n\n📎 Bijlage kon niet worden opgehaald (te groot)", false, nil},
		{"too large per getFile", fakeFile{Path: "docs/l.pdf", Data: large}, 0, nil, 200,
			"kapot bij aankomst\n\n📎 Bijlage kon niet worden opgehaald (te groot)", false, []string{"getFile"}},
		{"too large while downloading", fakeFile{Path: "docs/l.pdf", Data: large, HideSize: true}, 0, nil, 200,
			"kapot bij aankomst\n\n📎 Bijlage kon niet worden opgehaald (te groot)", false, []string{"getFile", "download"}},
		{"refused type", fakeFile{Path: "docs/x.html", Data: []byte("<html><script>alert(1)</script></html>")}, 0, nil, 200,
			"kapot bij aankomst\n\n📎 Bijlage kon niet worden opgehaald (bestandstype niet toegestaan)", false, []string{"getFile", "download"}},
		{"file gone", fakeFile{Path: "photos/p.png", Data: small}, 0, &failure{Status: http.StatusNotFound}, 200,
			"kapot bij aankomst\n\n📎 Bijlage kon niet worden opgehaald (404 Not Found)", false, []string{"getFile", "download"}},
		{"Telegram down: 500, retried later", fakeFile{Path: "photos/p.png", Data: small}, 0, &failure{Status: http.StatusBadGateway}, 500,
			"", false, []string{"getFile", "download"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, testenv.OpenSQLite, limit)
			e.api.files["big"] = tc.file
			if tc.downFail != nil {
				e.api.setFail("download", *tc.downFail)
			}
			rec := e.post(t, photoUpdate(10, tc.declared), testSecret)
			if rec.Code != tc.wantCode {
				t.Fatalf("status = %d, want %d", rec.Code, tc.wantCode)
			}
			var calls []string
			for _, c := range e.api.Calls("") {
				calls = append(calls, c.Method)
			}
			if strings.Join(calls, ",") != strings.Join(tc.wantCalls, ",") {
				t.Errorf("calls = %v, want %v", calls, tc.wantCalls)
			}
			if gf := e.api.Calls("getFile"); len(gf) > 0 && gf[0].Params["file_id"] != "big" {
				t.Errorf("getFile file_id = %q, want the largest size", gf[0].Params["file_id"])
			}
			msgs := e.messages(t)
			if tc.wantCode != 200 {
				if len(msgs) != 0 || e.blobFiles(t) != 0 {
					t.Fatalf("after a failure: %d messages, %d blobs; want none", len(msgs), e.blobFiles(t))
				}
				// Telegram retries once it is back: stored then.
				e.api.clearFail("download")
				if rec := e.post(t, photoUpdate(10, tc.declared), testSecret); rec.Code != 200 {
					t.Fatalf("retry: status = %d", rec.Code)
				}
				if msgs = e.messages(t); len(msgs) != 1 || len(msgs[0].Attachments) != 1 {
					t.Fatalf("after retry: %d messages, want 1 with the photo", len(msgs))
				}
				return
			}
			if len(msgs) != 1 {
				t.Fatalf("messages = %d, want 1", len(msgs))
			}
			if msgs[0].Body != tc.wantBody {
				t.Errorf("body = %q, want %q", msgs[0].Body, tc.wantBody)
			}
			if got := len(msgs[0].Attachments) == 1; got != tc.wantAtt {
				t.Errorf("has attachment = %v, want %v", got, tc.wantAtt)
			}
			if tc.wantAtt {
				a := msgs[0].Attachments[0]
				if a.Width != 20 || a.Height != 10 || a.ThumbKey == "" {
					t.Errorf("image %dx%d thumb %q, want 20x10 with a thumbnail", a.Width, a.Height, a.ThumbKey)
				}
			}
		})
	}
}

// TestNormalise covers message kinds the shared data lacks.
func TestNormalise(t *testing.T) {
	const head = `"message_id":7,"date":1700000000,"from":{"id":5,"first_name":"Jan"},"chat":{"id":5,"type":"private"}`
	tests := []struct {
		name     string
		update   string
		wantBody string
		wantExt  string
		wantFile string // file_id to fetch
		ignored  bool
	}{
		{"contact card", `{"message":{` + head + `,"contact":{"phone_number":"+31612345678","first_name":"Piet","last_name":"Jansen"}}}`,
			"👤 Piet Jansen, +31612345678", "5:7", "", false},
		{"venue", `{"message":{` + head + `,"venue":{"location":{"latitude":52.37,"longitude":4.89},"title":"Winkel","address":"Damrak 1"}}}`,
			"📍 Winkel, Damrak 1\nhttps://www.openstreetmap.org/?mlat=52.37&mlon=4.89#map=17/52.37/4.89", "5:7", "", false},
		{"reply with a chosen quote", `{"message":{` + head + `,"text":"klopt niet","quote":{"text":"levering morgen"},"reply_to_message":{"message_id":3,"date":1,"chat":{"id":5,"type":"private"},"text":"Uw levering komt morgen tussen 9 en 12"}}}`,
			"> levering morgen\nklopt niet", "5:7", "", false},
		{"reply to a long message is clipped", `{"message":{` + head + `,"text":"ja","reply_to_message":{"message_id":3,"date":1,"chat":{"id":5},"text":"` + strings.Repeat("é", 150) + `"}}}`,
			"> " + strings.Repeat("é", quoteRunes) + "…\nja", "5:7", "", false},
		{"forward origin (Bot API 7)", `{"message":{` + head + `,"text":"kijk","forward_origin":{"type":"hidden_user","sender_user_name":"Klaas"}}}`,
			"doorgestuurd van Klaas:\nkijk", "5:7", "", false},
		{"photo picks the largest", `{"message":{` + head + `,"photo":[{"file_id":"b","width":800,"height":800},{"file_id":"a","width":90,"height":90}]}}`,
			"", "5:7", "b", false},
		{"edited keeps each edit apart", `{"edited_message":{` + head + `,"edit_date":1700000100,"text":"nieuw"}}`,
			"bewerkt: nieuw", "5:7:edit:1700000100", "", false},
		{"button press shows the button's text", `{"callback_query":{"id":"cb1","from":{"id":5,"first_name":"Jan"},"data":"ord_1","message":{"message_id":3,"date":1,"chat":{"id":5,"type":"private"},"text":"Kies","reply_markup":{"inline_keyboard":[[{"text":"Bestelling 1","callback_data":"ord_1"}]]}}}}`,
			"knop: Bestelling 1", "5:cb:cb1", "", false},
		{"dice", `{"message":{` + head + `,"dice":{"emoji":"🎲","value":4}}}`, "🎲 4", "5:7", "", false},
		{"service message", `{"message":{` + head + `,"new_chat_title":"x"}}`, "", "", "", true},
		{"group", `{"message":{"message_id":7,"date":1,"from":{"id":5},"chat":{"id":-5,"type":"group"},"text":"x"}}`, "", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var u update
			if err := json.Unmarshal([]byte(tc.update), &u); err != nil {
				t.Fatal(err)
			}
			n := normalise(&u, 1)
			if (n.Ignore != "") != tc.ignored {
				t.Fatalf("ignored = %q, want ignored: %v", n.Ignore, tc.ignored)
			}
			if tc.ignored {
				return
			}
			if n.In.Body != tc.wantBody {
				t.Errorf("body = %q, want %q", n.In.Body, tc.wantBody)
			}
			if n.In.ExternalID != tc.wantExt {
				t.Errorf("external id = %q, want %q", n.In.ExternalID, tc.wantExt)
			}
			if n.In.From != (desk.Identity{Kind: desk.IdentityTelegram, Value: "5"}) || n.In.FromName != "Jan" {
				t.Errorf("from = %+v %q, want telegram 5 Jan", n.In.From, n.In.FromName)
			}
			gotFile := ""
			if n.Media != nil {
				gotFile = n.Media.FileID
			}
			if gotFile != tc.wantFile {
				t.Errorf("media = %q, want %q", gotFile, tc.wantFile)
			}
		})
	}
}

// TestEditedMessageTime: an edit is dated when it was made.
func TestEditedMessageTime(t *testing.T) {
	var u update
	json.Unmarshal([]byte(`{"edited_message":{"message_id":1,"date":1700000000,"edit_date":1700000100,"chat":{"id":5,"type":"private"},"from":{"id":5},"text":"x"}}`), &u)
	n := normalise(&u, 1)
	if want := time.Unix(1700000100, 0).UTC(); !n.In.At.Equal(want) {
		t.Errorf("at = %v, want %v", n.In.At, want)
	}
}

// TestStoreFailureIsRetried: when storing fails the webhook answers 500, so
// that Telegram sends the update again.
func TestStoreFailureIsRetried(t *testing.T) {
	e := newEnv(t, testenv.OpenSQLite, 0)
	e.st.Close() // every write now fails
	rec := e.post(t, textUpdate(777, "private", 1, "hallo"), testSecret)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
}
