// Package selfservice is the catalogue of self-service actions (order
// status, change the delivery address, cancel an order, start a return,
// update contact details, download an invoice), shared by the help-center
// portal and widget, the bot and flows (it implements flow.Actions) and
// agents' one-click buttons. Each action has an input schema, permission
// rules, optional agent approval and an audit record (desk.ActionLog), and
// explains a failure in plain language with the offer of a colleague.
// Actions on orders go through a commerce.Connector.
//
// It imports desk, commerce and flow (for the flow.Actions types).
package selfservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/commerce"
	"github.com/balie-dev/balie/internal/desk"
)

// Store is what the catalogue keeps and reads.
type Store interface {
	CreateActionLog(ctx context.Context, l *desk.ActionLog) error
	ClaimActionLog(ctx context.Context, l *desk.ActionLog, stale time.Time) error
	DecideActionLog(ctx context.Context, l *desk.ActionLog) error
	ActionLogByID(ctx context.Context, id int64) (*desk.ActionLog, error)
	ListActionLogs(ctx context.Context, q desk.ActionLogQuery) ([]desk.ActionLog, error)
	ContactByID(ctx context.Context, id int64) (*desk.Contact, error)
	UpdateContact(ctx context.Context, c *desk.Contact) error
	ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error)
	FlowByID(ctx context.Context, id int64) (*desk.Flow, error)
	ListMessages(ctx context.Context, conversationID, afterID int64, limit int) ([]desk.Message, error)
}

// Action names.
const (
	OrderStatus   = "order_status"
	ChangeAddress = "change_address"
	CancelOrder   = "cancel_order"
	StartReturn   = "start_return"
	UpdateContact = "update_contact"
	Invoice       = "invoice"
)

// ClaimTimeout is how long an approval may take before another agent may
// approve the action again: longer than any call to the order system, so
// that only an approver that crashed mid-way is taken over.
const ClaimTimeout = 10 * time.Minute

// ReturnPeriod is how long after delivery a customer may return an order
// without an agent's approval (the Dutch statutory 14 days, plus the
// 14 days to send it back).
const ReturnPeriod = 28 * 24 * time.Hour

// FieldType is the type of an input field.
type FieldType string

const (
	FieldOrder FieldType = "order" // an order number
	FieldText  FieldType = "text"
	FieldEmail FieldType = "email"
	FieldPhone FieldType = "phone"
)

// Field is one input of an action.
type Field struct {
	Name     string    `json:"name"`
	Type     FieldType `json:"type"`
	Required bool      `json:"required"`
	Max      int       `json:"max"` // characters
}

// Spec describes an action: what it takes and whether it may wait for an
// agent.
type Spec struct {
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
	// Approval says when an agent must approve it ("" never).
	Approval string `json:"approval,omitempty"`
}

var specs = []Spec{
	{Name: OrderStatus, Fields: []Field{{"order", FieldOrder, true, commerce.MaxNumber},
		// A visitor balie does not know proves the order is theirs with
		// its postal code.
		{"postal_code", FieldText, false, 16}}},
	{Name: ChangeAddress, Fields: []Field{{"order", FieldOrder, true, commerce.MaxNumber},
		{"name", FieldText, false, 200}, {"street", FieldText, true, 200}, {"postal_code", FieldText, true, 16},
		{"city", FieldText, true, 100}, {"country", FieldText, false, 2}}},
	{Name: CancelOrder, Fields: []Field{{"order", FieldOrder, true, commerce.MaxNumber}},
		Approval: "after shipping, unless an agent runs it"},
	{Name: StartReturn, Fields: []Field{{"order", FieldOrder, true, commerce.MaxNumber},
		{"reason", FieldText, true, 300}},
		Approval: "more than 28 days after delivery, unless an agent runs it"},
	{Name: UpdateContact, Fields: []Field{{"name", FieldText, false, 200}, {"email", FieldEmail, false, 254},
		{"phone", FieldPhone, false, 32}}},
	{Name: Invoice, Fields: []Field{{"order", FieldOrder, true, commerce.MaxNumber}}},
}

