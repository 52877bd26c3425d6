package helpcenter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balie-dev/balie/internal/testenv"
)

// TestBrowserContact types a question on the contact page in a real
// browser: a flow is suggested, and opening it counts the visit as
// answered.
func TestBrowserContact(t *testing.T) {
	exe := chromium(t)
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newFixture(t, testenv.OpenSQLite)
	f.withContact(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	// A bound so that a broken page fails instead of hanging.
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	type css = chromedp.CSS
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/help/nl/contact"),
		chromedp.WaitVisible(css(`#q`)),
		chromedp.SendKeys(css(`#q`), "pakket"),
		chromedp.WaitVisible(css(`#q-suggest[data-q="pakket"] a.suggest-flow`)),
	)
	if err != nil {
		t.Fatalf("suggestions: %v", err)
	}
	if n := len(f.visits(t)); n != 0 {
		t.Errorf("%d visits while typing, want none yet", n)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#q-suggest a.suggest-flow`)),
		waitPath("/help/nl/flows/pakket-niet-bezorgd"),
		chromedp.WaitVisible(css(`#flow legend`)),
	)
	if err != nil {
		t.Fatalf("open the flow: %v", err)
	}
	search, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.search`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(search, "?cv=") {
		t.Errorf("flow opened at %q, want it to carry the visit", search)
	}
	visits := f.visits(t)
	if len(visits) != 1 || visits[0].Query != "pakket" || !visits[0].Answered {
		t.Errorf("visits = %+v, want one answered visit for \"pakket\"", visits)
	}
}
