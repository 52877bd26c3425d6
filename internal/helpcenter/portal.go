package helpcenter

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/casestatus"
	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/idtoken"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/selfservice"
)

// The customer portal (/help/{locale}/account): a customer logs in by a
// magic link mailed to an address balie knows, or with the company site's
// signed identity token (?token=...), and sees their conversations on every
// channel with their status in plain words and their public messages (never
// notes or activity), answers an open one, and sees their orders with the
// self-service actions.
//
// The customer's session is a cookie of its own (customerCookie): HttpOnly,
// SameSite=Lax (so that no other site can post with it), Secure when
// configured; only its SHA-256 is stored. It is never an agent's session.

// Portal is what the customer portal needs; nil Deps.Portal leaves the
// portal and the status pages out.
type Portal struct {
	Store PortalStore
	// Status makes and opens the status links.
	Status *casestatus.Service
	// Conversations takes the customer's replies.
	Conversations *conversation.Service
	// Actions runs the self-service actions on orders; nil shows none.
	Actions *selfservice.Catalogue
	// Mail sends the magic links through the email inbox's outbound
	// channel; nil (or no email inbox) offers no mailed login.
	Mail MailSender
	// SecureCookies marks the session cookie Secure (HTTPS sites).
	SecureCookies bool
	// Privacy builds the customer's own data archive (portal_privacy.go);
	// nil offers no download.
	Privacy Exporter
}

// PortalStore is what the portal reads and writes.
type PortalStore interface {
	desk.PortalStore
	desk.Transactor
	ContactByID(ctx context.Context, id int64) (*desk.Contact, error)
	ContactByIdentity(ctx context.Context, kind desk.IdentityKind, value string) (*desk.Contact, error)
	AddIdentity(ctx context.Context, id *desk.Identity) error
	ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error)
	ConversationsOfContact(ctx context.Context, contactID int64, limit int) ([]desk.Conversation, error)
	ListMessages(ctx context.Context, conversationID, afterID int64, limit int) ([]desk.Message, error)
	ListInboxes(ctx context.Context) ([]desk.Inbox, error)
	ListConversations(ctx context.Context, q desk.ConversationQuery) (desk.ConversationPage, error)
}

// MailSender sends one mail; the email channel's outbound.Channel is one.
type MailSender interface {
	Send(ctx context.Context, out desk.Outbound) (string, error)
}

// Portal limits.
const (
	customerCookie  = "balie_customer"
	sessionTTL      = 7 * 24 * time.Hour
	magicTTL        = 15 * time.Minute
	portalConvs     = 50
	portalMessages  = 500
	maxPortalForm   = 16 << 10
	maxPortalReply  = 5000
	mailSendTimeout = time.Minute
)

// portalState is the portal's part of the Handler.
type portalState struct {
	p *Portal
	// Magic-link requests per client address and per mailed address.
	byIP, byAddr *limiter
	logins       *limiter // login attempts (tokens, magic links) per address
	actions      *limiter // self-service actions per client address
	status       *limiter // status-page views per client address
	exports      *limiter // data downloads per customer
	// sent waits for background mail sends (tests wait on it).
	sent chan struct{}
}

func newPortalState(p *Portal, clock desk.Clock) *portalState {
	if p == nil {
		return nil
	}
	return &portalState{p: p,
		byIP:   newLimiter(clock, 5, 15*time.Minute, 10_000),
		byAddr: newLimiter(clock, 3, time.Hour, 10_000),
		logins: newLimiter(clock, 20, 15*time.Minute, 10_000),
		// Enough for a customer at work; too few to try postal codes or
		// order numbers.
		actions: newLimiter(clock, 20, 15*time.Minute, 10_000),
		status:  newLimiter(clock, 60, 15*time.Minute, 10_000),
		exports: newExportLimiter(clock)}
}

