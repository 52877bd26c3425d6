package llm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestCompleteRequest(t *testing.T) {
	f := newFake(t, answer("Hello!"))
	c := newClient(t, f)
	msgs := []Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}}
	got, err := c.Complete(context.Background(), msgs)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if got.Text != "Hello!" || got.FinishReason != "stop" {
		t.Errorf("Complete = %+v, want Hello! / stop", got)
	}
	req := f.only(t)
	checks := []struct{ what, got, want string }{
		{"method", req.Method, http.MethodPost},
		{"path", req.Path, "/v1/chat/completions"},
		{"Authorization", req.Header.Get("Authorization"), "Bearer " + testKey},
		{"Content-Type", req.Header.Get("Content-Type"), "application/json"},
		{"model", req.Body.Model, "test-model"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.what, ch.got, ch.want)
		}
	}
	if req.Body.MaxTokens != 300 || req.Body.Temperature != 0.2 || req.Body.Stream {
		t.Errorf("max_tokens, temperature, stream = %d, %g, %v; want 300, 0.2, false", req.Body.MaxTokens, req.Body.Temperature, req.Body.Stream)
	}
	if len(req.Body.Messages) != 2 || req.Body.Messages[0] != msgs[0] || req.Body.Messages[1] != msgs[1] {
		t.Errorf("messages = %+v, want %+v", req.Body.Messages, msgs)
	}
	if !strings.Contains(string(req.Raw), `"temperature":0.2`) || !strings.Contains(string(req.Raw), `"role":"system"`) {
		t.Errorf("wire JSON = %s, want OpenAI field names", req.Raw)
	}
}

func TestCompleteWithoutKey(t *testing.T) {
	f := newFake(t, answer("ok"))
	// A trailing slash on the base URL must not double the slash.
	c := newClient(t, f, func(c *Config) { c.APIKey = ""; c.BaseURL += "/" })
	if _, err := c.Complete(context.Background(), []Message{{Role: "user", Content: "x"}}); err != nil {
		t.Fatal(err)
	}
	req := f.only(t)
	if h := req.Header.Get("Authorization"); h != "" {
		t.Errorf("Authorization = %q, want none without a key", h)
	}
	if req.Path != "/v1/chat/completions" {
		t.Errorf("path = %q, want /v1/chat/completions", req.Path)
	}
}

func TestCompleteStripsThinking(t *testing.T) {
	f := newFake(t, answer("<think>\nThe user wants...\n</think>\n\nThe answer."))
	got, err := newClient(t, f).Complete(context.Background(), []Message{{Role: "user", Content: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "The answer." {
		t.Errorf("Text = %q, want %q", got.Text, "The answer.")
	}
}

func TestCompleteErrors(t *testing.T) {
	oversized := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"message":{"content":"`)
		io.WriteString(w, strings.Repeat("a", MaxResponseBytes))
		io.WriteString(w, `"}}]}`)
	}
	tests := []struct {
		name      string
		reply     func(http.ResponseWriter, *http.Request)
		want      error // errors.Is target
		temporary bool
		wantText  string // in the error message
	}{
		{"401 echoing the key", status(401, `{"error":{"message":"Incorrect API key provided: `+testKey+`","type":"invalid_request_error","code":"invalid_api_key"}}`), ErrAuth, false, "Incorrect API key"},
		{"403", status(403, `{"error":{"message":"model not allowed"}}`), ErrAuth, false, "not allowed"},
		{"404 model", status(404, `{"error":{"message":"model \"nope\" not found, try pulling it first","type":"api_error"}}`), ErrModelNotFound, false, "try pulling it"},
		{"404 plain text", status(404, "404 page not found"), ErrModelNotFound, false, "test-model"},
		{"429", status(429, `{"error":{"message":"Rate limit reached"}}`), desk.ErrTemporary, true, "rate limited"},
		{"500", status(500, `{"error":"llama runner process has terminated"}`), desk.ErrTemporary, true, "llama runner"},
		{"502 HTML", status(502, "<html>Bad Gateway</html>"), desk.ErrTemporary, true, "502"},
		{"400 context too long", status(400, `{"error":{"message":"maximum context length exceeded"}}`), nil, false, "maximum context length"},
		{"malformed JSON", status(200, `{"choices":[`), ErrBadResponse, false, "decode"},
		{"not JSON", status(200, `Hello, I am a web page`), ErrBadResponse, false, "decode"},
		{"no choices", status(200, `{"choices":[]}`), ErrBadResponse, false, "no choices"},
		{"error object with 200", status(200, `{"error":{"message":"overloaded"}}`), ErrBadResponse, false, "overloaded"},
		{"null content", status(200, `{"choices":[{"message":{"role":"assistant","content":null},"finish_reason":"content_filter"}]}`), ErrBadResponse, false, "content_filter"},
		{"oversized body", oversized, ErrBadResponse, false, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.reply)
			_, err := newClient(t, f).Complete(context.Background(), []Message{{Role: "user", Content: "x"}})
			if err == nil {
				t.Fatal("Complete succeeded, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want it to match %v", err, tt.want)
			}
			if got := errors.Is(err, desk.ErrTemporary); got != tt.temporary {
				t.Errorf("temporary = %v, want %v (%v)", got, tt.temporary, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to mention %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the API key: %v", err)
			}
		})
	}
}

func TestCompleteTimeout(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	c := newClient(t, f, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	_, err := c.Complete(context.Background(), []Message{{Role: "user", Content: "x"}})
	if !errors.Is(err, desk.ErrTemporary) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want a temporary deadline error", err)
	}
}

func TestCompleteCallerCancels(t *testing.T) {
	started := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := newClient(t, f).Complete(ctx, []Message{{Role: "user", Content: "x"}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if errors.Is(err, desk.ErrTemporary) {
		t.Errorf("error = %v: a caller's cancellation is not worth a retry", err)
	}
}

func TestCompleteServerDown(t *testing.T) {
	f := newFake(t, answer("x"))
	c := newClient(t, f)
	f.Close()
	_, err := c.Complete(context.Background(), []Message{{Role: "user", Content: "x"}})
	if !errors.Is(err, desk.ErrTemporary) {
		t.Errorf("error = %v, want temporary", err)
	}
}
