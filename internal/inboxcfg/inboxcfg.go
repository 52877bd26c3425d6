// Package inboxcfg describes every channel's inbox settings and checks
// them: one set of rules for the admin pages and the API, so that an inbox
// the API accepts is one the admin page can show and save, and the other
// way round.
//
// The setting keys are those the channel adapters read (a test holds them
// to the adapters' constants); inboxcfg itself imports only desk and the
// standard library, so that web and api may use it without reaching the
// adapters.
package inboxcfg

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// Field types, for the form's input and the value's check.
const (
	TypeText     = "text"
	TypeEmail    = "email"
	TypeURL      = "url"
	TypeHost     = "host"   // a host name or IP address, without port
	TypePort     = "port"   // 1 to 65535
	TypeNumber   = "number" // whole number within Min and Max
	TypeSelect   = "select" // one of Options
	TypeColour   = "color"  // #rrggbb
	TypeDomain   = "domain"
	TypeSelector = "selector" // a DKIM selector: DNS labels
	TypeKey      = "key"      // a PEM private key, several lines
)

// Groups of fields, the sections of the email inbox's form.
const (
	GroupMain = ""
	GroupSMTP = "smtp" // sending: SMTP submission
	GroupDKIM = "dkim" // signing sent mail
	GroupIMAP = "imap" // receiving by polling a mailbox
)

// Field is one setting of a channel's inbox.
type Field struct {
	Key      string
	Type     string
	Group    string
	Secret   bool // write-only: never shown, never returned by the API
	Required bool
	Options  []string // TypeSelect
	// Default is what the form offers for a new inbox (the channel applies
	// its own default to an empty value).
	Default string
	// Min and Max bound a TypeNumber; Max also bounds a text's length in
	// bytes when set (else MaxValue).
	Min, Max int
	// MinLen is the least length of a value that is given.
	MinLen int
	// Generate makes the value when none is given or stored: tokens and
	// secrets the admin does not choose.
	Generate func() string
}

// Mask stands in for a secret's value in API answers; sent back, it keeps
// the stored value.
const Mask = "********"

// Limits on settings a channel does not name (kept for adapters' options
// such as api_base, and the bot's settings).
const (
	MaxSettings = 60
	MaxValue    = 4096
	maxKeyValue = 16384 // a PEM key (RSA 4096 is about 3.3 KB; room for a chain of comments)
)

// Channels are the channels an inbox can be made for, in the order the
// admin page offers them. desk.ChannelPhone has no adapter yet.
func Channels() []desk.ChannelKind {
	return []desk.ChannelKind{desk.ChannelWebChat, desk.ChannelEmail, desk.ChannelWhatsApp,
		desk.ChannelMessenger, desk.ChannelInstagram, desk.ChannelTelegram, desk.ChannelAPI}
}

// Hooked reports whether the channel's provider posts to
// /hooks/<kind>/<key>, so that the admin needs that URL.
func Hooked(ch desk.ChannelKind) bool {
	switch ch {
	case desk.ChannelWhatsApp, desk.ChannelMessenger, desk.ChannelInstagram, desk.ChannelTelegram:
		return true
	}
	return false
}

