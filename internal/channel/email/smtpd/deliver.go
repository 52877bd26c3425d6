package smtpd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/channel/email/mailparse"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// quotedMarker separates a mail's text from the quoted history shown when
// the mail has no new text of its own (a forward, a reply written inline).
const quotedMarker = "\n\n––– eerder bericht –––\n"

// thumbSide is the longest side of an image preview, as for other uploads.
const thumbSide = 320

// maxThreadLookups bounds the store lookups for one mail's In-Reply-To and
// References: a hostile mail can list thousands of ids.
const maxThreadLookups = 10

// MessageFinder finds a stored message by its provider id (for email the
// Message-ID, without angle brackets).
type MessageFinder interface {
	MessageByExternalID(ctx context.Context, inboxID int64, externalID string) (*desk.Message, error)
}

// Deps are what a Deliverer needs.
type Deps struct {
	Conversations *conversation.Service
	// Inboxes lists the inboxes; it is called for every recipient and
	// message, so it should be cheap (cached).
	Inboxes func(ctx context.Context) ([]desk.Inbox, error)
	Blob    desk.Blob
	Store   MessageFinder
	Log     *slog.Logger
	// MaxSize is the largest message parsed (default DefaultMaxSize); keep
	// it at least the Server's.
	MaxSize int64
	// Authenticate checks the sender of a mail that reached balie's own
	// MX (SPF, DKIM, DMARC) and returns the verdicts for desk.MetaEmailAuth,
	// "" when it cannot tell. Nil records nothing for such mail: its own
	// Authentication-Results header could be forged by the sender.
	Authenticate func(ctx context.Context, env Envelope, data []byte) string
}

// Deliverer is the Handler that turns mail into customer messages of
// balie's email inboxes (desk.ChannelEmail, with the setting "address").
type Deliverer struct {
	d Deps
}

// NewDeliverer returns a Deliverer.
func NewDeliverer(d Deps) *Deliverer {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.MaxSize <= 0 {
		d.MaxSize = DefaultMaxSize
	}
	return &Deliverer{d: d}
}

// target is an inbox a mail is for, and the conversation its reply
// address names (0 for none).
type target struct {
	inbox          desk.Inbox
	conversationID int64
}

// Recipient accepts the address of an email inbox, or a sub-address of it
// (a reply address); anything else is desk.ErrNotFound.
func (d *Deliverer) Recipient(ctx context.Context, addr string) error {
	ts, err := d.targets(ctx, []string{addr})
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		return fmt.Errorf("smtpd: recipient %q: %w", addr, desk.ErrNotFound)
	}
	return nil
}

// targets maps recipients to inboxes, one target per inbox; a valid reply
// address wins over the plain address of the same inbox.
func (d *Deliverer) targets(ctx context.Context, rcpts []string) ([]target, error) {
	inboxes, err := d.d.Inboxes(ctx)
	if err != nil {
		return nil, fmt.Errorf("smtpd: inboxes: %w", err)
	}
	var out []target
	for _, r := range rcpts {
		for _, in := range inboxes {
			if in.Channel != desk.ChannelEmail {
				continue
			}
			ok, conv := matchInbox(in, r)
			if !ok {
				continue
			}
			i := slices.IndexFunc(out, func(t target) bool { return t.inbox.ID == in.ID })
			switch {
			case i < 0:
				out = append(out, target{inbox: in, conversationID: conv})
			case out[i].conversationID == 0:
				out[i].conversationID = conv
			}
			break
		}
	}
	return out, nil
}

// Contacts, when the store offers it, lets a permanent bounce mark the
// contact whose address failed.
type Contacts interface {
	ContactByIdentity(ctx context.Context, kind desk.IdentityKind, value string) (*desk.Contact, error)
	UpdateContact(ctx context.Context, c *desk.Contact) error
}

// markBounced records on the contact that mail to one of their addresses
// bounced for good (attribute "email_bounced": the address, status and
// reason), so agents see it and can reach them another way.
func (d *Deliverer) markBounced(ctx context.Context, r mailparse.BounceRecipient, log *slog.Logger) {
	cs, ok := d.d.Store.(Contacts)
	if !ok || r.Addr == "" {
		return
	}
	c, err := cs.ContactByIdentity(ctx, desk.IdentityEmail, strings.ToLower(strings.TrimSpace(r.Addr)))
	if err != nil {
		return // not a customer of ours
	}
	if c.Attributes == nil {
		c.Attributes = map[string]string{}
	}
	note := strings.TrimSpace(r.Addr + " " + r.Status + " " + r.Diagnostic)
	if len(note) > 300 {
		note = note[:300]
	}
	c.Attributes["email_bounced"] = note
	if err := cs.UpdateContact(ctx, c); err != nil {
		log.Warn("smtpd: marking a bounced address", "contact", c.ID, "err", err)
	}
}

