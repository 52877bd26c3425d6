package whatsapp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

const (
	testSecret = "app-secret-for-tests"
	testToken  = "EAAG-test-token-0123456789"
	testPNID   = "1122334455667"
)

// env is a WhatsApp channel on a real store and conversation service, with
// a fake Graph API.
type env struct {
	st    desk.Store
	convs *conversation.Service
	blob  *blob.Disk
	graph *fakeGraph
	ch    *Channel
	logs  *syncBuffer
	now   time.Time
	n     int
}

func newEnv(t *testing.T, opts ...func(*Deps)) *env {
	t.Helper()
	return newEnvOn(t, testenv.OpenSQLite, opts...)
}

// newEnvOn is newEnv on the store open makes.
func newEnvOn(t *testing.T, open func(testing.TB) desk.Store, opts ...func(*Deps)) *env {
	t.Helper()
	e := &env{st: open(t), graph: newFakeGraph(t), logs: &syncBuffer{},
		now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	clock := desk.ClockFunc(func() time.Time { return e.now })
	e.convs = conversation.New(e.st, bus.NewLocal(0), clock, nil, conversation.Options{})
	disk, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e.blob = disk
	d := Deps{Conversations: e.convs, Blob: disk, Client: e.graph.srv.Client(), Clock: clock,
		Log: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, o := range opts {
		o(&d)
	}
	e.ch = New(d)
	return e
}

// inbox creates a WhatsApp inbox pointing at the fake Graph API; set
// changes or adds settings ("" removes one).
func (e *env) inbox(t *testing.T, set map[string]string) desk.Inbox {
	t.Helper()
	e.n++
	in := desk.Inbox{Name: "WhatsApp " + strconv.Itoa(e.n), Channel: desk.ChannelWhatsApp,
		PublicKey: "wa-" + strconv.Itoa(e.n), Settings: map[string]string{
			SettingPhoneNumberID: testPNID, SettingAccessToken: testToken, SettingAppSecret: testSecret,
			SettingVerifyToken: "verify-me", SettingAPIBase: e.graph.srv.URL + "/v21.0",
		}}
	for k, v := range set {
		if v == "" {
			delete(in.Settings, k)
		} else {
			in.Settings[k] = v
		}
	}
	if err := e.st.CreateInbox(context.Background(), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// post sends body to the inbox's webhook with the given signature header
// ("" for none) and returns the status.
func (e *env) post(t *testing.T, in desk.Inbox, body []byte, signature string) int {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/hooks/whatsapp/"+in.PublicKey, bytes.NewReader(body))
	if signature != "" {
		r.Header.Set(SignatureHeader, signature)
	}
	w := httptest.NewRecorder()
	e.ch.Webhook(in).ServeHTTP(w, r)
	return w.Code
}

// postSigned sends body signed with the inbox's secret.
func (e *env) postSigned(t *testing.T, in desk.Inbox, body []byte) int {
	t.Helper()
	return e.post(t, in, body, sign(in.Settings[SettingAppSecret], body))
}

// stored is a message as the inbox holds it, with its contact.
type stored struct {
	desk.Message
	Contact desk.Contact
}

// messages lists every message of the inbox.
func (e *env) messages(t *testing.T, in desk.Inbox) []stored {
	t.Helper()
	ctx := context.Background()
	page, err := e.st.ListConversations(ctx, desk.ConversationQuery{InboxID: in.ID, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var out []stored
	for _, c := range page.Items {
		k, err := e.st.ContactByID(ctx, c.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := e.st.ListMessages(ctx, c.ID, 0, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			out = append(out, stored{Message: m, Contact: *k})
		}
	}
	return out
}

// textPayload is a webhook body with one text message.
func textPayload(pnid, wamid, from, name, body string) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
"messaging_product":"whatsapp","metadata":{"display_phone_number":"31201234567","phone_number_id":%q},
"contacts":[{"profile":{"name":%q},"wa_id":%q}],
"messages":[{"from":%q,"id":%q,"timestamp":"1764150000","type":"text","text":{"body":%q}}]}}]}]}`,
		pnid, name, from, from, wamid, body))
}

// statusPayload is a webhook body with one message status.
func statusPayload(pnid, wamid, st, errTitle string) []byte {
	errs := ""
	if errTitle != "" {
		errs = fmt.Sprintf(`,"errors":[{"code":131026,"title":%q,"error_data":{"details":"Message undeliverable"}}]`, errTitle)
	}
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
"messaging_product":"whatsapp","metadata":{"display_phone_number":"31201234567","phone_number_id":%q},
"statuses":[{"id":%q,"status":%q,"timestamp":"1764150100","recipient_id":"31612345678"%s}]}}]}]}`,
		pnid, wamid, st, errs))
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeGraph is a local stand-in for the parts of the Graph API balie uses:
// media lookup and download, media upload, and sending messages.
type fakeGraph struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	media       map[string][]byte // media id → bytes served
	mediaStatus int               // when set, the media lookup answers this
	declaredLen int64             // when set, the lookup's file_size
	sent        []sentMessage
	uploads     []upload
	fail        []failure // answers for the next /messages calls
	nextID      int
}

