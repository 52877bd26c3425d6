package webchat

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/balie-dev/balie/internal/desk"
)

// Signing out on a shared computer. The widget's visitor token lives in
// the browser for good; after Balie.identify it reaches a customer's
// orders and history. When the customer logs out of the company's site,
// the site calls Balie.logout(): the widget forgets the token and
// POST /widget/api/logout deletes the token's hash from the profile, so
// that a copy of the token taken before (a script on the page, someone
// reading localStorage) reaches nothing any more, and closes the sockets
// opened with it, which would otherwise keep receiving the customer's
// live events. The customer's profile, conversations and orders stay as
// they were; nothing is left behind in the agents' contact list.

type logoutRequest struct {
	visitorFields
}

// logout forgets the visitor token's link to its profile. It answers 204
// whether or not the token was linked, like orders it tells nobody what
// a token is worth.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	var req logoutRequest
	v, ok := h.admitPost(w, r, &req, &req.visitorFields)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := h.unlink(ctx, v.hash); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// unlink deletes the visitor identity hash from its profile and drops the
// sockets of that token. A hash no profile knows has nothing to forget;
// its sockets are dropped all the same.
func (h *Handler) unlink(ctx context.Context, hash string) error {
	err := h.d.Store.InTx(ctx, func(tx desk.Store) error {
		c, err := tx.ContactByIdentity(ctx, desk.IdentityVisitor, hash)
		if errors.Is(err, desk.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		id, ok := visitorIdentity(c, hash)
		if !ok {
			// ContactByIdentity does not promise the identities.
			if c, err = tx.ContactByID(ctx, c.ID); err != nil {
				return err
			}
			if id, ok = visitorIdentity(c, hash); !ok {
				return fmt.Errorf("identity not on its contact %d: %w", c.ID, desk.ErrConflict)
			}
		}
		return tx.DeleteIdentity(ctx, c.ID, id.ID)
	})
	if err != nil {
		return fmt.Errorf("webchat: logout: %w", err)
	}
	// After the commit: a socket that connects from now on finds no
	// contact for the token. The hub closes the sockets on every node, not
	// only this one's (realtime.Hub publishes desk.EventVisitorSignedOut).
	h.d.Hub.DropVisitor(hash)
	return nil
}

func visitorIdentity(c *desk.Contact, hash string) (desk.Identity, bool) {
	for _, id := range c.Identities {
		if id.Kind == desk.IdentityVisitor && id.Value == hash {
			return id, true
		}
	}
	return desk.Identity{}, false
}
