package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balie-dev/balie/internal/channel/webchat"
	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/idtoken"
	"github.com/balie-dev/balie/internal/selfservice"
)

// The self-service actions from the three places a person runs them: the
// customer in the help-center portal and in the widget's "My orders", and
// the agent's one-click buttons beside the conversation. Each case seeds its
// own order, runs the action in the browser, and checks what the person
// sees and what the order system (balie's built-in one) stored.

const ssSecret = "shop-identity-secret-for-e2e"

// ssCase is one action and what it must leave.
type ssCase struct {
	name   string
	action string
	order  desk.Order        // seeded; Number gets the surface's prefix
	input  map[string]string // besides the order number
	// see is text the surface must show (any language); "" checks only
	// the stored effect. "{n}" is the order number.
	see string
	// pending: a customer's run waits for an agent (agents run it).
	pending bool
	stored  func(o *desk.Order, c *desk.Contact, byAgent bool) error
}

func ssCases() []ssCase {
	addr := desk.Address{Street: "Dorpsstraat 1", PostalCode: "6711 AA", City: "Ede", Country: "NL"}
	status := func(want desk.OrderStatus) func(o *desk.Order, _ *desk.Contact, _ bool) error {
		return func(o *desk.Order, _ *desk.Contact, _ bool) error {
			if o.Status != want {
				return fmt.Errorf("order status = %s, want %s", o.Status, want)
			}
			return nil
		}
	}
	return []ssCase{
		{name: "order status", action: selfservice.OrderStatus,
			order: desk.Order{Status: desk.OrderShipped, Carrier: "PostNL", Address: addr},
			see:   "PostNL", stored: status(desk.OrderShipped)},
		{name: "change delivery address", action: selfservice.ChangeAddress,
			order: desk.Order{Status: desk.OrderPaid, Address: addr},
			input: map[string]string{"street": "Nieuwe Gracht 5", "postal_code": "3512 AB", "city": "Utrecht"},
			see:   "Nieuwe Gracht 5",
			stored: func(o *desk.Order, _ *desk.Contact, _ bool) error {
				if o.Address.Street != "Nieuwe Gracht 5" || o.Address.City != "Utrecht" {
					return fmt.Errorf("address = %+v, want Nieuwe Gracht 5, Utrecht", o.Address)
				}
				return nil
			}},
		{name: "cancel before shipping", action: selfservice.CancelOrder,
			order: desk.Order{Status: desk.OrderPaid, Address: addr}, see: "{n}", stored: status(desk.OrderCancelled)},
		{name: "cancel after shipping", action: selfservice.CancelOrder,
			order: desk.Order{Status: desk.OrderShipped, Carrier: "DHL", Address: addr}, see: "{n}", pending: true,
			stored: func(o *desk.Order, _ *desk.Contact, byAgent bool) error {
				if byAgent {
					return status(desk.OrderCancelled)(o, nil, true)
				}
				return status(desk.OrderShipped)(o, nil, false)
			}},
		{name: "start a return", action: selfservice.StartReturn,
			order: desk.Order{Status: desk.OrderDelivered, Address: addr},
			input: map[string]string{"reason": "Past niet"}, see: "/returns/{n}/label",
			stored: func(o *desk.Order, _ *desk.Contact, _ bool) error {
				if o.Status != desk.OrderReturned || o.ReturnReason != "Past niet" || !strings.Contains(o.ReturnLabelURL, o.Number) {
					return fmt.Errorf("order = %s, reason %q, label %q; want returned with the reason and a label",
						o.Status, o.ReturnReason, o.ReturnLabelURL)
				}
				return nil
			}},
		{name: "download invoice", action: selfservice.Invoice,
			order: desk.Order{Status: desk.OrderPaid, Address: addr, InvoiceURL: "https://shop.example/invoices/{n}.pdf"},
			see:   "https://shop.example/invoices/{n}.pdf", stored: status(desk.OrderPaid)},
		{name: "update contact details", action: selfservice.UpdateContact,
			input: map[string]string{"phone": "+31 6 12345678"},
			stored: func(_ *desk.Order, c *desk.Contact, _ bool) error {
				if c.Phone != "+31 6 12345678" {
					return fmt.Errorf("contact phone = %q, want +31 6 12345678", c.Phone)
				}
				return nil
			}},
	}
}

