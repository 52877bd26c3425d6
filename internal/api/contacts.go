package api

import (
	"fmt"
	"net/http"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/wire"
)

func (h *Handler) listContacts(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50, 200)
	if err != nil {
		return err
	}
	offset, err := queryInt(r, "offset", 0, 0)
	if err != nil {
		return err
	}
	q := r.URL.Query().Get("q")
	if len(q) > 200 {
		return desk.Invalid("q", "at most 200 characters")
	}
	cs, err := h.Store.ListContacts(r.Context(), desk.ContactQuery{Search: q, Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(cs, wire.FromContact))
}

func (h *Handler) createContact(w http.ResponseWriter, r *http.Request) error {
	var in contactIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := h.Contacts.Create(r.Context(), in.input())
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, wire.FromContact(c))
}

func (h *Handler) getContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := h.Store.ContactByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("contact %d: %w", id, err)
	}
	h.logView(r, id, 0)
	return write(w, http.StatusOK, wire.FromContact(c))
}

func (h *Handler) updateContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in contactIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := h.Contacts.Update(r.Context(), id, in.input())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, wire.FromContact(c))
}

func (h *Handler) contactConversations(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.Store.ContactByID(r.Context(), id); err != nil {
		return fmt.Errorf("contact %d: %w", id, err)
	}
	cs, err := h.Store.ConversationsOfContact(r.Context(), id, 200)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(cs, wire.FromConversation))
}
