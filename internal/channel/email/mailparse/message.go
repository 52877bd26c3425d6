package mailparse

import (
	"net/textproto"
	"time"
)

// Message is one parsed inbound email. Every string is valid UTF-8.
type Message struct {
	MessageID  string   // without angle brackets
	InReplyTo  string   // first id of In-Reply-To, without angle brackets
	References []string // ids of References, oldest first, without angle brackets

	From    Address
	To      []Address
	Cc      []Address
	ReplyTo []Address
	Subject string
	Date    time.Time // zero if missing or unparseable

	// Text is the best plain text: the text/plain body, or text converted
	// from the HTML body when the mail has none.
	Text string
	// HTML is the sanitised HTML body, "" if the mail has none. Inline
	// images point at Options.InlineURL; remote images are removed unless
	// Options.AllowRemoteImages.
	HTML string
	// RemoteImages counts images removed from HTML because they would load
	// from the network (tracking pixels); the UI can offer to show them.
	RemoteImages int

	// Reply is the new part of Text; Quoted is the quoted history and
	// signature removed from it (for a collapsed view). See StripReply.
	Reply  string
	Quoted string

	Attachments []Attachment
	// Signed is true for multipart/signed mail (S/MIME or PGP); the
	// signature is not verified and not listed as an attachment.
	Signed bool

	// AutoReply reports a machine-generated mail that must not be answered
	// automatically: out-of-office, auto-responders, list and bulk mail.
	AutoReply bool
	// Bounce is set when the mail is a delivery failure report.
	Bounce *Bounce

	// Auth holds the Authentication-Results added by the receiving server.
	Auth AuthResults
	// Headers holds the top-level header fields, values decoded to UTF-8.
	Headers textproto.MIMEHeader

	// Warnings lists what was malformed and skipped or guessed.
	Warnings []string
}

// Automated reports whether no automatic answer may be sent to this mail:
// it is an auto-reply, list mail or a bounce.
func (m *Message) Automated() bool { return m.AutoReply || m.Bounce != nil }

// Address is a mailbox. Addr is as written (not lower-cased).
type Address struct {
	Name string
	Addr string
}

// String formats the address for display, not for an SMTP envelope.
func (a Address) String() string {
	switch {
	case a.Name == "":
		return a.Addr
	case a.Addr == "":
		return a.Name
	}
	return a.Name + " <" + a.Addr + ">"
}

// Attachment is a non-body part: a file, an inline image or an attached
// message.
type Attachment struct {
	Filename    string // decoded (RFC 2047 / RFC 2231), no directory part
	ContentType string // lower-case media type, e.g. "image/png"
	ContentID   string // without angle brackets, "" if none
	Inline      bool   // shown in the body (Content-Disposition inline or referenced by cid)
	Size        int    // decoded size in bytes, also when Data was dropped
	Data        []byte // nil when over Options.MaxAttachmentSize
}

// Bounce describes a delivery failure report.
type Bounce struct {
	// DSN is true for a standard delivery status notification
	// (multipart/report; report-type=delivery-status), false when the
	// bounce was recognised heuristically.
	DSN        bool
	Recipients []BounceRecipient
}

// BounceRecipient is one recipient the report is about.
type BounceRecipient struct {
	Addr       string
	Action     string // failed, delayed, delivered, relayed, expanded
	Status     string // e.g. "5.1.1"
	Diagnostic string
}

// Permanent reports whether the recipient's address should be marked as
// undeliverable (a 5.x.x failure).
func (r BounceRecipient) Permanent() bool {
	if r.Action != "" && r.Action != "failed" {
		return false
	}
	return len(r.Status) > 0 && r.Status[0] == '5' || r.Status == "" && r.Action == "failed"
}

// AuthResults are the SPF, DKIM and DMARC verdicts (pass, fail, softfail,
// neutral, none, temperror, permerror) from the topmost
// Authentication-Results header, "" if absent. Only trust them when the
// header was added by balie's own receiving server or a relay it trusts
// (ServID): anyone can write this header into a mail.
type AuthResults struct {
	ServID string
	SPF    string
	DKIM   string
	DMARC  string
}

// Options limits and shapes parsing. The zero value is usable.
type Options struct {
	MaxSize           int64 // whole message in bytes; default 25 MiB
	MaxAttachmentSize int   // per attachment; larger ones keep metadata, Data nil; default 10 MiB
	MaxAttachments    int   // further attachments are dropped; default 50
	MaxParts          int   // MIME parts looked at; default 500
	MaxDepth          int   // multipart nesting; default 20

	// InlineURL maps an inline image's Content-ID to the URL the sanitised
	// HTML should load it from. When nil, cid: images are removed.
	InlineURL func(contentID string) string
	// AllowRemoteImages keeps https images in HTML. Off by default:
	// remote images tell the sender when and where the mail was read.
	AllowRemoteImages bool
}

func (o Options) withDefaults() Options {
	if o.MaxSize <= 0 {
		o.MaxSize = 25 << 20
	}
	if o.MaxAttachmentSize <= 0 {
		o.MaxAttachmentSize = 10 << 20
	}
	if o.MaxAttachments <= 0 {
		o.MaxAttachments = 50
	}
	if o.MaxParts <= 0 {
		o.MaxParts = 500
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 20
	}
	return o
}
