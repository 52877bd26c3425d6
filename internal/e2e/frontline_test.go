package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	keys "github.com/chromedp/chromedp/kb"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
)

// settings replaces the test inbox's settings, as the admin UI does.
func (s *site) settings(t *testing.T, set map[string]string) {
	t.Helper()
	s.inbox.Settings = set
	if err := s.app.Store.UpdateInbox(t.Context(), s.inbox); err != nil {
		t.Fatalf("UpdateInbox: %v", err)
	}
	s.app.Conversations.InvalidateCaches()
}

// shadow evaluates a JavaScript expression with r bound to the widget's
// shadow root.
func shadow[T any](expr string) chromedp.Action[T] {
	return chromedp.Evaluate[T](`(() => { const r = document.querySelector('[data-balie]').shadowRoot; return ` + expr + ` })()`)
}

// TestBotAnswersInTheWidget: with the bot on, a visitor's question that the
// knowledge base answers gets the bot's reply, marked as automated, with a
// link to the article that opens safely in a new tab, and Ja/Nee buttons;
// "Ja" is sent as the visitor's answer and the conversation ends resolved.
func TestBotAnswersInTheWidget(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		ctx := t.Context()
		if _, err := s.app.KB.CreateArticle(ctx, s.admin, kb.ArticleInput{Locale: "nl", Status: desk.ArticlePublished,
			Title: "Bezorgadres wijzigen", Questions: []string{"Hoe wijzig ik mijn bezorgadres?"},
			Body: "Wijzig je adres via Mijn account zolang de bestelling niet verzonden is."}); err != nil {
			t.Fatal(err)
		}
		s.settings(t, map[string]string{"bot": "on"})

		visitor := browser(t)
		bot := wText("balie-message", "Bezorgadres wijzigen")
		err := chromedp.Do(visitor,
			chromedp.Navigate(s.srv.URL+"/widget/demo?inbox="+s.inbox.PublicKey+"&locale=nl"),
			chromedp.WaitVisible(w("balie-launcher")),
			chromedp.Click(w("balie-launcher")),
			chromedp.WaitVisible(w("balie-input")),
			chromedp.SendKeys(w("balie-input"), "Hoe wijzig ik mijn bezorgadres?"),
			chromedp.Click(w("balie-send")),
			chromedp.WaitVisible(bot),
			chromedp.WaitVisible(wText("balie-choice", "Ja")),
		)
		if err != nil {
			shot(t, visitor, "bot")
			t.Fatalf("the bot's answer with Ja/Nee never showed: %v", err)
		}
		got, err := chromedp.Run(visitor, shadow[map[string]any](`(() => {
			const m = Array.from(r.querySelectorAll('[data-testid=balie-message][data-sender=bot]')).pop();
			const a = m.querySelector('[data-testid=balie-message-body] a');
			const l = m.querySelector('[data-testid=balie-bot-label]');
			return {label: l ? l.textContent : '', href: a ? a.href : '', target: a ? a.target : '', rel: a ? a.rel : '',
				choices: Array.from(r.querySelectorAll('[data-testid=balie-choice]')).map(b => b.textContent).join('|')} })()`))
		if err != nil {
			t.Fatal(err)
		}
		if got["label"] != "Digitale assistent" {
			t.Errorf("bot label = %q, want Digitale assistent", got["label"])
		}
		if href, _ := got["href"].(string); href != s.srv.URL+"/help/nl/a/bezorgadres-wijzigen" ||
			got["target"] != "_blank" || got["rel"] != "noopener noreferrer" {
			t.Errorf("article link = %v, want %s/help/nl/a/bezorgadres-wijzigen in a new tab with noopener", got, s.srv.URL)
		}
		if got["choices"] != "Ja|Nee" {
			t.Errorf("choices = %q, want Ja|Nee", got["choices"])
		}

		// The buttons are keyboard buttons: focus "Ja" and press Enter.
		err = chromedp.Do(visitor,
			chromedp.Focus(wText("balie-choice", "Ja")),
			chromedp.KeyEvent(keys.Enter),
			chromedp.WaitVisible(chromedp.JSPath(`Array.from(document.querySelector('[data-balie]').shadowRoot.querySelectorAll('[data-testid=balie-message][data-sender=contact]')).filter(e => e.textContent.includes('Ja'))`)),
			chromedp.WaitNotPresent(w("balie-choices")),
			chromedp.WaitVisible(wText("balie-message", "Fijn dat het geholpen heeft")),
		)
		if err != nil {
			shot(t, visitor, "ja")
			t.Fatalf("answering Ja: %v", err)
		}
		page, err := s.app.Store.ListConversations(ctx, desk.ConversationQuery{View: desk.ViewAll, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		var conv *desk.Conversation
		for i := range page.Items {
			if page.Items[i].InboxID == s.inbox.ID {
				conv = &page.Items[i]
			}
		}
		if conv == nil {
			t.Fatalf("no conversation in the inbox: %+v", page.Items)
		}
		// The bot resolves right after its last message; give it a moment.
		for range 100 {
			if conv, err = s.app.Store.ConversationByID(ctx, conv.ID); err != nil || conv.Status == desk.StatusResolved {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil || conv.Status != desk.StatusResolved {
			t.Errorf("conversation status = %q (err %v), want resolved", conv.Status, err)
		}
		// The visitor's text never became markup.
		if n, err := chromedp.Run(visitor, shadow[int](`r.querySelectorAll('[data-testid=balie-message-body] *:not(a)').length`)); err != nil || n != 0 {
			t.Errorf("%d elements other than links in message bodies (err %v)", n, err)
		}
	})
}

// TestProactiveTeaser: a trigger for the demo page after one second shows a
// teaser beside the launcher, not the panel; clicking it opens the chat with
// the message. It does not come back after a reload, nor in a new tab the
// same day, where a trigger for returning visitors shows instead.
func TestProactiveTeaser(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		s.settings(t, map[string]string{"proactive": `[
			{"url":"/widget/*","after_seconds":1,"message_nl":"Hulp nodig bij het afrekenen?","message_en":"Need help checking out?"},
			{"url":"/checkout*","after_seconds":0,"message_nl":"Niet op deze pagina"},
			{"url":"/widget/demo","after_seconds":1,"returning":true,"message_nl":"Welkom terug!"}]`})
		page := s.srv.URL + "/widget/demo?inbox=" + s.inbox.PublicKey + "&locale=nl"

		visitor := browser(t)
		err := chromedp.Do(visitor,
			chromedp.Navigate(page),
			chromedp.WaitVisible(wText("balie-teaser-open", "Hulp nodig bij het afrekenen?")),
		)
		if err != nil {
			shot(t, visitor, "teaser")
			t.Fatalf("no teaser: %v", err)
		}
		panelOpen, err := chromedp.Run(visitor, shadow[bool](`!r.querySelector('[data-testid=balie-panel]').hidden`))
		if err != nil || panelOpen {
			t.Errorf("the panel opened with the teaser (err %v), want only the teaser", err)
		}
		err = chromedp.Do(visitor,
			chromedp.Click(w("balie-teaser-open")),
			chromedp.WaitVisible(w("balie-panel")),
			chromedp.WaitVisible(wText("balie-message", "Hulp nodig bij het afrekenen?")),
			chromedp.WaitVisible(w("balie-input")),
			chromedp.WaitNotVisible(w("balie-teaser")),
			chromedp.Click(w("balie-close")),
			chromedp.WaitNotVisible(w("balie-panel")),
		)
		if err != nil {
			shot(t, visitor, "open")
			t.Fatalf("the teaser does not open the chat with its message: %v", err)
		}

		// After a reload (same session) nothing comes back.
		if err := chromedp.Do(visitor, chromedp.Reload(), chromedp.WaitVisible(w("balie-launcher")),
			chromedp.Sleep(2500*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if shown, err := chromedp.Run(visitor, shadow[bool](`!r.querySelector('[data-testid=balie-teaser]').hidden`)); err != nil || shown {
			shot(t, visitor, "reload")
			t.Errorf("a teaser showed again after the reload (err %v)", err)
		}

		// A new tab is a new session of the same visitor, who now returns:
		// the first trigger was shown today, the one for returning visitors
		// was not.
		tab, cancel := chromedp.NewContext(visitor)
		defer cancel()
		err = chromedp.Do(tab, chromedp.Navigate(page), chromedp.WaitVisible(w("balie-teaser")))
		if err != nil {
			shot(t, tab, "tab")
			t.Fatalf("no teaser for the returning visitor: %v", err)
		}
		msg, err := chromedp.Run(tab, shadow[string](`r.querySelector('[data-testid=balie-teaser-open]').textContent`))
		if err != nil || msg != "Welkom terug!" {
			t.Errorf("teaser in a new tab = %q (err %v), want Welkom terug!", msg, err)
		}
		// Dismissed, it stays away for the rest of the session: closing the
		// panel (when teasers are looked at again) brings none back.
		err = chromedp.Do(tab,
			chromedp.Click(w("balie-teaser-close")),
			chromedp.WaitNotVisible(w("balie-teaser")),
			chromedp.Click(w("balie-launcher")),
			chromedp.WaitVisible(w("balie-search")),
			chromedp.Click(w("balie-close")),
			chromedp.Sleep(300*time.Millisecond),
		)
		if err != nil {
			t.Fatal(err)
		}
		if shown, err := chromedp.Run(tab, shadow[bool](`!r.querySelector('[data-testid=balie-teaser]').hidden`)); err != nil || shown {
			t.Errorf("a teaser showed after the visitor dismissed one (err %v)", err)
		}
	})
}

// TestProactiveAfterFailedSearch: a search in the widget's help that finds
// nothing fires the failed-search trigger once the visitor closes the panel.
func TestProactiveAfterFailedSearch(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		s.settings(t, map[string]string{"proactive": `[{"url":"*","failed_search":true,"message_nl":"Niet gevonden wat je zocht?","message_en":"Didn't find it?"}]`})
		visitor := browser(t)
		err := chromedp.Do(visitor,
			chromedp.Navigate(s.srv.URL+"/widget/demo?inbox="+s.inbox.PublicKey+"&locale=nl"),
			chromedp.WaitVisible(w("balie-launcher")),
			chromedp.Sleep(500*time.Millisecond),
		)
		if err != nil {
			t.Fatal(err)
		}
		if shown, err := chromedp.Run(visitor, shadow[bool](`!r.querySelector('[data-testid=balie-teaser]').hidden`)); err != nil || shown {
			t.Errorf("the failed-search teaser showed before any search (err %v)", err)
		}
		err = chromedp.Do(visitor,
			chromedp.Click(w("balie-launcher")),
			chromedp.WaitVisible(w("balie-search")),
			chromedp.SendKeys(w("balie-search"), "xyzzy plugh\r"),
			chromedp.WaitVisible(wText("balie-help", "Niets gevonden")),
			chromedp.Click(w("balie-close")),
			chromedp.WaitVisible(wText("balie-teaser-open", "Niet gevonden wat je zocht?")),
		)
		if err != nil {
			shot(t, visitor, "failed")
			t.Fatalf("no teaser after a failed search: %v", err)
		}
		// Escape dismisses it and gives the focus back to the launcher.
		err = chromedp.Do(visitor, chromedp.Focus(w("balie-teaser-close")), chromedp.KeyEvent(keys.Escape),
			chromedp.WaitNotVisible(w("balie-teaser")))
		if err != nil {
			t.Fatalf("escape: %v", err)
		}
		focused, err := chromedp.Run(visitor, shadow[string](`r.activeElement && r.activeElement.dataset.testid`))
		if err != nil || focused != "balie-launcher" {
			t.Errorf("focus after dismissing = %q (err %v), want the launcher", focused, err)
		}
	})
}