// Fields are the settings of ch's inboxes, in the order the form shows
// them; nil for a channel balie cannot make inboxes for.
func Fields(ch desk.ChannelKind) []Field {
	switch ch {
	case desk.ChannelWebChat:
		return []Field{
			{Key: "greeting", Type: TypeText, Max: 500},
			{Key: "color", Type: TypeColour, Default: "#1f6feb"},
			// Signs the identity tokens of the company's site
			// (internal/idtoken): the widget and the customer portal
			// trust a visitor's login only with it.
			{Key: "identity_secret", Type: TypeText, Secret: true, MinLen: 16, Generate: rand.Text},
		}
	case desk.ChannelAPI:
		return []Field{
			{Key: "webhook_url", Type: TypeURL, Required: true, Max: 2000},
			// balie signs the replies it posts with it; at least 16
			// characters so that the signature means something.
			{Key: "webhook_secret", Type: TypeText, Secret: true, MinLen: 16, Generate: rand.Text},
		}
	case desk.ChannelWhatsApp:
		return []Field{
			{Key: "phone_number_id", Type: TypeText, Required: true, Max: 64},
			{Key: "access_token", Type: TypeText, Secret: true},
			{Key: "app_secret", Type: TypeText, Secret: true},
			{Key: "verify_token", Type: TypeText, Generate: rand.Text, Max: 256},
			{Key: "template_name", Type: TypeText, Max: 512},
			{Key: "template_lang", Type: TypeText, Default: "nl", Max: 16},
			{Key: "template_text_param", Type: TypeSelect, Options: []string{"true", "false"}, Default: "true"},
		}
	case desk.ChannelMessenger, desk.ChannelInstagram:
		return []Field{
			{Key: "page_id", Type: TypeText, Max: 64},
			{Key: "page_access_token", Type: TypeText, Secret: true},
			{Key: "app_secret", Type: TypeText, Secret: true},
			{Key: "verify_token", Type: TypeText, Generate: rand.Text, Max: 256},
		}
	case desk.ChannelTelegram:
		return []Field{
			{Key: "bot_token", Type: TypeText, Secret: true, Max: 256},
			// Telegram allows 1 to 256 of A-Z, a-z, 0-9, _ and -.
			{Key: "secret_token", Type: TypeText, Secret: true, Max: 256, Generate: telegramToken},
		}
	case desk.ChannelEmail:
		return []Field{
			{Key: "address", Type: TypeEmail, Required: true, Max: 254},
			{Key: "from_name", Type: TypeText, Max: 100},
			{Key: "reply_secret", Type: TypeText, Secret: true, MinLen: 16, Generate: rand.Text},

			{Key: "smtp_host", Type: TypeHost, Group: GroupSMTP},
			{Key: "smtp_port", Type: TypePort, Group: GroupSMTP},
			{Key: "smtp_tls", Type: TypeSelect, Group: GroupSMTP, Options: []string{"starttls", "tls", "none"}, Default: "starttls"},
			{Key: "smtp_username", Type: TypeText, Group: GroupSMTP, Max: 256},
			{Key: "smtp_password", Type: TypeText, Group: GroupSMTP, Secret: true, Max: 1024},

			{Key: "dkim_domain", Type: TypeDomain, Group: GroupDKIM},
			{Key: "dkim_selector", Type: TypeSelector, Group: GroupDKIM},
			{Key: "dkim_private_key", Type: TypeKey, Group: GroupDKIM, Secret: true},

			{Key: "imap_host", Type: TypeHost, Group: GroupIMAP},
			{Key: "imap_port", Type: TypePort, Group: GroupIMAP},
			{Key: "imap_tls", Type: TypeSelect, Group: GroupIMAP, Options: []string{"tls", "starttls", "none"}, Default: "tls"},
			{Key: "imap_username", Type: TypeText, Group: GroupIMAP, Max: 256},
			{Key: "imap_password", Type: TypeText, Group: GroupIMAP, Secret: true, Max: 1024},
			{Key: "imap_mailbox", Type: TypeText, Group: GroupIMAP, Max: 256},
			// Without IDLE the mailbox is polled this often.
			{Key: "imap_interval", Type: TypeNumber, Group: GroupIMAP, Min: 10, Max: 86400},
		}
	}
	return nil
}

