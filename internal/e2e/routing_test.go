package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balie-dev/balie/internal/desk"
)

// TestWaitingVisitorAndRoutingRules: with the one online agent busy, a
// visitor who writes in the widget is told their place in the queue; the
// admin adds a routing rule and tests it against that conversation in the
// preview.
func TestWaitingVisitorAndRoutingRules(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		ctx := context.Background()
		team := &desk.Team{Name: "Werkplaats"}
		if err := s.app.Store.CreateTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		// Anna is online for one chat at a time, and has one.
		s.admin.Availability, s.admin.Capacity = desk.Online, map[desk.ChannelKind]int{desk.ChannelWebChat: 1}
		if err := s.app.Store.UpdateAgent(ctx, s.admin); err != nil {
			t.Fatal(err)
		}
		s.app.Routing.Kick()
		busy, err := s.app.Conversations.Ingest(ctx, desk.Inbound{InboxID: s.inbox.ID, Body: "Hallo, ik heb een vraag",
			From: desk.Identity{Kind: desk.IdentityVisitor, Value: "first-visitor"}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			c, err := s.app.Store.ConversationByID(ctx, busy.Conversation.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.AssigneeID == s.admin.ID {
				break
			}
			if i == 100 {
				t.Fatalf("the first chat was never assigned to the online agent (assignee %d)", c.AssigneeID)
			}
			time.Sleep(100 * time.Millisecond)
		}
		visitor := browser(t)
		err = chromedp.Do(visitor,
			chromedp.Navigate(s.srv.URL+"/widget/demo?inbox="+s.inbox.PublicKey+"&locale=nl"),
			chromedp.WaitVisible(w("balie-launcher")),
			chromedp.Click(w("balie-launcher")),
			chromedp.WaitVisible(w("balie-input")),
			chromedp.SendKeys(w("balie-input"), "Mijn fiets maakt een tikkend geluid bij het remmen"),
			chromedp.Click(w("balie-send")),
		)
		if err != nil {
			t.Fatalf("visitor sends: %v", err)
		}
		if err := chromedp.Do(visitor, chromedp.WaitVisible(chromedp.JSPath(
			`Array.from(document.querySelector('[data-balie]').shadowRoot.querySelectorAll('[data-testid=balie-message]')).filter(e => e.textContent.includes('in de wachtrij'))`))); err != nil {
			shot(t, visitor, "visitor")
			t.Fatalf("the visitor was never told their place in the queue: %v", err)
		}

		admin := browser(t)
		err = chromedp.Do(admin, login(t, s),
			chromedp.Navigate(s.srv.URL+"/admin/routing"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=routing-rule-form]`)),
			chromedp.SendKeys(chromedp.CSS(`#r-name`), "Fietsen naar de werkplaats"),
			chromedp.SendKeys(chromedp.CSS(`#r-lang`), "nl"),
			chromedp.SetValue(chromedp.CSS(`#r-team`), strconv.FormatInt(team.ID, 10)),
			chromedp.SendKeys(chromedp.CSS(`#r-skills`), "product:fiets=2"),
			chromedp.Click(chromedp.CSS(`[data-testid=routing-rule-form] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=routing-rule-row]`)),
		)
		if err != nil {
			shot(t, admin, "admin")
			t.Fatalf("admin adds a rule: %v", err)
		}
		// The preview, against the visitor's conversation (the newest).
		if _, err := chromedp.Run(admin, chromedp.Evaluate[bool](
			`(() => { document.querySelector('#pv-conv').selectedIndex = 1; return true })()`)); err != nil {
			t.Fatalf("pick the conversation: %v", err)
		}
		err = chromedp.Do(admin,
			chromedp.Click(chromedp.CSS(`[data-testid=routing-preview-form] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=routing-preview-result]`)),
		)
		if err != nil {
			shot(t, admin, "preview")
			t.Fatalf("admin runs the preview: %v", err)
		}
		got, err := chromedp.Run(admin, chromedp.Text(chromedp.CSS(`[data-testid=routing-preview-result]`)))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Regel ‘Fietsen naar de werkplaats’ past.", "Team: Werkplaats.", "product:fiets=2", "Niemand zou het nu krijgen"} {
			if !strings.Contains(got, want) {
				t.Errorf("the preview says %q; want it to say %q", got, want)
			}
		}
	})
}
