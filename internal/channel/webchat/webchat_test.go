package webchat

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/realtime"
	"github.com/balie-dev/balie/internal/store/sqlite"
)

const inboxKey = "site-key-1"

type env struct {
	t      *testing.T
	st     desk.Store
	convs  *conversation.Service
	hub    *realtime.Hub
	kb     *kb.Service
	h      *Handler
	srv    *httptest.Server
	mux    *http.ServeMux
	blobs  string // the blob store's directory
	online bool
}

func newEnv(t *testing.T, opts ...func(*Deps)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st}
	if err := e.st.CreateInbox(ctx, &desk.Inbox{Name: "Shop", Channel: desk.ChannelWebChat, PublicKey: inboxKey}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateInbox(ctx, &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mail-key"}); err != nil {
		t.Fatal(err)
	}
	b := bus.NewLocal(0)
	e.convs = conversation.New(e.st, b, desk.SystemClock{}, nil, conversation.Options{})
	e.hub = realtime.New(b, e.st, e.convs, realtime.Options{})
	e.blobs = t.TempDir()
	disk, err := blob.NewDisk(e.blobs)
	if err != nil {
		t.Fatal(err)
	}
	e.kb = kb.New(e.st, b, desk.SystemClock{}, nil, kb.Options{})
	if err := e.kb.Load(ctx); err != nil {
		t.Fatal(err)
	}
	d := Deps{Store: e.st, Conversations: e.convs, Blob: disk, Hub: e.hub, KB: e.kb,
		AgentsOnline: func(context.Context) bool { return e.online }}
	for _, o := range opts {
		o(&d)
	}
	e.h = New(d)
	mux := http.NewServeMux()
	e.mux = mux
	e.h.Routes(mux)
	mux.HandleFunc("GET /agent", func(w http.ResponseWriter, r *http.Request) {
		e.hub.ServeAgent(w, r, &desk.Agent{ID: 1, Name: "Anna"})
	})
	e.srv = httptest.NewServer(mux)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.hub.Run(runCtx) }()
	<-e.hub.Ready()
	t.Cleanup(func() { cancel(); <-done; e.srv.Close() })
	return e
}

type response struct {
	status int
	header http.Header
	raw    string
	json   map[string]any
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	json.Unmarshal(b, &out.json)
	return out
}

func (e *env) post(path string, body any) response {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return e.do(req)
}

func (e *env) get(path string) response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	return e.do(req)
}

// newVisitor opens a session and returns the visitor's token.
func (e *env) newVisitor() string {
	e.t.Helper()
	r := e.post("/widget/api/session", map[string]string{"inbox": inboxKey, "token": "", "locale": "en"})
	if r.status != http.StatusOK {
		e.t.Fatalf("session: %d %s", r.status, r.raw)
	}
	return r.json["token"].(string)
}

func (e *env) say(token, body string) response {
	e.t.Helper()
	return e.post("/widget/api/messages", map[string]string{"inbox": inboxKey, "token": token, "body": body})
}

func (e *env) upload(token, name string, data []byte) response {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("inbox", inboxKey)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/widget/api/upload", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set(VisitorHeader, token)
	return e.do(req)
}

func (e *env) dial(path string) *websocket.Conn {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var opts *websocket.DialOptions
	if strings.HasPrefix(path, "/widget/") {
		// The widget runs on the customer's site, another origin.
		opts = &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://shop.example"}}}
	}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+path, opts)
	if err != nil {
		e.t.Fatalf("dial %s: %v", path, err)
	}
	e.t.Cleanup(func() { c.CloseNow() })
	return c
}

