// Package imap reads an existing mailbox over IMAP and files its new mail
// into an email inbox, for companies that keep their mail at a provider
// instead of pointing their MX at balie's SMTP server (smtpd).
//
// Client is a small IMAP4rev1 client (RFC 3501) written with the standard
// library: TLS or STARTTLS, LOGIN or AUTHENTICATE PLAIN, SELECT, UID
// SEARCH, UID FETCH of whole messages, UID STORE, APPEND and IDLE (RFC
// 2177). Responses are parsed with limits on their size, literals
// included, because a server can be broken or hostile too.
//
// Poller watches the mailbox of every email inbox with IMAP settings
// (SettingHost...): it fetches unseen mail without marking it, hands it to
// smtpd's Deliverer (the same parsing, threading, dedupe by Message-ID and
// attachments as mail that arrives over SMTP), and marks it \Seen only once
// it is filed or deliberately dropped. Mail that cannot be filed stays
// unread in the mailbox for a person to look at.
//
// imap imports desk and smtpd.
package imap
