package webchat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/problem"
	"github.com/balie-dev/balie/internal/selfservice"
)

// "My orders" in the widget: a visitor the company's site vouched for
// (identity.go) sees their orders and runs the self-service actions on
// them, as the customer, through the same catalogue as the help-center
// portal, the bot and agents' buttons. Who may do what is the
// catalogue's decision; this file only decides who the visitor is.
//
// Only a visitor whose profile has a verified identity is a customer
// here: a visitor who merely typed an email address into the chat proves
// nothing. GET /widget/api/orders answers everyone else an empty list with
// identified=false (like cases.go, it tells nobody whether a token is
// valid); POST /widget/api/actions/{name} answers them 401.

// ordersLimit is how many orders the widget lists, newest first.
const ordersLimit = 20

// orderItem is an order as the widget shows it.
type orderItem struct {
	Number      string       `json:"number"`
	Status      string       `json:"status"`
	StatusText  string       `json:"status_text"`
	TotalCents  int64        `json:"total_cents"`
	Currency    string       `json:"currency"`
	PlacedAt    time.Time    `json:"placed_at"`
	Address     desk.Address `json:"address"`
	TrackingURL string       `json:"tracking_url,omitempty"`
	InvoiceURL  string       `json:"invoice_url,omitempty"`
}

// actionForm is an action as the widget offers it: its localised title and
// the fields the customer fills in (the order number comes from the order).
type actionForm struct {
	Name string `json:"name"`
	// Order: the action is run on one order (a button per order); else
	// it is about the customer (update_contact).
	Order bool `json:"order"`
	// Confirm: the action changes something, so even without fields the
	// widget asks before it runs.
	Confirm bool        `json:"confirm,omitempty"`
	Title   string      `json:"title"`
	Fields  []formField `json:"fields"`
}

type formField struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Type     string `json:"type"` // an <input> type
	Required bool   `json:"required,omitempty"`
	Max      int    `json:"max"`
}

type orderList struct {
	Identified bool         `json:"identified"`
	Items      []orderItem  `json:"items"`
	Actions    []actionForm `json:"actions"`
	// Unavailable: the order system did not answer.
	Unavailable bool `json:"unavailable,omitempty"`
}

type actionRequest struct {
	visitorFields
	Locale string            `json:"locale"`
	Input  map[string]string `json:"input"`
}

// actionResponse is a selfservice.Outcome as the customer may see it: no
// audit record, no internal error.
type actionResponse struct {
	OK       bool       `json:"ok"`
	Pending  bool       `json:"pending"`
	Handover bool       `json:"handover"`
	Message  string     `json:"message"`
	URL      string     `json:"url,omitempty"`
	Order    *orderItem `json:"order,omitempty"`
}

func (h *Handler) orderRoutes(mux *http.ServeMux) {
	mux.Handle("GET /widget/api/orders", cors(http.HandlerFunc(h.orders)))
	mux.Handle("POST /widget/api/actions/{name}", cors(http.HandlerFunc(h.runAction)))
}

// customer is the visitor's contact when a verified identity backs it,
// else nil.
func (h *Handler) customer(ctx context.Context, v *visitor) (*desk.Contact, error) {
	if v.contact == nil {
		return nil, nil
	}
	c, err := h.d.Store.ContactByID(ctx, v.contact.ID)
	if err != nil {
		return nil, fmt.Errorf("webchat: customer: %w", err)
	}
	for _, id := range c.Identities {
		if id.Verified && id.Kind != desk.IdentityVisitor {
			return c, nil
		}
	}
	return nil, nil
}

