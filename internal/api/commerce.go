package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/balie-dev/balie/internal/commerce"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/selfservice"
)

// Orders and self-service actions: the company pushes orders into the
// built-in order store; agents read a customer's orders (through the
// connector), run actions and decide pending ones.

func (h *Handler) commerceRoutes(r func(string, string, desk.Role, string, func(http.ResponseWriter, *http.Request) error) Route) []Route {
	A, X := desk.RoleAgent, desk.RoleAdmin
	return []Route{
		r("POST", "/orders", X, "Create or replace an order in the built-in order store (the shop pushes it)", h.pushOrder).io(commerce.OrderJSON{}, commerce.OrderJSON{}),
		r("PUT", "/orders/{number}", X, "Create or replace the order with this number", h.putOrder).io(commerce.OrderJSON{}, commerce.OrderJSON{}),
		r("GET", "/contacts/{id}/orders", A, "A contact's orders, from the order system", h.contactOrders).io(nil, ordersOut{}),
		r("GET", "/actions", A, "The self-service action catalogue", h.listActions).io(nil, list[selfservice.Spec]{}),
		r("POST", "/actions/{name}", A, "Run a self-service action as the agent", h.runAction).io(actionIn{}, actionOut{}),
		r("GET", "/actions/log", A, "The actions' audit trail, newest first", h.actionLog).io(nil, list[actionLogJSON]{}).
			query("contact_id", "conversation_id", "state", "limit"),
		r("POST", "/actions/log/{id}/decision", A, "Approve or reject a pending action", h.decideAction).io(decisionIn{}, actionOut{}),
	}
}

// errNoCommerce: the app runs without an order system.
var errNoCommerce = fmt.Errorf("no order system configured: %w", desk.ErrNotFound)

func (h *Handler) pushOrder(w http.ResponseWriter, r *http.Request) error {
	return h.push(w, r, "")
}

func (h *Handler) putOrder(w http.ResponseWriter, r *http.Request) error {
	n, err := commerce.NormalizeNumber(r.PathValue("number"))
	if err != nil {
		return err
	}
	return h.push(w, r, n)
}