// surface runs an action in a browser as one kind of person.
type surface struct {
	name    string
	prefix  string // of the order numbers it acts on
	byAgent bool
	// open signs in and opens the page; run runs the action on number
	// and waits until the outcome is shown, returning its text.
	open func(t *testing.T, ctx context.Context)
	run  func(t *testing.T, ctx context.Context, c ssCase, number string) (string, error)
}

// ssFixture is a site with the identity secret set, and Els, a customer
// the shop vouches for.
type ssFixture struct {
	*site
	els     *desk.Contact
	claims  idtoken.Claims
	widget  string // base URL of the server with the widget's order routes
	convURL string
}

func newSSFixture(t *testing.T, s *site) *ssFixture {
	t.Helper()
	ctx := context.Background()
	st := s.app.Store
	s.inbox.Settings = map[string]string{webchat.SettingIdentitySecret: ssSecret}
	if err := st.UpdateInbox(ctx, s.inbox); err != nil {
		t.Fatal(err)
	}
	f := &ssFixture{site: s, claims: idtoken.Claims{ExternalID: "shop-els-1", Email: "els@example.nl", Name: "Els Bakker"}}
	err := st.InTx(ctx, func(tx desk.Store) error {
		var err error
		f.els, err = contact.Claim(ctx, tx, desk.Identity{}, contact.Verified{ExternalID: f.claims.ExternalID,
			Email: f.claims.Email, Name: f.claims.Name})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The app does not hand the catalogue to the web chat (yet): the test
	// serves the widget's routes with it in front of the app.
	mux := http.NewServeMux()
	webchat.New(webchat.Deps{Store: st, Conversations: s.app.Conversations, Blob: s.app.Blob, Hub: s.app.Hub,
		KB: s.app.KB, Actions: s.app.Actions}).Routes(mux)
	mux.Handle("/", s.app.Handler)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.widget = srv.URL
	res, err := s.app.Conversations.Ingest(ctx, desk.Inbound{InboxID: s.inbox.ID, ContactID: f.els.ID,
		From: desk.Identity{Kind: desk.IdentityExtern, Value: f.claims.ExternalID}, Body: "Vraag over mijn bestellingen"})
	if err != nil {
		t.Fatal(err)
	}
	f.convURL = s.srv.URL + "/app/conversations/" + strconv.FormatInt(res.Conversation.ID, 10)
	return f
}

func (f *ssFixture) token(t *testing.T) string {
	t.Helper()
	c := f.claims
	c.Exp = time.Now().Add(time.Hour).Unix()
	tok, err := idtoken.Sign(ssSecret, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// js quotes s for a script.
func js(s string) string { b, _ := json.Marshal(s); return string(b) }

// waitText waits until an element matched by the script's selector
// expression list shows want.
func waitText(list, want string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.JSPath(fmt.Sprintf(`Array.from(%s).filter(e => e.textContent.includes(%s))`, list, js(want))))
}

func (f *ssFixture) surfaces() []surface {
	shadow := `document.querySelector('[data-balie]').shadowRoot`
	agentIDs := map[string]string{"street": "street", "postal_code": "pc", "city": "city", "country": "country", "reason": "reason"}
	return []surface{
		{name: "portal", prefix: "PT",
			open: func(t *testing.T, ctx context.Context) {
				if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/help/en/account?token="+f.token(t)),
					chromedp.Click(chromedp.CSS(`[data-testid=portal-token-go]`)),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid=portal-logout]`))); err != nil {
					t.Fatalf("portal token login: %v", err)
				}
			},
			run: func(t *testing.T, ctx context.Context, c ssCase, n string) (string, error) {
				p := `[data-testid=portal-` + c.action
				steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(f.srv.URL + "/help/en/account"),
					chromedp.Click(chromedp.CSS(`[data-testid=portal-action-` + c.action + `] summary`))}
				if n != "" {
					steps = append(steps, chromedp.WaitVisible(chromedp.CSS(p+`-order]`)),
						chromedp.SendKeys(chromedp.CSS(p+`-order]`), n))
				}
				for k, v := range c.input {
					// The details form comes filled in: replace, not add.
					steps = append(steps, chromedp.WaitVisible(chromedp.CSS(p+`-`+k+`]`)),
						chromedp.SetValue(chromedp.CSS(p+`-`+k+`]`), v))
				}
				steps = append(steps, chromedp.Click(chromedp.CSS(p+`-run]`)),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid=portal-outcome]`)))
				for i, st := range steps {
					if err := chromedp.Do(ctx, st); err != nil {
						return "", fmt.Errorf("step %d: %w", i, err)
					}
				}
				if c.pending {
					if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=portal-pending]`))); err != nil {
						return "", fmt.Errorf("no pending notice: %w", err)
					}
				}
				return chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=portal-outcome]`)))
			}},
		{name: "widget", prefix: "WG",
			open: func(t *testing.T, ctx context.Context) {
				err := chromedp.Do(ctx, chromedp.Navigate(f.widget+"/widget/demo?inbox="+f.inbox.PublicKey+"&locale=en"),
					chromedp.WaitVisible(w("balie-launcher")))
				if err == nil {
					_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`Balie.identify(`+js(f.token(t))+`).then(() => true)`,
						chromedp.EvalAwaitPromise))
				}
				if err == nil {
					err = chromedp.Do(ctx, chromedp.Click(w("balie-launcher")), chromedp.WaitVisible(w("balie-to-orders")),
						chromedp.Click(w("balie-to-orders")), chromedp.WaitVisible(w("balie-orders")))
				}
				if err != nil {
					shot(t, ctx, "widget-open")
					t.Fatalf("widget: identify and open My orders: %v", err)
				}
			},
			run: func(t *testing.T, ctx context.Context, c ssCase, n string) (string, error) {
				box := shadow + `.querySelector('[data-testid=balie-orders] div:last-child > div:last-child')`
				if n != "" {
					box = shadow + `.querySelector('[data-testid=balie-order][data-number=` + js(n) + `]')`
				}
				in := func(sel string) chromedp.JSPath { return chromedp.JSPath(box + `.querySelector(` + js(sel) + `)`) }
				// The list is fetched again when the orders view opens, and
				// drawn anew when it arrives: a button found just before
				// that is gone when clicked. Find it again then.
				var err error
				for range 3 {
					if err = chromedp.Do(ctx, chromedp.WaitVisible(chromedp.JSPath(box)),
						chromedp.Click(in(`[data-testid=balie-action-`+c.action+`]`))); err == nil ||
						!strings.Contains(err.Error(), "Could not find node") {
						break
					}
					time.Sleep(200 * time.Millisecond)
				}
				if err != nil {
					return "", fmt.Errorf("order not listed or its action not clickable: %w", err)
				}
				var steps []chromedp.Action[chromedp.Void]
				if len(c.input) > 0 || c.action != selfservice.OrderStatus && c.action != selfservice.Invoice {
					for k, v := range c.input {
						steps = append(steps, chromedp.SendKeys(in(`[data-testid=balie-field-`+k+`]`), v))
					}
					steps = append(steps, chromedp.Click(in(`[data-testid=balie-action-submit]`)))
				}
				res := chromedp.JSPath(shadow + `.querySelector('[data-testid=balie-action-result]')`)
				want := n
				if c.action == selfservice.UpdateContact {
					want = "."
				}
				steps = append(steps, waitText(`[`+shadow+`.querySelector('[data-testid=balie-action-result]')]`, want))
				if err := chromedp.Do(ctx, steps...); err != nil {
					return "", err
				}
				return chromedp.Run(ctx, chromedp.Text(res))
			}},
		{name: "agent", prefix: "AG", byAgent: true,
			open: func(t *testing.T, ctx context.Context) {
				if err := chromedp.Do(ctx, login(t, f.site)); err != nil {
					t.Fatalf("agent login: %v", err)
				}
			},
			run: func(t *testing.T, ctx context.Context, c ssCase, n string) (string, error) {
				o := `[data-testid=order][data-number="` + n + `"] `
				if n == "" {
					o = `[data-testid=orders] `
				}
				steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(f.convURL), chromedp.WaitVisible(chromedp.CSS(o))}
				// The outcome is an internal note in the conversation,
				// naming the order (or the details' update).
				note := waitText(`document.querySelectorAll('[data-testid=message]')`, n)
				switch c.action {
				case selfservice.UpdateContact:
					steps = append(steps, chromedp.Click(chromedp.CSS(`[data-testid=action-update-contact]`)))
					for k, v := range c.input {
						steps = append(steps, chromedp.SetValue(chromedp.CSS(`#uc-`+k), v))
					}
					steps = append(steps, chromedp.Click(chromedp.CSS(`[data-testid=uc-save]`)))
					note = chromedp.WaitVisible(chromedp.JSPath(`Array.from(document.querySelectorAll('[data-testid=message]')).filter(e => /Update details|Gegevens bijwerken/.test(e.textContent))`))
				case selfservice.OrderStatus:
					steps = append(steps, chromedp.Click(chromedp.CSS(o+`[data-testid=action-status]`)))
				case selfservice.Invoice:
					steps = append(steps, chromedp.Click(chromedp.CSS(o+`[data-testid=action-invoice]`)))
				case selfservice.CancelOrder:
					steps = append(steps, chromedp.Click(chromedp.CSS(o+`[data-testid=action-cancel]`)))
				case selfservice.ChangeAddress, selfservice.StartReturn:
					sum := map[string]string{selfservice.ChangeAddress: "action-address", selfservice.StartReturn: "action-return"}[c.action]
					steps = append(steps, chromedp.Click(chromedp.CSS(o+`[data-testid=`+sum+`]`)))
					for k, v := range c.input {
						steps = append(steps, chromedp.SetValue(chromedp.CSS(`#`+agentIDs[k]+`-`+n), v))
					}
					steps = append(steps, chromedp.Click(chromedp.JSPath(
						`document.querySelector(`+js(o+`[data-testid=`+sum+`]`)+`).closest('details').querySelector('button[type=submit]')`)))
				}
				steps = append(steps, note)
				if err := chromedp.Do(ctx, steps...); err != nil {
					return "", err
				}
				return chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[data-testid=message]')).map(e => e.textContent).join('\n')`))
			}},
	}
}

