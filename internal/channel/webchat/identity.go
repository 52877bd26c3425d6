package webchat

import (
	"fmt"
	"net/http"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/idtoken"
)

// SettingIdentitySecret is the web-chat inbox setting that signs the
// company site's identity tokens (internal/idtoken).
const SettingIdentitySecret = "identity_secret"

type identifyRequest struct {
	visitorFields
	// Identity is the signed identity token from the company's site.
	Identity string `json:"identity"`
}

type identifyResponse struct {
	Name         string `json:"name"`
	DetailsKnown bool   `json:"details_known"`
}

// identify links a visitor to the customer the company's site vouches for
// with a signed identity token (widget.js: data-identity-token or
// Balie.identify(token)). A token that does not verify changes nothing: an
// unverified visitor never reaches another customer's profile.
func (h *Handler) identifyVisitor(w http.ResponseWriter, r *http.Request) {
	var req identifyRequest
	v, ok := h.admitPost(w, r, &req, &req.visitorFields)
	if !ok {
		return
	}
	ctx := r.Context()
	claims, err := idtoken.Verify(v.inbox.Settings[SettingIdentitySecret], req.Identity, h.d.Clock.Now())
	if err != nil {
		h.d.Log.Info("webchat: identity token refused", "inbox", v.inbox.ID, "err", err)
		h.writeError(w, r, fmt.Errorf("webchat: identify: %w", desk.ErrUnauthorized))
		return
	}
	var c *desk.Contact
	err = h.d.Store.InTx(ctx, func(tx desk.Store) error {
		c, err = contact.Claim(ctx, tx, desk.Identity{Kind: desk.IdentityVisitor, Value: v.hash}, contact.Verified{
			ExternalID: claims.ExternalID, Email: claims.Email, Name: claims.Name, Phone: claims.Phone})
		return err
	})
	if err != nil {
		h.writeError(w, r, fmt.Errorf("webchat: identify: %w", err))
		return
	}
	h.d.Hub.BindVisitor(v.hash, c.ID)
	writeJSON(w, http.StatusOK, identifyResponse{Name: c.Name, DetailsKnown: c.Email != ""})
}