func (e *env) waitConns(agents, visitors int) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a, v := e.hub.Counts()
		if a == agents && v == visitors {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("hub has %d agents, %d visitors; want %d, %d", a, v, agents, visitors)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readEvent(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	m["_raw"] = string(data)
	return m
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(0, 0, color.Black)
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func TestSessionCreateAndResume(t *testing.T) {
	e := newEnv(t)
	r := e.post("/widget/api/session", map[string]string{"inbox": inboxKey, "token": "", "locale": "nl-NL"})
	if r.status != http.StatusOK {
		t.Fatalf("status = %d: %s", r.status, r.raw)
	}
	token, _ := r.json["token"].(string)
	if !validToken(token) {
		t.Fatalf("token = %q, want 64 hex characters", token)
	}
	if r.json["conversation_id"].(float64) != 0 || len(r.json["messages"].([]any)) != 0 {
		t.Errorf("new visitor session = %s, want no conversation and no messages", r.raw)
	}
	if got := r.json["strings"].(map[string]any)["send"]; got != "Versturen" {
		t.Errorf("strings[send] = %v, want Dutch", got)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("no CORS header on session")
	}
	// A page view creates nothing: the contact comes with the first message.
	if cs, err := e.st.ListContacts(context.Background(), desk.ContactQuery{Limit: 10}); err != nil || len(cs) != 0 {
		t.Errorf("session created %d contacts (err %v), want none before a message", len(cs), err)
	}

	if r := e.say(token, "Waar is mijn bestelling?"); r.status != http.StatusCreated {
		t.Fatalf("message: %d %s", r.status, r.raw)
	}
	r = e.post("/widget/api/session", map[string]string{"inbox": inboxKey, "token": token, "locale": "en"})
	if r.json["token"] != token {
		t.Errorf("resumed token = %v, want the same", r.json["token"])
	}
	msgs := r.json["messages"].([]any)
	if r.json["conversation_id"].(float64) == 0 || len(msgs) != 1 || msgs[0].(map[string]any)["body"] != "Waar is mijn bestelling?" {
		t.Errorf("resumed session = %s, want the conversation with its message", r.raw)
	}
	sum := sha256.Sum256([]byte(token))
	c, err := e.st.ContactByIdentity(context.Background(), desk.IdentityVisitor, hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatalf("contact by token hash: %v", err)
	}
	for _, id := range c.Identities {
		if id.Value == token {
			t.Errorf("the plain token was stored as identity %+v", id)
		}
	}

	// A malformed token gets a fresh one rather than an error.
	r = e.post("/widget/api/session", map[string]string{"inbox": inboxKey, "token": "../../x", "locale": "en"})
	if r.status != http.StatusOK || r.json["token"] == "../../x" || r.json["conversation_id"].(float64) != 0 {
		t.Errorf("malformed token session = %d %s, want a new visitor", r.status, r.raw)
	}
}

func TestSessionErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		body string
		want int
	}{
		{"unknown inbox", `{"inbox":"nope","token":"","locale":"en"}`, http.StatusNotFound},
		{"not a web chat inbox", `{"inbox":"mail-key","token":"","locale":"en"}`, http.StatusNotFound},
		{"unknown field", `{"inbox":"site-key-1","admin":true}`, http.StatusBadRequest},
		{"not json", `<html>`, http.StatusBadRequest},
		{"too large", `{"inbox":"` + strings.Repeat("a", 200<<10) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/widget/api/session", strings.NewReader(tc.body))
			r := e.do(req)
			if r.status != tc.want {
				t.Errorf("status = %d, want %d (%s)", r.status, tc.want, r.raw)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want problem+json", ct)
			}
			if r.json["status"].(float64) != float64(tc.want) || r.json["title"] == "" {
				t.Errorf("problem body = %s", r.raw)
			}
		})
	}
}

