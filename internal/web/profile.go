package web

import (
	"net/http"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

// The profile page lets every agent change their own name, language,
// availability and password, and manage their personal API tokens.

const profileURL = "/app/profile"

var availabilities = []desk.Availability{desk.Online, desk.Away, desk.Offline}

type profileData struct {
	Tokens         []desk.APIToken
	Availabilities []desk.Availability
	// NewToken is the plaintext of the token just created: shown on this
	// one response and never again.
	NewToken     string
	NewTokenName string
}

func (h *Handler) profile(q *req) {
	h.showProfile(q, http.StatusOK, "", "")
}

func (h *Handler) showProfile(q *req, status int, newToken, newTokenName string) {
	tokens, err := h.d.Store.ListAPITokens(q.r.Context(), q.agent.ID)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, status, "profile", "profile", profileData{Tokens: tokens, Availabilities: availabilities,
		NewToken: newToken, NewTokenName: newTokenName})
}

// postProfile saves name, UI language and availability. The agent is read
// again so that nothing else the principal carries is written back stale.
func (h *Handler) postProfile(q *req) {
	if h.d.Agents == nil {
		h.failed(q, profileURL, desk.ErrForbidden)
		return
	}
	f := q.r.PostForm
	name, locale := f.Get("name"), f.Get("locale")
	avail := desk.Availability(f.Get("availability"))
	if _, err := h.d.Agents.Update(q.r.Context(), q.agent.ID,
		auth.AgentChange{Name: &name, Locale: &locale, Availability: &avail}); err != nil {
		h.failed(q, profileURL, err)
		return
	}
	h.agentChanged(q.agent.ID)
	h.back(q, profileURL, flash{Kind: "ok", Key: "flash.saved"})
}

// postPassword changes the agent's own password. The current one is
// required, so that a browser left unlocked cannot be used to take the
// account over.
func (h *Handler) postPassword(q *req) {
	ctx := q.r.Context()
	f := q.r.PostForm
	a, err := h.d.Store.AgentByID(ctx, q.agent.ID)
	if err != nil {
		h.failed(q, profileURL, err)
		return
	}
	ok, err := auth.CheckPassword(a.PasswordHash, f.Get("current_password"))
	if err != nil || !ok {
		h.back(q, profileURL, flash{Kind: "error", Key: "flash.wrong_password"})
		return
	}
	if f.Get("password") != f.Get("password_again") {
		h.back(q, profileURL, flash{Kind: "error", Key: "flash.password_mismatch"})
		return
	}
	if err := h.d.Auth.SetPassword(ctx, a.ID, f.Get("password")); err != nil {
		h.failed(q, profileURL, err)
		return
	}
	h.agentChanged(a.ID)
	h.back(q, profileURL, flash{Kind: "ok", Key: "flash.password_set"})
}

// postToken creates a personal API token and shows it on this response
// only; it is not redirected, since the plaintext must not travel in a
// cookie or URL.
func (h *Handler) postToken(q *req) {
	name := q.r.PostFormValue("name")
	plain, t, err := h.d.Auth.CreateToken(q.r.Context(), q.agent.ID, name)
	if err != nil {
		h.failed(q, profileURL, err)
		return
	}
	h.showProfile(q, http.StatusOK, plain, t.Name)
}

func (h *Handler) deleteToken(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	if err := h.d.Auth.RevokeToken(q.r.Context(), q.agent.ID, id); err != nil {
		h.failed(q, profileURL, err)
		return
	}
	h.back(q, profileURL, flash{Kind: "ok", Key: "flash.token_revoked"})
}
