package helpcenter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/channel/webchat"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/realtime"
	"github.com/balie-dev/balie/internal/testenv"
)

// hostileSubject is a customer's subject that tries to become markup.
const hostileSubject = `Factuur <img src=x onerror="document.title='pwned'">`

// TestBrowserContactCases opens the contact page in a real browser, under
// the server's Content-Security-Policy, with the chat widget served from the
// same origin: without a visitor token nothing is asked or shown; with the
// token of a customer who chatted before, their questions are listed, and
// the button opens the chat.
func TestBrowserContactCases(t *testing.T) {
	exe := chromium(t)
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx0 := context.Background()
	f := newFixture(t, testenv.OpenSQLite)
	chat := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "pk_chat", CreatedAt: f.clock.Now()}
	if err := f.st.CreateInbox(ctx0, chat); err != nil {
		t.Fatal(err)
	}
	f.withContact(t) // the help center embeds the widget of pk_chat

	// A customer who chatted (still open) and, on the same profile, wrote
	// an email that was resolved. The widget's token is all their browser
	// keeps; the store knows only its hash.
	token := strings.Repeat("ab", 32)
	sum := sha256.Sum256([]byte(token))
	res, err := f.conv.Ingest(ctx0, desk.Inbound{InboxID: chat.ID, Body: "Mijn fiets maakt een raar geluid",
		From: desk.Identity{Kind: desk.IdentityVisitor, Value: hex.EncodeToString(sum[:])}})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Hour)
	mail, err := f.conv.Ingest(ctx0, desk.Inbound{InboxID: f.inbox.ID, ContactID: res.Contact.ID,
		Subject: hostileSubject, Body: "Er staat een fiets te veel op."})
	if err != nil {
		t.Fatal(err)
	}
	resolved := desk.StatusResolved
	mail.Conversation.Status, mail.Conversation.ResolvedAt = resolved, f.clock.Now()
	if err := f.st.UpdateConversation(ctx0, mail.Conversation); err != nil {
		t.Fatal(err)
	}

	b := bus.NewLocal(0)
	hub := realtime.New(b, f.st, f.conv, realtime.Options{})
	hubCtx, stopHub := context.WithCancel(ctx0)
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); hub.Run(hubCtx) }()
	<-hub.Ready()
	webchat.New(webchat.Deps{Store: f.st, Conversations: f.conv, Hub: hub, Clock: f.clock, KB: f.kb}).Routes(f.mux)

	var asked atomic.Int32 // requests for the cases list
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		if r.URL.Path == "/widget/api/cases" {
			asked.Add(1)
		}
		f.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { stopHub(); <-hubDone; srv.Close() })

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(390, 844))
	actx, cancel := chromedp.NewExecAllocator(ctx0, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A bound so that a broken page fails instead of hanging.
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	type css = chromedp.CSS
	// help.js has run once it has shown the chat buttons.
	ready := chromedp.WaitVisible(css(`#q`))
	initDone := waitJS(`!document.querySelector('#cases [data-open-chat]').hidden`)

	t.Run("no token, nothing shown", func(t *testing.T) {
		err := chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/help/nl/contact"),
			ready, initDone,
		)
		if err != nil {
			t.Fatalf("load the contact page: %v", err)
		}
		hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('cases').hidden`))
		if err != nil {
			t.Fatal(err)
		}
		if !hidden || asked.Load() != 0 {
			t.Errorf("cases hidden = %v after %d requests, want hidden and none asked", hidden, asked.Load())
		}
	})

	t.Run("the visitor's questions", func(t *testing.T) {
		err := chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem('balie:pk_chat', %q)`, token)),
			chromedp.Navigate(srv.URL+"/help/nl/contact"),
			ready,
			chromedp.WaitVisible(css(`#cases .case`)),
		)
		if err != nil {
			t.Fatalf("cases not shown: %v", err)
		}
		items, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('#cases .case')).map(function (li) { return li.textContent; })`))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"Je vraag van 2 maart — afgerond" + hostileSubject,
			"Je vraag van 2 maart — in behandelingMijn fiets maakt een raar geluid",
		}
		if len(items) != len(want) {
			t.Fatalf("cases = %q, want %q", items, want)
		}
		for i := range want {
			// The year shows only when it is not the browser's current year.
			got := strings.Replace(items[i], " 2026 —", " —", 1)
			if got != want[i] {
				t.Errorf("case %d = %q, want %q", i, items[i], want[i])
			}
		}
		if dir := os.Getenv("BALIE_HELP_SHOTS"); dir != "" {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, "contact-cases.png"), png, 0o644)
			}
			if err != nil {
				t.Errorf("screenshot: %v", err)
			}
		}
		injected, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
			`document.querySelectorAll('#cases img').length > 0 || document.title === 'pwned'`))
		if err != nil || injected {
			t.Errorf("the subject became markup (%v)", err)
		}
		err = chromedp.Do(ctx,
			chromedp.WaitVisible(css(`#cases [data-open-chat]`)),
			// The widget loads async; its launcher must exist to be opened.
			waitJS(`!!document.querySelector('[data-balie]')`),
			chromedp.Click(css(`#cases [data-open-chat]`)),
			waitJS(`(function () { var h = document.querySelector('[data-balie]'); var r = h && (h.shadowRoot || h);
				var l = r && r.querySelector('[data-testid="balie-launcher"]'); return !!l && l.getAttribute('aria-expanded') === 'true'; })()`),
		)
		if err != nil {
			t.Errorf("continue in the chat: %v", err)
		}
	})

	t.Run("another visitor's token shows nothing", func(t *testing.T) {
		before := asked.Load()
		err := chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem('balie:pk_chat', %q)`, strings.Repeat("cd", 32))),
			chromedp.Navigate(srv.URL+"/help/nl/contact"),
			ready, initDone,
		)
		if err != nil {
			t.Fatal(err)
		}
		// The list is asked for; once answered, the section stays hidden.
		deadline := time.Now().Add(10 * time.Second)
		for asked.Load() == before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if asked.Load() == before {
			t.Fatal("the cases list was never asked for")
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#cases .case').length`))
		if err != nil || n != 0 {
			t.Errorf("%d cases shown for an unknown visitor (%v), want none", n, err)
		}
	})
}

// waitJS polls a JavaScript expression until it is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		for {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, tg)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}
