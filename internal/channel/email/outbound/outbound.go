package outbound

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/desk"
)

// Inbox settings the outbound side reads. SettingAddress and
// SettingReplySecret are shared with the inbound server.
const (
	SettingAddress      = smtpd.SettingAddress     // From address, e.g. support@example.nl
	SettingReplySecret  = smtpd.SettingReplySecret // enables the Reply-To reply address
	SettingFromName     = "from_name"              // display name; default the inbox name
	SettingSMTPHost     = "smtp_host"
	SettingSMTPPort     = "smtp_port"     // default 587 (465 for smtp_tls=tls)
	SettingSMTPUsername = "smtp_username" // empty: no AUTH
	SettingSMTPPassword = "smtp_password" // secret
	SettingSMTPTLS      = "smtp_tls"      // TLSStartTLS (default), TLSImplicit or TLSNone
	SettingDKIMDomain   = "dkim_domain"   // d=; default the address's domain
	SettingDKIMSelector = "dkim_selector" // s=; signing needs it and the key
	SettingDKIMKey      = "dkim_private_key"
)

// Values of SettingSMTPTLS.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	// TLSNone sends in the clear; only allowed to a loopback host (a local
	// relay, tests).
	TLSNone = "none"
)

// Defaults for the zero values of Deps.
const (
	// DefaultTimeout bounds one whole SMTP submission.
	DefaultTimeout = 2 * time.Minute
	// DefaultMaxAttachments bounds the attachments of one mail, in bytes
	// before encoding: base64 makes 18 MiB about 25 MB, a common limit of
	// submission servers.
	DefaultMaxAttachments = 18 << 20
)

// maxThreadPages bounds how much of a long conversation is read to find
// its threading headers (pages of threadPage messages).
const (
	threadPage     = 200
	maxThreadPages = 25
	maxReferences  = 20
)

// MessageLister reads a conversation's messages, oldest first (the
// desk.MessageStore method).
type MessageLister interface {
	ListMessages(ctx context.Context, conversationID int64, afterID int64, limit int) ([]desk.Message, error)
}

// Deps are what the channel needs.
type Deps struct {
	Blob desk.Blob
	// Store finds the conversation's earlier mails for In-Reply-To and
	// References; nil: no threading headers.
	Store MessageLister
	Clock desk.Clock
	Log   *slog.Logger
	// Dial connects to the SMTP server; nil: a net.Dialer.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// RootCAs verifies SMTP servers' certificates; nil: the system's.
	RootCAs *x509.CertPool
	// Hostname is said in EHLO; empty: the From address's domain.
	Hostname string
	// Timeout bounds one submission (default DefaultTimeout).
	Timeout time.Duration
	// MaxAttachments bounds a mail's attachments in bytes (default
	// DefaultMaxAttachments).
	MaxAttachments int64
}

// Channel is the email channel's sending side. It is safe for concurrent
// use.
type Channel struct {
	d Deps
}

var _ desk.Channel = (*Channel)(nil)

// New returns the channel.
func New(d Deps) *Channel {
	if d.Clock == nil {
		d.Clock = desk.SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Dial == nil {
		dialer := &net.Dialer{Timeout: 30 * time.Second}
		d.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", addr)
		}
	}
	if d.Timeout <= 0 {
		d.Timeout = DefaultTimeout
	}
	if d.MaxAttachments <= 0 {
		d.MaxAttachments = DefaultMaxAttachments
	}
	return &Channel{d: d}
}

// Kind is desk.ChannelEmail.
func (*Channel) Kind() desk.ChannelKind { return desk.ChannelEmail }