func (h *Handler) portalRoutes(mux *http.ServeMux) {
	if h.portal == nil {
		return
	}
	// GET /help/{locale}/account is dispatched by localePage: a pattern of
	// its own would clash with /help/static/{file}.
	mux.HandleFunc("POST /help/{locale}/account/login", h.accountLogin)
	mux.HandleFunc("GET /help/{locale}/account/magic", h.magicConfirm)
	mux.HandleFunc("POST /help/{locale}/account/magic", h.magicUse)
	mux.HandleFunc("POST /help/{locale}/account/token", h.tokenUse)
	mux.HandleFunc("POST /help/{locale}/account/logout", h.accountLogout)
	mux.HandleFunc("GET /help/{locale}/account/c/{id}", h.accountConversation)
	mux.HandleFunc("POST /help/{locale}/account/c/{id}", h.accountReply)
	mux.HandleFunc("POST /help/{locale}/account/action", h.accountAction)
	mux.HandleFunc("GET /help/{locale}/status/{token}", h.statusPage)
	h.privacyRoutes(mux)
}

// accountBody is the portal's content.
type accountBody struct {
	Contact   *desk.Contact
	LoggedOut bool   // the login form
	MailSent  bool   // "if we know the address, a link is on its way"
	MailOff   bool   // no email inbox: mailed login is not offered
	Error     string // a login that failed
	Convs     []convView
	Orders    []desk.Order
	OrdersErr bool // the order system did not answer
	Actions   []actionView
	// Details is the "update my details" form, filled with what balie has.
	Details  *actionView
	Outcome  *selfservice.Outcome
	Conv     *convView
	Messages []messageView
	Magic    string // the magic link's token on its confirmation page
	MagicTo  string // and the address it was mailed to
	// Token is the company's identity token on its confirmation page, for
	// TokenName.
	Token, TokenName string
	// Privacy is the privacy section (portal_privacy.go).
	Privacy *privacyView
}

type convView struct {
	ID      int64
	Title   string
	Channel string
	Step    casestatus.Step
	Team    string
	Steps   []stepView
	Updated string
	Open    bool
}

type stepView struct {
	Step    casestatus.Step
	Text    string
	Done    bool
	Current bool
}

type messageView struct {
	Mine bool
	Who  string
	Body string
	At   string
}

type actionView struct {
	Name   string
	Title  string
	Fields []fieldView
}

