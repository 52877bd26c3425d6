package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/inboxcfg"
)

// The inbox pages' channel settings. Which settings a channel has and
// what values they take is inboxcfg's, shared with the API; this file
// turns them into form fields and the posted form back into a change. A
// secret is write-only: a password field that is always empty (empty
// keeps the stored value, "clear" removes it), shown as "set" or "not
// set", never its value.

// MailSetup is balie's own mail set-up, for the email inbox's page: the
// DKIM key button and record, and where to point MX (the app maps it to
// the email adapter: web does not import channel adapters).
type MailSetup interface {
	// GenerateDKIMKey makes a private key, PEM, of kind "rsa" or "ed25519".
	GenerateDKIMKey(kind string) (string, error)
	// DKIMRecord is the DNS TXT record that publishes the key's public half.
	DKIMRecord(pemKey string) (string, error)
	// MXHost is the name of balie's own SMTP server, where MX records or
	// forwarding point; "" when balie takes in no mail itself.
	MXHost() string
}

// settingView is one field on an inbox's form.
type settingView struct {
	inboxcfg.Field
	Name  string // the input's name
	ID    string // the input's id
	Value string // empty for secrets
	Set   bool   // a secret has a value
	Err   string // what is wrong with it, in the admin's language
}

// fieldGroup is one section of a channel's fields ("": the main one).
type fieldGroup struct {
	Key    string
	Fields []settingView
}

// fieldGroups are ch's fields as a form shows them: values from shown
// (secrets never), "set" from stored, problems from errs. prefix names
// the inputs "<channel>.<key>" on the add form, which holds every
// channel's fields.
func fieldGroups(cat catalog, ch desk.ChannelKind, shown, stored map[string]string, errs inboxcfg.Errors, prefix bool) []fieldGroup {
	var out []fieldGroup
	for _, f := range inboxcfg.Fields(ch) {
		v := settingView{Field: f, Name: f.Key, ID: "i-" + f.Key, Set: stored[f.Key] != ""}
		if prefix {
			v.Name, v.ID = string(ch)+"."+f.Key, "i-"+string(ch)+"-"+f.Key
		}
		if !f.Secret {
			v.Value = shown[f.Key]
		}
		if p, ok := errs.Of(f.Key); ok {
			v.Err = problemText(cat, p)
		}
		if len(out) == 0 || out[len(out)-1].Key != f.Group {
			out = append(out, fieldGroup{Key: f.Group})
		}
		g := &out[len(out)-1]
		g.Fields = append(g.Fields, v)
	}
	return out
}

// problemText is a field's problem in the admin's language.
func problemText(cat catalog, p inboxcfg.Problem) string {
	if _, ok := cat["invalid."+p.Code]; ok {
		if p.Arg != "" {
			return cat.T("invalid."+p.Code, p.Arg)
		}
		return cat.T("invalid." + p.Code)
	}
	return p.Reason()
}

// problemView is one line of the form's list of problems.
type problemView struct {
	ID, Label, Text string
}

// problemViews list errs for the top of a form, each linking to its field.
func problemViews(cat catalog, ch desk.ChannelKind, errs inboxcfg.Errors, prefix bool) []problemView {
	var out []problemView
	for _, p := range errs {
		id := "i-" + p.Field
		if prefix {
			if _, ok := inboxcfg.FieldOf(ch, p.Field); ok {
				id = "i-" + string(ch) + "-" + p.Field
			}
		}
		out = append(out, problemView{ID: id, Label: settingLabel(cat, p.Field), Text: problemText(cat, p)})
	}
	return out
}

// settingsChange reads a channel's posted fields as a change of the
// inbox's settings. A field is read as "<channel>.<key>" (the add form)
// or else as "<key>" (the inbox's own page); a field that is not posted
// at all keeps its value, an empty secret too, and "<key>.clear" removes
// a secret.
func settingsChange(f url.Values, ch desk.ChannelKind) inboxcfg.Change {
	c := inboxcfg.Change{}
	for _, fd := range inboxcfg.Fields(ch) {
		name := string(ch) + "." + fd.Key
		if _, ok := f[name]; !ok {
			name = fd.Key
		}
		if fd.Secret && f.Get(name+".clear") != "" {
			c[fd.Key] = nil
			continue
		}
		if _, ok := f[name]; !ok {
			continue
		}
		v := f.Get(name)
		c[fd.Key] = &v
	}
	return c
}

// hookURL is the address the provider posts in's traffic to, on the host
// the admin reached balie on; empty for channels without a webhook.
func (h *Handler) hookURL(r *http.Request, in *desk.Inbox) string {
	if !inboxcfg.Hooked(in.Channel) {
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
// admin's language: Text is worded from the locale files, Detail is the
// adapter's English explanation with the provider's own words, shown
// smaller beneath it.
type testResult struct {
	Done   bool
	OK     bool
	Text   string
	Detail string
	Code   desk.CheckCode // what kind of failure, "" when OK
}

// adminInboxTest is the Test connection button: the inbox's channel talks
// to its provider with the stored settings and the page says what
// answered, or what to fix. It renders the page rather than redirecting:
// the answer carries text from the provider, not only a catalogue key a
// flash cookie could carry.
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
	detail, err := h.d.Connections.TestConnection(q.r.Context(), *in, h.hookURL(q.r, in))
	if err != nil {
		h.log.Info("web: test connection", "inbox", in.ID, "channel", in.Channel, "err", err)
	}
	h.showInbox(q, in, telegramResult{}, testResultOf(h.cats[q.locale], detail, err))
}

// testResultOf words a connection test's outcome: the sentence of its
// failure's code, the setting to check, and the adapter's detail.
func testResultOf(cat catalog, detail string, err error) testResult {
	if err == nil {
		return testResult{Done: true, OK: true, Text: cat.T("inbox.test_ok", detail)}
	}
	ce := desk.CheckErrorOf(err)
	key := "inbox.test_code." + string(ce.Code)
	if _, ok := cat[key]; !ok {
		// A code newer than the locale files.
		key = "inbox.test_code." + string(desk.CheckOther)
	}
	res := testResult{Done: true, Code: ce.Code, Text: cat.T(key), Detail: ce.Detail}
	if ce.Setting != "" {
		res.Text += " " + cat.T("inbox.test_setting", settingLabel(cat, ce.Setting))
	}
	if _, coded := errors.AsType[*desk.CheckError](err); !coded {
		// An error the adapter did not explain starts with the
		// channel's prefix ("telegram: check: "), which says nothing the
		// page does not.
		if _, after, ok := strings.Cut(res.Detail, "check: "); ok {
			res.Detail = after
		}
	}
	return res
}

// settingLabel is a setting's name as its field on the page shows it, or
// its key when the page has no field for it.
func settingLabel(cat catalog, key string) string {
	if l, ok := cat["setting."+key]; ok {
		return l
	}
	return key
}