// Send composes, signs and submits one reply and returns its Message-ID
// (without angle brackets). Network failures, timeouts and 4xx answers wrap
// desk.ErrTemporary; 5xx answers and configuration errors are permanent.
func (c *Channel) Send(ctx context.Context, out desk.Outbound) (string, error) {
	cfg, err := configOf(out.Inbox)
	if err != nil {
		return "", fmt.Errorf("outbound: send: %w", err)
	}
	to, err := recipient(out.Contact)
	if err != nil {
		return "", fmt.Errorf("outbound: send: %w", err)
	}
	th, err := c.thread(ctx, out)
	if err != nil {
		return "", fmt.Errorf("outbound: send: %w", err)
	}
	msgID := messageID(out, cfg)
	raw, err := c.compose(ctx, out, cfg, to, msgID, th)
	if err != nil {
		return "", fmt.Errorf("outbound: send: %w", err)
	}
	if err := c.submit(ctx, cfg, to.Address, raw); err != nil {
		return "", fmt.Errorf("outbound: send: %w", err)
	}
	c.d.Log.Info("outbound: sent", "inbox", out.Inbox.ID, "conversation", out.Conversation.ID,
		"message", out.Message.ID, "message_id", msgID, "size", len(raw))
	return msgID, nil
}

// config is an inbox's settings, checked.
type config struct {
	inbox    desk.Inbox
	from     mail.Address
	domain   string // of the From address, lower case
	host     string
	port     int
	username string
	password string
	tlsMode  string
	dkim     *dkimSigner // nil: unsigned
}

func configOf(in desk.Inbox) (config, error) {
	s := in.Settings
	addr := strings.TrimSpace(s[SettingAddress])
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || !strings.Contains(addr, "@") {
		return config{}, desk.Invalid(SettingAddress, "the inbox has no valid email address")
	}
	_, domain, _ := strings.Cut(addr, "@")
	name := s[SettingFromName]
	if name == "" {
		name = in.Name
	}
	cfg := config{
		inbox:    in,
		from:     mail.Address{Name: clean(name), Address: addr},
		domain:   strings.ToLower(domain),
		host:     strings.TrimSpace(s[SettingSMTPHost]),
		username: s[SettingSMTPUsername],
		password: s[SettingSMTPPassword],
		tlsMode:  strings.ToLower(strings.TrimSpace(s[SettingSMTPTLS])),
	}
	if cfg.host == "" {
		return config{}, desk.Invalid(SettingSMTPHost, "the inbox has no SMTP server")
	}
	switch cfg.tlsMode {
	case "":
		cfg.tlsMode = TLSStartTLS
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(cfg.host) {
			return config{}, desk.Invalid(SettingSMTPTLS, "sending without TLS is only allowed to a loopback host")
		}
	default:
		return config{}, desk.Invalid(SettingSMTPTLS, "must be starttls, tls or none")
	}
	cfg.port = 587
	if cfg.tlsMode == TLSImplicit {
		cfg.port = 465
	}
	if p := strings.TrimSpace(s[SettingSMTPPort]); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return config{}, desk.Invalid(SettingSMTPPort, "not a port number")
		}
		cfg.port = n
	}
	if key := s[SettingDKIMKey]; strings.TrimSpace(key) != "" {
		d := strings.ToLower(strings.TrimSpace(s[SettingDKIMDomain]))
		if d == "" {
			d = cfg.domain
		}
		sel := strings.TrimSpace(s[SettingDKIMSelector])
		if sel == "" || strings.ContainsAny(sel, "; \t\r\n") {
			return config{}, desk.Invalid(SettingDKIMSelector, "DKIM signing needs a selector")
		}
		if strings.ContainsAny(d, "; \t\r\n") {
			return config{}, desk.Invalid(SettingDKIMDomain, "not a domain")
		}
		signer, err := newDKIMSigner(d, sel, key)
		if err != nil {
			return config{}, err
		}
		cfg.dkim = signer
	}
	return cfg, nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// recipient is the customer's address: the contact's primary email, or