type fieldView struct {
	Name     string
	Label    string
	Type     string // the input's type
	Required bool
	Max      int
	Value    string
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func accountPath(locale string) string { return "/help/" + locale + "/account" }

// customer returns the logged-in customer, or nil.
func (h *Handler) customer(r *http.Request) *desk.Contact {
	ck, err := r.Cookie(customerCookie)
	if err != nil || len(ck.Value) != 43 {
		return nil
	}
	ctx := r.Context()
	s, err := h.portal.p.Store.CustomerSessionByHash(ctx, hashHex(ck.Value), h.d.Clock.Now())
	if err != nil {
		if !errors.Is(err, desk.ErrNotFound) {
			h.log.Error("helpcenter: customer session", "err", err)
		}
		return nil
	}
	c, err := h.portal.p.Store.ContactByID(ctx, s.ContactID)
	if err != nil {
		return nil
	}
	return c
}

// startSession logs contactID in: a new session, its cookie, and a
// redirect to the portal.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, locale string, contactID int64) {
	id := randomToken()
	now := h.d.Clock.Now()
	s := &desk.CustomerSession{IDHash: hashHex(id), ContactID: contactID, CreatedAt: now, ExpiresAt: now.Add(sessionTTL)}
	if err := h.portal.p.Store.CreateCustomerSession(r.Context(), s); err != nil {
		h.fail(w, r, locale, fmt.Errorf("helpcenter: portal session: %w", err))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: customerCookie, Value: id, Path: "/help/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: h.portal.p.SecureCookies, Expires: s.ExpiresAt})
	http.Redirect(w, r, accountPath(locale), http.StatusSeeOther)
}

// sameOrigin refuses a form posted from another site, whatever cookies
// the browser sent along. Browsers say so themselves (Sec-Fetch-Site),
// which also holds behind a reverse proxy that rewrites Host; without it
// the Origin must name this host.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "same-site", "cross-site":
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (h *Handler) portalPage(r *http.Request, locale, titleKey string, body *accountBody) *page {
	p := h.newPage(r, locale)
	p.Robots = "noindex"
	p.Title = p.L.T(titleKey) + " – " + p.SiteName
	p.Canonical = h.baseURL(r) + accountPath(locale)
	p.Crumbs = append(p.Crumbs, crumb{Name: p.L.T("account.title")})
	p.Body = body
	return p
}

// account is the portal's home, or its login form; ?token= logs in with
// the company's identity token.
func (h *Handler) account(w http.ResponseWriter, r *http.Request) {
	locale := r.PathValue("locale")
	if !validLocale(locale) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	if tok := r.URL.Query().Get("token"); tok != "" {
		h.tokenLogin(w, r, locale, tok)
		return
	}
	c := h.customer(r)
	if c == nil {
		h.renderLogin(w, r, locale, &accountBody{LoggedOut: true})
		return
	}
	body, err := h.dashboard(r.Context(), locale, c)
	if err != nil {
		h.fail(w, r, locale, err)
		return
	}
	h.render(w, r, http.StatusOK, "account", h.portalPage(r, locale, "account.title", body), cachePrivate)
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, locale string, body *accountBody) {
	body.LoggedOut = true
	body.MailOff = h.mailLogin(r.Context()) == nil
	status := http.StatusOK
	if body.Error != "" {
		status = http.StatusUnauthorized
	}
	h.render(w, r, status, "account", h.portalPage(r, locale, "account.login", body), cachePrivate)
}

// tokenLogin shows whom the company's identity token names and asks the
// customer to continue: a link carrying someone else's token must not log
// a visitor into that account unawares (login CSRF), and a GET changes
// nothing.
func (h *Handler) tokenLogin(w http.ResponseWriter, r *http.Request, locale, tok string) {
	claims, ok := h.verifyToken(w, r, locale, tok)
	if !ok {
		return
	}
	name := claims.Name
	if name == "" {
		name = claims.Email
	}
	h.render(w, r, http.StatusOK, "account", h.portalPage(r, locale, "account.login",
		&accountBody{LoggedOut: true, Token: tok, TokenName: name}), cachePrivate)
}

// verifyToken checks the company's identity token against the web-chat
// inboxes' secrets; on failure it has answered.
func (h *Handler) verifyToken(w http.ResponseWriter, r *http.Request, locale, tok string) (idtoken.Claims, bool) {
	l := h.cats[locale]
	if !h.portal.logins.allow(limitKey(clientIP(r))) {
		h.renderLogin(w, r, locale, &accountBody{Error: l.T("account.error.limit")})
		return idtoken.Claims{}, false
	}
	inboxes, err := h.portal.p.Store.ListInboxes(r.Context())
	if err != nil {
		h.fail(w, r, locale, err)
		return idtoken.Claims{}, false
	}
	for _, in := range inboxes {
		if in.Channel != desk.ChannelWebChat || in.Settings["identity_secret"] == "" {
			continue
		}
		if c, err := idtoken.Verify(in.Settings["identity_secret"], tok, h.d.Clock.Now()); err == nil {
			return c, true
		}
	}
	h.log.Info("helpcenter: portal identity token refused")
	h.renderLogin(w, r, locale, &accountBody{Error: l.T("account.error.token")})
	return idtoken.Claims{}, false
}

// tokenUse logs in the customer the identity token names, after they
// confirmed on tokenLogin's page.
func (h *Handler) tokenUse(w http.ResponseWriter, r *http.Request) {
	locale := r.PathValue("locale")
	if !validLocale(locale) || !sameOrigin(r) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPortalForm)
	claims, ok := h.verifyToken(w, r, locale, r.PostFormValue("token"))
	if !ok {
		return
	}
	ctx := r.Context()
	var c *desk.Contact
	var err error
	err = h.portal.p.Store.InTx(ctx, func(tx desk.Store) error {
		c, err = contact.Claim(ctx, tx, desk.Identity{}, contact.Verified{ExternalID: claims.ExternalID,
			Email: claims.Email, Name: claims.Name, Phone: claims.Phone})
		return err
	})
	if err != nil {
		h.fail(w, r, locale, fmt.Errorf("helpcenter: portal token login: %w", err))
		return
	}
	h.startSession(w, r, locale, c.ID)
}