// push stores the body; number, when set, is the path's and the body's
// must be it or empty.
func (h *Handler) push(w http.ResponseWriter, r *http.Request, number string) error {
	var in commerce.OrderJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if number != "" {
		if got, err := commerce.NormalizeNumber(in.Number); in.Number != "" && (err != nil || got != number) {
			return desk.Invalid("number", "differs from the number in the path")
		}
		in.Number = number
	}
	o, created, err := commerce.Push(r.Context(), h.Store, h.Clock, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return write(w, status, commerce.ToJSON(*o))
}

// ordersOut is a contact's orders; Available is false (with the reason)
// when the order system could not be reached.
type ordersOut struct {
	Items     []commerce.OrderJSON `json:"items"`
	Available bool                 `json:"available"`
	Error     string               `json:"error,omitempty"`
}

func (h *Handler) contactOrders(w http.ResponseWriter, r *http.Request) error {
	if h.Commerce == nil {
		return errNoCommerce
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := h.Store.ContactByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("contact %d: %w", id, err)
	}
	os, err := h.Commerce.Connector().OrdersOf(r.Context(), *c)
	if errors.Is(err, desk.ErrTemporary) {
		return write(w, http.StatusOK, ordersOut{Items: []commerce.OrderJSON{}, Error: err.Error()})
	}
	if err != nil {
		return err
	}
	out := ordersOut{Items: make([]commerce.OrderJSON, len(os)), Available: true}
	for i, o := range os {
		out.Items[i] = commerce.ToJSON(o)
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) listActions(w http.ResponseWriter, r *http.Request) error {
	return write(w, http.StatusOK, list[selfservice.Spec]{Items: selfservice.Specs()})
}

type actionIn struct {
	// ContactID is the customer the action is for (needed by
	// update_contact); ConversationID the conversation it is run in.
	ContactID      int64             `json:"contact_id,omitempty"`
	ConversationID int64             `json:"conversation_id,omitempty"`
	Input          map[string]string `json:"input"`
	Locale         string            `json:"locale,omitempty"` // of the message; "" the agent's
}

type actionOut struct {
	OK       bool                `json:"ok"`
	Pending  bool                `json:"pending"`
	Message  string              `json:"message"`
	Handover bool                `json:"handover"`
	Order    *commerce.OrderJSON `json:"order,omitempty"`
	URL      string              `json:"url,omitempty"`
	Log      actionLogJSON       `json:"log"`
}

type actionLogJSON struct {
	ID             int64            `json:"id"`
	Action         string           `json:"action"`
	ActorKind      desk.ActorKind   `json:"actor_kind"`
	ActorID        int64            `json:"actor_id"`
	ContactID      int64            `json:"contact_id"`
	ConversationID int64            `json:"conversation_id"`
	OrderNumber    string           `json:"order_number,omitempty"`
	Input          string           `json:"input"`
	Result         string           `json:"result,omitempty"`
	Error          string           `json:"error,omitempty"`
	State          desk.ActionState `json:"state"`
	DecidedBy      int64            `json:"decided_by,omitempty"`
	DecidedAt      *time.Time       `json:"decided_at,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
}

func actionLogOf(l *desk.ActionLog) actionLogJSON {
	out := actionLogJSON{ID: l.ID, Action: l.Action, ActorKind: l.ActorKind, ActorID: l.ActorID,
		ContactID: l.ContactID, ConversationID: l.ConversationID, OrderNumber: l.OrderNumber, Input: l.Input,
		Result: l.Result, Error: l.Error, State: l.State, DecidedBy: l.DecidedBy, CreatedAt: l.CreatedAt}
	if !l.DecidedAt.IsZero() {
		out.DecidedAt = &l.DecidedAt
	}
	return out
}

func outcomeOf(o *selfservice.Outcome) actionOut {
	out := actionOut{OK: o.OK, Pending: o.Pending, Message: o.Message, Handover: o.Handover, URL: o.URL,
		Log: actionLogOf(&o.Log)}
	if o.Order != nil {
		j := commerce.ToJSON(*o.Order)
		out.Order = &j
	}
	return out
}

func (h *Handler) runAction(w http.ResponseWriter, r *http.Request) error {
	if h.Commerce == nil {
		return errNoCommerce
	}
	var in actionIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	agent := principal(r).Agent
	by := selfservice.Actor{Kind: desk.ActorAgent, ID: agent.ID, ContactID: in.ContactID,
		ConversationID: in.ConversationID, Locale: in.Locale}
	if by.Locale == "" {
		by.Locale = agent.Locale
	}
	if in.ConversationID != 0 {
		cv, err := h.Store.ConversationByID(r.Context(), in.ConversationID)
		if err != nil {
			return fmt.Errorf("conversation %d: %w", in.ConversationID, err)
		}
		if by.ContactID == 0 {
			by.ContactID = cv.ContactID
		}
	}
	out, err := h.Commerce.Run(r.Context(), r.PathValue("name"), by, in.Input)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, outcomeOf(out))
}

func (h *Handler) actionLog(w http.ResponseWriter, r *http.Request) error {
	if h.Commerce == nil {
		return errNoCommerce
	}
	var q desk.ActionLogQuery
	var err error
	if q.ContactID, err = queryID(r, "contact_id"); err != nil {
		return err
	}
	if q.ConversationID, err = queryID(r, "conversation_id"); err != nil {
		return err
	}
	if q.Limit, err = queryInt(r, "limit", 50, 500); err != nil {
		return err
	}
	q.State = desk.ActionState(r.URL.Query().Get("state"))
	ls, err := h.Commerce.Log(r.Context(), q)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(ls, actionLogOf))
}

type decisionIn struct {
	Approve bool   `json:"approve"`
	Locale  string `json:"locale,omitempty"`
}

func (h *Handler) decideAction(w http.ResponseWriter, r *http.Request) error {
	if h.Commerce == nil {
		return errNoCommerce
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in decisionIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	agent := principal(r).Agent
	if in.Locale == "" {
		in.Locale = agent.Locale
	}
	out, err := h.Commerce.Decide(r.Context(), id, agent.ID, in.Approve, in.Locale)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, outcomeOf(out))
}