// Deliver parses a mail and stores it in every inbox it is for. Bounces and
// auto-replies are logged and dropped. A mail seen before (same Message-ID
// in the inbox) is not stored again, so a sender's retry after a temporary
// failure is harmless.
func (d *Deliverer) Deliver(ctx context.Context, env Envelope, data []byte) error {
	msg, err := mailparse.Parse(bytes.NewReader(data), mailparse.Options{MaxSize: d.d.MaxSize + 4<<10, InlineURL: cidPlaceholder})
	if err != nil {
		return fmt.Errorf("smtpd: deliver: %w", err)
	}
	log := d.d.Log.With("id", env.ID, "message_id", msg.MessageID, "from", msg.From.Addr, "remote", env.RemoteAddr)
	targets, err := d.targets(ctx, env.To)
	if err != nil {
		return fmt.Errorf("smtpd: deliver: %w", err)
	}
	if len(targets) == 0 {
		// The inbox went away between RCPT and now.
		return fmt.Errorf("smtpd: deliver: no inbox for %v: %w", env.To, desk.ErrInvalid)
	}
	if msg.Bounce != nil {
		var failed []string
		for _, r := range msg.Bounce.Recipients {
			failed = append(failed, r.Addr+" "+r.Status)
			if r.Permanent() {
				d.markBounced(ctx, r, log)
			}
		}
		log.Info("smtpd: bounce received, not stored", "dsn", msg.Bounce.DSN, "recipients", failed)
		return nil
	}
	if msg.AutoReply {
		// Storing it could make the bot or an auto-acknowledgement answer
		// an answering machine: the start of a mail loop.
		log.Info("smtpd: auto-reply received, not stored", "subject", msg.Subject)
		return nil
	}
	meta := map[string]string{}
	if auth := d.authResults(ctx, env, data, msg); auth != "" {
		meta[desk.MetaEmailAuth] = auth
	}
	if to := recipientList(msg); to != "" {
		meta[desk.MetaEmailTo] = to
	}
	for _, t := range targets {
		if err := d.deliverTo(ctx, log, t, env, msg, meta); err != nil {
			return err
		}
	}
	return nil
}

