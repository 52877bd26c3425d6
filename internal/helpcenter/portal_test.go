package helpcenter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/casestatus"
	"github.com/balie-dev/balie/internal/commerce"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/idtoken"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/selfservice"
	"github.com/balie-dev/balie/internal/testenv"
)

const portalSecret = "company-site-identity-secret"

// fakeMail records mails instead of sending them.
type fakeMail struct {
	mu   sync.Mutex
	sent []desk.Outbound
}

func (m *fakeMail) Send(_ context.Context, out desk.Outbound) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, out)
	return "id", nil
}

func (m *fakeMail) all() []desk.Outbound {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]desk.Outbound(nil), m.sent...)
}

type portalFixture struct {
	st     desk.Store
	clock  *testClock
	h      *Handler
	mux    *http.ServeMux
	mail   *fakeMail
	status *casestatus.Service
	convs  *conversation.Service
	// Sanne and Bram are two customers, each with a conversation; Sanne's
	// has an internal note.
	sanne, bram         *desk.Contact
	sanneConv, bramConv *desk.Conversation
}

func newPortalFixture(t *testing.T, open func(testing.TB) desk.Store) *portalFixture {
	t.Helper()
	ctx := context.Background()
	st := open(t)
	f := &portalFixture{st: st, clock: &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}, mail: &fakeMail{}}
	b := bus.NewLocal(0)
	k := kb.New(st, b, f.clock, nil, kb.Options{})
	f.convs = conversation.New(st, b, f.clock, nil, conversation.Options{})
	f.status = casestatus.New(st, f.convs, f.clock, casestatus.Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	chat := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "chat",
		Settings: map[string]string{"identity_secret": portalSecret}}
	must(st.CreateInbox(ctx, chat))
	must(st.CreateInbox(ctx, &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mail",
		Settings: map[string]string{"address": "help@fietsen.example.nl"}}))
	team := &desk.Team{Name: "Orders"}
	must(st.CreateTeam(ctx, team))
	customer := func(name, email, text string) (*desk.Contact, *desk.Conversation) {
		res, err := f.convs.Ingest(ctx, desk.Inbound{InboxID: chat.ID, From: desk.Identity{Kind: desk.IdentityEmail, Value: email},
			FromName: name, Body: text})
		must(err)
		return res.Contact, res.Conversation
	}
	f.sanne, f.sanneConv = customer("Sanne", "sanne@example.com", "Waar blijft mijn fiets?")
	f.bram, f.bramConv = customer("Bram", "bram@example.com", "Bram's secret question")
	tid := team.ID
	_, err := f.convs.Update(ctx, conversation.Actor{AgentID: 0, Name: "balie"}, f.sanneConv.ID, conversation.Change{TeamID: &tid})
	must(err)
	_, err = f.convs.Note(ctx, conversation.Actor{Name: "Anna"}, f.sanneConv.ID, "INTERNAL: customer is difficult")
	must(err)
	_, err = f.convs.Reply(ctx, conversation.Actor{Name: "Anna"}, f.sanneConv.ID, "We are looking into it.", nil)
	must(err)
	shop := commerce.NewBuiltin(st, f.clock, commerce.BuiltinOptions{})
	must(st.PutOrder(ctx, &desk.Order{ContactID: f.sanne.ID, Number: "FC-1001", Status: desk.OrderPaid,
		Currency: "EUR", Address: desk.Address{Name: "Sanne", Street: "Oudegracht 1", PostalCode: "3511 AA", City: "Utrecht", Country: "NL"},
		PlacedAt: f.clock.Now().Add(-48 * time.Hour)}))
	f.h, err = New(Deps{KB: k, Clock: f.clock, Settings: st, BaseURL: "https://help.example.com/", Portal: &Portal{Store: st, Status: f.status,
		Conversations: f.convs, Actions: selfservice.New(st, shop, f.clock), Mail: f.mail}})
	must(err)
	f.h.portal.sent = make(chan struct{}, 16)
	f.mux = http.NewServeMux()
	f.h.Routes(f.mux)
	return f
}

