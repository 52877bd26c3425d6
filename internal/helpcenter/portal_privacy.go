package helpcenter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/casestatus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// The portal's privacy section: a logged-in customer downloads what balie
// holds about them (the archive agents export, internal/privacy), and asks
// to be forgotten. Erasure is not done here: a stolen session must not
// destroy a customer's history for good, and the company may have to keep
// some of it (invoices). The request becomes a labelled conversation for
// the agents, who erase with the agents' tool (Contact → Privacy) after
// checking.

// Exporter writes a customer's own data archive; *privacy.Service is one.
type Exporter interface {
	// ExportOwn writes the archive of the contact and logs it as done by
	// the customer themselves.
	ExportOwn(ctx context.Context, contactID int64, w io.Writer) error
}

// Privacy section limits.
const (
	// ErasureLabel marks a customer's request to be forgotten.
	ErasureLabel = "gdpr-erasure"
	// erasureMonths is the GDPR's answer time (art. 12(3)): one month.
	erasureMonths  = 1
	maxErasureNote = 2000
	// exportsPerHour bounds downloads per customer: each one reads every
	// table about them and their files.
	exportsPerHour = 3
	// maxErasureRequests is how many earlier requests of one customer are
	// read to find the open one.
	maxErasureRequests = 100
)

// privacyView is the privacy section of the portal.
type privacyView struct {
	Export bool // the download is offered
	Forget bool // the erasure request is offered (an inbox takes it)
	// Request is the open erasure request; while there is one, no other
	// can be made.
	Request *erasureView
	// Confirm is the erasure request's confirmation step.
	Confirm bool
	Note    string // what the customer wrote on it, kept on an error
	Error   string
}

type erasureView struct {
	ID    int64
	Asked string // date of the request
	Due   string // the date by which it is answered
	Step  string // where it stands, in plain words
}

func (h *Handler) privacyRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /help/{locale}/account/privacy/export", h.privacyExport)
	mux.HandleFunc("GET /help/{locale}/account/privacy/forget", h.forgetConfirm)
	mux.HandleFunc("POST /help/{locale}/account/privacy/forget", h.forgetRequest)
}

// privacySection is the customer's privacy section on the portal's home.
func (h *Handler) privacySection(ctx context.Context, locale string, c *desk.Contact) (*privacyView, error) {
	v := &privacyView{Export: h.portal.p.Privacy != nil}
	reqs, err := h.erasureRequests(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if open := openRequest(reqs); open != nil {
		v.Request = h.erasureViewOf(ctx, locale, *open)
		return v, nil
	}
	in, err := h.erasureInbox(ctx)
	if err != nil && !errors.Is(err, desk.ErrNotFound) {
		return nil, err
	}
	v.Forget = in != nil
	return v, nil
}

// erasureRequests are the customer's erasure requests, open or not,
// newest first.
func (h *Handler) erasureRequests(ctx context.Context, contactID int64) ([]desk.Conversation, error) {
	page, err := h.portal.p.Store.ListConversations(ctx, desk.ConversationQuery{ContactID: contactID,
		Label: ErasureLabel, Limit: maxErasureRequests})
	if err != nil {
		return nil, fmt.Errorf("helpcenter: erasure requests: %w", err)
	}
	return page.Items, nil
}

func openRequest(reqs []desk.Conversation) *desk.Conversation {
	for i := range reqs {
		if reqs[i].Status != desk.StatusResolved {
			return &reqs[i]
		}
	}
	return nil
}

func (h *Handler) erasureViewOf(ctx context.Context, locale string, cv desk.Conversation) *erasureView {
	l := h.cats[locale]
	step := casestatus.StepOf(cv)
	return &erasureView{ID: cv.ID, Asked: l.Date(cv.CreatedAt.In(h.loc)),
		Due:  l.Date(cv.CreatedAt.In(h.loc).AddDate(0, erasureMonths, 0)),
		Step: stepText(l, step, h.portal.p.Status.TeamName(ctx, cv))}
}

// erasureInbox is where erasure requests land: the first email inbox (its
// replies reach the customer's address), else the first web-chat inbox,
// else the inbox the contact page's forms use. ErrNotFound when there is
// none of them.
func (h *Handler) erasureInbox(ctx context.Context) (*desk.Inbox, error) {
	ins, err := h.portal.p.Store.ListInboxes(ctx)
	if err != nil {
		return nil, fmt.Errorf("helpcenter: erasure inbox: %w", err)
	}
	for _, kind := range []desk.ChannelKind{desk.ChannelEmail, desk.ChannelWebChat} {
		if i := slices.IndexFunc(ins, func(in desk.Inbox) bool { return in.Channel == kind }); i >= 0 {
			return &ins[i], nil
		}
	}
	cfg, err := ContactSettings(ctx, h.d.Settings)
	if err != nil {
		return nil, fmt.Errorf("helpcenter: erasure inbox: %w", err)
	}
	if i := slices.IndexFunc(ins, func(in desk.Inbox) bool { return in.ID == cfg.InboxID }); cfg.InboxID != 0 && i >= 0 {
		return &ins[i], nil
	}
	return nil, fmt.Errorf("helpcenter: erasure inbox: %w", desk.ErrNotFound)
}

// privacyPost checks what every privacy POST needs: a valid locale, a
// form from this site, a logged-in customer. On false it has answered.
func (h *Handler) privacyPost(w http.ResponseWriter, r *http.Request) (string, *desk.Contact, bool) {
	locale := r.PathValue("locale")
	if !validLocale(locale) || !sameOrigin(r) {
		h.notFound(w, r, h.requestLocale(r))
		return "", nil, false
	}
	c := h.customer(r)
	if c == nil {
		http.Redirect(w, r, accountPath(locale), http.StatusSeeOther)
		return "", nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPortalForm)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, locale, desk.Invalid("form", "unreadable"))
		return "", nil, false
	}
	return locale, c, true
}