// FieldOf returns ch's field named key.
func FieldOf(ch desk.ChannelKind, key string) (Field, bool) {
	for _, f := range Fields(ch) {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// Secret reports whether an inbox setting is a credential: the channel's
// own fields say so; a setting they do not name is judged by its name, as
// the sealed store does when it encrypts settings at rest.
func Secret(ch desk.ChannelKind, key string) bool {
	if f, ok := FieldOf(ch, key); ok {
		return f.Secret
	}
	k := strings.ToLower(key)
	return strings.Contains(k, "secret") || strings.Contains(k, "token") || strings.Contains(k, "password") ||
		strings.HasSuffix(k, "_key")
}

// Change is what a form or an API request asks of an inbox's settings: a
// key that is absent keeps its value; a nil value removes the setting; ""
// removes a setting but keeps a secret (a secret is never shown, so an
// empty field means "unchanged"), and so does Mask.
type Change map[string]*string

// Apply applies c to in's settings, fills the generated settings that are
// still empty, and checks the whole inbox (Validate). On error in may be
// half changed: callers apply to a copy they drop.
func Apply(in *desk.Inbox, c Change) error {
	if in.Settings == nil {
		in.Settings = map[string]string{}
	}
	for k, v := range c {
		if v == nil {
			delete(in.Settings, k)
			continue
		}
		s := *v
		if f, ok := FieldOf(in.Channel, k); !ok || f.Type != TypeKey {
			s = strings.TrimSpace(s)
		}
		secret := Secret(in.Channel, k)
		switch {
		case secret && (strings.TrimSpace(s) == "" || s == Mask):
			// keep
		case strings.TrimSpace(s) == "":
			delete(in.Settings, k)
		default:
			in.Settings[k] = s
		}
	}
	for _, f := range Fields(in.Channel) {
		if f.Generate != nil && in.Settings[f.Key] == "" {
			in.Settings[f.Key] = f.Generate()
		}
		if f.Type == TypeColour || f.Type == TypeDomain || f.Type == TypeHost {
			if v, ok := in.Settings[f.Key]; ok {
				in.Settings[f.Key] = strings.ToLower(v)
			}
		}
	}
	return Validate(in)
}

var (
	keyRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	colourRe   = regexp.MustCompile(`^#[0-9a-f]{6}$`)
	labelRe    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	telegramRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Validate checks an inbox: its name, its channel, and every setting by
// its field's rules. The error is an Errors listing every problem, in the
// form's order.
func Validate(in *desk.Inbox) error {
	var errs Errors
	add := func(field, code string, arg ...string) {
		p := Problem{Field: field, Code: code}
		if len(arg) > 0 {
			p.Arg = arg[0]
		}
		errs = append(errs, p)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		add("name", CodeRequired)
	} else if len(name) > 100 || strings.ContainsAny(name, "\r\n") {
		add("name", CodeTooLong, "100")
	}
	if !slices.Contains(Channels(), in.Channel) {
		add("channel", CodeChannel)
		return errs
	}
	if len(in.Settings) > MaxSettings {
		add("settings", CodeTooMany, strconv.Itoa(MaxSettings))
	}
	known := map[string]bool{}
	for _, f := range Fields(in.Channel) {
		known[f.Key] = true
		checkField(f, in.Settings[f.Key], add)
	}
	// Settings the channel does not name, in a stable order.
	var other []string
	for k := range in.Settings {
		if !known[k] {
			other = append(other, k)
		}
	}
	slices.Sort(other)
	for _, k := range other {
		switch v := in.Settings[k]; {
		case !keyRe.MatchString(k):
			add("settings", CodeKeyName)
		case len(v) > MaxValue:
			add(k, CodeTooLong, strconv.Itoa(MaxValue))
		}
	}
	checkTogether(in, add)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// checkField checks one setting's value against its field.
func checkField(f Field, v string, add func(field, code string, arg ...string)) {
	if v == "" {
		if f.Required {
			add(f.Key, CodeRequired)
		}
		return
	}
	limit := f.Max
	if limit == 0 || f.Type == TypeNumber {
		limit = MaxValue
	}
	if f.Type == TypeKey {
		limit = maxKeyValue
	}
	if len(v) > limit {
		add(f.Key, CodeTooLong, strconv.Itoa(limit))
		return
	}
	if f.Type != TypeKey && strings.ContainsAny(v, "\r\n") {
		add(f.Key, CodeOneLine)
		return
	}
	if f.MinLen > 0 && len(v) < f.MinLen {
		add(f.Key, CodeTooShort, strconv.Itoa(f.MinLen))
		return
	}
	switch f.Type {
	case TypeEmail:
		if !emailOK(v) {
			add(f.Key, CodeEmail)
		}
	case TypeURL:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			add(f.Key, CodeURL)
		}
	case TypeHost:
		if !hostOK(v) {
			add(f.Key, CodeHost)
		}
	case TypePort:
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
			add(f.Key, CodePort)
		}
	case TypeNumber:
		if n, err := strconv.Atoi(v); err != nil || n < f.Min || n > f.Max {
			add(f.Key, CodeNumber, strconv.Itoa(f.Min)+"–"+strconv.Itoa(f.Max))
		}
	case TypeSelect:
		if !slices.Contains(f.Options, v) {
			add(f.Key, CodeOption, strings.Join(f.Options, ", "))
		}
	case TypeColour:
		if !colourRe.MatchString(v) {
			add(f.Key, CodeColour)
		}
	case TypeDomain:
		if !domainOK(v) {
			add(f.Key, CodeDomain)
		}
	case TypeSelector:
		if !selectorOK(v) {
			add(f.Key, CodeSelector)
		}
	case TypeKey:
		if code := keyProblem(v); code != "" {
			add(f.Key, code)
		}
	}
}

// checkTogether checks the rules that join settings.
func checkTogether(in *desk.Inbox, add func(field, code string, arg ...string)) {
	s := in.Settings
	switch in.Channel {
	case desk.ChannelTelegram:
		if v := s["secret_token"]; v != "" && !telegramRe.MatchString(v) {
			add("secret_token", CodeTelegramToken)
		}
	case desk.ChannelEmail:
		// Mail and passwords in the clear only to this machine (a local
		// relay), as the adapters enforce when they connect.
		if s["smtp_tls"] == "none" && s["smtp_host"] != "" && !loopback(s["smtp_host"]) {
			add("smtp_tls", CodeLoopback)
		}
		if s["imap_tls"] == "none" && s["imap_host"] != "" && !loopback(s["imap_host"]) {
			add("imap_tls", CodeLoopback)
		}
		if s["smtp_password"] != "" && s["smtp_username"] == "" {
			add("smtp_username", CodeRequired)
		}
		if s["dkim_private_key"] != "" && s["dkim_selector"] == "" {
			add("dkim_selector", CodeRequired)
		}
		if s["imap_host"] != "" && s["imap_password"] == "" {
			add("imap_password", CodeRequired)
		}
	}
}

func emailOK(v string) bool {
	local, domain, ok := strings.Cut(v, "@")
	return ok && local != "" && len(local) <= 64 && !strings.ContainsAny(v, " \t<>,;:\"()[]\\") &&
		!strings.Contains(domain, "@") && domainOK(domain)
}

func domainOK(v string) bool {
	v = strings.TrimSuffix(strings.ToLower(v), ".")
	if len(v) > 253 || !strings.Contains(v, ".") {
		return false
	}
	for _, l := range strings.Split(v, ".") {
		if !labelRe.MatchString(l) {
			return false
		}
	}
	return true
}

func hostOK(v string) bool {
	if net.ParseIP(v) != nil || strings.EqualFold(v, "localhost") {
		return true
	}
	return domainOK(v)
}

// selectorOK: a DKIM selector is one or more DNS labels (RFC 6376 3.1).
func selectorOK(v string) bool {
	for _, l := range strings.Split(strings.ToLower(v), ".") {
		if !labelRe.MatchString(l) {
			return false
		}
	}
	return len(v) <= 63
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// keyProblem checks that a DKIM key is one the signer can use: a PEM
// private key, PKCS #8 or PKCS #1, RSA of at least 1024 bits or Ed25519.
// It returns the problem's code, or "".
func keyProblem(v string) string {
	block, rest := pem.Decode([]byte(strings.TrimSpace(v)))
	if block == nil || len(strings.TrimSpace(string(rest))) > 0 {
		return CodeKeyPEM
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return CodeKeyPEM
	}
	if err != nil {
		return CodeKeyPEM
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 1024 {
			return CodeKeyWeak
		}
		return ""
	case ed25519.PrivateKey:
		return ""
	}
	return CodeKeyType
}

// telegramToken makes a secret token Telegram accepts: 32 random bytes,
// base64url (A-Z, a-z, 0-9, _ and -).
func telegramToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
