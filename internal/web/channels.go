package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

// The messaging and email channels' settings on the inbox pages. Each
// channel has its fields; a secret is write-only: shown as a password
// field that is always empty, where empty keeps the stored value, and as
// "set" or "not set", never its value.

// settingField is one setting of a channel's inbox.
type settingField struct {
	Key      string
	Secret   bool
	Required bool
	Type     string // the input's type: text, email or select
	Options  []string
	// Generate makes the value when none is given or stored (tokens the
	// admin does not choose).
	Generate func() string
	// Default is the value of a new inbox's field.
	Default string
}

// creatable are the channels an admin adds on the inbox page, in the
// order they are offered.
var creatable = []desk.ChannelKind{desk.ChannelWebChat, desk.ChannelEmail, desk.ChannelWhatsApp,
	desk.ChannelMessenger, desk.ChannelInstagram, desk.ChannelTelegram, desk.ChannelAPI}

// channelFields are the settings of the channels whose inboxes are
// configured with plain fields (web chat and API have their own).
var channelFields = map[desk.ChannelKind][]settingField{
	desk.ChannelWhatsApp: {
		{Key: "phone_number_id", Required: true},
		{Key: "access_token", Secret: true},
		{Key: "app_secret", Secret: true},
		{Key: "verify_token", Generate: rand.Text},
		{Key: "template_name"},
		{Key: "template_lang", Default: "nl"},
		{Key: "template_text_param", Type: "select", Options: []string{"true", "false"}, Default: "true"},
	},
	desk.ChannelMessenger: metaFields,
	desk.ChannelInstagram: metaFields,
	desk.ChannelTelegram: {
		{Key: "bot_token", Secret: true},
		{Key: "secret_token", Secret: true, Generate: randomToken},
	},
	desk.ChannelEmail: {
		{Key: "address", Type: "email", Required: true},
		{Key: "reply_secret", Secret: true, Generate: rand.Text},
	},
}

var metaFields = []settingField{
	{Key: "page_id"},
	{Key: "page_access_token", Secret: true},
	{Key: "app_secret", Secret: true},
	{Key: "verify_token", Generate: rand.Text},
}

// hooked are the channels whose provider posts to /hooks/<kind>/<key>.
var hooked = []desk.ChannelKind{desk.ChannelWhatsApp, desk.ChannelMessenger, desk.ChannelInstagram, desk.ChannelTelegram}

// secretKey reports whether an inbox setting is a credential that pages
// never show.
func secretKey(ch desk.ChannelKind, k string) bool {
	for _, f := range channelFields[ch] {
		if f.Key == k {
			return f.Secret
		}
	}
	// Settings these pages do not know: judge by the name.
	return strings.Contains(k, "secret") || strings.Contains(k, "token") || strings.Contains(k, "password")
}

// readChannelSettings applies a channel's posted fields to in. A field is
// read as "<channel>.<key>" (the add form, which holds every channel's
// fields) or else as "<key>" (the inbox's own page).
func readChannelSettings(f url.Values, in *desk.Inbox) error {
	fields, ok := channelFields[in.Channel]
	if !ok {
		return nil
	}
	for _, fd := range fields {
		name := string(in.Channel) + "." + fd.Key
		if _, ok := f[name]; !ok {
			name = fd.Key
		}
		v := strings.TrimSpace(f.Get(name))
		if len(v) > 4096 {
			return desk.Invalid(fd.Key, "at most 4096 bytes")
		}
		if strings.ContainsAny(v, "\r\n") {
			return desk.Invalid(fd.Key, "one line")
		}
		if v == "" && fd.Secret {
			v = in.Settings[fd.Key] // write-only: empty keeps the stored value
		}
		if v == "" && fd.Generate != nil {
			if v = in.Settings[fd.Key]; v == "" {
				v = fd.Generate()
			}
		}
		if fd.Options != nil && v != "" && !slices.Contains(fd.Options, v) {
			return desk.Invalid(fd.Key, "one of "+strings.Join(fd.Options, ", "))
		}
		if fd.Required && v == "" {
			return desk.Invalid(fd.Key, "required")
		}
		if fd.Type == "email" && v != "" {
			local, domain, ok := strings.Cut(v, "@")
			if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsAny(v, " <>,;") {
				return desk.Invalid(fd.Key, "an email address")
			}
		}
		if v == "" {
			delete(in.Settings, fd.Key)
		} else {
			in.Settings[fd.Key] = v
		}
	}
	if in.Channel == desk.ChannelTelegram {
		if s := in.Settings["secret_token"]; !telegramSecretOK(s) {
			return desk.Invalid("secret_token", "letters, digits, _ and -")
		}
	}
	return nil
}

// telegramSecretOK checks Telegram's rule for a webhook's secret token.
func telegramSecretOK(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-')
	}) < 0
}

// settingView is one field on an inbox's page.
type settingView struct {
	settingField
	Value string // empty for secrets
	Set   bool   // a secret has a value
}

// settingViews are in's channel fields as its page shows them.
func settingViews(in *desk.Inbox) []settingView {
	var out []settingView
	for _, fd := range channelFields[in.Channel] {
		v := settingView{settingField: fd, Set: in.Settings[fd.Key] != ""}
		if !fd.Secret {
			v.Value = in.Settings[fd.Key]
		}
		out = append(out, v)
	}
	return out
}

