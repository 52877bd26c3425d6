package desk

import (
	"context"
	"time"
)

// Commerce: the customer's orders and subscriptions, as the company's own
// systems know them (through a connector, or pushed into balie's built-in
// order store), and the audit trail of the self-service actions run on them.

// OrderStatus is where an order stands.
type OrderStatus string

const (
	OrderPlaced    OrderStatus = "placed"
	OrderPaid      OrderStatus = "paid"
	OrderShipped   OrderStatus = "shipped"
	OrderDelivered OrderStatus = "delivered"
	OrderCancelled OrderStatus = "cancelled"
	OrderReturned  OrderStatus = "returned"
)

// KnownOrderStatus reports whether s is a status balie knows.
func KnownOrderStatus(s OrderStatus) bool {
	switch s {
	case OrderPlaced, OrderPaid, OrderShipped, OrderDelivered, OrderCancelled, OrderReturned:
		return true
	}
	return false
}

// OrderItem is one line of an order. Prices are in cents of the order's
// currency.
type OrderItem struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	Qty        int    `json:"qty"`
	PriceCents int64  `json:"price_cents"`
}

// Address is a delivery address.
type Address struct {
	Name       string `json:"name,omitempty"`
	Street     string `json:"street"` // street and house number
	PostalCode string `json:"postal_code"`
	City       string `json:"city"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2, "NL"
}

// Order is one order of a customer. Number is the company's order number
// ("DS-2026-1187"), unique; ContactID is 0 while the customer is unknown
// to balie.
type Order struct {
	ID          int64
	ContactID   int64
	Number      string
	Status      OrderStatus
	Items       []OrderItem
	Currency    string // ISO 4217, "EUR"
	TotalCents  int64
	Address     Address
	Carrier     string
	TrackingURL string
	InvoiceURL  string
	// ReturnReason and ReturnLabelURL are set when a return was started.
	ReturnReason   string
	ReturnLabelURL string
	PlacedAt       time.Time
	UpdatedAt      time.Time
}

// Subscription is a recurring purchase (a service plan, a lease).
// Reference is the company's id for it, unique.
type Subscription struct {
	ID        int64
	ContactID int64
	Reference string
	Plan      string
	Status    string // "active", "paused", "cancelled": the company's words
	RenewsAt  time.Time
	UpdatedAt time.Time
}

// ActorKind is who ran a self-service action.
type ActorKind string

const (
	ActorCustomer ActorKind = "customer" // the identified customer (portal, widget)
	ActorBot      ActorKind = "bot"      // the bot or a flow, for a conversation's contact
	ActorAgent    ActorKind = "agent"
)

// ActionState is how a self-service action ended, or where it waits.
type ActionState string

const (
	ActionDone     ActionState = "done"
	ActionFailed   ActionState = "failed"
	ActionDenied   ActionState = "denied"   // the actor may not run it
	ActionPending  ActionState = "pending"  // waits for an agent's approval
	ActionApproved ActionState = "approved" // an agent approved it and it ran
	// ActionApproving: an agent approved it and it is being carried out;
	// no one else can decide it meanwhile.
	ActionApproving ActionState = "approving"
	ActionRejected  ActionState = "rejected" // an agent rejected it
)

// ActionLog is the audit record of one self-service action.
type ActionLog struct {
	ID             int64
	Action         string // "cancel_order"
	ActorKind      ActorKind
	ActorID        int64 // agent id, or contact id for a customer; 0 for the bot
	ContactID      int64 // whose data it touched
	ConversationID int64
	OrderNumber    string
	Input          string // the input, JSON
	Result         string // what the customer or agent was told
	Error          string // what went wrong, for agents
	State          ActionState
	DecidedBy      int64 // the agent who approved or rejected
	DecidedAt      time.Time
	CreatedAt      time.Time
}

// ActionLogQuery filters the audit trail; zero fields do not filter.
type ActionLogQuery struct {
	ContactID      int64
	ConversationID int64
	State          ActionState
	Limit          int // default 50, at most 500
}

// CommerceStore keeps the built-in order store and the action audit trail.
type CommerceStore interface {
	// PutOrder inserts the order, or replaces the one with its Number
	// (keeping that one's ID), and sets o.ID. A zero PlacedAt becomes now,
	// as does a zero UpdatedAt. An unknown ContactID is ErrNotFound.
	PutOrder(ctx context.Context, o *Order) error
	OrderByNumber(ctx context.Context, number string) (*Order, error)
	// OrdersOfContact lists a contact's orders, newest placed first (ties
	// by ID, newest first); limit <= 0 is 50.
	OrdersOfContact(ctx context.Context, contactID int64, limit int) ([]Order, error)
	// PutSubscription inserts or replaces by Reference, like PutOrder.
	PutSubscription(ctx context.Context, s *Subscription) error
	// SubscriptionsOfContact lists a contact's subscriptions by ID.
	SubscriptionsOfContact(ctx context.Context, contactID int64) ([]Subscription, error)
	// CreateActionLog stores a record and sets ID, a zero CreatedAt to now.
	CreateActionLog(ctx context.Context, l *ActionLog) error
	// ClaimActionLog moves a pending record to approving for the agent
	// l.DecidedBy at l.DecidedAt, so that only they carry it out. A record
	// that is approving since before stale (an approver that crashed
	// mid-way) may be claimed again. Anything else is ErrConflict; a
	// missing record ErrNotFound.
	ClaimActionLog(ctx context.Context, l *ActionLog, stale time.Time) error
	// DecideActionLog moves a pending record, or one approving by
	// l.DecidedBy, to state (approved, rejected, failed) with result, error
	// text, who decided and when. Any other record is ErrConflict, so that
	// two agents cannot both decide; a missing one ErrNotFound.
	DecideActionLog(ctx context.Context, l *ActionLog) error
	ActionLogByID(ctx context.Context, id int64) (*ActionLog, error)
	// ListActionLogs is newest first (ties by ID).
	ListActionLogs(ctx context.Context, q ActionLogQuery) ([]ActionLog, error)
}
