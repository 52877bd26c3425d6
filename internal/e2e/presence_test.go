package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/balie-dev/balie/internal/desk"
)

func loginAs(s *site, email string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(s.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-email]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-email]`), email),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-password]`), password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=logout]`)),
	)
}

// withText selects the elements matching css whose text contains s.
func withText(css, s string) chromedp.JSPath {
	return chromedp.JSPath(fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).filter(e => e.textContent.includes(%q))`, css, s))
}

// TestTwoAgentsOnOneConversation: Anna and Bram open the same
// conversation in two browsers. Bram sees that Anna views it and then that
// she is replying; when Anna's reply went out while Bram typed, Bram's send
// is held back with her reply shown, and goes out once he confirms. The
// supervisor's live board shows Bram on the conversation.
func TestTwoAgentsOnOneConversation(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		ctx := t.Context()
		if _, err := s.app.Agents.Create(ctx, "bram@example.com", "Bram Bakker", desk.RoleAgent, "nl", password); err != nil {
			t.Fatal(err)
		}
		res, err := s.app.Conversations.Ingest(ctx, desk.Inbound{InboxID: s.inbox.ID,
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "klant@example.nl"}, Body: "Waar blijft mijn pakket?"})
		if err != nil {
			t.Fatal(err)
		}
		convURL := fmt.Sprintf("%s/app/conversations/%d", s.srv.URL, res.Conversation.ID)
		live := chromedp.WaitReady(chromedp.CSS(`html[data-live-state=open]`))

		anna, bram := browser(t), browser(t)
		if err := chromedp.Do(anna, loginAs(s, s.admin.Email), chromedp.Navigate(convURL), live); err != nil {
			t.Fatalf("Anna opens the conversation: %v", err)
		}
		if err := chromedp.Do(bram, loginAs(s, "bram@example.com"), chromedp.Navigate(convURL), live); err != nil {
			t.Fatalf("Bram opens the conversation: %v", err)
		}
		if err := chromedp.Do(bram, chromedp.WaitVisible(withText(`[data-testid=viewer]`, "Anna de Vries bekijkt dit gesprek ook"))); err != nil {
			shot(t, bram, "bram")
			t.Fatalf("Bram never saw that Anna views the conversation: %v", err)
		}
		if err := chromedp.Do(anna, chromedp.WaitVisible(withText(`[data-testid=viewer]`, "Bram Bakker bekijkt dit gesprek ook"))); err != nil {
			shot(t, anna, "anna")
			t.Fatalf("Anna never saw that Bram views the conversation: %v", err)
		}
		// Nobody is told about themselves.
		self, err := chromedp.Run(bram, chromedp.Evaluate[bool](`document.querySelector('[data-viewers]').textContent.includes('Bram Bakker')`))
		if err != nil || self {
			t.Errorf("Bram is listed as a viewer on his own page (err %v)", err)
		}

		// Anna types: Bram sees her replying.
		if err := chromedp.Do(anna, chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-body]`), "Uw pakket is onderweg.")); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(bram, chromedp.WaitVisible(withText(`[data-testid=viewer][data-replying="1"]`, "Anna de Vries is aan het antwoorden…"))); err != nil {
			shot(t, bram, "bram")
			t.Fatalf("Bram never saw Anna replying: %v", err)
		}

		// Anna sends; Bram, who opened the page before, then sends too.
		if err := chromedp.Do(anna, chromedp.Click(chromedp.CSS(`[data-testid=send-button]`)), live,
			chromedp.WaitVisible(withText(`[data-testid=message][data-kind=message]`, "Uw pakket is onderweg."))); err != nil {
			t.Fatalf("Anna sends: %v", err)
		}
		if err := chromedp.Do(bram,
			chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-body]`), "Ik zoek het voor u uit."),
			chromedp.Click(chromedp.CSS(`[data-testid=send-button]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=collision]`))); err != nil {
			shot(t, bram, "bram")
			t.Fatalf("Bram's send was not held back: %v", err)
		}
		ask, err := chromedp.Run(bram, chromedp.Text(chromedp.CSS(`[data-testid=collision]`)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ask, "Anna de Vries heeft net geantwoord: toch versturen?") || !strings.Contains(ask, "Uw pakket is onderweg.") {
			t.Errorf("the question reads %q, want Anna's name and reply", ask)
		}
		draft, err := chromedp.Run(bram, chromedp.Value(chromedp.CSS(`[data-testid=reply-body]`)))
		if err != nil || draft != "Ik zoek het voor u uit." {
			t.Errorf("Bram's draft = %q (err %v), want it kept", draft, err)
		}
		if n := replies(t, s, res.Conversation.ID); n != 1 {
			t.Fatalf("%d replies sent before Bram confirmed, want 1 (Anna's)", n)
		}

		// Bram confirms.
		if err := chromedp.Do(bram, chromedp.Click(chromedp.CSS(`[data-testid=send-button]`)),
			chromedp.WaitVisible(withText(`[data-testid=message][data-kind=message]`, "Ik zoek het voor u uit.")),
			live); err != nil {
			shot(t, bram, "bram")
			t.Fatalf("Bram's confirmed send: %v", err)
		}
		if n := replies(t, s, res.Conversation.ID); n != 2 {
			t.Errorf("%d replies after Bram confirmed, want 2", n)
		}

		// Anna, an admin, sees Bram on the conversation on the live board;
		// she herself left it, which the board shows live.
		bramRow := fmt.Sprintf(`Array.from(document.querySelectorAll('[data-testid=live-agent]')).filter(r => r.textContent.includes('Bram Bakker') && r.querySelector('[data-testid=live-viewing][data-id="%d"]'))`, res.Conversation.ID)
		if err := chromedp.Do(anna, chromedp.Navigate(s.srv.URL+"/app/live"), chromedp.WaitVisible(chromedp.JSPath(bramRow))); err != nil {
			shot(t, anna, "board")
			t.Fatalf("the board does not show Bram on the conversation: %v", err)
		}
		annaGone := fmt.Sprintf(`(() => { const r = Array.from(document.querySelectorAll('[data-testid=live-agent]')).find(r => r.textContent.includes('Anna de Vries')); return r && !r.querySelector('[data-testid=live-viewing][data-id="%d"]') ? r : null })()`, res.Conversation.ID)
		if err := chromedp.Do(anna, live, chromedp.WaitReady(chromedp.JSPath(annaGone))); err != nil {
			shot(t, anna, "board")
			t.Fatalf("the board still shows Anna on the conversation she left: %v", err)
		}
	})
}

// replies counts the agents' public replies in the conversation.
func replies(t *testing.T, s *site, conv int64) int {
	t.Helper()
	msgs, err := s.app.Store.ListMessages(t.Context(), conv, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Kind == desk.KindMessage && m.Sender == desk.SenderAgent {
			n++
		}
	}
	return n
}