// newChannelForm is one channel's fieldset on the add form.
type newChannelForm struct {
	Channel desk.ChannelKind
	Fields  []settingField
}

func newChannelForms() []newChannelForm {
	var out []newChannelForm
	for _, ch := range creatable {
		if fs, ok := channelFields[ch]; ok {
			out = append(out, newChannelForm{Channel: ch, Fields: fs})
		}
	}
	return out
}

// hookURL is the address the provider posts in's traffic to, on the host
// the admin reached balie on; empty for channels without a webhook.
func (h *Handler) hookURL(r *http.Request, in *desk.Inbox) string {
	if !slices.Contains(hooked, in.Channel) {
		return ""
	}
	return h.siteURL(r) + "/hooks/" + string(in.Channel) + "/" + url.PathEscape(in.PublicKey)
}

// telegramResult is what the Connect or Test button answered.
type telegramResult struct {
	OK   bool
	Key  string // catalogue key of the message
	Arg  string // the bot's name, or the provider's error
	Done bool
}

// telegramInbox loads the Telegram inbox of a Connect or Test POST.
func (h *Handler) telegramInbox(q *req) (*desk.Inbox, bool) {
	if !q.may(auth.InboxesManage) {
		h.refuse(q)
		return nil, false
	}
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return nil, false
	}
	in, err := h.d.Store.InboxByID(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return nil, false
	}
	if in.Channel != desk.ChannelTelegram || h.d.Telegram == nil {
		h.fail(q, desk.ErrNotFound)
		return nil, false
	}
	return in, true
}

// adminTelegramConnect registers the inbox's webhook URL with the bot.
func (h *Handler) adminTelegramConnect(q *req) {
	in, ok := h.telegramInbox(q)
	if !ok {
		return
	}
	res := telegramResult{Done: true, OK: true, Key: "telegram.connected", Arg: h.hookURL(q.r, in)}
	if err := h.d.Telegram.SetWebhook(q.r.Context(), *in, res.Arg); err != nil {
		res = telegramResult{Done: true, Key: "telegram.failed", Arg: providerError(err)}
		h.log.Warn("web: telegram setWebhook", "inbox", in.ID, "err", err)
	}
	h.showInbox(q, in, res, testResult{})
}

// adminTelegramCheck asks Telegram who the bot is: the token works.
func (h *Handler) adminTelegramCheck(q *req) {
	in, ok := h.telegramInbox(q)
	if !ok {
		return
	}
	res := telegramResult{Done: true}
	bot, err := h.d.Telegram.CheckBot(q.r.Context(), *in)
	if err != nil {
		res.Key, res.Arg = "telegram.failed", providerError(err)
		h.log.Warn("web: telegram getMe", "inbox", in.ID, "err", err)
	} else {
		res.OK, res.Key, res.Arg = true, "telegram.checked", bot
	}
	h.showInbox(q, in, res, testResult{})
}

// providerError is an error as the admin sees it: the check's complaint
// about the inbox's settings, or what the provider said. The channel
// never puts the bot token in its errors.
func providerError(err error) string {
	if ve, ok := errors.AsType[*desk.ValidationError](err); ok {
		return ve.Field + ": " + ve.Reason
	}
	s := err.Error()
	s = strings.TrimPrefix(s, "telegram: ")
	return s
}

// testResult is what the Test connection button answered, in the
// admin's language.
type testResult struct {
	Done bool
	OK   bool
	Text string
}

// adminInboxTest is the Test connection button: the inbox's channel talks
// to its provider with the stored settings and the page says what
// answered, or what to fix. It renders the page rather than redirecting:
// the answer is text from the provider, not a catalogue key a flash
// cookie could carry.
func (h *Handler) adminInboxTest(q *req) {
	if !q.may(auth.InboxesManage) {
		h.refuse(q)
		return
	}
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
	if h.d.Connections == nil || !h.d.Connections.CanTest(in.Channel) {
		h.fail(q, desk.ErrNotFound)
		return
	}
	cat := h.cats[q.locale]
	res := testResult{Done: true}
	detail, err := h.d.Connections.TestConnection(q.r.Context(), *in, h.hookURL(q.r, in))
	switch ve, invalid := errors.AsType[*desk.ValidationError](err); {
	case err == nil:
		res.OK, res.Text = true, cat.T("inbox.test_ok", detail)
	case invalid:
		res.Text = cat.T("inbox.test_fix", settingLabel(cat, ve.Field), ve.Reason)
	default:
		// The channel's own prefix ("whatsapp: check: ") says nothing
		// the page does not.
		text := providerError(err)
		if _, after, ok := strings.Cut(text, "check: "); ok {
			text = after
		}
		res.Text = cat.T("inbox.test_failed", text)
	}
	if err != nil {
		h.log.Info("web: test connection", "inbox", in.ID, "channel", in.Channel, "err", err)
	}
	h.showInbox(q, in, telegramResult{}, res)
}

// settingLabel is a setting's name as its field on the page shows it, or
// its key when the page has no field for it.
func settingLabel(cat catalog, key string) string {
	if l, ok := cat["setting."+key]; ok {
		return l
	}
	return key
}

// randomToken is a secret token Telegram accepts (A-Z, a-z, 0-9, _ and -,
// 1 to 256 characters): 32 random bytes, base64url.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
