package api

import (
	"net/http"
	"time"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/wire"
)

// One customer: duplicates, merge, undo, split.

type candidateJSON struct {
	Contact wire.Contact `json:"contact"`
	Reasons []string     `json:"reasons"`
}

type mergeIn struct {
	MergedID int64  `json:"merged_id"`
	Reason   string `json:"reason,omitempty"`
}

type mergeJSON struct {
	ID            int64        `json:"id"`
	KeptID        int64        `json:"kept_id"`
	MergedID      int64        `json:"merged_id"`
	AgentID       int64        `json:"agent_id"`
	Merged        wire.Contact `json:"merged"`
	Conversations []int64      `json:"conversations"`
	Reason        string       `json:"reason"`
	CreatedAt     wire.Time    `json:"created_at"`
	UndoneAt      wire.Time    `json:"undone_at"`
}

type splitIn struct {
	Name            string  `json:"name"`
	IdentityIDs     []int64 `json:"identity_ids,omitempty"`
	ConversationIDs []int64 `json:"conversation_ids,omitempty"`
}

func (h *Handler) identityRoutes(r func(method, path string, role desk.Role, summary string, fn func(http.ResponseWriter, *http.Request) error) Route) []Route {
	A := desk.RoleAgent
	return []Route{
		r("GET", "/contacts/{id}/duplicates", A, "Profiles that may be the same person, with the evidence", h.duplicates).io(nil, list[candidateJSON]{}),
		r("POST", "/contacts/{id}/merge", A, "Merge another profile into this one", h.mergeContact).io(mergeIn{}, mergeJSON{}),
		r("GET", "/contacts/{id}/merges", A, "The merges into this profile, newest first", h.contactMerges).io(nil, list[mergeJSON]{}),
		r("POST", "/contact-merges/{id}/undo", A, "Undo a merge", h.undoMerge).io(nil, mergeJSON{}),
		r("POST", "/contacts/{id}/split", A, "Move identities and conversations to a new profile", h.splitContact).io(splitIn{}, wire.Contact{}),
	}
}

func mergeOut(m *desk.ContactMerge) mergeJSON {
	convs := m.Conversations
	if convs == nil {
		convs = []int64{}
	}
	return mergeJSON{ID: m.ID, KeptID: m.KeptID, MergedID: m.MergedID, AgentID: m.AgentID, Merged: *wire.FromContact(&m.Merged),
		Conversations: convs, Reason: m.Reason, CreatedAt: wire.Time{Time: m.CreatedAt}, UndoneAt: wire.Time{Time: m.UndoneAt}}
}

func (h *Handler) duplicates(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cs, err := contact.MergeCandidates(r.Context(), h.Store, id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(cs, func(c *contact.Candidate) candidateJSON {
		return candidateJSON{Contact: *wire.FromContact(&c.Contact), Reasons: c.Reasons}
	}))
}

func (h *Handler) mergeContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in mergeIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := contact.Merge(r.Context(), h.Store, principal(r).Agent, id, in.MergedID, in.Reason)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, mergeOut(m))
}

func (h *Handler) contactMerges(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ms, err := h.Store.ContactMerges(r.Context(), id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(ms, mergeOut))
}

func (h *Handler) undoMerge(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := h.Store.UndoMerge(r.Context(), id, time.Time{})
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, mergeOut(m))
}

func (h *Handler) splitContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in splitIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := contact.Split(r.Context(), h.Store, h.Store, id, in.Name, in.IdentityIDs, in.ConversationIDs)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, wire.FromContact(c))
}