// client is a browser: it keeps the customer cookie.
type client struct {
	f      *portalFixture
	cookie *http.Cookie
	ip     string
}

func (c *client) do(t *testing.T, method, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.RemoteAddr = c.ip + ":4000"
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	rec := httptest.NewRecorder()
	c.f.mux.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == customerCookie {
			c.cookie = ck
		}
	}
	return rec
}

func (f *portalFixture) token(t *testing.T, c idtoken.Claims) string {
	t.Helper()
	if c.Exp == 0 {
		c.Exp = f.clock.Now().Add(time.Hour).Unix()
	}
	tok, err := idtoken.Sign(portalSecret, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *portalFixture) login(t *testing.T, email string) *client {
	t.Helper()
	c := &client{f: f, ip: "192.0.2.50"}
	tok := f.token(t, idtoken.Claims{Email: email})
	// The link shows whom it logs in and changes nothing yet.
	rec := c.do(t, http.MethodGet, "/help/en/account?token="+tok, nil)
	if rec.Code != http.StatusOK || c.cookie != nil || !strings.Contains(rec.Body.String(), "portal-token-go") {
		t.Fatalf("token link: %d, cookie %v, want a confirmation and no session: %s", rec.Code, c.cookie, rec.Body.String())
	}
	rec = c.do(t, http.MethodPost, "/help/en/account/token", url.Values{"token": {tok}})
	if rec.Code != http.StatusSeeOther || c.cookie == nil {
		t.Fatalf("token login: %d, cookie %v: %s", rec.Code, c.cookie, rec.Body.String())
	}
	return c
}

// TestTokenLinkIsNoLoginCSRF: a link with Bram's token, followed by Sanne
// who is logged in, asks before it does anything; a form posted from
// another site does nothing.
func TestTokenLinkIsNoLoginCSRF(t *testing.T) {
	f := newPortalFixture(t, testenv.OpenSQLite)
	sanne := f.login(t, "sanne@example.com")
	cookie := sanne.cookie
	tok := f.token(t, idtoken.Claims{Email: "bram@example.com", Name: "Bram"})
	rec := sanne.do(t, http.MethodGet, "/help/en/account?token="+url.QueryEscape(tok), nil)
	if !strings.Contains(rec.Body.String(), "Continue as Bram?") || sanne.cookie != cookie {
		t.Errorf("the link changed the session or did not ask: %d", rec.Code)
	}
	req := httptest.NewRequest(http.MethodPost, "/help/en/account/token", strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(cookie)
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, req)
	if w.Code != http.StatusNotFound || len(w.Result().Cookies()) != 0 {
		t.Errorf("cross-site token login: %d, cookies %v; want 404 and none", w.Code, w.Result().Cookies())
	}
}

func forEachPortalStore(t *testing.T, fn func(t *testing.T, f *portalFixture)) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) { fn(t, newPortalFixture(t, o.Open)) })
	}
}

