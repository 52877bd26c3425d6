package web

import (
	"crypto/rand"
	"errors"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/inboxcfg"
)

// The inbox admin pages: the list with the add form, and one inbox's
// page with its channel's settings. Invalid input renders the form again
// (422) with every problem next to its field and the values typed, other
// than secrets.

// newChannelForm is one channel's fieldset on the add form.
type newChannelForm struct {
	Channel desk.ChannelKind
	Groups  []fieldGroup
}

type inboxesData struct {
	Inboxes []desk.Inbox
	Teams   []desk.Team
	TeamOf  map[int64]string
	CanEdit bool
	// Channels are those an admin can add, Forms their fields.
	Channels []desk.ChannelKind
	Forms    []newChannelForm
	// What a rejected add form held, and what was wrong with it.
	Chosen   desk.ChannelKind
	Name     string
	TeamID   int64
	Problems []problemView
	NameErr  string
}

func (h *Handler) adminInboxes(q *req) {
	h.showInboxes(q, http.StatusOK, nil, nil)
}

// showInboxes renders the list and the add form; tried is a rejected
// inbox (nil for an empty form) and errs what was wrong with it.
func (h *Handler) showInboxes(q *req, status int, tried *desk.Inbox, errs inboxcfg.Errors) {
	ctx := q.r.Context()
	inboxes, err := h.d.Store.ListInboxes(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	teams, err := h.d.Store.ListTeams(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	n := map[int64]string{}
	for _, t := range teams {
		n[t.ID] = t.Name
	}
	cat := h.cats[q.locale]
	d := inboxesData{Inboxes: inboxes, Teams: teams, TeamOf: n, CanEdit: q.may(auth.InboxesManage),
		Channels: inboxcfg.Channels(), Chosen: inboxcfg.Channels()[0]}
	if tried != nil {
		d.Chosen, d.Name, d.TeamID = tried.Channel, tried.Name, tried.TeamID
		d.Problems = problemViews(cat, tried.Channel, errs, true)
		if p, ok := errs.Of("name"); ok {
			d.NameErr = problemText(cat, p)
		}
	}
	for _, ch := range d.Channels {
		var shown map[string]string
		var chErrs inboxcfg.Errors
		if tried != nil && ch == tried.Channel {
			shown, chErrs = tried.Settings, errs
		} else {
			shown = map[string]string{}
			for _, f := range inboxcfg.Fields(ch) {
				if f.Default != "" {
					shown[f.Key] = f.Default
				}
			}
		}
		d.Forms = append(d.Forms, newChannelForm{Channel: ch, Groups: fieldGroups(cat, ch, shown, nil, chErrs, true)})
	}
	h.render(q.w, q, status, "admin_inboxes", "admin/inboxes", d)
}

// readInbox applies the posted form to in: name, team and the channel's
// settings, checked by inboxcfg.
func readInbox(q *req, in *desk.Inbox) error {
	f := q.r.PostForm
	in.Name = strings.TrimSpace(f.Get("name"))
	team, err := formID(q.r, "team_id")
	if err != nil {
		return err
	}
	in.TeamID = team
	return inboxcfg.Apply(in, settingsChange(f, in.Channel))
}

func (h *Handler) adminCreateInbox(q *req) {
	if !q.may(auth.InboxesManage) {
		h.refuse(q)
		return
	}
	in := &desk.Inbox{Channel: desk.ChannelKind(q.r.PostFormValue("channel")), PublicKey: newKey(),
		Settings: map[string]string{}, CreatedAt: h.d.Clock.Now()}
	if err := readInbox(q, in); err != nil {
		if errs, ok := errors.AsType[inboxcfg.Errors](err); ok {
			h.showInboxes(q, http.StatusUnprocessableEntity, in, errs)
			return
		}
		h.failed(q, "/admin/inboxes", err)
		return
	}
	if err := h.d.Store.CreateInbox(q.r.Context(), in); err != nil {
		h.failed(q, "/admin/inboxes", err)
		return
	}
	h.adminChanged()
	h.back(q, "/admin/inboxes/"+strconv.FormatInt(in.ID, 10), flash{Kind: "ok", Key: "flash.created"})
}

func (h *Handler) adminChanged() {
	if h.d.AdminChanged != nil {
		h.d.AdminChanged()
	}
}

// newKey makes an inbox's public key: 26 random base32 characters.
func newKey() string { return strings.ToLower(rand.Text()) }

type inboxPageData struct {
	In      *desk.Inbox
	Teams   []desk.Team
	Snippet string
	CanEdit bool
	// Bot is the inbox's bot and proactive chat (nil without a front line).
	Bot *botForm
	// Groups are the channel's settings (secrets without their values),
	// Problems what was wrong with a rejected save. HookURL is where the
	// provider posts to (empty for channels without a webhook).
	Groups   []fieldGroup
	Problems []problemView
	NameErr  string
	HookURL  string
	// WebhookSecret is the API inbox's signing secret, for admins: balie
	// made it for the company's receiver, which needs it to check our
	// signatures.
	WebhookSecret string
	// Mail is the email inbox's receiving and DKIM help (nil otherwise).
	Mail *mailView
	// Telegram offers the Connect and Test buttons; Result is what the
	// last one answered.
	Telegram bool
	Result   telegramResult
	// Testable offers the Test connection button; Tested is what it
	// answered.
	Testable bool
	Tested   testResult
}

func (h *Handler) adminInbox(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	in, err := h.d.Store.InboxByID(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.showInbox(q, in, telegramResult{}, testResult{})
}

// showInbox renders an inbox's page, with what a Telegram button or the
// Test connection button answered.
func (h *Handler) showInbox(q *req, in *desk.Inbox, res telegramResult, tested testResult) {
	h.renderInbox(q, http.StatusOK, inboxPage{stored: in, shown: in, res: res, tested: tested})
}

// inboxPage is what one rendering of an inbox's page shows.
type inboxPage struct {
	stored *desk.Inbox // as saved
	shown  *desk.Inbox // as the form shows it: stored, or what was typed
	errs   inboxcfg.Errors
	res    telegramResult
	tested testResult
}

func (h *Handler) renderInbox(q *req, status int, p inboxPage) {
	ctx := q.r.Context()
	in := p.stored
	teams, err := h.d.Store.ListTeams(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	cat := h.cats[q.locale]
	d := inboxPageData{Teams: teams, CanEdit: q.may(auth.InboxesManage),
		Groups:   fieldGroups(cat, in.Channel, p.shown.Settings, in.Settings, p.errs, false),
		Problems: problemViews(cat, in.Channel, p.errs, false),
		HookURL:  h.hookURL(q.r, in), Result: p.res, Tested: p.tested}
	if pr, ok := p.errs.Of("name"); ok {
		d.NameErr = problemText(cat, pr)
	}
	d.Telegram = in.Channel == desk.ChannelTelegram && h.d.Telegram != nil && d.CanEdit
	d.Testable = h.d.Connections != nil && h.d.Connections.CanTest(in.Channel) && d.CanEdit
	if in.Channel == desk.ChannelAPI && d.CanEdit {
		d.WebhookSecret = in.Settings["webhook_secret"]
	}
	if in.Channel == desk.ChannelWebChat && d.CanEdit {
		// The company's site signs its identity tokens with it
		// (docs/channels.md); shown like the API inbox's secret.
		d.WebhookSecret = in.Settings["identity_secret"]
	}
	if in.Channel == desk.ChannelEmail {
		d.Mail = h.mailViewOf(in)
	}
	if d.Bot, err = h.botFormOf(ctx, in); err != nil {
		h.fail(q, err)
		return
	}
	if in.Channel == desk.ChannelWebChat {
		// Shown as text (escaped), for the admin to copy.
		d.Snippet = `<script src="/widget.js" data-inbox="` + in.PublicKey + `" async></script>`
	}
	// Credentials never reach the page, not even in the read-only list a
	// supervisor sees.
	c := *p.shown
	c.Settings = map[string]string{}
	for k, v := range p.shown.Settings {
		if !inboxcfg.Secret(in.Channel, k) {
			c.Settings[k] = v
		}
	}
	d.In = &c
	h.render(q.w, q, status, "admin_inbox", "admin/inboxes", d)
}

func (h *Handler) adminUpdateInbox(q *req) {
	if !q.may(auth.InboxesManage) {
		h.refuse(q)
		return
	}
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/admin/inboxes/" + strconv.FormatInt(id, 10)
	stored, err := h.d.Store.InboxByID(ctx, id)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	in := *stored
	in.Settings = maps.Clone(stored.Settings)
	if err := readInbox(q, &in); err != nil {
		if errs, ok := errors.AsType[inboxcfg.Errors](err); ok {
			h.renderInbox(q, http.StatusUnprocessableEntity, inboxPage{stored: stored, shown: &in, errs: errs})
			return
		}
		h.failed(q, to, err)
		return
	}
	if err := h.d.Store.UpdateInbox(ctx, &in); err != nil {
		h.failed(q, to, err)
		return
	}
	h.adminChanged()
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}
