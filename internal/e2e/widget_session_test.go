package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balie-dev/balie/internal/desk"
)

// The widget on a shared computer and the ends of "My orders": signing out
// leaves nothing of the customer in the browser or behind the old token,
// a double click runs an action once, and an action that needs a person
// leads into the chat about its order.

// widgetOrders seeds Els's orders, opens the widget as her (identified by
// the shop) and opens "My orders". It returns the browser.
func widgetOrders(t *testing.T, f *ssFixture, orders ...desk.Order) context.Context {
	t.Helper()
	bg := context.Background()
	for i := range orders {
		o := &orders[i]
		o.ContactID, o.Currency, o.TotalCents = f.els.ID, "EUR", 2495
		o.Address = desk.Address{Street: "Dorpsstraat 1", PostalCode: "6711 AA", City: "Ede", Country: "NL"}
		if err := f.app.Store.PutOrder(bg, o); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browser(t)
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
	for _, o := range orders {
		if err == nil {
			err = chromedp.Do(ctx, chromedp.WaitVisible(order(o.Number)))
		}
	}
	if err != nil {
		shot(t, ctx, "widget-orders")
		t.Fatalf("identify and open My orders: %v", err)
	}
	return ctx
}

// order selects an order's box in "My orders".
func order(number string) chromedp.JSPath {
	return chromedp.JSPath(`document.querySelector('[data-balie]').shadowRoot.querySelector('[data-testid=balie-order][data-number=` +
		js(number) + `]')`)
}

// orderButton selects an action's button in an order's box.
func orderButton(number, action string) chromedp.JSPath {
	return chromedp.JSPath(string(order(number)) + `.querySelector('[data-testid=balie-action-` + action + `]')`)
}

const tokenKey = `localStorage.getItem('balie:shopkey123') || ''`

// identifiedBy asks balie, from the page, whether token is an identified
// customer's.
func identifiedBy(ctx context.Context, token string) (bool, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[bool](`fetch('/widget/api/orders?inbox=shopkey123', {headers: {'X-Balie-Visitor': `+
		js(token)+`}}).then(r => r.json()).then(j => j.identified === true)`, chromedp.EvalAwaitPromise))
}

