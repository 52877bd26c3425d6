package webchat

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log destination the handler may write from its goroutines.
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

func (e *env) setInbox(settings map[string]string) {
	e.t.Helper()
	ctx := context.Background()
	in, err := e.st.InboxByKey(ctx, inboxKey)
	if err != nil {
		e.t.Fatal(err)
	}
	in.Settings = settings
	if err := e.st.UpdateInbox(ctx, in); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) config(locale string) (response, []Trigger) {
	e.t.Helper()
	r := e.get("/widget/api/config" + query("inbox", inboxKey, "locale", locale))
	var body struct {
		Proactive []Trigger `json:"proactive"`
	}
	if r.status == http.StatusOK {
		if err := json.Unmarshal([]byte(r.raw), &body); err != nil {
			e.t.Fatalf("config body %q: %v", r.raw, err)
		}
	}
	return r, body.Proactive
}

func TestConfigServesProactiveTriggers(t *testing.T) {
	checkout := `{"url":"/checkout*","after_seconds":30,"returning":false,"failed_search":false,"message_nl":"Hulp nodig bij het afrekenen?","message_en":"Need help checking out?"}`
	tests := []struct {
		name    string
		setting string
		locale  string
		want    []string // messages, in order
		warn    bool
	}{
		{"none", "", "nl", []string{}, false},
		{"dutch", "[" + checkout + "]", "nl", []string{"Hulp nodig bij het afrekenen?"}, false},
		{"english", "[" + checkout + "]", "en", []string{"Need help checking out?"}, false},
		{"english falls back to dutch", `[{"url":"/","message_nl":"Hallo"}]`, "en", []string{"Hallo"}, false},
		{"dutch falls back to english", `[{"url":"/","message_en":"Hello"}]`, "nl", []string{"Hello"}, false},
		{"malformed JSON", `[{"url":"/checkout*",`, "nl", []string{}, true},
		{"not an array", `{"url":"/"}`, "nl", []string{}, true},
		{"wrong type", `[{"url":"/","after_seconds":"soon","message_nl":"x"}]`, "nl", []string{}, true},
		{"bad triggers are left out, good ones kept", `[{"url":"https://evil.example/","message_nl":"a"},` +
			`{"url":"/","after_seconds":-1,"message_nl":"b"},{"url":"/","message_nl":""},` +
			`{"url":"/","message_nl":"` + strings.Repeat("x", 501) + `"},{"url":"*","message_nl":"goed"}]`,
			"nl", []string{"goed"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			e := newEnv(t, func(d *Deps) { d.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
			e.setInbox(map[string]string{"proactive": tt.setting, "color": "#0a7d3b"})
			r, got := e.config(tt.locale)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d %s, want 200", r.status, r.raw)
			}
			if r.json["color"] != "#0a7d3b" {
				t.Errorf("color = %v, want #0a7d3b", r.json["color"])
			}
			if !strings.Contains(r.raw, `"proactive":[`) {
				t.Errorf("body %s: want proactive as an array, never null", r.raw)
			}
			msgs := []string{}
			for _, tr := range got {
				msgs = append(msgs, tr.Message)
				if len(tr.ID) != 16 {
					t.Errorf("trigger id = %q, want 16 hex digits", tr.ID)
				}
			}
			if strings.Join(msgs, "|") != strings.Join(tt.want, "|") {
				t.Errorf("messages = %q, want %q", msgs, tt.want)
			}
			warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "proactive")
			if warned != tt.warn {
				t.Errorf("warning logged = %v, want %v; log: %s", warned, tt.warn, logs.String())
			}
			// A faulty setting is logged once, not on every page view.
			if tt.warn {
				e.config(tt.locale)
				if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
					t.Errorf("%d warnings after two page views, want 1", n)
				}
			}
		})
	}
}

func TestConfigTrigger(t *testing.T) {
	e := newEnv(t)
	e.setInbox(map[string]string{"proactive": `[{"url":"/checkout*","after_seconds":30,"returning":true,"failed_search":true,"message_nl":"Hulp nodig?","message_en":"Help?"}]`})
	r, got := e.config("nl")
	if len(got) != 1 {
		t.Fatalf("triggers = %+v, want one", got)
	}
	want := Trigger{ID: got[0].ID, URL: "/checkout*", AfterSeconds: 30, Returning: true, FailedSearch: true, Message: "Hulp nodig?"}
	if got[0] != want {
		t.Errorf("trigger = %+v, want %+v", got[0], want)
	}
	if _, en := e.config("en"); len(en) != 1 || en[0].ID != got[0].ID {
		t.Errorf("english trigger = %+v, want the same id %s", en, got[0].ID)
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "public") {
		t.Errorf("Cache-Control = %q, want a public, cacheable answer", cc)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("no CORS header: %v", r.header)
	}
	// An edited trigger is a new one, shown again today.
	e.setInbox(map[string]string{"proactive": `[{"url":"/checkout*","after_seconds":30,"returning":true,"failed_search":true,"message_nl":"Hulp nodig bij betalen?","message_en":"Help?"}]`})
	if _, edited := e.config("nl"); len(edited) != 1 || edited[0].ID == got[0].ID {
		t.Errorf("edited trigger = %+v, want a new id", edited)
	}
}

func TestConfigErrors(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Limits.ClientReads = Rate{Burst: 3, Window: 1 << 40} })
	tests := []struct {
		name, path string
		want       int
	}{
		{"no inbox", "/widget/api/config", http.StatusUnprocessableEntity},
		{"unknown inbox", "/widget/api/config?inbox=nope", http.StatusNotFound},
		{"email inbox", "/widget/api/config?inbox=mail-key", http.StatusNotFound},
		{"over the read limit", "/widget/api/config?inbox=" + inboxKey, http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := e.get(tt.path); r.status != tt.want {
				t.Errorf("GET %s = %d %s, want %d", tt.path, r.status, r.raw, tt.want)
			}
		})
	}
}