func TestMessagesReachAgentAndVisitorLive(t *testing.T) {
	e := newEnv(t)
	token := e.newVisitor()
	agent := e.dial("/agent")
	visitor := e.dial("/widget/ws?inbox=" + inboxKey + "&token=" + token)
	e.waitConns(1, 1)

	r := e.say(token, "Hallo, ik heb een vraag")
	if r.status != http.StatusCreated {
		t.Fatalf("message: %d %s", r.status, r.raw)
	}
	convID := int64(r.json["conversation_id"].(float64))
	// The agent sees the new conversation and the message.
	var gotMsg bool
	for i := 0; i < 2 && !gotMsg; i++ {
		ev := readEvent(t, agent)
		if ev["type"] == desk.EventMessageCreated {
			gotMsg = ev["message"].(map[string]any)["body"] == "Hallo, ik heb een vraag"
		}
	}
	if !gotMsg {
		t.Fatal("agent did not receive the visitor's message")
	}

	ctx := context.Background()
	by := conversation.Actor{AgentID: 1, Name: "Anna"}
	if _, err := e.convs.Note(ctx, by, convID, "klant lijkt boos"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.convs.Reply(ctx, by, convID, "Natuurlijk, waarmee kan ik helpen?", nil); err != nil {
		t.Fatal(err)
	}
	// The visitor's socket was opened before the contact existed; the
	// first message bound it. It gets the reply but never the note.
	for {
		ev := readEvent(t, visitor)
		raw := ev["_raw"].(string)
		if strings.Contains(raw, "klant lijkt boos") || strings.Contains(raw, "assignee_id") {
			t.Fatalf("visitor received agent-internal data: %s", raw)
		}
		if ev["type"] == desk.EventMessageCreated {
			m := ev["message"].(map[string]any)
			if m["sender"] == "contact" {
				continue // the echo of their own message, depending on timing
			}
			if m["body"] != "Natuurlijk, waarmee kan ik helpen?" || m["sender"] != "agent" || m["sender_name"] != "Anna" {
				t.Errorf("visitor got %s, want Anna's reply", raw)
			}
			break
		}
	}

	// Visitor typing reaches the agent.
	if err := visitor.Write(ctx, websocket.MessageText, []byte(`{"type":"typing","conversation_id":`+jsonInt(convID)+`,"typing":true}`)); err != nil {
		t.Fatal(err)
	}
	for {
		ev := readEvent(t, agent)
		if ev["type"] == desk.EventTyping {
			if ev["sender"] != "contact" || ev["typing"] != true {
				t.Errorf("typing event = %s", ev["_raw"])
			}
			break
		}
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestScriptInMessagesStaysText(t *testing.T) {
	e := newEnv(t)
	token := e.newVisitor()
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	r := e.say(token, evil)
	if r.status != http.StatusCreated {
		t.Fatalf("message: %d %s", r.status, r.raw)
	}
	for name, raw := range map[string]string{
		"post":    r.raw,
		"history": e.post("/widget/api/session", map[string]string{"inbox": inboxKey, "token": token}).raw,
	} {
		if strings.Contains(raw, "<script") || strings.Contains(raw, "<img") {
			t.Errorf("%s: raw markup in JSON: %s", name, raw)
		}
		if !strings.Contains(raw, `\u003cscript\u003e`) {
			t.Errorf("%s: markup not escaped as JSON text: %s", name, raw)
		}
	}
	if got := r.json["message"].(map[string]any)["body"]; got != evil {
		t.Errorf("body = %q, want it stored as written", got)
	}
	// The widget never uses innerHTML (nor other HTML sinks) for anything.
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if bytes.Contains(widgetJS, []byte(sink)) {
			t.Errorf("widget.js uses %s", sink)
		}
	}
}

func TestVisitorsCannotReadEachOther(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.newVisitor(), e.newVisitor()
	img := pngBytes(t, 800, 400)
	r := e.upload(alice, "photo.png", img)
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	att := r.json["message"].(map[string]any)["attachments"].([]any)[0].(map[string]any)
	if att["thumb_url"] == nil || att["width"].(float64) != 800 {
		t.Errorf("attachment = %v, want a thumbnail and the original size", att)
	}
	url := att["url"].(string)
	pdf := e.upload(alice, "factuur.pdf", []byte("%PDF-1.4\n%...\n"))
	if pdf.status != http.StatusCreated {
		t.Fatalf("pdf upload: %d %s", pdf.status, pdf.raw)
	}
	pdfURL := pdf.json["message"].(map[string]any)["attachments"].([]any)[0].(map[string]any)["url"].(string)
	e.say(bob, "Bob is here too")

	tests := []struct {
		name, path string
		want       int
		ctype      string
		disp       string
	}{
		{"owner image", url + "?token=" + alice, 200, "image/png", "inline"},
		{"owner thumbnail", url + "/thumb?token=" + alice, 200, "image/png", "inline"},
		{"owner pdf", pdfURL + "?token=" + alice, 200, "application/pdf", "attachment"},
		{"other visitor", url + "?token=" + bob, 404, "", ""},
		{"other visitor thumbnail", url + "/thumb?token=" + bob, 404, "", ""},
		{"no token", url, 404, "", ""},
		{"unknown token", url + "?token=" + newToken(), 404, "", ""},
		{"missing attachment", "/widget/attachments/9999?token=" + alice, 404, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.path)
			if r.status != tc.want {
				t.Fatalf("status = %d, want %d (%s)", r.status, tc.want, r.raw)
			}
			if tc.want != 200 {
				return
			}
			if got := r.header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type = %q, want %q", got, tc.ctype)
			}
			if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if got := r.header.Get("Content-Disposition"); !strings.HasPrefix(got, tc.disp) {
				t.Errorf("Content-Disposition = %q, want %s", got, tc.disp)
			}
		})
	}
	if r := e.get(url + "?token=" + alice); r.raw != string(img) {
		t.Errorf("downloaded %d bytes, want the uploaded %d", len(r.raw), len(img))
	}

	// Bob's session shows only Bob's conversation.
	s := e.post("/widget/api/session", map[string]string{"inbox": inboxKey, "token": bob})
	if strings.Contains(s.raw, "photo.png") || !strings.Contains(s.raw, "Bob is here too") {
		t.Errorf("bob's session = %s", s.raw)
	}

	// An attachment on an internal note is not the visitor's, even in
	// their own conversation.
	ctx := context.Background()
	c, _ := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(alice))
	inbox, _ := e.st.InboxByKey(ctx, inboxKey)
	conv, err := e.st.OpenConversationFor(ctx, inbox.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	note := &desk.Message{ConversationID: conv.ID, Kind: desk.KindNote, Sender: desk.SenderAgent, Body: "internal",
		Attachments: []desk.Attachment{{Name: "secret.pdf", ContentType: "application/pdf", BlobKey: blob.NewKey()}}}
	if err := e.st.CreateMessage(ctx, note); err != nil {
		t.Fatal(err)
	}
	if r := e.get(realtime.VisitorAttachmentURL(note.Attachments[0].ID) + "?token=" + alice); r.status != 404 {
		t.Errorf("note attachment status = %d, want 404", r.status)
	}
	// Nor may a visitor type into someone else's conversation: see
	// realtime's tests; nor post into it: messages go to their own.
}