// authResults are the mail's SPF, DKIM and DMARC verdicts. Mail fetched
// from a mailbox (Envelope.Mailbox) carries them in the Authentication-
// Results header its server added on top; mail to balie's own MX is checked
// by Authenticate, never by what the sender wrote.
func (d *Deliverer) authResults(ctx context.Context, env Envelope, data []byte, msg *mailparse.Message) string {
	if !env.Mailbox {
		if d.d.Authenticate == nil {
			return ""
		}
		return d.d.Authenticate(ctx, env, data)
	}
	a := msg.Auth
	var parts []string
	for _, r := range []struct{ name, res string }{{"spf", a.SPF}, {"dkim", a.DKIM}, {"dmarc", a.DMARC}} {
		if r.res != "" {
			parts = append(parts, r.name+"="+r.res)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	out := strings.Join(parts, " ")
	if a.ServID != "" {
		out += "; " + clipUTF8(a.ServID, 100)
	}
	return out
}

// recipientList is the mail's To and Cc addresses, for the agent to see
// who else received it.
func recipientList(msg *mailparse.Message) string {
	var out []string
	for _, a := range slices.Concat(msg.To, msg.Cc) {
		if a.Addr != "" && len(out) < 50 {
			out = append(out, a.Addr)
		}
	}
	return clipUTF8(strings.Join(out, ", "), 2000)
}

func (d *Deliverer) deliverTo(ctx context.Context, log *slog.Logger, t target, env Envelope, msg *mailparse.Message, meta map[string]string) error {
	extID := externalID(msg)
	// Checked before the attachments go to the blob store, so a retried
	// mail leaves no orphaned files; Ingest checks again in its transaction.
	if _, err := d.d.Store.MessageByExternalID(ctx, t.inbox.ID, extID); err == nil {
		log.Info("smtpd: duplicate mail, not stored again", "inbox", t.inbox.ID)
		return nil
	} else if !errors.Is(err, desk.ErrNotFound) {
		return fmt.Errorf("smtpd: deliver: %w", err)
	}
	convID := t.conversationID
	if convID == 0 {
		var err error
		if convID, err = d.thread(ctx, t.inbox.ID, msg); err != nil {
			return fmt.Errorf("smtpd: deliver: thread: %w", err)
		}
	}
	from, name := msg.From.Addr, msg.From.Name
	if from == "" {
		from = env.From
	}
	if from == "" {
		return fmt.Errorf("smtpd: deliver: %w", desk.Invalid("from", "the mail names no sender"))
	}
	atts, cids, dropped := d.storeAttachments(ctx, log, msg)
	meta = maps.Clone(meta)
	htmlKey := d.storeHTML(ctx, log, msg, cids)
	if htmlKey != "" {
		meta[desk.MetaEmailHTML] = htmlKey
	}
	// discard removes the files when the mail is not stored after all.
	discard := func() {
		d.discard(context.WithoutCancel(ctx), append(atts, desk.InboundAttachment{BlobKey: htmlKey}))
	}
	in := desk.Inbound{
		InboxID:         t.inbox.ID,
		ExternalID:      extID,
		From:            desk.Identity{Kind: desk.IdentityEmail, Value: from},
		FromName:        name,
		Subject:         msg.Subject,
		Body:            messageBody(msg, len(atts), dropped),
		Attachments:     atts,
		Meta:            meta,
		ConversationID:  convID,
		NewConversation: convID == 0,
	}
	res, err := d.d.Conversations.Ingest(ctx, in)
	if convID != 0 && (errors.Is(err, desk.ErrForbidden) || errors.Is(err, desk.ErrNotFound)) {
		// Someone other than the customer answered in the thread (a
		// colleague in Cc), or the conversation is gone: a conversation
		// belongs to one contact, so this mail starts its own.
		log.Info("smtpd: thread not continued", "conversation", convID, "err", err)
		in.ConversationID, in.NewConversation = 0, true
		res, err = d.d.Conversations.Ingest(ctx, in)
	}
	if err != nil {
		discard()
		return fmt.Errorf("smtpd: deliver: %w", err)
	}
	if res.Duplicate {
		discard()
	}
	log.Info("smtpd: stored", "inbox", t.inbox.ID, "conversation", res.Conversation.ID,
		"new_conversation", res.NewConversation, "duplicate", res.Duplicate, "attachments", len(atts))
	return nil
}

// thread finds the conversation a mail answers by its In-Reply-To and
// References (newest first) among the inbox's stored messages; 0 for none.
func (d *Deliverer) thread(ctx context.Context, inboxID int64, msg *mailparse.Message) (int64, error) {
	ids := make([]string, 0, 1+len(msg.References))
	if msg.InReplyTo != "" {
		ids = append(ids, msg.InReplyTo)
	}
	for i := len(msg.References) - 1; i >= 0; i-- {
		if r := msg.References[i]; !slices.Contains(ids, r) {
			ids = append(ids, r)
		}
	}
	for _, id := range ids[:min(len(ids), maxThreadLookups)] {
		m, err := d.d.Store.MessageByExternalID(ctx, inboxID, id)
		if err == nil {
			return m.ConversationID, nil
		}
		if !errors.Is(err, desk.ErrNotFound) {
			return 0, err
		}
	}
	return 0, nil
}

// externalID is the mail's Message-ID; a mail without a usable one gets a
// hash of what identifies it, so that a retry is still recognised.
func externalID(msg *mailparse.Message) string {
	if id := msg.MessageID; id != "" && len(id) <= 250 {
		return id
	}
	h := sha256.New()
	for _, s := range []string{msg.MessageID, msg.From.Addr, msg.Subject, msg.Date.String(), msg.Text} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:40]
}

// messageBody is what the agent reads: the new part of the mail, the quoted
// history only when there is nothing new, and a line for every attachment
// that could not be kept.
func messageBody(msg *mailparse.Message, stored int, dropped []string) string {
	body := strings.TrimSpace(msg.Reply)
	if body == "" {
		if q := strings.TrimSpace(msg.Quoted); q != "" {
			body = strings.TrimSpace(quotedMarker + q)
		} else {
			body = strings.TrimSpace(msg.Text)
		}
	}
	if body == "" && stored == 0 && len(dropped) == 0 {
		// A mail that says it all in its subject is still a message.
		body = strings.TrimSpace(msg.Subject)
		if body == "" {
			body = "(lege e-mail)"
		}
	}
	for _, name := range dropped {
		body += "\n\n[bijlage niet opgeslagen: " + name + "]"
	}
	return clipUTF8(strings.TrimSpace(body), conversation.MaxBody)
}

// clipUTF8 shortens s to at most n bytes without splitting a character.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "\n[…]"
	cut := n - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}

