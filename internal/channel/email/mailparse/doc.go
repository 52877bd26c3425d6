// Package mailparse turns a raw inbound email (RFC 5322 / MIME) into what
// balie needs to store and show it: decoded addresses and subject, the best
// plain text and sanitised HTML as UTF-8, the new part of a reply separated
// from quoted history and signatures, attachments with decoded names, and
// whether the mail is an auto-reply or a bounce.
//
// Inbound mail is untrusted input from anyone on the internet, so Parse never
// panics, tolerates the malformed mail real servers accept (reporting what it
// skipped in Message.Warnings), enforces size limits, and never returns
// invalid UTF-8 or unsanitised HTML.
//
// It is a pure library used by the email channel's SMTP server and IMAP
// poller: it does no I/O beyond reading the message and imports only the
// standard library, golang.org/x/text and bluemonday.
package mailparse