func TestPortalShowsOnlyOwnConversationsAndNoNotes(t *testing.T) {
	forEachPortalStore(t, func(t *testing.T, f *portalFixture) {
		sanne := f.login(t, "sanne@example.com")
		ck := sanne.cookie
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/help/" {
			t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, Path /help/", ck)
		}
		home := sanne.do(t, http.MethodGet, "/help/en/account", nil).Body.String()
		for _, want := range []string{"Waar blijft mijn fiets?", "Being handled by team Orders", "FC-1001", "Hello Sanne."} {
			if !strings.Contains(home, want) {
				t.Errorf("portal home lacks %q", want)
			}
		}
		if strings.Contains(home, "Bram") {
			t.Error("Sanne's portal shows Bram's conversation")
		}
		page := sanne.do(t, http.MethodGet, "/help/en/account/c/"+itoa(f.sanneConv.ID), nil)
		body := page.Body.String()
		if page.Code != http.StatusOK || !strings.Contains(body, "We are looking into it.") {
			t.Fatalf("own conversation: %d, lacks the agent's reply", page.Code)
		}
		if strings.Contains(body, "INTERNAL") {
			t.Error("the portal shows an internal note")
		}
		tests := []struct {
			name string
			path string
		}{
			{"another customer's conversation", "/help/en/account/c/" + itoa(f.bramConv.ID)},
			{"a conversation that does not exist", "/help/en/account/c/999999"},
			{"junk id", "/help/en/account/c/abc"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				rec := sanne.do(t, http.MethodGet, tc.path, nil)
				if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "Bram") {
					t.Errorf("status %d, want 404 without Bram's data", rec.Code)
				}
			})
		}
		// Replying to another's conversation is refused too.
		if rec := sanne.do(t, http.MethodPost, "/help/en/account/c/"+itoa(f.bramConv.ID), url.Values{"body": {"hi"}}); rec.Code != http.StatusNotFound {
			t.Errorf("reply to Bram's: %d, want 404", rec.Code)
		}
		// Her own reply lands in her conversation.
		if rec := sanne.do(t, http.MethodPost, "/help/en/account/c/"+itoa(f.sanneConv.ID), url.Values{"body": {"Thanks, waiting"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("reply: %d %s", rec.Code, rec.Body.String())
		}
		msgs, _ := f.st.ListMessages(context.Background(), f.sanneConv.ID, 0, 50)
		if last := msgs[len(msgs)-1]; last.Body != "Thanks, waiting" || last.Sender != desk.SenderContact || last.SenderID != f.sanne.ID {
			t.Errorf("last message = %+v, want Sanne's reply", last)
		}
		// Logged out, the portal asks to log in again.
		sanne.do(t, http.MethodPost, "/help/en/account/logout", url.Values{})
		sanne.cookie = ck
		if body := sanne.do(t, http.MethodGet, "/help/en/account", nil).Body.String(); !strings.Contains(body, `data-testid="portal-email"`) {
			t.Error("the old cookie still opens the portal after logging out")
		}
	})
}

func TestPortalTokenLoginRefusals(t *testing.T) {
	forEachPortalStore(t, func(t *testing.T, f *portalFixture) {
		bad, _ := idtoken.Sign("another-secret-that-is-long", idtoken.Claims{Email: "sanne@example.com",
			Exp: f.clock.Now().Add(time.Hour).Unix()})
		tests := []struct {
			name  string
			token string
		}{
			{"wrong secret", bad},
			{"expired", f.token(t, idtoken.Claims{Email: "sanne@example.com", Exp: f.clock.Now().Add(-time.Hour).Unix()})},
			{"garbage", "abc.def"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c := &client{f: f, ip: "192.0.2.60"}
				rec := c.do(t, http.MethodGet, "/help/en/account?token="+url.QueryEscape(tc.token), nil)
				if rec.Code != http.StatusUnauthorized || c.cookie != nil {
					t.Errorf("status %d cookie %v, want 401 and no session", rec.Code, c.cookie)
				}
			})
		}
	})
}