// privacyExport streams the logged-in customer's archive. It is a POST:
// it writes the access log, and no other site may start it.
func (h *Handler) privacyExport(w http.ResponseWriter, r *http.Request) {
	if h.portal.p.Privacy == nil {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	locale, c, ok := h.privacyPost(w, r)
	if !ok {
		return
	}
	l := h.cats[locale]
	if !h.portal.exports.allow(strconv.FormatInt(c.ID, 10)) {
		h.renderPrivacyError(w, r, locale, c, http.StatusTooManyRequests, l.T("privacy.export.limit"))
		return
	}
	name := l.T("privacy.export.file") + "-" + h.d.Clock.Now().In(h.loc).Format("2006-01-02") + ".zip"
	dw := &download{w: w, name: name}
	if err := h.portal.p.Privacy.ExportOwn(r.Context(), c.ID, dw); err != nil {
		if !dw.started {
			h.fail(w, r, locale, fmt.Errorf("helpcenter: export: %w", err))
			return
		}
		// Bytes are out: the archive is cut short, and unreadable.
		h.log.Error("helpcenter: export", "contact", c.ID, "err", err)
	}
}

// download sets the archive's headers with its first byte, so that an
// export failing before it can still answer with an error page.
type download struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (d *download) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		hd := d.w.Header()
		hd.Set("Content-Type", "application/zip")
		hd.Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
		// Personal data: no cache, shared or private, keeps a copy.
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		d.w.WriteHeader(http.StatusOK)
	}
	return d.w.Write(p)
}

// renderPrivacyError shows the portal's home with an error in the privacy
// section.
func (h *Handler) renderPrivacyError(w http.ResponseWriter, r *http.Request, locale string, c *desk.Contact, status int, msg string) {
	body, err := h.dashboard(r.Context(), locale, c)
	if err != nil {
		h.fail(w, r, locale, err)
		return
	}
	if body.Privacy == nil {
		body.Privacy = &privacyView{}
	}
	body.Privacy.Error = msg
	h.render(w, r, status, "account", h.portalPage(r, locale, "account.title", body), cachePrivate)
}

// forgetConfirm is the erasure request's confirmation step; with a
// request open it goes back to the portal, which shows its status.
func (h *Handler) forgetConfirm(w http.ResponseWriter, r *http.Request) {
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
	h.showForget(w, r, locale, c, http.StatusOK, "", "")
}

