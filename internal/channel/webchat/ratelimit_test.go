package webchat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLimiterBucket(t *testing.T) {
	l := newLimiter(Rate{Burst: 3, Window: 3 * time.Second}, 10)
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		name     string
		at       time.Duration
		key      string
		want     bool
		wantWait time.Duration
	}{
		{"first", 0, "a", true, 0},
		{"second", 0, "a", true, 0},
		{"third", 0, "a", true, 0},
		{"burst spent", 0, "a", false, time.Second},
		{"other key has its own bucket", 0, "b", true, 0},
		{"half refilled", 500 * time.Millisecond, "a", false, 500 * time.Millisecond},
		{"one refilled", time.Second, "a", true, 0},
		{"spent again", time.Second, "a", false, time.Second},
	}
	for _, s := range steps {
		ok, wait := l.allow(s.key, t0.Add(s.at))
		if ok != s.want || wait != s.wantWait {
			t.Errorf("%s: allow = %v, %v; want %v, %v", s.name, ok, wait, s.want, s.wantWait)
		}
	}
}

func TestLimiterIsBounded(t *testing.T) {
	const capacity = 100
	l := newLimiter(Rate{Burst: 1, Window: time.Hour}, capacity)
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 10 * capacity {
		l.allow(fmt.Sprint("key-", i), now)
	}
	if got := l.size(); got != capacity {
		t.Errorf("after %d keys: %d buckets, want %d", 10*capacity, got, capacity)
	}
	// The most recent keys are still limited; the oldest were forgotten.
	if ok, _ := l.allow(fmt.Sprint("key-", 10*capacity-1), now); ok {
		t.Errorf("a recent key got a second token within the window")
	}
	// Once every bucket has refilled, the sweep frees them all.
	l.allow("late", now.Add(2*time.Hour))
	if got := l.size(); got != 1 {
		t.Errorf("after refill: %d buckets, want 1", got)
	}
}