// TestSelfServiceActionsEverywhere runs each action from the portal, the
// widget and the agent's buttons.
func TestSelfServiceActionsEverywhere(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		f := newSSFixture(t, s)
		ctx0 := context.Background()
		for i, sf := range f.surfaces() {
			t.Run(sf.name, func(t *testing.T) {
				cases := ssCases()
				// Each surface must set the phone itself.
				els, err := s.app.Store.ContactByID(ctx0, f.els.ID)
				if err != nil {
					t.Fatal(err)
				}
				els.Phone = ""
				if err := s.app.Store.UpdateContact(ctx0, els); err != nil {
					t.Fatal(err)
				}
				// Seed every order first: the widget lists them once.
				for j := range cases {
					c := &cases[j]
					if c.action == selfservice.UpdateContact {
						continue
					}
					c.order.Number = fmt.Sprintf("%s-%d%02d", sf.prefix, 10+i, j)
					c.order.ContactID, c.order.Currency, c.order.TotalCents = f.els.ID, "EUR", 4995
					c.order.InvoiceURL = strings.ReplaceAll(c.order.InvoiceURL, "{n}", c.order.Number)
					if err := s.app.Store.PutOrder(ctx0, &c.order); err != nil {
						t.Fatal(err)
					}
				}
				ctx := browser(t)
				sf.open(t, ctx)
				for _, c := range cases {
					t.Run(c.name, func(t *testing.T) {
						n := c.order.Number
						// A step that never happens fails this case, not
						// the rest of the surface's.
						rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
						defer cancel()
						got, err := sf.run(t, rctx, c, n)
						if err != nil {
							shot(t, ctx, "action")
							t.Fatalf("run %s: %v", c.action, err)
						}
						if want := strings.ReplaceAll(c.see, "{n}", n); want != "" && !strings.Contains(got, want) {
							t.Errorf("shown %q, want it to contain %q", got, want)
						}
						var o *desk.Order
						if n != "" {
							if o, err = s.app.Store.OrderByNumber(ctx0, n); err != nil {
								t.Fatal(err)
							}
						}
						ct, err := s.app.Store.ContactByID(ctx0, f.els.ID)
						if err != nil {
							t.Fatal(err)
						}
						if err := c.stored(o, ct, sf.byAgent); err != nil {
							t.Error(err)
						}
						if c.pending && !sf.byAgent {
							ls, err := s.app.Store.ListActionLogs(ctx0, desk.ActionLogQuery{ContactID: f.els.ID, State: desk.ActionPending})
							if err != nil {
								t.Fatal(err)
							}
							if !slices.ContainsFunc(ls, func(l desk.ActionLog) bool { return l.OrderNumber == n }) {
								t.Errorf("no pending action for %s awaits an agent", n)
							}
						}
					})
				}
			})
		}
	})
}
