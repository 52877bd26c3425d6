package webchat

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Proactive chat: an inbox's "proactive" setting is a JSON array of
// triggers that open a small teaser next to the widget's launcher. The
// widget evaluates them in the browser (page, time on page, returning
// visitor, a failed help search) and shows each at most once per visitor per
// day; the server only validates them and serves them with the widget's
// configuration.

// Bounds on what an admin's setting may make every page of a site load.
const (
	maxTriggers      = 20
	maxTriggerURL    = 300
	maxTriggerText   = 500
	maxTriggerSecond = 3600
)

// triggerSetting is one trigger as the admin UI stores it.
type triggerSetting struct {
	URL          string `json:"url"`
	AfterSeconds int    `json:"after_seconds"`
	Returning    bool   `json:"returning"`
	FailedSearch bool   `json:"failed_search"`
	MessageNL    string `json:"message_nl"`
	MessageEN    string `json:"message_en"`
}

// Trigger is a proactive trigger as the widget receives it: the message in
// the visitor's language, and an ID that stays the same while the trigger
// does, so that the widget can remember which ones it showed today.
type Trigger struct {
	ID string `json:"id"`
	// URL is a pattern for location.pathname; * matches anything, "" every
	// page.
	URL          string `json:"url"`
	AfterSeconds int    `json:"after_seconds"`
	Returning    bool   `json:"returning"`
	FailedSearch bool   `json:"failed_search"`
	Message      string `json:"message"`
}

// triggers parses an inbox's proactive setting for lang. A malformed
// setting yields no triggers and an error; a trigger that breaks a bound is
// left out, and reported in the error, without losing the others.
func triggers(raw, lang string) ([]Trigger, error) {
	if strings.TrimSpace(raw) == "" {
		return []Trigger{}, nil
	}
	var in []triggerSetting
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return []Trigger{}, fmt.Errorf("webchat: proactive setting: %w", err)
	}
	out := []Trigger{}
	var skipped []string
	for i, s := range in {
		msg := s.MessageEN
		if lang == "nl" && s.MessageNL != "" || msg == "" {
			msg = s.MessageNL
		}
		msg = strings.TrimSpace(msg)
		switch {
		case len(out) == maxTriggers:
			skipped = append(skipped, fmt.Sprintf("#%d: more than %d triggers", i, maxTriggers))
			continue
		case s.URL != "" && s.URL[0] != '/' && s.URL[0] != '*', len(s.URL) > maxTriggerURL:
			skipped = append(skipped, fmt.Sprintf("#%d: url must be a path (/...) of at most %d bytes", i, maxTriggerURL))
			continue
		case s.AfterSeconds < 0 || s.AfterSeconds > maxTriggerSecond:
			skipped = append(skipped, fmt.Sprintf("#%d: after_seconds must be 0 to %d", i, maxTriggerSecond))
			continue
		case msg == "" || utf8.RuneCountInString(msg) > maxTriggerText || !utf8.ValidString(msg):
			skipped = append(skipped, fmt.Sprintf("#%d: a message of 1 to %d characters is needed", i, maxTriggerText))
			continue
		}
		out = append(out, Trigger{ID: triggerID(s), URL: s.URL, AfterSeconds: s.AfterSeconds,
			Returning: s.Returning, FailedSearch: s.FailedSearch, Message: msg})
	}
	if skipped != nil {
		return out, fmt.Errorf("webchat: proactive setting: left out %s", strings.Join(skipped, "; "))
	}
	return out, nil
}

// triggerID changes when the trigger does: an edited message is a new
// trigger, shown again to visitors who saw the old one today.
func triggerID(s triggerSetting) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d\x00%t\x00%t\x00%s\x00%s", s.URL, s.AfterSeconds, s.Returning, s.FailedSearch, s.MessageNL, s.MessageEN)
	return fmt.Sprintf("%016x", h.Sum64())
}

type configResponse struct {
	Color     string    `json:"color,omitempty"`
	Proactive []Trigger `json:"proactive"`
}

// config is what the widget needs on every page, before any session: the
// inbox's colour and its proactive triggers. It takes no token, so that a
// page view stores nothing and browsers may cache the answer; it counts
// against the read limits, not against those for chatting.
func (h *Handler) config(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := h.check(h.clientReads, clientKey(r.RemoteAddr), "requests from this address"); err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.check(h.inboxHelp, q.Get("inbox"), "requests for this inbox"); err != nil {
		h.writeError(w, r, err)
		return
	}
	inbox, err := h.inbox(r.Context(), q.Get("inbox"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	resp := configResponse{}
	if c := inbox.Settings["color"]; validColor(c) {
		resp.Color = c
	}
	raw := inbox.Settings["proactive"]
	resp.Proactive, err = triggers(raw, locale(q.Get("locale")))
	if err != nil && h.warnOnce(inbox.ID, raw) {
		// The widget goes on without the faulty triggers; the admin learns
		// from the log, once per change rather than per page view.
		h.d.Log.Warn("webchat: proactive triggers", "inbox", inbox.ID, "err", err)
	}
	// The same for every visitor of the inbox: a browser keeps it for a
	// few minutes, so that browsing a site costs one request per visitor.
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	json.NewEncoder(w).Encode(resp)
}

// warnOnce reports whether a faulty setting of an inbox is new, so that it
// is logged once rather than on every page view.
func (h *Handler) warnOnce(inboxID int64, raw string) bool {
	h.warnMu.Lock()
	defer h.warnMu.Unlock()
	if h.warned[inboxID] == raw {
		return false
	}
	if len(h.warned) >= 10000 {
		clear(h.warned)
	}
	h.warned[inboxID] = raw
	return true
}