// Specs lists the catalogue, for forms and the API.
func Specs() []Spec { return slices.Clone(specs) }

func specOf(name string) (Spec, bool) {
	for _, s := range specs {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Actor is who runs an action, and for whom.
type Actor struct {
	Kind desk.ActorKind
	// ID is the agent's id (agents), the contact's (customers), 0 (bot).
	ID int64
	// ContactID is whose data the action may touch: the identified
	// customer themselves (0: a visitor balie does not know), the
	// conversation's contact for the bot, the contact in view for an
	// agent (required for update_contact).
	ContactID      int64
	ConversationID int64
	Locale         string // of the messages; "" nl
}

// Outcome is how an action went.
type Outcome struct {
	Log desk.ActionLog
	OK  bool
	// Pending: it waits for an agent's approval.
	Pending bool
	// Message says what happened, in the actor's locale, for the customer
	// (or the agent's note).
	Message string
	// Handover: offer the customer a colleague (the action failed).
	Handover bool
	Order    *desk.Order // the order after the action, when there is one
	URL      string      // the return label or the invoice
}

// Catalogue runs the actions. It keeps no state of its own and is safe for
// concurrent use.
type Catalogue struct {
	st    Store
	conn  commerce.Connector
	clock desk.Clock
}

// New returns the catalogue, acting on orders through conn.
func New(st Store, conn commerce.Connector, clock desk.Clock) *Catalogue {
	if clock == nil {
		clock = desk.SystemClock{}
	}
	return &Catalogue{st: st, conn: conn, clock: clock}
}

// Connector is the order system the catalogue acts on.
func (c *Catalogue) Connector() commerce.Connector { return c.conn }

// input is an action's checked input.
type input map[string]string

// check validates raw against the action's fields: unknown fields,
// missing required ones, lengths and types are desk.ValidationErrors.
func check(s Spec, raw map[string]string) (input, error) {
	in := input{}
	for k := range raw {
		if !slices.ContainsFunc(s.Fields, func(f Field) bool { return f.Name == k }) {
			return nil, desk.Invalid(k, "unknown field")
		}
	}
	for _, f := range s.Fields {
		v := strings.TrimSpace(raw[f.Name])
		switch {
		case v == "" && f.Required:
			return nil, desk.Invalid(f.Name, "required")
		case v == "":
			continue
		case len([]rune(v)) > f.Max:
			return nil, desk.Invalid(f.Name, fmt.Sprintf("at most %d characters", f.Max))
		}
		switch f.Type {
		case FieldOrder:
			n, err := commerce.NormalizeNumber(v)
			if err != nil {
				return nil, desk.Invalid(f.Name, "not an order number")
			}
			v = n
		case FieldEmail:
			a, err := mail.ParseAddress(v)
			if err != nil || a.Name != "" {
				return nil, desk.Invalid(f.Name, "not an email address")
			}
			v = a.Address
		case FieldPhone:
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, v)
			if len(digits) < 8 || strings.Trim(v, "+0123456789 -()") != "" {
				return nil, desk.Invalid(f.Name, "not a phone number")
			}
		}
		in[f.Name] = v
	}
	return in, nil
}

// errDenied: the actor may not run the action on this order or contact.
var errDenied = fmt.Errorf("selfservice: %w", desk.ErrForbidden)

// Run runs an action for by. Invalid input (a desk.ValidationError) and
// an unknown action (desk.ErrNotFound) are errors and leave no record;
// everything else, also a refusal or a failure of the order system, is an
// Outcome, recorded in the audit trail.
func (c *Catalogue) Run(ctx context.Context, name string, by Actor, raw map[string]string) (*Outcome, error) {
	spec, ok := specOf(name)
	if !ok {
		return nil, fmt.Errorf("selfservice: action %.40q: %w", name, desk.ErrNotFound)
	}
	in, err := check(spec, raw)
	if err != nil {
		return nil, fmt.Errorf("selfservice: %s: %w", name, err)
	}
	log := desk.ActionLog{Action: name, ActorKind: by.Kind, ActorID: by.ID, ContactID: by.ContactID,
		ConversationID: by.ConversationID, OrderNumber: in["order"], Input: jsonText(in), CreatedAt: c.clock.Now()}
	out := &Outcome{}
	var o *desk.Order
	if in["order"] != "" {
		o, err = c.orderFor(ctx, by, in["order"], name == OrderStatus, in["postal_code"])
	} else if by.ContactID == 0 || by.Kind == desk.ActorCustomer && by.ID != by.ContactID {
		err = errDenied
	}
	if err == nil && o != nil && by.Kind != desk.ActorAgent && needsApproval(name, o, c.clock.Now()) {
		out.Pending, out.Order = true, o
		out.Message = text(by.Locale, "pending."+name, o.Number)
		// Asking again (a second click, the bot and the portal both)
		// adds nothing for agents to sort out: the request waits once.
		if prev, err := c.pendingLike(ctx, name, o.Number, by.ContactID); err != nil {
			return nil, fmt.Errorf("selfservice: %s: %w", name, err)
		} else if prev != nil {
			out.Log = *prev
			return out, nil
		}
		log.State = desk.ActionPending
		log.Result = out.Message
		if err := c.st.CreateActionLog(ctx, &log); err != nil {
			return nil, fmt.Errorf("selfservice: %s: %w", name, err)
		}
		out.Log = log
		return out, nil
	}
	if err == nil {
		err = c.execute(ctx, name, by, in, o, out)
	}
	c.finish(by.Locale, in["order"], name, err, &log, out)
	if err := c.st.CreateActionLog(ctx, &log); err != nil {
		return nil, fmt.Errorf("selfservice: %s: %w", name, err)
	}
	out.Log = log
	return out, nil
}

// pendingLike is the contact's request for the same action on the same
// order that still waits for an agent, if any.
func (c *Catalogue) pendingLike(ctx context.Context, name, number string, contactID int64) (*desk.ActionLog, error) {
	ls, err := c.st.ListActionLogs(ctx, desk.ActionLogQuery{ContactID: contactID, State: desk.ActionPending, Limit: 500})
	if err != nil {
		return nil, err
	}
	for i := range ls {
		if ls[i].Action == name && ls[i].OrderNumber == number {
			return &ls[i], nil
		}
	}
	return nil, nil
}

// finish fills the record and the outcome from how the action went.
func (c *Catalogue) finish(locale, number, name string, err error, log *desk.ActionLog, out *Outcome) {
	if err == nil {
		log.State, out.OK = desk.ActionDone, true
		log.Result = out.Message
		return
	}
	log.State, log.Error = desk.ActionFailed, err.Error()
	if errors.Is(err, desk.ErrForbidden) {
		log.State = desk.ActionDenied
	}
	out.Message = failure(locale, name, number, err) + " " + text(locale, "handover")
	out.Handover = true
	log.Result = out.Message
}

// failure explains err to the customer.
func failure(locale, name, number string, err error) string {
	var ve *desk.ValidationError
	var ce conflictError
	switch {
	case errors.As(err, &ce):
		return text(locale, "fail.conflict."+name, number, text(locale, "word."+string(ce.status)))
	case errors.Is(err, desk.ErrTemporary):
		return text(locale, "fail.unavailable")
	case errors.Is(err, desk.ErrForbidden) && number != "":
		// Whether the order exists is not told to someone it is not for.
		return text(locale, "fail.not_found", number)
	case errors.Is(err, desk.ErrForbidden):
		return text(locale, "fail.denied")
	case name == Invoice && errors.Is(err, errNoInvoice):
		return text(locale, "fail.no_invoice", number)
	case errors.Is(err, desk.ErrNotFound):
		return text(locale, "fail.not_found", number)
	case errors.As(err, &ve):
		return Explain(locale, ve)
	}
	return text(locale, "fail.other")
}

// conflictError is a change the order's status does not allow.
type conflictError struct {
	status desk.OrderStatus
	err    error
}

func (e conflictError) Error() string { return e.err.Error() }
func (e conflictError) Unwrap() error { return e.err }

var errNoInvoice = fmt.Errorf("no invoice: %w", desk.ErrNotFound)

// orderFor finds the order the actor may act on. Agents may act on any;
// the customer and the bot only on the contact's own orders, as the order
// system lists them; a visitor balie does not know only asks the status,
// with the order's postal code. An order that is not the actor's is
// ErrForbidden (the customer is told the same as for a wrong number).
func (c *Catalogue) orderFor(ctx context.Context, by Actor, number string, statusOnly bool, postal string) (*desk.Order, error) {
	switch {
	case by.Kind == desk.ActorAgent:
		return c.conn.Order(ctx, number)
	case by.Kind == desk.ActorCustomer && by.ContactID != 0 && by.ID != by.ContactID:
		return nil, errDenied // a customer acts for themselves only
	case by.ContactID == 0:
		if !statusOnly || postal == "" {
			return nil, errDenied
		}
		o, err := c.conn.Order(ctx, number)
		if errors.Is(err, desk.ErrNotFound) {
			return nil, errDenied
		}
		if err != nil {
			return nil, err
		}
		if commerce.NormalizePostalCode(o.Address.PostalCode) != commerce.NormalizePostalCode(postal) {
			return nil, errDenied
		}
		return o, nil
	}
	ct, err := c.st.ContactByID(ctx, by.ContactID)
	if err != nil {
		return nil, err
	}
	os, err := c.conn.OrdersOf(ctx, proven(*ct))
	if err != nil {
		return nil, err
	}
	for i := range os {
		if os[i].Number == number {
			return &os[i], nil
		}
	}
	if statusOnly && postal != "" && by.Kind == desk.ActorBot {
		// The chat's visitor may be known by nothing that proves an order
		// theirs: as anyone, they may ask the status with the order's
		// postal code. A customer logged in to the portal or the widget
		// acts on their own orders only, so that their login is no base
		// for guessing others' postal codes.
		return c.orderFor(ctx, Actor{Kind: by.Kind}, number, statusOnly, postal)
	}
	// Not theirs, or no such order: the customer hears "not found with
	// your details" either way.
	return nil, fmt.Errorf("selfservice: order %s is not among contact %d's: %w", number, by.ContactID, desk.ErrNotFound)
}

// OrdersOf lists a customer's own orders, for the portal and the widget:
// the order system is asked with only what a verified identity of the
// contact backs (see proven), as every action the customer runs is.
func (c *Catalogue) OrdersOf(ctx context.Context, contactID int64) ([]desk.Order, error) {
	ct, err := c.st.ContactByID(ctx, contactID)
	if err != nil {
		return nil, fmt.Errorf("selfservice: orders of %d: %w", contactID, err)
	}
	os, err := c.conn.OrdersOf(ctx, proven(*ct))
	if err != nil {
		return nil, fmt.Errorf("selfservice: orders of %d: %w", contactID, err)
	}
	return os, nil
}

// proven is the contact as the order system may see it when the customer
// or the bot acts: an email address or phone number only when a verified
// identity of the contact backs it. Anyone can type an address into the web
// chat's details form, and an order system that knows its customers by
// email would otherwise hand that browser someone else's orders.
func proven(ct desk.Contact) desk.Contact {
	verified := func(kind desk.IdentityKind, v string) bool {
		return slices.ContainsFunc(ct.Identities, func(id desk.Identity) bool {
			return id.Verified && id.Kind == kind && handle(id.Value) == handle(v)
		})
	}
	first := func(kind desk.IdentityKind) string {
		for _, id := range ct.Identities {
			if id.Verified && id.Kind == kind {
				return id.Value
			}
		}
		return ""
	}
	// The details shown may be ones the customer typed since (update my
	// details): the order system is asked by a proven address instead.
	if !verified(desk.IdentityEmail, ct.Email) {
		ct.Email = first(desk.IdentityEmail)
	}
	if !verified(desk.IdentityPhone, ct.Phone) {
		ct.Phone = first(desk.IdentityPhone)
	}
	return ct
}

// handle compares email addresses without case and phone numbers by their
// digits.
func handle(v string) string {
	if strings.Contains(v, "@") {
		return strings.ToLower(strings.TrimSpace(v))
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, v)
}

// needsApproval: a cancellation after shipping, a return after the return
// period.
func needsApproval(name string, o *desk.Order, now time.Time) bool {
	switch name {
	case CancelOrder:
		return o.Status == desk.OrderShipped
	case StartReturn:
		return o.Status == desk.OrderDelivered && !o.UpdatedAt.IsZero() && now.Sub(o.UpdatedAt) > ReturnPeriod
	}
	return false
}

// execute carries the action out and fills out's message, order and URL.
func (c *Catalogue) execute(ctx context.Context, name string, by Actor, in input, o *desk.Order, out *Outcome) error {
	loc := by.Locale
	switch name {
	case OrderStatus:
		out.Order = o
		out.Message = statusText(loc, o)
	case ChangeAddress:
		if !commerce.Changeable(o.Status) {
			return conflictError{o.Status, fmt.Errorf("selfservice: order %s is %s: %w", o.Number, o.Status, desk.ErrConflict)}
		}
		n, err := c.conn.ChangeAddress(ctx, o.Number, desk.Address{Name: in["name"], Street: in["street"],
			PostalCode: in["postal_code"], City: in["city"], Country: in["country"]})
		if err != nil {
			return conflictOf(o, err)
		}
		out.Order = n
		a := n.Address
		out.Message = text(loc, "address_changed", n.Number, fmt.Sprintf("%s, %s %s", a.Street, a.PostalCode, a.City))
	case CancelOrder:
		if !commerce.Cancellable(o.Status) {
			return conflictError{o.Status, fmt.Errorf("selfservice: order %s is %s: %w", o.Number, o.Status, desk.ErrConflict)}
		}
		n, err := c.conn.Cancel(ctx, o.Number)
		if err != nil {
			return conflictOf(o, err)
		}
		out.Order, out.Message = n, text(loc, "cancelled", n.Number)
	case StartReturn:
		if !commerce.Returnable(o.Status) {
			return conflictError{o.Status, fmt.Errorf("selfservice: order %s is %s: %w", o.Number, o.Status, desk.ErrConflict)}
		}
		label, err := c.conn.StartReturn(ctx, o.Number, in["reason"])
		if err != nil {
			return conflictOf(o, err)
		}
		out.URL, out.Message = label, text(loc, "return_started", o.Number, label)
	case Invoice:
		url, err := c.conn.Invoice(ctx, o.Number)
		if errors.Is(err, desk.ErrNotFound) {
			return fmt.Errorf("selfservice: %w: %w", errNoInvoice, err)
		}
		if err != nil {
			return err
		}
		out.Order, out.URL, out.Message = o, url, text(loc, "invoice", o.Number, url)
	case UpdateContact:
		return c.updateContact(ctx, by, in, out)
	}
	return nil
}

// conflictOf keeps the order system's "not possible any more" as a
// conflict with the status the customer should hear.
func conflictOf(o *desk.Order, err error) error {
	if errors.Is(err, desk.ErrConflict) {
		return conflictError{o.Status, err}
	}
	return err
}

func statusText(loc string, o *desk.Order) string {
	carrier := o.Carrier
	if carrier == "" {
		carrier = text(loc, "word.carrier")
	}
	var msg string
	if o.Status == desk.OrderShipped {
		msg = text(loc, "status.shipped", o.Number, carrier)
	} else {
		msg = text(loc, "status."+string(o.Status), o.Number)
	}
	if o.TrackingURL != "" && (o.Status == desk.OrderShipped || o.Status == desk.OrderDelivered) {
		msg += " " + text(loc, "track", o.TrackingURL)
	}
	return msg
}

// updateContact changes the name, email or phone of the contact.
func (c *Catalogue) updateContact(ctx context.Context, by Actor, in input, out *Outcome) error {
	if in["name"] == "" && in["email"] == "" && in["phone"] == "" {
		return desk.Invalid("", "give a name, email or phone")
	}
	ct, err := c.st.ContactByID(ctx, by.ContactID)
	if err != nil {
		return err
	}
	if v := in["name"]; v != "" {
		ct.Name = v
	}
	if v := in["email"]; v != "" {
		ct.Email = v
	}
	if v := in["phone"]; v != "" {
		ct.Phone = v
	}
	ct.UpdatedAt = c.clock.Now()
	if err := c.st.UpdateContact(ctx, ct); err != nil {
		return err
	}
	out.Message = text(by.Locale, "contact_updated")
	return nil
}

// Decide approves or rejects a pending action as the agent. Approval first
// claims the record (so that two agents approving at once cannot both
// carry it out), then runs the action as the agent would (no second
// approval); the record becomes approved, or failed when the order system
// refuses. A record that is not pending is desk.ErrConflict.
func (c *Catalogue) Decide(ctx context.Context, logID, agentID int64, approve bool, locale string) (*Outcome, error) {
	l, err := c.st.ActionLogByID(ctx, logID)
	if err != nil {
		return nil, fmt.Errorf("selfservice: decide %d: %w", logID, err)
	}
	now := c.clock.Now()
	// An approval that stalled (its approver crashed) may be approved again.
	stalled := l.State == desk.ActionApproving && l.DecidedAt.Before(now.Add(-ClaimTimeout))
	if l.State != desk.ActionPending && !(approve && stalled) {
		return nil, fmt.Errorf("selfservice: decide %d: it is %s: %w", logID, l.State, desk.ErrConflict)
	}
	var in input
	if err := json.Unmarshal([]byte(l.Input), &in); err != nil {
		return nil, fmt.Errorf("selfservice: decide %d: input: %w", logID, err)
	}
	out := &Outcome{}
	dec := desk.ActionLog{ID: l.ID, DecidedBy: agentID, DecidedAt: now}
	if !approve {
		dec.State = desk.ActionRejected
		out.Message = text(locale, "rejected", l.OrderNumber)
		out.Handover = true
	} else {
		claim := desk.ActionLog{ID: l.ID, DecidedBy: agentID, DecidedAt: now}
		if err := c.st.ClaimActionLog(ctx, &claim, now.Add(-ClaimTimeout)); err != nil {
			return nil, fmt.Errorf("selfservice: decide %d: %w", logID, err)
		}
		by := Actor{Kind: desk.ActorAgent, ID: agentID, ContactID: l.ContactID, ConversationID: l.ConversationID,
			Locale: locale}
		o, err := c.conn.Order(ctx, l.OrderNumber)
		if err == nil {
			err = c.execute(ctx, l.Action, by, in, o, out)
		}
		if err == nil {
			dec.State, out.OK = desk.ActionApproved, true
			out.Message = text(locale, "approved") + " " + out.Message
		} else {
			dec.State, dec.Error = desk.ActionFailed, err.Error()
			out.Message, out.Handover = failure(locale, l.Action, l.OrderNumber, err), true
		}
	}
	dec.Result = out.Message
	// The outcome is recorded even when the request that approved it is
	// gone: the order system has acted.
	if err := c.st.DecideActionLog(context.WithoutCancel(ctx), &dec); err != nil {
		return nil, fmt.Errorf("selfservice: decide %d: %w", logID, err)
	}
	l.State, l.Result, l.Error, l.DecidedBy, l.DecidedAt = dec.State, dec.Result, dec.Error, dec.DecidedBy, dec.DecidedAt
	out.Log = *l
	return out, nil
}

// Log lists the audit trail.
func (c *Catalogue) Log(ctx context.Context, q desk.ActionLogQuery) ([]desk.ActionLog, error) {
	ls, err := c.st.ListActionLogs(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("selfservice: log: %w", err)
	}
	return ls, nil
}

func jsonText(in input) string {
	b, err := json.Marshal(in)
	if err != nil {
		return "{}" // a map of strings always marshals
	}
	return string(b)
}
