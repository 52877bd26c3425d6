package commerce

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/webhooksig"
)

// HTTP is the company's own order system behind one HTTPS endpoint: balie
// POSTs a JSON request naming the action, signed like its webhooks
// (webhooksig, event "commerce.<action>"), and reads a JSON answer
// (docs/commerce.md). Reads are cached for a short TTL, so that a panel,
// the bot and a flow asking about one order in the same minute cost one
// call; every change drops the cache.
type HTTP struct {
	url    string
	secret string
	client *http.Client
	clock  desk.Clock
	ttl    time.Duration

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	orders  []desk.Order
	expires time.Time
}

// HTTPOptions configure the HTTP connector.
type HTTPOptions struct {
	URL    string // the company's endpoint
	Secret string // the HMAC key the company verifies requests with
	// Client makes the calls; nil: one with a 10 s timeout. Use
	// safehttp's client where the URL is not trusted.
	Client *http.Client
	Clock  desk.Clock
	TTL    time.Duration // how long answers are cached; 0: 60 s, <0: none
}

// Limits of the HTTP connector.
const (
	maxAnswer    = 1 << 20 // bytes of an answer
	maxCached    = 1024    // entries, then the cache starts over
	defaultTTL   = time.Minute
	signedEvents = "commerce."
)

// NewHTTP returns the connector for the endpoint in opts.
func NewHTTP(opts HTTPOptions) (*HTTP, error) {
	if opts.URL == "" {
		return nil, fmt.Errorf("commerce: new http connector: %w", desk.Invalid("url", "an endpoint URL is required"))
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Clock == nil {
		opts.Clock = desk.SystemClock{}
	}
	if opts.TTL == 0 {
		opts.TTL = defaultTTL
	}
	return &HTTP{url: opts.URL, secret: opts.Secret, client: opts.Client, clock: opts.Clock, ttl: opts.TTL,
		cache: map[string]cached{}}, nil
}

var _ Connector = (*HTTP)(nil)

// Request is what balie sends to the company's endpoint.
type Request struct {
	Action  string        `json:"action"` // orders_of, order, change_address, cancel, start_return, invoice
	Contact *ContactJSON  `json:"contact,omitempty"`
	Number  string        `json:"number,omitempty"`
	Address *desk.Address `json:"address,omitempty"`
	Reason  string        `json:"reason,omitempty"`
}

// ContactJSON is how balie names the customer to the company.
type ContactJSON struct {
	ID    int64  `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Answer is what the company's endpoint answers; which field is set
// depends on the action. Error is a short explanation with a 4xx status.
type Answer struct {
	Orders     []OrderJSON `json:"orders,omitempty"`
	Order      *OrderJSON  `json:"order,omitempty"`
	LabelURL   string      `json:"label_url,omitempty"`
	InvoiceURL string      `json:"invoice_url,omitempty"`
	Error      string      `json:"error,omitempty"`
}

// call POSTs req and decodes the answer. 404, 409 and 422 are the
// company's "no such order", "not possible any more" and "bad input";
// anything else that is not 200 with JSON is ErrUnavailable.
func (h *HTTP) call(ctx context.Context, req Request) (*Answer, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("commerce: %s: %w", req.Action, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("commerce: %s: %w", req.Action, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	id := make([]byte, 8)
	rand.Read(id)
	webhooksig.Sign(hr.Header, h.secret, signedEvents+req.Action, hex.EncodeToString(id), h.clock.Now(), body)
	resp, err := h.client.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("commerce: %s: %w", req.Action, ctx.Err())
		}
		// The URL may carry a key: say what failed, not where.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("commerce: %s: %v: %w", req.Action, err, ErrUnavailable)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("commerce: %s: read answer: %v: %w", req.Action, err, ErrUnavailable)
	}
	if len(raw) > maxAnswer {
		return nil, fmt.Errorf("commerce: %s: answer over %d bytes: %w", req.Action, maxAnswer, ErrUnavailable)
	}
	var a Answer
	jsonErr := json.Unmarshal(raw, &a)
	var sentinel error
	switch resp.StatusCode {
	case http.StatusOK:
		if jsonErr != nil {
			return nil, fmt.Errorf("commerce: %s: bad answer: %v: %w", req.Action, jsonErr, ErrUnavailable)
		}
		return &a, nil
	case http.StatusNotFound:
		sentinel = desk.ErrNotFound
	case http.StatusConflict:
		sentinel = desk.ErrConflict
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		sentinel = desk.ErrInvalid
	default:
		return nil, fmt.Errorf("commerce: %s: status %d: %w", req.Action, resp.StatusCode, ErrUnavailable)
	}
	msg := a.Error
	if len(msg) > 200 {
		msg = msg[:200]
	}
	if msg == "" {
		msg = strconv.Itoa(resp.StatusCode)
	}
	return nil, fmt.Errorf("commerce: %s: %s: %w", req.Action, msg, sentinel)
}

func (h *HTTP) cached(key string) ([]desk.Order, bool) {
	if h.ttl < 0 {
		return nil, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.cache[key]
	if !ok || !h.clock.Now().Before(e.expires) {
		return nil, false
	}
	return cloneOrders(e.orders), true
}

func (h *HTTP) remember(key string, os []desk.Order) {
	if h.ttl < 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.cache) >= maxCached {
		clear(h.cache)
	}
	h.cache[key] = cached{orders: cloneOrders(os), expires: h.clock.Now().Add(h.ttl)}
}

// forget drops every cached answer: a change to one order shows in the
// lists it is on too.
func (h *HTTP) forget() {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.cache)
}

// cloneOrders copies orders so that callers cannot change the cache's.
func cloneOrders(os []desk.Order) []desk.Order {
	out := make([]desk.Order, len(os))
	for i, o := range os {
		o.Items = append([]desk.OrderItem(nil), o.Items...)
		out[i] = o
	}
	return out
}

// order checks an order from the company's answer.
func order(action string, j *OrderJSON) (desk.Order, error) {
	if j == nil {
		return desk.Order{}, fmt.Errorf("commerce: %s: answer without order: %w", action, ErrUnavailable)
	}
	o := j.Order()
	o.ContactID = 0 // the company's answer does not decide whom balie shows it to
	if err := CheckOrder(&o); err != nil {
		return o, fmt.Errorf("commerce: %s: bad order in answer: %v: %w", action, err, ErrUnavailable)
	}
	return o, nil
}

// OrdersOf asks for the contact's orders.
func (h *HTTP) OrdersOf(ctx context.Context, c desk.Contact) ([]desk.Order, error) {
	// The handles are part of the key: the same contact is named with its
	// address to an agent and without an unproven one to the bot.
	key := "c:" + strconv.FormatInt(c.ID, 10) + "\x00" + c.Email + "\x00" + c.Phone
	if os, ok := h.cached(key); ok {
		return os, nil
	}
	a, err := h.call(ctx, Request{Action: "orders_of",
		Contact: &ContactJSON{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone}})
	if err != nil {
		return nil, err
	}
	out := make([]desk.Order, 0, len(a.Orders))
	for i := range a.Orders {
		o, err := order("orders_of", &a.Orders[i])
		if err != nil {
			return nil, err
		}
		o.ContactID = c.ID
		out = append(out, o)
	}
	h.remember(key, out)
	return out, nil
}

func (h *HTTP) Order(ctx context.Context, number string) (*desk.Order, error) {
	n, err := NormalizeNumber(number)
	if err != nil {
		return nil, fmt.Errorf("commerce: order: %w", err)
	}
	key := "o:" + n
	if os, ok := h.cached(key); ok {
		return &os[0], nil
	}
	a, err := h.call(ctx, Request{Action: "order", Number: n})
	if err != nil {
		return nil, err
	}
	o, err := order("order", a.Order)
	if err != nil {
		return nil, err
	}
	h.remember(key, []desk.Order{o})
	return &o, nil
}

// changed runs a change and returns the order the company answers with.
func (h *HTTP) changed(ctx context.Context, req Request) (*desk.Order, error) {
	n, err := NormalizeNumber(req.Number)
	if err != nil {
		return nil, fmt.Errorf("commerce: %s: %w", req.Action, err)
	}
	req.Number = n
	defer h.forget()
	a, err := h.call(ctx, req)
	if err != nil {
		return nil, err
	}
	o, err := order(req.Action, a.Order)
	if err != nil {
		return nil, err
	}
	return &o, nil
}

func (h *HTTP) ChangeAddress(ctx context.Context, number string, addr desk.Address) (*desk.Order, error) {
	addr, err := CheckAddress(addr)
	if err != nil {
		return nil, fmt.Errorf("commerce: change address: %w", err)
	}
	return h.changed(ctx, Request{Action: "change_address", Number: number, Address: &addr})
}

func (h *HTTP) Cancel(ctx context.Context, number string) (*desk.Order, error) {
	return h.changed(ctx, Request{Action: "cancel", Number: number})
}

func (h *HTTP) StartReturn(ctx context.Context, number, reason string) (string, error) {
	n, err := NormalizeNumber(number)
	if err != nil {
		return "", fmt.Errorf("commerce: start return: %w", err)
	}
	defer h.forget()
	a, err := h.call(ctx, Request{Action: "start_return", Number: n, Reason: reason})
	if err != nil {
		return "", err
	}
	if a.LabelURL == "" {
		return "", fmt.Errorf("commerce: start return: answer without label_url: %w", ErrUnavailable)
	}
	return a.LabelURL, nil
}

func (h *HTTP) Invoice(ctx context.Context, number string) (string, error) {
	n, err := NormalizeNumber(number)
	if err != nil {
		return "", fmt.Errorf("commerce: invoice: %w", err)
	}
	a, err := h.call(ctx, Request{Action: "invoice", Number: n})
	if err != nil {
		return "", err
	}
	if a.InvoiceURL == "" {
		return "", fmt.Errorf("commerce: invoice of %s: %w", n, desk.ErrNotFound)
	}
	return a.InvoiceURL, nil
}
