package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/sqlite"
	"github.com/balie-dev/balie/internal/web"
)

// TestScenario runs the pages on a real SQLite store with the real
// conversation and auth services, through a browser-like client: log in,
// open the inbox, open the conversation, reply, see the reply.
func TestScenario(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clock := desk.SystemClock{}
	log := slog.New(slog.DiscardHandler)

	fast := auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	hash, err := auth.HashPasswordWith("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	agent := &desk.Agent{Email: "anna@example.nl", Name: "Anna", Role: desk.RoleAgent, Locale: "en",
		PasswordHash: hash, Availability: desk.Online}
	if err := st.CreateAgent(ctx, agent); err != nil {
		t.Fatal(err)
	}
	inbox := &desk.Inbox{Name: "Site", Channel: desk.ChannelWebChat, PublicKey: "site", Settings: map[string]string{}}
	if err := st.CreateInbox(ctx, inbox); err != nil {
		t.Fatal(err)
	}
	b := bus.NewLocal(0)
	convs := conversation.New(st, b, clock, log, conversation.Options{})
	res, err := convs.Ingest(ctx, desk.Inbound{InboxID: inbox.ID, ExternalID: "m1",
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, FromName: "Jan <b>de Vries</b>",
		Body: "Help! <script>alert(1)</script>"})
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	authSvc := auth.New(st, clock, auth.Options{Params: fast})
	h, err := web.New(web.Deps{Store: st, Conversations: convs, Contacts: contact.New(st, clock), Auth: authSvc,
		Agents: auth.NewAgents(st, nil), AdminChanged: convs.InvalidateCaches, Uploads: memUploads{}, Clock: clock, Logger: log})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(authSvc.Middleware(mux))
	t.Cleanup(srv.Close)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(path string) string {
		t.Helper()
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	csrfRe := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	token := func(page string) string {
		t.Helper()
		m := csrfRe.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no csrf_token in page")
		}
		return m[1]
	}

	// Not logged in: the pages send the browser to the login form.
	login := get("/app")
	if !strings.Contains(login, `data-testid="login-form"`) {
		t.Fatal("GET /app without a session did not end on the login page")
	}
	resp, err := client.PostForm(srv.URL+"/login", url.Values{"email": {"anna@example.nl"},
		"password": {"correct horse battery"}, "csrf_token": {token(login)}, "next": {"/app?view=all"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/app" {
		t.Fatalf("after login the browser is on %s, want /app", resp.Request.URL.Path)
	}

	inboxPage := get("/app?view=all")
	convID := res.Conversation.ID
	if !strings.Contains(inboxPage, `data-testid="conversation-row" data-id="`+itoa(convID)+`"`) {
		t.Fatalf("the conversation is not in the inbox:\n%s", inboxPage)
	}
	page := get("/app/conversations/" + itoa(convID))
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the customer's message is not escaped")
	}

	resp, err = client.PostForm(srv.URL+"/app/conversations/"+itoa(convID)+"/messages",
		url.Values{"body": {"We are on it."}, "csrf_token": {token(page)}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Reply sent.") {
		t.Fatalf("after the reply: %d, flash missing\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), `data-kind="message" data-id=`) || !strings.Contains(string(body), "We are on it.") {
		t.Error("the reply is not in the thread")
	}
	c, err := st.ConversationByID(context.Background(), convID)
	if err != nil || c.AssigneeID != agent.ID {
		t.Errorf("replying did not assign the conversation to the agent: %+v, %v", c, err)
	}

	// Without the token the same post is refused (by the auth middleware
	// and by the page itself).
	resp, err = client.PostForm(srv.URL+"/app/conversations/"+itoa(convID)+"/messages", url.Values{"body": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("post without csrf token: %d, want 403", resp.StatusCode)
	}
	// A reply with a file, through the auth middleware that reads the
	// multipart body for its CSRF token before the page does.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf_token", token(page))
	mw.WriteField("body", "Here is the manual.")
	fw, _ := mw.CreateFormFile("files", "manual.txt")
	fw.Write([]byte("Step 1: charge the battery."))
	mw.Close()
	resp, err = client.Post(srv.URL+"/app/conversations/"+itoa(convID)+"/messages", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Reply sent.") ||
		!strings.Contains(string(body), `download>manual.txt</a>`) {
		t.Fatalf("after the reply with a file: %d\n%s", resp.StatusCode, body)
	}

	// My profile: change the password, then log in with the new one.
	profile := get("/app/profile")
	resp, err = client.PostForm(srv.URL+"/app/profile/password", url.Values{"csrf_token": {token(profile)},
		"current_password": {"correct horse battery"}, "password": {"a brand new passphrase"}, "password_again": {"a brand new passphrase"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Password changed.") {
		t.Fatalf("password change: %d\n%s", resp.StatusCode, body)
	}
	if _, _, _, err := authSvc.Login(ctx, "anna@example.nl", "a brand new passphrase", "192.0.2.1"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	// A personal token, shown once, works as an API credential.
	resp, err = client.PostForm(srv.URL+"/app/profile/tokens", url.Values{"csrf_token": {token(profile)}, "name": {"laptop"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`data-testid="new-token-value">([^<]+)<`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no new token on the page:\n%s", body)
	}
	if a, err := authSvc.TokenAgent(ctx, string(m[1])); err != nil || a.ID != agent.ID {
		t.Errorf("the shown token does not authenticate: %v, %v", a, err)
	}

	// An agent may not open the admin pages.
	resp, err = client.Get(srv.URL + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("agent on /admin: %d, want 403", resp.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// memUploads keeps nothing: it hands out keys for text files, which is all
// the scenario needs to see an attachment through the real store.
type memUploads struct{}

func (memUploads) Store(_ context.Context, name string, r io.Reader) (desk.InboundAttachment, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return desk.InboundAttachment{}, err
	}
	return desk.InboundAttachment{Name: name, ContentType: "text/plain; charset=utf-8", Size: int64(len(b)),
		BlobKey: "00112233445566778899aabbccddeeff"}, nil
}

func (memUploads) Discard(context.Context, desk.InboundAttachment) {}