// storeAttachments puts a mail's attachments in the blob store, and lists
// each stored one's Content-ID ("" for none) in cids. What cannot be kept
// (too large, a refused type, one too many, a failing store) is named in
// dropped instead: one bad file does not lose the mail.
func (d *Deliverer) storeAttachments(ctx context.Context, log *slog.Logger, msg *mailparse.Message) (atts []desk.InboundAttachment, cids, dropped []string) {
	for _, a := range msg.Attachments {
		name := a.Filename
		if name == "" {
			name = "bijlage"
		}
		switch {
		case len(a.Data) == 0:
			dropped = append(dropped, name+" (te groot of leeg)")
			continue
		case len(atts) >= conversation.MaxAttachments:
			dropped = append(dropped, name+" (te veel bijlagen)")
			continue
		case d.d.Blob == nil:
			dropped = append(dropped, name)
			continue
		}
		att, err := d.storeOne(ctx, name, a.Data)
		if err != nil {
			log.Info("smtpd: attachment not stored", "name", name, "err", err)
			dropped = append(dropped, name)
			continue
		}
		atts = append(atts, att)
		cids = append(cids, a.ContentID)
	}
	return atts, cids, dropped
}

// Inline images in a mail's HTML point at its attachments. At parse time
// they are not stored yet, so the sanitiser writes cidScheme:<Content-ID>;
// storeHTML turns that into InlineScheme:<n>, the n-th stored attachment of
// the message, which the HTML view resolves.
const (
	cidScheme    = "balie-cid"
	InlineScheme = "balie-inline"
)

func cidPlaceholder(contentID string) string { return cidScheme + ":" + url.PathEscape(contentID) }

var cidRef = regexp.MustCompile(cidScheme + `:([^"'\s>]*)`)

// maxHTML bounds the HTML version kept of one mail.
const maxHTML = 2 << 20

// storeHTML keeps the sanitised HTML version of a mail in the blob store
// and returns its key: "" when the mail has no HTML, or it is too large or
// cannot be stored (the text version is still there).
func (d *Deliverer) storeHTML(ctx context.Context, log *slog.Logger, msg *mailparse.Message, cids []string) string {
	if msg.HTML == "" || d.d.Blob == nil {
		return ""
	}
	if len(msg.HTML) > maxHTML {
		log.Info("smtpd: HTML version too large, not kept", "size", len(msg.HTML))
		return ""
	}
	html := cidRef.ReplaceAllStringFunc(msg.HTML, func(ref string) string {
		cid, err := url.PathUnescape(strings.TrimPrefix(ref, cidScheme+":"))
		if i := slices.Index(cids, cid); err == nil && cid != "" && i >= 0 {
			return InlineScheme + ":" + strconv.Itoa(i)
		}
		return "" // not stored: the image shows as missing
	})
	key := blob.NewKey()
	if err := d.d.Blob.Put(ctx, key, strings.NewReader(html), int64(len(html)), "text/html"); err != nil {
		log.Info("smtpd: HTML version not stored", "err", err)
		return ""
	}
	return key
}

var errRefusedType = fmt.Errorf("smtpd: attachment type not allowed: %w", desk.ErrInvalid)

func (d *Deliverer) storeOne(ctx context.Context, name string, data []byte) (desk.InboundAttachment, error) {
	ctype, ok := blob.Sniff(data[:min(len(data), 512)], name)
	if !ok {
		return desk.InboundAttachment{}, errRefusedType
	}
	att := desk.InboundAttachment{Name: name, ContentType: ctype, Size: int64(len(data))}
	if strings.HasPrefix(ctype, "image/") && ctype != "image/webp" {
		// An image that does not decode, or is too large to, is kept
		// without a preview.
		if thumb, w, h, err := blob.Thumbnail(bytes.NewReader(data), thumbSide); err == nil {
			att.Width, att.Height, att.ThumbKey = w, h, blob.NewKey()
			if err := d.d.Blob.Put(ctx, att.ThumbKey, bytes.NewReader(thumb), int64(len(thumb)), "image/png"); err != nil {
				return desk.InboundAttachment{}, fmt.Errorf("smtpd: thumbnail %q: %w", name, err)
			}
		}
	}
	att.BlobKey = blob.NewKey()
	if err := d.d.Blob.Put(ctx, att.BlobKey, bytes.NewReader(data), att.Size, ctype); err != nil {
		d.discard(context.WithoutCancel(ctx), []desk.InboundAttachment{att})
		return desk.InboundAttachment{}, fmt.Errorf("smtpd: attachment %q: %w", name, err)
	}
	return att, nil
}

// discard removes attachments' blobs; what cannot be removed stays as an
// orphan file that nothing points at.
func (d *Deliverer) discard(ctx context.Context, atts []desk.InboundAttachment) {
	for _, a := range atts {
		for _, k := range []string{a.BlobKey, a.ThumbKey} {
			if k != "" {
				d.d.Blob.Delete(ctx, k)
			}
		}
	}
}