func TestMagicLink(t *testing.T) {
	forEachPortalStore(t, func(t *testing.T, f *portalFixture) {
		c := &client{f: f, ip: "192.0.2.70"}
		ask := func(email string) string {
			rec := c.do(t, http.MethodPost, "/help/en/account/login", url.Values{"email": {email}})
			if rec.Code != http.StatusOK {
				t.Fatalf("login form: %d", rec.Code)
			}
			<-f.h.portal.sent
			return rec.Body.String()
		}
		known, unknown := ask("Sanne@Example.com"), ask("nobody@example.com")
		if known != unknown {
			t.Error("the answer differs for a known and an unknown address (account enumeration)")
		}
		mails := f.mail.all()
		if len(mails) != 1 || mails[0].Contact.Email != "sanne@example.com" {
			t.Fatalf("mails = %+v, want one to sanne@example.com", mails)
		}
		link := magicLinkIn(t, mails[0].Message.Body)
		if link.Host != "help.example.com" || link.Scheme != "https" {
			t.Errorf("link %s is not on the configured address", link)
		}
		tok, to := link.Query().Get("t"), link.Query().Get("e")
		// Opening the link (a mail scanner does) spends nothing.
		if rec := c.do(t, http.MethodGet, link.RequestURI(), nil); rec.Code != http.StatusOK || c.cookie != nil {
			t.Fatalf("GET magic: %d cookie %v, want a confirmation page and no session", rec.Code, c.cookie)
		}
		// The link is bound to the address it went to.
		if rec := c.do(t, http.MethodPost, "/help/en/account/magic", url.Values{"t": {tok}, "e": {"bram@example.com"}}); rec.Code != http.StatusUnauthorized || c.cookie != nil {
			t.Fatalf("POST magic with another address: %d, want 401", rec.Code)
		}
		if rec := c.do(t, http.MethodPost, "/help/en/account/magic", url.Values{"t": {tok}, "e": {to}}); rec.Code != http.StatusSeeOther || c.cookie == nil {
			t.Fatalf("POST magic: %d, want a session", rec.Code)
		}
		// Reading the mail proved the address: it is a verified identity now.
		if ct, err := f.st.ContactByID(context.Background(), f.sanne.ID); err != nil ||
			!slices.ContainsFunc(ct.Identities, func(i desk.Identity) bool {
				return i.Kind == desk.IdentityEmail && i.Value == "sanne@example.com" && i.Verified
			}) {
			t.Errorf("Sanne's identities after the magic link = %+v (%v), want her address verified", ct.Identities, err)
		}
		other := &client{f: f, ip: "192.0.2.71"}
		if rec := other.do(t, http.MethodPost, "/help/en/account/magic", url.Values{"t": {tok}, "e": {to}}); rec.Code != http.StatusUnauthorized || other.cookie != nil {
			t.Errorf("second use: %d, want 401 (one-time)", rec.Code)
		}

		// Expiry: a link older than 15 minutes is refused.
		ask("sanne@example.com")
		mails = f.mail.all()
		link = magicLinkIn(t, mails[len(mails)-1].Message.Body)
		f.clock.add(16 * time.Minute)
		late := &client{f: f, ip: "192.0.2.72"}
		if rec := late.do(t, http.MethodPost, "/help/en/account/magic", url.Values{"t": {link.Query().Get("t")},
			"e": {link.Query().Get("e")}}); rec.Code != http.StatusUnauthorized {
			t.Errorf("expired link: %d, want 401", rec.Code)
		}
	})
}

// magicLinkIn finds the login link in a mail.
func magicLinkIn(t *testing.T, body string) *url.URL {
	t.Helper()
	for f := range strings.FieldsSeq(body) {
		if strings.Contains(f, "/account/magic?") {
			u, err := url.Parse(f)
			if err != nil {
				t.Fatalf("link %q: %v", f, err)
			}
			return u
		}
	}
	t.Fatalf("mail has no login link: %q", body)
	return nil
}

