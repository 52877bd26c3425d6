package metagraph

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// sign is what Meta puts in X-Hub-Signature-256, computed here apart from
// the code under test.
func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestValidSignature(t *testing.T) {
	const secret, body = "s3cret", `{"object":"page"}`
	good := sign(secret, body)
	tests := []struct {
		name   string
		secret string
		body   string
		header string
		want   bool
	}{
		{"valid", secret, body, good, true},
		{"surrounding spaces", secret, body, "  " + good + " ", true},
		{"upper-case hex", secret, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), true},
		{"other body", secret, body + " ", good, false},
		{"other secret", secret + "x", body, good, false},
		{"empty secret", "", body, sign("", body), false},
		{"sha1 prefix", secret, body, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"no prefix", secret, body, strings.TrimPrefix(good, "sha256="), false},
		{"not hex", secret, body, "sha256=zz", false},
		{"truncated", secret, body, good[:len(good)-2], false},
		{"missing", secret, body, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidSignature(tc.secret, []byte(tc.body), tc.header); got != tc.want {
				t.Errorf("ValidSignature = %v, want %v", got, tc.want)
			}
		})
	}
}

type testPayload struct {
	Object string `json:"object"`
}

func TestWebhookHandshake(t *testing.T) {
	in := desk.Inbox{ID: 7, Settings: map[string]string{SettingVerifyToken: "tok"}}
	noToken := desk.Inbox{ID: 8, Settings: map[string]string{}}
	tests := []struct {
		name     string
		in       desk.Inbox
		query    string
		wantCode int
		wantBody string
	}{
		{"challenge echoed", in, "hub.mode=subscribe&hub.verify_token=tok&hub.challenge=1158201444", 200, "1158201444"},
		{"wrong token", in, "hub.mode=subscribe&hub.verify_token=tik&hub.challenge=1", 403, ""},
		{"wrong mode", in, "hub.mode=unsubscribe&hub.verify_token=tok&hub.challenge=1", 403, ""},
		{"no mode", in, "hub.verify_token=tok&hub.challenge=1", 403, ""},
		{"inbox without token", noToken, "hub.mode=subscribe&hub.verify_token=&hub.challenge=1", 403, ""},
		{"challenge too long", in, "hub.mode=subscribe&hub.verify_token=tok&hub.challenge=" + strings.Repeat("9", 257), 403, ""},
		{"longest challenge", in, "hub.mode=subscribe&hub.verify_token=tok&hub.challenge=" + strings.Repeat("9", 256), 200, strings.Repeat("9", 256)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			h := Webhook(tc.in, slog.New(slog.DiscardHandler), "test", func(context.Context, testPayload) error {
				called = true
				return nil
			})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/hook?"+tc.query, nil))
			if w.Code != tc.wantCode {
				t.Fatalf("status = %d, want %d", w.Code, tc.wantCode)
			}
			if tc.wantCode == 200 {
				if got := w.Body.String(); got != tc.wantBody {
					t.Errorf("body = %q, want %q", got, tc.wantBody)
				}
				if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
				}
			}
			if called {
				t.Error("a GET reached process")
			}
		})
	}
}

func TestWebhookPost(t *testing.T) {
	const secret = "app-secret"
	in := desk.Inbox{ID: 7, Settings: map[string]string{SettingAppSecret: secret}}
	body := `{"object":"page"}`
	tests := []struct {
		name       string
		in         desk.Inbox
		method     string
		body       string
		header     string
		processErr error
		wantCode   int
		wantObject string // what process saw; "" when it must not run
	}{
		{"signed", in, http.MethodPost, body, sign(secret, body), nil, 200, "page"},
		{"process fails: Meta retries", in, http.MethodPost, body, sign(secret, body), errors.New("store down"), 500, "page"},
		{"bad signature", in, http.MethodPost, body, sign("other", body), nil, 401, ""},
		{"no signature", in, http.MethodPost, body, "", nil, 401, ""},
		{"inbox without secret", desk.Inbox{ID: 8}, http.MethodPost, body, sign("", body), nil, 401, ""},
		{"signed but not JSON", in, http.MethodPost, "{", sign(secret, "{"), nil, 400, ""},
		{"too large", in, http.MethodPost, strings.Repeat(" ", MaxWebhookBody+1), "", nil, 413, ""},
		{"other method", in, http.MethodPut, body, sign(secret, body), nil, 405, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var saw string
			ran := false
			h := Webhook(tc.in, slog.New(slog.DiscardHandler), "test", func(ctx context.Context, p testPayload) error {
				ran, saw = true, p.Object
				if _, ok := ctx.Deadline(); !ok {
					t.Error("process runs without a deadline")
				}
				return tc.processErr
			})
			r := httptest.NewRequest(tc.method, "/hook", strings.NewReader(tc.body))
			if tc.header != "" {
				r.Header.Set(SignatureHeader, tc.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.wantCode {
				t.Errorf("status = %d, want %d", w.Code, tc.wantCode)
			}
			if ran != (tc.wantObject != "") || saw != tc.wantObject {
				t.Errorf("process ran = %v with object %q, want object %q", ran, saw, tc.wantObject)
			}
		})
	}
}

// TestWebhookOutlivesHangUp checks that the work goes on when Meta hangs
// up: what was accepted is finished.
func TestWebhookOutlivesHangUp(t *testing.T) {
	const secret, body = "s", `{"object":"instagram"}`
	in := desk.Inbox{ID: 1, Settings: map[string]string{SettingAppSecret: secret}}
	var processErr error
	h := Webhook(in, slog.New(slog.DiscardHandler), "test", func(ctx context.Context, _ testPayload) error {
		processErr = ctx.Err()
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/hook", strings.NewReader(body))
	r.Header.Set(SignatureHeader, sign(secret, body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if processErr != nil {
		t.Errorf("process context: %v, want alive after the request's end", processErr)
	}
	if w.Code != 200 {
		t.Errorf("status = %d, want 200", w.Code)
	}
}
