package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/balie-dev/balie/internal/assist/llm"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/front"
)

// Generative AI in the workspace, when an admin configured a provider:
// "Draft with AI" fills the reply box with an answer drafted from the
// knowledge base, its sources listed under it, and "Summarise" shows a few
// lines on the conversation. Without the script both buttons post and the
// server answers with the conversation page; the script asks for JSON
// (Accept: application/json) and fills the page in place. Admins set the
// provider under /admin/front.

// aiRoutes registers the generative-AI routes.
func (h *Handler) aiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /app/conversations/{id}/draft", h.frontGuard(desk.RoleAgent, h.postDraft))
	mux.HandleFunc("POST /app/conversations/{id}/summary", h.frontGuard(desk.RoleAgent, h.postSummary))
	mux.HandleFunc("POST /admin/front/ai", h.frontGuard(desk.RoleAdmin, h.frontSetAI))
}

// aiDraftJSON is the draft as the script reads it.
type aiDraftJSON struct {
	Text      string        `json:"text"`
	Citations []aiCitedJSON `json:"citations"`
}

type aiCitedJSON struct {
	N     int    `json:"n"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

func (h *Handler) postDraft(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	d, err := h.d.Front.DraftReply(q.r.Context(), id)
	if err != nil {
		h.aiFailed(q, id, "flash.ai_draft", err)
		return
	}
	if wantsJSON(q.r) {
		out := aiDraftJSON{Text: d.Text, Citations: []aiCitedJSON{}}
		for _, c := range d.Citations {
			out.Citations = append(out.Citations, aiCitedJSON{N: c.N, Title: c.Title, URL: c.URL})
		}
		writeJSON(q.w, http.StatusOK, out)
		return
	}
	h.showConversation(q, id, func(cd *conversationData) {
		cd.F.Draft, cd.F.DraftKind, cd.F.DraftRef = d.Text, "draft", ""
		cd.F.DraftOriginal, cd.F.Citations = d.Text, d.Citations
	})
}

func (h *Handler) postSummary(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	sum, err := h.d.Front.Summarise(q.r.Context(), id, q.locale)
	if err != nil {
		h.aiFailed(q, id, "flash.ai_summary", err)
		return
	}
	if wantsJSON(q.r) {
		writeJSON(q.w, http.StatusOK, map[string]string{"summary": sum})
		return
	}
	h.showConversation(q, id, func(cd *conversationData) { cd.F.Summary = sum })
}

// aiFailed says why there is no draft or summary: a flash on the
// conversation page, or JSON for the script. key is the message with a %s
// for the reason. The provider's own text is never shown: it is long and
// may echo what was sent.
func (h *Handler) aiFailed(q *req, convID int64, key string, err error) {
	reason, status := aiReason(err)
	if reason == "flash.ai_why_other" || status == http.StatusBadGateway {
		h.log.Warn("web: generative AI", "conversation", convID, "err", err)
	}
	if wantsJSON(q.r) {
		c := h.cats[q.locale]
		writeJSON(q.w, status, map[string]string{"error": c.T(key, c.T(reason))})
		return
	}
	h.back(q, convURL(convID)+"#reply", flash{Kind: "error", Key: key, Field: reason})
}

// aiReason maps a drafting or summarising error to the message that says
// why, and the status the script gets.
func aiReason(err error) (string, int) {
	switch {
	case errors.Is(err, front.ErrAIOff):
		return "flash.ai_why_off", http.StatusNotFound
	case errors.Is(err, llm.ErrNoAnswer):
		return "flash.ai_why_no_answer", http.StatusUnprocessableEntity
	case errors.Is(err, llm.ErrUngrounded):
		return "flash.ai_why_ungrounded", http.StatusUnprocessableEntity
	case errors.Is(err, desk.ErrNotFound):
		return "flash.ai_why_not_found", http.StatusNotFound
	case errors.Is(err, desk.ErrInvalid):
		// The customer has not written anything yet.
		return "flash.ai_why_nothing", http.StatusUnprocessableEntity
	case errors.Is(err, llm.ErrAuth):
		return "flash.ai_why_auth", http.StatusBadGateway
	case errors.Is(err, llm.ErrModelNotFound):
		return "flash.ai_why_model", http.StatusBadGateway
	case errors.Is(err, desk.ErrTemporary):
		return "flash.ai_why_temporary", http.StatusBadGateway
	case errors.Is(err, llm.ErrBadResponse):
		return "flash.ai_why_bad_response", http.StatusBadGateway
	}
	return "flash.ai_why_other", http.StatusBadGateway
}

// wantsJSON reports whether the script asked for JSON rather than a page.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// draftEdited reports whether the agent changed a drafted reply before
// sending it. Browsers send a textarea's line breaks as CRLF, and the
// surrounding blank space is not an edit.
func draftEdited(sent, original string) bool {
	norm := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
	return norm(sent) != norm(original)
}

// --- admin: the provider

// aiForm is the provider section of /admin/front. The API key is never
// put in the page: HasKey says whether one is stored.
type aiForm struct {
	S      front.AISettings
	HasKey bool
	// Error says why a save was refused; S is then what was typed.
	Error string
}

// readAI reads the provider form; an empty key keeps the stored one.
func readAI(r *http.Request) front.AISettings {
	f := r.PostForm
	return front.AISettings{Enabled: f.Get("enabled") == "1", BaseURL: strings.TrimSpace(f.Get("base_url")),
		Model: strings.TrimSpace(f.Get("model")), APIKey: strings.TrimSpace(f.Get("api_key")),
		AllowLocal: f.Get("allow_local") == "1"}
}

func (h *Handler) frontSetAI(q *req) {
	a := readAI(q.r)
	if err := h.d.Front.SetAISettings(q.r.Context(), a); err != nil {
		if !errors.Is(err, desk.ErrInvalid) {
			h.failed(q, frontPath+"#f-ai", err)
			return
		}
		// Shown again with what was typed, but never the key.
		a.APIKey = ""
		h.frontAdminPage(q, http.StatusUnprocessableEntity, &aiForm{S: a, Error: h.errorText(q.locale, err)})
		return
	}
	h.back(q, frontPath+"#f-ai", flash{Kind: "ok", Key: "flash.saved"})
}