// mailLogin is the email inbox magic links go out through, or nil when
// there is none or no public address is configured: a link in a mail is
// built from the configured address only, never from the request's Host
// header, which anyone can set (a link to their own host would hand them
// the customer's login).
func (h *Handler) mailLogin(ctx context.Context) *desk.Inbox {
	if h.d.BaseURL == "" {
		return nil
	}
	return h.mailInbox(ctx)
}

// mailInbox is the email inbox magic links are sent from: the first one.
func (h *Handler) mailInbox(ctx context.Context) *desk.Inbox {
	if h.portal.p.Mail == nil {
		return nil
	}
	ins, err := h.portal.p.Store.ListInboxes(ctx)
	if err != nil {
		return nil
	}
	for i := range ins {
		if ins[i].Channel == desk.ChannelEmail {
			return &ins[i]
		}
	}
	return nil
}

// accountLogin mails a magic link when the address is a customer's. The
// answer is the same whether it is or not, and the mail goes out in the
// background, so that neither the page nor its timing tells.
func (h *Handler) accountLogin(w http.ResponseWriter, r *http.Request) {
	locale := r.PathValue("locale")
	if !validLocale(locale) || !sameOrigin(r) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	l := h.cats[locale]
	r.Body = http.MaxBytesReader(w, r.Body, maxPortalForm)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, locale, desk.Invalid("form", "unreadable"))
		return
	}
	email, err := contact.NormaliseEmail(r.PostFormValue("email"))
	if err != nil {
		h.renderLogin(w, r, locale, &accountBody{Error: l.T("account.error.email")})
		return
	}
	if !h.portal.byIP.allow(limitKey(clientIP(r))) {
		h.renderLogin(w, r, locale, &accountBody{Error: l.T("account.error.limit")})
		return
	}
	inbox := h.mailLogin(r.Context())
	if inbox == nil {
		h.renderLogin(w, r, locale, &accountBody{})
		return
	}
	// The per-address limit is spent silently: saying so would tell that
	// the address is known.
	if h.portal.byAddr.allow(email) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), mailSendTimeout)
		go func() {
			defer cancel()
			h.sendMagic(ctx, locale, *inbox, email)
		}()
	}
	h.render(w, r, http.StatusOK, "account", h.portalPage(r, locale, "account.login",
		&accountBody{LoggedOut: true, MailSent: true}), cachePrivate)
}

// magicHash is what the store keeps of a magic link: the token bound to
// the address it was mailed to, so that using it proves that address.
func magicHash(tok, email string) string { return hashHex(tok + "\n" + email) }

func (h *Handler) sendMagic(ctx context.Context, locale string, inbox desk.Inbox, email string) {
	defer func() {
		if h.portal.sent != nil {
			h.portal.sent <- struct{}{}
		}
	}()
	c, err := h.portal.p.Store.ContactByIdentity(ctx, desk.IdentityEmail, email)
	if errors.Is(err, desk.ErrNotFound) {
		return
	}
	if err != nil {
		h.log.Error("helpcenter: magic link", "err", err)
		return
	}
	tok := randomToken()
	now := h.d.Clock.Now()
	m := &desk.MagicLink{TokenHash: magicHash(tok, email), ContactID: c.ID, CreatedAt: now, ExpiresAt: now.Add(magicTTL)}
	if err := h.portal.p.Store.CreateMagicLink(ctx, m); err != nil {
		h.log.Error("helpcenter: magic link", "err", err)
		return
	}
	l := h.cats[locale]
	link := strings.TrimRight(h.d.BaseURL, "/") + accountPath(locale) + "/magic?t=" + tok + "&e=" + url.QueryEscape(email)
	out := desk.Outbound{Inbox: inbox, Contact: desk.Contact{Name: c.Name, Email: email},
		Conversation: desk.Conversation{Subject: l.T("account.mail.subject")},
		Message:      desk.Message{Kind: desk.KindMessage, Body: l.T("account.mail.body", link)},
		// Unique per link: the mail's Message-ID derives from it.
		IdempotencyKey: "magic-" + m.TokenHash[:24]}
	if _, err := h.portal.p.Mail.Send(ctx, out); err != nil {
		h.log.Error("helpcenter: magic link mail", "contact", c.ID, "err", err)
	}
}

