package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/selfservice"
)

// The customer panel's orders: the contact's orders from the order system,
// one-click self-service actions per order (run as the agent, the result
// posted as an internal note), and the actions waiting for approval.

func (h *Handler) orderRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /app/conversations/{id}/actions/{name}", h.agentOnly(h.postOrderAction))
	mux.HandleFunc("POST /app/conversations/{id}/approvals/{log}", h.agentOnly(h.postApproval))
}

// ordersPanel is what the panel shows.
type ordersPanel struct {
	On bool // the catalogue is wired
	// Unavailable: the order system could not be reached.
	Unavailable bool
	Orders      []orderRow
	Pending     []desk.ActionLog
}

type orderRow struct {
	desk.Order
	Total string // "€ 949,00"
	// What the order's status allows.
	CanChangeAddress, CanCancel, CanReturn bool
}

// ordersOf fills the panel for a conversation's contact. A failing order
// system is shown as unavailable, not as an error page: the rest of the
// conversation is still worth seeing.
func (h *Handler) ordersOf(ctx context.Context, c *desk.Conversation, contact *desk.Contact) (ordersPanel, error) {
	p := ordersPanel{On: h.d.Commerce != nil}
	if !p.On {
		return p, nil
	}
	os, err := h.d.Commerce.Connector().OrdersOf(ctx, *contact)
	switch {
	case errors.Is(err, desk.ErrTemporary):
		h.log.Warn("web: orders unavailable", "contact", contact.ID, "err", err)
		p.Unavailable = true
	case err != nil:
		return p, err
	}
	for _, o := range os {
		p.Orders = append(p.Orders, orderRow{Order: o, Total: money(o.TotalCents, o.Currency),
			CanChangeAddress: o.Status == desk.OrderPlaced || o.Status == desk.OrderPaid,
			CanCancel:        o.Status == desk.OrderPlaced || o.Status == desk.OrderPaid || o.Status == desk.OrderShipped,
			CanReturn:        o.Status == desk.OrderDelivered})
	}
	p.Pending, err = h.d.Commerce.Log(ctx, desk.ActionLogQuery{ContactID: contact.ID, State: desk.ActionPending})
	return p, err
}

// money writes cents the Dutch way: "€ 949,00"; other currencies by code.
func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	sym := currency + " "
	if currency == "EUR" || currency == "" {
		sym = "€ "
	}
	euros := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range euros {
		if i > 0 && (len(euros)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s%s%s,%02d", sign, sym, b.String(), cents%100)
}

// actionFields are the form fields an action button may send.
var actionFields = []string{"order", "street", "postal_code", "city", "country", "name", "reason", "email", "phone"}

// postOrderAction runs an action as the agent for the conversation's
// contact and posts what happened as an internal note.
func (h *Handler) postOrderAction(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := convURL(id) + "#orders"
	if h.d.Commerce == nil {
		h.fail(q, desk.ErrNotFound)
		return
	}
	ctx := q.r.Context()
	c, err := h.d.Store.ConversationByID(ctx, id)
	if err != nil {
		h.fail(q, err)
		return
	}
	in := map[string]string{}
	for _, f := range actionFields {
		if v := strings.TrimSpace(q.r.PostFormValue(f)); v != "" {
			in[f] = v
		}
	}
	name := q.r.PathValue("name")
	out, err := h.d.Commerce.Run(ctx, name, selfservice.Actor{Kind: desk.ActorAgent, ID: q.agent.ID,
		ContactID: c.ContactID, ConversationID: c.ID, Locale: q.locale}, in)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	if _, err := h.d.Conversations.Note(ctx, q.actor(), id, h.noteOf(q, name, in["order"], out.Message)); err != nil {
		h.failed(q, to, err)
		return
	}
	key := "flash.action_done"
	if !out.OK {
		key = "flash.action_failed"
	}
	h.back(q, to, flash{Kind: map[bool]string{true: "ok", false: "error"}[out.OK], Key: key})
}

// noteOf is the internal note recording an action: which, on what, and
// what the customer would be told.
func (h *Handler) noteOf(q *req, action, order, message string) string {
	title := h.cats[q.locale].T("orders.action." + action)
	if order != "" {
		title += " · " + order
	}
	return title + "\n\n" + message
}

// postApproval approves or rejects a pending action of the conversation's
// contact.
func (h *Handler) postApproval(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := convURL(id) + "#orders"
	logID, err := strconv.ParseInt(q.r.PathValue("log"), 10, 64)
	if err != nil || h.d.Commerce == nil {
		h.fail(q, desk.ErrNotFound)
		return
	}
	ctx := q.r.Context()
	c, err := h.d.Store.ConversationByID(ctx, id)
	if err != nil {
		h.fail(q, err)
		return
	}
	pending, err := h.d.Commerce.Log(ctx, desk.ActionLogQuery{ContactID: c.ContactID, State: desk.ActionPending, Limit: 500})
	if err != nil {
		h.failed(q, to, err)
		return
	}
	var l *desk.ActionLog
	for i := range pending {
		if pending[i].ID == logID {
			l = &pending[i]
		}
	}
	if l == nil {
		// Decided already, or not this customer's.
		h.failed(q, to, fmt.Errorf("web: approval %d: %w", logID, desk.ErrConflict))
		return
	}
	approve := q.r.PostFormValue("decision") == "approve"
	out, err := h.d.Commerce.Decide(ctx, logID, q.agent.ID, approve, q.locale)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	verdict := "orders.rejected"
	if approve {
		verdict = "orders.approved"
	}
	note := h.cats[q.locale].T(verdict) + ": " + h.noteOf(q, l.Action, l.OrderNumber, out.Message)
	if _, err := h.d.Conversations.Note(ctx, q.actor(), id, note); err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}
