package selfservice

import (
	"context"
	"errors"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
)

var _ flow.Actions = (*Catalogue)(nil)

// HasAction implements flow.Actions: the catalogue's actions are flow
// steps.
func (c *Catalogue) HasAction(name string) bool {
	_, ok := specOf(name)
	return ok
}

// RunAction implements flow.Actions. In a conversation the bot acts for
// the conversation's contact, in its language; elsewhere (the help
// center) for a visitor balie does not know, who may only ask an order's
// status with its postal code. A param "locale" overrides the language.
// The customer always gets a message: a failure's says why and offers a
// colleague, and the flow goes on along its fail branch.
func (c *Catalogue) RunAction(ctx context.Context, name string, params map[string]string, run *desk.FlowRun) (flow.ActionResult, error) {
	by := Actor{Kind: desk.ActorCustomer}
	if run != nil && run.ConversationID != 0 {
		cv, err := c.st.ConversationByID(ctx, run.ConversationID)
		if err != nil {
			return flow.ActionResult{}, err
		}
		by = Actor{Kind: desk.ActorBot, ContactID: cv.ContactID, ConversationID: cv.ID, Locale: cv.Language}
		unproven, err := c.lastSenderUnproven(ctx, cv.ID)
		if err != nil {
			return flow.ActionResult{}, err
		}
		if unproven {
			// A spoofed mail or a typed address landed on this contact:
			// the bot acts as for a visitor it does not know (an order's
			// status with its postal code, nothing more).
			by.ContactID = 0
		}
	}
	if by.Locale == "" && run != nil && run.FlowID != 0 {
		// The flow is written in its customer's language.
		if f, err := c.st.FlowByID(ctx, run.FlowID); err == nil {
			by.Locale = f.Locale
		}
	}
	in := make(map[string]string, len(params))
	for k, v := range params {
		if k == "locale" {
			by.Locale = v
			continue
		}
		in[k] = v
	}
	out, err := c.Run(ctx, name, by, in)
	var ve *desk.ValidationError
	switch {
	case errors.As(err, &ve):
		return flow.ActionResult{Message: Explain(by.Locale, ve) + " " + text(by.Locale, "handover")}, nil
	case err != nil:
		return flow.ActionResult{}, err
	}
	// A pending action goes the fail way too: an agent must approve it, and
	// the fail branch usually hands over to one.
	return flow.ActionResult{OK: out.OK, Message: out.Message}, nil
}

// lastSenderUnproven reports whether the conversation's latest customer
// message came from a sender its channel did not prove
// (desk.Message.SenderUnproven).
func (c *Catalogue) lastSenderUnproven(ctx context.Context, convID int64) (bool, error) {
	var last *desk.Message
	for after := int64(0); ; {
		ms, err := c.st.ListMessages(ctx, convID, after, 200)
		if err != nil {
			return false, err
		}
		for i := range ms {
			if ms[i].Sender == desk.SenderContact && ms[i].Kind == desk.KindMessage {
				last = &ms[i]
			}
		}
		if len(ms) < 200 {
			break
		}
		after = ms[len(ms)-1].ID
	}
	return last != nil && last.SenderUnproven(), nil
}