// magicConfirm asks the customer to press a button: mail scanners open
// links, and a GET must not spend the one-time link.
func (h *Handler) magicConfirm(w http.ResponseWriter, r *http.Request) {
	locale := r.PathValue("locale")
	if !validLocale(locale) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	tok := r.URL.Query().Get("t")
	if len(tok) != 43 {
		h.renderLogin(w, r, locale, &accountBody{Error: h.cats[locale].T("account.error.magic")})
		return
	}
	h.render(w, r, http.StatusOK, "account", h.portalPage(r, locale, "account.login",
		&accountBody{LoggedOut: true, Magic: tok, MagicTo: r.URL.Query().Get("e")}), cachePrivate)
}

func (h *Handler) magicUse(w http.ResponseWriter, r *http.Request) {
	locale := r.PathValue("locale")
	if !validLocale(locale) || !sameOrigin(r) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	l := h.cats[locale]
	if !h.portal.logins.allow(limitKey(clientIP(r))) {
		h.renderLogin(w, r, locale, &accountBody{Error: l.T("account.error.limit")})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPortalForm)
	tok := r.PostFormValue("t")
	if len(tok) != 43 {
		h.renderLogin(w, r, locale, &accountBody{Error: l.T("account.error.magic")})
		return
	}
	email, err := contact.NormaliseEmail(r.PostFormValue("e"))
	if err != nil {
		h.renderLogin(w, r, locale, &accountBody{Error: l.T("account.error.magic")})
		return
	}
	ctx := r.Context()
	m, err := h.portal.p.Store.UseMagicLink(ctx, magicHash(tok, email), h.d.Clock.Now())
	if errors.Is(err, desk.ErrNotFound) {
		h.renderLogin(w, r, locale, &accountBody{Error: l.T("account.error.magic")})
		return
	}
	if err != nil {
		h.fail(w, r, locale, err)
		return
	}
	// The customer read the mail sent to this address: it is proven theirs,
	// as a signed login would prove it (the order system may now be asked
	// by it).
	err = h.portal.p.Store.AddIdentity(ctx, &desk.Identity{ContactID: m.ContactID, Kind: desk.IdentityEmail,
		Value: email, Verified: true})
	if err != nil {
		h.log.Warn("helpcenter: magic link: verify address", "contact", m.ContactID, "err", err)
	}
	h.startSession(w, r, locale, m.ContactID)
}

