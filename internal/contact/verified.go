package contact

import (
	"context"
	"errors"
	"fmt"

	"github.com/balie-dev/balie/internal/desk"
)

// Verified is who a company vouches a visitor is, from a signed identity
// token (internal/idtoken): its own customer id and/or an email address.
type Verified struct {
	ExternalID string
	Email      string
	Name       string
	Phone      string
}

// ClaimStore is what claiming needs; run it inside a transaction.
type ClaimStore interface {
	desk.ContactStore
	MergeContacts(ctx context.Context, keptID, mergedID, agentID int64, reason string) (*desk.ContactMerge, error)
	MoveIdentity(ctx context.Context, identityID, toContactID int64) error
}

// Claim finds the customer a company vouches for, or makes one, links
// their verified handles (external id, email) as verified identities, and
// returns them. When browser is a visitor identity (the widget's), it is
// linked to that customer too:
//
//   - a browser whose profile is anonymous (no verified identity) is
//     merged into the customer: what they wrote before logging in follows;
//   - a browser whose profile is another verified customer (a shared
//     computer) only moves over: that customer's history stays theirs.
//
// Only a verified claim may take over an existing customer's profile; an
// email address a visitor merely types never does (see webchat's contact
// details). Call it inside a transaction.
func Claim(ctx context.Context, st ClaimStore, browser desk.Identity, v Verified) (*desk.Contact, error) {
	handles, err := verifiedHandles(v)
	if err != nil {
		return nil, err
	}
	var target *desk.Contact
	for _, h := range handles {
		c, err := st.ContactByIdentity(ctx, h.Kind, h.Value)
		if errors.Is(err, desk.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("contact: claim: %w", err)
		}
		target = c
		break
	}
	var cur *desk.Contact
	if browser.Kind != "" {
		c, err := st.ContactByIdentity(ctx, browser.Kind, browser.Value)
		switch {
		case err == nil:
			cur = c
		case !errors.Is(err, desk.ErrNotFound):
			return nil, fmt.Errorf("contact: claim: %w", err)
		}
	}
	if target == nil && cur != nil && !hasVerified(cur) {
		// The anonymous browser's profile becomes the customer's.
		target = cur
	}
	if target == nil {
		target = &desk.Contact{Name: clip(v.Name, maxName)}
		if target.Name == "" {
			target.Name = defaultName(Sender{Email: v.Email})
		}
		if err := st.CreateContact(ctx, target); err != nil {
			return nil, fmt.Errorf("contact: claim: create: %w", err)
		}
	}
	for _, h := range handles {
		id := h
		id.ContactID, id.Verified = target.ID, true
		err := st.AddIdentity(ctx, &id)
		if errors.Is(err, desk.ErrConflict) {
			// The external id and the email address belong to two
			// profiles: the first handle found wins, the other stays
			// where it is until a person merges them.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("contact: claim: link %s: %w", h.Kind, err)
		}
	}
	if cur != nil && cur.ID != target.ID {
		if hasVerified(cur) {
			bi, ok := identityOf(cur, browser)
			if ok {
				if err := st.MoveIdentity(ctx, bi.ID, target.ID); err != nil {
					return nil, fmt.Errorf("contact: claim: move browser: %w", err)
				}
			}
		} else if _, err := st.MergeContacts(ctx, target.ID, cur.ID, 0, "verified identity token"); err != nil {
			return nil, fmt.Errorf("contact: claim: merge browser profile: %w", err)
		}
	} else if cur == nil && browser.Kind != "" {
		id := &desk.Identity{ContactID: target.ID, Kind: browser.Kind, Value: browser.Value}
		if err := st.AddIdentity(ctx, id); err != nil {
			return nil, fmt.Errorf("contact: claim: link browser: %w", err)
		}
	}
	out, err := st.ContactByID(ctx, target.ID)
	if err != nil {
		return nil, fmt.Errorf("contact: claim: %w", err)
	}
	changed := false
	if out.Name == "" || out.Name == "Visitor" {
		if n := clip(v.Name, maxName); n != "" {
			out.Name, changed = n, true
		}
	}
	if out.Email == "" && v.Email != "" {
		if e, err := NormaliseEmail(v.Email); err == nil {
			out.Email, changed = e, true
		}
	}
	if out.Phone == "" && v.Phone != "" {
		if p, err := NormalisePhone(v.Phone); err == nil {
			out.Phone, changed = p, true
		}
	}
	if changed {
		if err := st.UpdateContact(ctx, out); err != nil {
			return nil, fmt.Errorf("contact: claim: update: %w", err)
		}
	}
	return out, nil
}

// verifiedHandles are the claim's handles, strongest first.
func verifiedHandles(v Verified) ([]desk.Identity, error) {
	var out []desk.Identity
	if v.ExternalID != "" {
		out = append(out, desk.Identity{Kind: desk.IdentityExtern, Value: clip(v.ExternalID, maxName)})
	}
	if v.Email != "" {
		e, err := NormaliseEmail(v.Email)
		if err != nil {
			return nil, err
		}
		out = append(out, desk.Identity{Kind: desk.IdentityEmail, Value: e})
	}
	if len(out) == 0 {
		return nil, desk.Invalid("identity", "a verified identity needs an external id or an email address")
	}
	return out, nil
}

func hasVerified(c *desk.Contact) bool {
	for _, id := range c.Identities {
		if id.Verified {
			return true
		}
	}
	return false
}

func identityOf(c *desk.Contact, h desk.Identity) (desk.Identity, bool) {
	for _, id := range c.Identities {
		if id.Kind == h.Kind && id.Value == h.Value {
			return id, true
		}
	}
	return desk.Identity{}, false
}
