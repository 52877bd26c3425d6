package meta

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
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// The ids the fixtures in testdata use.
const (
	testSecret = "app-secret-for-tests"
	testToken  = "EAAB-page-token-0123456789"
	fbPage     = "104857600112233"
	fbPSID     = "6543210987654321"
	igAccount  = "17841400000000001"
	igSID      = "987654321012345"
)

// env is a Messenger and an Instagram channel on a real store and
// conversation service, with a fake Graph API and CDN.
type env struct {
	st    desk.Store
	convs *conversation.Service
	blob  *blob.Disk
	graph *fakeGraph
	fb    *Channel
	ig    *Channel
	logs  *syncBuffer
	now   time.Time
	n     int
}

func newEnv(t *testing.T, opts ...func(*env, *Deps)) *env {
	t.Helper()
	e := &env{st: testenv.OpenSQLite(t), graph: newFakeGraph(t), logs: &syncBuffer{},
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
		o(e, &d)
	}
	e.fb, e.ig = NewMessenger(d), NewInstagram(d)
	return e
}

// withMessages wires the store as the channel's Messages.
func withMessages(e *env, d *Deps) { d.Messages = e.st }

// channel is the env's channel of kind k.
func (e *env) channel(k desk.ChannelKind) *Channel {
	if k == desk.ChannelInstagram {
		return e.ig
	}
	return e.fb
}

// inbox creates an inbox of kind k pointing at the fake Graph API; set
// changes or adds settings ("" removes one).
func (e *env) inbox(t *testing.T, k desk.ChannelKind, set map[string]string) desk.Inbox {
	t.Helper()
	e.n++
	page := fbPage
	if k == desk.ChannelInstagram {
		page = igAccount
	}
	in := desk.Inbox{Name: string(k) + " " + strconv.Itoa(e.n), Channel: k,
		PublicKey: string(k) + "-" + strconv.Itoa(e.n), Settings: map[string]string{
			SettingPageID: page, SettingAccessToken: testToken, SettingAppSecret: testSecret,
			SettingVerifyToken: "verify-me", SettingAPIBase: e.graph.srv.URL + "/v21.0",
		}}
	for key, v := range set {
		if v == "" {
			delete(in.Settings, key)
		} else {
			in.Settings[key] = v
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
	r := httptest.NewRequest(http.MethodPost, "/hooks/"+string(in.Channel)+"/"+in.PublicKey, bytes.NewReader(body))
	if signature != "" {
		r.Header.Set(SignatureHeader, signature)
	}
	w := httptest.NewRecorder()
	e.channel(in.Channel).Webhook(in).ServeHTTP(w, r)
	return w.Code
}

// postSigned sends body signed with the inbox's secret.
func (e *env) postSigned(t *testing.T, in desk.Inbox, body []byte) int {
	t.Helper()
	return e.post(t, in, body, sign(in.Settings[SettingAppSecret], body))
}

// fixture reads testdata/name.json with the fake CDN's address filled in.
func (e *env) fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("{{CDN}}"), []byte(e.graph.srv.URL+"/cdn"))
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

// fakeGraph is a local stand-in for the parts of the Graph API balie uses
// (profiles, attachment upload, the Send API) and for Meta's CDN.
type fakeGraph struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	cdn       map[string][]byte // path under /cdn → bytes
	cdnStatus int               // when set, the CDN answers this
	cdnAuth   []string          // Authorization headers the CDN saw
	profiles  map[string]string // user id → profile JSON
	lookups   int
	sent      []sentMessage
	uploads   []upload
	fail      []failure // answers for the next /me/messages calls
	nextID    int
}

type sentMessage struct {
	Auth string
	Body map[string]any
	ID   string // the message_id the fake answered
}

type upload struct {
	Message, Platform, Name, PartType string
	Data                              []byte
}

type failure struct {
	status int
	body   string
}

func newFakeGraph(t *testing.T) *fakeGraph {
	f := &fakeGraph{t: t, cdn: map[string][]byte{}, profiles: map[string]string{
		fbPSID: `{"name":"Anna de Vries","id":"` + fbPSID + `"}`,
		igSID:  `{"name":"","username":"anna.dv","id":"` + igSID + `"}`,
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cdn/", f.download)
	mux.HandleFunc("GET /v21.0/{id}", f.profile)
	mux.HandleFunc("POST /v21.0/me/message_attachments", f.upload)
	mux.HandleFunc("POST /v21.0/me/messages", f.message)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGraph) authorised(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+testToken || r.URL.Query().Has("access_token") {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
		return false
	}
	return true
}

func (f *fakeGraph) setCDN(path string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cdn[path] = data
}

func (f *fakeGraph) setCDNStatus(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cdnStatus = status
}

func (f *fakeGraph) download(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/cdn")
	f.mu.Lock()
	data, ok := f.cdn[p]
	status := f.cdnStatus
	f.cdnAuth = append(f.cdnAuth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if !ok {
		data = tinyPNG(f.t) // a file the test did not set up: any image
	}
	w.Write(data)
}

func (f *fakeGraph) profile(w http.ResponseWriter, r *http.Request) {
	if !f.authorised(w, r) {
		return
	}
	f.mu.Lock()
	f.lookups++
	p, ok := f.profiles[r.PathValue("id")]
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"Unsupported get request.","code":100,"error_subcode":33}}`)
		return
	}
	io.WriteString(w, p)
}

func (f *fakeGraph) lookupCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups
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
		switch p.FormName() {
		case "filedata":
			u.Name, u.PartType, u.Data = p.FileName(), p.Header.Get("Content-Type"), data
		case "message":
			u.Message = string(data)
		case "platform":
			u.Platform = string(data)
		}
	}
	if u.Message == "" || u.Data == nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"bad upload","code":100}}`)
		return
	}
	f.mu.Lock()
	f.uploads = append(f.uploads, u)
	f.nextID++
	id := "att-" + strconv.Itoa(f.nextID)
	f.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]string{"attachment_id": id})
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
		if fl.status != 0 { // 0: this call goes through
			w.WriteHeader(fl.status)
			io.WriteString(w, fl.body)
			return
		}
	}
	f.nextID++
	id := fmt.Sprintf("m_out-%d", f.nextID)
	f.sent = append(f.sent, sentMessage{Auth: r.Header.Get("Authorization"), Body: body, ID: id})
	recipient, _ := body["recipient"].(map[string]any)
	fmt.Fprintf(w, `{"recipient_id":%q,"message_id":%q}`, recipient["id"], id)
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

func tinyPNG(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.NRGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	pdfBytes = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	m4aBytes = append([]byte("\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom"), bytes.Repeat([]byte{0}, 40)...)
	mp4Bytes = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), bytes.Repeat([]byte{0}, 40)...)
	exeBytes = append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0}, 60)...)
)
