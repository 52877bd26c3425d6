package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/desk"
)

// A 1×1 red PNG, inline in the mail below.
const redPixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="

const hostileMail = `From: "Petra Jansen" <petra@klant.example>
To: support@despaak.example
Subject: Spaak gebroken
Message-ID: <e2e-html@klant.example>
Authentication-Results: mail.provider.example; spf=pass; dkim=fail; dmarc=fail
MIME-Version: 1.0
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>Er is een <b id="bold">spaak gebroken</b>.</p><p><img id="photo" src="cid:foto@petra" alt="foto"></p>
<img src="x" onerror="top.__pwned=1"><script>top.__pwned=1</script><a href="javascript:top.__pwned=1">klik</a>
--rel
Content-Type: image/png; name="wiel.png"
Content-ID: <foto@petra>
Content-Transfer-Encoding: base64

` + redPixel + `
--rel--
`

// TestMailHTMLView: an agent reads a hostile HTML mail in the workspace. The
// failed sender check is shown as a warning; the original HTML opens in a
// sandboxed frame with its inline image, and nothing in it runs.
func TestMailHTMLView(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *site) {
		ctx := context.Background()
		mail := &desk.Inbox{Name: "E-mail", Channel: desk.ChannelEmail, PublicKey: "mailkey",
			Settings: map[string]string{smtpd.SettingAddress: "support@despaak.example"}}
		if err := s.app.Store.CreateInbox(ctx, mail); err != nil {
			t.Fatal(err)
		}
		env := smtpd.Envelope{ID: "e2e", To: []string{"support@despaak.example"}, RemoteAddr: "imap.example:993", Mailbox: true}
		if err := s.app.Mail.Deliver(ctx, env, []byte(strings.ReplaceAll(hostileMail, "\n", "\r\n"))); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		m, err := s.app.Store.MessageByExternalID(ctx, mail.ID, "e2e-html@klant.example")
		if err != nil {
			t.Fatal(err)
		}
		b := browser(t)
		if err := chromedp.Do(b, login(t, s)); err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(b,
			chromedp.Navigate(fmt.Sprintf("%s/app/conversations/%d", s.srv.URL, m.ConversationID)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=mail-auth]`)),
			chromedp.Click(chromedp.CSS(`[data-testid=mail-html] summary`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=mail-html] iframe`)),
			chromedp.Sleep(500e6), // let the frame load before looking for side effects
		)
		if err != nil {
			shot(t, b, "thread")
			t.Fatal(err)
		}
		warn, err := chromedp.Run(b, chromedp.Text(chromedp.CSS(`[data-testid=mail-auth]`)))
		if err != nil || !strings.Contains(warn, "niet bevestigd") || !strings.Contains(warn, "DMARC: fail") {
			t.Errorf("auth line = %q, %v; want a warning naming DMARC: fail", warn, err)
		}
		pwned, err := chromedp.Run(b, chromedp.Evaluate[bool](`window.__pwned === 1`))
		if err != nil || pwned {
			t.Errorf("script in the mail ran in the workspace (pwned=%v, %v)", pwned, err)
		}
		shot(t, b, "thread")

		// The frame's document on its own: the text, the inline image
		// decoded from a data: URL, and none of the hostile parts.
		err = chromedp.Do(b, chromedp.Navigate(fmt.Sprintf("%s/messages/%d/html", s.srv.URL, m.ID)),
			chromedp.WaitVisible(chromedp.CSS(`#bold`)))
		if err != nil {
			t.Fatal(err)
		}
		html, err := chromedp.Run(b, chromedp.OuterHTML(chromedp.CSS(`body`)))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"onerror", "<script", "javascript:"} {
			if strings.Contains(html, bad) {
				t.Errorf("mail HTML contains %q: %s", bad, html)
			}
		}
		if !strings.Contains(html, `src="data:image/png;base64,`) {
			t.Errorf("inline image not embedded: %s", html)
		}
		w, err := chromedp.Run(b, chromedp.Evaluate[int](`document.getElementById('photo').naturalWidth`))
		if err != nil || w != 1 {
			t.Errorf("inline image width = %d, %v; want it decoded (1)", w, err)
		}
	})
}
