package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/kb"
)

// fakeAI is an OpenAI-compatible chat-completions server: drafts cite
// source 1, summaries are three lines. status, when set, is answered
// instead, with a body that must never reach a page.
type fakeAI struct {
	mu     sync.Mutex
	status int
	auth   []string // the Authorization headers received
	srv    *httptest.Server
}

// fakeDraft and fakeSummary are what the fake answers.
const (
	fakeDraft   = "Je meldt de retour aan via Mijn account [1]."
	fakeSummary = "Wil: bestelling terugsturen.\nGeprobeerd: niets.\nOpen: retourlabel."
	// providerSecret is in the fake's error bodies: pages must not show it.
	providerSecret = "provider-internal-detail"
)

func newFakeAI(t *testing.T) *fakeAI {
	t.Helper()
	f := &fakeAI{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Role, Content string } `json:"messages"`
		}
		if r.URL.Path != "/v1/chat/completions" || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		status := f.status
		f.mu.Unlock()
		if status != 0 {
			http.Error(w, `{"error": {"message": "`+providerSecret+`"}}`, status)
			return
		}
		answer := fakeDraft
		for _, m := range req.Messages {
			if strings.Contains(m.Content, "<transcript>") {
				answer = fakeSummary
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{
			"message": map[string]any{"role": "assistant", "content": answer}, "finish_reason": "stop"}}})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAI) fail(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = status
}

func (f *fakeAI) lastAuth() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.auth) == 0 {
		return ""
	}
	return f.auth[len(f.auth)-1]
}

// withAI configures the fake as the provider and adds the article the
// draft for the return conversation cites.
func (f *frontFixture) withAI(t *testing.T) (*fakeAI, *desk.Article) {
	t.Helper()
	ctx := context.Background()
	ai := newFakeAI(t)
	if err := f.front.SetAISettings(ctx, front.AISettings{Enabled: true, BaseURL: ai.srv.URL + "/v1", Model: "test",
		APIKey: "sk-test", AllowLocal: true}); err != nil {
		t.Fatal(err)
	}
	a, err := f.kb.CreateArticle(ctx, f.bram, kb.ArticleInput{Locale: "nl", Title: "Retour aanmelden",
		Questions: []string{"bestelling terugsturen"}, Status: desk.ArticlePublished,
		Body: "Wil je een bestelling terugsturen? Meld de retour aan via Mijn account en print het label."})
	if err != nil {
		t.Fatal(err)
	}
	return ai, a
}