func TestClientKey(t *testing.T) {
	tests := []struct {
		name, addr, want string
	}{
		{"ipv4", "203.0.113.7:51234", "203.0.113.7"},
		{"ipv4 mapped", "[::ffff:203.0.113.7]:443", "203.0.113.7"},
		{"ipv6 keyed by /64", "[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:443", "2001:db8:1:2::/64"},
		{"ipv6 same /64", "[2001:db8:1:2::1]:80", "2001:db8:1:2::/64"},
		{"no port", "198.51.100.1", "198.51.100.1"},
		{"not an address", "pipe", "pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clientKey(tt.addr); got != tt.want {
				t.Errorf("clientKey(%q) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

// serve runs a request through the widget's routes as if from addr.
func (e *env) serve(method, path, addr string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = addr
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

func TestNewTokensDoNotEscapeTheLimits(t *testing.T) {
	e := newEnv(t, func(d *Deps) {
		d.Limits = Limits{ClientSessions: Rate{Burst: 3, Window: time.Minute}, ClientPosts: Rate{Burst: 2, Window: time.Minute}}
	})
	const attacker, other = "203.0.113.9:4000", "198.51.100.20:4000"
	session := func(addr string) *httptest.ResponseRecorder {
		return e.serve(http.MethodPost, "/widget/api/session", addr,
			jsonBody(map[string]string{"inbox": inboxKey, "locale": "en"}), nil)
	}
	var tokens []string
	for i := range 3 {
		rec := session(attacker)
		if rec.Code != http.StatusOK {
			t.Fatalf("session %d: %d %s", i, rec.Code, rec.Body)
		}
		var s sessionResponse
		json.Unmarshal(rec.Body.Bytes(), &s)
		tokens = append(tokens, s.Token)
	}
	rec := session(attacker)
	if rec.Code != http.StatusTooManyRequests {
		t.Errorf("4th session from one address: %d, want 429", rec.Code)
	}
	if ra := rec.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q, want whole seconds", ra)
	}
	if rec := session(other); rec.Code != http.StatusOK {
		t.Errorf("session from another address: %d, want 200", rec.Code)
	}
	// Each token is fresh, so the per-visitor limit alone would allow all
	// three messages; the address's limit stops the third.
	wants := []int{http.StatusCreated, http.StatusCreated, http.StatusTooManyRequests}
	for i, tok := range tokens {
		rec := e.serve(http.MethodPost, "/widget/api/messages", attacker,
			jsonBody(map[string]string{"inbox": inboxKey, "token": tok, "body": "spam"}), nil)
		if rec.Code != wants[i] {
			t.Errorf("message %d with a new token: %d, want %d (%s)", i, rec.Code, wants[i], rec.Body)
		}
	}
}

func TestInboxLimit(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Limits = Limits{Inbox: Rate{Burst: 2, Window: time.Minute}} })
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		rec := e.serve(http.MethodPost, "/widget/api/session", fmt.Sprintf("198.51.100.%d:1", i+1),
			jsonBody(map[string]string{"inbox": inboxKey}), nil)
		if rec.Code != want {
			t.Errorf("session %d from its own address: %d, want %d", i, rec.Code, want)
		}
	}
}

// countingReader counts the bytes a handler read of a request body.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestUploadLimitsCheckedBeforeReading(t *testing.T) {
	e := newEnv(t, func(d *Deps) {
		d.Limits = Limits{Visitor: Rate{Burst: 1, Window: time.Minute}, ClientPosts: Rate{Burst: 2, Window: time.Minute}}
	})
	token := e.newVisitor()
	file := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 4<<20)...)
	upload := func(addr, token string) (*httptest.ResponseRecorder, int) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("inbox", inboxKey)
		fw, _ := mw.CreateFormFile("file", "big.pdf")
		fw.Write(file)
		mw.Close()
		body := &countingReader{r: &b}
		rec := e.serve(http.MethodPost, "/widget/api/upload", addr, body,
			http.Header{"Content-Type": {mw.FormDataContentType()}, VisitorHeader: {token}})
		return rec, body.n
	}
	if rec, _ := upload("203.0.113.1:1", token); rec.Code != http.StatusCreated {
		t.Fatalf("first upload: %d %s", rec.Code, rec.Body)
	}
	before := countFiles(t, e.blobs)
	fresh := e.newVisitor()
	tests := []struct {
		name  string
		addr  string
		token string
	}{
		{"visitor over the limit", "203.0.113.1:1", token},
		{"visitor over the limit from another address", "203.0.113.2:1", token},
		{"address over the limit with a fresh token", "203.0.113.1:1", fresh},
	}
	for _, tc := range tests {
		rec, read := upload(tc.addr, tc.token)
		if rec.Code != http.StatusTooManyRequests {
			t.Errorf("%s: %d, want 429 (%s)", tc.name, rec.Code, rec.Body)
		}
		if read > len(file)/2 {
			t.Errorf("%s: read %d bytes of a %d byte file before refusing", tc.name, read, len(file))
		}
	}
	if after := countFiles(t, e.blobs); after != before {
		t.Errorf("refused uploads left blobs: %d files, want %d", after, before)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUploadNeedsFieldsBeforeFile(t *testing.T) {
	e := newEnv(t)
	token := e.newVisitor()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "a.txt")
	fw.Write([]byte("hello"))
	mw.WriteField("inbox", inboxKey)
	mw.Close()
	rec := e.serve(http.MethodPost, "/widget/api/upload", "203.0.113.1:1", &b,
		http.Header{"Content-Type": {mw.FormDataContentType()}, VisitorHeader: {token}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("file before inbox: %d, want 422 (%s)", rec.Code, rec.Body)
	}
}

func TestErrorsShowNoInternals(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, path, body string
		want             int
	}{
		{"unknown inbox", "/widget/api/session", `{"inbox":"nope"}`, http.StatusNotFound},
		{"mail inbox", "/widget/api/session", `{"inbox":"mail-key"}`, http.StatusNotFound},
		{"bad json", "/widget/api/messages", `{"inbox":`, http.StatusBadRequest},
		{"bad token", "/widget/api/messages", `{"inbox":"site-key-1","token":"x","body":"hi"}`, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.serve(http.MethodPost, tc.path, "203.0.113.1:1", strings.NewReader(tc.body), nil)
			if rec.Code != tc.want {
				t.Fatalf("status = %d, want %d", rec.Code, tc.want)
			}
			body := rec.Body.String()
			for _, leak := range []string{"webchat", "sqlite", "inbox:", "json:", "unexpected"} {
				if strings.Contains(body, leak) {
					t.Errorf("body %s shows %q", body, leak)
				}
			}
		})
	}
}

func TestUIStringsSameKeys(t *testing.T) {
	en, nl := uiStrings("en"), uiStrings("nl")
	for k := range en {
		if nl[k] == "" {
			t.Errorf("nl lacks %q", k)
		}
	}
	for k := range nl {
		if en[k] == "" {
			t.Errorf("en lacks %q", k)
		}
	}
	en["title"] = "changed"
	if uiStrings("en")["title"] == "changed" {
		t.Errorf("uiStrings shares its map between callers")
	}
}

// size is the number of buckets held.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
