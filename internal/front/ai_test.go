package front_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/balie-dev/balie/internal/front"
)

// fakeAI is an OpenAI-compatible server: drafts cite source 1, summaries
// are three lines.
type fakeAI struct {
	mu       sync.Mutex
	requests []string
	srv      *httptest.Server
}

func newFakeAI(t *testing.T) *fakeAI {
	f := &fakeAI{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Role, Content string } `json:"messages"`
		}
		if r.URL.Path != "/v1/chat/completions" || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Messages) == 0 {
			http.Error(w, "bad request", 400)
			return
		}
		all := ""
		for _, m := range req.Messages {
			all += m.Content + "\n"
		}
		f.mu.Lock()
		f.requests = append(f.requests, all)
		f.mu.Unlock()
		answer := "Je wijzigt het adres in Mijn account [1]."
		if strings.Contains(all, "hand-over") {
			answer = "Wants: a person.\nTried: nothing.\nOpen: everything."
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{
			"message": map[string]any{"role": "assistant", "content": answer}, "finish_reason": "stop"}}})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func TestAIDraftsAndSummaries(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		c := f.say(t, 0, "Hoe kan ik mijn bezorgadres wijzigen?")
		if _, err := f.front.DraftReply(ctx, c.ID); !errors.Is(err, front.ErrAIOff) {
			t.Fatalf("draft without a provider: err = %v, want ErrAIOff", err)
		}
		ai := newFakeAI(t)
		if err := f.front.SetAISettings(ctx, front.AISettings{Enabled: true, BaseURL: ai.srv.URL + "/v1", Model: "test",
			APIKey: "sk-secret", AllowLocal: true}); err != nil {
			t.Fatal(err)
		}
		got, hasKey, err := f.front.AISettings(ctx)
		if err != nil || !hasKey || got.APIKey != "" || got.Model != "test" {
			t.Errorf("AISettings = %+v, key %v, %v; want the key kept but not returned", got, hasKey, err)
		}
		d, err := f.front.DraftReply(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(d.Text, "[1]") || len(d.Citations) != 1 || d.Citations[0].Title != "Bezorgadres wijzigen" {
			t.Errorf("draft = %+v", d)
		}
		if !strings.Contains(ai.requests[0], "Wijzig je adres via Mijn account") {
			t.Errorf("the article's text was not among the sources: %q", ai.requests[0])
		}
		// A hand-over note gets the summary.
		c = f.say(t, 0, "Ik wil een medewerker spreken")
		notes := f.notes(t, c.ID)
		if len(notes) != 1 || !strings.Contains(notes[0], "Summary (AI):") || !strings.Contains(notes[0], "Wants: a person.") {
			t.Errorf("hand-over note = %q, want the AI summary", notes)
		}
		if err := f.front.SetAISettings(ctx, front.AISettings{Enabled: true, BaseURL: "ftp://x", Model: "m"}); err == nil {
			t.Error("an ftp base URL was accepted")
		}
	})
}
