package helpcenter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/balie-dev/balie/internal/testenv"
)

// chromium finds a browser for the browser tests (BALIE_CHROMIUM, or one on
// the PATH); without one they are skipped.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BALIE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found: set BALIE_CHROMIUM or install chromium")
	return ""
}

// TestBrowserSuggest types a question in a real browser, under the
// server's Content-Security-Policy, and follows a suggestion.
func TestBrowserSuggest(t *testing.T) {
	exe := chromium(t)
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newFixture(t, testenv.OpenSQLite)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server's policy: the page must work without inline script.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		f.mux.ServeHTTP(w, r)
	}))
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(390, 844))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A bound so that a broken page fails instead of hanging; not a
	// performance assertion.
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	type css = chromedp.CSS
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/help/nl"),
		chromedp.WaitVisible(css(`#q`)),
		chromedp.SendKeys(css(`#q`), "adre"),
		// The answer to the whole query, not to one typed halfway.
		chromedp.WaitVisible(css(`#q-suggest[data-q="adre"] a`)),
	)
	if err != nil {
		t.Fatalf("suggestions: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(css(`#q-suggest a`)))
	if err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(css(`#q-suggest a`), "href"))
	if err != nil {
		t.Fatal(err)
	}
	if title != "Adres wijzigen" || !strings.HasSuffix(href.Value, "/help/nl/a/adres-wijzigen") {
		t.Errorf("suggestion %q → %q, want Adres wijzigen → /help/nl/a/adres-wijzigen", title, href.Value)
	}
	shots := os.Getenv("BALIE_HELP_SHOTS")
	shoot := func(name string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			if shots == "" {
				return chromedp.Void{}, nil
			}
			b, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, err
			}
			return chromedp.Void{}, os.WriteFile(filepath.Join(shots, name+".png"), b, 0o644)
		}
	}
	// The keyboard moves through the suggestions.
	err = chromedp.Do(ctx, shoot("home-suggest"), chromedp.KeyEvent(kb.ArrowDown))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := chromedp.Run(ctx, chromedp.AttributeValue(css(`#q-suggest a`), "aria-selected"))
	if err != nil || sel.Value != "true" {
		t.Errorf("after arrow down: aria-selected = %q (%v), want true", sel.Value, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#q-suggest a`)),
		waitPath("/help/nl/a/adres-wijzigen"),
		chromedp.WaitVisible(css(`#article-h`)),
		shoot("article"),
	)
	if err != nil {
		t.Fatalf("open the suggestion: %v", err)
	}
	h1, err := chromedp.Run(ctx, chromedp.Text(css(`#article-h`)))
	if err != nil {
		t.Fatal(err)
	}
	if h1 != "Adres wijzigen" {
		t.Errorf("opened %q, want Adres wijzigen", h1)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css(`button[value="no"]`)),
		chromedp.WaitVisible(css(`#feedback-h[role=status]`)),
		shoot("thanks"),
		chromedp.Navigate(srv.URL+"/help/nl/search?q=adres"),
		chromedp.WaitVisible(css(`.results`)),
		shoot("search"),
	)
	if err != nil {
		t.Fatalf("feedback and search: %v", err)
	}
}

// waitPath waits until the page is at path: a query started before a
// navigation would keep looking at the old document.
func waitPath(path string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		for {
			p, err := chromedp.Evaluate[string](`location.pathname`)(ctx, tg)
			if err == nil && p == path {
				return chromedp.Void{}, nil
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("waiting for %s (at %q): %w", path, p, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}
