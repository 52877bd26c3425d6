package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/balie-dev/balie/internal/casestatus"
	"github.com/balie-dev/balie/internal/desk"
)

// Case status links (the customer's page for one conversation, without
// logging in) and the company's choice of status notices.

func (h *Handler) statusRoutes(r func(method, path string, role desk.Role, summary string, fn func(http.ResponseWriter, *http.Request) error) Route) []Route {
	A, X := desk.RoleAgent, desk.RoleAdmin
	return []Route{
		r("GET", "/conversations/{id}/status-link", A, "The conversation's newest status link, without its address (404 when it has none)",
			h.getStatusLink).io(nil, statusLinkJSON{}),
		r("POST", "/conversations/{id}/status-link", A, "A new status link, with its address; the old ones stop working",
			h.newStatusLink).io(nil, statusLinkJSON{}),
		r("DELETE", "/conversations/{id}/status-link", A, "Revoke the conversation's status links", h.revokeStatusLink),
		r("GET", "/settings/status-notices", A, "Which status changes customers are told about on their channel",
			h.getNotices).io(nil, casestatus.NoticeSettings{}),
		r("PUT", "/settings/status-notices", X, "Choose which status changes customers are told about",
			h.putNotices).io(casestatus.NoticeSettings{}, casestatus.NoticeSettings{}),
	}
}

type statusLinkJSON struct {
	// URL is only in the answer that made the link: balie keeps a hash of
	// its token, not the token.
	URL       string     `json:"url,omitempty"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	Live      bool       `json:"live"`
}

func (h *Handler) caseStatus() (*casestatus.Service, error) {
	if h.CaseStatus == nil {
		return nil, fmt.Errorf("status links are not served here: %w", desk.ErrNotFound)
	}
	return h.CaseStatus, nil
}

// linkJSON describes l; token is the link's token when it was just made,
// "" otherwise.
func (h *Handler) linkJSON(r *http.Request, l *desk.StatusLink, token string) statusLinkJSON {
	out := statusLinkJSON{ExpiresAt: l.ExpiresAt, Live: l.Live(h.Clock.Now())}
	if token != "" {
		out.URL = h.CaseStatus.URL("nl", token)
		if c, err := h.Store.ConversationByID(r.Context(), l.ConversationID); err == nil && c.Language == "en" {
			out.URL = h.CaseStatus.URL("en", token)
		}
	}
	if !l.RevokedAt.IsZero() {
		at := l.RevokedAt
		out.RevokedAt = &at
	}
	return out
}

func (h *Handler) getStatusLink(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.caseStatus()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	l, err := cs.Link(r.Context(), id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.linkJSON(r, l, ""))
}

func (h *Handler) newStatusLink(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.caseStatus()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.Store.ConversationByID(r.Context(), id); err != nil {
		return fmt.Errorf("conversation %d: %w", id, err)
	}
	l, err := cs.Regenerate(r.Context(), id)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, h.linkJSON(r, &l.StatusLink, l.Token))
}

func (h *Handler) revokeStatusLink(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.caseStatus()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := cs.Revoke(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getNotices(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.caseStatus()
	if err != nil {
		return err
	}
	ns, err := cs.Notices(r.Context())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, ns)
}

func (h *Handler) putNotices(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.caseStatus()
	if err != nil {
		return err
	}
	var in casestatus.NoticeSettings
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := cs.SetNotices(r.Context(), in); err != nil {
		return err
	}
	return write(w, http.StatusOK, in)
}