// draftStats adds up the "draft" suggestion events.
func draftStats(t *testing.T, f *frontFixture) desk.SuggestionStat {
	t.Helper()
	stats, err := f.st.SuggestionStats(context.Background(), now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got desk.SuggestionStat
	for _, s := range stats {
		if s.Kind == "draft" {
			got.Picked += s.Picked
			got.Edited += s.Edited
		}
	}
	return got
}

// TestAIOff: without a provider the conversation page has no AI buttons,
// and a post anyway says AI is not configured.
func TestAIOff(t *testing.T) {
	f := newFrontFixture(t)
	conv := "/app/conversations/" + itoa(f.retour.ID)
	page := f.get(t, f.anna, conv)
	if strings.Contains(page, `data-testid="ai-draft"`) || strings.Contains(page, `data-testid="ai-summarise"`) {
		t.Errorf("AI buttons on the page without a provider")
	}
	if w := f.do(request(http.MethodPost, conv+"/draft", f.anna, url.Values{})); w.Code != http.StatusForbidden {
		t.Errorf("draft without a CSRF token: status %d, want 403", w.Code)
	}
	for _, tc := range []struct{ path, want string }{
		{"/draft", "error|flash.ai_draft|flash.ai_why_off"},
		{"/summary", "error|flash.ai_summary|flash.ai_why_off"},
	} {
		w := f.post(f.anna, conv+tc.path, nil)
		if w.Code != http.StatusSeeOther || flashOf(w) != tc.want {
			t.Errorf("POST %s: status %d, flash %q; want 303 with %q", tc.path, w.Code, flashOf(w), tc.want)
		}
	}
}

var (
	draftBox     = regexp.MustCompile(`(?s)<textarea id="reply-body"[^>]*>([^<]*)</textarea>`)
	draftOrigRe  = regexp.MustCompile(`name="draft_original" value="([^"]*)"`)
	citationLink = regexp.MustCompile(`<li data-testid="ai-citation">\[1\] <a href="([^"]+)"[^>]*>Retour aanmelden</a></li>`)
)

// TestAIDraft: "Draft with AI" without the script answers with the page,
// the draft in the reply box and its source under it; sending the draft
// as it is records a pick, sending it changed an edit.
func TestAIDraft(t *testing.T) {
	f := newFrontFixture(t)
	f.withAI(t)
	conv := "/app/conversations/" + itoa(f.retour.ID)
	if page := f.get(t, f.anna, conv); !strings.Contains(page, `data-testid="ai-draft"`) {
		t.Fatalf("no Draft with AI button with a provider")
	}

	w := f.post(f.anna, conv+"/draft", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("draft: status %d, want 200\n%.500s", w.Code, w.Body)
	}
	page := w.Body.String()
	golden(t, "conversation_ai_draft_nl.html", []byte(page))
	m := draftBox.FindStringSubmatch(page)
	if m == nil || html.UnescapeString(m[1]) != fakeDraft {
		t.Errorf("reply box = %q, want the draft %q", m, fakeDraft)
	}
	if o := draftOrigRe.FindStringSubmatch(page); o == nil || html.UnescapeString(o[1]) != fakeDraft {
		t.Errorf("draft_original = %q, want the draft", o)
	}
	if c := citationLink.FindStringSubmatch(page); c == nil || !strings.HasPrefix(c[1], "https://shop.example/help/nl/a/") {
		t.Errorf("citation = %q, want [1] linking to the article on the help centre", c)
	}

	send := func(body string) {
		t.Helper()
		// Browsers send a textarea's line breaks as CRLF.
		w := f.post(f.anna, conv+"/messages", url.Values{"body": {body}, "suggestion_kind": {"draft"},
			"suggestion_ref": {""}, "draft_original": {fakeDraft}})
		if w.Code != http.StatusSeeOther || flashOf(w) != "ok|flash.sent|" {
			t.Fatalf("send: status %d, flash %q", w.Code, flashOf(w))
		}
	}
	send(fakeDraft + "\r\n")
	if got := draftStats(t, f); got.Picked != 1 || got.Edited != 0 {
		t.Errorf("after sending the draft as it is: %+v, want 1 picked, 0 edited", got)
	}
	send("Hoi Jan,\r\n" + fakeDraft)
	if got := draftStats(t, f); got.Picked != 1 || got.Edited != 1 {
		t.Errorf("after sending the draft changed: %+v, want 1 picked, 1 edited", got)
	}
}

// TestAIDraftJSON: the script gets the draft and its sources as JSON.
func TestAIDraftJSON(t *testing.T) {
	f := newFrontFixture(t)
	_, art := f.withAI(t)
	r := request(http.MethodPost, "/app/conversations/"+itoa(f.retour.ID)+"/draft", f.anna,
		url.Values{"csrf_token": {"csrf-" + f.anna.Email}})
	r.Header.Set("Accept", "application/json")
	w := f.do(r)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, type %q; want 200 JSON\n%s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var got aiDraftJSON
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := aiCitedJSON{N: 1, Title: art.Title, URL: "https://shop.example/help/nl/a/" + art.Slug}
	if got.Text != fakeDraft || len(got.Citations) != 1 || got.Citations[0] != want {
		t.Errorf("draft = %+v, want %q citing %+v", got, fakeDraft, want)
	}
}

// TestAISummary: Summarise shows the summary on the page, or as JSON.
func TestAISummary(t *testing.T) {
	f := newFrontFixture(t)
	f.withAI(t)
	target := "/app/conversations/" + itoa(f.retour.ID) + "/summary"
	w := f.post(f.anna, target, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("summary: status %d\n%.500s", w.Code, w.Body)
	}
	re := regexp.MustCompile(`(?s)<p class="ai-summary__text" data-ai-summary-text>([^<]*)</p>`)
	if m := re.FindStringSubmatch(w.Body.String()); m == nil || html.UnescapeString(m[1]) != fakeSummary {
		t.Errorf("summary panel = %q, want %q", m, fakeSummary)
	}
	r := request(http.MethodPost, target, f.anna, url.Values{"csrf_token": {"csrf-" + f.anna.Email}})
	r.Header.Set("Accept", "application/json")
	w = f.do(r)
	var got struct{ Summary string }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Summary != fakeSummary {
		t.Errorf("JSON summary = %q (%v), want %q", got.Summary, err, fakeSummary)
	}
}

// TestAIProviderErrors: a provider that fails gives a short reason in the
// agent's language, never the provider's own text.
func TestAIProviderErrors(t *testing.T) {
	f := newFrontFixture(t)
	ai, _ := f.withAI(t)
	target := "/app/conversations/" + itoa(f.retour.ID) + "/draft"
	tests := []struct {
		name   string
		status int
		why    string
		text   string // the English reason
	}{
		{"key refused", http.StatusUnauthorized, "flash.ai_why_auth", "the provider refused the API key."},
		{"unknown model", http.StatusNotFound, "flash.ai_why_model", "the provider does not know the model or the URL."},
		{"overloaded", http.StatusServiceUnavailable, "flash.ai_why_temporary", "the provider did not answer in time. Try again."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ai.fail(tc.status)
			w := f.post(f.anna, target, nil)
			if want := "error|flash.ai_draft|" + tc.why; w.Code != http.StatusSeeOther || flashOf(w) != want {
				t.Errorf("page: status %d, flash %q; want 303 with %q", w.Code, flashOf(w), want)
			}
			// Bram reads English.
			r := request(http.MethodPost, target, f.bram, url.Values{"csrf_token": {"csrf-" + f.bram.Email}})
			r.Header.Set("Accept", "application/json")
			w = f.do(r)
			var got struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, w.Body)
			}
			if want := "Could not draft an answer: " + tc.text; w.Code != http.StatusBadGateway || got.Error != want {
				t.Errorf("JSON: status %d, error %q; want 502, %q", w.Code, got.Error, want)
			}
			if strings.Contains(w.Body.String(), providerSecret) {
				t.Errorf("the provider's text reached the agent: %s", w.Body)
			}
		})
	}
}