// TestWidgetLogoutOnSharedComputer: Els identified in the widget; the shop
// calls Balie.logout() when she logs out. The widget then shows none of
// her orders or chat, the next visitor on the page gets a new token, and
// her old token is no customer's any more.
func TestWidgetLogoutOnSharedComputer(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		f := newSSFixture(t, s)
		ctx := widgetOrders(t, f, desk.Order{Number: "LO-1", Status: desk.OrderPaid})
		old, err := chromedp.Run(ctx, chromedp.Evaluate[string](tokenKey))
		if err != nil || len(old) != 64 {
			t.Fatalf("visitor token = %q (%v), want one", old, err)
		}
		// Her earlier question is in the chat.
		if err := chromedp.Do(ctx, chromedp.Click(w("balie-to-chat")),
			chromedp.WaitVisible(wText("balie-message", "Vraag over mijn bestellingen"))); err != nil {
			shot(t, ctx, "before-logout")
			t.Fatalf("Els's chat before logout: %v", err)
		}
		// A second tab of the same browser has the widget open too.
		tab, closeTab := chromedp.NewContext(ctx)
		defer closeTab()
		if err := chromedp.Do(tab, chromedp.Navigate(f.widget+"/widget/demo?inbox="+f.inbox.PublicKey+"&locale=en"),
			chromedp.WaitVisible(w("balie-launcher")), chromedp.Click(w("balie-launcher")),
			chromedp.Poll[chromedp.Void](`document.querySelector('[data-balie]').shadowRoot.querySelector('[data-testid=balie-to-orders]').hidden === false`,
				chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			shot(t, tab, "second-tab")
			t.Fatalf("second tab, identified: %v", err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Balie.logout().then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("Balie.logout: %v", err)
		}
		// The other tab forgets the visitor as well.
		if err := chromedp.Do(tab, chromedp.Poll[chromedp.Void](`document.querySelector('[data-balie]').shadowRoot.querySelector('[data-testid=balie-to-orders]').hidden === true`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			shot(t, tab, "second-tab-after")
			t.Errorf("the second tab still offers My orders after the logout: %v", err)
		}
		type seen struct {
			Orders, Messages int
			ToOrders         bool
		}
		const look = `({Orders: r.querySelectorAll('[data-testid=balie-order]').length,
			Messages: r.querySelectorAll('[data-testid=balie-message]').length,
			ToOrders: !r.querySelector('[data-testid=balie-to-orders]').hidden})`
		got, err := chromedp.Run(ctx, shadow[seen](look))
		if err != nil {
			t.Fatal(err)
		}
		if got != (seen{}) {
			t.Errorf("after logout the widget shows %+v, want no orders, messages or My orders", got)
		}
		if id, err := identifiedBy(ctx, old); err != nil || id {
			t.Errorf("old token identified = %v (%v), want false", id, err)
		}

		// The next person on the same browser opens the page.
		err = chromedp.Do(ctx, chromedp.Navigate(f.widget+"/widget/demo?inbox="+f.inbox.PublicKey+"&locale=en"),
			chromedp.WaitVisible(w("balie-launcher")), chromedp.Click(w("balie-launcher")),
			chromedp.Poll[chromedp.Void](tokenKey+`.length === 64`, chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			shot(t, ctx, "next-visitor")
			t.Fatalf("next visitor: %v", err)
		}
		now, err := chromedp.Run(ctx, chromedp.Evaluate[string](tokenKey))
		if err != nil || now == old {
			t.Fatalf("next visitor's token = %q (%v), want a new one", now, err)
		}
		if id, err := identifiedBy(ctx, now); err != nil || id {
			t.Errorf("next visitor identified = %v (%v), want false", id, err)
		}
		// The widget has asked for orders by now (identifiedBy's request
		// came after the session's): nothing of Els may show.
		if got, err = chromedp.Run(ctx, shadow[seen](look)); err != nil || got != (seen{}) {
			t.Errorf("next visitor sees %+v (%v), want nothing of Els", got, err)
		}
	})
}

// TestWidgetEmptyIdentityTokenSignsOut: a page whose script tag carries an
// empty data-identity-token (the shop's template for a logged-out visitor)
// signs out a browser that was identified.
func TestWidgetEmptyIdentityTokenSignsOut(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		f := newSSFixture(t, s)
		ctx := widgetOrders(t, f, desk.Order{Number: "ET-1", Status: desk.OrderPaid})
		old, err := chromedp.Run(ctx, chromedp.Evaluate[string](tokenKey))
		if err != nil || len(old) != 64 {
			t.Fatalf("visitor token = %q (%v), want one", old, err)
		}
		tests := []struct {
			name      string
			query     string // the demo page's identity parameter
			wantKept  bool
			wantIdent bool
		}{
			{"no attribute says nothing", "", true, true},
			{"empty attribute signs out", "&identity=", false, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := chromedp.Do(ctx, chromedp.Navigate(f.widget+"/widget/demo?inbox="+f.inbox.PublicKey+"&locale=en"+tc.query),
					chromedp.WaitVisible(w("balie-launcher")))
				if err != nil {
					t.Fatal(err)
				}
				// The widget signs out as it starts; wait for balie to
				// answer as it should, or time out.
				var id bool
				for range 50 {
					if id, err = identifiedBy(ctx, old); err != nil || id == tc.wantIdent {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
				if err != nil || id != tc.wantIdent {
					t.Errorf("old token identified = %v (%v), want %v", id, err, tc.wantIdent)
				}
				now, err := chromedp.Run(ctx, chromedp.Evaluate[string](tokenKey))
				if err != nil {
					t.Fatal(err)
				}
				if kept := now == old; kept != tc.wantKept {
					t.Errorf("token kept = %v, want %v", kept, tc.wantKept)
				}
			})
		}
	})
}

// TestWidgetActionRunsOnceAndHandsOver: two clicks before the answer run
// an action once; an action that fails offers a colleague, and that button
// opens the chat about the order.
func TestWidgetActionRunsOnceAndHandsOver(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		f := newSSFixture(t, s)
		// HO-1 has no invoice: the invoice action fails and hands over.
		ctx := widgetOrders(t, f, desk.Order{Number: "DC-1", Status: desk.OrderPaid},
			desk.Order{Number: "HO-1", Status: desk.OrderPaid})

		bctx := ctx
		t.Run("double click", func(t *testing.T) {
			// A step that never happens fails this case, not the next.
			ctx, cancel := context.WithTimeout(bctx, 20*time.Second)
			defer cancel()
			b := string(orderButton("DC-1", "order_status"))
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const b = `+b+`; b.click(); b.click(); return true })()`)); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, waitText(`[document.querySelector('[data-balie]').shadowRoot.querySelector('[data-testid=balie-action-result]')]`, "DC-1"),
				chromedp.WaitEnabled(orderButton("DC-1", "order_status"))); err != nil {
				t.Fatalf("outcome: %v", err)
			}
			ls, err := s.app.Store.ListActionLogs(context.Background(), desk.ActionLogQuery{ContactID: f.els.ID})
			if err != nil {
				t.Fatal(err)
			}
			runs := 0
			for _, l := range ls {
				if l.OrderNumber == "DC-1" {
					runs++
				}
			}
			if runs != 1 {
				t.Errorf("order status ran %d times on DC-1, want 1", runs)
			}
		})

		t.Run("handover", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(bctx, 20*time.Second)
			defer cancel()
			// The list is drawn anew after the previous case's outcome; a
			// click on the button just before that lands on a node that is
			// gone. Click again then (the widget runs an action once).
			var err error
			for range 3 {
				tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err = chromedp.Do(tctx, chromedp.Click(orderButton("HO-1", "invoice")), chromedp.WaitVisible(w("balie-handover")))
				cancel()
				if err == nil {
					break
				}
			}
			if err == nil {
				err = chromedp.Do(ctx, chromedp.Click(w("balie-handover")),
					chromedp.WaitVisible(w("balie-input")), chromedp.WaitNotVisible(w("balie-orders")))
			}
			if err != nil {
				shot(t, ctx, "handover")
				t.Fatalf("handover button into the chat: %v", err)
			}
			got, err := chromedp.Run(ctx, shadow[string](`r.querySelector('[data-testid=balie-input]').value`))
			if err != nil {
				t.Fatal(err)
			}
			if want := "HO-1"; !strings.Contains(got, want) {
				t.Errorf("chat input = %q, want it to name %s", got, want)
			}
			focused, err := chromedp.Run(ctx, shadow[string](`r.activeElement && r.activeElement.dataset.testid || ''`))
			if err != nil || focused != "balie-input" {
				t.Errorf("focus on %q (%v), want the chat input", focused, err)
			}
		})
	})
}