// orders lists the identified visitor's orders and the actions on them.
// The token comes in the X-Balie-Visitor header only: a query string is
// written to proxies' and servers' access logs, and this token reaches a
// customer's orders.
func (h *Handler) orders(w http.ResponseWriter, r *http.Request) {
	v, err := h.admitHelp(r, h.clientReads, r.URL.Query().Get("inbox"), r.Header.Get(VisitorHeader))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	out := orderList{Items: []orderItem{}, Actions: []actionForm{}}
	c, err := h.customer(ctx, v)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if c == nil {
		writeJSON(w, http.StatusOK, out)
		return
	}
	loc := locale(r.URL.Query().Get("locale"))
	out.Identified, out.Actions = true, actionForms(loc)
	os, err := h.d.Actions.OrdersOf(ctx, c.ID)
	if err != nil {
		// The list is still useful without orders: update_contact works.
		h.d.Log.Warn("webchat: orders", "contact", c.ID, "err", err)
		out.Unavailable = true
	}
	for i := range os {
		if i == ordersLimit {
			break
		}
		out.Items = append(out.Items, orderOf(loc, &os[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

// runAction runs one action as the identified visitor, for themselves.
func (h *Handler) runAction(w http.ResponseWriter, r *http.Request) {
	var req actionRequest
	v, ok := h.admitPost(w, r, &req, &req.visitorFields)
	if !ok {
		return
	}
	ctx := r.Context()
	c, err := h.customer(ctx, v)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if c == nil {
		h.writeError(w, r, fmt.Errorf("webchat: action: not an identified customer: %w", desk.ErrUnauthorized))
		return
	}
	loc := locale(req.Locale)
	out, err := h.d.Actions.Run(ctx, r.PathValue("name"), selfservice.Actor{Kind: desk.ActorCustomer, ID: c.ID,
		ContactID: c.ID, Locale: loc}, req.Input)
	if err != nil {
		if ve, ok := errors.AsType[*desk.ValidationError](err); ok {
			// Told in the customer's language, as the bot and the portal do.
			problem.Write(w, r, err, problem.Options{Log: h.d.Log, Public: true, Detail: selfservice.Explain(loc, ve)})
			return
		}
		if errors.Is(err, desk.ErrNotFound) {
			h.writeError(w, r, err)
			return
		}
		h.writeError(w, r, fmt.Errorf("webchat: action: %w", err))
		return
	}
	resp := actionResponse{OK: out.OK, Pending: out.Pending, Handover: out.Handover, Message: out.Message, URL: out.URL}
	if out.Order != nil {
		o := orderOf(loc, out.Order)
		resp.Order = &o
	}
	writeJSON(w, http.StatusOK, resp)
}

func orderOf(loc string, o *desk.Order) orderItem {
	return orderItem{Number: o.Number, Status: string(o.Status), StatusText: label(loc, "status."+string(o.Status)),
		TotalCents: o.TotalCents, Currency: o.Currency, PlacedAt: o.PlacedAt, Address: o.Address,
		TrackingURL: o.TrackingURL, InvoiceURL: o.InvoiceURL}
}

// actionForms lists the catalogue's actions with localised labels. The
// order number is the order's; order_status's postal code is for visitors
// balie does not know, and an identified customer proves nothing more
// with it.
func actionForms(loc string) []actionForm {
	var out []actionForm
	for _, s := range selfservice.Specs() {
		f := actionForm{Name: s.Name, Title: label(loc, "action."+s.Name), Fields: []formField{},
			Confirm: s.Name != selfservice.OrderStatus && s.Name != selfservice.Invoice}
		for _, fd := range s.Fields {
			switch {
			case fd.Type == selfservice.FieldOrder:
				f.Order = true
				continue
			case fd.Name == "postal_code" && s.Name == selfservice.OrderStatus:
				continue
			}
			typ := "text"
			switch fd.Type {
			case selfservice.FieldEmail:
				typ = "email"
			case selfservice.FieldPhone:
				typ = "tel"
			}
			f.Fields = append(f.Fields, formField{Name: fd.Name, Label: label(loc, "field."+fd.Name), Type: typ,
				Required: fd.Required, Max: fd.Max})
		}
		out = append(out, f)
	}
	return out
}

// label is the text of key in loc ("nl" or "en"); an unknown key is shown
// as itself rather than as nothing.
func label(loc, key string) string {
	if s, ok := orderStrings[loc][key]; ok {
		return s
	}
	if s, ok := orderStrings["en"][key]; ok {
		return s
	}
	return key
}

// orderStrings are the "My orders" texts. A constant table, never written.
var orderStrings = map[string]map[string]string{
	"nl": {
		"action.order_status": "Status bekijken", "action.change_address": "Bezorgadres wijzigen",
		"action.cancel_order": "Bestelling annuleren", "action.start_return": "Retour aanmelden",
		"action.update_contact": "Mijn gegevens wijzigen", "action.invoice": "Factuur downloaden",
		"field.name": "Naam", "field.street": "Straat en huisnummer", "field.postal_code": "Postcode",
		"field.city": "Plaats", "field.country": "Land (NL, BE, ...)", "field.reason": "Reden",
		"field.email": "E-mailadres", "field.phone": "Telefoonnummer",
		"status.placed": "Geplaatst", "status.paid": "Betaald", "status.shipped": "Verzonden",
		"status.delivered": "Bezorgd", "status.cancelled": "Geannuleerd", "status.returned": "Geretourneerd",
	},
	"en": {
		"action.order_status": "Check status", "action.change_address": "Change delivery address",
		"action.cancel_order": "Cancel order", "action.start_return": "Start a return",
		"action.update_contact": "Update my details", "action.invoice": "Download invoice",
		"field.name": "Name", "field.street": "Street and number", "field.postal_code": "Postal code",
		"field.city": "City", "field.country": "Country (NL, BE, ...)", "field.reason": "Reason",
		"field.email": "Email address", "field.phone": "Phone number",
		"status.placed": "Placed", "status.paid": "Paid", "status.shipped": "Shipped",
		"status.delivered": "Delivered", "status.cancelled": "Cancelled", "status.returned": "Returned",
	},
}