func (h *Handler) showForget(w http.ResponseWriter, r *http.Request, locale string, c *desk.Contact, status int, note, errText string) {
	v, err := h.privacySection(r.Context(), locale, c)
	if err != nil {
		h.fail(w, r, locale, err)
		return
	}
	if v.Request != nil || !v.Forget {
		http.Redirect(w, r, accountPath(locale)+"#privacy", http.StatusSeeOther)
		return
	}
	v.Confirm, v.Note, v.Error = true, note, errText
	h.render(w, r, status, "account", h.portalPage(r, locale, "privacy.forget.title",
		&accountBody{Contact: c, Privacy: v}), cachePrivate)
}

// forgetRequest files the customer's request to be forgotten, once they
// confirmed it, and goes back to the portal, which acknowledges it.
func (h *Handler) forgetRequest(w http.ResponseWriter, r *http.Request) {
	locale, c, ok := h.privacyPost(w, r)
	if !ok {
		return
	}
	l := h.cats[locale]
	note := strings.TrimSpace(r.PostFormValue("note"))
	if utf8.RuneCountInString(note) > maxErasureNote || !utf8.ValidString(note) {
		h.showForget(w, r, locale, c, http.StatusUnprocessableEntity, "", l.T("privacy.forget.error.note", maxErasureNote))
		return
	}
	if r.PostFormValue("confirm") != "1" {
		h.showForget(w, r, locale, c, http.StatusUnprocessableEntity, note, l.T("privacy.forget.error.confirm"))
		return
	}
	if !h.forms.allow(limitKey(clientIP(r))) {
		h.showForget(w, r, locale, c, http.StatusTooManyRequests, note, l.T("account.error.limit"))
		return
	}
	if _, err := h.requestErasure(r.Context(), l, c, note); err != nil {
		h.fail(w, r, locale, err)
		return
	}
	http.Redirect(w, r, accountPath(locale)+"#privacy", http.StatusSeeOther)
}

// requestErasure opens the customer's erasure request, or returns the one
// that is open. Each request's message carries a provider id of its own
// (the customer and the how-manieth request), so that two requests sent at
// once, on any node, store one conversation: the second finds the first's
// message and labels it, which also mends a request whose labelling
// failed halfway.
func (h *Handler) requestErasure(ctx context.Context, l catalog, c *desk.Contact, note string) (*desk.Conversation, error) {
	reqs, err := h.erasureRequests(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if open := openRequest(reqs); open != nil {
		return open, nil
	}
	inbox, err := h.erasureInbox(ctx)
	if err != nil {
		return nil, err
	}
	body := l.T("privacy.forget.message", c.ID)
	if note != "" {
		body += "\n\n" + l.T("privacy.forget.note") + ":\n" + note
	}
	in := desk.Inbound{InboxID: inbox.ID, ContactID: c.ID, NewConversation: true, Subject: l.T("privacy.forget.subject"),
		Body: body, Meta: map[string]string{"via": "portal", "request": ErasureLabel}}
	// An earlier request whose label an agent removed is found again by
	// its id: the next number is tried then.
	for n := len(reqs); n < len(reqs)+3; n++ {
		in.ExternalID = "portal-" + ErasureLabel + ":" + strconv.FormatInt(c.ID, 10) + ":" + strconv.Itoa(n)
		res, err := h.portal.p.Conversations.Ingest(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("helpcenter: erasure request: %w", err)
		}
		cv := res.Conversation
		if res.Duplicate && cv.Status == desk.StatusResolved {
			continue
		}
		if slices.Contains(cv.Labels, ErasureLabel) {
			return cv, nil
		}
		labels := append(slices.Clone(cv.Labels), ErasureLabel)
		cv, err = h.portal.p.Conversations.Update(ctx, conversation.Actor{Name: l.T("contact.actor")}, cv.ID,
			conversation.Change{Labels: &labels})
		if err != nil {
			return nil, fmt.Errorf("helpcenter: erasure request: label: %w", err)
		}
		return cv, nil
	}
	return nil, fmt.Errorf("helpcenter: erasure request: earlier requests lost their label: %w", desk.ErrConflict)
}

// exportLimiter bounds each customer's downloads.
func newExportLimiter(clock desk.Clock) *limiter {
	return newLimiter(clock, exportsPerHour, time.Hour, 10_000)
}