func TestUploadRejections(t *testing.T) {
	e := newEnv(t)
	token := e.newVisitor()
	big := make([]byte, MaxUpload+1)
	copy(big, "%PDF-1.4\n")
	tests := []struct {
		name  string
		token string
		file  string
		data  []byte
		want  int
	}{
		{"too large", token, "big.pdf", big, http.StatusRequestEntityTooLarge},
		{"html", token, "page.html", []byte("<html><script>alert(1)</script></html>"), http.StatusUnsupportedMediaType},
		{"html as txt", token, "page.txt", []byte("<!DOCTYPE html><script>alert(1)</script>"), http.StatusUnsupportedMediaType},
		{"svg named png", token, "logo.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), http.StatusUnsupportedMediaType},
		{"executable", token, "setup.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), http.StatusUnsupportedMediaType},
		{"empty", token, "a.txt", nil, http.StatusUnprocessableEntity},
		{"no token", "", "a.txt", []byte("hello"), http.StatusUnauthorized},
		{"ok text", token, "notes.txt", []byte("order 12345"), http.StatusCreated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.upload(tc.token, tc.file, tc.data)
			if r.status != tc.want {
				t.Errorf("status = %d, want %d (%.200s)", r.status, tc.want, r.raw)
			}
		})
	}
}

func TestMessageRateLimit(t *testing.T) {
	e := newEnv(t)
	rateBurst := Limits{}.withDefaults().Visitor.Burst
	token := e.newVisitor()
	other := e.newVisitor()
	for i := 0; i < rateBurst; i++ {
		if r := e.say(token, "spam"); r.status != http.StatusCreated {
			t.Fatalf("message %d: %d %s", i, r.status, r.raw)
		}
	}
	if r := e.say(token, "one too many"); r.status != http.StatusTooManyRequests {
		t.Errorf("message %d: status %d, want 429", rateBurst+1, r.status)
	}
	if r := e.say(other, "hello"); r.status != http.StatusCreated {
		t.Errorf("another visitor: status %d, want 201", r.status)
	}
}

func TestRepeatedClientIDIsStoredOnce(t *testing.T) {
	e := newEnv(t)
	token := e.newVisitor()
	body := map[string]string{"inbox": inboxKey, "token": token, "body": "once", "client_id": "abc-1"}
	first, second := e.post("/widget/api/messages", body), e.post("/widget/api/messages", body)
	if first.status != http.StatusCreated || second.status != http.StatusOK {
		t.Fatalf("statuses = %d, %d; want 201, 200", first.status, second.status)
	}
	if first.json["message"].(map[string]any)["id"] != second.json["message"].(map[string]any)["id"] {
		t.Errorf("repeat stored a second message")
	}
	body["client_id"] = "<bad>"
	if r := e.post("/widget/api/messages", body); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad client_id: status %d, want 422", r.status)
	}
}