// TestReasonFlash: a flash with a reason reads as one sentence.
func TestReasonFlash(t *testing.T) {
	h := newFixture(t).h
	tests := []struct {
		name, cookie, locale, want string
	}{
		{"draft, English", "error|flash.ai_draft|flash.ai_why_auth", "en", "Could not draft an answer: the provider refused the API key."},
		{"summary, Dutch", "error|flash.ai_summary|flash.ai_why_off", "nl", "Kon het gesprek niet samenvatten: generatieve AI is niet ingesteld."},
		{"unknown reason", "error|flash.ai_draft|nonsense", "en", "Could not draft an answer: %s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/app", nil)
			r.AddCookie(&http.Cookie{Name: flashCookie, Value: tc.cookie})
			got := takeFlash(httptest.NewRecorder(), r, h.cats[tc.locale], false)
			if got == nil || got.Text != tc.want {
				t.Errorf("flash = %+v, want text %q", got, tc.want)
			}
		})
	}
}

// TestAISettings: an admin sets the provider; the key is kept when the
// field is left empty and is never put in the page; a refused save shows
// why with what was typed; agents and supervisors may not change it.
func TestAISettings(t *testing.T) {
	f := newFrontFixture(t)
	ctx := context.Background()
	ai := newFakeAI(t)
	const key = "sk-very-secret-key-123"
	form := func(key string) url.Values {
		return url.Values{"enabled": {"1"}, "base_url": {" " + ai.srv.URL + "/v1 "}, "model": {"llama3"},
			"api_key": {key}, "allow_local": {"1"}}
	}

	for _, who := range []*desk.Agent{f.anna, f.bram} {
		if w := f.post(who, "/admin/front/ai", form(key)); w.Code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", who.Role, w.Code)
		}
	}
	if _, hasKey, _ := f.front.AISettings(ctx); hasKey {
		t.Fatalf("a refused post stored a key")
	}

	w := f.post(f.carla, "/admin/front/ai", form(key))
	if w.Code != http.StatusSeeOther || flashOf(w) != "ok|flash.saved|" {
		t.Fatalf("save: status %d, flash %q\n%.500s", w.Code, flashOf(w), w.Body)
	}
	got, hasKey, err := f.front.AISettings(ctx)
	want := front.AISettings{Enabled: true, BaseURL: ai.srv.URL + "/v1", Model: "llama3", AllowLocal: true}
	if err != nil || !hasKey || got != want {
		t.Errorf("stored = %+v, key %v, %v; want %+v with a key", got, hasKey, err, want)
	}
	page := f.get(t, f.carla, "/admin/front")
	if strings.Contains(page, key) {
		t.Fatalf("the admin page shows the API key")
	}
	for _, s := range []string{`name="enabled" value="1" checked`, `name="allow_local" value="1" checked`,
		`value="llama3"`, "A key is set."} {
		if !strings.Contains(page, s) {
			t.Errorf("the admin page lacks %q", s)
		}
	}

	// Saved again without a key: the stored one stays, and is the one sent.
	if w := f.post(f.carla, "/admin/front/ai", form("")); w.Code != http.StatusSeeOther {
		t.Fatalf("save without key: status %d", w.Code)
	}
	if _, err := f.front.Summarise(ctx, f.retour.ID, "en"); err != nil {
		t.Fatal(err)
	}
	if got := ai.lastAuth(); got != "Bearer "+key {
		t.Errorf("Authorization = %q, want the stored key", got)
	}

	// Refused: the page again with the reason and what was typed, not the
	// key.
	bad := form("sk-another-secret")
	bad.Set("base_url", "ftp://llm.example")
	bad.Set("model", "mistral")
	w = f.post(f.carla, "/admin/front/ai", bad)
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="ai-error"`) ||
		!strings.Contains(body, "base URL") || !strings.Contains(body, `value="mistral"`) || !strings.Contains(body, "A key is set.") {
		t.Errorf("refused save: status %d; want 422 with the reason, the typed model and the stored key's hint\n%.3000s", w.Code, body)
	}
	if strings.Contains(body, "sk-another-secret") || strings.Contains(body, key) {
		t.Errorf("the refused page shows a key")
	}
	if got, _, _ := f.front.AISettings(ctx); got.Model != "llama3" {
		t.Errorf("a refused save changed the settings: %+v", got)
	}

	// Off: the buttons go.
	if w := f.post(f.carla, "/admin/front/ai", url.Values{"base_url": {ai.srv.URL + "/v1"}, "model": {"llama3"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("turn off: status %d", w.Code)
	}
	if page := f.get(t, f.anna, "/app/conversations/"+itoa(f.retour.ID)); strings.Contains(page, `data-testid="ai-draft"`) {
		t.Errorf("AI buttons after the admin turned AI off")
	}
}

// TestDeflectionTable: the knowledge base's analytics count the contact
// page's visits of the period per topic, with the category's name and a
// total.
func TestDeflectionTable(t *testing.T) {
	f := newFrontFixture(t)
	ctx := context.Background()
	visits := []struct {
		topic               string
		answered, contacted bool
		ago                 time.Duration
	}{
		{"returns", true, false, time.Hour},
		{"returns", true, false, 2 * time.Hour},
		{"returns", true, true, 3 * time.Hour},
		{"returns", false, true, 4 * time.Hour},
		{"", true, false, 5 * time.Hour},
		{"", false, false, 6 * time.Hour},
		{"returns", true, false, 10 * 24 * time.Hour}, // before the period
	}
	for _, v := range visits {
		at := now.Add(-v.ago)
		if err := f.st.CreateContactVisit(ctx, &desk.ContactVisit{Locale: "nl", Topic: v.topic, Answered: v.answered,
			Contacted: v.contacted, CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	page := f.get(t, f.bram, "/app/kb/analytics?days=7")
	table := regexp.MustCompile(`(?s)<table class="table" data-testid="kb-deflection">.*?</table>`).FindString(page)
	if table == "" {
		t.Fatalf("no contact-page table")
	}
	cells := regexp.MustCompile(`<(?:td|th scope="row")>([^<]*)</(?:td|th)>`)
	var rows [][]string
	for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(table, -1) {
		var row []string
		for _, c := range cells.FindAllStringSubmatch(tr[1], -1) {
			row = append(row, c[1])
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	want := [][]string{
		{"Returns and refunds", "4", "3", "2", "2", "50%"},
		{"Unknown", "2", "1", "0", "1", "50%"},
		{"Total", "6", "4", "2", "3", "50%"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %q, want %q", rows, want)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
}