// else their first email identity.
func recipient(ct desk.Contact) (mail.Address, error) {
	addr := strings.TrimSpace(ct.Email)
	if addr == "" {
		for _, id := range ct.Identities {
			if id.Kind == desk.IdentityEmail && id.Value != "" {
				addr = strings.TrimSpace(id.Value)
				break
			}
		}
	}
	if addr == "" {
		return mail.Address{}, desk.Invalid("contact", "the customer has no email address")
	}
	// The address goes into RCPT TO and a header: nothing but a bare
	// addr-spec may pass.
	p, err := mail.ParseAddress(addr)
	if err != nil || p.Address != addr || strings.ContainsAny(addr, "<>\r\n ") {
		return mail.Address{}, desk.Invalid("contact", "the customer's email address is not valid")
	}
	return mail.Address{Name: clean(ct.Name), Address: addr}, nil
}

// messageID is <balie.<message id>.<tag>@<domain>> without brackets. The
// tag is derived from the idempotency key, so every retry of one outbox row
// reuses the id, keyed with the reply secret (when there is one) so that
// nobody can predict the id of a reply and aim a mail at its thread.
func messageID(out desk.Outbound, cfg config) string {
	var tag string
	if out.IdempotencyKey == "" {
		var b [8]byte
		rand.Read(b[:])
		tag = hex.EncodeToString(b[:])
	} else {
		m := hmac.New(sha256.New, []byte("balie-message-id:"+cfg.inbox.Settings[SettingReplySecret]))
		m.Write([]byte(out.IdempotencyKey))
		tag = hex.EncodeToString(m.Sum(nil))[:16]
	}
	return fmt.Sprintf("balie.%d.%s@%s", out.Message.ID, tag, cfg.domain)
}

// threading is how a reply relates to the conversation's earlier mails.
type threading struct {
	parent        string   // In-Reply-To; "" for none
	references    []string // oldest first, ending with parent
	customerReply bool     // parent is a mail from the customer
}

// thread finds the newest mail of the customer in the conversation (or, when
// the customer never wrote by mail, balie's newest sent mail) and the chain
// of mails up to it.
func (c *Channel) thread(ctx context.Context, out desk.Outbound) (threading, error) {
	var th threading
	if c.d.Store == nil || out.Conversation.ID == 0 {
		return th, nil
	}
	var ids []string
	parentAt, ownAt := -1, -1
	var after int64
	for range maxThreadPages {
		msgs, err := c.d.Store.ListMessages(ctx, out.Conversation.ID, after, threadPage)
		if errors.Is(err, desk.ErrNotFound) {
			return th, fmt.Errorf("thread: %w", err)
		}
		if err != nil {
			return th, fmt.Errorf("thread: %w: %w", err, desk.ErrTemporary)
		}
		for _, m := range msgs {
			if m.ID == out.Message.ID || m.Kind != desk.KindMessage || !isMessageID(m.ExternalID) {
				continue
			}
			ids = append(ids, m.ExternalID)
			if m.Sender == desk.SenderContact {
				parentAt = len(ids) - 1
			} else {
				ownAt = len(ids) - 1
			}
		}
		if len(msgs) < threadPage {
			break
		}
		after = msgs[len(msgs)-1].ID
	}
	at := parentAt
	th.customerReply = parentAt >= 0
	if at < 0 {
		at = ownAt
	}
	if at < 0 {
		return th, nil
	}
	th.parent = ids[at]
	refs := ids[:at+1]
	if len(refs) > maxReferences {
		// RFC 5322 3.6.4: keep the first, the thread's root, and the newest.
		refs = append([]string{refs[0]}, refs[len(refs)-maxReferences+1:]...)
	}
	th.references = refs
	return th, nil
}

// isMessageID reports whether an external id is a Message-ID (smtpd stores
// "sha256:..." for mail that had none) that is safe to put in a header.
func isMessageID(id string) bool {
	if len(id) < 3 || len(id) > 250 || !strings.Contains(id, "@") || strings.HasPrefix(id, "sha256:") {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r >= 0x7f || r == '<' || r == '>' {
			return false
		}
	}
	return true
}

// clean turns control characters (a line break in a subject or name could
// start a new header) into spaces and trims.
func clean(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s))
}
