package llm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fakeServer is an OpenAI-compatible server for tests: it records every
// request and answers with reply.
type fakeServer struct {
	*httptest.Server
	reply func(w http.ResponseWriter, r *http.Request)

	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Method, Path string
	Header       http.Header
	Body         chatRequest
	Raw          []byte
}

func newFake(t *testing.T, reply func(w http.ResponseWriter, r *http.Request)) *fakeServer {
	t.Helper()
	f := &fakeServer{reply: reply}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		rec := recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Raw: raw}
		if err := json.Unmarshal(raw, &rec.Body); err != nil {
			t.Errorf("request body is not JSON: %v", err)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, rec)
		f.mu.Unlock()
		f.reply(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// only returns the only request the server got, failing the test otherwise.
func (f *fakeServer) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// answer replies with a chat completion whose text is content.
func answer(content string) func(http.ResponseWriter, *http.Request) {
	return answerWith(content, "stop")
}

func answerWith(content, finish string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id":      "chatcmpl-1",
			"object":  "chat.completion",
			"created": 1700000000,
			"model":   "test-model",
			"choices": []map[string]any{{
				"index":         0,
				"message":       map[string]any{"role": "assistant", "content": content},
				"finish_reason": finish,
			}},
			"usage": map[string]int{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
		})
	}
}

// status replies with code and body.
func status(code int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

const testKey = "sk-test-0123456789abcdef"

// newClient returns a Client for f with a test key and model.
func newClient(t *testing.T, f *fakeServer, edit ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: f.URL + "/v1", Model: "test-model", APIKey: testKey, MaxTokens: 300, Temperature: 0.2}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := New(cfg, f.Client())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}
