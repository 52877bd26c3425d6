// Package e2e drives balie in a real Chromium, as a person would: the widget
// on a shop page, the agent workspace, the login form. The tests need a
// Chromium binary (BALIE_CHROMIUM, or chromium on the PATH) and are skipped
// without one; `make test` installs it.
package e2e

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balie-dev/balie/internal/app"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

const password = "correct horse battery"

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
	t.Skip("no Chromium found: set BALIE_CHROMIUM or install chromium (make test does)")
	return ""
}

// site is a running balie with an admin agent and a web-chat inbox.
type site struct {
	app   *app.App
	srv   *httptest.Server
	admin *desk.Agent
	inbox *desk.Inbox
}

func newSite(t *testing.T, open func(testing.TB) desk.Store) *site {
	t.Helper()
	st := open(t)
	a, err := app.Assemble(st, app.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Assemble: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a.Start(ctx)
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	admin, err := a.Agents.Create(ctx, "anna@example.com", "Anna de Vries", desk.RoleAdmin, "nl", password)
	if err != nil {
		t.Fatal(err)
	}
	inbox := &desk.Inbox{Name: "Webshop chat", Channel: desk.ChannelWebChat, PublicKey: "shopkey123", Settings: map[string]string{}}
	if err := st.CreateInbox(ctx, inbox); err != nil {
		t.Fatal(err)
	}
	return &site{app: a, srv: srv, admin: admin, inbox: inbox}
}

// browser starts a headless Chromium with a fresh profile; each call gives a
// separate browser (separate cookies and storage), like two people.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// A generous overall bound so a broken page fails the test instead of
	// hanging CI; it is not a performance assertion.
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func forEachStore(t *testing.T, fn func(t *testing.T, s *site)) {
	chromium(t)
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) { fn(t, newSite(t, o.Open)) })
	}
}

// shot saves a screenshot of a failing page next to the test's output
// (BALIE_E2E_SHOTS=dir), to see what the browser saw.
func shot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("BALIE_E2E_SHOTS")
	if dir == "" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-"+name+".png")
	if err := os.WriteFile(p, buf, 0o644); err == nil {
		t.Logf("screenshot: %s", p)
	}
}