func (h *Handler) accountLogout(w http.ResponseWriter, r *http.Request) {
	locale := r.PathValue("locale")
	if !validLocale(locale) || !sameOrigin(r) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	if ck, err := r.Cookie(customerCookie); err == nil {
		if err := h.portal.p.Store.DeleteCustomerSession(r.Context(), hashHex(ck.Value)); err != nil {
			h.log.Error("helpcenter: logout", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: customerCookie, Value: "", Path: "/help/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: h.portal.p.SecureCookies, MaxAge: -1})
	http.Redirect(w, r, accountPath(locale), http.StatusSeeOther)
}

// dashboard gathers the customer's conversations and orders.
func (h *Handler) dashboard(ctx context.Context, locale string, c *desk.Contact) (*accountBody, error) {
	b := &accountBody{Contact: c}
	convs, err := h.portal.p.Store.ConversationsOfContact(ctx, c.ID, portalConvs)
	if err != nil {
		return nil, fmt.Errorf("helpcenter: portal: %w", err)
	}
	for _, cv := range convs {
		if cv.ContactID != c.ID {
			continue
		}
		b.Convs = append(b.Convs, h.convViewOf(ctx, locale, cv))
	}
	if a := h.portal.p.Actions; a != nil {
		orders, err := a.OrdersOf(ctx, c.ID)
		if err != nil {
			h.log.Warn("helpcenter: portal orders", "contact", c.ID, "err", err)
			b.OrdersErr = true
		}
		b.Orders = orders
		b.Actions, b.Details = h.actionViews(locale, c)
	}
	if b.Privacy, err = h.privacySection(ctx, locale, c); err != nil {
		return nil, err
	}
	return b, nil
}

func (h *Handler) convViewOf(ctx context.Context, locale string, cv desk.Conversation) convView {
	l := h.cats[locale]
	step := casestatus.StepOf(cv)
	v := convView{ID: cv.ID, Title: cv.Subject, Channel: l.T("channel." + string(cv.Channel)), Step: step,
		Team: h.portal.p.Status.TeamName(ctx, cv), Open: cv.Status != desk.StatusResolved,
		Updated: l.Date(cv.LastActivityAt.In(h.loc))}
	if v.Title == "" {
		v.Title = cv.LastMessage
	}
	if v.Title == "" {
		v.Title = l.T("account.untitled", cv.ID)
	}
	at := slices.Index(casestatus.Steps, step)
	for i, s := range casestatus.Steps {
		sv := stepView{Step: s, Text: stepText(l, s, v.Team), Done: i < at, Current: i == at}
		// Waiting for you is a detour, not a stage every case passes.
		if s == casestatus.StepWaiting && step != casestatus.StepWaiting {
			continue
		}
		v.Steps = append(v.Steps, sv)
	}
	return v
}

func stepText(l catalog, s casestatus.Step, team string) string {
	if s == casestatus.StepHandling && team != "" {
		return l.T("step.handling.team", team)
	}
	return l.T("step." + string(s))
}

// publicMessages are what the customer may read of a conversation: its
// messages, never notes or activity.
func (h *Handler) publicMessages(ctx context.Context, locale string, convID int64) ([]messageView, error) {
	msgs, err := h.portal.p.Store.ListMessages(ctx, convID, 0, portalMessages)
	if err != nil {
		return nil, fmt.Errorf("helpcenter: portal messages: %w", err)
	}
	l := h.cats[locale]
	var out []messageView
	for _, m := range msgs {
		if m.Kind != desk.KindMessage {
			continue
		}
		mv := messageView{Body: m.Body, At: l.Date(m.CreatedAt.In(h.loc)) + " " + m.CreatedAt.In(h.loc).Format("15:04")}
		switch m.Sender {
		case desk.SenderContact:
			mv.Mine, mv.Who = true, l.T("account.you")
		case desk.SenderAgent:
			mv.Who = m.SenderName
		default:
			mv.Who = l.T("account.us")
		}
		if mv.Who == "" {
			mv.Who = l.T("account.us")
		}
		out = append(out, mv)
	}
	return out, nil
}

// ownConversation is the logged-in customer's conversation {id}; any
// other is not found, whether it exists or not.
func (h *Handler) ownConversation(r *http.Request, c *desk.Contact) (*desk.Conversation, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, desk.ErrNotFound
	}
	cv, err := h.portal.p.Store.ConversationByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if cv.ContactID != c.ID {
		return nil, fmt.Errorf("helpcenter: conversation %d is not the customer's: %w", id, desk.ErrNotFound)
	}
	return cv, nil
}

func (h *Handler) accountConversation(w http.ResponseWriter, r *http.Request) {
	locale := r.PathValue("locale")
	if !validLocale(locale) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	c := h.customer(r)
	if c == nil {
		http.Redirect(w, r, accountPath(locale), http.StatusSeeOther)
		return
	}
	h.showConversation(w, r, locale, c, http.StatusOK, "")
}

func (h *Handler) showConversation(w http.ResponseWriter, r *http.Request, locale string, c *desk.Contact, status int, errText string) {
	cv, err := h.ownConversation(r, c)
	if err != nil {
		h.fail(w, r, locale, err)
		return
	}
	msgs, err := h.publicMessages(r.Context(), locale, cv.ID)
	if err != nil {
		h.fail(w, r, locale, err)
		return
	}
	v := h.convViewOf(r.Context(), locale, *cv)
	h.render(w, r, status, "account", h.portalPage(r, locale, "account.conversation",
		&accountBody{Contact: c, Conv: &v, Messages: msgs, Error: errText}), cachePrivate)
}

// accountReply adds the customer's answer to an open conversation, as if
// they had written on its channel; agents answer there.
func (h *Handler) accountReply(w http.ResponseWriter, r *http.Request) {
	locale := r.PathValue("locale")
	if !validLocale(locale) || !sameOrigin(r) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	c := h.customer(r)
	if c == nil {
		http.Redirect(w, r, accountPath(locale), http.StatusSeeOther)
		return
	}
	cv, err := h.ownConversation(r, c)
	if err != nil {
		h.fail(w, r, locale, err)
		return
	}
	l := h.cats[locale]
	r.Body = http.MaxBytesReader(w, r.Body, maxPortalForm)
	body := strings.TrimSpace(r.PostFormValue("body"))
	if body == "" || utf8.RuneCountInString(body) > maxPortalReply || !utf8.ValidString(body) {
		h.showConversation(w, r, locale, c, http.StatusUnprocessableEntity, l.T("account.error.reply"))
		return
	}
	if cv.Status == desk.StatusResolved {
		h.showConversation(w, r, locale, c, http.StatusConflict, l.T("account.error.closed"))
		return
	}
	if !h.forms.allow(limitKey(clientIP(r))) {
		h.showConversation(w, r, locale, c, http.StatusTooManyRequests, l.T("account.error.limit"))
		return
	}
	_, err = h.portal.p.Conversations.Ingest(r.Context(), desk.Inbound{InboxID: cv.InboxID, ContactID: c.ID,
		ConversationID: cv.ID, Body: body, Meta: map[string]string{"via": "portal"}})
	if err != nil {
		h.fail(w, r, locale, err)
		return
	}
	http.Redirect(w, r, accountPath(locale)+"/c/"+strconv.FormatInt(cv.ID, 10), http.StatusSeeOther)
}

// actionViews are the forms of the actions a customer may run on orders,
// from each action's input schema, and the form to update their details,
// filled with the contact's.
func (h *Handler) actionViews(locale string, c *desk.Contact) (orders []actionView, details *actionView) {
	l := h.cats[locale]
	for _, s := range selfservice.Specs() {
		av := actionView{Name: s.Name, Title: l.T("action." + s.Name)}
		for _, f := range s.Fields {
			if f.Name == "postal_code" && s.Name == selfservice.OrderStatus {
				continue // a logged-in customer proves nothing more
			}
			fv := fieldView{Name: f.Name, Label: l.T("field." + f.Name), Type: "text", Required: f.Required, Max: f.Max}
			switch f.Type {
			case selfservice.FieldEmail:
				fv.Type, fv.Value = "email", c.Email
			case selfservice.FieldPhone:
				fv.Type, fv.Value = "tel", c.Phone
			}
			if s.Name == selfservice.UpdateContact && f.Name == "name" {
				fv.Value = c.Name
			}
			av.Fields = append(av.Fields, fv)
		}
		if s.Name == selfservice.UpdateContact {
			details = &av
			continue
		}
		orders = append(orders, av)
	}
	return orders, details
}

// accountAction runs a self-service action as the customer and shows the
// outcome above the portal.
func (h *Handler) accountAction(w http.ResponseWriter, r *http.Request) {
	locale := r.PathValue("locale")
	if !validLocale(locale) || !sameOrigin(r) || h.portal.p.Actions == nil {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	c := h.customer(r)
	if c == nil {
		http.Redirect(w, r, accountPath(locale), http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPortalForm)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, locale, desk.Invalid("form", "unreadable"))
		return
	}
	name := r.PostFormValue("action")
	in := map[string]string{}
	for k, v := range r.PostForm {
		// A logged-in customer acts on their own orders: the postal code
		// that lets an unknown visitor ask a status is no key here.
		if k != "action" && k != "postal_code" && len(v) > 0 && v[0] != "" {
			in[k] = v[0]
		}
	}
	if name == selfservice.ChangeAddress && r.PostFormValue("postal_code") != "" {
		in["postal_code"] = r.PostFormValue("postal_code") // the new address's
	}
	if !h.portal.actions.allow(limitKey(clientIP(r))) {
		body, err := h.dashboard(r.Context(), locale, c)
		if err != nil {
			h.fail(w, r, locale, err)
			return
		}
		body.Outcome = &selfservice.Outcome{Message: h.cats[locale].T("account.error.limit")}
		h.render(w, r, http.StatusTooManyRequests, "account", h.portalPage(r, locale, "account.title", body), cachePrivate)
		return
	}
	out, err := h.portal.p.Actions.Run(r.Context(), name, selfservice.Actor{Kind: desk.ActorCustomer, ID: c.ID,
		ContactID: c.ID, Locale: locale}, in)
	if err != nil && out == nil {
		if errors.Is(err, desk.ErrInvalid) || errors.Is(err, desk.ErrNotFound) {
			out = &selfservice.Outcome{Message: h.cats[locale].T("account.error.action")}
		} else {
			h.fail(w, r, locale, err)
			return
		}
	}
	if out != nil && out.OK && name == selfservice.UpdateContact {
		// Greet them by the name they just gave.
		if fresh, err := h.portal.p.Store.ContactByID(r.Context(), c.ID); err == nil {
			c = fresh
		}
	}
	body, derr := h.dashboard(r.Context(), locale, c)
	if derr != nil {
		h.fail(w, r, locale, derr)
		return
	}
	body.Outcome = out
	h.render(w, r, http.StatusOK, "account", h.portalPage(r, locale, "account.title", body), cachePrivate)
}

// statusBody is the no-login status page's content.
type statusBody struct {
	Conv     convView
	Messages []messageView
}

// statusPage shows a case's plain steps and its public messages to
// whoever holds its status link. The link went to the customer alone, on
// their own channel, so the customer's own conversation is shown in full
// (its public messages; never notes).
func (h *Handler) statusPage(w http.ResponseWriter, r *http.Request) {
	locale := r.PathValue("locale")
	if !validLocale(locale) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	if !h.portal.status.allow(limitKey(clientIP(r))) {
		h.errorPage(w, r, locale, http.StatusTooManyRequests, "error.bad.heading", "account.error.limit")
		return
	}
	cv, err := h.portal.p.Status.Open(r.Context(), r.PathValue("token"))
	if err != nil {
		if errors.Is(err, desk.ErrNotFound) {
			h.errorPage(w, r, locale, http.StatusNotFound, "status.gone.heading", "status.gone.text")
			return
		}
		h.fail(w, r, locale, err)
		return
	}
	msgs, err := h.publicMessages(r.Context(), locale, cv.ID)
	if err != nil {
		h.fail(w, r, locale, err)
		return
	}
	p := h.newPage(r, locale)
	p.Robots = "noindex, nofollow"
	p.Title = p.L.T("status.title") + " – " + p.SiteName
	p.Canonical = h.baseURL(r) + p.Home
	p.Crumbs = append(p.Crumbs, crumb{Name: p.L.T("status.title")})
	p.Body = statusBody{Conv: h.convViewOf(r.Context(), locale, *cv), Messages: msgs}
	// The token is in the path: keep it out of other sites' logs.
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.render(w, r, http.StatusOK, "status", p, cachePrivate)
}

func validLocale(l string) bool { return kb.ValidLocale(l) }