// TestMagicLinkIgnoresHostHeader: a login asked for with a forged Host
// still mails a link to the configured address, and with no address
// configured no link is mailed at all.
func TestMagicLinkIgnoresHostHeader(t *testing.T) {
	f := newPortalFixture(t, testenv.OpenSQLite)
	req := httptest.NewRequest(http.MethodPost, "/help/en/account/login", strings.NewReader("email=sanne%40example.com"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "evil.example"
	req.RemoteAddr = "192.0.2.80:4000"
	f.mux.ServeHTTP(httptest.NewRecorder(), req)
	<-f.h.portal.sent
	mails := f.mail.all()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	if link := magicLinkIn(t, mails[0].Message.Body); link.Host != "help.example.com" {
		t.Errorf("the link goes to %s, want help.example.com", link.Host)
	}

	f.h.d.BaseURL = ""
	c := &client{f: f, ip: "192.0.2.81"}
	if body := c.do(t, http.MethodGet, "/help/en/account", nil).Body.String(); !strings.Contains(body, "portal-mail-off") {
		t.Error("without a public address the login page still offers a mailed link")
	}
	if rec := c.do(t, http.MethodPost, "/help/en/account/login", url.Values{"email": {"sanne@example.com"}}); rec.Code != http.StatusOK {
		t.Fatalf("login form: %d", rec.Code)
	}
	if n := len(f.mail.all()); n != 1 {
		t.Errorf("%d mails after a login without a public address, want still 1", n)
	}
}

func TestMagicLinkRateLimits(t *testing.T) {
	f := newPortalFixture(t, testenv.OpenSQLite)
	// Per address: after 3 an hour, no more mails, and the page says the
	// same as ever.
	for i := range 5 {
		c := &client{f: f, ip: "192.0.2." + itoa(int64(100+i))}
		rec := c.do(t, http.MethodPost, "/help/en/account/login", url.Values{"email": {"sanne@example.com"}})
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "portal-mail-sent") {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
		if i < 3 {
			<-f.h.portal.sent
		}
	}
	if n := len(f.mail.all()); n != 3 {
		t.Errorf("mails to one address = %d, want 3", n)
	}
	// Per client address: the sixth request in a row is refused.
	c := &client{f: f, ip: "192.0.2.200"}
	var last int
	for i := range 6 {
		last = c.do(t, http.MethodPost, "/help/en/account/login", url.Values{"email": {"x" + itoa(int64(i)) + "@example.com"}}).Code
		if i < 5 {
			<-f.h.portal.sent
		}
	}
	if last != http.StatusUnauthorized {
		t.Errorf("sixth request from one address: %d, want refused", last)
	}
}

func TestStatusPage(t *testing.T) {
	forEachPortalStore(t, func(t *testing.T, f *portalFixture) {
		ctx := context.Background()
		l, err := f.status.Issue(ctx, f.sanneConv.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := &client{f: f, ip: "192.0.2.80"}
		rec := c.do(t, http.MethodGet, casestatus.Path("en", l.Token), nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, "Being handled by team Orders") ||
			!strings.Contains(body, "We are looking into it.") {
			t.Fatalf("status page: %d, want the step and the public messages", rec.Code)
		}
		if strings.Contains(body, "INTERNAL") {
			t.Error("the status page shows an internal note")
		}
		if rec.Header().Get("Referrer-Policy") != "no-referrer" || !strings.Contains(body, "noindex") {
			t.Error("the status page may leak its token (referrer) or be indexed")
		}
		if err := f.status.Revoke(ctx, f.sanneConv.ID); err != nil {
			t.Fatal(err)
		}
		if rec := c.do(t, http.MethodGet, casestatus.Path("en", l.Token), nil); rec.Code != http.StatusNotFound {
			t.Errorf("revoked: %d, want 404", rec.Code)
		}
		nl, _ := f.status.Regenerate(ctx, f.sanneConv.ID)
		f.clock.add(casestatus.DefaultTTL + time.Minute)
		if rec := c.do(t, http.MethodGet, casestatus.Path("en", nl.Token), nil); rec.Code != http.StatusNotFound {
			t.Errorf("expired: %d, want 404", rec.Code)
		}
	})
}

func TestPortalActions(t *testing.T) {
	f := newPortalFixture(t, testenv.OpenSQLite)
	sanne := f.login(t, "sanne@example.com")
	rec := sanne.do(t, http.MethodPost, "/help/en/account/action", url.Values{"action": {"order_status"}, "order": {"fc-1001"}})
	if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, `data-testid="portal-outcome"`) {
		t.Fatalf("order status: %d, want an outcome", rec.Code)
	}
	rec = sanne.do(t, http.MethodPost, "/help/en/account/action", url.Values{"action": {"change_address"}, "order": {"FC-1001"},
		"street": {"Neude 5"}, "postal_code": {"3512 AD"}, "city": {"Utrecht"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("change address: %d", rec.Code)
	}
	o, err := f.st.OrderByNumber(context.Background(), "FC-1001")
	if err != nil || o.Address.Street != "Neude 5" {
		t.Errorf("order after change = %+v (%v), want street Neude 5", o, err)
	}
	// A parcel on its way can be followed with one tap.
	if err := f.st.PutOrder(context.Background(), &desk.Order{ContactID: f.sanne.ID, Number: "FC-1003", Status: desk.OrderShipped,
		Currency: "EUR", TrackingURL: "https://track.example/FC-1003", PlacedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	rec = sanne.do(t, http.MethodPost, "/help/en/account/action", url.Values{"action": {"order_status"}, "order": {"FC-1003"}})
	if body := rec.Body.String(); !strings.Contains(body, `data-testid="portal-track"`) || !strings.Contains(body, `href="https://track.example/FC-1003"`) {
		t.Errorf("a shipped order's status has no tracking link")
	}
	// A failure offers a colleague, with a way to reach one.
	rec = sanne.do(t, http.MethodPost, "/help/en/account/action", url.Values{"action": {"order_status"}, "order": {"FC-9999"}})
	if body := rec.Body.String(); !strings.Contains(body, `data-testid="portal-handover"`) || !strings.Contains(body, `href="/help/en/contact"`) {
		t.Errorf("a failed action offers no way to a colleague:\n%s", body)
	}
	// Order numbers and postal codes cannot be tried at will.
	var limited bool
	for range 25 {
		if rec := sanne.do(t, http.MethodPost, "/help/en/account/action", url.Values{"action": {"order_status"}, "order": {"FC-1002"},
			"postal_code": {"1000 AA"}}); rec.Code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("25 actions in a row were never limited")
	}
	// Bram cannot act on Sanne's order.
	bram := f.login(t, "bram@example.com")
	bram.ip = "192.0.2.51" // not limited by Sanne's tries
	bram.do(t, http.MethodPost, "/help/en/account/action", url.Values{"action": {"change_address"}, "order": {"FC-1001"},
		"street": {"Evil 1"}, "postal_code": {"1000 AA"}, "city": {"Amsterdam"}})
	if o, _ := f.st.OrderByNumber(context.Background(), "FC-1001"); o.Address.Street != "Neude 5" {
		t.Errorf("another customer changed Sanne's order: street %q", o.Address.Street)
	}
}

func TestPortalUpdateDetails(t *testing.T) {
	f := newPortalFixture(t, testenv.OpenSQLite)
	sanne := f.login(t, "sanne@example.com")
	page := sanne.do(t, http.MethodGet, "/help/nl/account", nil).Body.String()
	if !strings.Contains(page, `data-testid="portal-update_contact-email"`) ||
		!strings.Contains(page, `value="sanne@example.com"`) {
		t.Fatalf("the portal offers no details form filled with Sanne's address:\n%s", page)
	}
	tests := []struct {
		name      string
		form      url.Values
		wantName  string
		wantPhone string
		wantText  string
	}{
		{"name and phone", url.Values{"name": {"Sanne van Dijk"}, "phone": {"+31 6 1234 5678"}},
			"Sanne van Dijk", "+31 6 1234 5678", "Hallo Sanne van Dijk"},
		{"a bad phone number changes nothing", url.Values{"phone": {"bel me"}}, "Sanne van Dijk", "+31 6 1234 5678", ""},
		{"script in a name stays text", url.Values{"name": {"<script>x()</script>"}}, "<script>x()</script>",
			"+31 6 1234 5678", "&lt;script&gt;x()&lt;/script&gt;"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("action", "update_contact")
			rec := sanne.do(t, http.MethodPost, "/help/nl/account/action", tc.form)
			body := rec.Body.String()
			if rec.Code != http.StatusOK || !strings.Contains(body, `data-testid="portal-outcome"`) {
				t.Fatalf("update: %d, want an outcome\n%s", rec.Code, body)
			}
			if tc.wantText != "" && !strings.Contains(body, tc.wantText) {
				t.Errorf("page lacks %q", tc.wantText)
			}
			if strings.Contains(body, "<script>x()") {
				t.Error("the name was written into the page as markup")
			}
			c, err := f.st.ContactByIdentity(context.Background(), desk.IdentityEmail, "sanne@example.com")
			if err != nil || c.Name != tc.wantName || c.Phone != tc.wantPhone {
				t.Errorf("contact = %+v (%v), want name %q phone %q", c, err, tc.wantName, tc.wantPhone)
			}
		})
	}
}

func itoa(n int64) string { return strconvFormat(n) }

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }
