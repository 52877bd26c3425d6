package contact

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
)

// One customer, however they write to us. Profiles that probably belong to
// one person are suggested for merging, with the evidence: the same phone
// number in another format, the same email address in another case, or
// the same name with an order number they both mentioned. An agent merges
// (every conversation and identity moves to the profile that stays); the
// merge is recorded and can be undone. A profile that holds two people is
// split: chosen identities and conversations move to a new profile.

// Graph is what merging needs of the store.
type Graph interface {
	desk.IdentityStore
	ContactByID(ctx context.Context, id int64) (*desk.Contact, error)
	CreateContact(ctx context.Context, c *desk.Contact) error
	ConversationsOfContact(ctx context.Context, contactID int64, limit int) ([]desk.Conversation, error)
	ListMessages(ctx context.Context, conversationID int64, afterID int64, limit int) ([]desk.Message, error)
	SearchConversations(ctx context.Context, q desk.SearchQuery) ([]desk.SearchHit, error)
}

// Candidate is a profile that may be the same person, with why.
type Candidate struct {
	Contact desk.Contact
	Reasons []string // "same phone +31612345678", "same email jan@example.nl", "same name and order 1004321"
}

// MergeCandidates suggests profiles that may be the same person as
// contact id.
func MergeCandidates(ctx context.Context, g Graph, id int64) ([]Candidate, error) {
	c, err := g.ContactByID(ctx, id)
	if err != nil {
		return nil, err
	}
	found := map[int64]*Candidate{}
	var order []int64
	add := func(o desk.Contact, reason string) {
		if o.ID == c.ID {
			return
		}
		cand, ok := found[o.ID]
		if !ok {
			cand = &Candidate{Contact: o}
			found[o.ID] = cand
			order = append(order, o.ID)
		}
		if !slices.Contains(cand.Reasons, reason) {
			cand.Reasons = append(cand.Reasons, reason)
		}
	}
	phones, emails := map[string]bool{}, map[string]bool{}
	if p, err := NormalisePhone(c.Phone); err == nil && p != "" {
		phones[p] = true
	}
	if e, err := NormaliseEmail(c.Email); err == nil && e != "" {
		emails[e] = true
	}
	for _, idn := range c.Identities {
		switch idn.Kind {
		case desk.IdentityPhone:
			if p, err := NormalisePhone(idn.Value); err == nil {
				phones[p] = true
			}
		case desk.IdentityEmail:
			if e, err := NormaliseEmail(idn.Value); err == nil {
				emails[e] = true
			}
		}
	}
	for p := range phones {
		others, err := g.ContactsWithPhone(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			add(o, "same phone "+p)
		}
	}
	for e := range emails {
		others, err := g.ContactsWithEmail(ctx, e)
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			add(o, "same email "+e)
		}
	}
	// The same name and an order number both mentioned.
	if name := normName(c.Name); name != "" {
		for _, num := range orderNumbers(ctx, g, c.ID) {
			hits, err := g.SearchConversations(ctx, desk.SearchQuery{Text: num, Limit: 20})
			if err != nil {
				return nil, err
			}
			for _, h := range hits {
				if h.Conversation.ContactID == c.ID {
					continue
				}
				o, err := g.ContactByID(ctx, h.Conversation.ContactID)
				if err == nil && normName(o.Name) == name {
					add(*o, "same name and order "+num)
				}
			}
		}
	}
	out := make([]Candidate, 0, len(order))
	for _, id := range order {
		out = append(out, *found[id])
	}
	return out, nil
}

var orderRe = regexp.MustCompile(`\b\d{5,10}\b`)

// orderNumbers are the order-like numbers a contact's customer messages
// mention (at most five).
func orderNumbers(ctx context.Context, g Graph, contactID int64) []string {
	convs, err := g.ConversationsOfContact(ctx, contactID, 10)
	if err != nil {
		return nil
	}
	var out []string
	for _, cv := range convs {
		msgs, err := g.ListMessages(ctx, cv.ID, 0, 50)
		if err != nil {
			continue
		}
		for _, m := range msgs {
			if m.Sender != desk.SenderContact {
				continue
			}
			for _, n := range orderRe.FindAllString(m.Body, -1) {
				if !slices.Contains(out, n) && len(out) < 5 {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

func normName(s string) string { return strings.Join(lang.Tokens(s), " ") }

// Merge folds profile mergedID into keptID for an agent, with the evidence
// the agent saw.
func Merge(ctx context.Context, g Graph, by *desk.Agent, keptID, mergedID int64, reason string) (*desk.ContactMerge, error) {
	if keptID == mergedID {
		return nil, desk.Invalid("contact", "a profile cannot be merged into itself")
	}
	var agentID int64
	if by != nil {
		agentID = by.ID
	}
	m, err := g.MergeContacts(ctx, keptID, mergedID, agentID, clip(strings.TrimSpace(reason), 200))
	if err != nil {
		return nil, fmt.Errorf("contact: merge %d into %d: %w", mergedID, keptID, err)
	}
	return m, nil
}

// Split moves identities and conversations of a profile to a new profile
// named name, in one go; it returns the new profile.
func Split(ctx context.Context, g Graph, tx desk.Transactor, from int64, name string, identityIDs, conversationIDs []int64) (*desk.Contact, error) {
	name = clip(strings.TrimSpace(name), 200)
	if len(identityIDs) == 0 && len(conversationIDs) == 0 {
		return nil, desk.Invalid("split", "choose identities or conversations for the new profile")
	}
	orig, err := g.ContactByID(ctx, from)
	if err != nil {
		return nil, err
	}
	owned := map[int64]bool{}
	for _, idn := range orig.Identities {
		owned[idn.ID] = true
	}
	for _, id := range identityIDs {
		if !owned[id] {
			return nil, desk.Invalid("identities", fmt.Sprintf("identity %d is not this profile's", id))
		}
	}
	var nc *desk.Contact
	err = tx.InTx(ctx, func(st desk.Store) error {
		nc = &desk.Contact{Name: name, Locale: orig.Locale}
		if err := st.CreateContact(ctx, nc); err != nil {
			return err
		}
		ig, ok := st.(desk.IdentityStore)
		if !ok {
			return fmt.Errorf("contact: split: the store cannot move identities: %w", desk.ErrInvalid)
		}
		for _, id := range identityIDs {
			if err := ig.MoveIdentity(ctx, id, nc.ID); err != nil {
				return err
			}
		}
		for _, id := range conversationIDs {
			cv, err := st.ConversationByID(ctx, id)
			if err != nil {
				return err
			}
			if cv.ContactID != from {
				return desk.Invalid("conversations", fmt.Sprintf("conversation %d is not this profile's", id))
			}
			if err := ig.MoveConversation(ctx, id, nc.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("contact: split %d: %w", from, err)
	}
	return g.ContactByID(ctx, nc.ID)
}