func TestContactDetails(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	existing := &desk.Contact{Name: "Els", Email: "els@example.nl"}
	e.st.CreateContact(ctx, existing)
	e.st.AddIdentity(ctx, &desk.Identity{ContactID: existing.ID, Kind: desk.IdentityEmail, Value: "els@example.nl"})

	token := e.newVisitor()
	details := func(tok, name, email string) response {
		return e.post("/widget/api/contact-details", map[string]string{"inbox": inboxKey, "token": tok, "name": name, "email": email})
	}
	if r := details(token, "Jan", "not-an-email"); r.status != http.StatusUnprocessableEntity || r.json["field"] != "email" {
		t.Errorf("bad email: %d %s, want 422 on field email", r.status, r.raw)
	}
	if r := details(token, "", "jan@example.nl"); r.status != http.StatusUnprocessableEntity {
		t.Errorf("no name: %d, want 422", r.status)
	}
	// Before any message: the contact is created with the details.
	if r := details(token, "Jan de Vries", "Jan@Example.NL"); r.status != http.StatusOK {
		t.Fatalf("details: %d %s", r.status, r.raw)
	}
	c, err := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(token))
	if err != nil {
		t.Fatalf("visitor's contact: %v", err)
	}
	if c.Name != "Jan de Vries" || c.Email != "jan@example.nl" {
		t.Errorf("visitor's contact = %+v, want Jan de Vries with the typed address noted", c)
	}
	// A typed address proves nothing: it is no identity, so mail from it
	// later does not land on this browser's profile.
	if o, err := e.st.ContactByIdentity(ctx, desk.IdentityEmail, "jan@example.nl"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("typed address linked as an identity of contact %v (%v)", o, err)
	}
	if r := e.post("/widget/api/session", map[string]string{"inbox": inboxKey, "token": token}); r.json["details_known"] != true {
		t.Errorf("details_known = %v after leaving details", r.json["details_known"])
	}

	// Someone typing another customer's address is not linked to them.
	mallory := e.newVisitor()
	e.say(mallory, "hi")
	if r := details(mallory, "Mallory", "els@example.nl"); r.status != http.StatusOK {
		t.Fatalf("details: %d %s", r.status, r.raw)
	}
	owner, _ := e.st.ContactByIdentity(ctx, desk.IdentityEmail, "els@example.nl")
	m, _ := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(mallory))
	if owner.ID != existing.ID || m.ID == existing.ID {
		t.Errorf("visitor was linked to the existing customer (owner %d, visitor %d)", owner.ID, m.ID)
	}
	if m.Email != "els@example.nl" || m.Name != "Mallory" {
		t.Errorf("visitor contact = %+v, want the typed details noted", m)
	}
}

func TestWidgetScriptAndDemo(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/widget.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	gz, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("headers = %v, want gzip and caching", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, widgetJS) {
		t.Error("gzipped script differs from the embedded one")
	}
	// Budget: the widget loads on every page of a customer's site.
	if len(gz) > 15<<10 {
		t.Errorf("widget.js is %d bytes gzipped, budget 15 KiB", len(gz))
	}
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	resp, err = tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", resp.StatusCode)
	}

	r := e.get(`/widget/demo?inbox="><script>alert(1)</script>`)
	if r.status != 200 || strings.Contains(r.raw, "<script>alert(1)") {
		t.Errorf("demo page does not escape the inbox: %s", r.raw)
	}
	r = e.get("/widget/demo?inbox=" + inboxKey)
	if !strings.Contains(r.raw, `data-inbox="`+inboxKey+`"`) {
		t.Errorf("demo page lacks the embed: %s", r.raw)
	}

	req, _ = http.NewRequest(http.MethodOptions, e.srv.URL+"/widget/api/messages", nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	r = e.do(req)
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), VisitorHeader) ||
		r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight = %d %v", r.status, r.header)
	}
}

func TestVisitorWebSocketNeedsToken(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/widget/ws?inbox=" + inboxKey, "/widget/ws?inbox=" + inboxKey + "&token=zz", "/widget/ws?inbox=nope&token=" + newToken()} {
		if r := e.get(path); r.status < 400 {
			t.Errorf("GET %s = %d, want an error", path, r.status)
		}
	}
}