type sentMessage struct {
	PNID string
	Auth string
	Body map[string]any
}

type upload struct {
	Type, Name, PartType string
	Data                 []byte
}

type failure struct {
	status int
	body   string
}

func newFakeGraph(t *testing.T) *fakeGraph {
	f := &fakeGraph{t: t, media: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v21.0/{id}", f.lookup)
	mux.HandleFunc("GET /files/{id}", f.download)
	mux.HandleFunc("POST /v21.0/{pnid}/media", f.upload)
	mux.HandleFunc("POST /v21.0/{pnid}/messages", f.message)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGraph) authorised(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
		return false
	}
	return true
}

func (f *fakeGraph) setMedia(id string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[id] = data
}

// setLookup makes the media lookup fail with status (0: answer) and claim
// size bytes (0: the real size).
func (f *fakeGraph) setLookup(status int, size int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mediaStatus, f.declaredLen = status, size
}

func (f *fakeGraph) lookup(w http.ResponseWriter, r *http.Request) {
	if !f.authorised(w, r) {
		return
	}
	f.mu.Lock()
	data, ok := f.media[r.PathValue("id")]
	status, size := f.mediaStatus, f.declaredLen
	f.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		io.WriteString(w, `{"error":{"message":"Service temporarily unavailable","code":2}}`)
		return
	}
	if !ok {
		data = tinyPNG(f.t) // media the test did not set up: any image
		f.setMedia(r.PathValue("id"), data)
	}
	if size == 0 {
		size = int64(len(data))
	}
	json.NewEncoder(w).Encode(map[string]any{"url": f.srv.URL + "/files/" + r.PathValue("id"),
		"mime_type": "application/octet-stream", "file_size": size, "id": r.PathValue("id")})
}

func (f *fakeGraph) download(w http.ResponseWriter, r *http.Request) {
	if !f.authorised(w, r) {
		return
	}
	f.mu.Lock()
	data, ok := f.media[r.PathValue("id")]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(data)
}

func (f *fakeGraph) upload(w http.ResponseWriter, r *http.Request) {
	if !f.authorised(w, r) {
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var u upload
	fields := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(p)
		if p.FormName() == "file" {
			u.Name, u.PartType, u.Data = p.FileName(), p.Header.Get("Content-Type"), data
		} else {
			fields[p.FormName()] = string(data)
		}
	}
	if fields["messaging_product"] != "whatsapp" || u.Data == nil {
		http.Error(w, `{"error":{"message":"bad upload","code":100}}`, http.StatusBadRequest)
		return
	}
	u.Type = fields["type"]
	f.mu.Lock()
	f.uploads = append(f.uploads, u)
	f.nextID++
	id := "media-" + strconv.Itoa(f.nextID)
	f.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]string{"id": id})
}

func (f *fakeGraph) message(w http.ResponseWriter, r *http.Request) {
	if !f.authorised(w, r) {
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.fail) > 0 {
		fl := f.fail[0]
		f.fail = f.fail[1:]
		w.WriteHeader(fl.status)
		io.WriteString(w, fl.body)
		return
	}
	f.sent = append(f.sent, sentMessage{PNID: r.PathValue("pnid"), Auth: r.Header.Get("Authorization"), Body: body})
	f.nextID++
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":"wamid.out-%d"}]}`,
		body["to"], body["to"], f.nextID)
}

func (f *fakeGraph) failNext(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, failure{status, body})
}

func (f *fakeGraph) sentMessages() []sentMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMessage(nil), f.sent...)
}

func (f *fakeGraph) uploaded() []upload {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]upload(nil), f.uploads...)
}

// Media bytes of each kind, enough for sniffing.
func tinyPNG(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.NRGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tinyJPEG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	pdfBytes  = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	oggBytes  = append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{0}, 40)...)
	mp4Bytes  = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), bytes.Repeat([]byte{0}, 40)...)
	webpBytes = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{0}, 40)...)
)
