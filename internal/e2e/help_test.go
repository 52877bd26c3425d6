package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	keys "github.com/chromedp/chromedp/kb"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
)

// wText selects the widget's elements with a data-testid whose text
// contains text.
func wText(testid, text string) chromedp.JSPath {
	return chromedp.JSPath(fmt.Sprintf(
		`Array.from(document.querySelector('[data-balie]').shadowRoot.querySelectorAll('[data-testid=%q]')).filter(e => e.textContent.includes(%q))`,
		testid, text))
}

// TestVisitorHelpsThemselves: on a narrow phone screen the widget opens on
// help with the FAQ of its page; a search finds an article, which opens in
// the widget; "yes" is stored as helpful feedback for that search; from
// there the visitor can still go to the chat. Internal articles never show.
func TestVisitorHelpsThemselves(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		ctx := t.Context()
		mk := func(in kb.ArticleInput) *desk.Article {
			t.Helper()
			in.Locale, in.Status = "nl", desk.ArticlePublished
			a, err := s.app.KB.CreateArticle(ctx, s.admin, in)
			if err != nil {
				t.Fatalf("CreateArticle(%q): %v", in.Title, err)
			}
			return a
		}
		// The demo page is at /widget/demo: that is the FAQ's context.
		mk(kb.ArticleInput{Title: "Hoe stuur ik iets retour?", Body: "Pak het in en plak het label erop.",
			Contexts: []string{"/widget/demo"}})
		pw := mk(kb.ArticleInput{Title: "Wachtwoord vergeten", Description: "Een nieuw wachtwoord instellen.",
			Body: "## Nieuw wachtwoord\n\n1. Ga naar [inloggen](https://shop.example/login).\n2. Kies *wachtwoord vergeten*.\n\n<img src=x onerror=\"window.__pwned=1\">"})
		mk(kb.ArticleInput{Title: "Wachtwoord resetten voor een klant", Body: "Alleen voor agents.", Internal: true})

		visitor := browser(t)
		err := chromedp.Do(visitor,
			chromedp.EmulateViewport(360, 740),
			chromedp.Navigate(s.srv.URL+"/widget/demo?inbox="+s.inbox.PublicKey+"&locale=nl"),
			chromedp.WaitVisible(w("balie-launcher")),
			chromedp.Click(w("balie-launcher")),
			chromedp.WaitVisible(w("balie-search")),
			chromedp.WaitVisible(wText("balie-faq", "Hoe stuur ik iets retour?")),
		)
		if err != nil {
			shot(t, visitor, "faq")
			t.Fatalf("the widget shows no FAQ for its page: %v", err)
		}
		// Help opens with the search box focused, and fits the phone.
		fits, err := chromedp.Run(visitor, chromedp.Evaluate[bool](`(() => {
			const r = document.querySelector('[data-balie]').shadowRoot;
			const p = r.querySelector('[data-testid=balie-panel]');
			return r.activeElement === r.querySelector('[data-testid=balie-search]') &&
				p.getBoundingClientRect().width <= 360 && p.scrollWidth <= p.clientWidth })()`))
		if err != nil || !fits {
			shot(t, visitor, "narrow")
			t.Errorf("help is not focused on its search box or does not fit 360px (err %v)", err)
		}

		// Typing suggests; the arrow key walks into the suggestions and
		// Escape back to the search box; submitting searches.
		err = chromedp.Do(visitor,
			chromedp.SendKeys(w("balie-search"), "wachtwoord"),
			chromedp.WaitVisible(wText("balie-suggestion", "Wachtwoord vergeten")),
			chromedp.SendKeys(w("balie-search"), keys.ArrowDown),
		)
		if err != nil {
			shot(t, visitor, "suggest")
			t.Fatalf("no suggestions: %v", err)
		}
		focused, err := chromedp.Run(visitor, chromedp.Evaluate[string](
			`document.querySelector('[data-balie]').shadowRoot.activeElement.dataset.testid`))
		if err != nil || focused != "balie-suggestion" {
			t.Errorf("after arrow down the focus is on %q (err %v), want the first suggestion", focused, err)
		}
		err = chromedp.Do(visitor,
			chromedp.KeyEvent(keys.Escape),
			chromedp.WaitNotVisible(w("balie-suggestions")),
			chromedp.SendKeys(w("balie-search"), "\r"),
			chromedp.WaitVisible(wText("balie-result", "Wachtwoord vergeten")),
		)
		if err != nil {
			shot(t, visitor, "search")
			t.Fatalf("search found nothing: %v", err)
		}
		internal, err := chromedp.Run(visitor, chromedp.Evaluate[int](
			`Array.from(document.querySelector('[data-balie]').shadowRoot.querySelectorAll('[data-testid=balie-result],[data-testid=balie-suggestion]')).filter(e => e.textContent.includes('voor een klant')).length`))
		if err != nil || internal != 0 {
			t.Errorf("an internal article shows in the widget (%d times, err %v)", internal, err)
		}

		err = chromedp.Do(visitor,
			chromedp.Click(wText("balie-result", "Wachtwoord vergeten")),
			chromedp.WaitVisible(wText("balie-article-title", "Wachtwoord vergeten")),
			chromedp.WaitVisible(wText("balie-article-body", "Kies wachtwoord vergeten")),
		)
		if err != nil {
			shot(t, visitor, "article")
			t.Fatalf("the article does not open in the widget: %v", err)
		}
		link, err := chromedp.Run(visitor, chromedp.Evaluate[string](`(() => {
			const a = document.querySelector('[data-balie]').shadowRoot.querySelector('[data-testid=balie-article-body] a');
			return a.target + ' ' + a.rel + ' ' + a.href })()`))
		if err != nil || link != "_blank noopener noreferrer https://shop.example/login" {
			t.Errorf("article link = %q (err %v), want a new tab with noopener", link, err)
		}
		pwned, err := chromedp.Run(visitor, chromedp.Evaluate[bool](`window.__pwned === 1`))
		if err != nil || pwned {
			t.Fatalf("markup in the article ran (pwned=%v, err=%v)", pwned, err)
		}

		err = chromedp.Do(visitor,
			chromedp.Click(w("balie-helpful-yes")),
			chromedp.WaitVisible(w("balie-feedback-done")),
		)
		if err != nil {
			shot(t, visitor, "feedback")
			t.Fatalf("feedback: %v", err)
		}
		// The thank-you shows once the vote is in; give a loaded machine a
		// moment all the same.
		var fb []desk.ArticleFeedback
		for range 100 {
			if fb, err = s.app.Store.ListArticleFeedback(ctx, pw.ID, 10); err != nil {
				t.Fatal(err)
			}
			if len(fb) > 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(fb) != 1 || !fb[0].Helpful || fb[0].SearchID == 0 {
			t.Fatalf("stored feedback = %+v, want one helpful vote from the search", fb)
		}
		if log, err := s.app.Store.SearchLogByID(ctx, fb[0].SearchID); err != nil || log.Source != desk.SourceWidget ||
			log.ClickedArticleID != pw.ID || log.Context != "url:/widget/demo" {
			t.Errorf("search log = %+v (err %v), want a widget search on /widget/demo that opened article %d", log, err, pw.ID)
		}

		// Still need help: the chat, its first message about the article.
		err = chromedp.Do(visitor,
			chromedp.Click(w("balie-to-chat")),
			chromedp.WaitVisible(w("balie-input")),
		)
		if err != nil {
			t.Fatalf("to the chat: %v", err)
		}
		draft, err := chromedp.Run(visitor, chromedp.Evaluate[string](
			`document.querySelector('[data-balie]').shadowRoot.querySelector('[data-testid=balie-input]').value`))
		if err != nil || !strings.Contains(draft, "Wachtwoord vergeten") {
			t.Errorf("chat input = %q (err %v), want it to start about the article", draft, err)
		}
		err = chromedp.Do(visitor,
			chromedp.SendKeys(w("balie-input"), "het lukt niet"),
			chromedp.Click(w("balie-send")),
			chromedp.WaitVisible(wText("balie-message", "het lukt niet")),
		)
		if err != nil {
			shot(t, visitor, "chat")
			t.Fatalf("chat after help: %v", err)
		}
	})
}
