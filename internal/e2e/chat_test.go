package e2e

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// w selects an element inside the widget's shadow root by data-testid.
func w(testid string) chromedp.JSPath {
	return chromedp.JSPath(fmt.Sprintf(`document.querySelector('[data-balie]').shadowRoot.querySelector('[data-testid=%q]')`, testid))
}

func login(t *testing.T, s *site) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(s.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-email]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-email]`), s.admin.Email),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-password]`), password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		// The workspace's layout has a logout button; the login page has not.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=logout]`)),
	)
}

func TestAgentLogsIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		ctx := browser(t)
		if err := chromedp.Do(ctx, login(t, s)); err != nil {
			t.Fatalf("login: %v", err)
		}
		url, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(strings.SplitN(url, "?", 2)[0], "/app") {
			t.Fatalf("after login the browser is at %s, want /app", url)
		}
		// A wrong password keeps the agent on the login page with an error.
		ctx2 := browser(t)
		err = chromedp.Do(ctx2,
			chromedp.Navigate(s.srv.URL+"/login"),
			chromedp.SendKeys(chromedp.CSS(`[data-testid=login-email]`), s.admin.Email),
			chromedp.SendKeys(chromedp.CSS(`[data-testid=login-password]`), "wrong password here"),
			chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-error]`)),
		)
		if err != nil {
			t.Fatalf("wrong password: %v", err)
		}
	})
}

// TestVisitorAndAgentChatLive: a visitor writes in the widget on a shop page,
// the agent sees it live in the workspace, replies, and the visitor sees the
// reply; a script in the visitor's message stays text.
func TestVisitorAndAgentChatLive(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		agent := browser(t)
		visitor := browser(t)
		if err := chromedp.Do(agent, login(t, s), chromedp.Navigate(s.srv.URL+"/app?view=all"),
			chromedp.WaitReady(chromedp.CSS(`html[data-live-state=open]`))); err != nil {
			t.Fatalf("agent: %v", err)
		}

		const xss = `Mijn bestelling <img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script> is kapot`
		err := chromedp.Do(visitor,
			chromedp.Navigate(s.srv.URL+"/widget/demo?inbox="+s.inbox.PublicKey+"&locale=nl"),
			chromedp.WaitVisible(w("balie-launcher")),
			chromedp.Click(w("balie-launcher")),
			chromedp.WaitVisible(w("balie-input")),
			chromedp.SendKeys(w("balie-input"), xss),
			chromedp.Click(w("balie-send")),
			chromedp.WaitVisible(w("balie-message")),
		)
		if err != nil {
			t.Fatalf("visitor sends: %v", err)
		}

		// The new conversation appears in the agent's open inbox without a reload.
		if err := chromedp.Do(agent, chromedp.WaitVisible(chromedp.CSS(`[data-testid=conversation-row]`))); err != nil {
			shot(t, agent, "agent")
			shot(t, visitor, "visitor")
			t.Fatalf("agent never saw the conversation appear: %v", err)
		}
		if err := chromedp.Do(agent, chromedp.Click(chromedp.CSS(`[data-testid=conversation-row] a`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=message][data-kind=message]`)),
			chromedp.WaitReady(chromedp.CSS(`html[data-live-state=open]`))); err != nil {
			t.Fatalf("agent opens the conversation: %v", err)
		}
		body, err := chromedp.Run(agent, chromedp.Text(chromedp.CSS(`[data-testid=message][data-kind=message]`)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, "<script>window.__pwned=1</script>") {
			t.Errorf("agent sees %q, want the script shown as text", body)
		}
		pwned, err := chromedp.Run(agent, chromedp.Evaluate[bool](`window.__pwned === 1`))
		if err != nil || pwned {
			t.Fatalf("the visitor's markup ran in the agent's page (pwned=%v, err=%v)", pwned, err)
		}

		// The visitor writes again; it appears live in the open conversation.
		if err := chromedp.Do(visitor, chromedp.SendKeys(w("balie-input"), "Hallo, is daar iemand?"),
			chromedp.Click(w("balie-send"))); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(agent, chromedp.WaitVisible(chromedp.JSPath(
			`Array.from(document.querySelectorAll('[data-testid=message]')).filter(e => e.textContent.includes('is daar iemand'))`))); err != nil {
			t.Fatalf("second message never appeared live for the agent: %v", err)
		}

		// The agent replies; the visitor sees it without reloading.
		if err := chromedp.Do(agent,
			chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-body]`), "Goedemiddag! Ik kijk het direct voor u na."),
			chromedp.Click(chromedp.CSS(`[data-testid=send-button]`)),
		); err != nil {
			t.Fatalf("agent replies: %v", err)
		}
		if err := chromedp.Do(visitor, chromedp.WaitVisible(chromedp.JSPath(
			`Array.from(document.querySelector('[data-balie]').shadowRoot.querySelectorAll('[data-testid=balie-message]')).filter(e => e.textContent.includes('Ik kijk het direct'))`))); err != nil {
			t.Fatalf("visitor never saw the agent's reply: %v", err)
		}
		vpwned, err := chromedp.Run(visitor, chromedp.Evaluate[bool](`window.__pwned === 1`))
		if err != nil || vpwned {
			t.Fatalf("markup ran in the visitor's page (pwned=%v, err=%v)", vpwned, err)
		}

		// After a reload the visitor's conversation is still there.
		if err := chromedp.Do(visitor, chromedp.Reload(),
			chromedp.WaitVisible(w("balie-launcher")), chromedp.Click(w("balie-launcher")),
			chromedp.WaitVisible(chromedp.JSPath(
				`Array.from(document.querySelector('[data-balie]').shadowRoot.querySelectorAll('[data-testid=balie-message]')).filter(e => e.textContent.includes('Ik kijk het direct'))`))); err != nil {
			t.Fatalf("conversation gone after reload: %v", err)
		}
	})
}

// TestConversationPanelUpdatesLive: another agent (here: the API) assigns
// and labels the conversation an agent has open; the side panel follows
// without a reload.
func TestConversationPanelUpdatesLive(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		ctx := t.Context()
		res, err := s.app.Conversations.Ingest(ctx, desk.Inbound{InboxID: s.inbox.ID,
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "klant@example.nl"}, Body: "Mijn fiets piept"})
		if err != nil {
			t.Fatal(err)
		}
		agent := browser(t)
		if err := chromedp.Do(agent, login(t, s),
			chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", s.srv.URL, res.Conversation.ID)),
			chromedp.WaitReady(chromedp.CSS(`html[data-live-state=open]`))); err != nil {
			t.Fatalf("open conversation: %v", err)
		}
		admin := s.admin.ID
		if _, err := s.app.Conversations.Update(ctx, conversation.Actor{Name: "API"}, res.Conversation.ID,
			conversation.Change{AssigneeID: &admin}); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprint(admin)
		if err := chromedp.Do(agent, chromedp.WaitReady(chromedp.JSPath(
			`(() => { const s = document.querySelector('[data-testid=assignee]'); return s && s.value === '`+want+`' ? s : null })()`))); err != nil {
			shot(t, agent, "agent")
			t.Fatalf("the assignee never changed live in the open page: %v", err)
		}
		// The activity line arrives live too, in the agent's language (nl).
		if err := chromedp.Do(agent, chromedp.WaitReady(chromedp.JSPath(
			`Array.from(document.querySelectorAll('[data-testid=message][data-kind=activity]')).filter(e => e.textContent.includes('toegewezen aan Anna de Vries'))`))); err != nil {
			shot(t, agent, "agent")
			t.Fatalf("no Dutch activity line appeared live: %v", err)
		}
	})
}

// TestVisitorSendsAnImage: a picture chosen in the widget shows as a
// thumbnail for the visitor and for the agent, served from balie.
func TestVisitorSendsAnImage(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		img := image.NewRGBA(image.Rect(0, 0, 640, 480))
		for x := 0; x < 640; x++ {
			for y := 0; y < 480; y++ {
				img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
			}
		}
		path := filepath.Join(t.TempDir(), "kapotte-spaak.png")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()

		visitor := browser(t)
		err = chromedp.Do(visitor,
			chromedp.Navigate(s.srv.URL+"/widget/demo?inbox="+s.inbox.PublicKey+"&locale=nl"),
			chromedp.WaitVisible(w("balie-launcher")),
			chromedp.Click(w("balie-launcher")),
			chromedp.WaitVisible(w("balie-input")),
			chromedp.SetUploadFiles(w("balie-file"), []string{path}),
			chromedp.WaitReady(chromedp.JSPath(`document.querySelector('[data-balie]').shadowRoot.querySelector('[data-testid=balie-attachment] img')`)),
		)
		if err != nil {
			shot(t, visitor, "visitor")
			t.Fatalf("visitor's image never showed: %v", err)
		}
		// The thumbnail really loaded (a broken image has no natural width).
		loaded, err := chromedp.Run(visitor, chromedp.Evaluate[bool](
			`(async () => { const i = document.querySelector('[data-balie]').shadowRoot.querySelector('[data-testid=balie-attachment] img'); if (!i.complete) await new Promise(r => i.onload = i.onerror = r); return i.naturalWidth > 0 })()`,
			chromedp.EvalAwaitPromise))
		if err != nil || !loaded {
			t.Fatalf("the visitor's thumbnail did not load (err %v)", err)
		}

		agent := browser(t)
		page, err := s.app.Store.ListConversations(t.Context(), desk.ConversationQuery{View: desk.ViewAll, Limit: 1})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("conversations: %v %v", page.Items, err)
		}
		if err := chromedp.Do(agent, login(t, s),
			chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", s.srv.URL, page.Items[0].ID)),
			chromedp.WaitVisible(chromedp.CSS(`a.thumb img`))); err != nil {
			shot(t, agent, "agent")
			t.Fatalf("the agent sees no thumbnail: %v", err)
		}
		w, err := chromedp.Run(agent, chromedp.Evaluate[int](
			`(async () => { const i = document.querySelector('a.thumb img'); if (!i.complete) await new Promise(r => i.onload = i.onerror = r); return i.naturalWidth })()`,
			chromedp.EvalAwaitPromise))
		if err != nil || w == 0 || w >= 640 {
			t.Fatalf("agent's thumbnail natural width = %d (err %v), want a loaded, scaled-down image", w, err)
		}
	})
}
